// IOTimerDispatchSource under the virtual clock (and once under the real one), and the
// IODispatchSource cancel guarantees.

#include <gtest/gtest.h>

#include <DriverKit/IOTimerDispatchSource.h>
#include <netdext/runtime.h>
#include <netdext/virtual_clock.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "support/test_classes.h"
#include "wait_until.h"

using namespace std::chrono_literals;
using netdext::testing::wait_until;

namespace {

// A started TestService with a timer on its Default queue whose handler is Tick.
struct TimerFixture : public ::testing::Test {
    netdext::VirtualClock clock;
    TestService *service = nullptr;
    IODispatchQueue *queue = nullptr;
    IOTimerDispatchSource *timer = nullptr;
    OSAction *action = nullptr;

    void SetUp() override {
        clock.install();
        service = make_object<TestService>("TestService");
        ASSERT_NE(service, nullptr);
        ASSERT_EQ(service->CopyDispatchQueue("Default", &queue), kIOReturnSuccess);
        ASSERT_EQ(IOTimerDispatchSource::Create(queue, &timer), kIOReturnSuccess);
        ASSERT_EQ(service->CreateActionTick(sizeof(void *), &action), kIOReturnSuccess);
        ASSERT_EQ(timer->SetHandler(action), kIOReturnSuccess);
    }
    void TearDown() override {
        ASSERT_TRUE(netdext::wait_until_idle());
        OSSafeReleaseNULL(timer);
        OSSafeReleaseNULL(action);
        OSSafeReleaseNULL(queue);
        OSSafeReleaseNULL(service);
        ASSERT_TRUE(netdext::wait_until_idle());
    }
    uint64_t now() { return clock_gettime_nsec_np(CLOCK_UPTIME_RAW); }
    size_t ticks() {
        std::lock_guard lock(service->mutex);
        return service->tick_times.size();
    }
};

} // namespace

TEST_F(TimerFixture, ClockFollowsTheVirtualClock) {
    uint64_t t0 = now();
    EXPECT_EQ(clock_gettime_nsec_np(CLOCK_MONOTONIC_RAW), t0);
    clock.advance(1500ms);
    EXPECT_EQ(now(), t0 + 1500 * uint64_t(kMillisecondScale));
}

TEST_F(TimerFixture, FiresOnceAtTheDeadline) {
    uint64_t deadline = now() + 1000 * kMillisecondScale;
    ASSERT_EQ(timer->WakeAtTime(kIOTimerClockUptimeRaw, deadline, 0), kIOReturnSuccess);
    EXPECT_EQ(clock.advance(999ms), 0u);
    EXPECT_EQ(ticks(), 0u);
    EXPECT_EQ(clock.advance(1ms), 1u);
    ASSERT_EQ(ticks(), 1u);
    EXPECT_EQ(service->tick_times[0], deadline);
    EXPECT_EQ(service->tick_queues[0], queue); // ran on the target's Default queue
    clock.advance(60s);
    EXPECT_EQ(ticks(), 1u); // one-shot
}

TEST_F(TimerFixture, ReArmingFromTheHandlerFiresAtEachDeadline) {
    IOTimerDispatchSource *t = timer;
    service->on_tick = [t](OSAction *, uint64_t time) {
        t->WakeAtTime(kIOTimerClockUptimeRaw, time + 5ULL * kSecondScale, 0);
    };
    uint64_t start = now();
    ASSERT_EQ(timer->WakeAtTime(kIOTimerClockUptimeRaw, start + 1000 * kMillisecondScale, 0),
              kIOReturnSuccess);
    EXPECT_EQ(clock.advance(11s), 3u);
    ASSERT_EQ(ticks(), 3u);
    EXPECT_EQ(service->tick_times[0] - start, 1 * uint64_t(kSecondScale));
    EXPECT_EQ(service->tick_times[1] - start, 6 * uint64_t(kSecondScale));
    EXPECT_EQ(service->tick_times[2] - start, 11 * uint64_t(kSecondScale));
    EXPECT_EQ(clock.armed_count(), 1u); // armed again for 16 s
}

TEST_F(TimerFixture, ANewWakeAtTimeReplacesThePendingDeadline) {
    uint64_t start = now();
    timer->WakeAtTime(kIOTimerClockUptimeRaw, start + 1 * uint64_t(kSecondScale), 0);
    timer->WakeAtTime(kIOTimerClockUptimeRaw, start + 3 * uint64_t(kSecondScale), 0);
    clock.advance(2s);
    EXPECT_EQ(ticks(), 0u);
    clock.advance(1s);
    ASSERT_EQ(ticks(), 1u);
    EXPECT_EQ(service->tick_times[0], start + 3 * uint64_t(kSecondScale));
}

TEST_F(TimerFixture, CancelBeforeTheDeadlineNeverFiresAndCompletesOnce) {
    timer->WakeAtTime(kIOTimerClockUptimeRaw, now() + 1 * uint64_t(kSecondScale), 0);
    std::atomic<int> completions{0};
    IODispatchQueue *completion_queue = nullptr;
    ASSERT_EQ(timer->Cancel([&] {
                  completions.fetch_add(1);
                  completion_queue = IODispatchQueue::netdext_current();
              }),
              kIOReturnSuccess);
    clock.advance(10s);
    EXPECT_EQ(ticks(), 0u);
    EXPECT_EQ(completions.load(), 1);
    EXPECT_EQ(completion_queue, queue);
}

TEST_F(TimerFixture, WakeAtTimeAfterCancelArmsAgain) {
    // Apple's sample cancels on interface-down and calls WakeAtTime again on the next up.
    timer->WakeAtTime(kIOTimerClockUptimeRaw, now() + 1 * uint64_t(kSecondScale), 0);
    std::atomic<int> completions{0};
    timer->Cancel([&] { completions.fetch_add(1); });
    clock.advance(2s);
    EXPECT_EQ(completions.load(), 1);
    timer->WakeAtTime(kIOTimerClockUptimeRaw, now() + 1 * uint64_t(kSecondScale), 0);
    clock.advance(1s);
    EXPECT_EQ(ticks(), 1u);
    EXPECT_EQ(completions.load(), 1);
}

TEST_F(TimerFixture, DisabledTimerDoesNotFire) {
    ASSERT_EQ(timer->SetEnable(false), kIOReturnSuccess);
    timer->WakeAtTime(kIOTimerClockUptimeRaw, now() + 1 * uint64_t(kSecondScale), 0);
    clock.advance(2s);
    EXPECT_EQ(ticks(), 0u);
    ASSERT_EQ(timer->SetEnable(true), kIOReturnSuccess);
    timer->WakeAtTime(kIOTimerClockUptimeRaw, now() + 1 * uint64_t(kSecondScale), 0);
    clock.advance(1s);
    EXPECT_EQ(ticks(), 1u);
}

TEST_F(TimerFixture, MonotonicClockAndBadClock) {
    ASSERT_EQ(timer->WakeAtTime(kIOTimerClockMonotonicRaw,
                                clock_gettime_nsec_np(CLOCK_MONOTONIC_RAW) + 5 * uint64_t(kMillisecondScale), 0),
              kIOReturnSuccess);
    clock.advance(5ms);
    EXPECT_EQ(ticks(), 1u);
    EXPECT_EQ(timer->WakeAtTime(0x12, now() + 1, 0), kIOReturnBadArgument);
}

TEST_F(TimerFixture, TimersFireInDeadlineOrderAcrossQueues) {
    IODispatchQueue *other_queue = nullptr;
    ASSERT_EQ(IODispatchQueue::Create("other", 0, 0, &other_queue), kIOReturnSuccess);
    IOTimerDispatchSource *other = nullptr;
    ASSERT_EQ(IOTimerDispatchSource::Create(other_queue, &other), kIOReturnSuccess);
    OSAction *other_action = nullptr;
    ASSERT_EQ(service->CreateActionTick(0, &other_action), kIOReturnSuccess);
    other->SetHandler(other_action);
    std::vector<uint64_t> order;
    std::mutex order_mutex;
    service->on_tick = [&](OSAction *a, uint64_t) {
        std::lock_guard lock(order_mutex);
        order.push_back(a == action ? 1 : 2);
    };
    uint64_t start = now();
    for (int round = 0; round < 5; ++round) { // the later-armed timer is due first each round
        timer->WakeAtTime(kIOTimerClockUptimeRaw, start + 2 * uint64_t(kMillisecondScale), 0);
        other->WakeAtTime(kIOTimerClockUptimeRaw, start + 1 * uint64_t(kMillisecondScale), 0);
        clock.advance(2ms);
        start = now();
    }
    EXPECT_EQ(order, (std::vector<uint64_t>{2, 1, 2, 1, 2, 1, 2, 1, 2, 1}));
    OSSafeReleaseNULL(other);
    OSSafeReleaseNULL(other_action);
    OSSafeReleaseNULL(other_queue);
}

TEST_F(TimerFixture, ReleasingAnArmedTimerDisarmsIt) {
    timer->WakeAtTime(kIOTimerClockUptimeRaw, now() + 1 * uint64_t(kSecondScale), 0);
    EXPECT_EQ(clock.armed_count(), 1u);
    OSSafeReleaseNULL(timer);
    EXPECT_EQ(clock.armed_count(), 0u);
    clock.advance(2s);
    EXPECT_EQ(ticks(), 0u);
}

TEST_F(TimerFixture, ActionHoldsTheTargetUntilReleased) {
    EXPECT_GE(service->getRetainCount(), 2); // the action's reference
}

// Cancel while a handler is running: the completion waits for it, and no handler runs after.
TEST(TimerRealClock, CancelCompletionRunsAfterTheRunningHandler) {
    auto *service = make_object<TestService>("TestService");
    ASSERT_NE(service, nullptr);
    IODispatchQueue *queue = nullptr;
    ASSERT_EQ(service->CopyDispatchQueue("Default", &queue), kIOReturnSuccess);
    IOTimerDispatchSource *timer = nullptr;
    ASSERT_EQ(IOTimerDispatchSource::Create(queue, &timer), kIOReturnSuccess);
    OSAction *action = nullptr;
    ASSERT_EQ(service->CreateActionTick(0, &action), kIOReturnSuccess);
    timer->SetHandler(action);

    std::mutex mutex;
    std::condition_variable cv;
    bool handler_entered = false, release_handler = false;
    std::vector<std::string> events;
    service->on_tick = [&](OSAction *, uint64_t) {
        std::unique_lock lock(mutex);
        events.push_back("handler");
        handler_entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release_handler; });
    };
    timer->WakeAtTime(kIOTimerClockUptimeRaw, clock_gettime_nsec_np(CLOCK_UPTIME_RAW), 0);
    {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return handler_entered; }));
    }
    std::atomic<int> completions{0};
    timer->Cancel([&] {
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
    {
        std::lock_guard lock(mutex);
        EXPECT_EQ(events, (std::vector<std::string>{"handler", "completion"}));
    }
    EXPECT_EQ(completions.load(), 1);
    timer->Cancel(nullptr);
    ASSERT_TRUE(netdext::wait_until_idle());
    OSSafeReleaseNULL(timer);
    OSSafeReleaseNULL(action);
    OSSafeReleaseNULL(queue);
    OSSafeReleaseNULL(service);
}

TEST(TimerRealClock, FiresWithoutAVirtualClock) {
    auto *service = make_object<TestService>("TestService");
    ASSERT_NE(service, nullptr);
    IODispatchQueue *queue = nullptr;
    ASSERT_EQ(service->CopyDispatchQueue("Default", &queue), kIOReturnSuccess);
    IOTimerDispatchSource *timer = nullptr;
    ASSERT_EQ(IOTimerDispatchSource::Create(queue, &timer), kIOReturnSuccess);
    OSAction *action = nullptr;
    ASSERT_EQ(service->CreateActionTick(0, &action), kIOReturnSuccess);
    timer->SetHandler(action);
    uint64_t deadline = clock_gettime_nsec_np(CLOCK_UPTIME_RAW) + 20 * uint64_t(kMillisecondScale);
    timer->WakeAtTime(kIOTimerClockUptimeRaw, deadline, 0);
    ASSERT_TRUE(wait_until([&] {
        std::lock_guard lock(service->mutex);
        return !service->tick_times.empty();
    }));
    EXPECT_GE(service->tick_times[0], deadline);
    ASSERT_TRUE(netdext::wait_until_idle());
    OSSafeReleaseNULL(timer);
    OSSafeReleaseNULL(action);
    OSSafeReleaseNULL(queue);
    OSSafeReleaseNULL(service);
}

// Drivers release a source in its own Cancel completion (the sample's timer, an interrupt
// source): the completion may run on the queue while Cancel is still returning on the caller's
// thread, so Cancel must not touch the source after posting it. Repeated to give the race a
// chance; under ASan (and valgrind) a use after free is reported.
TEST(DispatchSourceRelease, TheLastReleaseInsideTheCompletionIsSafe) {
    auto *service = make_object<TestService>("TestService");
    ASSERT_NE(service, nullptr);
    IODispatchQueue *queue = nullptr;
    ASSERT_EQ(service->CopyDispatchQueue("Default", &queue), kIOReturnSuccess);
    std::atomic<int> completions{0};
    constexpr int kRounds = 200;
    for (int round = 0; round < kRounds; ++round) {
        IOTimerDispatchSource *timer = nullptr;
        ASSERT_EQ(IOTimerDispatchSource::Create(queue, &timer), kIOReturnSuccess);
        if (round % 2 == 0) {
            ASSERT_EQ(timer->Cancel([&timer, &completions] {
                          OSSafeReleaseNULL(timer);
                          completions.fetch_add(1);
                      }),
                      kIOReturnSuccess);
        } else {
            ASSERT_EQ(timer->SetEnableWithCompletion(false,
                                                     [&timer, &completions] {
                                                         OSSafeReleaseNULL(timer);
                                                         completions.fetch_add(1);
                                                     }),
                      kIOReturnSuccess);
        }
        ASSERT_TRUE(wait_until([&] { return completions.load() == round + 1; }));
        ASSERT_TRUE(netdext::wait_until_idle());
    }
    OSSafeReleaseNULL(queue);
    OSSafeReleaseNULL(service);
    ASSERT_TRUE(netdext::wait_until_idle());
}
