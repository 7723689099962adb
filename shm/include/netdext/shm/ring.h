// Single-producer single-consumer rings of uint32 packet indices in shared memory.
//
// Shared state is a RingControl (four cache lines, one writer each) and an entries array of a
// power-of-two capacity. Indices are free-running 32-bit counters; slot = index & (capacity - 1);
// entries in flight = producer_index - consumer_index (mod 2^32), always <= capacity.
//
// Who writes what:
//   producer_index, producer_wants_wakeup, entries  — the producer only
//   consumer_index, consumer_wants_wakeup           — the consumer only
// The capacity is never read from shared memory: each end gets it from its own layout.
//
// Per batch each end does one acquire load of the other's index (only when its cached view runs
// out) and one seq_cst store of its own index; entries are relaxed loads/stores (plain moves).
// The seq_cst store doubles as the StoreLoad fence of the wakeup protocol (docs/shm.md):
//   sleeper: store wants_wakeup = 1; re-read the other index; sleep on its eventfd only if still
//            empty (consumer) / full (producer); clear wants_wakeup after waking.
//   waker:   publish own index; if the other side's wants_wakeup is set, ring its doorbell.
// A side that never sleeps never sets its flag, so it costs its peer no syscall at all.
//
// Threading: one thread at a time per ring end; the two ends run on any threads or processes.
// None of these calls allocates, locks, or makes a syscall except Doorbell::ring().
#pragma once

#include <netdext/shm/sys/event_fd.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace netdext::shm {

struct alignas(64) RingControl {
    alignas(64) uint32_t producer_index;        // written by the producer
    alignas(64) uint32_t consumer_index;        // written by the consumer
    alignas(64) uint32_t consumer_wants_wakeup; // consumer: "ring my doorbell when you publish"
    alignas(64) uint32_t producer_wants_wakeup; // producer: "ring my doorbell when you free space"
};
static_assert(sizeof(RingControl) == 256 && alignof(RingControl) == 64);
static_assert(offsetof(RingControl, producer_index) == 0);
static_assert(offsetof(RingControl, consumer_index) == 64);
static_assert(offsetof(RingControl, consumer_wants_wakeup) == 128);
static_assert(offsetof(RingControl, producer_wants_wakeup) == 192);

inline constexpr uint32_t kMaxRingCapacity = 65536;

// Where one ring lives in this process. capacity comes from the local layout.
struct RingView {
    RingControl *control = nullptr;
    uint32_t *entries = nullptr;
    uint32_t capacity = 0; // a power of two, <= kMaxRingCapacity
};

// Writes a fresh RingControl with both indices at start_index and both flags clear (creator only).
void initialize_ring(RingView view, uint32_t start_index);

// Why a ring end stopped trusting its peer. Sticky: a faulted end moves no more entries.
enum class RingFault : uint8_t {
    None,
    ProducerIndexBackwards, // the producer index moved back from a value already seen
    ProducerIndexRunaway,   // it claims more entries than the capacity
    ConsumerIndexBackwards, // the consumer index moved back
    ConsumerIndexRunaway,   // it claims to have consumed entries never produced
};
[[nodiscard]] const char *to_string(RingFault fault);

// Non-owning handle on the eventfd that wakes the peer; counts every ring (each one is a
// write(2)), so tests and statistics can see exactly how many syscalls the protocol cost.
// A default Doorbell is disconnected: it counts but signals nothing.
class Doorbell {
public:
    Doorbell() = default;
    explicit Doorbell(const EventFd *event) : m_event(event) {}

    void ring();
    [[nodiscard]] uint64_t rings() const { return m_rings; }
    [[nodiscard]] uint64_t failures() const { return m_failures; }

private:
    const EventFd *m_event = nullptr;
    uint64_t m_rings = 0;
    uint64_t m_failures = 0;
};

// The producing end. Validates every consumer index it reads (cheap, so always on): a consumer
// index that moves backwards or passes the producer faults the ring.
class RingProducer {
public:
    RingProducer() = default;
    RingProducer(RingView view, uint32_t start_index, Doorbell wake_consumer);

    // Appends up to indices.size() entries, publishes them with one store, and rings the consumer's
    // doorbell if it asked for it. Returns the number appended (less when the ring is full; 0 once
    // faulted).
    [[nodiscard]] uint32_t produce(std::span<const uint32_t> indices);
    // Free slots, after re-reading the consumer index.
    [[nodiscard]] uint32_t free_space();
    // Free slots as of the last consumer index read: a lower bound, no shared-memory access.
    [[nodiscard]] uint32_t cached_free_space() const { return m_view.capacity - (m_head - m_tail); }
    // Entries in flight as of the last consumer index read.
    [[nodiscard]] uint32_t in_flight() const { return m_head - m_tail; }

    // Sleeping while full: true when the ring is still full after arming (then wait on the own
    // eventfd and call finish_sleep()); false when space appeared (flag already cleared).
    [[nodiscard]] bool prepare_to_sleep();
    void finish_sleep();

    [[nodiscard]] RingFault fault() const { return m_fault; }
    [[nodiscard]] uint32_t head() const { return m_head; }
    [[nodiscard]] const Doorbell &doorbell() const { return m_wake_consumer; }

private:
    bool refresh_tail(bool for_sleep);

    RingView m_view;
    uint32_t m_mask = 0;
    uint32_t m_head = 0; // private copy of producer_index; never re-read from shared memory
    uint32_t m_tail = 0; // consumer_index as last read and validated
    RingFault m_fault = RingFault::None;
    Doorbell m_wake_consumer;
};

enum class ConsumerTrust { Trusted, Untrusted };

// The consuming end, in two flavours:
//  - Trusted (RingConsumer): netdext-host reading a daemon-produced ring. No checks.
//  - Untrusted (UntrustedRingConsumer): netdextd reading a driver-produced ring. Reads the producer
//    index once per refresh; an index that moved backwards or runs more than `capacity` ahead
//    faults the ring before any entry is read. Entries are copied out with one load each, so the
//    caller validates its private copy; the values themselves are still untrusted (see
//    DaemonEndpoint).
template <ConsumerTrust Trust> class BasicRingConsumer {
public:
    BasicRingConsumer() = default;
    BasicRingConsumer(RingView view, uint32_t start_index, Doorbell wake_producer);

    // Copies up to out.size() entries into `out` and releases their slots with one store; rings the
    // producer's doorbell if it was waiting for space. Returns the number copied.
    [[nodiscard]] uint32_t consume(std::span<uint32_t> out);
    // Entries ready, after re-reading the producer index.
    [[nodiscard]] uint32_t available();

    // Sleeping while empty: true when still empty after arming (wait on the own eventfd, then call
    // finish_sleep()); false when entries appeared (flag already cleared).
    [[nodiscard]] bool prepare_to_sleep();
    void finish_sleep();

    [[nodiscard]] RingFault fault() const { return m_fault; }
    [[nodiscard]] uint32_t tail() const { return m_tail; }
    [[nodiscard]] const Doorbell &doorbell() const { return m_wake_producer; }

private:
    bool refresh_head(bool for_sleep);

    RingView m_view;
    uint32_t m_mask = 0;
    uint32_t m_tail = 0; // private copy of consumer_index
    uint32_t m_head = 0; // producer_index as last read (and, if untrusted, validated)
    RingFault m_fault = RingFault::None;
    Doorbell m_wake_producer;
};

using RingConsumer = BasicRingConsumer<ConsumerTrust::Trusted>;
using UntrustedRingConsumer = BasicRingConsumer<ConsumerTrust::Untrusted>;

extern template class BasicRingConsumer<ConsumerTrust::Trusted>;
extern template class BasicRingConsumer<ConsumerTrust::Untrusted>;

} // namespace netdext::shm
