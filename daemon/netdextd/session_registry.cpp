// One session's part of the I/O Registry (see session_registry.h).

#include "session_registry.h"

#include "net_interface.h"

#include <algorithm>
#include <cstring>

namespace netdext::daemon {

using namespace netdext::protocol;
namespace reg = netdext::registry;

SessionRegistry::SessionRegistry(ServiceIdentity identity) : m_identity(std::move(identity)) {}

bool SessionRegistry::observe(const shm::ipc::ReceivedMessage &message, std::string &error) {
    switch (message.type()) {
    case RegistrySnapshot::kType: {
        auto chunk = message.as<RegistrySnapshot>();
        if (!chunk) {
            error = "RegistrySnapshot";
            return true;
        }
        const auto status = m_assembler.add(chunk.value(), message.payload().size(), error);
        if (status != registry::SnapshotAssembler::Status::complete)
            return true; // partial, or refused with `error`
        const uint64_t request = m_assembler.request();
        auto snapshot = registry::parse_service_snapshot(m_assembler.take(), m_identity.ids, error);
        if (!snapshot)
            return true;
        m_snapshot = std::move(*snapshot);
        if (request != 0) {
            auto waiting = m_pending.find(request);
            if (waiting == m_pending.end()) {
                error = "RegistrySnapshot answers request " + std::to_string(request) +
                        ", which was not asked";
                return true;
            }
            auto done = std::move(waiting->second);
            m_pending.erase(waiting);
            done();
        }
        return true;
    }
    case LinkStatus::kType: // the first interface's (the one the registry shows)
        if (auto status = message.as<LinkStatus>(); status && status.value().interface_id == 0) {
            m_link_status = status.value().status;
            m_active_medium = status.value().media;
        }
        return false;
    case MediaTypes::kType:
        if (auto media = message.as<MediaTypes>(); media && media.value().interface_id == 0) {
            const uint32_t count = std::min(media.value().count, MediaTypes::kMaxMedia);
            m_media.assign(media.value().media, media.value().media + count);
        }
        return false;
    default:
        return false;
    }
}

void SessionRegistry::expect(uint64_t sequence, std::function<void()> done) {
    m_pending[sequence] = std::move(done);
}

void SessionRegistry::fail_pending() {
    auto pending = std::move(m_pending);
    m_pending.clear();
    for (auto &[sequence, done] : pending)
        done();
}

void SessionRegistry::start_result(bool success) {
    m_busy_time = std::chrono::steady_clock::now() - m_launched;
    m_started = success;
}

void SessionRegistry::interface_registered(const RegisterInterface &request,
                                           uint64_t controller_id, uint64_t interface_id) {
    m_registration = request;
    m_controller_id = controller_id;
    m_interface_id = interface_id;
}

void SessionRegistry::interface_gone() {
    m_registration.reset();
    m_controller_id = m_interface_id = 0;
}

reg::DriverServiceDescription SessionRegistry::describe(const NetInterface *iface,
                                                        const LinkView &link) const {
    reg::DriverServiceDescription service;
    service.user_class = m_identity.user_class;
    service.io_class = m_identity.io_class;
    service.matched_personality = m_identity.personality;
    service.cdhash = m_identity.cdhash;
    service.started = m_started;
    service.busy_count = m_busy_time ? 0 : 1; // matching and Start are still going on
    if (m_snapshot) {
        service.id = m_snapshot->id;
        service.retain_count = m_snapshot->retain_count;
        service.properties = m_snapshot->properties;
    } else {
        // No snapshot yet (Start has not returned): the first ID of the host's block, which its
        // first IOService — the driver's service — takes; the personality as the properties.
        service.id = m_identity.ids.first;
        if (m_identity.personality)
            service.properties = *m_identity.personality;
    }
    const auto now = std::chrono::steady_clock::now();
    service.busy_time_ns = uint64_t(
        std::chrono::duration_cast<std::chrono::nanoseconds>(m_busy_time.value_or(now - m_launched))
            .count());
    if (iface == nullptr || !m_registration)
        return service;

    const RegisterInterface &r = *m_registration;
    reg::EthernetDescription eth;
    eth.controller_id = m_controller_id;
    eth.interface_id = m_interface_id;
    eth.bsd_name = link.name;
    eth.unit = link.unit;
    std::memcpy(eth.mac.data(), r.mac, 6);
    eth.link_status = m_link_status;
    eth.active_medium = m_active_medium;
    eth.media = m_media;
    eth.mtu = link.mtu;
    eth.max_mtu = link.max_mtu != 0 ? link.max_mtu : link.mtu;
    eth.enabled = link.up;
    eth.promiscuous = link.promiscuous;
    eth.all_multicast = link.all_multicast;
    eth.feature_flags = r.feature_flags;
    eth.hardware_assists = m_hardware_assists;
    eth.tx_headroom = r.tx_headroom;
    eth.tx_tailroom = r.tx_tailroom;
    const InterfaceCounters &c = iface->counters();
    auto load = [](const std::atomic<uint64_t> &v) { return v.load(std::memory_order_relaxed); };
    // Packets through each queue, as the daemon's end of the rings counts them.
    const uint64_t packets[4] = {load(c.tx_submitted), load(c.tx_completed), load(c.rx_restocked),
                                 load(c.rx_completed)};
    for (size_t q = 0; q < 4; ++q) {
        // Every queue of the kind, on its lane (TX on the first pool's, RX on the last's).
        const size_t lane = q >= 2 ? iface->lane_count() - 1 : 0;
        uint32_t capacity = 0;
        for (uint32_t set = 0; set < iface->queue_count(q); ++set)
            capacity += iface->rings_layout(lane).capacity(shm::queue_ring(shm::RingId(q), set));
        eth.queues[q] = reg::QueueDescription{capacity, iface->queue_enabled(q), packets[q],
                                              iface->queue_batches(q)};
    }
    c.for_each([&](const char *name, uint64_t value) {
        if (value != 0 && std::strncmp(name, "drop_", 5) == 0)
            eth.drops[name + 5] = value;
    });
    service.ethernet = std::move(eth);
    return service;
}

} // namespace netdext::daemon
