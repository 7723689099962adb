#include <netdext/shm/ipc/channel.h>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace netdext::shm::ipc {

namespace {

// Room for more descriptors than any message may carry, so "one too many" is reported as
// BadFdCount with every descriptor received (and closed) rather than as a truncation.
constexpr size_t kReceiveFdSlots = kMaxFdsPerMessage + 8;
constexpr size_t kSendFdSlots = 64; // send_datagram's limit, for tests of oversized fd sets

Result<void> set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        return Error::from_errno("O_NONBLOCK on control socket");
    return {};
}

} // namespace

UniqueFd ReceivedMessage::take_fd(size_t index) {
    SHM_VERIFY(index < m_fd_count);
    return std::move(m_fds[index]);
}

Result<std::pair<Channel, Channel>> Channel::create_pair(Protocol protocol) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0)
        return Error::from_errno("socketpair");
    return std::pair<Channel, Channel>(Channel(UniqueFd(fds[0]), protocol),
                                       Channel(UniqueFd(fds[1]), protocol));
}

Result<Channel> Channel::adopt(UniqueFd socket, Protocol protocol) {
    int domain = 0, type = 0;
    socklen_t length = sizeof domain;
    if (::getsockopt(socket.get(), SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0)
        return Error::from_errno("SO_DOMAIN");
    length = sizeof type;
    if (::getsockopt(socket.get(), SOL_SOCKET, SO_TYPE, &type, &length) != 0)
        return Error::from_errno("SO_TYPE");
    if (domain != AF_UNIX || type != SOCK_SEQPACKET)
        return Error::from_code(ErrorCode::InvalidArgument,
                                "control socket is not AF_UNIX SEQPACKET");
    SHM_TRY(set_nonblocking(socket.get()));
    return Channel(std::move(socket), protocol);
}

Result<uint64_t> Channel::send_payload(uint16_t type, std::span<const std::byte> payload,
                                       std::span<const int> fds, uint32_t flags,
                                       uint64_t reply_to) {
    const MessageSpec *spec = m_protocol.find(type);
    if (!spec)
        return Error::from_code(ErrorCode::InvalidArgument, "send: type not in protocol");
    if (payload.size() < spec->min_payload || payload.size() > spec->max_payload)
        return Error::from_code(ErrorCode::InvalidArgument, "send: payload size");
    if (fds.size() < spec->min_fds || fds.size() > spec->max_fds)
        return Error::from_code(ErrorCode::InvalidArgument, "send: descriptor count");
    if ((flags & ~kKnownMessageFlags) != 0)
        return Error::from_code(ErrorCode::InvalidArgument, "send: unknown flags");

    MessageHeader header{};
    header.magic = kMessageMagic;
    header.version = m_protocol.version();
    header.type = type;
    header.flags = flags;
    header.payload_length = static_cast<uint32_t>(payload.size());
    header.sequence = (flags & kMessageFlagReply) ? reply_to : m_next_sequence++;

    std::array<std::byte, kMaxMessageSize> datagram;
    std::memcpy(datagram.data(), &header, sizeof header);
    if (!payload.empty())
        std::memcpy(datagram.data() + sizeof header, payload.data(), payload.size());
    SHM_TRY(send_datagram(std::span(datagram).first(sizeof header + payload.size()), fds));
    return header.sequence;
}

Result<void> Channel::send_datagram(std::span<const std::byte> bytes, std::span<const int> fds) {
    if (fds.size() > kSendFdSlots)
        return Error::from_code(ErrorCode::InvalidArgument, "send: too many descriptors");
    iovec iov{const_cast<std::byte *>(bytes.data()), bytes.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) std::array<std::byte, CMSG_SPACE(sizeof(int) * kSendFdSlots)> control{};
    if (!fds.empty()) {
        msg.msg_control = control.data();
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        ssize_t sent = ::sendmsg(m_socket.get(), &msg, MSG_NOSIGNAL);
        if (sent >= 0)
            return {}; // SOCK_SEQPACKET sends the whole datagram or nothing
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return Error::from_code(ErrorCode::WouldBlock, "send: socket buffer full");
        if (errno == EPIPE || errno == ECONNRESET)
            return Error::from_code(ErrorCode::PeerClosed, "send");
        return Error::from_errno("sendmsg");
    }
}

Result<ReceivedMessage> Channel::receive() {
    std::array<std::byte, kMaxMessageSize> datagram;
    iovec iov{datagram.data(), datagram.size()};
    alignas(cmsghdr) std::array<std::byte, CMSG_SPACE(sizeof(int) * kReceiveFdSlots)> control{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();

    ssize_t received;
    for (;;) {
        received = ::recvmsg(m_socket.get(), &msg, MSG_CMSG_CLOEXEC);
        if (received >= 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return Error::from_code(ErrorCode::WouldBlock, "receive");
        if (errno == ECONNRESET)
            return Error::from_code(ErrorCode::PeerClosed, "receive");
        return Error::from_errno("recvmsg");
    }

    // Take ownership of every descriptor first, so each early return below closes them all.
    std::array<UniqueFd, kReceiveFdSlots> fds;
    size_t fd_count = 0;
    bool foreign_control = false;
    for (cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
            foreign_control = true;
            continue;
        }
        size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof fd);
            if (fd_count < fds.size())
                fds[fd_count++].reset(fd);
            else
                UniqueFd discard(fd);
        }
    }

    if (received == 0 && fd_count == 0 && !foreign_control)
        return Error::from_code(ErrorCode::PeerClosed, "receive");
    if (msg.msg_flags & MSG_TRUNC)
        return Error::from_code(ErrorCode::MessageTooLong, "receive");
    if (msg.msg_flags & MSG_CTRUNC)
        return Error::from_code(ErrorCode::BadFdCount, "receive: descriptors truncated");
    if (foreign_control)
        return Error::from_code(ErrorCode::BadControlMessage, "receive: non-SCM_RIGHTS data");

    auto parsed = SHM_TRY(parse_message(std::span(datagram).first(static_cast<size_t>(received)),
                                        fd_count, m_protocol));
    ReceivedMessage message;
    message.m_header = parsed.header;
    if (!parsed.payload.empty())
        std::memcpy(message.m_payload.data(), parsed.payload.data(), parsed.payload.size());
    // parse_message bounded fd_count by the type's max_fds, which is <= kMaxFdsPerMessage.
    for (size_t i = 0; i < fd_count; ++i)
        message.m_fds[i] = std::move(fds[i]);
    message.m_fd_count = fd_count;
    return message;
}

Result<bool> Channel::wait_readable(std::chrono::milliseconds timeout) const {
    pollfd pfd{m_socket.get(), POLLIN, 0};
    int timeout_ms = timeout.count() < 0           ? -1
                     : timeout.count() > INT32_MAX ? INT32_MAX
                                                   : static_cast<int>(timeout.count());
    for (;;) {
        int n = ::poll(&pfd, 1, timeout_ms);
        if (n >= 0)
            return n > 0;
        if (errno != EINTR)
            return Error::from_errno("poll control socket");
    }
}

} // namespace netdext::shm::ipc
