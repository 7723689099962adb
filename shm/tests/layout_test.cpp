#include "test_support.h"

#include <netdext/shm/pool_layout.h>
#include <netdext/shm/rings_layout.h>

#include <cstring>
#include <vector>

namespace netdext::shm {
namespace {

using testing::must;
using testing::uniform_capacities;

TEST(PoolLayout, ComputesAlignedRegions) {
    PoolLayout layout = must(PoolLayout::compute(256, 256, 2048));
    EXPECT_EQ(layout.descriptor_offset, sizeof(PoolHeader));
    EXPECT_EQ(layout.buffer_offset % kRegionAlignment, 0u);
    EXPECT_GE(layout.buffer_offset, sizeof(PoolHeader) + 256 * sizeof(PacketDescriptor));
    EXPECT_EQ(layout.buffer_stride, 2048u);
    EXPECT_EQ(layout.total_size % kRegionAlignment, 0u);
    EXPECT_GE(layout.total_size, layout.buffer_offset + 256u * 2048u);
    EXPECT_EQ(layout.usable_packet_count(), 256u);
}

TEST(PoolLayout, RoundsOddBufferSizesToCacheLines) {
    PoolLayout layout = must(PoolLayout::compute(3, 5, 1514));
    EXPECT_EQ(layout.buffer_stride, 1536u);
    EXPECT_EQ(layout.buffer_offset_of(1) - layout.buffer_offset_of(0), 1536u);
    EXPECT_EQ(layout.buffer_offset_of(0) % kBufferAlignment, 0u);
    EXPECT_EQ(layout.usable_packet_count(), 3u);
    EXPECT_LE(layout.buffer_offset_of(4) + 1514, layout.total_size);
}

TEST(PoolLayout, RejectsOutOfRangeParameters) {
    EXPECT_ERROR_CODE(PoolLayout::compute(0, 1, 2048), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(PoolLayout::compute(1, 0, 2048), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(PoolLayout::compute(kMaxPackets + 1, 1, 2048), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(PoolLayout::compute(1, kMaxBuffers + 1, 2048), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(PoolLayout::compute(1, 1, kMinBufferSize - 1), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(PoolLayout::compute(1, 1, kMaxBufferSize + 1), ErrorCode::InvalidArgument);
    EXPECT_ERROR_CODE(PoolLayout::compute(0xffffffff, 0xffffffff, 0xffffffff),
                      ErrorCode::InvalidArgument);
}

TEST(PoolLayout, RejectsPoolsLargerThanTheLimit) {
    // 65536 buffers of 64 KiB = 4 GiB: each factor is legal, the product is not.
    EXPECT_ERROR_CODE(PoolLayout::compute(kMaxPackets, kMaxBuffers, kMaxBufferSize),
                      ErrorCode::InvalidArgument);
    // 16368 x 64 KiB plus one MiB of header and descriptors is exactly 1 GiB; one more is not.
    PoolLayout big = must(PoolLayout::compute(16368, 16368, kMaxBufferSize));
    EXPECT_EQ(big.total_size, kMaxPoolBytes);
    EXPECT_ERROR_CODE(PoolLayout::compute(16369, 16369, kMaxBufferSize),
                      ErrorCode::InvalidArgument);
    EXPECT_LE(big.total_size, kMaxPoolBytes);
    EXPECT_ERROR_CODE(PoolLayout::compute(16384, 16384, kMaxBufferSize),
                      ErrorCode::InvalidArgument);
}

TEST(PoolLayout, PacketsWithoutBuffersAreMarked) {
    PoolLayout layout = must(PoolLayout::compute(8, 5, 256));
    EXPECT_EQ(layout.usable_packet_count(), 5u);
    std::vector<std::byte> region(layout.total_size);
    layout.initialize(region);
    for (uint32_t packet = 0; packet < 8; ++packet) {
        PacketDescriptor descriptor;
        std::memcpy(&descriptor, region.data() + layout.descriptor_offset_of(packet),
                    sizeof descriptor);
        EXPECT_EQ(descriptor.buffer_index, packet < 5 ? packet : kNoBuffer) << packet;
        EXPECT_EQ(descriptor.data_length, 0u);
    }
}

TEST(PoolLayout, HeaderRoundTripsAndMismatchesAreRejected) {
    PoolLayout layout = must(PoolLayout::compute(16, 16, 2048));
    std::vector<std::byte> region(layout.total_size);
    layout.initialize(region);
    must(layout.check(region));

    PoolLayout other = must(PoolLayout::compute(16, 16, 1024));
    EXPECT_ERROR_CODE(other.check(region), ErrorCode::LayoutMismatch); // size differs
    EXPECT_ERROR_CODE(layout.check(std::span(region).first(region.size() - 4096)),
                      ErrorCode::LayoutMismatch);

    auto corrupt = [&](size_t offset, auto value) {
        std::vector<std::byte> copy = region;
        std::memcpy(copy.data() + offset, &value, sizeof value);
        return layout.check(copy);
    };
    EXPECT_ERROR_CODE(corrupt(offsetof(PoolHeader, magic), uint32_t{0}), ErrorCode::LayoutMismatch);
    EXPECT_ERROR_CODE(corrupt(offsetof(PoolHeader, version), uint16_t{2}),
                      ErrorCode::LayoutMismatch);
    EXPECT_ERROR_CODE(corrupt(offsetof(PoolHeader, buffer_size), uint32_t{4096}),
                      ErrorCode::LayoutMismatch);
    EXPECT_ERROR_CODE(corrupt(offsetof(PoolHeader, total_size), uint64_t{1} << 40),
                      ErrorCode::LayoutMismatch);
}

TEST(RingsLayout, PlacesEveryRingOnItsOwnLines) {
    RingCapacities capacities = {8, 16, 32, 64, 128, 1};
    RingsLayout layout = must(RingsLayout::compute(capacities));
    EXPECT_EQ(layout.total_size % kRegionAlignment, 0u);
    uint64_t previous_end = 0;
    for (RingId id : kAllRings) {
        const RingPlacement &ring = layout.rings[ring_slot(id)];
        EXPECT_EQ(ring.capacity, capacities[ring_slot(id)]);
        EXPECT_EQ(ring.control_offset % 64, 0u);
        EXPECT_EQ(ring.entries_offset % 64, 0u);
        EXPECT_GE(ring.entries_offset, 1024 + kRingCount * sizeof(RingControl));
        EXPECT_GE(ring.entries_offset, previous_end);
        previous_end = ring.entries_offset + ring.capacity * sizeof(uint32_t);
    }
    EXPECT_LE(previous_end, layout.total_size);
}

TEST(RingsLayout, RejectsBadCapacities) {
    for (uint32_t bad : {0u, 3u, 100u, kMaxRingCapacity * 2, 0x80000000u, 0xffffffffu}) {
        RingCapacities capacities = uniform_capacities(8);
        capacities[ring_slot(RingId::RxCompletion)] = bad;
        EXPECT_ERROR_CODE(RingsLayout::compute(capacities), ErrorCode::InvalidArgument);
    }
    must(RingsLayout::compute(uniform_capacities(kMaxRingCapacity)));
}

TEST(RingsLayout, HeaderRoundTripsAndMismatchesAreRejected) {
    RingsLayout layout = must(RingsLayout::compute(uniform_capacities(64)));
    std::vector<std::byte> region(layout.total_size);
    layout.initialize(region, 7);
    must(layout.check(region));
    EXPECT_EQ(layout.view(region, RingId::Free).control->producer_index, 7u);

    RingCapacities different = uniform_capacities(64);
    different[ring_slot(RingId::Allocation)] = 32;
    RingsLayout other = must(RingsLayout::compute(different));
    EXPECT_ERROR_CODE(other.check(region), ErrorCode::LayoutMismatch);

    std::vector<std::byte> copy = region;
    copy[offsetof(RingsHeader, rings) + 3 * sizeof(RingPlacement)] = std::byte{0x20}; // capacity 32
    EXPECT_ERROR_CODE(layout.check(copy), ErrorCode::LayoutMismatch);
    copy = region;
    copy[0] = std::byte{0};
    EXPECT_ERROR_CODE(layout.check(copy), ErrorCode::LayoutMismatch);
}

TEST(RingsLayout, FurtherQueueSetsAddFourRingsEach) {
    const QueueSetCapacities second = {4, 8, 16, 32};
    const QueueSetCapacities third = {2, 2, 2, 2};
    const QueueSetCapacities more[] = {second, third};
    RingsLayout layout = must(RingsLayout::compute(uniform_capacities(64), more));
    EXPECT_EQ(layout.queue_sets, 3u);
    EXPECT_EQ(layout.ring_count(), kRingCount + 8);
    EXPECT_EQ(layout.capacity(queue_ring(RingId::TxSubmission, 1)), 4u);
    EXPECT_EQ(layout.capacity(queue_ring(RingId::RxCompletion, 1)), 32u);
    EXPECT_EQ(layout.capacity(queue_ring(RingId::RxSubmission, 2)), 2u);
    EXPECT_FALSE(layout.has(queue_ring(RingId::TxSubmission, 3)));
    EXPECT_EQ(ring_kind(queue_ring(RingId::TxCompletion, 2)), RingId::TxCompletion);
    EXPECT_EQ(ring_queue(queue_ring(RingId::TxCompletion, 2)), 2u);
    EXPECT_TRUE(daemon_produces(queue_ring(RingId::RxSubmission, 1)));
    EXPECT_FALSE(daemon_produces(queue_ring(RingId::RxCompletion, 1)));
    uint64_t previous_end = 0;
    for (size_t slot = 0; slot < layout.ring_count(); ++slot) {
        const RingPlacement &ring = layout.rings[slot];
        EXPECT_EQ(ring.control_offset, 1024 + slot * sizeof(RingControl));
        EXPECT_GE(ring.entries_offset, previous_end);
        previous_end = ring.entries_offset + ring.capacity * sizeof(uint32_t);
    }
    EXPECT_LE(previous_end, layout.total_size);

    // A host that expects another number of queue sets refuses the region.
    std::vector<std::byte> region(layout.total_size);
    layout.initialize(region);
    must(layout.check(region));
    RingsLayout fewer = must(RingsLayout::compute(uniform_capacities(64), std::span(more, 1)));
    EXPECT_ERROR_CODE(fewer.check(region), ErrorCode::LayoutMismatch);
}

TEST(RingsLayout, RejectsTooManyQueueSetsOrBadFurtherCapacities) {
    std::vector<QueueSetCapacities> more(kMaxQueueSets, QueueSetCapacities{8, 8, 8, 8});
    EXPECT_ERROR_CODE(RingsLayout::compute(uniform_capacities(8), more), ErrorCode::InvalidArgument);
    more.resize(kMaxQueueSets - 1);
    must(RingsLayout::compute(uniform_capacities(8), more));
    more.back()[2] = 3;
    EXPECT_ERROR_CODE(RingsLayout::compute(uniform_capacities(8), more), ErrorCode::InvalidArgument);
}

} // namespace
} // namespace netdext::shm
