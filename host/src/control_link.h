// ControlLink: netdext-host's end of the control channel to netdextd (protocol/host_protocol.h).
//
// Every thread of the host sends through it: driver dispatch queues (family port requests and
// reports), the runner (StartResult, DriverCallReply), the doorbell thread, and the log sink.
// Only the main thread receives (ControlLoop). A request (CreatePool, RegisterInterface) waits for
// the reply that carries its sequence; the main thread hands each reply to its waiter with
// deliver_reply(). Nothing here blocks the receiver: a sender holds m_waiters_mutex (the only
// lock the receiver takes) just for one non-blocking sendmsg.
//
// Ownership: the link owns the Channel (the socket inherited at fd 3). It must outlive every
// thread that may send, including the log sink (uninstall the sink before destroying it).
#pragma once

#include <netdext/protocol/host_protocol.h>
#include <netdext/shm/ipc/channel.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace netdext::host {

// netdext-host's exit statuses (netdextd records them; `--help` lists them).
inline constexpr int kExitStopped = 0;       // stopped by the daemon, or the daemon went away
inline constexpr int kExitProtocolError = 1; // the daemon sent something malformed (a bug)
inline constexpr int kExitStartFailed = 2;   // the bundle did not load or Start() failed
inline constexpr int kExitUsage = 64;        // bad command line, or no control socket at fd 3

// Logs `what` (it reaches the daemon as a Log message if the channel still works) and ends the
// process at once with kExitProtocolError: the daemon is trusted, so a malformed message or
// reply means a bug on one side, and nothing the driver does next could be relied on. Any thread.
[[noreturn]] void protocol_error(const std::string &what);

// Copies `text` into a fixed protocol array, truncated, always NUL-terminated.
template <size_t N> void copy_string(char (&out)[N], std::string_view text) {
    size_t n = text.size() < N - 1 ? text.size() : N - 1;
    text.copy(out, n);
    out[n] = '\0';
}
// Reads a protocol string, never past its array, whether or not the sender NUL-terminated it.
template <size_t N> std::string bounded_string(const char (&in)[N]) {
    size_t n = 0;
    while (n < N && in[n] != '\0')
        ++n;
    return std::string(in, n);
}

class ControlLink {
public:
    // How long a sender waits for room in the socket buffer before giving up (WouldBlock).
    static constexpr std::chrono::milliseconds kSendTimeout{5000};

    explicit ControlLink(shm::ipc::Channel channel) : m_channel(std::move(channel)) {}
    ControlLink(const ControlLink &) = delete;
    ControlLink &operator=(const ControlLink &) = delete;

    [[nodiscard]] int fd() const { return m_channel.fd(); }

    // ---- any thread ----
    // Sends one message (fds are duplicated into the datagram; the caller keeps its own).
    template <shm::ipc::Message M>
    [[nodiscard]] shm::Result<void> send(const M &message, std::span<const int> fds = {}) {
        return send_payload(M::kType, as_bytes(message), fds, 0, 0, nullptr);
    }
    // Sends `message` as the reply to the daemon's message `sequence`.
    template <shm::ipc::Message M>
    [[nodiscard]] shm::Result<void> reply(const M &message, uint64_t sequence) {
        return send_payload(M::kType, as_bytes(message), {}, shm::ipc::kMessageFlagReply, sequence,
                            nullptr);
    }
    // Sends `request` and waits up to `timeout` for the daemon's reply of type Reply. Errors:
    // WouldBlock on timeout, PeerClosed when the daemon went away (now or while waiting), and
    // whatever the send failed with.
    template <shm::ipc::Message Request, shm::ipc::Message Reply>
    [[nodiscard]] shm::Result<shm::ipc::ReceivedMessage>
    request(const Request &request, std::chrono::milliseconds timeout) {
        return request_payload(Request::kType, as_bytes(request), Reply::kType, timeout);
    }

    // ---- main thread only ----
    [[nodiscard]] shm::Result<shm::ipc::ReceivedMessage> receive() { return m_channel.receive(); }

    enum class Routed {
        Delivered, // a request was waiting for it
        Unclaimed, // nobody waits for this sequence (its request timed out)
        WrongType, // the waiting request expects another reply type: a daemon bug
    };
    // Hands a reply (kMessageFlagReply) to the request waiting for its sequence.
    [[nodiscard]] Routed deliver_reply(shm::ipc::ReceivedMessage &&message);

    // The daemon closed the channel: waiting and future requests fail at once with PeerClosed,
    // sends fail too. Any thread.
    void close();
    [[nodiscard]] bool closed() const { return m_closed.load(std::memory_order_acquire); }

private:
    struct Waiter {
        uint16_t reply_type = 0;
        bool done = false;
        std::optional<shm::ipc::ReceivedMessage> message;
    };

    template <class M> static std::span<const std::byte> as_bytes(const M &message) {
        return std::as_bytes(std::span(&message, 1));
    }
    // Sends under m_send_mutex; when `waiter` is set, registers it under the sequence used before
    // the receiver can see the reply.
    shm::Result<void> send_payload(uint16_t type, std::span<const std::byte> payload,
                                   std::span<const int> fds, uint32_t flags, uint64_t reply_to,
                                   Waiter *waiter);
    shm::Result<shm::ipc::ReceivedMessage> request_payload(uint16_t type,
                                                           std::span<const std::byte> payload,
                                                           uint16_t reply_type,
                                                           std::chrono::milliseconds timeout);

    shm::ipc::Channel m_channel;
    std::mutex m_send_mutex;    // one sender at a time (the Channel's rule)
    std::mutex m_waiters_mutex; // guards m_waiters and every Waiter in it; taken by the receiver
    std::condition_variable m_waiters_changed;
    std::map<uint64_t, Waiter *> m_waiters; // by request sequence; waiters live on their stacks
    std::atomic<bool> m_closed{false};
};

} // namespace netdext::host
