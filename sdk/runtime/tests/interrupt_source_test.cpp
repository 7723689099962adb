// IOInterruptDispatchSource: creation against offered interrupt lines, delivery on the target's
// queue with counts and (virtual) times, coalescing, enable/disable, Cancel guarantees and
// reference counts.

#include <gtest/gtest.h>

#include <DriverKit/IOInterruptDispatchSource.h>
#include <netdext/interrupts.h>
#include <netdext/runtime.h>
#include <netdext/time_source.h>
#include <netdext/virtual_clock.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/irq_service.h"
#include "support/test_classes.h"
#include "wait_until.h"

using namespace std::chrono_literals;
using netdext::testing::wait_until;

namespace {

// Holds a queue busy until released, so that work posted meanwhile stays pending. The state is
// shared with the blocking task, which may still be waking up after the blocker is gone.
class QueueBlocker {
public:
    explicit QueueBlocker(IODispatchQueue *queue) {
        queue->DispatchAsync([state = m_state] {
            std::unique_lock lock(state->mutex);
            state->entered = true;
            state->cv.notify_all();
            state->cv.wait(lock, [&] { return state->released; });
        });
        std::unique_lock lock(m_state->mutex);
        m_state->cv.wait_for(lock, 10s, [this] { return m_state->entered; });
    }
    ~QueueBlocker() { release(); }
    void release() {
        std::lock_guard lock(m_state->mutex);
        m_state->released = true;
        m_state->cv.notify_all();
    }

private:
    struct State {
        std::mutex mutex;
        std::condition_variable cv;
        bool entered = false;
        bool released = false;
    };
    std::shared_ptr<State> m_state = std::make_shared<State>();
};

// A provider offering two level-triggered interrupts, a driver-side IrqService with its Default
// queue, and a source on line 0 whose handler is IrqService::Interrupt.
struct InterruptFixture : public ::testing::Test {
    uint64_t live_at_start = 0;
    netdext::VirtualClock clock;
    IOService *provider = nullptr;
    IrqService *driver = nullptr;
    IODispatchQueue *queue = nullptr;
    IOInterruptDispatchSource *source = nullptr;
    OSAction *action = nullptr;

    void SetUp() override {
        ASSERT_TRUE(netdext::wait_until_idle());
        live_at_start = netdext::runtime_stats().live_objects.load();
        clock.install();
        provider = make_object<IOService>("IOService");
        ASSERT_NE(provider, nullptr);
        netdext::offer_interrupts(provider, 2, kIOInterruptTypeLevel);
        driver = make_object<IrqService>("IrqService");
        ASSERT_NE(driver, nullptr);
        ASSERT_EQ(driver->CopyDispatchQueue("Default", &queue), kIOReturnSuccess);
        ASSERT_EQ(IOInterruptDispatchSource::Create(provider, 0, queue, &source), kIOReturnSuccess);
        ASSERT_EQ(driver->CreateActionInterrupt(0, &action), kIOReturnSuccess);
        ASSERT_EQ(source->SetHandler(action), kIOReturnSuccess);
    }
    void TearDown() override {
        ASSERT_TRUE(netdext::wait_until_idle());
        OSSafeReleaseNULL(source);
        OSSafeReleaseNULL(action);
        OSSafeReleaseNULL(queue);
        OSSafeReleaseNULL(driver);
        if (provider != nullptr)
            netdext::offer_interrupts(provider, 0, 0);
        OSSafeReleaseNULL(provider);
        ASSERT_TRUE(netdext::wait_until_idle());
        EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_at_start);
    }
    uint64_t now() { return clock_gettime_nsec_np(CLOCK_UPTIME_RAW); }
    std::vector<IrqService::Call> calls() { return driver->snapshot(); }
};

} // namespace

TEST_F(InterruptFixture, CreateNeedsAnOfferedLine) {
    IOInterruptDispatchSource *other = nullptr;
    EXPECT_EQ(IOInterruptDispatchSource::Create(provider, 2, queue, &other), kIOReturnNoInterrupt);
    EXPECT_EQ(other, nullptr);
    EXPECT_EQ(IOInterruptDispatchSource::Create(driver, 0, queue, &other), kIOReturnNoInterrupt);
    EXPECT_EQ(IOInterruptDispatchSource::Create(nullptr, 0, queue, &other), kIOReturnBadArgument);
    EXPECT_EQ(IOInterruptDispatchSource::Create(provider, 0, nullptr, &other),
              kIOReturnBadArgument);
    ASSERT_EQ(IOInterruptDispatchSource::Create(provider, 1, queue, &other), kIOReturnSuccess);
    EXPECT_EQ(other->netdext_index(), 1u);
    OSSafeReleaseNULL(other);
    EXPECT_EQ(netdext::offered_interrupts(provider), 2u);
    EXPECT_EQ(netdext::offered_interrupts(driver), 0u);
}

TEST_F(InterruptFixture, GetInterruptType) {
    uint64_t type = 99;
    ASSERT_EQ(IOInterruptDispatchSource::GetInterruptType(provider, 1, &type), kIOReturnSuccess);
    EXPECT_EQ(type, uint64_t(kIOInterruptTypeLevel));
    EXPECT_EQ(IOInterruptDispatchSource::GetInterruptType(provider, 2, &type),
              kIOReturnNoInterrupt);
    EXPECT_EQ(IOInterruptDispatchSource::GetInterruptType(driver, 0, &type), kIOReturnNoInterrupt);
    EXPECT_EQ(IOInterruptDispatchSource::GetInterruptType(provider, 0, nullptr),
              kIOReturnBadArgument);
}

TEST_F(InterruptFixture, StartsDisabledAndDropsInterruptsUntilEnabled) {
    EXPECT_FALSE(source->netdext_enabled());
    EXPECT_EQ(netdext::raise_interrupt(provider, 0), 0u);
    EXPECT_FALSE(source->netdext_trigger());
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_TRUE(calls().empty());
    uint64_t count = 7, time = 7;
    ASSERT_EQ(source->GetLastInterrupt(&count, &time), kIOReturnSuccess);
    EXPECT_EQ(count, 0u);
    EXPECT_EQ(time, 0u);
}

TEST_F(InterruptFixture, FiresOnTheTargetsQueueWithTheRunningCountAndTime) {
    ASSERT_EQ(source->SetEnable(true), kIOReturnSuccess);
    uint64_t t0 = now();
    EXPECT_EQ(netdext::raise_interrupt(provider, 0), 1u);
    ASSERT_TRUE(netdext::wait_until_idle());
    clock.advance(5ms);
    EXPECT_EQ(netdext::raise_interrupt(provider, 0, 2), 1u);
    ASSERT_TRUE(netdext::wait_until_idle());
    auto seen = calls();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].count, 1u);
    EXPECT_EQ(seen[0].time, t0);
    EXPECT_EQ(seen[0].queue, queue); // the driver's Default queue
    EXPECT_FALSE(seen[0].on_irq_method);
    EXPECT_EQ(seen[1].count, 3u);
    EXPECT_EQ(seen[1].time, t0 + 5 * uint64_t(kMillisecondScale));
    uint64_t count = 0, time = 0;
    ASSERT_EQ(source->GetLastInterrupt(&count, &time), kIOReturnSuccess);
    EXPECT_EQ(count, 3u);
    EXPECT_EQ(time, t0 + 5 * uint64_t(kMillisecondScale));
    EXPECT_EQ(netdext::raise_interrupt(provider, 1), 0u); // nobody listens on line 1
}

TEST_F(InterruptFixture, RunsOnTheQueueNamedByQueueName) {
    IODispatchQueue *irq_queue = nullptr;
    ASSERT_EQ(IODispatchQueue::Create("Irq", 0, 0, &irq_queue), kIOReturnSuccess);
    ASSERT_EQ(driver->SetDispatchQueue("Irq", irq_queue), kIOReturnSuccess);
    OSAction *irq_action = nullptr;
    ASSERT_EQ(driver->CreateActionInterruptOnIrq(0, &irq_action), kIOReturnSuccess);
    ASSERT_EQ(source->SetHandler(irq_action), kIOReturnSuccess);
    source->SetEnable(true);
    ASSERT_TRUE(source->netdext_trigger());
    ASSERT_TRUE(netdext::wait_until_idle());
    auto seen = calls();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_TRUE(seen[0].on_irq_method);
    EXPECT_EQ(seen[0].queue, irq_queue);
    OSSafeReleaseNULL(irq_action);
    OSSafeReleaseNULL(irq_queue);
}

TEST_F(InterruptFixture, InterruptsBeforeAPendingRunStartsAreCoalescedIntoIt) {
    source->SetEnable(true);
    {
        QueueBlocker blocker(queue);
        for (int i = 0; i < 3; ++i)
            EXPECT_EQ(netdext::raise_interrupt(provider, 0), 1u);
    }
    ASSERT_TRUE(netdext::wait_until_idle());
    auto seen = calls();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].count, 3u);
}

TEST_F(InterruptFixture, DisablingDropsInterruptsAndSuppressesPendingRuns) {
    source->SetEnable(true);
    std::atomic<int> completions{0};
    {
        QueueBlocker blocker(queue);
        EXPECT_TRUE(source->netdext_trigger());
        ASSERT_EQ(source->SetEnableWithCompletion(false, [&] { completions.fetch_add(1); }),
                  kIOReturnSuccess);
        EXPECT_FALSE(source->netdext_trigger());
    }
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_TRUE(calls().empty());
    EXPECT_EQ(completions.load(), 1);
    source->SetEnable(true);
    EXPECT_TRUE(source->netdext_trigger());
    ASSERT_TRUE(netdext::wait_until_idle());
    auto seen = calls();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].count, 2u); // the one taken before the disable is counted
}

TEST_F(InterruptFixture, ContinuousTimeIndexStampsWithTheContinuousClock) {
    // A time source whose two clocks differ, to tell them apart.
    struct SplitClock final : netdext::TimeSource {
        uint64_t now_ns(netdext::ClockDomain domain) override {
            return domain == netdext::ClockDomain::uptime ? 1000 : 9000;
        }
        void arm(IOTimerDispatchSource *, netdext::ClockDomain, uint64_t, uint64_t) override {}
        void disarm(IOTimerDispatchSource *) override {}
    } split;
    netdext::TimeSource *previous = netdext::install_time_source(&split);
    IOInterruptDispatchSource *continuous = nullptr;
    ASSERT_EQ(IOInterruptDispatchSource::Create(provider, 1 | kIOInterruptSourceContinuousTime,
                                                queue, &continuous),
              kIOReturnSuccess);
    EXPECT_EQ(continuous->netdext_index(), 1u);
    continuous->SetEnable(true);
    source->SetEnable(true);
    EXPECT_TRUE(continuous->netdext_trigger());
    EXPECT_TRUE(source->netdext_trigger());
    netdext::install_time_source(previous);
    uint64_t time = 0;
    continuous->GetLastInterrupt(nullptr, &time);
    EXPECT_EQ(time, 9000u);
    source->GetLastInterrupt(nullptr, &time);
    EXPECT_EQ(time, 1000u);
    ASSERT_TRUE(netdext::wait_until_idle());
    OSSafeReleaseNULL(continuous);
}

TEST_F(InterruptFixture, EverySourceOnALineFires) {
    IOInterruptDispatchSource *second = nullptr;
    ASSERT_EQ(IOInterruptDispatchSource::Create(provider, 0, queue, &second), kIOReturnSuccess);
    second->SetHandler(action);
    second->SetEnable(true);
    source->SetEnable(true);
    EXPECT_EQ(netdext::raise_interrupt(provider, 0), 2u);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(calls().size(), 2u);
    OSSafeReleaseNULL(second);
    EXPECT_EQ(netdext::raise_interrupt(provider, 0), 1u); // a released source is gone
}

TEST_F(InterruptFixture, CancelBeforeAPendingRunSuppressesItAndCompletesOnce) {
    source->SetEnable(true);
    std::atomic<int> completions{0};
    IODispatchQueue *completion_queue = nullptr;
    {
        QueueBlocker blocker(queue);
        EXPECT_TRUE(source->netdext_trigger());
        ASSERT_EQ(source->Cancel([&] {
            completions.fetch_add(1);
            completion_queue = IODispatchQueue::netdext_current();
        }),
                  kIOReturnSuccess);
        EXPECT_FALSE(source->netdext_trigger()); // cancelled: dropped
    }
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_TRUE(calls().empty());
    EXPECT_EQ(completions.load(), 1);
    EXPECT_EQ(completion_queue, queue);
    EXPECT_EQ(netdext::raise_interrupt(provider, 0), 0u);
    ASSERT_EQ(source->SetEnable(true), kIOReturnSuccess);
    EXPECT_FALSE(source->netdext_trigger()); // enabling does not revive a cancelled source
}

TEST_F(InterruptFixture, CancelCompletionRunsAfterTheRunningHandlerAndNothingRunsAfter) {
    std::mutex mutex;
    std::condition_variable cv;
    bool entered = false, release_handler = false;
    std::vector<std::string> events;
    driver->on_interrupt = [&](OSAction *, uint64_t, uint64_t) {
        std::unique_lock lock(mutex);
        events.push_back("handler");
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release_handler; });
    };
    source->SetEnable(true);
    ASSERT_TRUE(source->netdext_trigger());
    {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return entered; }));
    }
    EXPECT_TRUE(source->netdext_trigger()); // posted while the handler runs...
    std::atomic<int> completions{0};
    source->Cancel([&] {
        std::lock_guard lock(mutex);
        events.push_back("completion");
        completions.fetch_add(1);
    });
    {
        std::lock_guard lock(mutex);
        release_handler = true;
        cv.notify_all();
    }
    ASSERT_TRUE(wait_until([&] { return completions.load() == 1; }));
    ASSERT_TRUE(netdext::wait_until_idle());
    std::lock_guard lock(mutex);
    // ...but vetoed by the Cancel: one handler run, then the completion, once.
    EXPECT_EQ(events, (std::vector<std::string>{"handler", "completion"}));
}

TEST_F(InterruptFixture, CancelReleasesTheActionSoTheDriverCanGo) {
    int32_t held = action->getRetainCount();
    source->Cancel(nullptr);
    EXPECT_EQ(action->getRetainCount(), held - 1);
    ASSERT_TRUE(netdext::wait_until_idle());
}

TEST_F(InterruptFixture, OfferFollowsTheProviderObjectNotItsAddress) {
    netdext::offer_interrupts(provider, 0, 0);
    IOInterruptDispatchSource *other = nullptr;
    EXPECT_EQ(IOInterruptDispatchSource::Create(provider, 0, queue, &other), kIOReturnNoInterrupt);
    netdext::offer_interrupts(provider, 1, kIOInterruptTypeEdge);
    IOService *next = make_object<IOService>("IOService");
    ASSERT_NE(next, nullptr);
    EXPECT_EQ(netdext::offered_interrupts(next), 0u);
    OSSafeReleaseNULL(next);
}

TEST_F(InterruptFixture, ConcurrentInterruptsAreAllCountedAndTheLatestCountIsDelivered) {
    source->SetEnable(true);
    constexpr int kThreads = 4, kEach = 500;
    std::vector<std::thread> raisers;
    for (int t = 0; t < kThreads; ++t)
        raisers.emplace_back([this] {
            for (int i = 0; i < kEach; ++i)
                netdext::raise_interrupt(provider, 0);
        });
    for (std::thread &raiser : raisers)
        raiser.join();
    ASSERT_TRUE(netdext::wait_until_idle());
    auto seen = calls();
    ASSERT_FALSE(seen.empty());
    for (size_t i = 1; i < seen.size(); ++i)
        EXPECT_LT(seen[i - 1].count, seen[i].count); // runs see the count only grow
    EXPECT_EQ(seen.back().count, uint64_t(kThreads * kEach));
    uint64_t count = 0;
    source->GetLastInterrupt(&count, nullptr);
    EXPECT_EQ(count, uint64_t(kThreads * kEach));
}
