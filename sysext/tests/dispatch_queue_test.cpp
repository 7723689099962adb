// netdext::sysext::DispatchQueue: serial, in order, sync, delayed work, and a queue whose last
// reference goes away in its own work.

#include <gtest/gtest.h>

#include "wait_until.h"

#include <netdext/sysext/dispatch_queue.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

using netdext::sysext::DispatchQueue;

TEST(DispatchQueue, RunsWorkOneAtATimeInOrder) {
    auto queue = DispatchQueue::create("order");
    std::vector<int> seen; // only the queue touches it until sync() returns
    std::atomic<int> running{0};
    bool overlapped = false;
    for (int k = 0; k < 200; ++k)
        queue->async([&, k] {
            overlapped |= ++running > 1;
            seen.push_back(k);
            --running;
        });
    queue->sync([] {});
    ASSERT_EQ(seen.size(), 200u);
    for (int k = 0; k < 200; ++k)
        EXPECT_EQ(seen[size_t(k)], k);
    EXPECT_FALSE(overlapped);
    EXPECT_EQ(queue->label(), "order");
}

TEST(DispatchQueue, SyncOnTheQueueRunsInline) {
    auto queue = DispatchQueue::create("inline");
    bool inner = false, on = false;
    queue->sync([&] {
        on = queue->on_queue();
        queue->sync([&] { inner = true; });
    });
    EXPECT_TRUE(on);
    EXPECT_TRUE(inner);
    EXPECT_FALSE(queue->on_queue());
}

TEST(DispatchQueue, DelayedWorkRunsByItsTime) {
    auto queue = DispatchQueue::create("after");
    std::mutex mutex;
    std::vector<std::string> seen;
    auto note = [&](std::string what) {
        std::lock_guard lock(mutex);
        seen.push_back(std::move(what));
    };
    // The queue is held until all three are queued, so "now" is ahead of "soon" however slowly
    // this thread runs.
    std::promise<void> gate;
    std::shared_future<void> opened = gate.get_future().share();
    queue->async([opened] { opened.wait(); });
    queue->after(std::chrono::milliseconds(60), [&] { note("late"); });
    queue->after(std::chrono::milliseconds(20), [&] { note("soon"); });
    queue->async([&] { note("now"); });
    gate.set_value();
    ASSERT_TRUE(netdext::testing::wait_until([&] {
        std::lock_guard lock(mutex);
        return seen.size() == 3;
    }));
    EXPECT_EQ(seen, (std::vector<std::string>{"now", "soon", "late"}));
}

TEST(DispatchQueue, DestroyedFromItsOwnWork) {
    auto queue = DispatchQueue::create("self");
    std::atomic<bool> done{false};
    DispatchQueue *raw = queue.get();
    raw->async([held = std::move(queue), &done]() mutable {
        held.reset(); // the last reference: the queue is destroyed on its own thread
        done = true;
    });
    EXPECT_TRUE(netdext::testing::wait_until([&] { return done.load(); }));
}

TEST(DispatchQueue, DestructionRunsWhatWasQueued) {
    std::atomic<int> ran{0};
    {
        auto queue = DispatchQueue::create("drain");
        for (int k = 0; k < 10; ++k)
            queue->async([&] { ++ran; });
    }
    EXPECT_EQ(ran.load(), 10);
}
