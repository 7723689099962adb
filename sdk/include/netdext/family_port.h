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

struct InterfaceRequest {
    IOUserNetworkEthernet *driver = nullptr;
    uint64_t pool_id = 0;
    ether_addr_t mac{};
    uint32_t feature_flags = 0;
    uint16_t tx_headroom = 0;
    uint16_t tx_tailroom = 0;
    /* Indexed by QueueKind. */
    std::array<IOUserNetworkPacketQueue *, 4> queues{};
    /* Indexed by shm::ring_slot(); the free and allocation rings are sized by the runtime. */
    shm::RingCapacities capacities{};
};

/* The rings the system created for a registered interface, mapped in this process. */
struct InterfaceGrant {
    std::span<std::byte> rings_region;
    shm::RingsLayout layout;
    shm::RingDoorbells doorbells; /* rung when the driver produces (the system's side) */
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
    virtual void queue_enable_changed(IOUserNetworkEthernet *driver, QueueKind kind,
                                      bool enabled) = 0;
    /* The driver broke an API contract (a test failure under the test bench). */
    virtual void report_misuse(const OSObject *object, const std::string &what) = 0;
};

/* The installed port, or nullptr. */
FamilyPort *family_port();
/* Installs `port` (nullptr: none); returns the previous one. */
FamilyPort *install_family_port(FamilyPort *port);

} // namespace netdext

#endif
