// SessionRegistry: one session's part of netdextd's I/O Registry (docs/registry.md) — the
// driver's service as its host reports it (RegistrySnapshot: real ID, retain count,
// properties), matching and Start (busy state and time), and what the driver told the family
// (link status, media, MAC, queue capacities, feature flags, hardware assists), from which the
// IOSkywalkLegacyEthernet and en<N> entries are made.
//
// DextSession hands it every message from the host: snapshot chunks are taken here (a malformed
// one is a protocol error), the family's reports are recorded and left to the session as well.
// `netdextctl ioreg` asks for a fresh snapshot (expect()); whoever waits is told once the answer
// is in, or when the host goes away (fail_pending()).
//
// Threads: the daemon's main thread, like the session.
#pragma once

#include "registry/snapshot_reader.h"

#include <netdext/protocol/host_protocol.h>
#include <netdext/registry/network.h>
#include <netdext/shm/ipc/channel.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netdext::daemon {

class NetInterface;

// Who the service is, from the daemon's own records (never from the host).
struct ServiceIdentity {
    std::string user_class; // the matched personality's IOUserClass: the entry's name
    std::string io_class = "IOUserNetworkEthernet"; // its IOClass
    std::optional<netdext::registry::Value> personality; // IOMatchedPersonality
    std::string cdhash;     // IOUserServerCDHash of a signed bundle, else ""
    registry::IdBlock ids{netdext::registry::kFirstRegistryID, 1u << 16}; // the host's IDs
};

// What the Linux side says of an interface now (the session fills it in).
struct LinkView {
    std::string name;  // en<N>
    int32_t unit = 0;
    uint32_t mtu = 1500;
    uint32_t max_mtu = 0;
    bool up = false;   // SetInterfaceEnable(true) was asked and the link is up
    bool promiscuous = false;
    bool all_multicast = false;
};

// One registered interface as the session describes it.
struct PortView {
    uint32_t interface_id = 0; // the host's (protocol) id
    const NetInterface *iface = nullptr;
    LinkView link;
};

class SessionRegistry {
public:
    explicit SessionRegistry(ServiceIdentity identity);

    // A message from the host. True: a snapshot chunk, handled here (`error` set when it broke
    // the rules: a protocol error). False: the session handles it; family reports are recorded.
    bool observe(const shm::ipc::ReceivedMessage &message, std::string &error);

    // A RegistryRequest was sent with `sequence`; `done` runs once its snapshot is in (or the
    // host goes away). A request the host never answers just leaves `done` waiting here: the
    // daemon answers its client at its own deadline with the last snapshot.
    void expect(uint64_t sequence, std::function<void()> done);
    void fail_pending();
    // Requests the host has not answered yet (a host that never answers gets no more than
    // kMaxPendingRequests; later clients get the last snapshot at once).
    [[nodiscard]] size_t pending() const { return m_pending.size(); }
    static constexpr size_t kMaxPendingRequests = 16;

    // The session's milestones.
    void start_result(bool success);
    void interface_registered(uint32_t interface_id, const protocol::RegisterInterface &request,
                              uint64_t controller_id, uint64_t registry_interface_id);
    void interface_gone(uint32_t interface_id);
    void set_hardware_assists(uint32_t interface_id, uint32_t assists);

    // The entry netdextd shows for the service, now, with every registered interface of
    // `ports`: below the service when the service registered it itself, below the port service
    // that did (from the host's snapshot) otherwise.
    [[nodiscard]] netdext::registry::DriverServiceDescription
    describe(const std::vector<PortView> &ports) const;

    [[nodiscard]] const std::optional<registry::ServiceSnapshot> &snapshot() const {
        return m_snapshot;
    }

private:
    ServiceIdentity m_identity;
    registry::SnapshotAssembler m_assembler;
    std::optional<registry::ServiceSnapshot> m_snapshot;
    std::map<uint64_t, std::function<void()>> m_pending; // by RegistryRequest sequence

    std::chrono::steady_clock::time_point m_launched = std::chrono::steady_clock::now();
    std::optional<std::chrono::nanoseconds> m_busy_time; // set when Start returned
    bool m_started = false;

    // Per interface id: what the driver reported of it (kept while it is not registered, as
    // a driver may report before it registers; forgotten when a registration ends) and, while
    // registered, its registration and the registry IDs of its controller and interface entries.
    struct PortRecord {
        uint32_t link_status = 0;
        uint32_t active_medium = 0;
        std::vector<uint32_t> media;
        uint32_t hardware_assists = 0;
        std::optional<protocol::RegisterInterface> registration;
        uint64_t controller_id = 0, interface_id = 0;
    };
    std::map<uint32_t, PortRecord> m_ports;

    [[nodiscard]] netdext::registry::EthernetDescription
    describe_interface(const PortRecord &port, const NetInterface &iface,
                       const LinkView &link) const;
};

} // namespace netdext::daemon
