// IOUserNetworkPacketBufferPool::CopyMemoryDescriptor over a pool the bench's family granted:
// the descriptor covers the shared region, agrees with the packets' addresses and memory-segment
// offsets, maps and prepares for DMA there, and keeps the pool alive.

#include <gtest/gtest.h>

#include <DriverKit/IODMACommand.h>
#include <DriverKit/IOMemoryMap.h>
#include <netdext/runtime.h>
#include <netdext/testing/driver_bench.h>

#include <cstring>

namespace {

IOUserNetworkPacketBufferPool *make_pool() {
    IOUserNetworkPacketBufferPoolOptions options{};
    options.packetCount = 16;
    options.bufferCount = 16;
    options.bufferSize = 2048;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext | PoolFlagMapToDevice;
    IOUserNetworkPacketBufferPool *pool = nullptr;
    EXPECT_EQ(IOUserNetworkPacketBufferPool::CreateWithOptions(nullptr, "descriptor-test", &options,
                                                               &pool),
              kIOReturnSuccess);
    return pool;
}

IOUserNetworkPacket *packet_at(IOUserNetworkPacketBufferPool *pool, uint32_t index) {
    IOUserNetworkPacketDescriptor descriptor{};
    descriptor.fPacketIndex = index;
    IOUserNetworkPacket *packet = nullptr; // +0: the pool owns its packets
    EXPECT_EQ(pool->newPacket(&descriptor, &packet), kIOReturnSuccess);
    return packet;
}

} // namespace

TEST(PoolMemoryDescriptor, DescribesTheSharedRegionAndAgreesWithThePackets) {
    netdext::testing::DriverBench bench; // installs the fake family that grants pools
    ASSERT_TRUE(netdext::wait_until_idle());
    uint64_t live = netdext::runtime_stats().live_objects.load();
    IOUserNetworkPacketBufferPool *pool = make_pool();
    ASSERT_NE(pool, nullptr);
    EXPECT_EQ(pool->CopyMemoryDescriptor(nullptr), kIOReturnBadArgument);
    IOMemoryDescriptor *memory = nullptr;
    ASSERT_EQ(pool->CopyMemoryDescriptor(&memory), kIOReturnSuccess);
    ASSERT_NE(memory, nullptr);
    EXPECT_EQ(memory->netdext_options(), uint64_t(kIOMemoryDirectionInOut));
    uint64_t length = 0;
    ASSERT_EQ(memory->GetLength(&length), kIOReturnSuccess);
    EXPECT_GE(length, 16u * 2048u);

    IOMemoryMap *map = nullptr;
    ASSERT_EQ(memory->CreateMapping(0, 0, 0, 0, 0, &map), kIOReturnSuccess);
    for (uint32_t index : {0u, 5u, 15u}) {
        IOUserNetworkPacket *packet = packet_at(pool, index);
        ASSERT_NE(packet, nullptr);
        uint64_t offset = packet->getMemorySegmentOffset();
        EXPECT_LE(offset + 2048, length);
        EXPECT_EQ(map->GetAddress() + offset, packet->getDataVirtualAddress());
    }
    // Bytes written through the mapping are in the packet's buffer.
    IOUserNetworkPacket *packet = packet_at(pool, 5);
    const char text[] = "written through the descriptor";
    std::memcpy(reinterpret_cast<void *>(map->GetAddress() + packet->getMemorySegmentOffset()),
                text, sizeof text);
    EXPECT_STREQ(reinterpret_cast<const char *>(packet->getDataVirtualAddress()), text);

    // DMA over the pool: identity device addresses, so a segment is the mapping's address.
    IOService *device = OSTypeAlloc(IOService);
    ASSERT_NE(device, nullptr);
    ASSERT_TRUE(device->init());
    IODMACommandSpecification spec{};
    spec.maxAddressBits = 64;
    IODMACommand *dma = nullptr;
    ASSERT_EQ(IODMACommand::Create(device, kIODMACommandCreateNoOptions, &spec, &dma),
              kIOReturnSuccess);
    uint64_t flags = 0;
    uint32_t count = 32;
    IOAddressSegment segments[32];
    ASSERT_EQ(dma->PrepareForDMA(0, memory, 0, 0, &flags, &count, segments), kIOReturnSuccess);
    ASSERT_EQ(count, 1u);
    EXPECT_EQ(segments[0].address, map->GetAddress());
    EXPECT_EQ(segments[0].length, length);
    EXPECT_EQ(flags, uint64_t(kIOMemoryDirectionInOut));
    ASSERT_EQ(dma->CompleteDMA(0), kIOReturnSuccess);
    OSSafeReleaseNULL(dma);
    OSSafeReleaseNULL(device);

    // The descriptor keeps the pool (and so its region) alive.
    uint64_t packet_offset = packet->getMemorySegmentOffset();
    EXPECT_GE(pool->getRetainCount(), 2);
    OSSafeReleaseNULL(pool);
    EXPECT_STREQ(reinterpret_cast<const char *>(map->GetAddress() + packet_offset), text);
    OSSafeReleaseNULL(map);
    OSSafeReleaseNULL(memory);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live);
}
