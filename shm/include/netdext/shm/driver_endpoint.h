// netdext-host's end of one interface's shared memory: what the IOUserNetworkPacketQueue and
// IOUserNetworkPacketBufferPool classes of libdriverkit call. The daemon is trusted here, so ring
// reads are unchecked (RingConsumer); the headers are still checked once on attach, which catches
// mismatched builds.
//
// Rings of further queue sets (queue_ring()) work like those of set 0.
//
// Mapping to DriverKit (one ring operation each):
//   txsQueue/rxsQueue->DequeuePackets(p, n)   dequeue(RingId::TxSubmission / RxSubmission, ids)
//   txcQueue/rxcQueue->EnqueuePacket(s)       enqueue(RingId::TxCompletion / RxCompletion, ids)
//   pool->DeallocatePacket(s)                 enqueue(RingId::Free, ids)
//   pool->allocatePacket (NDK 2.x)            dequeue(RingId::Allocation, ids)
//   packet->setDataLength, ...                descriptor(id); getDataVirtualAddress: buffer(id)
//
// Threading: each ring may be used by one thread at a time (the queue's dispatch queue); different
// rings may be used from different threads concurrently. A packet's descriptor and buffer belong to
// whichever driver thread holds the packet.
#pragma once

#include <netdext/shm/daemon_endpoint.h>

namespace netdext::shm {

class DriverEndpoint {
public:
    // `pool` and `rings` are computed from the parameters the daemon announced; both regions must
    // carry exactly those layouts (LayoutMismatch otherwise). The regions must outlive the
    // endpoint.
    [[nodiscard]] static Result<DriverEndpoint> attach(std::span<std::byte> pool_region,
                                                       const PoolLayout &pool,
                                                       std::span<std::byte> rings_region,
                                                       const RingsLayout &rings,
                                                       const RingDoorbells &doorbells = {});

    // Daemon-produced rings only (TxSubmission, RxSubmission, Allocation). Returns how many.
    // Packets from RxSubmission/Allocation come with a reset descriptor (offset 0, length 0, link
    // header 0, direction Rx/None); TxSubmission descriptors are as the daemon wrote them.
    // Indices are not range-checked (the daemon is trusted); callers skip any >= packet_count.
    [[nodiscard]] uint32_t dequeue(RingId ring, std::span<uint32_t> out);
    // Driver-produced rings only (TxCompletion, RxCompletion, Free). Returns how many were taken;
    // DriverKit: on a short count the caller deallocates the rest (EnqueuePacket failure path).
    [[nodiscard]] uint32_t enqueue(RingId ring, std::span<const uint32_t> packets);
    // Entries waiting on a daemon-produced ring / free slots on a driver-produced ring.
    [[nodiscard]] uint32_t available(RingId ring);
    [[nodiscard]] uint32_t free_space(RingId ring);

    // Sleep protocol on one daemon-produced ring (e.g. TX submission before blocking in the
    // IODataQueueDispatchSource loop): true when still empty after arming.
    [[nodiscard]] bool prepare_to_sleep(RingId ring);
    void finish_sleep(RingId ring);

    [[nodiscard]] PacketDescriptor &descriptor(uint32_t packet) const;
    // Buffer base (getDataVirtualAddress); the frame starts at descriptor(packet).data_offset.
    [[nodiscard]] std::byte *buffer(uint32_t packet) const;
    [[nodiscard]] const PoolLayout &pool_layout() const { return m_pool; }
    [[nodiscard]] uint64_t doorbells_rung(RingId ring) const;

private:
    DriverEndpoint(std::span<std::byte> pool_region, const PoolLayout &pool)
        : m_pool_region(pool_region), m_pool(pool) {}

    std::span<std::byte> m_pool_region;
    PoolLayout m_pool;
    std::array<RingConsumer, kMaxRings> m_consumers; // daemon-produced rings only
    std::array<RingProducer, kMaxRings> m_producers; // driver-produced rings only
    size_t m_ring_count = kRingCount;
};

} // namespace netdext::shm
