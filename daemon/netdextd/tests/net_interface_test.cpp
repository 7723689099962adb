// The frame mover without root: a NetInterface over a FakeFrameDevice (the TAP) and a FakeDriver
// (the driver's end of the rings), its loop body run from the test thread with run_once(), so
// every counter is exact. One test runs the real mover thread to cover sleeping and waking.

#include <gtest/gtest.h>

#include "net_interface.h"
#include "support/fake_driver.h"
#include "support/fake_network.h"
#include "wait_until.h"

#include <linux/if_tun.h>

#include <numeric>

namespace netdext::daemon {
namespace {

using shm::RingId;
using testing::Bytes;
using testing::FakeDriver;
using testing::FakeFrameDevice;
using testing::test_frame;

// 34 packets but 32 buffers: packets 32 and 33 have no buffer and never circulate.
constexpr uint32_t kPackets = 34, kBuffers = 32, kBufferSize = 2048;
constexpr uint32_t kRingCapacity = 8;
constexpr uint64_t kDropLimit = 8;

struct Mover : public ::testing::Test {
    uint32_t packets = kPackets, buffers = kBuffers;
    uint32_t queue_sets = 1, tap_queues = 1; // the driver's queue sets, the TAP's queues
    bool driver_rings = true; // false: a driver that never rings the daemon's doorbells
    shm::PoolLayout pool;
    std::shared_ptr<shm::SharedRegion> pool_region;
    std::unique_ptr<FakeFrameDevice> owned_device; // the slot's part: outlives iface
    FakeFrameDevice *device = nullptr;
    std::unique_ptr<NetInterface> iface;
    std::optional<FakeDriver> driver;
    std::vector<std::string> faults;

    void SetUp() override {
        pool = shm::PoolLayout::compute(packets, buffers, kBufferSize).value();
        auto region = shm::SharedRegion::create("mover-test-pool", pool.total_size);
        ASSERT_TRUE(region) << region.error().describe();
        pool_region = std::make_shared<shm::SharedRegion>(region.release_value());
        InterfaceConfig config;
        LaneConfig &lane = config.lanes.emplace_back();
        lane.pool_region = pool_region;
        lane.pool_layout = pool;
        for (RingId ring : {RingId::TxSubmission, RingId::TxCompletion, RingId::RxSubmission,
                            RingId::RxCompletion})
            lane.capacities[shm::ring_slot(ring)] = kRingCapacity;
        lane.capacities[shm::ring_slot(RingId::Free)] = 32;
        lane.capacities[shm::ring_slot(RingId::Allocation)] = 32;
        lane.queue_counts.fill(queue_sets);
        lane.more.assign(queue_sets - 1,
                         {kRingCapacity, kRingCapacity, kRingCapacity, kRingCapacity});
        owned_device = std::make_unique<FakeFrameDevice>("en0", 7, tap_queues);
        device = owned_device.get();
        std::string error;
        auto created = NetInterface::create(config, *device, error);
        ASSERT_TRUE(created) << error;
        iface = created.release_value();
        // The driver rings the daemon's doorbells when asked to, as netdext-host does: queue
        // set q's rings the doorbell of mover q % movers, the free ring the first.
        shm::RingDoorbells doorbells;
        for (size_t slot = 0; slot < iface->rings_layout().ring_count() && driver_rings; ++slot)
            if (!shm::daemon_produces(RingId(slot)))
                doorbells.peer[slot] =
                    &iface->daemon_doorbell(shm::ring_queue(RingId(slot)) % iface->mover_count());
        driver = FakeDriver::attach(pool_region->bytes(), pool, iface->rings_region().bytes(),
                                    iface->rings_layout(), doorbells, error);
        ASSERT_TRUE(driver) << error;
        iface->set_fault_handler([this](const std::string &reason) { faults.push_back(reason); },
                                 kDropLimit);
    }

    void enable(bool tx = true, bool rx = true) {
        for (uint32_t q = 0; q < queue_sets; ++q) {
            iface->set_queue_enabled(0, tx, q); // TX submission
            iface->set_queue_enabled(1, tx, q); // TX completion
            iface->set_queue_enabled(2, rx, q); // RX submission
            iface->set_queue_enabled(3, rx, q); // RX completion
        }
    }
    // Runs the mover's loop body until a pass moves nothing.
    void settle() {
        for (int pass = 0; pass < 1000 && iface->run_once(); ++pass) {
        }
    }
    uint64_t counter(const char *name) const {
        uint64_t value = UINT64_MAX;
        iface->counters().for_each([&](const char *n, uint64_t v) {
            if (std::string(n) == name)
                value = v;
        });
        return value;
    }
    // Every counter that is not named in `expected` must be 0.
    void expect_counters(const std::map<std::string, uint64_t> &expected) {
        iface->counters().for_each([&](const char *name, uint64_t value) {
            if (std::string(name) == "wakeups")
                return;
            auto it = expected.find(name);
            EXPECT_EQ(value, it == expected.end() ? 0 : it->second) << name;
        });
    }
};

uint64_t total_bytes(const std::vector<Bytes> &frames) {
    return std::accumulate(frames.begin(), frames.end(), uint64_t(0),
                           [](uint64_t sum, const Bytes &f) { return sum + f.size(); });
}

TEST_F(Mover, EveryFrameTheStackSendsReachesTheDriverOnceInOrderAndComesBack) {
    enable();
    std::vector<Bytes> sent;
    for (uint32_t i = 0; i < 100; ++i) {
        sent.push_back(test_frame(i, 60 + (i * 37) % 1455));
        device->send(sent.back());
    }
    std::vector<Bytes> got;
    for (int round = 0; round < 100 && got.size() < sent.size(); ++round) {
        settle();
        for (Bytes &frame : driver->take_tx())
            got.push_back(std::move(frame));
    }
    settle();
    ASSERT_EQ(got.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i)
        ASSERT_EQ(got[i], sent[i]) << "frame " << i;
    EXPECT_EQ(device->pending(), 0u);
    expect_counters({{"tap_read_frames", 100},
                     {"tap_read_bytes", total_bytes(sent)},
                     {"tx_submitted", 100},
                     {"tx_completed", 100},
                     {"rx_restocked", kRingCapacity}});
}

TEST_F(Mover, TheStackWaitsWhileTheTxRingIsFull) {
    enable();
    for (uint32_t i = 0; i < 20; ++i)
        device->send(test_frame(i, 64));
    settle();
    // Only as many frames as TX submission has room for leave the stack; none is dropped.
    EXPECT_EQ(counter("tap_read_frames"), kRingCapacity);
    EXPECT_EQ(device->pending(), 20u - kRingCapacity);
    std::vector<Bytes> held = driver->take_tx(/*hold=*/true);
    EXPECT_EQ(held.size(), kRingCapacity);
    settle();
    EXPECT_EQ(counter("tap_read_frames"), 2 * kRingCapacity);
    EXPECT_EQ(counter("tx_completed"), 0u);
    // The driver hands them back; the rest follows.
    ASSERT_EQ(driver->publish(RingId::TxCompletion, driver->held_tx()), kRingCapacity);
    size_t more = 0;
    for (int round = 0; round < 10; ++round) {
        settle();
        more += driver->take_tx().size();
    }
    settle();
    EXPECT_EQ(more, 20u - kRingCapacity);
    EXPECT_EQ(counter("tap_read_frames"), 20u);
    EXPECT_EQ(counter("tx_completed"), 20u);
    EXPECT_EQ(counter("drop_tx_ring_full"), 0u);
}

TEST_F(Mover, ADisabledTxQueueLeavesFramesWithTheStack) {
    enable(/*tx=*/false, /*rx=*/true);
    for (uint32_t i = 0; i < 3; ++i)
        device->send(test_frame(i, 100));
    settle();
    EXPECT_EQ(device->pending(), 3u);
    EXPECT_EQ(counter("tap_read_frames"), 0u);
    EXPECT_TRUE(driver->take_tx().empty());
    enable();
    settle();
    EXPECT_EQ(driver->take_tx().size(), 3u);
}

TEST_F(Mover, ADisabledRxQueueGetsNoBuffers) {
    enable(/*tx=*/true, /*rx=*/false);
    settle();
    EXPECT_TRUE(driver->take_rx_buffers().empty());
    EXPECT_EQ(counter("rx_restocked"), 0u);
    enable();
    settle();
    EXPECT_EQ(driver->take_rx_buffers().size(), kRingCapacity);
}

TEST_F(Mover, FramesTheDriverReceivesReachTheStackExactly) {
    enable();
    std::vector<Bytes> sent;
    for (uint32_t round = 0; round < 5; ++round) {
        settle();
        std::vector<uint32_t> buffers = driver->take_rx_buffers();
        ASSERT_EQ(buffers.size(), kRingCapacity) << "round " << round;
        std::vector<std::pair<uint32_t, Bytes>> frames;
        for (uint32_t packet : buffers) {
            sent.push_back(test_frame(uint32_t(sent.size()), 60 + sent.size() * 29));
            frames.emplace_back(packet, sent.back());
        }
        ASSERT_EQ(driver->receive(frames), kRingCapacity);
    }
    settle();
    EXPECT_EQ(device->received(), sent);
    expect_counters({{"rx_completed", 40},
                     {"tap_written_frames", 40},
                     {"tap_written_bytes", total_bytes(sent)},
                     {"rx_restocked", 48}}); // 8 outstanding, refilled after each round
}

TEST_F(Mover, EveryInvalidRxCompletionIsDroppedAndCountedByItsReason) {
    enable();
    settle();
    std::vector<uint32_t> rx = driver->take_rx_buffers();
    ASSERT_EQ(rx.size(), 8u);
    const Bytes good = test_frame(1, 60), also_good = test_frame(2, 70);
    // Batch 1: indices the driver cannot hand back.
    driver->fill(rx[0], good);
    ASSERT_EQ(driver->publish(RingId::RxCompletion,
                              {kPackets,       // == packet_count: just out of range
                               0xffffffffu,    // far out of range
                               kBuffers,       // a packet without a buffer: never the driver's
                               rx[0], rx[0]}), // the same packet twice: the second is not owned
              5u);
    settle();
    // Batch 2: broken descriptors, one valid frame, and an RX buffer on the TX completion ring.
    driver->fill(rx[1], also_good);
    driver->endpoint().descriptor(rx[1]).buffer_index = rx[2]; // packet i owns buffer i
    driver->fill(rx[2], also_good);
    driver->endpoint().descriptor(rx[2]).data_length = 0;
    driver->fill(rx[3], also_good, 16);
    driver->endpoint().descriptor(rx[3]).data_length = kBufferSize - 15; // offset + length > buffer
    driver->fill(rx[4], also_good);
    ASSERT_EQ(driver->publish(RingId::RxCompletion, {rx[1], rx[2], rx[3], rx[4]}), 4u);
    ASSERT_EQ(driver->publish(RingId::TxCompletion, {rx[5]}), 1u);
    settle();

    EXPECT_EQ(device->received(), (std::vector<Bytes>{good, also_good}));
    EXPECT_EQ(counter("drop_index_out_of_range"), 2u);
    EXPECT_EQ(counter("drop_not_owned_by_driver"), 2u);
    EXPECT_EQ(counter("drop_wrong_queue"), 1u);
    EXPECT_EQ(counter("drop_buffer_mismatch"), 1u);
    EXPECT_EQ(counter("drop_zero_length_rx"), 1u);
    EXPECT_EQ(counter("drop_offset_length_out_of_bounds"), 1u);
    EXPECT_EQ(counter("ring_faults"), 0u);
    EXPECT_EQ(counter("rx_completed"), 2u);
    EXPECT_EQ(counter("tap_written_frames"), 2u);
    EXPECT_EQ(iface->counters().validation_drops(), 8u);
    EXPECT_TRUE(faults.empty()) << "8 drops are within the limit of 8";

    // Two more go over the limit: one fault report, however many follow.
    ASSERT_EQ(driver->publish(RingId::RxCompletion, {kPackets, kPackets}), 2u);
    settle();
    ASSERT_EQ(driver->publish(RingId::RxCompletion, {kPackets}), 1u);
    settle();
    iface->run_once();
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0], "the driver handed back 10 invalid packets (limit 8)");
    EXPECT_EQ(counter("drop_index_out_of_range"), 5u);
}

TEST_F(Mover, ARingFaultIsReportedOnceAndTheRingMovesNothingMore) {
    enable();
    settle();
    std::vector<uint32_t> rx = driver->take_rx_buffers();
    shm::RingView view =
        iface->rings_layout().view(iface->rings_region().bytes(), RingId::RxCompletion);
    view.control->producer_index += 100000;
    settle();
    for (int pass = 0; pass < 3; ++pass)
        iface->run_once(); // the mover keeps running until the session stops it
    EXPECT_EQ(counter("ring_faults"), 1u);
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0], "the driver corrupted its ring indices (ring fault)");
    EXPECT_TRUE(device->received().empty());
    EXPECT_EQ(counter("rx_completed"), 0u);
}

TEST_F(Mover, AFrameLargerThanAPacketBufferIsDroppedAndCounted) {
    enable();
    device->send(test_frame(1, kBufferSize + 1));
    device->send(test_frame(2, 100));
    settle();
    std::vector<Bytes> got = driver->take_tx();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], test_frame(2, 100));
    EXPECT_EQ(counter("drop_tap_truncated"), 1u);
    EXPECT_EQ(counter("tap_read_frames"), 1u);
}

TEST_F(Mover, AFullStackBacklogDropsTheRestAndLosesNoPacket) {
    enable();
    settle();
    device->set_write_budget(3);
    std::vector<Bytes> first;
    std::vector<std::pair<uint32_t, Bytes>> frames;
    for (uint32_t packet : driver->take_rx_buffers()) {
        frames.emplace_back(packet, test_frame(packet, 100));
        first.push_back(frames.back().second);
    }
    ASSERT_EQ(driver->receive(frames), 8u);
    settle();
    EXPECT_EQ(device->take_received(), std::vector<Bytes>(first.begin(), first.begin() + 3));
    EXPECT_EQ(counter("rx_completed"), 8u);
    EXPECT_EQ(counter("tap_written_frames"), 3u);
    EXPECT_EQ(counter("tap_written_bytes"), 300u);
    EXPECT_EQ(counter("drop_tap_rejected"), 5u);
    // Every dropped packet went back to the free list: many more rounds than the pool holds.
    for (int round = 0; round < 10; ++round) {
        frames.clear();
        for (uint32_t packet : driver->take_rx_buffers())
            frames.emplace_back(packet, test_frame(packet, 100));
        ASSERT_EQ(frames.size(), 8u) << "round " << round;
        ASSERT_EQ(driver->receive(frames), 8u);
        settle();
    }
    EXPECT_EQ(device->received().size(), 80u);
}

TEST_F(Mover, AFrameTheKernelRefusesIsCountedAsRejectedNotWritten) {
    enable();
    settle();
    std::vector<uint32_t> rx = driver->take_rx_buffers();
    // A TAP refuses frames shorter than an Ethernet header (EINVAL).
    ASSERT_EQ(driver->receive({{rx[0], Bytes(10, 0xab)}, {rx[1], test_frame(1, 60)}}), 2u);
    settle();
    EXPECT_EQ(device->received(), std::vector<Bytes>{test_frame(1, 60)});
    EXPECT_EQ(counter("rx_completed"), 2u);
    EXPECT_EQ(counter("tap_written_frames"), 1u);
    EXPECT_EQ(counter("tap_written_bytes"), 60u);
    EXPECT_EQ(counter("drop_tap_rejected"), 1u);
}

// The real mover thread: it sleeps on the TAP, the daemon doorbell and its stop eventfd, and
// wakes for each.
TEST_F(Mover, TheMoverThreadWakesForTheStackAndForTheDriver) {
    enable();
    iface->start([this](const std::string &reason) { faults.push_back(reason); }, kDropLimit);
    using netdext::testing::wait_until;
    std::vector<Bytes> got;
    for (uint32_t i = 0; i < 20; ++i) {
        device->send(test_frame(i, 80));
        ASSERT_TRUE(wait_until([&] {
            for (Bytes &frame : driver->take_tx())
                got.push_back(std::move(frame));
            return got.size() == i + 1;
        })) << "frame "
            << i;
    }
    std::vector<uint32_t> rx;
    ASSERT_TRUE(wait_until([&] {
        for (uint32_t packet : driver->take_rx_buffers())
            rx.push_back(packet);
        return !rx.empty();
    }));
    for (size_t i = 0; i < rx.size(); ++i) {
        ASSERT_EQ(driver->receive({{rx[i], test_frame(uint32_t(100 + i), 90)}}), 1u);
        ASSERT_TRUE(wait_until([&] { return device->received().size() == i + 1; })) << i;
    }
    ASSERT_TRUE(wait_until([&] { return counter("tx_completed") == 20; }));
    iface->stop();
    EXPECT_GT(counter("wakeups"), 0u);
    EXPECT_EQ(counter("safety_net_wakeups"), 0u) << "the mover missed a doorbell";
    EXPECT_EQ(counter("tap_read_frames"), 20u);
    EXPECT_EQ(counter("tap_written_frames"), rx.size());
    EXPECT_EQ(iface->counters().validation_drops(), 0u);
    EXPECT_TRUE(faults.empty());
}

// A driver that never rings (a lost doorbell) is still served, by the mover's 1 s safety net, and
// the counter says so.
struct SilentDriverMover : Mover {
    void SetUp() override {
        driver_rings = false;
        Mover::SetUp();
    }
};

TEST_F(SilentDriverMover, IsServedByTheSafetyNetAndCounted) {
    enable();
    iface->start([this](const std::string &reason) { faults.push_back(reason); }, kDropLimit);
    using netdext::testing::wait_until;
    shm::RingControl *control =
        iface->rings_layout().view(iface->rings_region().bytes(), RingId::RxCompletion).control;
    // A frame published once the mover has asked to be woken for RX completions is found by the
    // safety net, unless the mover's last look before it slept caught it (a narrow race): then
    // the next frame is tried. Every frame arrives either way.
    uint32_t sent = 0;
    while (counter("safety_net_wakeups") == 0 && sent < 5) {
        std::vector<uint32_t> rx;
        ASSERT_TRUE(wait_until([&] {
            rx = driver->take_rx_buffers(1);
            return !rx.empty();
        }));
        ASSERT_TRUE(wait_until(
            [&] { return std::atomic_ref<uint32_t>(control->consumer_wants_wakeup).load() != 0; }));
        ASSERT_EQ(driver->receive({{rx[0], test_frame(7 + sent, 80)}}), 1u);
        ++sent;
        ASSERT_TRUE(wait_until([&] { return device->received().size() == sent; }));
    }
    iface->stop();
    EXPECT_GE(counter("safety_net_wakeups"), 1u);
    EXPECT_LE(counter("safety_net_wakeups"), uint64_t(sent)) << "counted once per find";
}

// With a whole batch of free packets left, the sleeping mover does not ask the driver to ring for
// TX completions (a NIC's moderated TX-done interrupt): it reaps them shortly anyway, also when
// the driver publishes them long after taking the frames.
struct BigPoolMover : Mover {
    void SetUp() override {
        packets = 258;
        buffers = 256;
        Mover::SetUp();
    }
};

TEST_F(BigPoolMover, TxCompletionsTheDriverNeedNotRingForAreStillReaped) {
    enable();
    iface->start([this](const std::string &reason) { faults.push_back(reason); }, kDropLimit);
    using netdext::testing::wait_until;
    for (uint32_t round = 0; round < 3; ++round) {
        std::vector<Bytes> got;
        for (uint32_t i = 0; i < 4; ++i)
            device->send(test_frame(round * 4 + i, 80));
        ASSERT_TRUE(wait_until([&] {
            for (Bytes &frame : driver->take_tx(/*hold=*/true))
                got.push_back(std::move(frame));
            return got.size() == 4;
        })) << "round "
            << round;
        // The mover has gone back to sleep by now, or soon will; the completions come later.
        const uint64_t wakeups = counter("wakeups");
        ASSERT_TRUE(wait_until([&] { return counter("wakeups") > wakeups; }));
        std::vector<uint32_t> held = driver->held_tx();
        ASSERT_EQ(held.size(), 4u * (round + 1));
        ASSERT_EQ(driver->publish(RingId::TxCompletion,
                                  std::vector<uint32_t>(held.end() - 4, held.end())),
                  4u);
        ASSERT_TRUE(wait_until([&] { return counter("tx_completed") == 4 * (round + 1); }))
            << "round " << round;
    }
    iface->stop();
    EXPECT_EQ(counter("tap_read_frames"), 12u);
    EXPECT_EQ(iface->counters().validation_drops(), 0u);
    EXPECT_TRUE(faults.empty());
}

// A driver with two queue sets on a TAP with two queues (IFF_MULTI_QUEUE): a mover per TAP
// queue, each moving its queue set's frames through its own TAP queue.
struct MultiQueueMover : Mover {
    void SetUp() override {
        queue_sets = 2;
        tap_queues = 2;
        Mover::SetUp();
    }
    FakeFrameDevice &tap_queue(uint32_t q) { return device->queue_device(q); }
};

TEST_F(MultiQueueMover, EachTapQueueMovesThroughItsOwnQueueSet) {
    ASSERT_EQ(iface->mover_count(), 2u);
    EXPECT_EQ(device->active_queues, 2u);
    enable();
    // Stack → driver: what the stack sends through TAP queue q reaches TX submission q only.
    for (uint32_t i = 0; i < 6; ++i)
        tap_queue(i % 2).send(test_frame(i, 70 + i));
    settle();
    std::vector<Bytes> on0 = driver->take_tx(false, 0), on1 = driver->take_tx(false, 1);
    ASSERT_EQ(on0.size(), 3u);
    ASSERT_EQ(on1.size(), 3u);
    for (uint32_t k = 0; k < 3; ++k) {
        EXPECT_EQ(on0[k], test_frame(2 * k, 70 + 2 * k));
        EXPECT_EQ(on1[k], test_frame(2 * k + 1, 71 + 2 * k));
    }
    // Driver → stack: what RX completion q carries is written to TAP queue q.
    std::vector<uint32_t> rx0 = driver->take_rx_buffers(2, 0), rx1 = driver->take_rx_buffers(3, 1);
    ASSERT_EQ(rx0.size(), 2u);
    ASSERT_EQ(rx1.size(), 3u);
    ASSERT_EQ(driver->receive({{rx0[0], test_frame(100, 60)}, {rx0[1], test_frame(101, 61)}}, 0),
              2u);
    ASSERT_EQ(driver->receive({{rx1[0], test_frame(200, 62)},
                               {rx1[1], test_frame(201, 63)},
                               {rx1[2], test_frame(202, 64)}},
                              1),
              3u);
    settle();
    EXPECT_EQ(tap_queue(0).received(),
              (std::vector<Bytes>{test_frame(100, 60), test_frame(101, 61)}));
    EXPECT_EQ(tap_queue(1).received(),
              (std::vector<Bytes>{test_frame(200, 62), test_frame(201, 63), test_frame(202, 64)}));
    EXPECT_EQ(iface->mover_frames(0).read, 3u);
    EXPECT_EQ(iface->mover_frames(1).read, 3u);
    EXPECT_EQ(iface->mover_frames(0).written, 2u);
    EXPECT_EQ(iface->mover_frames(1).written, 3u);
    EXPECT_EQ(counter("tx_completed"), 6u);
    EXPECT_EQ(iface->counters().validation_drops(), 0u);
}

TEST_F(MultiQueueMover, EachMoverThreadWakesForItsOwnQueueSet) {
    enable();
    iface->start([this](const std::string &reason) { faults.push_back(reason); }, kDropLimit);
    using netdext::testing::wait_until;
    // Each frame waits for the one before, so every one finds its mover asleep.
    for (uint32_t i = 0; i < 8; ++i) {
        const uint32_t q = (i / 2) % 2;
        tap_queue(q).send(test_frame(i, 80));
        std::vector<Bytes> got;
        ASSERT_TRUE(wait_until([&] {
            for (Bytes &frame : driver->take_tx(false, q))
                got.push_back(std::move(frame));
            return !got.empty();
        })) << "frame "
            << i;
        EXPECT_EQ(got, std::vector<Bytes>{test_frame(i, 80)});
    }
    for (uint32_t i = 0; i < 8; ++i) {
        const uint32_t q = (i / 2) % 2;
        std::vector<uint32_t> rx;
        ASSERT_TRUE(wait_until([&] {
            rx = driver->take_rx_buffers(1, q);
            return !rx.empty();
        })) << "buffer "
            << i;
        const size_t before = tap_queue(q).received().size();
        ASSERT_EQ(driver->receive({{rx[0], test_frame(100 + i, 90)}}, q), 1u);
        ASSERT_TRUE(wait_until([&] { return tap_queue(q).received().size() == before + 1; }))
            << "frame " << i << " on queue " << q;
    }
    ASSERT_TRUE(wait_until([&] { return counter("tx_completed") == 8; }));
    iface->stop();
    EXPECT_EQ(counter("safety_net_wakeups"), 0u) << "a mover missed its doorbell";
    EXPECT_EQ(iface->mover_frames(0).read, 4u);
    EXPECT_EQ(iface->mover_frames(1).read, 4u);
    EXPECT_EQ(iface->mover_frames(0).written, 4u);
    EXPECT_EQ(iface->mover_frames(1).written, 4u);
    EXPECT_EQ(iface->counters().validation_drops(), 0u);
    EXPECT_TRUE(faults.empty());
}

// A TAP with fewer queues than the driver has queue sets (a kept single-queue TAP): one mover
// serves them all, spreading flows over the TX queues; more TAP queues than sets: the spare ones
// are detached, so the stack sends nothing through them.
struct SharedMover : Mover {
    void SetUp() override {
        queue_sets = 2;
        tap_queues = 1;
        Mover::SetUp();
    }
};

TEST_F(SharedMover, OneMoverServesEveryQueueSet) {
    ASSERT_EQ(iface->mover_count(), 1u);
    enable();
    // Every frame reaches one of the two TX queues (a flow hash picks it); these are all of one
    // flow, so they take one queue, and wait in the stack while it is full: none is lost.
    for (uint32_t i = 0; i < 3 * kRingCapacity; ++i)
        device->send(test_frame(i, 64));
    size_t on0 = 0, on1 = 0;
    for (int round = 0; round < 100 && on0 + on1 < 3 * kRingCapacity; ++round) {
        settle();
        on0 += driver->take_tx(false, 0).size();
        on1 += driver->take_tx(false, 1).size();
    }
    EXPECT_EQ(on0 + on1, 3 * kRingCapacity);
    EXPECT_TRUE(on0 == 0 || on1 == 0);
    EXPECT_EQ(counter("drop_tx_ring_full"), 0u);
    std::vector<uint32_t> rx1 = driver->take_rx_buffers(1, 1);
    ASSERT_EQ(rx1.size(), 1u);
    ASSERT_EQ(driver->receive({{rx1[0], test_frame(300, 64)}}, 1), 1u);
    settle();
    EXPECT_EQ(device->received(), std::vector<Bytes>{test_frame(300, 64)});
}

struct SpareTapQueues : Mover {
    void SetUp() override {
        queue_sets = 2;
        tap_queues = 4;
        Mover::SetUp();
    }
};

TEST_F(SpareTapQueues, AreDetached) {
    EXPECT_EQ(iface->mover_count(), 2u);
    EXPECT_EQ(device->active_queues, 2u);
}

// What the TAP offers a driver declaring TSO: frames no larger than its TX buffers and its
// declared limit (the TAP's gso_max_size), or no TSO when that leaves less than two segments.
struct TsoCase {
    std::unique_ptr<FakeFrameDevice> device;
    std::shared_ptr<shm::SharedRegion> pool;
    std::unique_ptr<NetInterface> iface;
};

TsoCase with_tso(uint32_t buffer_size, uint32_t tso_max_bytes) {
    TsoCase c;
    auto layout = shm::PoolLayout::compute(8, 8, buffer_size).value();
    c.pool = std::make_shared<shm::SharedRegion>(
        shm::SharedRegion::create("tso-test-pool", layout.total_size).release_value());
    InterfaceConfig config;
    LaneConfig &lane = config.lanes.emplace_back();
    lane.pool_region = c.pool;
    lane.pool_layout = layout;
    for (uint32_t &capacity : lane.capacities)
        capacity = 8;
    config.hardware_assists = 0x2 | 0x4 | 0x00200000 | 0x00400000; // checksums, TSO4/6
    config.tso_max_bytes = tso_max_bytes;
    c.device = std::make_unique<FakeFrameDevice>("en0", 7);
    std::string error;
    auto created = NetInterface::create(config, *c.device, error);
    EXPECT_TRUE(created) << error;
    if (created)
        c.iface = created.release_value();
    return c;
}

TEST(Offloads, TsoFramesFitTheBuffersAndTheDriversLimit) {
    constexpr unsigned kTso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    // 64 KiB buffers, no limit (or 65535): frames up to what the buffer holds.
    auto full = with_tso(65536, 0);
    ASSERT_TRUE(full.iface);
    EXPECT_EQ(full.device->offload, kTso);
    EXPECT_EQ(full.iface->tso_frame_bytes(), 65536u - 18);
    EXPECT_EQ(full.device->gso_max_size, 65536u - 18);
    EXPECT_EQ(full.iface->offload_note(), "");
    // A NIC's smaller limit, with buffers sized for it: the TAP's gso_max_size is the limit.
    auto limited = with_tso(16448, 16384);
    ASSERT_TRUE(limited.iface);
    EXPECT_EQ(limited.device->offload, kTso);
    EXPECT_EQ(limited.device->gso_max_size, 16384u);
    // Buffers smaller than the limit bound it instead.
    auto small_buffers = with_tso(8192, 65535);
    ASSERT_TRUE(small_buffers.iface);
    EXPECT_EQ(small_buffers.device->gso_max_size, 8192u - 18);
    // Ethernet-sized buffers, or a limit that is really an MSS: no TSO, and the log says why.
    auto tiny = with_tso(2048, 0);
    ASSERT_TRUE(tiny.iface);
    EXPECT_EQ(tiny.device->offload, unsigned(TUN_F_CSUM));
    EXPECT_EQ(tiny.iface->tso_frame_bytes(), 0u);
    EXPECT_NE(tiny.iface->offload_note().find("buffers hold 2048 bytes"), std::string::npos)
        << tiny.iface->offload_note();
    auto mss = with_tso(65536, 1448);
    ASSERT_TRUE(mss.iface);
    EXPECT_EQ(mss.device->offload, unsigned(TUN_F_CSUM));
    EXPECT_NE(mss.iface->offload_note().find("its limit is 1448 bytes"), std::string::npos)
        << mss.iface->offload_note();
}

} // namespace
} // namespace netdext::daemon
