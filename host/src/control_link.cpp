// ControlLink: serialized sends and request/reply routing (see control_link.h).

#include "control_link.h"

#include <netdext/runtime.h>

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace netdext::host {

using shm::Error;
using shm::ErrorCode;
using shm::Result;
using shm::ipc::ReceivedMessage;

namespace {

// Waits until the socket can take a datagram or the deadline passes; false on timeout.
bool wait_writable(int fd, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd pfd{fd, POLLOUT, 0};
        int n = ::poll(&pfd, 1, int(left.count()));
        if (n > 0)
            return true; // writable, or an error the next sendmsg reports
        if (n < 0 && errno != EINTR)
            return false;
    }
}

} // namespace

void protocol_error(const std::string &what) {
    log_linef(LogLevel::fault, "netdext-host: protocol error: %s; exiting", what.c_str());
    // _exit: driver threads are still running; static destructors must not run under them.
    ::_exit(kExitProtocolError);
}

Result<void> ControlLink::send_payload(uint16_t type, std::span<const std::byte> payload,
                                       std::span<const int> fds, uint32_t flags, uint64_t reply_to,
                                       Waiter *waiter) {
    std::lock_guard send_lock(m_send_mutex);
    const auto deadline = std::chrono::steady_clock::now() + kSendTimeout;
    for (;;) {
        if (closed())
            return Error::from_code(ErrorCode::PeerClosed, "control channel closed");
        {
            // Held across sendmsg (non-blocking, so briefly) so that the receiver cannot route
            // the reply before the waiter is registered under the sequence just used.
            std::lock_guard lock(m_waiters_mutex);
            auto sent = m_channel.send_payload(type, payload, fds, flags, reply_to);
            if (sent) {
                if (waiter != nullptr)
                    m_waiters[sent.value()] = waiter;
                return {};
            }
            if (sent.error().code() != ErrorCode::WouldBlock)
                return sent.release_error();
        }
        // The daemon is not reading fast enough: wait for room, without holding the lock the
        // receiver needs.
        if (!wait_writable(m_channel.fd(), deadline))
            return Error::from_code(ErrorCode::WouldBlock, "control channel send timed out");
    }
}

Result<ReceivedMessage> ControlLink::request_payload(uint16_t type,
                                                     std::span<const std::byte> payload,
                                                     uint16_t reply_type,
                                                     std::chrono::milliseconds timeout) {
    Waiter waiter;
    waiter.reply_type = reply_type;
    if (auto sent = send_payload(type, payload, {}, 0, 0, &waiter); !sent)
        return sent.release_error();

    std::unique_lock lock(m_waiters_mutex);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    m_waiters_changed.wait_until(lock, deadline, [&] { return waiter.done || closed(); });
    // Whatever happened, the waiter leaves the map before it goes out of scope.
    for (auto it = m_waiters.begin(); it != m_waiters.end(); ++it) {
        if (it->second == &waiter) {
            m_waiters.erase(it);
            break;
        }
    }
    if (waiter.done && waiter.message)
        return std::move(*waiter.message);
    if (closed())
        return Error::from_code(ErrorCode::PeerClosed, "control channel closed while waiting");
    return Error::from_code(ErrorCode::WouldBlock, "no reply before the deadline");
}

ControlLink::Routed ControlLink::deliver_reply(ReceivedMessage &&message) {
    std::lock_guard lock(m_waiters_mutex);
    auto it = m_waiters.find(message.header().sequence);
    if (it == m_waiters.end())
        return Routed::Unclaimed;
    Waiter *waiter = it->second;
    if (message.type() != waiter->reply_type)
        return Routed::WrongType;
    m_waiters.erase(it);
    waiter->message.emplace(std::move(message));
    waiter->done = true;
    m_waiters_changed.notify_all();
    return Routed::Delivered;
}

void ControlLink::close() {
    {
        std::lock_guard lock(m_waiters_mutex);
        m_closed.store(true, std::memory_order_release);
    }
    m_waiters_changed.notify_all();
}

} // namespace netdext::host
