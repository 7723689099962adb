// The rings region: one sealed memfd per pool of a registered interface, separate from the pool
// memfd.
//
//   0       RingsHeader (896 B, padded to 1024)          written once by the daemon
//   1024    RingControl[ring_count] (256 B each, see ring.h)
//   …       entries of ring 0 | ring 1 | ...             uint32[capacity] each, 64-byte aligned
//   total   rounded up to 4 KiB
//
// Queue sets: the six rings of queue set 0 come first (slots 0-5, RingId's values); each further
// queue set q ≥ 1 (NDK 2.x multi-queue registration: several TX or RX queues on one pool) adds
// its own TX/RX submission and completion rings at slots 6 + 4(q-1) + kind. The free and
// allocation rings are the pool's, one each. queue_ring() names a further set's ring; every
// RingId-taking call works on it.
//
// Why a separate memfd: the pool exists from CreateWithOptions on, while ring capacities are known
// only when the four queues are created and registered; keeping the rings apart also lets the
// buffers be mapped elsewhere (a device, later) without exposing ring control words.
//
// DriverKit: RegisterEthernetInterface takes the four queues; the free and allocation rings carry
// IOUserNetworkPacketBufferPool::DeallocatePacket(s) and NDK 2.x allocatePacket.
#pragma once

#include <netdext/shm/result.h>
#include <netdext/shm/ring.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace netdext::shm {

inline constexpr uint32_t kRingsMagic = 0x5258444e; // "NDXR" in memory order
inline constexpr uint16_t kRingsLayoutVersion = 2;

enum class RingId : uint8_t {
    TxSubmission = 0, // daemon → driver: frames the stack wants sent
    TxCompletion = 1, // driver → daemon: sent (or dropped) TX packets handed back
    RxSubmission = 2, // daemon → driver: empty buffers the driver may fill
    RxCompletion = 3, // driver → daemon: received frames
    Free = 4,         // driver → daemon: packets the driver deallocated
    Allocation = 5,   // daemon → driver: spare packets the driver may allocate
};
inline constexpr size_t kRingCount = 6;
inline constexpr std::array<RingId, kRingCount> kAllRings = {
    RingId::TxSubmission, RingId::TxCompletion, RingId::RxSubmission,
    RingId::RxCompletion, RingId::Free,         RingId::Allocation};

// Queue sets per pool (and so queues of one kind on one pool).
inline constexpr uint32_t kMaxQueueSets = 8;
inline constexpr size_t kMaxRings = kRingCount + 4 * (kMaxQueueSets - 1);

[[nodiscard]] constexpr size_t ring_slot(RingId id) {
    return static_cast<size_t>(id);
}
// The kind of a ring (one of the six RingId values), for rings of any queue set.
[[nodiscard]] constexpr RingId ring_kind(RingId id) {
    size_t slot = ring_slot(id);
    return slot < kRingCount ? id : static_cast<RingId>((slot - kRingCount) % 4);
}
// The queue set a ring belongs to (0 for the free and allocation rings).
[[nodiscard]] constexpr uint32_t ring_queue(RingId id) {
    size_t slot = ring_slot(id);
    return slot < kRingCount ? 0 : static_cast<uint32_t>((slot - kRingCount) / 4 + 1);
}
// The ring of `kind` (TX/RX submission or completion) in queue set `queue` (< kMaxQueueSets).
[[nodiscard]] constexpr RingId queue_ring(RingId kind, uint32_t queue) {
    return queue == 0 ? kind
                      : static_cast<RingId>(kRingCount + (queue - 1) * 4 + ring_slot(kind));
}
// True for the rings the daemon produces (and the driver consumes).
[[nodiscard]] constexpr bool daemon_produces(RingId id) {
    RingId kind = ring_kind(id);
    return kind == RingId::TxSubmission || kind == RingId::RxSubmission ||
           kind == RingId::Allocation;
}
[[nodiscard]] const char *to_string(RingId id);

struct RingPlacement {
    uint32_t capacity;
    uint32_t reserved;
    uint64_t control_offset;
    uint64_t entries_offset;
};
static_assert(sizeof(RingPlacement) == 24);

struct alignas(64) RingsHeader {
    uint32_t magic;      // kRingsMagic
    uint16_t version;    // kRingsLayoutVersion
    uint16_t ring_count; // kRingCount + 4 per further queue set
    uint32_t header_size;
    uint32_t control_size;
    uint64_t total_size;
    RingPlacement rings[kMaxRings]; // ring_count in use, the rest zero
};
static_assert(sizeof(RingsHeader) == 896 && alignof(RingsHeader) == 64);
static_assert(offsetof(RingsHeader, rings) == 24);

using RingCapacities = std::array<uint32_t, kRingCount>; // indexed by ring_slot(RingId)
// A further queue set's four rings, indexed by ring_slot(kind) (TX/RX submission, completion).
using QueueSetCapacities = std::array<uint32_t, 4>;

struct RingsLayout {
    std::array<RingPlacement, kMaxRings> rings{};
    uint32_t queue_sets = 1;
    uint64_t total_size = 0;

    // Every capacity must be a power of two in [1, kMaxRingCapacity], and at most
    // kMaxQueueSets - 1 further sets; InvalidArgument otherwise.
    [[nodiscard]] static Result<RingsLayout>
    compute(const RingCapacities &capacities, std::span<const QueueSetCapacities> more = {});

    [[nodiscard]] size_t ring_count() const { return kRingCount + 4 * (queue_sets - 1); }
    [[nodiscard]] bool has(RingId id) const { return ring_slot(id) < ring_count(); }
    [[nodiscard]] uint32_t capacity(RingId id) const {
        return has(id) ? rings[ring_slot(id)].capacity : 0;
    }
    // The ring inside `region` (which must be total_size bytes) at this layout's offsets.
    [[nodiscard]] RingView view(std::span<std::byte> region, RingId id) const;

    // Creator (daemon): writes the header and initialises every ring at start_index.
    void initialize(std::span<std::byte> region, uint32_t start_index = 0) const;
    // Receiver (host): LayoutMismatch unless size and header agree with this layout.
    [[nodiscard]] Result<void> check(std::span<const std::byte> region) const;

    friend bool operator==(const RingsLayout &a, const RingsLayout &b) {
        return a.total_size == b.total_size && a.header_equal(b);
    }

private:
    [[nodiscard]] bool header_equal(const RingsLayout &other) const;
};

} // namespace netdext::shm
