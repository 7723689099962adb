#include "test_support.h"

#include <netdext/shm/ring.h>

#include <atomic>
#include <numeric>
#include <thread>
#include <vector>

namespace netdext::shm {
namespace {

// One ring in private memory; both ends in this process.
struct LocalRing {
    explicit LocalRing(uint32_t capacity, uint32_t start = 0) : entries(capacity, 0xdeadbeef) {
        view = RingView{&control, entries.data(), capacity};
        initialize_ring(view, start);
    }
    RingControl control{};
    std::vector<uint32_t> entries;
    RingView view;
};

std::vector<uint32_t> iota(uint32_t first, uint32_t count) {
    std::vector<uint32_t> values(count);
    std::iota(values.begin(), values.end(), first);
    return values;
}

TEST(Ring, ProducesAndConsumesBatchesInOrder) {
    LocalRing ring(8);
    RingProducer producer(ring.view, 0, Doorbell());
    RingConsumer consumer(ring.view, 0, Doorbell());

    auto first = iota(100, 5);
    EXPECT_EQ(producer.produce(first), 5u);
    EXPECT_EQ(consumer.available(), 5u);
    std::vector<uint32_t> out(3);
    ASSERT_EQ(consumer.consume(out), 3u);
    EXPECT_EQ(out, iota(100, 3));
    EXPECT_EQ(producer.free_space(), 6u);

    auto second = iota(200, 10);
    EXPECT_EQ(producer.produce(second), 6u) << "only the free slots are filled";
    EXPECT_EQ(producer.produce(second), 0u) << "a full ring takes nothing";
    out.assign(16, 0);
    ASSERT_EQ(consumer.consume(out), 8u);
    std::vector<uint32_t> expected = {103, 104, 200, 201, 202, 203, 204, 205};
    out.resize(8);
    EXPECT_EQ(out, expected);
    EXPECT_EQ(consumer.consume(out), 0u);
    EXPECT_EQ(producer.produce({}), 0u);
}

TEST(Ring, BatchLargerThanCapacityIsClamped) {
    LocalRing ring(4);
    RingProducer producer(ring.view, 0, Doorbell());
    UntrustedRingConsumer consumer(ring.view, 0, Doorbell());
    auto values = iota(0, 100);
    EXPECT_EQ(producer.produce(values), 4u);
    std::vector<uint32_t> out(100);
    EXPECT_EQ(consumer.consume(out), 4u);
    EXPECT_EQ(consumer.fault(), RingFault::None);
}

TEST(Ring, IndicesWrapAroundTwoToTheThirtyTwo) {
    for (uint32_t capacity : {1u, 2u, 16u}) {
        LocalRing ring(capacity, 0xffffffffu - 20);
        RingProducer producer(ring.view, 0xffffffffu - 20, Doorbell());
        UntrustedRingConsumer consumer(ring.view, 0xffffffffu - 20, Doorbell());
        uint32_t next_in = 0, next_out = 0;
        std::vector<uint32_t> out(capacity);
        for (int round = 0; round < 200; ++round) {
            uint32_t batch = 1 + round % capacity;
            auto values = iota(next_in, batch);
            next_in += producer.produce(values);
            uint32_t got = consumer.consume(std::span(out).first(1 + (round * 7) % capacity));
            for (uint32_t i = 0; i < got; ++i)
                ASSERT_EQ(out[i], next_out++) << "capacity " << capacity << " round " << round;
        }
        EXPECT_EQ(consumer.fault(), RingFault::None);
        EXPECT_EQ(producer.fault(), RingFault::None);
        EXPECT_LT(producer.head(), 0xffffffffu - 20) << "the producer index wrapped past 2^32";
        EXPECT_GT(next_out, 100u);
    }
}

TEST(Ring, UntrustedConsumerDetectsABackwardsProducerIndex) {
    LocalRing ring(8);
    RingProducer producer(ring.view, 0, Doorbell());
    UntrustedRingConsumer consumer(ring.view, 0, Doorbell());
    auto values = iota(0, 6);
    ASSERT_EQ(producer.produce(values), 6u);
    std::vector<uint32_t> out(2);
    ASSERT_EQ(consumer.consume(out), 2u);
    ASSERT_EQ(consumer.available(), 4u); // has seen producer index 6

    ring.control.producer_index = 5; // a producer "unpublishing" an entry
    ring.entries.assign(8, 0xabcdef);
    out.assign(8, 7);
    EXPECT_EQ(consumer.consume(out), 0u);
    EXPECT_EQ(consumer.fault(), RingFault::ProducerIndexBackwards);
    EXPECT_EQ(out, std::vector<uint32_t>(8, 7)) << "no entry may be read after a fault";
    EXPECT_EQ(ring.control.consumer_index, 2u) << "a faulted consumer releases nothing";

    ring.control.producer_index = 6; // repairing the index does not revive the ring
    EXPECT_EQ(consumer.consume(out), 0u);
    EXPECT_EQ(consumer.fault(), RingFault::ProducerIndexBackwards);
    EXPECT_FALSE(consumer.prepare_to_sleep());
}

TEST(Ring, UntrustedConsumerDetectsBackwardsBelowItsTail) {
    LocalRing ring(8, 1000);
    UntrustedRingConsumer consumer(ring.view, 1000, Doorbell());
    ring.control.producer_index = 999;
    std::vector<uint32_t> out(4, 7);
    EXPECT_EQ(consumer.consume(out), 0u);
    EXPECT_EQ(consumer.fault(), RingFault::ProducerIndexBackwards);
}

TEST(Ring, UntrustedConsumerDetectsARunawayProducerIndex) {
    for (uint32_t jump : {9u, 1000u, 0x7fffffffu}) {
        LocalRing ring(8);
        UntrustedRingConsumer consumer(ring.view, 0, Doorbell());
        ring.control.producer_index = jump; // more than one ring's worth ahead
        std::vector<uint32_t> out(8, 7);
        EXPECT_EQ(consumer.consume(out), 0u);
        EXPECT_EQ(consumer.fault(), RingFault::ProducerIndexRunaway) << jump;
        EXPECT_EQ(out, std::vector<uint32_t>(8, 7));
        EXPECT_EQ(ring.control.consumer_index, 0u);
    }
}

TEST(Ring, UntrustedConsumerAcceptsExactlyAFullRing) {
    LocalRing ring(8, 0xfffffffc);
    UntrustedRingConsumer consumer(ring.view, 0xfffffffc, Doorbell());
    ring.control.producer_index = 0xfffffffc + 8; // wraps to 4: exactly capacity ahead
    std::vector<uint32_t> out(8);
    EXPECT_EQ(consumer.consume(out), 8u);
    EXPECT_EQ(consumer.fault(), RingFault::None);
}

TEST(Ring, ProducerDetectsABadConsumerIndex) {
    {
        LocalRing ring(4);
        RingProducer producer(ring.view, 0, Doorbell());
        auto values = iota(0, 4);
        ASSERT_EQ(producer.produce(values), 4u);
        ring.control.consumer_index = 5; // consumed more than was produced
        EXPECT_EQ(producer.produce(values), 0u);
        EXPECT_EQ(producer.fault(), RingFault::ConsumerIndexRunaway);
    }
    {
        LocalRing ring(4, 10);
        RingProducer producer(ring.view, 10, Doorbell());
        auto values = iota(0, 4);
        ASSERT_EQ(producer.produce(values), 4u);
        ring.control.consumer_index = 9;
        EXPECT_EQ(producer.free_space(), 0u);
        EXPECT_EQ(producer.fault(), RingFault::ConsumerIndexBackwards);
        EXPECT_EQ(ring.control.producer_index, 14u);
    }
}

TEST(Ring, TwoThreadsMoveManyEntriesInOrder) {
    constexpr uint32_t kTotal = 300'000;
    LocalRing ring(256, 0xfffff000);
    RingProducer producer(ring.view, 0xfffff000, Doorbell());
    UntrustedRingConsumer consumer(ring.view, 0xfffff000, Doorbell());

    std::thread producer_thread([&] {
        std::vector<uint32_t> batch(32);
        uint32_t next = 0;
        auto deadline = std::chrono::steady_clock::now() + testing::kDeadline;
        while (next < kTotal && std::chrono::steady_clock::now() < deadline) {
            uint32_t size = std::min<uint32_t>(1 + next % 32, kTotal - next);
            std::iota(batch.begin(), batch.begin() + size, next);
            uint32_t produced = producer.produce(std::span(batch).first(size));
            next += produced;
            if (produced == 0)
                std::this_thread::yield(); // full: let the consumer run on a loaded machine
        }
    });
    uint32_t expected = 0;
    bool in_order = true;
    std::vector<uint32_t> out(64);
    EXPECT_TRUE(testing::eventually([&] {
        uint32_t got = consumer.consume(out);
        for (uint32_t i = 0; i < got; ++i)
            in_order &= out[i] == expected++;
        return expected == kTotal || consumer.fault() != RingFault::None;
    }));
    producer_thread.join();
    EXPECT_TRUE(in_order);
    EXPECT_EQ(expected, kTotal);
    EXPECT_EQ(consumer.fault(), RingFault::None);
    EXPECT_EQ(producer.fault(), RingFault::None);
    EXPECT_EQ(producer.doorbell().rings(), 0u) << "nobody asked to be woken";
}

TEST(Ring, FaultNamesAreReadable) {
    EXPECT_STREQ(to_string(RingFault::ProducerIndexRunaway),
                 "producer index ran past the capacity");
    EXPECT_STREQ(to_string(RingFault::None), "none");
}

} // namespace
} // namespace netdext::shm
