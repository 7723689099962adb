// HostFamily: the family port over the control channel (see host_family.h).

#include "host_family.h"

#include <DriverKit/IODispatchQueue.h>
#include <NetworkingDriverKit/IOUserNetworkEthernet.h>
#include <netdext/runtime.h>
#include <netdext/shm/shared_region.h>

#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

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

// What keeps an interface's rings mapped and its daemon doorbells open: the runtime's
// DriverEndpoints point into both and drop the grant only after the endpoints.
struct InterfaceMemory {
    std::vector<shm::SharedRegion> rings; // by lane
    std::vector<shm::EventFd> daemon_doorbells; // one per frame mover of the daemon
};

} // namespace

HostFamily::~HostFamily() {
    std::map<uint32_t, std::shared_ptr<Registration>> registrations;
    {
        std::lock_guard lock(m_mutex);
        registrations.swap(m_registrations);
    }
    for (auto &[id, registration] : registrations)
        stop_registration(std::move(registration));
}

uint32_t HostFamily::id_of(IOUserNetworkEthernet *driver) {
    std::lock_guard lock(m_mutex);
    if (auto found = m_ids.find(driver); found != m_ids.end())
        return found->second;
    for (uint32_t id = 0; id < protocol::kMaxInterfaces; ++id) {
        bool taken = false;
        for (const auto &[other, other_id] : m_ids)
            taken = taken || other_id == id;
        if (!taken) {
            m_ids[driver] = id;
            return id;
        }
    }
    log_linef(LogLevel::error, "netdext-host: more than %u interfaces in one dext",
              protocol::kMaxInterfaces);
    return kNoInterface;
}

IOUserNetworkEthernet *HostFamily::copy_driver(uint32_t interface_id) {
    std::lock_guard lock(m_mutex);
    auto found = m_registrations.find(interface_id);
    if (found == m_registrations.end())
        return nullptr;
    found->second->driver->retain();
    return found->second->driver;
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
    const uint32_t id = id_of(request.driver);
    if (id == kNoInterface)
        return kIOReturnNoResources;
    if (request.lanes.empty() || request.lanes.size() > protocol::kMaxLanes)
        return kIOReturnBadArgument;
    std::vector<shm::RingsLayout> layouts;
    RegisterInterface message{};
    message.interface_id = id;
    std::memcpy(message.mac, request.mac.octet, sizeof message.mac);
    message.tx_headroom = request.tx_headroom;
    message.tx_tailroom = request.tx_tailroom;
    message.feature_flags = request.feature_flags;
    message.lane_count = uint16_t(request.lanes.size());
    message.hardware_assists = request.hardware_assists;
    message.tso_max_bytes = request.tso_max_bytes;
    (void)request.driver->GetRegistryEntryID(&message.registry_id);
    for (size_t lane = 0; lane < request.lanes.size(); ++lane) {
        const LaneRequest &r = request.lanes[lane];
        auto layout = shm::RingsLayout::compute(r.capacities, r.more);
        if (!layout || r.more.size() > std::size(message.lanes[lane].more))
            return kIOReturnBadArgument;
        layouts.push_back(layout.value());
        protocol::InterfaceLane &out = message.lanes[lane];
        out.pool_id = r.pool_id;
        for (size_t k = 0; k < 4; ++k)
            out.queue_counts[k] = r.queue_counts[k];
        for (size_t i = 0; i < shm::kRingCount; ++i)
            out.capacities[i] = r.capacities[i];
        for (size_t set = 0; set < r.more.size(); ++set)
            for (size_t k = 0; k < 4; ++k)
                out.more[set][k] = r.more[set][k];
    }
    {
        std::lock_guard lock(m_mutex);
        if (m_registrations.count(id) != 0)
            return kIOReturnBusy;
    }
    auto received = m_link.request<RegisterInterface, InterfaceRegistered>(message, kReplyTimeout);
    if (!received)
        return request_failure(received.error(), "RegisterInterface");
    shm::ipc::ReceivedMessage &reply = received.value();
    InterfaceRegistered registered = reply.as<InterfaceRegistered>().release_value();
    if (registered.status != kIOReturnSuccess)
        return registered.status;

    const size_t lanes = layouts.size();
    const size_t doorbells = registered.doorbells;
    if (registered.interface_id != id || registered.lane_count != lanes || doorbells == 0 ||
        doorbells > protocol::kMaxDoorbells || reply.fd_count() != lanes + 2 * doorbells)
        protocol_error("InterfaceRegistered: success needs the interface id, a rings memfd per "
                       "lane and 1 to 8 pairs of doorbells");
    auto memory = std::make_shared<InterfaceMemory>();
    for (size_t lane = 0; lane < lanes; ++lane) {
        if (registered.rings_size[lane] != layouts[lane].total_size)
            protocol_error("InterfaceRegistered: rings_size differs from the layout of the "
                           "capacities sent");
        auto rings = shm::SharedRegion::attach(reply.take_fd(lane), layouts[lane].total_size);
        if (!rings)
            protocol_error("InterfaceRegistered: rings memfd refused: " + rings.error().describe());
        if (auto checked = layouts[lane].check(rings.value().bytes()); !checked)
            protocol_error("InterfaceRegistered: rings header: " + checked.error().describe());
        memory->rings.push_back(rings.release_value());
    }
    for (size_t d = 0; d < doorbells; ++d) {
        auto daemon_doorbell = shm::EventFd::adopt(reply.take_fd(lanes + d));
        if (!daemon_doorbell)
            protocol_error("InterfaceRegistered: a daemon doorbell is not an eventfd");
        memory->daemon_doorbells.push_back(daemon_doorbell.release_value());
    }
    auto registration = std::make_shared<Registration>();
    for (size_t d = 0; d < doorbells; ++d) {
        auto host_doorbell = shm::EventFd::adopt(reply.take_fd(lanes + doorbells + d));
        if (!host_doorbell)
            protocol_error("InterfaceRegistered: a host doorbell is not an eventfd");
        auto &doorbell = registration->doorbells.emplace_back(std::make_unique<Doorbell>());
        doorbell->eventfd = std::make_unique<shm::EventFd>(host_doorbell.release_value());
    }
    auto stop = shm::EventFd::create();
    if (!stop) {
        log_linef(LogLevel::error, "netdext-host: eventfd: %s", stop.error().describe().c_str());
        (void)m_link.send(protocol::UnregisterInterface{id});
        return kIOReturnNoResources;
    }
    for (size_t lane = 0; lane < lanes; ++lane) {
        LaneGrant &out = grant.lanes.emplace_back();
        out.rings_region = memory->rings[lane].bytes();
        out.layout = layouts[lane];
        // The daemon is the peer of every ring: it consumes what the driver produces and may
        // wait for room on the rings it produces. Queue set q's rings wake the mover serving
        // it (doorbell q % doorbells); the free and allocation rings the first.
        for (size_t slot = 0; slot < layouts[lane].ring_count(); ++slot)
            out.doorbells.peer[slot] =
                &memory->daemon_doorbells[shm::ring_queue(RingId(slot)) % doorbells];
    }
    grant.bsd_name = bounded_string(registered.name);
    grant.unit = registered.unit;
    grant.keepalive = std::move(memory);

    registration->driver = request.driver;
    // Each doorbell thread hands the rings of its queue sets to their submission queues.
    for (const QueueBinding &b : request.queues)
        if (b.kind == QueueKind::tx_submission || b.kind == QueueKind::rx_submission) {
            b.queue->retain();
            registration->doorbells[b.index % doorbells]->submission.push_back(b.queue);
        }
    registration->stop = std::make_unique<shm::EventFd>(stop.release_value());
    // A thread per doorbell, as many as the sandbox's thread limit allows (the threads share out
    // the doorbells once they know how many they are).
    std::promise<uint32_t> thread_count;
    registration->thread_count = thread_count.get_future().share();
    for (uint32_t t = 0; t < doorbells; ++t) {
        auto thread = std::make_unique<DoorbellThread>();
        thread->index = t;
        try {
            thread->thread = std::thread(run_doorbell_thread, registration, thread.get());
        } catch (const std::system_error &e) {
            log_linef(LogLevel::error, "netdext-host: doorbell thread %u of %zu: %s", t, doorbells,
                      e.what());
            break;
        }
        registration->threads.push_back(std::move(thread));
    }
    thread_count.set_value(uint32_t(registration->threads.size()));
    if (registration->threads.empty()) {
        (void)m_link.send(protocol::UnregisterInterface{id});
        return kIOReturnNoResources;
    }
    std::lock_guard lock(m_mutex);
    m_registrations[id] = std::move(registration);
    return kIOReturnSuccess;
}

void HostFamily::unregister_interface(IOUserNetworkEthernet *driver) {
    std::shared_ptr<Registration> registration;
    uint32_t id = kNoInterface;
    {
        std::lock_guard lock(m_mutex);
        auto found = m_ids.find(driver);
        if (found == m_ids.end())
            return;
        id = found->second;
        m_ids.erase(found);
        auto registered = m_registrations.find(id);
        if (registered == m_registrations.end())
            return;
        registration = std::move(registered->second);
        m_registrations.erase(registered);
    }
    // No doorbell may run the driver's TX action once it is unregistered.
    stop_registration(std::move(registration));
    (void)m_link.send(protocol::UnregisterInterface{id});
}

// Doorbell thread: sleeps on the host doorbell; each ring means "TX frames (or empty RX buffers)
// are waiting". The queues check their rings; RX submission notifies only drivers with a handler.
// A handler whose dispatch queue is idle runs here at once (netdext::InlineDispatchScope) rather
// than after a second thread wakes up for it.
void HostFamily::run_doorbell_thread(std::shared_ptr<Registration> registration,
                                     DoorbellThread *self) {
    pthread_setname_np(pthread_self(), "doorbell");
    netdext::InlineDispatchScope inline_dispatch;
    const uint32_t threads = registration->thread_count.get();
    // Its doorbells, and the stop eventfd last.
    std::vector<Doorbell *> bells;
    std::vector<pollfd> fds;
    for (size_t d = self->index; d < registration->doorbells.size(); d += threads) {
        bells.push_back(registration->doorbells[d].get());
        fds.push_back({bells.back()->eventfd->fd(), POLLIN, 0});
    }
    fds.push_back({registration->stop->fd(), POLLIN, 0});
    for (;;) {
        for (pollfd &fd : fds)
            fd.revents = 0;
        int n = ::poll(fds.data(), fds.size(), -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || fds.back().revents != 0)
            return;
        for (size_t b = 0; b < bells.size(); ++b) {
            if (fds[b].revents & (POLLERR | POLLNVAL))
                return;
            if (!(fds[b].revents & POLLIN))
                continue;
            (void)bells[b]->eventfd->drain();
            // Runs the driver's handlers on their queues (at once here when idle, else queued).
            for (IOUserNetworkPacketQueue *queue : bells[b]->submission) {
                std::lock_guard lock(self->dispatching);
                if (registration->stopping.load(std::memory_order_acquire))
                    return;
                queue->netdext_packets_available();
            }
        }
    }
}

// No doorbell starts the driver's TX action once this returns, and the thread is gone with its
// references to the queues — unless it is running a handler inline while this is called from a
// dispatch queue (a driver's Stop, say): that handler may itself be waiting for this queue, so
// the thread is left to end after it, on its own, holding the registration until then, as a
// handler already running on a queue would.
void HostFamily::stop_registration(std::shared_ptr<Registration> registration) {
    registration->stopping.store(true, std::memory_order_release);
    (void)registration->stop->signal();
    for (auto &thread : registration->threads) {
        if (!thread->thread.joinable())
            continue;
        const bool dispatching = !std::unique_lock(thread->dispatching, std::try_to_lock);
        if (dispatching && IODispatchQueue::netdext_current() != nullptr)
            thread->thread.detach();
        else
            thread->thread.join();
    }
}

HostFamily::Registration::~Registration() {
    for (auto &doorbell : doorbells)
        for (IOUserNetworkPacketQueue *&queue : doorbell->submission)
            OSSafeReleaseNULL(queue);
}

// ---- reports --------------------------------------------------------------------------------

void HostFamily::report_link_status(IOUserNetworkEthernet *driver, uint32_t status,
                                    uint32_t media) {
    if (uint32_t id = id_of(driver); id != kNoInterface)
        (void)m_link.send(protocol::LinkStatus{status, media, id});
}

void HostFamily::report_media_types(IOUserNetworkEthernet *driver,
                                    std::span<const uint32_t> media) {
    protocol::MediaTypes message{};
    message.interface_id = id_of(driver);
    if (message.interface_id == kNoInterface)
        return;
    if (media.size() > protocol::MediaTypes::kMaxMedia)
        log_linef(LogLevel::error,
                  "netdext-host: ReportAvailableMediaTypes: %zu media types, only the first %u "
                  "reach the system",
                  media.size(), protocol::MediaTypes::kMaxMedia);
    message.count = uint32_t(std::min<size_t>(media.size(), protocol::MediaTypes::kMaxMedia));
    std::copy_n(media.begin(), message.count, message.media);
    (void)m_link.send(message);
}

void HostFamily::report_link_quality(IOUserNetworkEthernet *driver, int32_t quality) {
    if (uint32_t id = id_of(driver); id != kNoInterface)
        (void)m_link.send(protocol::LinkQuality{quality, id});
}

void HostFamily::report_data_bandwidths(IOUserNetworkEthernet *driver, uint64_t max_in,
                                        uint64_t max_out, uint64_t effective_in,
                                        uint64_t effective_out) {
    if (uint32_t id = id_of(driver); id != kNoInterface)
        (void)m_link.send(
            protocol::DataBandwidths{max_in, max_out, effective_in, effective_out, id, 0});
}

void HostFamily::queue_enable_changed(IOUserNetworkEthernet *driver, QueueKind kind,
                                      uint32_t index, bool enabled) {
    protocol::QueueEnable message{};
    message.kind = uint8_t(kind);
    message.enabled = enabled ? 1 : 0;
    message.index = uint16_t(index);
    message.interface_id = id_of(driver);
    if (message.interface_id != kNoInterface)
        (void)m_link.send(message);
}

void HostFamily::report_misuse(const OSObject *object, const std::string &what) {
    protocol::Misuse message{};
    copy_string(message.text,
                object != nullptr ? std::string(object->GetClassName()) + ": " + what : what);
    (void)m_link.send(message);
}

} // namespace netdext::host
