// HostFamily: the family port over the control channel (see host_family.h).

#include "host_family.h"

#include <NetworkingDriverKit/IOUserNetworkEthernet.h>
#include <netdext/runtime.h>
#include <netdext/shm/shared_region.h>

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace netdext::host {

using protocol::CreatePool;
using protocol::InterfaceRegistered;
using protocol::PoolCreated;
using protocol::RegisterInterface;
using shm::ErrorCode;
using shm::RingId;

namespace {

// A failed request as DriverKit sees it.
kern_return_t request_failure(const shm::Error &error, const char *what) {
    log_linef(LogLevel::error, "netdext-host: %s: %s", what, error.describe().c_str());
    switch (error.code()) {
    case ErrorCode::WouldBlock:
        return kIOReturnTimeout; // no reply (or no room to send) before the deadline
    case ErrorCode::PeerClosed:
        return kIOReturnNotAttached; // netdextd is gone; the host is stopping
    default:
        return kIOReturnIPCError;
    }
}

// What keeps a pool's memory mapped: the runtime drops it after its last packet object.
struct PoolMemory {
    shm::SharedRegion region;
};

// What keeps an interface's rings mapped and its daemon doorbell open: the runtime's
// DriverEndpoint points into both and drops the grant only after the endpoint.
struct InterfaceMemory {
    shm::SharedRegion rings;
    shm::EventFd daemon_doorbell;
};

} // namespace

HostFamily::~HostFamily() {
    std::unique_ptr<Registration> registration;
    {
        std::lock_guard lock(m_mutex);
        registration = std::move(m_registration);
    }
    if (registration)
        stop_registration(std::move(registration));
}

// ---- pools ----------------------------------------------------------------------------------

kern_return_t HostFamily::create_pool(const PoolRequest &request, PoolGrant &grant) {
    CreatePool message{};
    message.packet_count = request.packet_count;
    message.buffer_count = request.buffer_count;
    message.buffer_size = request.buffer_size;
    message.pool_flags = request.pool_flags;
    copy_string(message.name, request.name);
    auto received = m_link.request<CreatePool, PoolCreated>(message, kReplyTimeout);
    if (!received)
        return request_failure(received.error(), "CreatePool");
    shm::ipc::ReceivedMessage &reply = received.value();
    PoolCreated created = reply.as<PoolCreated>().release_value(); // type checked by the link
    if (created.status != kIOReturnSuccess)
        return created.status; // the daemon refused (sizes, limits, memory): tell the driver

    // From here on the daemon said yes, so anything inconsistent is a daemon bug.
    if (reply.fd_count() != 1 || created.pool_id == 0)
        protocol_error("PoolCreated: success needs one memfd and a non-zero pool id");
    auto layout =
        shm::PoolLayout::compute(created.packet_count, created.buffer_count, created.buffer_size);
    if (!layout)
        protocol_error("PoolCreated: counts give no valid layout: " + layout.error().describe());
    if (layout.value().total_size != created.total_size)
        protocol_error("PoolCreated: total_size differs from the layout of its counts");
    auto region = shm::SharedRegion::attach(reply.take_fd(0), layout.value().total_size);
    if (!region)
        protocol_error("PoolCreated: pool memfd refused: " + region.error().describe());
    if (auto checked = layout.value().check(region.value().bytes()); !checked)
        protocol_error("PoolCreated: pool header: " + checked.error().describe() +
                       " (did the daemon initialise it?)");

    auto memory = std::make_shared<PoolMemory>(PoolMemory{region.release_value()});
    grant.region = memory->region.bytes();
    grant.layout = layout.value();
    grant.pool_id = created.pool_id;
    grant.keepalive = std::move(memory);
    return kIOReturnSuccess;
}

void HostFamily::release_pool(uint64_t pool_id) {
    (void)m_link.send(protocol::ReleasePool{pool_id});
}

// ---- the interface --------------------------------------------------------------------------

kern_return_t HostFamily::register_interface(const InterfaceRequest &request,
                                             InterfaceGrant &grant) {
    std::lock_guard lock(m_mutex);
    if (m_registration) {
        // FIXME: One interface per host until the protocol names interfaces in its messages.
        log_line(LogLevel::error,
                 "netdext-host: RegisterEthernetInterface: this dext already registered an "
                 "interface (netdext supports one per dext)");
        return kIOReturnBusy;
    }
    IOUserNetworkPacketQueue *tx_queue = request.queues[size_t(QueueKind::tx_submission)];
    auto layout = shm::RingsLayout::compute(request.capacities);
    if (tx_queue == nullptr || !layout)
        return kIOReturnBadArgument;

    RegisterInterface message{};
    message.pool_id = request.pool_id;
    std::memcpy(message.mac, request.mac.octet, sizeof message.mac);
    message.tx_headroom = request.tx_headroom;
    message.tx_tailroom = request.tx_tailroom;
    message.feature_flags = request.feature_flags;
    for (size_t i = 0; i < shm::kRingCount; ++i)
        message.capacities[i] = request.capacities[i];
    auto received = m_link.request<RegisterInterface, InterfaceRegistered>(message, kReplyTimeout);
    if (!received)
        return request_failure(received.error(), "RegisterInterface");
    shm::ipc::ReceivedMessage &reply = received.value();
    InterfaceRegistered registered = reply.as<InterfaceRegistered>().release_value();
    if (registered.status != kIOReturnSuccess)
        return registered.status;

    if (reply.fd_count() != 3)
        protocol_error("InterfaceRegistered: success needs the rings memfd and two eventfds");
    if (registered.rings_size != layout.value().total_size)
        protocol_error("InterfaceRegistered: rings_size differs from the layout of the "
                       "capacities sent");
    auto rings = shm::SharedRegion::attach(reply.take_fd(0), layout.value().total_size);
    if (!rings)
        protocol_error("InterfaceRegistered: rings memfd refused: " + rings.error().describe());
    if (auto checked = layout.value().check(rings.value().bytes()); !checked)
        protocol_error("InterfaceRegistered: rings header: " + checked.error().describe());
    auto daemon_doorbell = shm::EventFd::adopt(reply.take_fd(1));
    auto host_doorbell = shm::EventFd::adopt(reply.take_fd(2));
    auto stop = shm::EventFd::create();
    if (!daemon_doorbell || !host_doorbell)
        protocol_error("InterfaceRegistered: doorbell is not an eventfd");
    if (!stop) {
        log_linef(LogLevel::error, "netdext-host: eventfd: %s", stop.error().describe().c_str());
        (void)m_link.send(protocol::UnregisterInterface{});
        return kIOReturnNoResources;
    }

    auto memory = std::make_shared<InterfaceMemory>(
        InterfaceMemory{rings.release_value(), daemon_doorbell.release_value()});
    grant.rings_region = memory->rings.bytes();
    grant.layout = layout.value();
    // The daemon is the peer of every ring: it consumes what the driver produces and may wait
    // for room on the rings it produces. One eventfd serves all six.
    for (RingId id : shm::kAllRings)
        grant.doorbells.peer[shm::ring_slot(id)] = &memory->daemon_doorbell;
    grant.bsd_name = bounded_string(registered.name);
    grant.unit = registered.unit;
    grant.keepalive = std::move(memory);

    auto registration = std::make_unique<Registration>();
    registration->driver = request.driver;
    tx_queue->retain();
    registration->tx_queue = tx_queue;
    IOUserNetworkPacketQueue *rx_queue = request.queues[size_t(QueueKind::rx_submission)];
    if (rx_queue != nullptr)
        rx_queue->retain();
    registration->rx_queue = rx_queue;
    registration->host_doorbell = std::make_unique<shm::EventFd>(host_doorbell.release_value());
    registration->stop = std::make_unique<shm::EventFd>(stop.release_value());
    registration->doorbell_thread =
        std::thread(run_doorbell_thread, std::cref(*registration->host_doorbell),
                    std::cref(*registration->stop), tx_queue, rx_queue);
    m_registration = std::move(registration);
    return kIOReturnSuccess;
}

void HostFamily::unregister_interface(IOUserNetworkEthernet *driver) {
    std::unique_ptr<Registration> registration;
    {
        std::lock_guard lock(m_mutex);
        if (!m_registration || m_registration->driver != driver)
            return;
        registration = std::move(m_registration);
    }
    // No doorbell may run the driver's TX action once it is unregistered.
    stop_registration(std::move(registration));
    (void)m_link.send(protocol::UnregisterInterface{});
}

// Doorbell thread: sleeps on the host doorbell; each ring means "TX frames (or empty RX buffers)
// are waiting". The queues check their rings; RX submission notifies only drivers with a handler.
void HostFamily::run_doorbell_thread(const shm::EventFd &doorbell, const shm::EventFd &stop,
                                     IOUserNetworkPacketQueue *tx_queue,
                                     IOUserNetworkPacketQueue *rx_queue) {
    for (;;) {
        pollfd fds[2] = {{doorbell.fd(), POLLIN, 0}, {stop.fd(), POLLIN, 0}};
        int n = ::poll(fds, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || fds[1].revents != 0)
            return;
        if (fds[0].revents & (POLLERR | POLLNVAL))
            return;
        if (fds[0].revents & POLLIN) {
            (void)doorbell.drain();
            // Runs the driver's handlers on their queues (asynchronously; never blocks).
            tx_queue->netdext_packets_available();
            if (rx_queue != nullptr)
                rx_queue->netdext_packets_available();
        }
    }
}

void HostFamily::stop_registration(std::unique_ptr<Registration> registration) {
    (void)registration->stop->signal();
    if (registration->doorbell_thread.joinable())
        registration->doorbell_thread.join();
    OSSafeReleaseNULL(registration->tx_queue);
    OSSafeReleaseNULL(registration->rx_queue);
}

// ---- reports --------------------------------------------------------------------------------

void HostFamily::report_link_status(IOUserNetworkEthernet *, uint32_t status, uint32_t media) {
    (void)m_link.send(protocol::LinkStatus{status, media});
}

void HostFamily::report_media_types(IOUserNetworkEthernet *, std::span<const uint32_t> media) {
    protocol::MediaTypes message{};
    if (media.size() > protocol::MediaTypes::kMaxMedia)
        log_linef(LogLevel::error,
                  "netdext-host: ReportAvailableMediaTypes: %zu media types, only the first %u "
                  "reach the system",
                  media.size(), protocol::MediaTypes::kMaxMedia);
    message.count = uint32_t(std::min<size_t>(media.size(), protocol::MediaTypes::kMaxMedia));
    std::copy_n(media.begin(), message.count, message.media);
    (void)m_link.send(message);
}

void HostFamily::report_link_quality(IOUserNetworkEthernet *, int32_t quality) {
    (void)m_link.send(protocol::LinkQuality{quality});
}

void HostFamily::report_data_bandwidths(IOUserNetworkEthernet *, uint64_t max_in, uint64_t max_out,
                                        uint64_t effective_in, uint64_t effective_out) {
    (void)m_link.send(protocol::DataBandwidths{max_in, max_out, effective_in, effective_out});
}

void HostFamily::queue_enable_changed(IOUserNetworkEthernet *, QueueKind kind, bool enabled) {
    protocol::QueueEnable message{};
    message.kind = uint8_t(kind);
    message.enabled = enabled ? 1 : 0;
    (void)m_link.send(message);
}

void HostFamily::report_misuse(const OSObject *object, const std::string &what) {
    protocol::Misuse message{};
    copy_string(message.text,
                object != nullptr ? std::string(object->GetClassName()) + ": " + what : what);
    (void)m_link.send(message);
}

} // namespace netdext::host
