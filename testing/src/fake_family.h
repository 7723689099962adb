// The driver test bench's in-process network family: the FamilyPort a driver talks to, plus the
// "stack" half (a DaemonEndpoint per interface) that the bench drives from the test thread.
#pragma once

#include <netdext/codesign/entitlements.h>
#include <netdext/family_port.h>
#include <netdext/registry/network.h>
#include <netdext/runtime.h>
#include <netdext/shm/daemon_endpoint.h>
#include <netdext/shm/shared_region.h>
#include <netdext/shm/sys/event_fd.h>
#include <netdext/testing/driver_bench.h>
#include <netdext/virtual_clock.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace netdext::testing {

// One pool of a bench interface and the stack's end of its rings.
struct BenchLane {
    std::optional<shm::SharedRegion> rings;
    std::optional<shm::DaemonEndpoint> endpoint;
    shm::RingsLayout layout{};
    std::array<uint32_t, 4> queue_counts{}; // by QueueKind
    uint32_t rx_capacity = 0;               // RX packets the driver may hold (all RX queues)
};

struct BenchInterface {
    IOUserNetworkEthernet *driver = nullptr;
    std::string name;
    uint32_t unit = 0;
    ether_addr_t mac{};
    uint32_t link_status = 0;
    uint32_t active_media = 0;
    std::vector<uint32_t> media_types;
    std::vector<QueueBinding> queues;        // not retained
    std::array<std::vector<bool>, 4> enabled; // by QueueKind, then queue index
    std::vector<BenchLane> lanes;            // 1 (shared pool) or 2 (TX pool, RX pool)
    shm::DropCounters reported_drops{};
    // What RegisterEthernetInterface declared, for the registry's view.
    uint32_t feature_flags = 0;
    uint16_t tx_headroom = 0, tx_tailroom = 0;
    uint32_t hardware_assists = 0; // GetHardwareAssists at registration

    bool any_enabled(QueueKind kind) const;
    IOUserNetworkPacketQueue *queue(QueueKind kind, uint32_t index) const;
    BenchLane &lane_of(QueueKind kind);
    const BenchLane &lane_of(QueueKind kind) const;
    shm::DropCounters drops() const; // summed over the lanes
};

class FakeFamily final : public FamilyPort {
public:
    FakeFamily();
    ~FakeFamily() override;

    // ---- FamilyPort (driver threads) ----
    kern_return_t create_pool(const PoolRequest &request, PoolGrant &grant) override;
    void release_pool(uint64_t pool_id) override;
    kern_return_t register_interface(const InterfaceRequest &request,
                                     InterfaceGrant &grant) override;
    void unregister_interface(IOUserNetworkEthernet *driver) override;
    void report_link_status(IOUserNetworkEthernet *driver, uint32_t status,
                            uint32_t media) override;
    void report_media_types(IOUserNetworkEthernet *driver,
                            std::span<const uint32_t> media) override;
    void report_link_quality(IOUserNetworkEthernet *driver, int32_t quality) override;
    void report_data_bandwidths(IOUserNetworkEthernet *driver, uint64_t max_in, uint64_t max_out,
                                uint64_t effective_in, uint64_t effective_out) override;
    void queue_enable_changed(IOUserNetworkEthernet *driver, QueueKind kind, uint32_t index,
                              bool enabled) override;
    void report_misuse(const OSObject *object, const std::string &what) override;

    // ---- the stack (test thread) ----
    VirtualClock &clock() { return m_clock; }
    // Reaps completions, collects RX frames, restocks RX submission. Safe to call any time.
    void process_rings();
    // Hands a frame to TX submission queue `queue` of interface `interface`.
    bool transmit(std::span<const uint8_t> frame, IOUserNetworkPacketQueue **notify,
                  size_t interface = 0, uint32_t queue = 0);
    void set_auto_restock(bool on) { m_auto_restock = on; }
    // DriverKit's family check at RegisterEthernetInterface (nullopt: none); `who` names the
    // dext in the refusal.
    void set_entitlements(std::optional<entitlements::Entitlements> granted, std::string who);
    // A registered interface as the registry shows it (bench_registry.cpp); nullopt if none.
    // Fills the queue, counter and declaration fields; the caller adds what the bench knows.
    // The interface at `index` as the registry shows it; `driver` (if given) gets the object
    // that registered it, retained.
    std::optional<registry::EthernetDescription>
    describe_interface(size_t index = 0, IOUserNetworkEthernet **driver = nullptr) const;

    // ---- observations ----
    mutable std::mutex mutex;
    std::vector<Frame> received;
    std::vector<std::string> misuses;
    std::vector<CallRecord> calls;
    std::vector<std::string> logs;
    uint64_t tx_submitted = 0;
    uint64_t tx_completed = 0;

    using Interface = BenchInterface;
    // The registered interfaces in registration order (under mutex).
    const Interface *interface(size_t index = 0) const {
        return index < m_interfaces.size() ? m_interfaces[index].get() : nullptr;
    }
    size_t interface_count() const { return m_interfaces.size(); }
    std::map<std::string, uint64_t> drops() const;
    // Packets the driver still holds according to the runtime (for the leak check at Stop).
    void note_call(const std::string &call);

private:
    struct Pool {
        std::optional<shm::SharedRegion> region;
        shm::PoolLayout layout;
    };
    void check_drops_locked(Interface &iface);
    Interface *find(IOUserNetworkEthernet *driver);

    VirtualClock m_clock;
    std::map<uint64_t, Pool> m_pools;
    uint64_t m_next_pool_id = 1;
    std::vector<std::unique_ptr<Interface>> m_interfaces;
    // Drops counted by interfaces already unregistered (drops() survives Stop).
    std::optional<shm::DropCounters> m_past_drops;
    std::optional<shm::EventFd> m_doorbell;
    bool m_auto_restock = true;
    FamilyPort *m_previous_port = nullptr;
    std::optional<entitlements::Entitlements> m_entitlements; // under mutex
    std::string m_who;
};

} // namespace netdext::testing
