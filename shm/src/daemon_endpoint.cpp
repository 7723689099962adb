#include <netdext/shm/daemon_endpoint.h>
#include <netdext/shm/offload.h>

#include <algorithm>
#include <atomic>

namespace netdext::shm {

namespace {

// One read of a driver-writable field. The relaxed atomic load compiles to a plain move; it exists
// so the compiler can never fetch the field a second time after it was checked.
template <class T> T load_once(T &field) {
    return std::atomic_ref<T>(field).load(std::memory_order_relaxed);
}

} // namespace

Result<DaemonEndpoint>
DaemonEndpoint::create(std::span<std::byte> pool_region, const PoolLayout &pool,
                       std::span<std::byte> rings_region, const RingsLayout &rings,
                       const RingDoorbells &doorbells, uint32_t start_index) {
    if (pool_region.size() != pool.total_size)
        return Error::from_code(ErrorCode::LayoutMismatch, "pool region size");
    if (rings_region.size() != rings.total_size)
        return Error::from_code(ErrorCode::LayoutMismatch, "rings region size");
    pool.initialize(pool_region);
    rings.initialize(rings_region, start_index);

    auto owners = SHM_TRY(OwnershipTable::create(pool.packet_count, pool.usable_packet_count()));
    auto free = SHM_TRY(FreeList::create(pool.usable_packet_count()));
    // Highest index pushed first, so the LIFO hands out packet 0 first.
    for (uint32_t packet = pool.usable_packet_count(); packet-- > 0;)
        free.push(packet);

    DaemonEndpoint endpoint(pool_region, pool, std::move(owners), std::move(free));
    endpoint.m_queue_sets = rings.queue_sets;
    for (size_t slot = 0; slot < rings.ring_count(); ++slot) {
        RingId id = static_cast<RingId>(slot);
        Doorbell peer(doorbells.peer[slot]);
        if (daemon_produces(id))
            endpoint.m_producers[slot] =
                RingProducer(rings.view(rings_region, id), start_index, peer);
        else
            endpoint.m_consumers[slot] =
                UntrustedRingConsumer(rings.view(rings_region, id), start_index, peer);
    }
    return endpoint;
}

DaemonEndpoint::DaemonEndpoint(std::span<std::byte> pool_region, const PoolLayout &pool,
                               OwnershipTable owners, FreeList free)
    : m_pool_region(pool_region), m_pool(pool), m_owners(std::move(owners)),
      m_free(std::move(free)) {}

PacketDescriptor &DaemonEndpoint::descriptor(uint32_t packet) const {
    SHM_VERIFY(packet < m_pool.packet_count);
    return *reinterpret_cast<PacketDescriptor *>(m_pool_region.data() +
                                                 m_pool.descriptor_offset_of(packet));
}

void DaemonEndpoint::reclaim(uint32_t packet) {
    m_owners.set(packet, PacketState::DaemonFree);
    m_free.push(packet);
}

void DaemonEndpoint::note_fault(RingId ring, RingFault fault) {
    size_t slot = ring_slot(ring);
    if (fault == RingFault::None || m_fault_counted[slot])
        return;
    m_fault_counted[slot] = true;
    ++m_drops.ring_faults;
}

RingFault DaemonEndpoint::fault(RingId ring) const {
    size_t slot = ring_slot(ring);
    return daemon_produces(ring) ? m_producers[slot].fault() : m_consumers[slot].fault();
}

uint64_t DaemonEndpoint::doorbells_rung(RingId ring) const {
    size_t slot = ring_slot(ring);
    return daemon_produces(ring) ? m_producers[slot].doorbell().rings()
                                 : m_consumers[slot].doorbell().rings();
}

uint32_t DaemonEndpoint::consume(RingId ring, std::span<uint32_t> out) {
    UntrustedRingConsumer &consumer = m_consumers[ring_slot(ring)];
    uint32_t count = consumer.consume(out);
    if (count != 0) {
        m_counters[ring_slot(ring)].packets += count;
        ++m_counters[ring_slot(ring)].batches;
    } else {
        note_fault(ring, consumer.fault());
    }
    return count;
}

uint32_t DaemonEndpoint::produce(RingId ring, std::span<const uint32_t> packets) {
    RingProducer &producer = m_producers[ring_slot(ring)];
    uint32_t count = producer.produce(packets);
    if (count != 0) {
        m_counters[ring_slot(ring)].packets += count;
        ++m_counters[ring_slot(ring)].batches;
    }
    note_fault(ring, producer.fault());
    return count;
}

// ---- validation (rules in validation.h) --------------------------------------------------------

bool DaemonEndpoint::accept_return(uint32_t packet, RingId ring) {
    if (packet >= m_pool.packet_count) {
        m_drops.count(DropReason::IndexOutOfRange);
        return false;
    }
    PacketState state = m_owners.state(packet);
    if (!driver_owns(state)) {
        m_drops.count(DropReason::NotOwnedByDriver);
        return false;
    }
    if (!returns_through(state, ring)) {
        m_drops.count(DropReason::WrongQueue);
        reclaim(packet);
        return false;
    }
    return true;
}

bool DaemonEndpoint::check_rx_descriptor(uint32_t packet, RxFrame &frame) {
    PacketDescriptor &shared = descriptor(packet);
    uint32_t buffer_index = load_once(shared.buffer_index);
    frame.packet = packet;
    frame.data_length = load_once(shared.data_length);
    frame.data_offset = load_once(shared.data_offset);
    frame.link_header_length = load_once(shared.link_header_length);

    const uint32_t flags = (m_rx_checksum || m_rx_lro) ? load_once(shared.flags) : 0;
    const uint8_t lro_segments = m_rx_lro ? load_once(shared.lro_segments) : 0;
    frame.data_valid = false;
    frame.gso_type = 0;
    frame.gso_size = frame.hdr_len = frame.csum_start = 0;

    DropReason reason;
    if (buffer_index != packet) // packet i owns buffer i (pool_layout.h)
        reason = DropReason::BufferMismatch;
    else if (frame.data_length == 0)
        reason = DropReason::ZeroLengthRx;
    else if (uint64_t{frame.data_offset} + frame.data_length > m_pool.buffer_size)
        reason = DropReason::OffsetLengthOutOfBounds;
    else if (check_rx_offload(flags, lro_segments, frame, reason))
        return true;
    m_drops.count(reason);
    reclaim(packet);
    return false;
}

bool DaemonEndpoint::check_rx_offload(uint32_t flags, uint8_t lro_segments, RxFrame &frame,
                                      DropReason &reason) {
    const bool claims_valid = m_rx_checksum && (flags & offload::kRxCsumDataValid) != 0;
    const uint32_t lro = m_rx_lro ? (flags & offload::kLroMask) >> offload::kLroShift : 0;
    if (!claims_valid && lro == 0)
        return true;
    // The frame lies in the packet's buffer (rule 6). A driver may change the bytes after this
    // look; the kernel checks the virtio header against the frame it gets, so the worst it can do
    // is have its own frame dropped there.
    std::span<const std::byte> bytes = frame_bytes_unchecked(frame);
    std::optional<offload::FrameHeaders> headers = offload::parse_headers(bytes);
    reason = DropReason::BadOffloadMetadata;
    if (!headers)
        return false;
    if (lro != 0) {
        const uint32_t header_bytes = uint32_t(headers->l4_offset) + headers->l4_header_length;
        const uint32_t payload = headers->l4_length - headers->l4_header_length;
        const bool ipv6_flag = lro == 2;
        if (headers->protocol != 6 || lro_segments == 0 || payload == 0 || lro > 2 ||
            ipv6_flag != headers->ipv6)
            return false;
        const uint32_t size = (payload + lro_segments - 1) / lro_segments;
        if (size == 0 || size > offload::kMaxSegmentBytes || header_bytes > 0xffff)
            return false;
        if (lro_segments > 1) { // a single segment is an ordinary frame
            frame.gso_type = headers->ipv6 ? offload::kVnetGsoTcpV6 : offload::kVnetGsoTcpV4;
            frame.gso_size = uint16_t(size);
            frame.hdr_len = uint16_t(header_bytes);
            frame.csum_start = headers->l4_offset;
            // The daemon holds the packet now; the checksum field gets what GRO would put there.
            offload::set_pseudo_header_checksum(
                m_pool_region.subspan(m_pool.buffer_offset_of(frame.packet) + frame.data_offset,
                                      frame.data_length),
                *headers);
        }
        frame.data_valid = claims_valid;
        return true; // a coalesced segment's checksum field is not recomputed: not sampled
    }
    // Rule 8: sampled verification of checksum-valid claims.
    if (m_checksum_countdown == 0) {
        m_checksum_countdown = kChecksumSampleInterval;
        if (!offload::l4_checksum_correct(bytes, *headers)) {
            reason = DropReason::ChecksumWrong;
            return false;
        }
    }
    --m_checksum_countdown;
    frame.data_valid = true;
    return true;
}

std::span<const std::byte> DaemonEndpoint::frame_bytes_unchecked(const RxFrame &frame) const {
    return std::span<const std::byte>(m_pool_region)
        .subspan(m_pool.buffer_offset_of(frame.packet) + frame.data_offset, frame.data_length);
}

// ---- TX ----------------------------------------------------------------------------------------

uint32_t DaemonEndpoint::take_free(std::span<uint32_t> out) {
    uint32_t count = m_free.pop(out);
    for (uint32_t i = 0; i < count; ++i)
        m_owners.set(out[i], PacketState::DaemonHeld);
    return count;
}

std::span<std::byte> DaemonEndpoint::buffer(uint32_t packet) {
    SHM_VERIFY(packet < m_pool.packet_count && m_owners.state(packet) == PacketState::DaemonHeld);
    return m_pool_region.subspan(m_pool.buffer_offset_of(packet), m_pool.buffer_size);
}

uint32_t DaemonEndpoint::submit_tx(std::span<const TxFrame> frames, uint32_t queue) {
    SHM_VERIFY(queue < m_queue_sets);
    uint32_t published = 0;
    while (published < frames.size()) {
        auto chunk = frames.subspan(published).first(
            std::min<size_t>(frames.size() - published, kScratchBatch));
        for (size_t i = 0; i < chunk.size(); ++i) {
            const TxFrame &frame = chunk[i];
            SHM_VERIFY(frame.packet < m_pool.packet_count &&
                       m_owners.state(frame.packet) == PacketState::DaemonHeld);
            SHM_VERIFY(uint64_t{frame.data_offset} + frame.data_length <= m_pool.buffer_size);
            PacketDescriptor &shared = descriptor(frame.packet);
            shared.buffer_index = frame.packet;
            shared.data_length = frame.data_length;
            shared.data_offset = frame.data_offset;
            shared.link_header_length = frame.link_header_length;
            shared.direction = static_cast<uint8_t>(PacketDirection::Tx);
            shared.flags = frame.offload_flags;
            shared.gso_size = frame.gso_size;
            shared.csum_start = frame.csum_start;
            shared.csum_stuff = frame.csum_stuff;
            m_scratch[i] = frame.packet;
        }
        uint32_t count = produce(queue_ring(RingId::TxSubmission, queue),
                                 std::span(m_scratch).first(chunk.size()));
        for (uint32_t i = 0; i < count; ++i)
            m_owners.set(m_scratch[i], PacketState::DriverTx);
        published += count;
        if (count < chunk.size())
            break;
    }
    return published;
}

uint32_t DaemonEndpoint::reap(RingId ring, uint32_t max) {
    uint32_t accepted = 0;
    for (uint32_t seen = 0; seen < max;) {
        uint32_t count =
            consume(ring, std::span(m_scratch).first(std::min(max - seen, kScratchBatch)));
        if (count == 0)
            break;
        seen += count;
        for (uint32_t i = 0; i < count; ++i) {
            if (accept_return(m_scratch[i], ring)) {
                reclaim(m_scratch[i]);
                ++accepted;
            }
        }
    }
    return accepted;
}

uint32_t DaemonEndpoint::reap_tx_completions(uint32_t max, uint32_t queue) {
    SHM_VERIFY(queue < m_queue_sets);
    return reap(queue_ring(RingId::TxCompletion, queue), max);
}

uint32_t DaemonEndpoint::reap_free_ring(uint32_t max) {
    return reap(RingId::Free, max);
}

// ---- RX ----------------------------------------------------------------------------------------

uint32_t DaemonEndpoint::restock(RingId ring, PacketState state, uint32_t limit) {
    RingProducer &producer = m_producers[ring_slot(ring)];
    uint32_t published = 0;
    for (;;) {
        uint32_t outstanding = m_owners.count(state);
        if (outstanding >= limit)
            break;
        uint32_t want = std::min({limit - outstanding, m_free.size(), kScratchBatch});
        // Re-read the driver's consumer index only when the cached view says there is no room.
        uint32_t space = producer.cached_free_space();
        if (space < want) {
            space = producer.free_space();
            note_fault(ring, producer.fault());
        }
        want = std::min(want, space);
        if (want == 0)
            break;
        // The descriptors are left as they are: the driver end presents every packet it dequeues
        // from RX submission or allocation as fresh (DriverEndpoint::dequeue), and the daemon
        // reads nothing back without validating it. Sparing the write keeps each descriptor's
        // cache line moving once per use instead of twice.
        uint32_t taken = m_free.pop(std::span(m_scratch).first(want));
        uint32_t count = produce(ring, std::span(m_scratch).first(taken));
        for (uint32_t i = 0; i < count; ++i)
            m_owners.set(m_scratch[i], state);
        // Whatever did not go out (only possible if the ring faulted) goes back, still DaemonFree.
        for (uint32_t i = taken; i-- > count;)
            m_free.push(m_scratch[i]);
        published += count;
        if (count < taken)
            break;
    }
    return published;
}

uint32_t DaemonEndpoint::restock_rx(uint32_t outstanding_limit, uint32_t queue) {
    SHM_VERIFY(queue < m_queue_sets);
    return restock(queue_ring(RingId::RxSubmission, queue), PacketState::DriverRx,
                   outstanding_limit);
}

uint32_t DaemonEndpoint::restock_allocation(uint32_t outstanding_limit) {
    return restock(RingId::Allocation, PacketState::DriverAllocated, outstanding_limit);
}

uint32_t DaemonEndpoint::poll_rx_completions(std::span<RxFrame> out, uint32_t queue) {
    SHM_VERIFY(queue < m_queue_sets);
    const RingId ring = queue_ring(RingId::RxCompletion, queue);
    uint32_t accepted = 0;
    while (accepted < out.size()) {
        uint32_t want =
            static_cast<uint32_t>(std::min<size_t>(out.size() - accepted, kScratchBatch));
        uint32_t count = consume(ring, std::span(m_scratch).first(want));
        if (count == 0)
            break;
        // Start every descriptor's cache-line transfer from the driver's core before the checks.
        for (uint32_t i = 0; i < count; ++i)
            if (m_scratch[i] < m_pool.packet_count)
                __builtin_prefetch(&descriptor(m_scratch[i]));
        for (uint32_t i = 0; i < count; ++i) {
            uint32_t packet = m_scratch[i];
            if (!accept_return(packet, ring))
                continue;
            if (!check_rx_descriptor(packet, out[accepted]))
                continue;
            m_owners.set(packet, PacketState::DaemonHeld);
            ++accepted;
        }
    }
    return accepted;
}

std::span<const std::byte> DaemonEndpoint::frame_bytes(const RxFrame &frame) const {
    SHM_VERIFY(frame.packet < m_pool.packet_count &&
               m_owners.state(frame.packet) == PacketState::DaemonHeld);
    SHM_VERIFY(uint64_t{frame.data_offset} + frame.data_length <= m_pool.buffer_size);
    return std::span<const std::byte>(m_pool_region)
        .subspan(m_pool.buffer_offset_of(frame.packet) + frame.data_offset, frame.data_length);
}

void DaemonEndpoint::release(std::span<const uint32_t> packets) {
    for (uint32_t packet : packets) {
        SHM_VERIFY(packet < m_pool.packet_count &&
                   m_owners.state(packet) == PacketState::DaemonHeld);
        reclaim(packet);
    }
}

// ---- sleeping ----------------------------------------------------------------------------------

// The driver → daemon rings of this layout that `which` names, in slot order.
static size_t driver_produced(uint32_t queue_sets, const DaemonEndpoint::SleepRings &which,
                              std::array<RingId, kMaxRings> &out) {
    size_t n = 0;
    for (size_t slot = 0; slot < kRingCount + 4 * (queue_sets - 1); ++slot) {
        const auto ring = static_cast<RingId>(slot);
        if (daemon_produces(ring))
            continue;
        const RingId kind = ring_kind(ring);
        if (kind == RingId::Free ? !which.free_ring
                                 : ((which.queue_sets >> ring_queue(ring)) & 1u) == 0)
            continue;
        if (kind == RingId::TxCompletion && !which.tx_completions)
            continue;
        out[n++] = ring;
    }
    return n;
}

bool DaemonEndpoint::prepare_to_sleep(bool tx_completions) {
    return prepare_to_sleep(SleepRings{UINT32_MAX, true, tx_completions});
}

void DaemonEndpoint::finish_sleep() {
    finish_sleep(SleepRings{});
}

bool DaemonEndpoint::prepare_to_sleep(const SleepRings &which) {
    std::array<RingId, kMaxRings> rings;
    const size_t count = driver_produced(m_queue_sets, which, rings);
    for (size_t armed = 0; armed < count; ++armed) {
        UntrustedRingConsumer &consumer = m_consumers[ring_slot(rings[armed])];
        if (consumer.fault() != RingFault::None)
            continue; // a dead ring brings no work; faulted() tells the caller to stop the driver
        if (!consumer.prepare_to_sleep()) {
            note_fault(rings[armed], consumer.fault());
            for (size_t i = 0; i < armed; ++i)
                m_consumers[ring_slot(rings[i])].finish_sleep();
            return false;
        }
    }
    return true;
}

void DaemonEndpoint::finish_sleep(const SleepRings &which) {
    // Every ring of those sets, TX completions included: a ring left unarmed is cleared anyway.
    SleepRings all = which;
    all.tx_completions = true;
    std::array<RingId, kMaxRings> rings;
    const size_t count = driver_produced(m_queue_sets, all, rings);
    for (size_t i = 0; i < count; ++i)
        m_consumers[ring_slot(rings[i])].finish_sleep();
}

uint32_t DaemonEndpoint::free_space(RingId ring) {
    if (ring_slot(ring) >= kRingCount + 4 * (m_queue_sets - 1))
        return 0;
    return daemon_produces(ring) ? m_producers[ring_slot(ring)].free_space() : 0;
}

} // namespace netdext::shm
