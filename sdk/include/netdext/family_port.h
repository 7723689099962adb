/*
 * netdext/family_port.h — the boundary between NetworkingDriverKit classes and "the system".
 *
 * Everything IOUserNetwork* classes ask of the kernel on macOS goes through the installed
 * FamilyPort: shared memory for pools and rings, interface registration, status reports, queue
 * enables, and misuse reports. Two implementations exist: the IPC client inside netdext-host
 * (talking to netdextd) and the in-process fake of the driver test bench. Driver code cannot tell
 * them apart. Calls arrive on driver threads (any dispatch queue); implementations are
 * thread-safe. The port must outlive every pool and interface it granted.
 */
#ifndef _NETDEXT_FAMILY_PORT_H
#define _NETDEXT_FAMILY_PORT_H

#include <DriverKit/IOReturn.h>
#include <NetworkingDriverKit/IOUserNetworkPacketQueue.h>
#include <NetworkingDriverKit/IOUserNetworkTypes.h>
#include <netdext/shm/daemon_endpoint.h>
#include <netdext/shm/pool_layout.h>
#include <netdext/shm/rings_layout.h>

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

class IOUserNetworkEthernet;
class OSObject;

namespace netdext {

struct PoolRequest {
    std::string name;
    uint32_t packet_count = 0;
    uint32_t buffer_count = 0;
    uint32_t buffer_size = 0;
    uint32_t pool_flags = 0;
};

/* Memory the system granted for a pool, mapped in this process. */
struct PoolGrant {
    std::span<std::byte> region;
    shm::PoolLayout layout;
    std::shared_ptr<void> keepalive; /* owns the mapping; released with the pool */
    uint64_t pool_id = 0;
};

/* Pools per interface: one shared by TX and RX, or separate TX and RX pools (NDK 2.x). */
inline constexpr uint32_t kMaxInterfaceLanes = 2;
/* Interfaces one dext process may register (several services, or a multi-port driver). */
inline constexpr uint32_t kMaxInterfacesPerDext = 8;

/* One pool of an interface and the rings of the queues on it (a "lane"). Lane 0 carries the TX
 * queues, and the RX queues too when they share its pool; lane 1 exists only for a separate RX
 * pool. The queues of one kind on a lane are numbered 0… in registration order; queue n of a kind
 * uses the ring shm::queue_ring(kind, n). Kinds a lane lacks get placeholder rings (capacity 1)
 * that nobody uses. */
struct LaneRequest {
    uint64_t pool_id = 0;
    std::array<uint32_t, 4> queue_counts{}; /* indexed by QueueKind */
    shm::RingCapacities capacities{};       /* queue set 0, the free and allocation rings */
    std::vector<shm::QueueSetCapacities> more; /* queue sets 1… */
};

/* Where a registered queue's ring is. */
struct QueueBinding {
    IOUserNetworkPacketQueue *queue = nullptr;
    QueueKind kind = QueueKind::tx_submission;
    uint32_t lane = 0;
    uint32_t index = 0; /* among the queues of its kind (and so of its lane) */
};

struct InterfaceRequest {
    IOUserNetworkEthernet *driver = nullptr;
    ether_addr_t mac{};
    uint32_t feature_flags = 0;
    uint16_t tx_headroom = 0;
    uint16_t tx_tailroom = 0;
    std::vector<LaneRequest> lanes;   /* 1 or 2 */
    std::vector<QueueBinding> queues; /* every registered queue */
    /* What the driver declared: GetHardwareAssists (kIOUserNetworkHWAssist*) and the largest TSO
     * segment of getTSOOptions (tso_mtu4/6; 0: none given). The system offers those offloads. */
    uint32_t hardware_assists = 0;
    uint32_t tso_max_bytes = 0;
};

/* The rings the system created for one lane, mapped in this process. */
struct LaneGrant {
    std::span<std::byte> rings_region;
    shm::RingsLayout layout;
    shm::RingDoorbells doorbells; /* rung when the driver produces (the system's side) */
};

/* What the system created for a registered interface. */
struct InterfaceGrant {
    std::vector<LaneGrant> lanes; /* as many as requested */
    std::shared_ptr<void> keepalive;
    std::string bsd_name; /* e.g. "en0" */
    int32_t unit = -1;
};

class FamilyPort {
public:
    virtual ~FamilyPort() = default;

    virtual kern_return_t create_pool(const PoolRequest &request, PoolGrant &grant) = 0;
    virtual void release_pool(uint64_t pool_id) = 0;
    /* kIOReturnNotPermitted when the dext lacks com.apple.developer.driverkit.family.networking
     * (the entitlement check belongs to the system side: netdextd, the bench's family). */
    virtual kern_return_t register_interface(const InterfaceRequest &request,
                                             InterfaceGrant &grant) = 0;
    virtual void unregister_interface(IOUserNetworkEthernet *driver) = 0;

    virtual void report_link_status(IOUserNetworkEthernet *driver, uint32_t status,
                                    uint32_t media) = 0;
    virtual void report_media_types(IOUserNetworkEthernet *driver,
                                    std::span<const uint32_t> media) = 0;
    virtual void report_link_quality(IOUserNetworkEthernet *driver, int32_t quality) = 0;
    virtual void report_data_bandwidths(IOUserNetworkEthernet *driver, uint64_t max_in,
                                        uint64_t max_out, uint64_t effective_in,
                                        uint64_t effective_out) = 0;
    /* `index`: the queue's number among the registered queues of its kind. */
    virtual void queue_enable_changed(IOUserNetworkEthernet *driver, QueueKind kind,
                                      uint32_t index, bool enabled) = 0;
    /* The driver broke an API contract (a test failure under the test bench). */
    virtual void report_misuse(const OSObject *object, const std::string &what) = 0;
};

/* The installed port, or nullptr. */
FamilyPort *family_port();
/* Installs `port` (nullptr: none); returns the previous one. */
FamilyPort *install_family_port(FamilyPort *port);

} // namespace netdext

#endif
