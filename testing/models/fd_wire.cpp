// FdWire: a device's cable on a TAP or a datagram socket (netdext/model/fd_wire.h).

#include <netdext/model/fd_wire.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

namespace netdext::model {

// What the cable's peer (called on device threads) and the reader thread share.
struct FdWire::Shared {
    UniqueFd fd;
    UniqueFd stop; // eventfd: wakes the reader to leave
    mutable std::mutex mutex;
    Counters counters;
};

std::unique_ptr<FdWire> FdWire::create(FramePort &port, UniqueFd fd, std::string &error) {
    if (!fd.is_valid()) {
        error = "no file descriptor";
        return nullptr;
    }
    int flags = fcntl(fd.get(), F_GETFL);
    if (flags < 0 || fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
        error = std::string("fcntl: ") + std::strerror(errno);
        return nullptr;
    }
    auto shared = std::make_shared<Shared>();
    shared->fd = std::move(fd);
    shared->stop.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!shared->stop.is_valid()) {
        error = std::string("eventfd: ") + std::strerror(errno);
        return nullptr;
    }
    return std::unique_ptr<FdWire>(new FdWire(port, std::move(shared)));
}

FdWire::FdWire(FramePort &port, std::shared_ptr<Shared> shared)
    : m_port(port), m_shared(std::move(shared)) {
    // The peer holds the shared state, not this object: a frame may still be on its way out
    // while the wire is destroyed.
    std::shared_ptr<Shared> state = m_shared;
    m_port.connect([state](std::span<const uint8_t> frame) {
        ssize_t n = write(state->fd.get(), frame.data(), frame.size());
        std::lock_guard lock(state->mutex);
        ++(n == ssize_t(frame.size()) ? state->counters.to_fd : state->counters.write_drops);
    });
    m_thread = std::thread([this] { run(); });
}

FdWire::~FdWire() {
    m_port.connect(nullptr);
    uint64_t one = 1;
    (void)!write(m_shared->stop.get(), &one, sizeof one);
    if (m_thread.joinable())
        m_thread.join();
}

void FdWire::run() {
    std::vector<uint8_t> buffer(65536);
    pollfd fds[2] = {{m_shared->fd.get(), POLLIN, 0}, {m_shared->stop.get(), POLLIN, 0}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents != 0)
            return; // asked to stop
        if ((fds[0].revents & (POLLERR | POLLNVAL)) != 0)
            break;
        ssize_t n = read(m_shared->fd.get(), buffer.data(), buffer.size());
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            break; // end of file or an error: the other side is gone
        bool taken = m_port.deliver(std::span<const uint8_t>(buffer.data(), size_t(n)));
        std::lock_guard lock(m_shared->mutex);
        ++(taken ? m_shared->counters.from_fd : m_shared->counters.refused);
    }
    m_running = false;
    m_port.connect(nullptr); // an unplugged cable
}

FdWire::Counters FdWire::counters() const {
    std::lock_guard lock(m_shared->mutex);
    return m_shared->counters;
}

} // namespace netdext::model
