// The driver's end of an interface's shared memory, driven by a test: what netdext-host's
// libdriverkit does through shm::DriverEndpoint, with helpers to take frames from TX submission,
// take empty RX buffers, fill and complete them — and to break the rules on purpose.
#pragma once

#include "fake_network.h"

#include <netdext/shm/driver_endpoint.h>

#include <optional>
#include <string>
#include <vector>

namespace netdext::daemon::testing {

Bytes test_frame(uint32_t sequence, size_t length); // an Ethernet frame, EtherType 0x88b5

class FakeDriver {
public:
    // nullopt (and `error`) if the regions do not carry the layouts.
    static std::optional<FakeDriver> attach(std::span<std::byte> pool_region,
                                            const shm::PoolLayout &pool,
                                            std::span<std::byte> rings_region,
                                            const shm::RingsLayout &rings,
                                            const shm::RingDoorbells &doorbells,
                                            std::string &error);

    // Every frame waiting on TX submission, in order; completed on TX completion unless `hold`.
    // `queue`: the queue set (NDK 2.x multi-queue), whose TX completion queue completes them.
    std::vector<Bytes> take_tx(bool hold = false, uint32_t queue = 0);
    // Empty buffers from RX submission (at most `max`).
    std::vector<uint32_t> take_rx_buffers(uint32_t max = 256, uint32_t queue = 0);
    // Writes `frame` into the packet's buffer at `offset` and sets its descriptor.
    void fill(uint32_t packet, const Bytes &frame, uint16_t offset = 0);
    // Publishes `packets` on a driver-produced ring in one batch; returns how many fit.
    uint32_t publish(shm::RingId ring, const std::vector<uint32_t> &packets);
    // fill() then publish on RX completion (of queue set `queue`), one batch.
    uint32_t receive(const std::vector<std::pair<uint32_t, Bytes>> &frames, uint32_t queue = 0);

    shm::DriverEndpoint &endpoint() { return m_endpoint; }
    [[nodiscard]] std::vector<uint32_t> held_tx() const { return m_held_tx; }

private:
    explicit FakeDriver(shm::DriverEndpoint endpoint) : m_endpoint(std::move(endpoint)) {}
    shm::DriverEndpoint m_endpoint;
    std::vector<uint32_t> m_held_tx;
};

} // namespace netdext::daemon::testing
