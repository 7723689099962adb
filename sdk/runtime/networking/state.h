// Driver-side state behind the NetworkingDriverKit classes (libdriverkit-private).
//
// Ownership: a PoolState belongs to its IOUserNetworkPacketBufferPool and owns one
// IOUserNetworkPacket per packet index. An InterfaceState belongs to its IOUserNetworkEthernet and
// owns one DriverEndpoint per lane (a pool and the rings the family granted for the queues on it:
// one lane for a shared pool, two for separate TX and RX pools). Queues point at their lane's
// endpoint and ring once attached (QueueAttachment); a pool points at its lane's endpoint (for
// the free and allocation rings) while its interface is registered.
#pragma once

#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <netdext/family_port.h>
#include <netdext/shm/driver_endpoint.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace netdext {

struct PoolState;
class InterfaceState;

// One packet: where its descriptor and buffer are, and whether the driver holds it.
struct PacketState {
    uint32_t index = 0;
    shm::PacketDescriptor *descriptor = nullptr; // in shared memory
    std::byte *buffer = nullptr;                 // buffer base (getDataVirtualAddress)
    uint32_t buffer_size = 0;
    PoolState *pool = nullptr;
    std::atomic<bool> held{false}; // between Dequeue/Allocate and Enqueue/Deallocate
};

struct PoolState {
    IOUserNetworkPacketBufferPool *pool = nullptr; // not retained (it owns this state)
    IOService *owner_device = nullptr;
    std::string name;
    PoolGrant grant;
    std::vector<PacketState> packets;              // packet_count entries
    std::vector<IOUserNetworkPacket *> objects;    // retained; same indices
    std::atomic<shm::DriverEndpoint *> endpoint{nullptr}; // its lane's, while registered
    std::mutex free_ring_mutex; // DeallocatePacket may come from several queues' threads

    uint32_t packet_count() const { return uint32_t(packets.size()); }
    IOUserNetworkPacket *object(uint32_t index) const {
        return index < objects.size() ? objects[index] : nullptr;
    }
};

// What a queue needs to reach its ring.
struct QueueAttachment {
    shm::DriverEndpoint *endpoint = nullptr;
    shm::RingId ring = shm::RingId::TxSubmission;
    PoolState *pool = nullptr;
    InterfaceState *interface = nullptr;
    uint32_t index = 0; // among the registered queues of its kind
};

class InterfaceState {
public:
    IOUserNetworkEthernet *driver = nullptr; // not retained (it owns this state)
    _IOUserNetworkEthernetInterfaceDescriptor descriptor{};
    bool software_vlan = false;
    bool registered = false;
    std::vector<uint32_t> media_types;
    uint32_t link_status = kIOUserNetworkLinkStatusInvalid;
    uint32_t active_media = 0;
    std::string bsd_name;
    std::string bsd_prefix = "en";
    int32_t unit = -1;
    uint32_t hardware_assists = 0;

    // By lane (lane 0: TX, and RX when shared; lane 1: a separate RX pool).
    std::vector<PoolState *> pools;
    std::vector<IOUserNetworkPacketBufferPool *> pool_objects; // retained while registered
    std::vector<std::unique_ptr<shm::DriverEndpoint>> endpoints;
    std::vector<IOUserNetworkPacketQueue *> queues;             // retained while registered
    std::vector<std::unique_ptr<QueueAttachment>> attachments;  // same order as queues
    InterfaceGrant grant;
    std::mutex mutex;

    // Lane 0's endpoint (the only one of a shared pool), or nullptr when not registered.
    shm::DriverEndpoint *endpoint() const {
        return endpoints.empty() ? nullptr : endpoints.front().get();
    }
};

// Reports a misuse to the family (and logs it).
void report_misuse(const OSObject *object, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

// Checks that the driver holds `packet` and gives it up; reports misuse otherwise.
bool take_from_driver(IOUserNetworkPacket *packet, const char *operation);

} // namespace netdext
