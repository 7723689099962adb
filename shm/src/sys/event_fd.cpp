#include <netdext/shm/sys/event_fd.h>

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace netdext::shm {

Result<EventFd> EventFd::create() {
    UniqueFd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!fd.is_valid())
        return Error::from_errno("eventfd");
    return EventFd(std::move(fd));
}

Result<EventFd> EventFd::adopt(UniqueFd fd) {
    if (!fd.is_valid())
        return Error::from_code(ErrorCode::InvalidArgument, "eventfd descriptor");
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0)
        return Error::from_errno("F_GETFL eventfd");
    if (::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        return Error::from_errno("F_SETFL eventfd");
    // FIXME: Verify the descriptor really is an eventfd; today the caller vouches for it.
    return EventFd(std::move(fd));
}

Result<void> EventFd::signal() const {
    uint64_t one = 1;
    for (;;) {
        ssize_t n = ::write(m_fd.get(), &one, sizeof one);
        if (n == sizeof one)
            return {};
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return {}; // the counter is saturated: the reader has a wakeup pending already
        return Error::from_errno("eventfd write");
    }
}

Result<uint64_t> EventFd::drain() const {
    uint64_t value = 0;
    for (;;) {
        ssize_t n = ::read(m_fd.get(), &value, sizeof value);
        if (n == sizeof value)
            return value;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return uint64_t{0};
        return Error::from_errno("eventfd read");
    }
}

Result<bool> EventFd::wait(std::chrono::milliseconds timeout) const {
    pollfd pfd{m_fd.get(), POLLIN, 0};
    int timeout_ms = timeout.count() < 0           ? -1
                     : timeout.count() > INT32_MAX ? INT32_MAX
                                                   : static_cast<int>(timeout.count());
    for (;;) {
        int n = ::poll(&pfd, 1, timeout_ms);
        if (n >= 0)
            return n > 0;
        if (errno != EINTR)
            return Error::from_errno("poll eventfd");
    }
}

} // namespace netdext::shm
