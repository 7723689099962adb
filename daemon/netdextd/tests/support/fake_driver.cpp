// A test-driven driver end of the shared memory (see fake_driver.h).

#include "fake_driver.h"
#include "wait_until.h"

#include <cstring>

namespace netdext::daemon::testing {

using shm::RingId;

Bytes test_frame(uint32_t sequence, size_t length) {
    Bytes frame(length);
    const uint8_t header[14] = {0x10, 0x22, 0x33, 0x44, 0x55, 0x66, 0x02, 0x00, 0x00,
                                0x00, 0x00, 0x01, 0x88, 0xb5};
    std::memcpy(frame.data(), header, std::min(length, sizeof header));
    for (size_t i = sizeof header; i < length; ++i)
        frame[i] = uint8_t(sequence * 131 + i * 7);
    if (length >= 18)
        std::memcpy(frame.data() + 14, &sequence, sizeof sequence);
    return frame;
}

std::optional<FakeDriver> FakeDriver::attach(std::span<std::byte> pool_region,
                                             const shm::PoolLayout &pool,
                                             std::span<std::byte> rings_region,
                                             const shm::RingsLayout &rings,
                                             const shm::RingDoorbells &doorbells,
                                             std::string &error) {
    auto endpoint = shm::DriverEndpoint::attach(pool_region, pool, rings_region, rings, doorbells);
    if (!endpoint) {
        error = endpoint.error().describe();
        return std::nullopt;
    }
    return FakeDriver(endpoint.release_value());
}

std::vector<Bytes> FakeDriver::take_tx(bool hold, uint32_t queue) {
    std::vector<Bytes> frames;
    uint32_t ids[64];
    for (;;) {
        uint32_t n = m_endpoint.dequeue(shm::queue_ring(RingId::TxSubmission, queue), ids);
        if (n == 0)
            break;
        for (uint32_t i = 0; i < n; ++i) {
            const shm::PacketDescriptor &d = m_endpoint.descriptor(ids[i]);
            const auto *data =
                reinterpret_cast<const uint8_t *>(m_endpoint.buffer(ids[i])) + d.data_offset;
            frames.emplace_back(data, data + d.data_length);
        }
        if (hold)
            m_held_tx.insert(m_held_tx.end(), ids, ids + n);
        else {
            // The completion ring may still hold what the mover has not read yet (a loaded
            // machine): publish the rest as it makes room, as a driver would.
            uint32_t done = 0;
            if (!netdext::testing::wait_until([&] {
                    done += publish(shm::queue_ring(RingId::TxCompletion, queue),
                                    std::vector<uint32_t>(ids + done, ids + n));
                    return done == n;
                }))
                break;
        }
    }
    return frames;
}

std::vector<uint32_t> FakeDriver::take_rx_buffers(uint32_t max, uint32_t queue) {
    std::vector<uint32_t> ids(max);
    ids.resize(m_endpoint.dequeue(shm::queue_ring(RingId::RxSubmission, queue), ids));
    return ids;
}

void FakeDriver::fill(uint32_t packet, const Bytes &frame, uint16_t offset) {
    std::memcpy(m_endpoint.buffer(packet) + offset, frame.data(), frame.size());
    shm::PacketDescriptor &d = m_endpoint.descriptor(packet);
    d.data_offset = offset;
    d.data_length = uint32_t(frame.size());
    d.link_header_length = 14;
}

uint32_t FakeDriver::publish(RingId ring, const std::vector<uint32_t> &packets) {
    return m_endpoint.enqueue(ring, packets);
}

uint32_t FakeDriver::receive(const std::vector<std::pair<uint32_t, Bytes>> &frames,
                             uint32_t queue) {
    std::vector<uint32_t> ids;
    for (const auto &[packet, bytes] : frames) {
        fill(packet, bytes);
        ids.push_back(packet);
    }
    return publish(shm::queue_ring(RingId::RxCompletion, queue), ids);
}

} // namespace netdext::daemon::testing
