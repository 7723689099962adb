#include <netdext/shm/ring.h>

#include "checked_math.h"

#include <algorithm>
#include <atomic>

namespace netdext::shm {

namespace {

static_assert(std::atomic_ref<uint32_t>::is_always_lock_free,
              "shared-memory atomics must be lock-free to be address-free across processes");
static_assert(std::atomic_ref<uint32_t>::required_alignment <= alignof(uint32_t));

uint32_t load(uint32_t &field, std::memory_order order) {
    return std::atomic_ref<uint32_t>(field).load(order);
}
void store(uint32_t &field, uint32_t value, std::memory_order order) {
    std::atomic_ref<uint32_t>(field).store(value, order);
}

void verify_view(const RingView &view) {
    SHM_VERIFY(view.control != nullptr && view.entries != nullptr);
    SHM_VERIFY(is_power_of_two(view.capacity) && view.capacity <= kMaxRingCapacity);
}

uint32_t clamp_batch(size_t requested, uint32_t capacity) {
    return static_cast<uint32_t>(std::min<size_t>(requested, capacity));
}

} // namespace

void initialize_ring(RingView view, uint32_t start_index) {
    verify_view(view);
    store(view.control->producer_index, start_index, std::memory_order_relaxed);
    store(view.control->consumer_index, start_index, std::memory_order_relaxed);
    store(view.control->consumer_wants_wakeup, 0, std::memory_order_relaxed);
    store(view.control->producer_wants_wakeup, 0, std::memory_order_seq_cst);
}

const char *to_string(RingFault fault) {
    switch (fault) {
    case RingFault::None:
        return "none";
    case RingFault::ProducerIndexBackwards:
        return "producer index moved backwards";
    case RingFault::ProducerIndexRunaway:
        return "producer index ran past the capacity";
    case RingFault::ConsumerIndexBackwards:
        return "consumer index moved backwards";
    case RingFault::ConsumerIndexRunaway:
        return "consumer index passed the producer";
    }
    return "unknown";
}

void Doorbell::ring() {
    ++m_rings;
    if (m_event && m_event->signal().is_error())
        ++m_failures;
}

// ---- producer ----------------------------------------------------------------------------------

RingProducer::RingProducer(RingView view, uint32_t start_index, Doorbell wake_consumer)
    : m_view(view), m_mask(view.capacity - 1), m_head(start_index), m_tail(start_index),
      m_wake_consumer(wake_consumer) {
    verify_view(view);
}

bool RingProducer::refresh_tail(bool for_sleep) {
    if (m_fault != RingFault::None)
        return false;
    uint32_t seen = load(m_view.control->consumer_index,
                         for_sleep ? std::memory_order_seq_cst : std::memory_order_acquire);
    // The consumer may only move forward, and never past what we published.
    uint32_t moved = seen - m_tail;
    if (moved > m_head - m_tail) {
        m_fault = static_cast<int32_t>(moved) < 0 ? RingFault::ConsumerIndexBackwards
                                                  : RingFault::ConsumerIndexRunaway;
        return false;
    }
    m_tail = seen;
    return true;
}

uint32_t RingProducer::produce(std::span<const uint32_t> indices) {
    if (m_fault != RingFault::None || indices.empty())
        return 0;
    uint32_t want = clamp_batch(indices.size(), m_view.capacity);
    uint32_t space = m_view.capacity - (m_head - m_tail);
    if (space < want) {
        if (!refresh_tail(false))
            return 0;
        space = m_view.capacity - (m_head - m_tail);
    }
    uint32_t count = std::min(want, space);
    if (count == 0)
        return 0;
    for (uint32_t i = 0; i < count; ++i)
        store(m_view.entries[(m_head + i) & m_mask], indices[i], std::memory_order_relaxed);
    m_head += count;
    // Release for the entries; seq_cst so the flag load below cannot be ordered before it.
    store(m_view.control->producer_index, m_head, std::memory_order_seq_cst);
    if (load(m_view.control->consumer_wants_wakeup, std::memory_order_seq_cst) != 0)
        m_wake_consumer.ring();
    return count;
}

uint32_t RingProducer::free_space() {
    if (!refresh_tail(false))
        return 0;
    return m_view.capacity - (m_head - m_tail);
}

bool RingProducer::prepare_to_sleep() {
    if (m_fault != RingFault::None)
        return false;
    store(m_view.control->producer_wants_wakeup, 1, std::memory_order_seq_cst);
    if (refresh_tail(true) && m_head - m_tail == m_view.capacity)
        return true;
    finish_sleep();
    return false;
}

void RingProducer::finish_sleep() {
    store(m_view.control->producer_wants_wakeup, 0, std::memory_order_release);
}

// ---- consumer ----------------------------------------------------------------------------------

template <ConsumerTrust Trust>
BasicRingConsumer<Trust>::BasicRingConsumer(RingView view, uint32_t start_index,
                                            Doorbell wake_producer)
    : m_view(view), m_mask(view.capacity - 1), m_tail(start_index), m_head(start_index),
      m_wake_producer(wake_producer) {
    verify_view(view);
}

template <ConsumerTrust Trust> bool BasicRingConsumer<Trust>::refresh_head(bool for_sleep) {
    if (m_fault != RingFault::None)
        return false;
    // The one read of the producer index for this refresh; everything below uses `seen`.
    uint32_t seen = load(m_view.control->producer_index,
                         for_sleep ? std::memory_order_seq_cst : std::memory_order_acquire);
    if constexpr (Trust == ConsumerTrust::Untrusted) {
        // Legal values lie in [m_head, m_tail + capacity]: forward only, never more than a ring.
        uint32_t moved = seen - m_head;
        if (moved > m_view.capacity - (m_head - m_tail)) {
            m_fault = static_cast<int32_t>(moved) < 0 ? RingFault::ProducerIndexBackwards
                                                      : RingFault::ProducerIndexRunaway;
            return false;
        }
    }
    m_head = seen;
    return true;
}

template <ConsumerTrust Trust> uint32_t BasicRingConsumer<Trust>::consume(std::span<uint32_t> out) {
    if (m_fault != RingFault::None || out.empty())
        return 0;
    uint32_t want = clamp_batch(out.size(), m_view.capacity);
    uint32_t ready = m_head - m_tail;
    if (ready < want) {
        if (!refresh_head(false))
            return 0;
        ready = m_head - m_tail;
    }
    uint32_t count = std::min(want, ready);
    if (count == 0)
        return 0;
    // One load per entry into private memory: the caller never looks at the shared slot again.
    for (uint32_t i = 0; i < count; ++i)
        out[i] = load(m_view.entries[(m_tail + i) & m_mask], std::memory_order_relaxed);
    m_tail += count;
    store(m_view.control->consumer_index, m_tail, std::memory_order_seq_cst);
    if (load(m_view.control->producer_wants_wakeup, std::memory_order_seq_cst) != 0)
        m_wake_producer.ring();
    return count;
}

template <ConsumerTrust Trust> uint32_t BasicRingConsumer<Trust>::available() {
    if (!refresh_head(false))
        return 0;
    return m_head - m_tail;
}

template <ConsumerTrust Trust> bool BasicRingConsumer<Trust>::prepare_to_sleep() {
    if (m_fault != RingFault::None)
        return false;
    store(m_view.control->consumer_wants_wakeup, 1, std::memory_order_seq_cst);
    if (refresh_head(true) && m_head == m_tail)
        return true;
    finish_sleep();
    return false;
}

template <ConsumerTrust Trust> void BasicRingConsumer<Trust>::finish_sleep() {
    store(m_view.control->consumer_wants_wakeup, 0, std::memory_order_release);
}

template class BasicRingConsumer<ConsumerTrust::Trusted>;
template class BasicRingConsumer<ConsumerTrust::Untrusted>;

} // namespace netdext::shm
