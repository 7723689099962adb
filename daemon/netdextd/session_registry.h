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

// What the Linux side says of the interface now (the session fills it in).
struct LinkView {
    std::string name;  // en<N>
    int32_t unit = 0;
    uint32_t mtu = 1500;
    uint32_t max_mtu = 0;
    bool up = false;   // SetInterfaceEnable(true) was asked and the link is up
    bool promiscuous = false;
    bool all_multicast = false;
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
    void interface_registered(const protocol::RegisterInterface &request, uint64_t controller_id,
                              uint64_t interface_id);
    void interface_gone();
    void set_hardware_assists(uint32_t assists) { m_hardware_assists = assists; }

    // The entry netdextd shows for the service, now. `iface` may be null (no interface).
    [[nodiscard]] netdext::registry::DriverServiceDescription
    describe(const NetInterface *iface, const LinkView &link) const;

    // What the driver reported (ethtool's speed and duplex come from here).
    [[nodiscard]] uint32_t link_status() const { return m_link_status; }
    [[nodiscard]] uint32_t active_medium() const { return m_active_medium; }
    [[nodiscard]] const std::optional<registry::ServiceSnapshot> &snapshot() const {
        return m_snapshot;
    }
    [[nodiscard]] bool has_interface_ids() const { return m_controller_id != 0; }

private:
    ServiceIdentity m_identity;
    registry::SnapshotAssembler m_assembler;
    std::optional<registry::ServiceSnapshot> m_snapshot;
    std::map<uint64_t, std::function<void()>> m_pending; // by RegistryRequest sequence

    std::chrono::steady_clock::time_point m_launched = std::chrono::steady_clock::now();
    std::optional<std::chrono::nanoseconds> m_busy_time; // set when Start returned
    bool m_started = false;

    uint32_t m_link_status = 0;
    uint32_t m_active_medium = 0;
    std::vector<uint32_t> m_media;
    uint32_t m_hardware_assists = 0;
    std::optional<protocol::RegisterInterface> m_registration;
    uint64_t m_controller_id = 0, m_interface_id = 0;
};

} // namespace netdext::daemon
