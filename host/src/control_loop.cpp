// ControlLoop: the main thread's receive loop (see control_loop.h).

#include "control_loop.h"

#include "device_host.h"
#include "driver_runner.h"

#include <DriverKit/IOReturn.h>
#include <netdext/runtime.h>

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace netdext::host {

using protocol::Call;
using shm::ErrorCode;
using shm::ipc::ReceivedMessage;

namespace {

std::string type_name(uint16_t type) {
    const shm::ipc::MessageSpec *spec = protocol::kProtocol.find(type);
    return spec != nullptr ? spec->name : "type " + std::to_string(type);
}

bool is_bool_call(Call call) {
    switch (call) {
    case Call::SetInterfaceEnable:
    case Call::SetPromiscuousModeEnable:
    case Call::SetAllMulticastModeEnable:
    case Call::SetWakeOnMagicPacketEnable:
        return true;
    default:
        return false;
    }
}

bool is_known_call(uint32_t call) {
    return call >= uint32_t(Call::SetInterfaceEnable) && call <= uint32_t(Call::Stop);
}

} // namespace

// ---- ExitLatch ----------------------------------------------------------------------------------

void ExitLatch::request(int status) {
    int expected = -1;
    if (m_status.compare_exchange_strong(expected, status))
        (void)m_event.signal();
}

std::optional<int> ExitLatch::status() const {
    int status = m_status.load();
    return status < 0 ? std::nullopt : std::optional<int>(status);
}

// ---- the loop -----------------------------------------------------------------------------------

int ControlLoop::run() {
    bool open = true;
    for (;;) {
        if (std::optional<int> status = m_exit.status())
            return *status;
        // A closed channel stays readable (EOF) forever: stop polling it (fd -1 is ignored).
        pollfd fds[2] = {{open ? m_link.fd() : -1, POLLIN, 0}, {m_exit.fd(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            protocol_error(std::string("poll: ") + std::strerror(errno));
        }
        while (open && fds[0].revents != 0) {
            auto received = m_link.receive();
            if (received) {
                handle(std::move(received.value()));
                continue;
            }
            if (received.error().code() == ErrorCode::WouldBlock)
                break;
            if (received.error().code() == ErrorCode::PeerClosed) {
                open = false;
                peer_closed();
                break;
            }
            protocol_error("message from netdextd rejected: " + received.error().describe());
        }
    }
}

void ControlLoop::handle(ReceivedMessage &&message) {
    if (message.header().flags & shm::ipc::kMessageFlagReply) {
        handle_reply(std::move(message));
        return;
    }
    if (handle_device(message))
        return;
    switch (message.type()) {
    case protocol::DriverCall::kType:
        handle_driver_call(message);
        return;
    case protocol::SetMulticastList::kType:
        handle_multicast_list(message);
        return;
    case protocol::RegistryRequest::kType:
        m_runner.post_registry_snapshot(message.header().sequence);
        return;
    case protocol::Terminate::kType:
        log_line(LogLevel::info, "netdext-host: Terminate: stopping the driver");
        m_stopping = true;
        m_runner.post_stop(std::nullopt);
        return;
    default:
        protocol_error("netdextd sent " + type_name(message.type()) +
                       ", which only the host sends (or only as a reply)");
    }
}

void ControlLoop::handle_reply(ReceivedMessage &&message) {
    const uint16_t type = message.type();
    const uint64_t sequence = message.header().sequence;
    if (type != protocol::PoolCreated::kType && type != protocol::InterfaceRegistered::kType)
        protocol_error("netdextd sent " + type_name(type) + " as a reply");
    // Kept for an unclaimed reply: a pool the daemon created after its request timed out.
    std::optional<protocol::PoolCreated> pool;
    if (type == protocol::PoolCreated::kType)
        pool = message.as<protocol::PoolCreated>().release_value();

    switch (m_link.deliver_reply(std::move(message))) {
    case ControlLink::Routed::Delivered:
        return;
    case ControlLink::Routed::WrongType:
        protocol_error(type_name(type) + " answers sequence " + std::to_string(sequence) +
                       ", a request of another type");
    case ControlLink::Routed::Unclaimed:
        log_linef(LogLevel::error,
                  "netdext-host: %s for sequence %llu arrived after its request gave up",
                  type_name(type).c_str(), static_cast<unsigned long long>(sequence));
        if (pool && pool->status == kIOReturnSuccess && pool->pool_id != 0)
            (void)m_link.send(protocol::ReleasePool{pool->pool_id});
        // FIXME: A late InterfaceRegistered leaves an interface the driver never saw; the
        // daemon should time out RegisterInterface itself (or the protocol gain a cancel).
        return;
    }
}

void ControlLoop::handle_driver_call(const ReceivedMessage &message) {
    protocol::DriverCall call = message.as<protocol::DriverCall>().release_value();
    if (!is_known_call(call.call))
        protocol_error("DriverCall: unknown call " + std::to_string(call.call));
    Call which = Call(call.call);
    if (is_bool_call(which) && call.arg > 1)
        protocol_error("DriverCall " + std::to_string(call.call) + ": argument " +
                       std::to_string(call.arg) + " is not 0 or 1");
    const uint64_t sequence = message.header().sequence;
    if (which == Call::Stop) {
        log_line(LogLevel::info, "netdext-host: Stop: stopping the driver");
        m_stopping = true;
        m_runner.post_stop(sequence);
        return;
    }
    if (call.interface_id >= protocol::kMaxInterfaces)
        protocol_error("DriverCall: interface id " + std::to_string(call.interface_id) +
                       " out of range");
    m_runner.post_call(which, call.arg, call.interface_id, sequence);
}

void ControlLoop::handle_multicast_list(const ReceivedMessage &message) {
    protocol::SetMulticastList list = message.as<protocol::SetMulticastList>().release_value();
    using protocol::SetMulticastList;
    if (list.count > SetMulticastList::kMaxAddresses)
        protocol_error("SetMulticastList: count " + std::to_string(list.count) + " > " +
                       std::to_string(SetMulticastList::kMaxAddresses));
    // The payload may end after the last address in use, but not before it.
    const size_t needed = offsetof(SetMulticastList, addresses) + size_t(list.count) * 6;
    if (message.payload().size() < needed)
        protocol_error("SetMulticastList: " + std::to_string(list.count) +
                       " addresses announced, payload too short");
    std::vector<ether_addr_t> addresses(list.count);
    for (uint32_t i = 0; i < list.count; ++i)
        std::memcpy(addresses[i].octet, list.addresses[i], 6);
    if (list.interface_id >= protocol::kMaxInterfaces)
        protocol_error("SetMulticastList: interface id " + std::to_string(list.interface_id) +
                       " out of range");
    m_runner.post_multicast(std::move(addresses), list.interface_id, message.header().sequence);
}

bool ControlLoop::handle_device(ReceivedMessage &message) {
    switch (message.type()) {
    case protocol::AttachDevice::kType:
    case protocol::DetachDevice::kType:
    case protocol::SetDeviceKnob::kType:
    case protocol::QueryDevice::kType:
        break;
    default:
        return false;
    }
    if (m_devices == nullptr)
        protocol_error("netdextd sent " + type_name(message.type()) +
                       " to a host not started --wait-for-device");
    switch (message.type()) {
    case protocol::AttachDevice::kType:
        m_devices->attach(message);
        break;
    case protocol::DetachDevice::kType:
        m_devices->remove();
        if (!m_stopping) { // the kernel stops a driver whose provider went away
            m_stopping = true;
            m_runner.post_stop(std::nullopt);
        }
        break;
    case protocol::SetDeviceKnob::kType:
        m_devices->set_knob(message);
        break;
    default:
        m_devices->query(message);
        break;
    }
    return true;
}

void ControlLoop::peer_closed() {
    m_link.close(); // requests waiting for a reply fail now instead of at their deadline
    if (m_stopping)
        return;
    log_line(LogLevel::notice, "netdext-host: netdextd closed the control channel; stopping");
    m_stopping = true;
    m_runner.post_stop(std::nullopt);
}

} // namespace netdext::host
