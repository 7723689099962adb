// The checks netdextd applies to every packet index a driver hands back, and the counters that
// record each drop (DESIGN §4: "a bad entry is dropped and counted, never reaches the TAP").
//
// Rules, in the order they are applied (the first failing one names the drop):
//   1. index < packet_count                               else index_out_of_range
//   2. the daemon's table says the driver holds it        else not_owned_by_driver
//      (a second completion of the same packet lands here: the first one took it back)
//   3. it returns through a ring that matches how it left  else wrong_queue
//      (TX completion ← TX submission; RX completion ← RX submission or allocation; free ← any)
//   RX completion only, reading each descriptor field once:
//   4. descriptor.buffer_index is the daemon-assigned one  else buffer_mismatch
//   5. data_length != 0                                    else zero_length_rx
//   6. data_offset + data_length <= buffer_size            else offset_length_out_of_bounds
//   Offload metadata (only what the daemon honours: set_rx_offloads(), from the assists the
//   driver declared; other claims are ignored and the frame goes up as without them):
//   7. a checksum-valid or LRO claim needs an IPv4/IPv6 TCP (LRO) or TCP/UDP (checksum) frame
//      whose headers lie inside it; LRO needs 1..255 segments and a segment size in
//      [1, 65535]                                          else bad_offload_metadata
//   8. a frame claimed checksum-valid (not LRO) has a correct L4 checksum — verified for the
//      first such frame and one in kChecksumSampleInterval after it; a lie is caught within
//      that many frames                                    else rx_checksum_wrong
// Drops after rule 2 still return the packet to the daemon's free list (the driver gave it up);
// drops at rules 1-2 change no ownership. A ring whose indices misbehave (ring.h) is counted once
// in ring_faults and moves nothing further.
#pragma once

#include <netdext/shm/ownership.h>
#include <netdext/shm/rings_layout.h>

#include <cstdint>

namespace netdext::shm {

enum class DropReason : uint8_t {
    IndexOutOfRange,
    NotOwnedByDriver,
    WrongQueue,
    BufferMismatch,
    ZeroLengthRx,
    OffsetLengthOutOfBounds,
    BadOffloadMetadata,
    ChecksumWrong,
};
[[nodiscard]] const char *to_string(DropReason reason);

struct DropCounters {
    uint64_t index_out_of_range = 0;
    uint64_t not_owned_by_driver = 0;
    uint64_t wrong_queue = 0;
    uint64_t buffer_mismatch = 0;
    uint64_t zero_length_rx = 0;
    uint64_t offset_length_out_of_bounds = 0;
    uint64_t bad_offload_metadata = 0;
    uint64_t rx_checksum_wrong = 0;
    uint64_t ring_faults = 0;

    void count(DropReason reason);
    [[nodiscard]] uint64_t of(DropReason reason) const;
    // Dropped entries (ring_faults counts rings, not entries, and is not included).
    [[nodiscard]] uint64_t dropped() const;
};

// Rule 3: may a packet in `state` come back through `ring`? (`state` already passed rule 2.)
// Any queue set's completion ring will do: the kind is what matters.
[[nodiscard]] constexpr bool returns_through(PacketState state, RingId ring) {
    switch (ring_kind(ring)) {
    case RingId::TxCompletion:
        return state == PacketState::DriverTx;
    case RingId::RxCompletion:
        return state == PacketState::DriverRx || state == PacketState::DriverAllocated;
    case RingId::Free:
        return driver_owns(state);
    default:
        return false;
    }
}

} // namespace netdext::shm
