#include <netdext/shm/rings_layout.h>

#include <netdext/shm/pool_layout.h> // kRegionAlignment

#include "checked_math.h"

#include <cstring>

namespace netdext::shm {

namespace {

constexpr uint64_t kHeaderBytes =
    1024; // RingsHeader padded so the controls start on their own lines
static_assert(sizeof(RingsHeader) <= kHeaderBytes);
constexpr uint64_t kEntriesAlignment = 64;

RingsHeader header_for(const RingsLayout &layout) {
    RingsHeader header{};
    header.magic = kRingsMagic;
    header.version = kRingsLayoutVersion;
    header.ring_count = static_cast<uint16_t>(layout.ring_count());
    header.header_size = sizeof(RingsHeader);
    header.control_size = sizeof(RingControl);
    header.total_size = layout.total_size;
    for (size_t i = 0; i < layout.ring_count(); ++i)
        header.rings[i] = layout.rings[i];
    return header;
}

} // namespace

const char *to_string(RingId id) {
    switch (ring_kind(id)) {
    case RingId::TxSubmission:
        return "tx-submission";
    case RingId::TxCompletion:
        return "tx-completion";
    case RingId::RxSubmission:
        return "rx-submission";
    case RingId::RxCompletion:
        return "rx-completion";
    case RingId::Free:
        return "free";
    case RingId::Allocation:
        return "allocation";
    }
    return "unknown";
}

Result<RingsLayout> RingsLayout::compute(const RingCapacities &capacities,
                                         std::span<const QueueSetCapacities> more) {
    if (more.size() > kMaxQueueSets - 1)
        return Error::from_code(ErrorCode::InvalidArgument, "too many queue sets");
    RingsLayout layout;
    layout.queue_sets = static_cast<uint32_t>(1 + more.size());
    const size_t count = layout.ring_count();
    uint64_t offset = kHeaderBytes + count * sizeof(RingControl);
    for (size_t i = 0; i < count; ++i) {
        uint32_t capacity = i < kRingCount ? capacities[i] : more[(i - kRingCount) / 4][(i - kRingCount) % 4];
        if (!is_power_of_two(capacity) || capacity > kMaxRingCapacity)
            return Error::from_code(ErrorCode::InvalidArgument, "ring capacity");
        RingPlacement &ring = layout.rings[i];
        ring.capacity = capacity;
        ring.reserved = 0;
        ring.control_offset = kHeaderBytes + i * sizeof(RingControl);
        uint64_t entries = 0;
        if (!checked_align_up(offset, kEntriesAlignment, ring.entries_offset) ||
            !checked_mul(capacity, sizeof(uint32_t), entries) ||
            !checked_add(ring.entries_offset, entries, offset))
            return Error::from_code(ErrorCode::InvalidArgument, "rings size overflows");
    }
    if (!checked_align_up(offset, kRegionAlignment, layout.total_size))
        return Error::from_code(ErrorCode::InvalidArgument, "rings size overflows");
    return layout;
}

RingView RingsLayout::view(std::span<std::byte> region, RingId id) const {
    SHM_VERIFY(region.size() == total_size && has(id));
    const RingPlacement &ring = rings[ring_slot(id)];
    return RingView{reinterpret_cast<RingControl *>(region.data() + ring.control_offset),
                    reinterpret_cast<uint32_t *>(region.data() + ring.entries_offset),
                    ring.capacity};
}

void RingsLayout::initialize(std::span<std::byte> region, uint32_t start_index) const {
    SHM_VERIFY(region.size() == total_size);
    std::memset(region.data(), 0, region.size());
    RingsHeader header = header_for(*this);
    std::memcpy(region.data(), &header, sizeof header);
    for (size_t slot = 0; slot < ring_count(); ++slot)
        initialize_ring(view(region, static_cast<RingId>(slot)), start_index);
}

Result<void> RingsLayout::check(std::span<const std::byte> region) const {
    if (region.size() != total_size)
        return Error::from_code(ErrorCode::LayoutMismatch, "rings region size");
    RingsHeader found;
    std::memcpy(&found, region.data(), sizeof found);
    if (found.magic != kRingsMagic)
        return Error::from_code(ErrorCode::LayoutMismatch, "rings header magic");
    if (found.version != kRingsLayoutVersion)
        return Error::from_code(ErrorCode::LayoutMismatch, "rings layout version");
    RingsHeader expected = header_for(*this);
    if (std::memcmp(&found, &expected, sizeof found) != 0)
        return Error::from_code(ErrorCode::LayoutMismatch, "rings header fields");
    return {};
}

bool RingsLayout::header_equal(const RingsLayout &other) const {
    RingsHeader a = header_for(*this), b = header_for(other);
    return std::memcmp(&a, &b, sizeof a) == 0;
}

} // namespace netdext::shm
