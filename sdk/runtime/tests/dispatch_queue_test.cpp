// IODispatchQueue: ordering, serialization, DispatchSync, OnQueue, Cancel, Sleep/Wakeup, blocks.

#include <gtest/gtest.h>

#include <DriverKit/IODispatchQueue.h>
#include <netdext/runtime.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "wait_until.h"

using netdext::testing::wait_until;

namespace {

IODispatchQueue *make_queue(const char *name) {
    IODispatchQueue *queue = nullptr;
    EXPECT_EQ(IODispatchQueue::Create(name, 0, 0, &queue), kIOReturnSuccess);
    return queue;
}

} // namespace

TEST(IODispatchQueue, RunsBlocksInSubmissionOrder) {
    IODispatchQueue *queue = make_queue("order");
    std::vector<int> seen;
    for (int i = 0; i < 1000; ++i)
        queue->DispatchAsync([&seen, i] { seen.push_back(i); });
    queue->DispatchSync([] {});
    ASSERT_EQ(seen.size(), 1000u);
    for (int i = 0; i < 1000; ++i)
        ASSERT_EQ(seen[i], i);
    queue->release();
}

TEST(IODispatchQueue, SerializesBlocksFromManyThreads) {
    IODispatchQueue *queue = make_queue("serial");
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
    int counter = 0; // unsynchronised on purpose: only the queue touches it
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                queue->DispatchAsync([&] {
                    if (inside.fetch_add(1) != 0)
                        overlapped = true;
                    ++counter;
                    inside.fetch_sub(1);
                });
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    queue->DispatchSync([] {});
    EXPECT_FALSE(overlapped);
    EXPECT_EQ(counter, 2000);
    queue->release();
}

TEST(IODispatchQueue, DispatchSyncFromAnotherThreadRunsOnTheQueue) {
    IODispatchQueue *queue = make_queue("sync");
    EXPECT_FALSE(queue->OnQueue());
    bool on_queue = false;
    IODispatchQueue *current = nullptr;
    std::thread::id ran_on;
    queue->DispatchSync([&] {
        on_queue = queue->OnQueue();
        current = IODispatchQueue::netdext_current();
        ran_on = std::this_thread::get_id();
    });
    EXPECT_TRUE(on_queue);
    EXPECT_EQ(current, queue);
    EXPECT_NE(ran_on, std::this_thread::get_id());
    EXPECT_EQ(IODispatchQueue::netdext_current(), nullptr);
    // DispatchSync waits for blocks queued before it.
    std::atomic<int> done{0};
    for (int i = 0; i < 10; ++i)
        queue->DispatchAsync([&] { done.fetch_add(1); });
    queue->DispatchSync([] {});
    EXPECT_EQ(done.load(), 10);
    queue->release();
}

TEST(IODispatchQueue, DispatchSyncOntoItselfRunsInlineAndIsReported) {
    IODispatchQueue *queue = make_queue("self");
    uint64_t before = netdext::runtime_stats().sync_onto_self.load();
    std::vector<std::string> order;
    queue->DispatchSync([&] {
        order.push_back("outer-start");
        queue->DispatchSync([&] { order.push_back("inner"); });
        order.push_back("outer-end");
    });
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order[1], "inner");
    EXPECT_EQ(netdext::runtime_stats().sync_onto_self.load(), before + 1);
    queue->release();
}

TEST(IODispatchQueue, OtherQueuesAreNotOnQueue) {
    IODispatchQueue *a = make_queue("a");
    IODispatchQueue *b = make_queue("b");
    bool b_on_queue_in_a = true;
    a->DispatchSync([&] { b_on_queue_in_a = b->OnQueue(); });
    EXPECT_FALSE(b_on_queue_in_a);
    a->release();
    b->release();
}

TEST(IODispatchQueue, CancelRunsPendingBlocksThenTheHandlerOnce) {
    IODispatchQueue *queue = make_queue("cancel");
    std::mutex mutex;
    std::vector<std::string> events;
    auto note = [&](const char *event) {
        std::lock_guard lock(mutex);
        events.emplace_back(event);
    };
    queue->DispatchAsync([&] { note("block1"); });
    queue->DispatchAsync([&] { note("block2"); });
    std::atomic<int> handler_runs{0};
    EXPECT_EQ(queue->Cancel([&] {
                  handler_runs.fetch_add(1);
                  note("cancel-handler");
              }),
              kIOReturnSuccess);
    queue->DispatchAsync([&] { note("after-cancel"); });
    EXPECT_NE(queue->Cancel([] {}), kIOReturnSuccess);
    ASSERT_TRUE(wait_until([&] { return handler_runs.load() == 1; }));
    ASSERT_TRUE(netdext::wait_until_idle());
    std::lock_guard lock(mutex);
    EXPECT_EQ(events, (std::vector<std::string>{"block1", "block2", "cancel-handler"}));
    EXPECT_EQ(handler_runs.load(), 1);
    queue->release();
}

TEST(IODispatchQueue, ReleasingTheLastReferenceStopsTheThread) {
    uint64_t before = netdext::runtime_stats().live_queues.load();
    IODispatchQueue *queue = make_queue("short-lived");
    EXPECT_EQ(netdext::runtime_stats().live_queues.load(), before + 1);
    std::atomic<bool> ran{false};
    queue->DispatchAsync([&] { ran = true; });
    queue->release(); // the pending block keeps the queue alive until it has run
    ASSERT_TRUE(wait_until([&] { return ran.load(); }));
    ASSERT_TRUE(wait_until([&] { return netdext::runtime_stats().live_queues.load() == before; }));
}

TEST(IODispatchQueue, LastReleaseFromItsOwnBlockDoesNotDeadlock) {
    uint64_t before = netdext::runtime_stats().live_queues.load();
    IODispatchQueue *queue = make_queue("self-release");
    queue->DispatchAsync([queue] { queue->release(); });
    ASSERT_TRUE(wait_until([&] { return netdext::runtime_stats().live_queues.load() == before; }));
}

TEST(IODispatchQueue, SleepKeepsRunningOtherBlocksUntilWakeup) {
    IODispatchQueue *queue = make_queue("sleep");
    int event = 0;
    std::vector<std::string> order;
    kern_return_t sleep_result = kIOReturnError;
    queue->DispatchAsync([&] {
        order.push_back("sleeper-start");
        sleep_result = queue->Sleep(&event, 0);
        order.push_back("sleeper-end");
    });
    queue->DispatchAsync([&] {
        order.push_back("waker");
        queue->Wakeup(&event);
    });
    queue->DispatchSync([] {});
    EXPECT_EQ(sleep_result, kIOReturnSuccess);
    EXPECT_EQ(order, (std::vector<std::string>{"sleeper-start", "waker", "sleeper-end"}));
    // Off the queue, sleeping is refused.
    EXPECT_EQ(queue->Sleep(&event, 1), kIOReturnNotPermitted);
    queue->release();
}

// netdext::InlineDispatchScope (the host's doorbell threads): an idle queue's block runs at once
// on the dispatching thread, holding the queue; a busy queue's goes through the queue in order.
TEST(IODispatchQueue, InlineScopeRunsOnAnIdleQueueAtOnceHoldingIt) {
    IODispatchQueue *queue = make_queue("inline");
    queue->DispatchSync([] {});
    ASSERT_TRUE(netdext::wait_until_idle()); // the queue's thread is up and idle
    const std::thread::id caller = std::this_thread::get_id();
    std::thread::id ran_on, nested_ran_on;
    bool on_queue = false;
    int nested = 0;
    {
        netdext::InlineDispatchScope scope;
        queue->DispatchAsync([&] {
            ran_on = std::this_thread::get_id();
            on_queue = queue->OnQueue();
            // Dispatched from the inline block: queued behind it, never nested inside it, and
            // then run by the thread that holds the queue (no wake-up of the queue's thread).
            queue->DispatchAsync([&] {
                nested_ran_on = std::this_thread::get_id();
                nested = 2;
            });
            EXPECT_EQ(nested, 0);
            nested = 1;
        });
        EXPECT_EQ(ran_on, caller) << "an idle queue's block runs on the dispatching thread";
        EXPECT_TRUE(on_queue);
        EXPECT_EQ(nested, 2) << "the block queued meanwhile ran before the queue was let go";
        EXPECT_EQ(nested_ran_on, caller);
    }
    // Without the scope, DispatchAsync stays asynchronous.
    std::atomic<bool> release{false};
    std::atomic<bool> ran{false};
    queue->DispatchAsync([&] {
        while (!release.load())
            std::this_thread::yield();
        ran = true;
    });
    EXPECT_FALSE(ran.load());
    release = true;
    queue->DispatchSync([] {});
    EXPECT_TRUE(ran.load());
    EXPECT_FALSE(queue->OnQueue());
    queue->release();
}

TEST(IODispatchQueue, InlineScopeKeepsOrderAndExclusionOnABusyQueue) {
    IODispatchQueue *queue = make_queue("inline-busy");
    std::atomic<bool> release{false};
    std::atomic<bool> started{false};
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
    std::vector<int> order;
    queue->DispatchAsync([&] {
        started = true;
        inside.fetch_add(1);
        while (!release.load())
            std::this_thread::yield();
        order.push_back(0);
        inside.fetch_sub(1);
    });
    ASSERT_TRUE(wait_until([&] { return started.load(); }));
    std::thread doorbell([&] {
        netdext::InlineDispatchScope scope;
        for (int i = 1; i <= 200; ++i)
            queue->DispatchAsync([&, i] {
                if (inside.fetch_add(1) != 0)
                    overlapped = true;
                order.push_back(i);
                inside.fetch_sub(1);
            });
    });
    release = true;
    doorbell.join();
    queue->DispatchSync([] {});
    EXPECT_FALSE(overlapped) << "an inline block ran while the queue's own block did";
    ASSERT_EQ(order.size(), 201u);
    for (int i = 0; i <= 200; ++i)
        ASSERT_EQ(order[i], i) << "blocks ran out of order";
    queue->release();
}

TEST(IODispatchQueue, InlineBlockMayDropTheLastReference) {
    uint64_t before = netdext::runtime_stats().live_queues.load();
    IODispatchQueue *queue = make_queue("inline-release");
    queue->DispatchSync([] {});
    ASSERT_TRUE(netdext::wait_until_idle());
    bool ran = false;
    {
        netdext::InlineDispatchScope scope;
        queue->DispatchAsync([&ran, queue] {
            ran = true;
            queue->release();
        });
    }
    EXPECT_TRUE(ran);
    ASSERT_TRUE(wait_until([&] { return netdext::runtime_stats().live_queues.load() == before; }));
}

TEST(IODispatchQueue, FunctionVariantsAndRunAction) {
    IODispatchQueue *queue = make_queue("fn");
    int value = 0;
    queue->DispatchSync_f(&value, [](void *context) { *static_cast<int *>(context) = 7; });
    EXPECT_EQ(value, 7);
    queue->DispatchAsync_f(&value, [](void *context) { *static_cast<int *>(context) += 1; });
    EXPECT_EQ(queue->RunAction([&]() -> kern_return_t { return value == 8 ? kIOReturnSuccess
                                                                           : kIOReturnError; }),
              kIOReturnSuccess);
    queue->release();
}

#if defined(__BLOCKS__)
TEST(IODispatchQueue, AcceptsAppleBlocks) {
    IODispatchQueue *queue = make_queue("blocks");
    __block int counter = 0;
    int captured = 5;
    for (int i = 0; i < 3; ++i)
        queue->DispatchAsync(^{
          counter += captured;
        });
    queue->DispatchSync(^{
      counter += 1;
    });
    EXPECT_EQ(counter, 16);
    // A block stored in Apple's typedef and passed later still runs (it was copied).
    IODispatchBlock stored = ^{
      counter = 100;
    };
    queue->DispatchSync(stored);
    EXPECT_EQ(counter, 100);
    kern_return_t result = queue->RunAction(^kern_return_t(void) {
      return kIOReturnBusy;
    });
    EXPECT_EQ(result, kIOReturnBusy);
    queue->release();
}
#endif
