// DeviceWire: the pump between a device's TAP and its host's cable socket (see device_wire.h).

#include "device_wire.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace netdext::devices {

namespace {
constexpr int kBatch = 64;               // frames per direction before looking at the other
constexpr int kSocketBuffer = 1 << 20;   // absorbs a burst of a TCP window
} // namespace

Result<std::unique_ptr<DeviceWire>> DeviceWire::create(UniqueFd frames) {
    if (!frames.is_valid())
        return Error::from_errno(EBADF, "device wire");
    int flags = fcntl(frames.get(), F_GETFL);
    if (flags < 0 || fcntl(frames.get(), F_SETFL, flags | O_NONBLOCK) < 0)
        return Error::from_errno(errno, "fcntl");
    UniqueFd wake(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wake.is_valid())
        return Error::from_errno(errno, "eventfd");
    return std::unique_ptr<DeviceWire>(new DeviceWire(std::move(frames), std::move(wake)));
}

DeviceWire::DeviceWire(UniqueFd frames, UniqueFd wake)
    : m_frames(std::move(frames)), m_wake(std::move(wake)), m_thread([this] { run(); }) {}

DeviceWire::~DeviceWire() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    wake();
    m_thread.join();
}

void DeviceWire::wake() {
    uint64_t one = 1;
    (void)!write(m_wake.get(), &one, sizeof one);
}

Result<UniqueFd> DeviceWire::connect() {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0)
        return Error::from_errno(errno, "socketpair");
    UniqueFd ours(pair[0]), theirs(pair[1]);
    for (int fd : {pair[0], pair[1]}) // as root: past wmem_max, for both directions
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &kSocketBuffer, sizeof kSocketBuffer);
    {
        std::lock_guard lock(m_mutex);
        m_pending = std::move(ours);
        m_pending_set = true;
    }
    wake();
    return theirs;
}

void DeviceWire::disconnect() {
    {
        std::lock_guard lock(m_mutex);
        m_pending = UniqueFd();
        m_pending_set = true;
    }
    wake();
}

DeviceWire::Counters DeviceWire::counters() const {
    Counters c;
    c.to_device = m_counters.to_device.load(std::memory_order_relaxed);
    c.to_device_drops = m_counters.to_device_drops.load(std::memory_order_relaxed);
    c.from_device = m_counters.from_device.load(std::memory_order_relaxed);
    c.refused = m_counters.refused.load(std::memory_order_relaxed);
    c.tap_errors = m_counters.tap_errors.load(std::memory_order_relaxed);
    return c;
}

void DeviceWire::run() {
    UniqueFd host;
    std::vector<uint8_t> buffer(kMaxFrame + 4096); // a TAP frame up to MTU 16 KiB + headers
    for (;;) {
        pollfd fds[3] = {{m_wake.get(), POLLIN, 0},
                         {m_frames.get(), POLLIN, 0},
                         {host.get(), POLLIN, 0}}; // fd -1 is ignored
        if (poll(fds, 3, -1) < 0 && errno != EINTR)
            return;
        if (fds[0].revents != 0) {
            uint64_t value;
            (void)!read(m_wake.get(), &value, sizeof value);
            std::lock_guard lock(m_mutex);
            if (m_stop)
                return;
            if (m_pending_set) {
                host = std::move(m_pending);
                m_pending_set = false;
                m_connected = host.is_valid();
            }
        }
        if (fds[1].revents != 0)
            from_frames(host.get(), buffer);
        if (host.is_valid() && fds[2].revents != 0 && !from_host(host.get(), buffer)) {
            host = UniqueFd(); // the host is gone: unplugged until the next connect()
            m_connected = false;
        }
    }
}

void DeviceWire::from_frames(int host, std::vector<uint8_t> &buffer) {
    for (int i = 0; i < kBatch; ++i) {
        ssize_t n = read(m_frames.get(), buffer.data(), buffer.size());
        if (n <= 0)
            return; // EAGAIN, or the TAP went away (its events stop with it)
        if (host >= 0 && send(host, buffer.data(), size_t(n), MSG_DONTWAIT | MSG_NOSIGNAL) == n)
            m_counters.to_device.fetch_add(1, std::memory_order_relaxed);
        else
            m_counters.to_device_drops.fetch_add(1, std::memory_order_relaxed);
    }
}

bool DeviceWire::from_host(int host, std::vector<uint8_t> &buffer) {
    for (int i = 0; i < kBatch; ++i) {
        // MSG_TRUNC: the datagram's real length, so an oversized one is seen, not cut.
        ssize_t n = recv(host, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        if (n == 0) // end of file: the host closed its end (an empty datagram reads the same
            return false; // and unplugs only that host's own cable)
        if (size_t(n) < kMinFrame || size_t(n) > kMaxFrame) {
            m_counters.refused.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (write(m_frames.get(), buffer.data(), size_t(n)) == n)
            m_counters.from_device.fetch_add(1, std::memory_order_relaxed);
        else
            m_counters.tap_errors.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
}

} // namespace netdext::devices
