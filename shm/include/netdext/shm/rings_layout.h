// The rings region: one sealed memfd per registered interface, separate from the pool memfd.
//
//   0       RingsHeader (192 B, padded to 256)           written once by the daemon
//   256     RingControl[6] (256 B each, see ring.h)
//   1792    entries of ring 0 | ring 1 | ... | ring 5    uint32[capacity] each, 64-byte aligned
//   total   rounded up to 4 KiB
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
inline constexpr uint16_t kRingsLayoutVersion = 1;

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

[[nodiscard]] constexpr size_t ring_slot(RingId id) {
    return static_cast<size_t>(id);
}
// True for the rings the daemon produces (and the driver consumes).
[[nodiscard]] constexpr bool daemon_produces(RingId id) {
    return id == RingId::TxSubmission || id == RingId::RxSubmission || id == RingId::Allocation;
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
    uint16_t ring_count; // kRingCount
    uint32_t header_size;
    uint32_t control_size;
    uint64_t total_size;
    RingPlacement rings[kRingCount];
};
static_assert(sizeof(RingsHeader) == 192 && alignof(RingsHeader) == 64);
static_assert(offsetof(RingsHeader, rings) == 24);

using RingCapacities = std::array<uint32_t, kRingCount>; // indexed by ring_slot(RingId)

struct RingsLayout {
    std::array<RingPlacement, kRingCount> rings{};
    uint64_t total_size = 0;

    // Every capacity must be a power of two in [1, kMaxRingCapacity]; InvalidArgument otherwise.
    [[nodiscard]] static Result<RingsLayout> compute(const RingCapacities &capacities);

    [[nodiscard]] uint32_t capacity(RingId id) const { return rings[ring_slot(id)].capacity; }
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
