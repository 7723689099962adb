#include <netdext/shm/driver_endpoint.h>

#include <atomic>

namespace netdext::shm {

Result<DriverEndpoint> DriverEndpoint::attach(std::span<std::byte> pool_region,
                                              const PoolLayout &pool,
                                              std::span<std::byte> rings_region,
                                              const RingsLayout &rings,
                                              const RingDoorbells &doorbells) {
    SHM_TRY(pool.check(pool_region));
    SHM_TRY(rings.check(rings_region));
    DriverEndpoint endpoint(pool_region, pool);
    endpoint.m_ring_count = rings.ring_count();
    for (size_t slot = 0; slot < rings.ring_count(); ++slot) {
        RingId id = static_cast<RingId>(slot);
        RingView view = rings.view(rings_region, id);
        Doorbell peer(doorbells.peer[slot]);
        // Start from our own index as the daemon initialised it; the daemon may already have
        // produced (e.g. restocked RX) before we attached.
        if (daemon_produces(id)) {
            uint32_t start = std::atomic_ref<uint32_t>(view.control->consumer_index).load();
            endpoint.m_consumers[slot] = RingConsumer(view, start, peer);
        } else {
            uint32_t start = std::atomic_ref<uint32_t>(view.control->producer_index).load();
            endpoint.m_producers[slot] = RingProducer(view, start, peer);
        }
    }
    return endpoint;
}

uint32_t DriverEndpoint::dequeue(RingId ring, std::span<uint32_t> out) {
    SHM_VERIFY(daemon_produces(ring));
    SHM_VERIFY(ring_slot(ring) < m_ring_count);
    uint32_t count = m_consumers[ring_slot(ring)].consume(out);
    if (ring_kind(ring) == RingId::TxSubmission)
        return count; // the daemon wrote these descriptors: they describe the frames to send
    // An empty RX buffer or a spare packet starts fresh, whatever its last use left behind. Doing
    // this here rather than in the daemon keeps the descriptor line in this process's cache for
    // the driver's own writes that follow.
    auto direction = static_cast<uint8_t>(ring_kind(ring) == RingId::RxSubmission ? PacketDirection::Rx
                                                                       : PacketDirection::None);
    for (uint32_t i = 0; i < count; ++i) {
        if (out[i] >= m_pool.packet_count)
            continue; // not a packet: passed through for the caller to reject and log
        PacketDescriptor &fresh = descriptor(out[i]);
        fresh.buffer_index = out[i];
        fresh.data_length = 0;
        fresh.data_offset = 0;
        fresh.link_header_length = 0;
        fresh.direction = direction;
        fresh.flags = 0;
        fresh.gso_size = 0;
        fresh.lro_segments = 0;
        fresh.csum_start = 0;
        fresh.csum_stuff = 0;
        fresh.rx_csum_value = 0;
    }
    return count;
}

uint32_t DriverEndpoint::enqueue(RingId ring, std::span<const uint32_t> packets) {
    SHM_VERIFY(!daemon_produces(ring) && ring_slot(ring) < m_ring_count);
    return m_producers[ring_slot(ring)].produce(packets);
}

uint32_t DriverEndpoint::available(RingId ring) {
    SHM_VERIFY(daemon_produces(ring));
    return m_consumers[ring_slot(ring)].available();
}

uint32_t DriverEndpoint::free_space(RingId ring) {
    SHM_VERIFY(!daemon_produces(ring));
    return m_producers[ring_slot(ring)].free_space();
}

bool DriverEndpoint::prepare_to_sleep(RingId ring) {
    SHM_VERIFY(daemon_produces(ring));
    return m_consumers[ring_slot(ring)].prepare_to_sleep();
}

void DriverEndpoint::finish_sleep(RingId ring) {
    SHM_VERIFY(daemon_produces(ring));
    m_consumers[ring_slot(ring)].finish_sleep();
}

PacketDescriptor &DriverEndpoint::descriptor(uint32_t packet) const {
    SHM_VERIFY(packet < m_pool.packet_count);
    return *reinterpret_cast<PacketDescriptor *>(m_pool_region.data() +
                                                 m_pool.descriptor_offset_of(packet));
}

std::byte *DriverEndpoint::buffer(uint32_t packet) const {
    SHM_VERIFY(packet < m_pool.usable_packet_count());
    return m_pool_region.data() + m_pool.buffer_offset_of(packet);
}

uint64_t DriverEndpoint::doorbells_rung(RingId ring) const {
    size_t slot = ring_slot(ring);
    return daemon_produces(ring) ? m_consumers[slot].doorbell().rings()
                                 : m_producers[slot].doorbell().rings();
}

} // namespace netdext::shm
