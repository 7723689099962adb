// DaemonEndpoint and DriverEndpoint over two mappings of the same memfds: the packet life cycles
// of DESIGN §4 and every validation drop reason.
#include "test_support.h"

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

namespace netdext::shm {
namespace {

using testing::make_plumbing;
using testing::must;
using testing::uniform_capacities;

constexpr uint32_t kPackets = 32;
constexpr uint32_t kBufferSize = 2048;

class EndpointTest : public ::testing::Test {
protected:
    void SetUp() override {
        p = make_plumbing(kPackets, kPackets, kBufferSize, uniform_capacities(16));
    }
    DaemonEndpoint &daemon() { return *p->daemon; }
    DriverEndpoint &driver() { return *p->driver; }

    // Puts `count` packets in the driver's hands through RX submission.
    std::vector<uint32_t> give_rx(uint32_t count) {
        EXPECT_EQ(daemon().restock_rx(count), count);
        std::vector<uint32_t> ids(count);
        EXPECT_EQ(driver().dequeue(RingId::RxSubmission, ids), count);
        return ids;
    }
    std::vector<uint32_t> give_tx(uint32_t count) {
        std::vector<uint32_t> ids(count);
        EXPECT_EQ(daemon().take_free(ids), count);
        std::vector<TxFrame> frames;
        for (uint32_t id : ids)
            frames.push_back(TxFrame{id, 60, 0, 14});
        EXPECT_EQ(daemon().submit_tx(frames), count);
        EXPECT_EQ(driver().dequeue(RingId::TxSubmission, ids), count);
        return ids;
    }
    void fill_rx(uint32_t packet, uint16_t offset, uint32_t length) {
        PacketDescriptor &descriptor = driver().descriptor(packet);
        descriptor.data_offset = offset;
        descriptor.data_length = length;
    }
    uint32_t complete_rx(std::span<const uint32_t> ids) {
        EXPECT_EQ(driver().enqueue(RingId::RxCompletion, ids), ids.size());
        std::vector<RxFrame> frames(64);
        uint32_t n = daemon().poll_rx_completions(frames);
        std::vector<uint32_t> held;
        for (uint32_t i = 0; i < n; ++i)
            held.push_back(frames[i].packet);
        daemon().release(held);
        return n;
    }
    // Everything except `reason` must be zero; `reason` must be `expected`.
    void expect_only(DropReason reason, uint64_t expected) {
        const DropCounters &drops = daemon().drops();
        for (DropReason r : {DropReason::IndexOutOfRange, DropReason::NotOwnedByDriver,
                             DropReason::WrongQueue, DropReason::BufferMismatch,
                             DropReason::ZeroLengthRx, DropReason::OffsetLengthOutOfBounds})
            EXPECT_EQ(drops.of(r), r == reason ? expected : 0u) << to_string(r);
        EXPECT_EQ(drops.ring_faults, 0u);
        EXPECT_EQ(drops.dropped(), expected);
    }

    std::unique_ptr<testing::Plumbing> p;
};

TEST_F(EndpointTest, StartsWithEveryPacketFree) {
    EXPECT_EQ(daemon().free_packets(), kPackets);
    EXPECT_EQ(daemon().ownership().count(PacketState::DaemonFree), kPackets);
    EXPECT_FALSE(daemon().faulted());
}

TEST_F(EndpointTest, TxFramesReachTheDriverAndComeBack) {
    std::vector<uint32_t> ids(3);
    ASSERT_EQ(daemon().take_free(ids), 3u);
    std::vector<TxFrame> frames;
    for (uint32_t i = 0; i < 3; ++i) {
        std::span<std::byte> buffer = daemon().buffer(ids[i]);
        ASSERT_EQ(buffer.size(), kBufferSize);
        std::memset(buffer.data() + 8, 'a' + static_cast<int>(i), 100);
        frames.push_back(TxFrame{ids[i], 100, 8, 14});
    }
    ASSERT_EQ(daemon().submit_tx(frames), 3u);
    EXPECT_EQ(daemon().ownership().count(PacketState::DriverTx), 3u);

    std::vector<uint32_t> got(8);
    ASSERT_EQ(driver().dequeue(RingId::TxSubmission, got), 3u);
    for (uint32_t i = 0; i < 3; ++i) {
        EXPECT_EQ(got[i], ids[i]);
        const PacketDescriptor &descriptor = driver().descriptor(got[i]);
        EXPECT_EQ(descriptor.data_length, 100u);
        EXPECT_EQ(descriptor.data_offset, 8u);
        EXPECT_EQ(descriptor.link_header_length, 14u);
        EXPECT_EQ(descriptor.direction, static_cast<uint8_t>(PacketDirection::Tx));
        EXPECT_EQ(static_cast<char>(driver().buffer(got[i])[8 + 99]), 'a' + static_cast<int>(i));
    }
    ASSERT_EQ(driver().enqueue(RingId::TxCompletion, std::span(got).first(3)), 3u);
    EXPECT_EQ(daemon().reap_tx_completions(64), 3u);
    EXPECT_EQ(daemon().free_packets(), kPackets);
    expect_only(DropReason::IndexOutOfRange, 0);
}

TEST_F(EndpointTest, RxFramesAreValidatedAndDelivered) {
    EXPECT_EQ(daemon().restock_rx(4), 4u);
    EXPECT_EQ(daemon().restock_rx(4), 0u) << "the limit counts what the driver already holds";
    std::vector<uint32_t> ids(4);
    ASSERT_EQ(driver().dequeue(RingId::RxSubmission, ids), 4u);
    for (uint32_t i = 0; i < 4; ++i) {
        EXPECT_EQ(driver().descriptor(ids[i]).direction, static_cast<uint8_t>(PacketDirection::Rx));
        std::memcpy(driver().buffer(ids[i]) + 2, "frame", 5);
        fill_rx(ids[i], 2, 5 + i);
    }
    ASSERT_EQ(driver().enqueue(RingId::RxCompletion, ids), 4u);

    std::vector<RxFrame> frames(16);
    ASSERT_EQ(daemon().poll_rx_completions(frames), 4u);
    for (uint32_t i = 0; i < 4; ++i) {
        EXPECT_EQ(frames[i].packet, ids[i]);
        EXPECT_EQ(frames[i].data_length, 5 + i);
        std::span<const std::byte> bytes = daemon().frame_bytes(frames[i]);
        ASSERT_EQ(bytes.size(), 5 + i);
        EXPECT_EQ(std::memcmp(bytes.data(), "frame", 5), 0);
    }
    EXPECT_EQ(daemon().ownership().count(PacketState::DaemonHeld), 4u);
    daemon().release(ids);
    EXPECT_EQ(daemon().free_packets(), kPackets);
    expect_only(DropReason::IndexOutOfRange, 0);
}

TEST_F(EndpointTest, ValidatedMetadataIsAPrivateCopy) {
    auto ids = give_rx(1);
    fill_rx(ids[0], 0, 64);
    ASSERT_EQ(driver().enqueue(RingId::RxCompletion, ids), 1u);
    std::vector<RxFrame> frames(1);
    ASSERT_EQ(daemon().poll_rx_completions(frames), 1u);
    fill_rx(ids[0], 60000, 0xffffffff); // the driver rewrites the descriptor after the check
    EXPECT_EQ(frames[0].data_length, 64u);
    EXPECT_EQ(daemon().frame_bytes(frames[0]).size(), 64u);
    daemon().release(ids);
}

TEST_F(EndpointTest, DropsIndexOutOfRange) {
    uint32_t bad[] = {kPackets, 0xffffffff};
    ASSERT_EQ(driver().enqueue(RingId::TxCompletion, bad), 2u);
    EXPECT_EQ(daemon().reap_tx_completions(64), 0u);
    ASSERT_EQ(driver().enqueue(RingId::RxCompletion, std::span(bad).first(1)), 1u);
    std::vector<RxFrame> frames(4);
    EXPECT_EQ(daemon().poll_rx_completions(frames), 0u);
    expect_only(DropReason::IndexOutOfRange, 3);
    EXPECT_EQ(daemon().free_packets(), kPackets);
}

TEST_F(EndpointTest, DropsPacketsTheDriverDoesNotOwn) {
    uint32_t never_given = 5;
    ASSERT_EQ(driver().enqueue(RingId::Free, std::span(&never_given, 1)), 1u);
    EXPECT_EQ(daemon().reap_free_ring(8), 0u);
    expect_only(DropReason::NotOwnedByDriver, 1);
    EXPECT_EQ(daemon().free_packets(), kPackets) << "no double entry on the free list";
}

TEST_F(EndpointTest, DropsADoubleCompletion) {
    auto ids = give_tx(1);
    uint32_t twice[] = {ids[0], ids[0]};
    ASSERT_EQ(driver().enqueue(RingId::TxCompletion, twice), 2u);
    EXPECT_EQ(daemon().reap_tx_completions(8), 1u);
    expect_only(DropReason::NotOwnedByDriver, 1);
    ASSERT_EQ(driver().enqueue(RingId::TxCompletion, std::span(ids).first(1)), 1u);
    EXPECT_EQ(daemon().reap_tx_completions(8), 0u);
    expect_only(DropReason::NotOwnedByDriver, 2);
    EXPECT_EQ(daemon().free_packets(), kPackets);
}

TEST_F(EndpointTest, DropsAPacketReturnedThroughTheWrongQueue) {
    auto rx = give_rx(1);
    ASSERT_EQ(driver().enqueue(RingId::TxCompletion, rx), 1u);
    EXPECT_EQ(daemon().reap_tx_completions(8), 0u);
    expect_only(DropReason::WrongQueue, 1);
    EXPECT_EQ(daemon().ownership().state(rx[0]), PacketState::DaemonFree) << "still reclaimed";

    auto tx = give_tx(1);
    fill_rx(tx[0], 0, 60);
    EXPECT_EQ(complete_rx(tx), 0u);
    expect_only(DropReason::WrongQueue, 2);
    EXPECT_EQ(daemon().free_packets(), kPackets);
}

TEST_F(EndpointTest, DropsABufferIndexTheDriverChanged) {
    auto ids = give_rx(1);
    fill_rx(ids[0], 0, 60);
    driver().descriptor(ids[0]).buffer_index = (ids[0] + 1) % kPackets;
    EXPECT_EQ(complete_rx(ids), 0u);
    expect_only(DropReason::BufferMismatch, 1);
    EXPECT_EQ(daemon().free_packets(), kPackets);
}

TEST_F(EndpointTest, DropsZeroLengthRx) {
    auto ids = give_rx(1);
    fill_rx(ids[0], 0, 0);
    EXPECT_EQ(complete_rx(ids), 0u);
    expect_only(DropReason::ZeroLengthRx, 1);
    EXPECT_EQ(daemon().free_packets(), kPackets);
}

TEST_F(EndpointTest, DropsOffsetPlusLengthPastTheBuffer) {
    auto ids = give_rx(4);
    fill_rx(ids[0], 0, kBufferSize + 1);
    fill_rx(ids[1], 1, kBufferSize);
    fill_rx(ids[2], 0xffff, 0xffffffff);   // would overflow 32-bit arithmetic
    fill_rx(ids[3], 48, kBufferSize - 48); // exactly fits: accepted
    EXPECT_EQ(complete_rx(ids), 1u);
    expect_only(DropReason::OffsetLengthOutOfBounds, 3);
    EXPECT_EQ(daemon().free_packets(), kPackets);
}

TEST_F(EndpointTest, TxCompletionIgnoresDescriptorContents) {
    auto ids = give_tx(1);
    fill_rx(ids[0], 0xffff, 0); // nonsense the daemon has no reason to read
    ASSERT_EQ(driver().enqueue(RingId::TxCompletion, ids), 1u);
    EXPECT_EQ(daemon().reap_tx_completions(8), 1u);
    expect_only(DropReason::ZeroLengthRx, 0);
}

TEST_F(EndpointTest, AllocationAndFreeRingsCirculatePackets) {
    EXPECT_EQ(daemon().restock_allocation(3), 3u);
    std::vector<uint32_t> spare(8);
    ASSERT_EQ(driver().dequeue(RingId::Allocation, spare), 3u);
    fill_rx(spare[0], 0, 42); // an allocated packet may carry a received frame
    EXPECT_EQ(complete_rx(std::span(spare).first(1)), 1u);
    ASSERT_EQ(driver().enqueue(RingId::Free, std::span(spare).subspan(1, 2)), 2u);
    EXPECT_EQ(daemon().reap_free_ring(8), 2u);
    EXPECT_EQ(daemon().free_packets(), kPackets);
    expect_only(DropReason::IndexOutOfRange, 0);
}

TEST_F(EndpointTest, ARingFaultIsCountedOnceAndStopsTheRing) {
    RingControl &control = p->control(RingId::RxCompletion);
    control.producer_index = 1000; // runaway
    std::vector<RxFrame> frames(8);
    EXPECT_EQ(daemon().poll_rx_completions(frames), 0u);
    EXPECT_EQ(daemon().poll_rx_completions(frames), 0u);
    EXPECT_EQ(daemon().drops().ring_faults, 1u);
    EXPECT_TRUE(daemon().faulted());
    EXPECT_EQ(daemon().fault(RingId::RxCompletion), RingFault::ProducerIndexRunaway);
    EXPECT_EQ(daemon().fault(RingId::TxCompletion), RingFault::None);

    // A driver that claims to have consumed more than the daemon published faults the producer
    // the next time it needs to re-read the consumer index (here: once the cached room is used).
    p->control(RingId::RxSubmission).consumer_index = 77;
    EXPECT_EQ(daemon().restock_rx(8), 8u) << "the cached view still had room for these";
    EXPECT_EQ(daemon().fault(RingId::RxSubmission), RingFault::None);
    EXPECT_EQ(daemon().restock_rx(kPackets), 0u);
    EXPECT_EQ(daemon().fault(RingId::RxSubmission), RingFault::ConsumerIndexRunaway);
    EXPECT_EQ(daemon().drops().ring_faults, 2u);
    EXPECT_EQ(daemon().restock_rx(kPackets), 0u);
    EXPECT_EQ(daemon().free_packets(), kPackets - 8) << "nothing else left the free list";
}

TEST_F(EndpointTest, SubmitStopsWhenTheRingIsFull) {
    std::vector<uint32_t> ids(20);
    ASSERT_EQ(daemon().take_free(ids), 20u);
    std::vector<TxFrame> frames;
    for (uint32_t id : ids)
        frames.push_back(TxFrame{id, 60});
    EXPECT_EQ(daemon().submit_tx(frames), 16u);
    EXPECT_EQ(daemon().ownership().count(PacketState::DaemonHeld), 4u) << "the rest stay held";
    daemon().release(std::span(ids).subspan(16));
}

TEST_F(EndpointTest, DaemonNeverReadsTheSharedHeaders) {
    // A driver may scribble over both headers; the daemon's own layouts are what count.
    std::memset(p->host_pool->bytes().data(), 0xff, sizeof(PoolHeader));
    std::memset(p->host_rings->bytes().data(), 0xff, sizeof(RingsHeader));
    auto ids = give_rx(2);
    fill_rx(ids[0], 0, 60);
    fill_rx(ids[1], 0, 60);
    EXPECT_EQ(complete_rx(ids), 2u);
}

TEST(Endpoint, PacketsWithoutBuffersNeverCirculate) {
    auto p = make_plumbing(16, 10, 256, uniform_capacities(16));
    EXPECT_EQ(p->daemon->free_packets(), 10u);
    EXPECT_EQ(p->daemon->restock_rx(16), 10u);
    std::vector<uint32_t> ids(16);
    ASSERT_EQ(p->driver->dequeue(RingId::RxSubmission, ids), 10u);
    for (uint32_t i = 0; i < 10; ++i)
        EXPECT_LT(ids[i], 10u);
    uint32_t bufferless = 12;
    ASSERT_EQ(p->driver->enqueue(RingId::Free, std::span(&bufferless, 1)), 1u);
    EXPECT_EQ(p->daemon->reap_free_ring(4), 0u);
    EXPECT_EQ(p->daemon->drops().not_owned_by_driver, 1u);
}

TEST(Endpoint, DriverPassesOutOfRangeIndicesThroughUntouched) {
    auto p = make_plumbing(16, 16, 256, uniform_capacities(8));
    EXPECT_EQ(p->daemon->restock_rx(1), 1u);
    // Corrupt the entry after the fact, as a buggy daemon (or a fuzzer) might.
    RingView view = p->rings.view(p->daemon_rings->bytes(), RingId::RxSubmission);
    view.entries[0] = 4000;
    std::vector<uint32_t> ids(4);
    ASSERT_EQ(p->driver->dequeue(RingId::RxSubmission, ids), 1u);
    EXPECT_EQ(ids[0], 4000u) << "the caller (the SDK queue) skips and logs it";
}

TEST(Endpoint, DriverRefusesRegionsOfAnotherLayout) {
    auto p = make_plumbing(16, 16, 256, uniform_capacities(16));
    RingsLayout other = must(RingsLayout::compute(uniform_capacities(32)));
    EXPECT_ERROR_CODE(
        DriverEndpoint::attach(p->host_pool->bytes(), p->pool, p->host_rings->bytes(), other),
        ErrorCode::LayoutMismatch);
    PoolLayout other_pool = must(PoolLayout::compute(16, 16, 128));
    EXPECT_ERROR_CODE(
        DriverEndpoint::attach(p->host_pool->bytes(), other_pool, p->host_rings->bytes(), p->rings),
        ErrorCode::LayoutMismatch);
}

TEST(Endpoint, DaemonSleepsOnlyWhenAllReturnRingsAreEmpty) {
    EventFd daemon_event = must(EventFd::create());
    RingDoorbells driver_bells;
    for (RingId id : {RingId::TxCompletion, RingId::RxCompletion, RingId::Free})
        driver_bells.peer[ring_slot(id)] = &daemon_event;
    auto p = make_plumbing(16, 16, 256, uniform_capacities(16), {}, driver_bells);

    EXPECT_EQ(p->daemon->restock_rx(2), 2u);
    std::vector<uint32_t> ids(2);
    ASSERT_EQ(p->driver->dequeue(RingId::RxSubmission, ids), 2u);
    p->driver->descriptor(ids[0]).data_length = 60;

    ASSERT_TRUE(p->daemon->prepare_to_sleep());
    ASSERT_EQ(p->driver->enqueue(RingId::RxCompletion, std::span(ids).first(1)), 1u);
    EXPECT_TRUE(must(daemon_event.wait(testing::kDeadline)));
    EXPECT_EQ(p->driver->doorbells_rung(RingId::RxCompletion), 1u);
    p->daemon->finish_sleep();
    (void)must(daemon_event.drain());

    ASSERT_EQ(p->driver->enqueue(RingId::Free, std::span(ids).subspan(1)), 1u);
    EXPECT_FALSE(p->daemon->prepare_to_sleep()) << "work is pending";
    std::vector<RxFrame> frames(4);
    EXPECT_EQ(p->daemon->poll_rx_completions(frames), 1u);
    EXPECT_EQ(p->daemon->reap_free_ring(4), 1u);
    EXPECT_EQ(must(daemon_event.drain()), 0u) << "a busy daemon is never signalled";
    EXPECT_EQ(p->driver->doorbells_rung(RingId::Free), 0u);
}

TEST(Endpoint, StartsAtAnyIndexIncludingJustBeforeTheWrap) {
    auto p = make_plumbing(64, 64, 256, uniform_capacities(16), {}, {}, 0xfffffff8);
    std::vector<uint32_t> ids(8);
    std::vector<RxFrame> frames(8);
    for (int round = 0; round < 10; ++round) {
        ASSERT_EQ(p->daemon->restock_rx(8), 8u);
        ASSERT_EQ(p->driver->dequeue(RingId::RxSubmission, ids), 8u);
        for (uint32_t id : ids)
            p->driver->descriptor(id).data_length = 100;
        ASSERT_EQ(p->driver->enqueue(RingId::RxCompletion, ids), 8u);
        ASSERT_EQ(p->daemon->poll_rx_completions(frames), 8u);
        for (const RxFrame &frame : frames)
            p->daemon->release(std::span(&frame.packet, 1));
    }
    EXPECT_FALSE(p->daemon->faulted());
    EXPECT_EQ(p->daemon->counters(RingId::RxCompletion).packets, 80u);
}

TEST(Endpoint, DaemonAndDriverThreadsCirculatePacketsBothWays) {
    // The daemon thread (this one) runs TX and RX; a driver thread echoes TX submissions back as
    // completions and turns every RX buffer into a frame. Nothing may be dropped or lost.
    // Enough frames for the rings to wrap thousands of times; the deadline is generous because a
    // loaded 2-core CI machine under ASan runs the two spinning threads slowly.
    constexpr uint64_t kFrames = 20'000;
    auto p = make_plumbing(256, 256, 2048, uniform_capacities(256));
    std::atomic<bool> stop{false};
    std::thread driver_thread([&] {
        DriverEndpoint &driver = *p->driver;
        std::vector<uint32_t> ids(32);
        while (!stop.load(std::memory_order_relaxed)) {
            uint32_t tx = driver.dequeue(RingId::TxSubmission, ids);
            if (tx != 0 && driver.enqueue(RingId::TxCompletion, std::span(ids).first(tx)) != tx)
                std::abort();
            uint32_t rx = driver.dequeue(RingId::RxSubmission, ids);
            for (uint32_t i = 0; i < rx; ++i) {
                std::memcpy(driver.buffer(ids[i]), &ids[i], sizeof ids[i]);
                driver.descriptor(ids[i]).data_length = 64;
            }
            if (rx != 0 && driver.enqueue(RingId::RxCompletion, std::span(ids).first(rx)) != rx)
                std::abort();
            if (tx == 0 && rx == 0)
                std::this_thread::yield();
        }
    });

    DaemonEndpoint &daemon = *p->daemon;
    uint64_t received = 0, sent = 0, bad_payloads = 0;
    std::vector<uint32_t> ids(32);
    std::vector<RxFrame> frames(32);
    std::vector<TxFrame> tx(32);
    bool done = testing::eventually([&] {
        uint32_t n = daemon.take_free(std::span(ids).first(16));
        for (uint32_t i = 0; i < n; ++i)
            tx[i] = TxFrame{ids[i], 60};
        uint32_t submitted = daemon.submit_tx(std::span(tx).first(n));
        daemon.release(std::span(ids).subspan(submitted, n - submitted));
        sent += submitted;
        daemon.reap_tx_completions(64);

        daemon.restock_rx(128);
        uint32_t got = daemon.poll_rx_completions(frames);
        for (uint32_t i = 0; i < got; ++i) {
            uint32_t stamp;
            std::memcpy(&stamp, daemon.frame_bytes(frames[i]).data(), sizeof stamp);
            bad_payloads += stamp != frames[i].packet;
            ids[i] = frames[i].packet;
        }
        daemon.release(std::span(ids).first(got));
        received += got;
        return (received >= kFrames && sent >= kFrames) || daemon.faulted();
    }, std::chrono::minutes(2));
    stop = true;
    driver_thread.join();
    EXPECT_TRUE(done);
    EXPECT_EQ(bad_payloads, 0u);
    EXPECT_EQ(daemon.drops().dropped(), 0u);
    EXPECT_FALSE(daemon.faulted());
}


// NDK 2.x multi-queue registration: several TX and RX queues on one pool share its packets.
TEST(Endpoint, FurtherQueueSetsCarryFramesAndShareThePoolsOwnership) {
    const QueueSetCapacities second = {8, 8, 8, 8};
    auto p = make_plumbing(32, 32, 2048, uniform_capacities(8), {}, {}, 0,
                           std::span<const QueueSetCapacities>(&second, 1));
    DaemonEndpoint &daemon = *p->daemon;
    DriverEndpoint &driver = *p->driver;
    EXPECT_EQ(daemon.queue_sets(), 2u);

    // TX on queue 1; the driver may complete it on either TX completion queue.
    uint32_t ids[2];
    ASSERT_EQ(daemon.take_free(ids), 2u);
    TxFrame frames[2] = {{ids[0], 60, 0, 14}, {ids[1], 60, 0, 14}};
    ASSERT_EQ(daemon.submit_tx(frames, 1), 2u);
    uint32_t got[2];
    EXPECT_EQ(driver.dequeue(RingId::TxSubmission, got), 0u);
    ASSERT_EQ(driver.dequeue(queue_ring(RingId::TxSubmission, 1), got), 2u);
    ASSERT_EQ(driver.enqueue(queue_ring(RingId::TxCompletion, 1), std::span(got, 1)), 1u);
    ASSERT_EQ(driver.enqueue(RingId::TxCompletion, std::span(got + 1, 1)), 1u);
    EXPECT_EQ(daemon.reap_tx_completions(UINT32_MAX, 1), 1u);
    EXPECT_EQ(daemon.reap_tx_completions(UINT32_MAX, 0), 1u);

    // RX restocked on queue 1 counts against the pool-wide limit.
    EXPECT_EQ(daemon.restock_rx(4, 1), 4u);
    EXPECT_EQ(daemon.restock_rx(4, 0), 0u);
    uint32_t rx[4];
    ASSERT_EQ(driver.dequeue(queue_ring(RingId::RxSubmission, 1), rx), 4u);
    driver.descriptor(rx[0]).data_length = 60;
    ASSERT_EQ(driver.enqueue(queue_ring(RingId::RxCompletion, 1), std::span(rx, 1)), 1u);
    RxFrame out[4];
    EXPECT_EQ(daemon.poll_rx_completions(out, 0), 0u);
    ASSERT_EQ(daemon.poll_rx_completions(out, 1), 1u);
    EXPECT_EQ(out[0].packet, rx[0]);
    daemon.release(std::span<const uint32_t>(&out[0].packet, 1));

    // A packet completed again on another queue is caught by the one ownership table.
    ASSERT_EQ(driver.enqueue(queue_ring(RingId::TxCompletion, 1), std::span(rx, 1)), 1u);
    EXPECT_EQ(daemon.reap_tx_completions(UINT32_MAX, 1), 0u);
    EXPECT_EQ(daemon.drops().not_owned_by_driver, 1u);

    // The daemon sleeps only when the further set's completion rings are empty too.
    ASSERT_EQ(driver.enqueue(queue_ring(RingId::RxCompletion, 1), std::span(rx + 1, 1)), 1u);
    EXPECT_FALSE(daemon.prepare_to_sleep());
}

// One frame mover per queue set, each on an eventfd of its own: a sleep arms only the named
// sets' rings (and the free ring if asked), so the driver rings only that mover's doorbell.
TEST(Endpoint, ASleepArmsOnlyTheNamedQueueSets) {
    EventFd first = must(EventFd::create()), second = must(EventFd::create());
    RingDoorbells bells;
    for (size_t slot = 0; slot < kRingCount + 4; ++slot)
        if (!daemon_produces(RingId(slot)))
            bells.peer[slot] = ring_queue(RingId(slot)) == 0 ? &first : &second;
    const QueueSetCapacities more = {8, 8, 8, 8};
    auto p = make_plumbing(32, 32, 2048, uniform_capacities(8), {}, bells, 0,
                           std::span<const QueueSetCapacities>(&more, 1));
    DaemonEndpoint &daemon = *p->daemon;
    DriverEndpoint &driver = *p->driver;
    EXPECT_EQ(daemon.restock_rx(8, 1), 8u); // 8 buffers on set 1's RX ring
    uint32_t rx[8];
    ASSERT_EQ(driver.dequeue(queue_ring(RingId::RxSubmission, 1), rx), 8u);
    for (uint32_t id : rx)
        driver.descriptor(id).data_length = 60;

    // Set 1's mover sleeps; set 0's rings stay unarmed: a completion there rings nobody.
    const DaemonEndpoint::SleepRings set1{1u << 1, false, true};
    ASSERT_TRUE(daemon.prepare_to_sleep(set1));
    ASSERT_EQ(driver.enqueue(RingId::Free, std::span(rx, 1)), 1u);
    EXPECT_EQ(driver.doorbells_rung(RingId::Free), 0u);
    ASSERT_EQ(driver.enqueue(queue_ring(RingId::RxCompletion, 1), std::span(rx + 1, 1)), 1u);
    EXPECT_TRUE(must(second.wait(testing::kDeadline)));
    EXPECT_EQ(must(first.drain()), 0u) << "the other mover's doorbell rang";
    daemon.finish_sleep(set1);
    EXPECT_EQ(daemon.reap_free_ring(8), 1u);
    RxFrame out[8];
    ASSERT_EQ(daemon.poll_rx_completions(out, 1), 1u);

    // Set 0's mover, with the free ring: the same the other way round.
    const DaemonEndpoint::SleepRings set0{1u << 0, true, true};
    ASSERT_TRUE(daemon.prepare_to_sleep(set0));
    ASSERT_EQ(driver.enqueue(queue_ring(RingId::RxCompletion, 1), std::span(rx + 2, 1)), 1u);
    ASSERT_EQ(driver.enqueue(RingId::Free, std::span(rx + 3, 1)), 1u);
    EXPECT_TRUE(must(first.wait(testing::kDeadline)));
    (void)must(second.drain());
    EXPECT_EQ(driver.doorbells_rung(queue_ring(RingId::RxCompletion, 1)), 1u)
        << "only set 1's own sleep asked for that ring's doorbell";
    daemon.finish_sleep(set0);
    // Work on a set a sleep leaves out does not keep that sleep from starting.
    EXPECT_TRUE(daemon.prepare_to_sleep(DaemonEndpoint::SleepRings{1u << 0, false, true}));
    daemon.finish_sleep(DaemonEndpoint::SleepRings{1u << 0, false, true});
    EXPECT_FALSE(daemon.prepare_to_sleep(set1)) << "set 1 has a completion waiting";
}

} // namespace
} // namespace netdext::shm
