// IOUserNetworkPacketBufferPool: asks the family for shared memory and owns one packet object
// per packet index.

#include <DriverKit/IOMemoryDescriptor.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>

#include <cstring>

#include "internal.h"
#include "state.h"

using netdext::PacketState;
using netdext::PoolState;

struct IOUserNetworkPacketBufferPool_IVars {
    PoolState state;
};

NETDEXT_DEFINE_CLASS(IOUserNetworkPacketBufferPool, OSObject, nullptr, 0)

kern_return_t IOUserNetworkPacketBufferPool::_Dispatch(OSMetaClassBase *object,
                                                       const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

bool IOUserNetworkPacketBufferPool::init() {
    if (!OSObject::init())
        return false;
    ivars = new IOUserNetworkPacketBufferPool_IVars;
    ivars->state.pool = this;
    return true;
}

void IOUserNetworkPacketBufferPool::free() {
    if (ivars != nullptr) {
        PoolState &state = ivars->state;
        for (IOUserNetworkPacket *packet : state.objects) {
            packet->netdext_bind(nullptr);
            packet->release();
        }
        state.objects.clear();
        if (state.grant.pool_id != 0) {
            if (netdext::FamilyPort *port = netdext::family_port())
                port->release_pool(state.grant.pool_id);
        }
        delete ivars;
        ivars = nullptr;
    }
    OSObject::free();
}

netdext::PoolState *IOUserNetworkPacketBufferPool::netdext_state() const {
    return ivars ? &ivars->state : nullptr;
}

// Builds the packet objects over a granted region.
static kern_return_t bind_packets(IOUserNetworkPacketBufferPool *pool, PoolState &state) {
    const netdext::shm::PoolLayout &layout = state.grant.layout;
    state.packets = std::vector<PacketState>(layout.packet_count);
    state.objects.reserve(layout.packet_count);
    for (uint32_t i = 0; i < layout.packet_count; ++i) {
        PacketState &packet = state.packets[i];
        packet.index = i;
        packet.pool = &state;
        packet.descriptor = reinterpret_cast<netdext::shm::PacketDescriptor *>(
            state.grant.region.data() + layout.descriptor_offset_of(i));
        if (i < layout.buffer_count) {
            packet.buffer = state.grant.region.data() + layout.buffer_offset_of(i);
            packet.buffer_size = layout.buffer_size;
        }
        auto *object = new IOUserNetworkPacket;
        if (!object->init()) {
            object->release();
            return kIOReturnNoMemory;
        }
        object->netdext_bind(&packet);
        state.objects.push_back(object);
    }
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkPacketBufferPool::CreateWithOptions(
    IOService *device, const char name[1024], const IOUserNetworkPacketBufferPoolOptions *options,
    IOUserNetworkPacketBufferPool **pool) {
    if (options == nullptr || pool == nullptr)
        return kIOReturnBadArgument;
    *pool = nullptr;
    // DriverKit: only these fields are meaningful; the rest (memorySegmentSize, dmaSpecification,
    // _resv) may hold uninitialised stack bytes in real drivers and are ignored.
    if (options->maxBuffersPerPacket != 1) {
        netdext::log_linef(netdext::LogLevel::error,
                           "IOUserNetworkPacketBufferPool::CreateWithOptions: maxBuffersPerPacket "
                           "%u is not supported (only 1)",
                           options->maxBuffersPerPacket);
        return kIOReturnUnsupported;
    }
    netdext::FamilyPort *port = netdext::family_port();
    if (port == nullptr) {
        netdext::log_line(netdext::LogLevel::error,
                          "IOUserNetworkPacketBufferPool: no network family in this process");
        return kIOReturnNotReady;
    }
    netdext::PoolRequest request;
    request.name = name ? std::string(name, strnlen(name, 1024)) : std::string();
    request.packet_count = options->packetCount;
    request.buffer_count = options->bufferCount;
    request.buffer_size = options->bufferSize;
    request.pool_flags = options->poolFlags & PoolFlagMask;

    auto *created = netdext::new_object<IOUserNetworkPacketBufferPool>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    PoolState &state = created->ivars->state;
    state.name = request.name;
    state.owner_device = device;
    kern_return_t kr = port->create_pool(request, state.grant);
    if (kr == kIOReturnSuccess)
        kr = bind_packets(created, state);
    if (kr != kIOReturnSuccess) {
        created->release();
        return kr;
    }
    *pool = created;
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkPacketBufferPool::Create(OSObject *poolOwner, const char name[1024],
                                                    uint32_t packetCount, uint32_t bufferCount,
                                                    uint32_t bufferSize,
                                                    IOUserNetworkPacketBufferPool **pool) {
    IOUserNetworkPacketBufferPoolOptions options{};
    options.packetCount = packetCount;
    options.bufferCount = bufferCount;
    options.bufferSize = bufferSize;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    return CreateWithOptions(OSDynamicCast(IOService, poolOwner), name, &options, pool);
}

kern_return_t IOUserNetworkPacketBufferPool::DeallocatePackets(IOUserNetworkPacket **packets,
                                                               uint32_t packetsCount) {
    if (packets == nullptr && packetsCount > 0)
        return kIOReturnBadArgument;
    PoolState &state = ivars->state;
    netdext::shm::DriverEndpoint *endpoint = state.endpoint.load(std::memory_order_acquire);
    uint32_t ids[256];
    uint32_t n = 0;
    kern_return_t result = kIOReturnSuccess;
    auto flush = [&] {
        if (n == 0)
            return;
        uint32_t taken = 0;
        if (endpoint != nullptr) {
            std::lock_guard lock(state.free_ring_mutex);
            taken = endpoint->enqueue(netdext::shm::RingId::Free, std::span<const uint32_t>(ids, n));
        }
        for (uint32_t i = taken; i < n; ++i) {
            // The free ring is sized for the whole pool; this only happens without an interface.
            state.packets[ids[i]].held.store(true);
            result = kIOReturnNoSpace;
        }
        n = 0;
    };
    for (uint32_t i = 0; i < packetsCount; ++i) {
        IOUserNetworkPacket *packet = packets[i];
        if (packet == nullptr || packet->getPacketBufferPool() != this) {
            netdext::report_misuse(this, "DeallocatePacket of a packet from another pool");
            result = kIOReturnBadArgument;
            continue;
        }
        if (!netdext::take_from_driver(packet, "DeallocatePacket")) {
            result = kIOReturnBadArgument;
            continue;
        }
        ids[n++] = packet->netdext_state()->index;
        if (n == 256)
            flush();
    }
    flush();
    return result;
}

kern_return_t IOUserNetworkPacketBufferPool::DeallocatePacket(IOUserNetworkPacket *packet) {
    return DeallocatePackets(&packet, 1);
}

// DriverKit: the pool's memory as a descriptor (+1). netdext: a non-owning descriptor over the
// whole shared region that retains the pool, so the region (the pool's grant) outlives it.
kern_return_t IOUserNetworkPacketBufferPool::CopyMemoryDescriptor(IOMemoryDescriptor **memory) {
    if (memory == nullptr)
        return kIOReturnBadArgument;
    *memory = nullptr;
    std::span<std::byte> region = ivars->state.grant.region;
    if (region.empty())
        return kIOReturnNotReady;
    return IOMemoryDescriptor::netdext_create_with_range(kIOMemoryDirectionInOut, region.data(),
                                                         region.size(), this, memory);
}

kern_return_t IOUserNetworkPacketBufferPool::GetPacketCount(uint32_t *count) {
    if (count == nullptr)
        return kIOReturnBadArgument;
    *count = ivars->state.grant.layout.packet_count;
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkPacketBufferPool::GetBufferCount(uint32_t *count) {
    if (count == nullptr)
        return kIOReturnBadArgument;
    *count = ivars->state.grant.layout.buffer_count;
    return kIOReturnSuccess;
}

IOReturn IOUserNetworkPacketBufferPool::allocatePacket(IOUserNetworkPacket **packet,
                                                       IOOptionBits) {
    if (packet == nullptr)
        return kIOReturnBadArgument;
    *packet = nullptr;
    PoolState &state = ivars->state;
    netdext::shm::DriverEndpoint *endpoint = state.endpoint.load(std::memory_order_acquire);
    if (endpoint == nullptr)
        return kIOReturnNotReady;
    uint32_t id = 0;
    uint32_t got;
    {
        std::lock_guard lock(state.free_ring_mutex);
        got = endpoint->dequeue(netdext::shm::RingId::Allocation, std::span<uint32_t>(&id, 1));
    }
    if (got == 0 || id >= state.packet_count())
        return kIOReturnNoResources;
    state.packets[id].held.store(true);
    *packet = state.objects[id];
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkPacketBufferPool::AllocatePacket(IOUserNetworkPacket **packet) {
    return allocatePacket(packet, 0);
}

IOReturn IOUserNetworkPacketBufferPool::deallocatePacket(IOUserNetworkPacket *packet) {
    return DeallocatePacket(packet);
}

IOReturn IOUserNetworkPacketBufferPool::deallocatePackets(IOUserNetworkPacket **packets,
                                                          uint32_t count) {
    return DeallocatePackets(packets, count);
}

IOReturn IOUserNetworkPacketBufferPool::newPacket(IOUserNetworkPacketDescriptor *descriptor,
                                                  IOUserNetworkPacket **packet) {
    if (descriptor == nullptr || packet == nullptr)
        return kIOReturnBadArgument;
    IOUserNetworkPacket *object = ivars->state.object(descriptor->fPacketIndex);
    if (object == nullptr)
        return kIOReturnBadArgument;
    *packet = object;
    return kIOReturnSuccess;
}

IOService *IOUserNetworkPacketBufferPool::getPoolOwnerDevice() { return ivars->state.owner_device; }

IOUserNetworkPacketBufferPool *IOUserNetworkPacketBufferPool::withName(
    const char *poolName, OSObject *owner, IONetworkPacketType,
    const IOUserNetworkPacketBufferPoolOptions *options) {
    IOUserNetworkPacketBufferPool *pool = nullptr;
    char name[1024] = {};
    if (poolName != nullptr)
        strncpy(name, poolName, sizeof name - 1);
    if (CreateWithOptions(OSDynamicCast(IOService, owner), name, options, &pool) !=
        kIOReturnSuccess)
        return nullptr;
    return pool;
}

bool IOUserNetworkPacketBufferPool::initWithName(const char *, OSObject *, IONetworkPacketType,
                                                 const IOUserNetworkPacketBufferPoolOptions *) {
    // Apple's two-step construction cannot attach family memory to an object the caller
    // allocated; use withName().
    return false;
}
