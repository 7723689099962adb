// The "wake me" protocol: a sleeping side is woken through its eventfd; a busy side costs its peer
// no eventfd writes at all.
#include "test_support.h"

#include <netdext/shm/ring.h>

#include <atomic>
#include <numeric>
#include <thread>
#include <vector>

namespace netdext::shm {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::must;

struct LocalRing {
    explicit LocalRing(uint32_t capacity) : entries(capacity) {
        view = RingView{&control, entries.data(), capacity};
        initialize_ring(view, 0);
    }
    uint32_t consumer_flag() const {
        return std::atomic_ref<uint32_t>(const_cast<uint32_t &>(control.consumer_wants_wakeup))
            .load();
    }
    uint32_t producer_flag() const {
        return std::atomic_ref<uint32_t>(const_cast<uint32_t &>(control.producer_wants_wakeup))
            .load();
    }
    RingControl control{};
    std::vector<uint32_t> entries;
    RingView view;
};

TEST(Wakeup, ASleepingConsumerIsWokenByTheProducer) {
    LocalRing ring(64);
    EventFd consumer_event = must(EventFd::create());
    RingProducer producer(ring.view, 0, Doorbell(&consumer_event));
    UntrustedRingConsumer consumer(ring.view, 0, Doorbell());

    std::atomic<uint32_t> received{0};
    std::atomic<uint32_t> woken_by_eventfd{0};
    std::thread consumer_thread([&] {
        std::vector<uint32_t> out(16);
        auto deadline = std::chrono::steady_clock::now() + testing::kDeadline;
        while (received < 40 && std::chrono::steady_clock::now() < deadline) {
            if (uint32_t got = consumer.consume(out)) {
                received += got;
                continue;
            }
            if (consumer.prepare_to_sleep()) {
                if (must(consumer_event.wait(testing::remaining(deadline)))) {
                    ++woken_by_eventfd;
                    (void)must(consumer_event.drain());
                }
                consumer.finish_sleep();
            }
        }
    });

    std::vector<uint32_t> batch(10);
    std::iota(batch.begin(), batch.end(), 0);
    bool in_step = true;
    for (int round = 0; round < 4 && in_step; ++round) {
        // Publish only once the consumer is armed (and so about to block, or blocked).
        in_step = eventually([&] { return ring.consumer_flag() == 1; });
        uint32_t before = received;
        in_step = in_step && producer.produce(batch) == 10u;
        in_step = in_step && eventually([&] { return received >= before + 10; });
    }
    consumer_thread.join(); // it has its own deadline
    ASSERT_TRUE(in_step);
    EXPECT_EQ(received, 40u);
    EXPECT_GE(producer.doorbell().rings(), 4u) << "every publish to an armed consumer rings";
    EXPECT_GE(woken_by_eventfd, 1u);
    EXPECT_EQ(ring.consumer_flag(), 0u);
}

TEST(Wakeup, ABusyConsumerCostsNoEventfdWrites) {
    constexpr uint32_t kTotal = 300'000;
    LocalRing ring(256);
    EventFd consumer_event = must(EventFd::create());
    RingProducer producer(ring.view, 0, Doorbell(&consumer_event));
    UntrustedRingConsumer consumer(ring.view, 0, Doorbell());

    std::atomic<bool> done{false};
    std::thread consumer_thread([&] {
        std::vector<uint32_t> out(32);
        uint32_t total = 0;
        auto deadline = std::chrono::steady_clock::now() + testing::kDeadline;
        while (total < kTotal && std::chrono::steady_clock::now() < deadline) {
            uint32_t got = consumer.consume(out); // never arms its flag: always busy
            total += got;
            if (got == 0)
                std::this_thread::yield(); // polls, but lets the producer run on a loaded machine
        }
        done = total == kTotal;
    });
    std::vector<uint32_t> batch(32);
    std::iota(batch.begin(), batch.end(), 0);
    uint32_t sent = 0;
    EXPECT_TRUE(eventually([&] {
        sent += producer.produce(std::span(batch).first(std::min<uint32_t>(32, kTotal - sent)));
        return sent == kTotal;
    }));
    consumer_thread.join();
    EXPECT_TRUE(done);
    EXPECT_EQ(producer.doorbell().rings(), 0u);
    EXPECT_EQ(must(consumer_event.drain()), 0u) << "the eventfd counter counts every write";
}

TEST(Wakeup, ArmingWithWorkPendingDoesNotSleep) {
    LocalRing ring(8);
    RingProducer producer(ring.view, 0, Doorbell());
    RingConsumer consumer(ring.view, 0, Doorbell());
    uint32_t one = 1;
    ASSERT_EQ(producer.produce(std::span(&one, 1)), 1u);
    EXPECT_FALSE(consumer.prepare_to_sleep());
    EXPECT_EQ(ring.consumer_flag(), 0u) << "the flag is cleared when not sleeping";
    std::vector<uint32_t> out(8);
    ASSERT_EQ(consumer.consume(out), 1u);
    EXPECT_TRUE(consumer.prepare_to_sleep());
    EXPECT_EQ(ring.consumer_flag(), 1u);
    consumer.finish_sleep();
    EXPECT_EQ(ring.consumer_flag(), 0u);
}

TEST(Wakeup, AProducerWaitingForSpaceIsWokenByTheConsumer) {
    LocalRing ring(4);
    EventFd producer_event = must(EventFd::create());
    RingProducer producer(ring.view, 0, Doorbell());
    RingConsumer consumer(ring.view, 0, Doorbell(&producer_event));

    std::vector<uint32_t> values(4, 9);
    ASSERT_EQ(producer.produce(values), 4u);
    ASSERT_TRUE(producer.prepare_to_sleep()) << "the ring is full";
    EXPECT_EQ(ring.producer_flag(), 1u);

    std::thread consumer_thread([&] {
        std::vector<uint32_t> out(2);
        (void)consumer.consume(out);
    });
    EXPECT_TRUE(must(producer_event.wait(testing::kDeadline)));
    consumer_thread.join();
    producer.finish_sleep();
    EXPECT_EQ(must(producer_event.drain()), 1u);
    EXPECT_EQ(consumer.doorbell().rings(), 1u);
    EXPECT_EQ(producer.free_space(), 2u);
    EXPECT_FALSE(producer.prepare_to_sleep()) << "not full any more";
}

TEST(Wakeup, NoLostWakeupsUnderContention) {
    // The consumer sleeps whenever it finds nothing; every entry must still arrive.
    constexpr uint32_t kTotal = 200'000;
    LocalRing ring(64);
    EventFd consumer_event = must(EventFd::create());
    RingProducer producer(ring.view, 0, Doorbell(&consumer_event));
    UntrustedRingConsumer consumer(ring.view, 0, Doorbell());

    std::atomic<uint32_t> received{0};
    uint32_t sleeps = 0, lost_wakeups = 0;
    std::thread consumer_thread([&] {
        std::vector<uint32_t> out(64);
        auto deadline = std::chrono::steady_clock::now() + testing::kDeadline;
        while (received < kTotal && std::chrono::steady_clock::now() < deadline) {
            if (uint32_t got = consumer.consume(out)) {
                received += got;
            } else if (consumer.prepare_to_sleep()) {
                // The producer is still sending, so a sleep can only end by a doorbell; a
                // timeout here is a lost wakeup.
                ++sleeps;
                if (!must(consumer_event.wait(5s)))
                    ++lost_wakeups;
                (void)must(consumer_event.drain());
                consumer.finish_sleep();
            }
        }
    });
    std::vector<uint32_t> batch(7, 1);
    uint32_t sent = 0;
    EXPECT_TRUE(eventually([&] {
        sent += producer.produce(std::span(batch).first(std::min<uint32_t>(7, kTotal - sent)));
        return sent == kTotal;
    }));
    consumer_thread.join();
    EXPECT_EQ(received, kTotal);
    EXPECT_EQ(lost_wakeups, 0u);
    RecordProperty("sleeps", static_cast<int>(sleeps));
}

} // namespace
} // namespace netdext::shm
