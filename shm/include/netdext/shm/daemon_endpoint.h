// netdextd's end of one interface's shared memory: the pool, the six rings, the daemon-private
// ownership table and free list, and the validation of everything the driver hands back.
//
// Caller: the interface's frame mover, on one daemon thread; nothing here is thread-safe, nothing
// allocates after create(), and the only syscalls are doorbell writes the driver asked for.
// Lifetime: the two regions (normally SharedRegion mappings) must outlive the endpoint.
//
// Typical loop (docs/shm.md has the full picture):
//   TX  n = take_free(ids); copy a TAP frame into buffer(id) each; submit_tx(frames);
//       reap_tx_completions(max)              — validated, straight back to the free list
//   RX  restock_rx(limit);
//       n = poll_rx_completions(frames);      — validated; write frame_bytes(f) to the TAP
//       release(ids)                          — back to the free list
//   restock_allocation(limit); reap_free_ring(max)
//   if (prepare_to_sleep()) { wait on the daemon's eventfd; finish_sleep(); }
//
// A restarted host gets fresh regions and a fresh endpoint: the packets a dead driver held are
// not worth recovering one by one.
// FIXME: Rate-limit doorbells; a driver that keeps its wants_wakeup flags set costs the daemon one
// eventfd write per published batch (bounded by that interface's traffic, but not free).
#pragma once

#include <netdext/shm/ownership.h>
#include <netdext/shm/pool_layout.h>
#include <netdext/shm/ring.h>
#include <netdext/shm/rings_layout.h>
#include <netdext/shm/validation.h>

#include <array>
#include <cstdint>
#include <span>

namespace netdext::shm {

// For each ring (indexed by ring_slot), the eventfd that wakes the *peer's* end of that ring;
// nullptr leaves the doorbell disconnected (it still counts). The same eventfd may serve several.
struct RingDoorbells {
    std::array<const EventFd *, kMaxRings> peer{};
};

// A frame the daemon filled and hands to the driver (TX submission), with the offload metadata
// the stack asked for (offload.h: TSO segment size, partial checksum; all zero without).
struct TxFrame {
    uint32_t packet = 0;
    uint32_t data_length = 0;
    uint16_t data_offset = 0;
    uint8_t link_header_length = 0;
    uint32_t offload_flags = 0; // offload::kTxCsum* | kTso*
    uint16_t gso_size = 0;
    uint16_t csum_start = 0;
    uint16_t csum_stuff = 0;
};

// A validated frame the driver received (RX completion). The fields are the daemon's private copy,
// read once from the descriptor; the packet is DaemonHeld until release(). `offload` holds the
// validated checksum and LRO claims the daemon honours (set_rx_offloads).
struct RxFrame {
    uint32_t packet = 0;
    uint32_t data_length = 0;
    uint16_t data_offset = 0;
    uint8_t link_header_length = 0;
    bool data_valid = false;  // checksum-valid: the stack need not verify it
    uint8_t gso_type = 0;     // offload::kVnetGsoTcpV4/V6 for an LRO frame, else 0
    uint16_t gso_size = 0;
    uint16_t hdr_len = 0;
    uint16_t csum_start = 0; // LRO: the TCP header (the frame goes up CHECKSUM_PARTIAL)
};

struct RingCounters {
    uint64_t packets = 0; // entries moved through the ring (produced or consumed)
    uint64_t batches = 0; // non-empty ring operations
};

class DaemonEndpoint {
public:
    // Batches larger than this are split; it sizes the private scratch array.
    static constexpr uint32_t kScratchBatch = 256;

    // The daemon creates both regions, so this initialises them: pool header and descriptors,
    // rings header and controls (indices at start_index). Every usable packet starts DaemonFree.
    // Call it before the host attaches the rings (it clears the wakeup flags); the pool may already
    // be mapped by the host, which holds no packet until the endpoint exists.
    [[nodiscard]] static Result<DaemonEndpoint>
    create(std::span<std::byte> pool_region, const PoolLayout &pool,
           std::span<std::byte> rings_region, const RingsLayout &rings,
           const RingDoorbells &doorbells = {}, uint32_t start_index = 0);

    // ---- TX: the stack → the driver -----------------------------------------------------------
    // Takes up to out.size() packets off the free list (now DaemonHeld); returns how many.
    [[nodiscard]] uint32_t take_free(std::span<uint32_t> out);
    // The whole buffer of a packet the daemon holds (buffer_size bytes).
    [[nodiscard]] std::span<std::byte> buffer(uint32_t packet);
    // Writes each frame's descriptor and publishes the frames on TX submission in order. Returns
    // how many were published; the rest (ring full or faulted) stay DaemonHeld for the caller.
    // `queue` picks the queue set (RingsLayout::queue_sets; the queues of one kind a driver
    // registered on this pool, in order).
    [[nodiscard]] uint32_t submit_tx(std::span<const TxFrame> frames, uint32_t queue = 0);
    // Takes back up to `max` TX completions; valid ones return to the free list. Returns how many
    // were valid. A packet may come back on any TX completion queue of its pool.
    uint32_t reap_tx_completions(uint32_t max, uint32_t queue = 0);

    // ---- RX: the driver → the stack -----------------------------------------------------------
    // Publishes free packets on RX submission until the driver holds `outstanding_limit` RX
    // packets, the ring is full or the free list is empty. Returns how many were published.
    // (The limit counts the RX packets the driver holds from every RX queue of this pool.)
    uint32_t restock_rx(uint32_t outstanding_limit, uint32_t queue = 0);
    // Takes back RX completions until `out` is full or the ring is empty; fills `out` with the
    // valid frames (now DaemonHeld) and returns their number. Invalid ones are counted and freed.
    [[nodiscard]] uint32_t poll_rx_completions(std::span<RxFrame> out, uint32_t queue = 0);
    // The frame bytes of a validated RxFrame, bounded by the daemon's own layout.
    [[nodiscard]] std::span<const std::byte> frame_bytes(const RxFrame &frame) const;

    // Which RX offload claims the daemon honours (validation.h rules 7-8): a checksum-valid claim
    // (the driver declared RX checksum), LRO (it declared LRO). Others are ignored. Default: none.
    void set_rx_offloads(bool checksum, bool lro) {
        m_rx_checksum = checksum;
        m_rx_lro = lro;
    }
    // Rule 8 verifies the first checksum-valid frame and one in this many after it.
    static constexpr uint32_t kChecksumSampleInterval = 64;

    // ---- driver-side allocation and deallocation ----------------------------------------------
    // Keeps up to `outstanding_limit` packets on offer to (or allocated by) the driver.
    uint32_t restock_allocation(uint32_t outstanding_limit);
    // Takes back up to `max` packets the driver deallocated. Returns how many were valid.
    uint32_t reap_free_ring(uint32_t max);
    // Returns DaemonHeld packets to the free list.
    void release(std::span<const uint32_t> packets);

    // ---- sleeping -----------------------------------------------------------------------------
    // Arms the wakeup flags of every driver → daemon ring (completions of every queue set, free;
    // without `tx_completions`, not the TX completion rings: the caller reaps those when it next
    // wakes, as a NIC moderates its TX-done interrupts). True when all armed rings are still
    // empty: block on the daemon's eventfd, then call finish_sleep(). False: work arrived.
    [[nodiscard]] bool prepare_to_sleep(bool tx_completions = true);
    void finish_sleep();
    // The same for some of the rings, when several threads share the endpoint (one frame mover
    // per queue set, each woken by its own doorbell): the completion rings of the queue sets in
    // `queue_sets` (bit q: set q), the free ring if `free_ring`, TX completions only with
    // `tx_completions`. finish_sleep() with the same set ends it.
    struct SleepRings {
        uint32_t queue_sets = UINT32_MAX;
        bool free_ring = true;
        bool tx_completions = true;
    };
    [[nodiscard]] bool prepare_to_sleep(const SleepRings &rings);
    void finish_sleep(const SleepRings &rings);

    // ---- state --------------------------------------------------------------------------------
    [[nodiscard]] const DropCounters &drops() const { return m_drops; }
    [[nodiscard]] RingFault fault(RingId ring) const;
    // True once any ring faulted: the driver broke the protocol; the daemon should stop it.
    [[nodiscard]] bool faulted() const { return m_drops.ring_faults != 0; }
    [[nodiscard]] const OwnershipTable &ownership() const { return m_owners; }
    [[nodiscard]] uint32_t free_packets() const { return m_free.size(); }
    // Free slots on a daemon-produced ring (0 for the others), after re-reading its consumer index.
    [[nodiscard]] uint32_t free_space(RingId ring);
    [[nodiscard]] const RingCounters &counters(RingId ring) const {
        return m_counters[ring_slot(ring)];
    }
    [[nodiscard]] uint64_t doorbells_rung(RingId ring) const;
    [[nodiscard]] const PoolLayout &pool_layout() const { return m_pool; }
    [[nodiscard]] uint32_t queue_sets() const { return m_queue_sets; }

private:
    DaemonEndpoint(std::span<std::byte> pool_region, const PoolLayout &pool, OwnershipTable owners,
                   FreeList free);

    PacketDescriptor &descriptor(uint32_t packet) const;
    void reclaim(uint32_t packet);
    // Rules 1-3 of validation.h; counts the drop. True when the entry passed them.
    bool accept_return(uint32_t packet, RingId ring);
    bool check_rx_descriptor(uint32_t packet, RxFrame &frame);
    std::span<const std::byte> frame_bytes_unchecked(const RxFrame &frame) const;
    // Rules 7-8 on a frame that passed rules 4-6; reason set when it fails.
    bool check_rx_offload(uint32_t flags, uint8_t lro_segments, RxFrame &frame,
                          DropReason &reason);
    uint32_t consume(RingId ring, std::span<uint32_t> out);
    uint32_t produce(RingId ring, std::span<const uint32_t> packets);
    uint32_t restock(RingId ring, PacketState state, uint32_t limit);
    uint32_t reap(RingId ring, uint32_t max);
    void note_fault(RingId ring, RingFault fault);

    std::span<std::byte> m_pool_region;
    PoolLayout m_pool;
    OwnershipTable m_owners;
    FreeList m_free;
    uint32_t m_queue_sets = 1;
    std::array<RingProducer, kMaxRings> m_producers;          // daemon-produced rings only
    std::array<UntrustedRingConsumer, kMaxRings> m_consumers; // driver-produced rings only
    std::array<RingCounters, kMaxRings> m_counters{};
    std::array<bool, kMaxRings> m_fault_counted{};
    DropCounters m_drops;
    std::array<uint32_t, kScratchBatch> m_scratch{};
    bool m_rx_checksum = false;
    bool m_rx_lro = false;
    uint32_t m_checksum_countdown = 0; // frames until the next verified checksum-valid frame
};

} // namespace netdext::shm
