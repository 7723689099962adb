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
    case LinkStatus::kType:
        if (auto status = message.as<LinkStatus>();
            status && status.value().interface_id < kMaxInterfaces) {
            PortRecord &port = m_ports[status.value().interface_id];
            port.link_status = status.value().status;
            port.active_medium = status.value().media;
        }
        return false;
    case MediaTypes::kType:
        if (auto media = message.as<MediaTypes>();
            media && media.value().interface_id < kMaxInterfaces) {
            const uint32_t count = std::min(media.value().count, MediaTypes::kMaxMedia);
            m_ports[media.value().interface_id].media.assign(media.value().media,
                                                             media.value().media + count);
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

void SessionRegistry::interface_registered(uint32_t interface_id, const RegisterInterface &request,
                                           uint64_t controller_id, uint64_t registry_interface_id) {
    PortRecord &port = m_ports[interface_id];
    port.registration = request;
    port.controller_id = controller_id;
    port.interface_id = registry_interface_id;
}

void SessionRegistry::interface_gone(uint32_t interface_id) {
    // What its driver reported goes too: the next driver object with this id reports its own.
    m_ports.erase(interface_id);
}

void SessionRegistry::set_hardware_assists(uint32_t interface_id, uint32_t assists) {
    m_ports[interface_id].hardware_assists = assists;
}

reg::DriverServiceDescription SessionRegistry::describe(const std::vector<PortView> &ports) const {
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
    std::vector<uint64_t> placed; // port services already shown (an ID is shown once)
    for (const PortView &view : ports) {
        auto found = m_ports.find(view.interface_id);
        if (view.iface == nullptr || found == m_ports.end() || !found->second.registration)
            continue;
        reg::EthernetDescription eth = describe_interface(found->second, *view.iface, view.link);
        const uint64_t owner = found->second.registration->registry_id;
        // The service registered it itself: below the service. A host names the object, so
        // an ID outside its block, or one already shown, is not believed: below the service
        // too, if that has no interface yet; left out otherwise.
        const bool own = owner == service.id || owner == 0 || !m_identity.ids.contains(owner) ||
                         std::find(placed.begin(), placed.end(), owner) != placed.end();
        if (own) {
            if (!service.ethernet)
                service.ethernet = std::move(eth);
            continue;
        }
        placed.push_back(owner);
        reg::PortServiceDescription port;
        port.id = owner;
        port.user_class = "IOUserNetworkEthernet"; // until a snapshot names it
        if (m_snapshot)
            for (const registry::ServiceSnapshot &made : m_snapshot->ports)
                if (made.id == owner) {
                    port.user_class = made.class_name;
                    port.properties = made.properties;
                    port.retain_count = made.retain_count;
                    // Its IOClass (Create's dictionary names it), when it is a name.
                    if (const reg::Value *io_class = made.properties.find("IOClass");
                        io_class != nullptr && io_class->is(reg::Value::Type::string) &&
                        registry::is_class_name(io_class->text()))
                        port.io_class = io_class->text();
                }
        port.ethernet = std::move(eth);
        service.ports.push_back(std::move(port));
    }
    return service;
}

reg::EthernetDescription SessionRegistry::describe_interface(const PortRecord &port,
                                                             const NetInterface &iface,
                                                             const LinkView &link) const {
    const RegisterInterface &r = *port.registration;
    reg::EthernetDescription eth;
    eth.controller_id = port.controller_id;
    eth.interface_id = port.interface_id;
    eth.bsd_name = link.name;
    eth.unit = link.unit;
    std::memcpy(eth.mac.data(), r.mac, 6);
    eth.link_status = port.link_status;
    eth.active_medium = port.active_medium;
    eth.media = port.media;
    eth.mtu = link.mtu;
    eth.max_mtu = link.max_mtu != 0 ? link.max_mtu : link.mtu;
    eth.enabled = link.up;
    eth.promiscuous = link.promiscuous;
    eth.all_multicast = link.all_multicast;
    eth.feature_flags = r.feature_flags;
    eth.hardware_assists = port.hardware_assists;
    eth.tx_headroom = r.tx_headroom;
    eth.tx_tailroom = r.tx_tailroom;
    const InterfaceCounters &c = iface.counters();
    auto load = [](const std::atomic<uint64_t> &v) { return v.load(std::memory_order_relaxed); };
    // Packets through each queue, as the daemon's end of the rings counts them.
    const uint64_t packets[4] = {load(c.tx_submitted), load(c.tx_completed), load(c.rx_restocked),
                                 load(c.rx_completed)};
    for (size_t q = 0; q < 4; ++q) {
        // Every queue of the kind, on its lane (TX on the first pool's, RX on the last's).
        const size_t lane = q >= 2 ? iface.lane_count() - 1 : 0;
        uint32_t capacity = 0;
        for (uint32_t set = 0; set < iface.queue_count(q); ++set)
            capacity += iface.rings_layout(lane).capacity(shm::queue_ring(shm::RingId(q), set));
        eth.queues[q] = reg::QueueDescription{capacity, iface.queue_enabled(q), packets[q],
                                              iface.queue_batches(q)};
    }
    c.for_each([&](const char *name, uint64_t value) {
        if (value != 0 && std::strncmp(name, "drop_", 5) == 0)
            eth.drops[name + 5] = value;
    });
    return eth;
}

} // namespace netdext::daemon
