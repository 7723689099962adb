// An eventfd used as a doorbell between netdextd and netdext-host: non-blocking, close-on-exec.
//
// signal() adds 1 to the counter (one write(2)); drain() reads and resets it (one read(2), 0 when
// nothing was signalled); wait() polls for readability with a timeout. Rings call signal() only
// when the peer asked to be woken (see ring.h), so a busy peer costs no syscalls.
// Thread-safety: signal(), drain() and wait() may be called from any thread concurrently.
#pragma once

#include <netdext/shm/result.h>
#include <netdext/shm/sys/unique_fd.h>

#include <chrono>
#include <cstdint>

namespace netdext::shm {

class EventFd {
public:
    [[nodiscard]] static Result<EventFd> create();
    // Wraps a received eventfd and makes it non-blocking.
    [[nodiscard]] static Result<EventFd> adopt(UniqueFd fd);

    [[nodiscard]] int fd() const { return m_fd.get(); }
    // Adds one to the counter. A full counter (EAGAIN) already means "woken", so it is success.
    [[nodiscard]] Result<void> signal() const;
    // Reads and clears the counter; returns how many signals it held (0 if none).
    [[nodiscard]] Result<uint64_t> drain() const;
    // Waits until the counter is non-zero or the timeout passes; true when signalled.
    // Does not clear the counter. A negative timeout waits forever.
    [[nodiscard]] Result<bool> wait(std::chrono::milliseconds timeout) const;

private:
    explicit EventFd(UniqueFd fd) : m_fd(std::move(fd)) {}

    UniqueFd m_fd;
};

} // namespace netdext::shm
