// The control channel between netdextd and one netdext-host: a connected AF_UNIX SOCK_SEQPACKET
// socket carrying typed messages (message.h) and file descriptors (SCM_RIGHTS).
//
// Both ends are non-blocking: receive() answers WouldBlock when nothing is queued, and callers
// wait with wait_readable() or their own epoll on fd(). Every received message is fully checked
// before it is returned; on any rejection every descriptor that came with it is closed and the
// error names the reason (ErrorCode::BadMagic, BadFdCount, ...). A zero-length datagram cannot be
// told from end-of-file and reads as PeerClosed.
// Threading: one sender thread and one receiver thread at a time.
#pragma once

#include <netdext/shm/ipc/message.h>
#include <netdext/shm/ipc/peer_credentials.h>
#include <netdext/shm/sys/unique_fd.h>

#include <array>
#include <chrono>
#include <utility>

namespace netdext::shm::ipc {

// One received, validated message and the descriptors that came with it (owned until taken).
class ReceivedMessage {
public:
    [[nodiscard]] const MessageHeader &header() const { return m_header; }
    [[nodiscard]] uint16_t type() const { return m_header.type; }
    [[nodiscard]] std::span<const std::byte> payload() const {
        return std::span(m_payload).first(m_header.payload_length);
    }
    template <Message M> [[nodiscard]] Result<M> as() const {
        return decode<M>(ParsedMessage{m_header, nullptr, payload()});
    }
    [[nodiscard]] size_t fd_count() const { return m_fd_count; }
    // Takes ownership of descriptor `index` (< fd_count()); an empty UniqueFd if already taken.
    [[nodiscard]] UniqueFd take_fd(size_t index);

private:
    friend class Channel;

    MessageHeader m_header{};
    std::array<std::byte, kMaxPayloadSize> m_payload{};
    std::array<UniqueFd, kMaxFdsPerMessage> m_fds;
    size_t m_fd_count = 0;
};

class Channel {
public:
    // A connected pair (socketpair), e.g. daemon end and host end before the host is spawned.
    [[nodiscard]] static Result<std::pair<Channel, Channel>> create_pair(Protocol protocol);
    // Wraps an inherited or accepted socket; refuses anything but AF_UNIX SOCK_SEQPACKET.
    [[nodiscard]] static Result<Channel> adopt(UniqueFd socket, Protocol protocol);

    // Sends `message` with `fds` (duplicated into the datagram; the caller keeps its own). Refuses
    // locally (InvalidArgument) what the receiver would reject. Returns the sequence number used.
    template <Message M>
    [[nodiscard]] Result<uint64_t> send(const M &message, std::span<const int> fds = {},
                                        uint32_t flags = 0, uint64_t reply_to = 0) {
        return send_payload(M::kType, std::as_bytes(std::span(&message, 1)), fds, flags, reply_to);
    }
    // Untyped form of send(); with kMessageFlagReply set, `reply_to` becomes the sequence.
    [[nodiscard]] Result<uint64_t> send_payload(uint16_t type, std::span<const std::byte> payload,
                                                std::span<const int> fds, uint32_t flags = 0,
                                                uint64_t reply_to = 0);
    // Sends bytes exactly as given — no checks. For tests and fuzzers that need malformed input.
    [[nodiscard]] Result<void> send_datagram(std::span<const std::byte> bytes,
                                             std::span<const int> fds = {});

    // Receives and validates one message; WouldBlock when none is queued, PeerClosed at EOF.
    [[nodiscard]] Result<ReceivedMessage> receive();
    // Waits until a message (or EOF) is readable; false on timeout.
    [[nodiscard]] Result<bool> wait_readable(std::chrono::milliseconds timeout) const;

    [[nodiscard]] Result<PeerCredentials> peer() const { return peer_credentials(m_socket.get()); }
    [[nodiscard]] int fd() const { return m_socket.get(); }
    [[nodiscard]] const Protocol &protocol() const { return m_protocol; }

private:
    Channel(UniqueFd socket, Protocol protocol)
        : m_socket(std::move(socket)), m_protocol(protocol) {}

    UniqueFd m_socket;
    Protocol m_protocol;
    uint64_t m_next_sequence = 1;
};

} // namespace netdext::shm::ipc
