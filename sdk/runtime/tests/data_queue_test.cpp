// IODataQueueDispatchSource: entries, wraparound, notifications, coalescing, enable and cancel.

#include <gtest/gtest.h>

#include <DriverKit/IODataQueueDispatchSource.h>
#include <netdext/runtime.h>

#include <cstring>
#include <string>

#include "support/test_classes.h"
#include "wait_until.h"

using netdext::testing::wait_until;

namespace {

struct DataQueueFixture : public ::testing::Test {
    TestService *service = nullptr;
    IODispatchQueue *data_queue = nullptr; // registered as "Data": Ready has QUEUENAME(Data)
    IODataQueueDispatchSource *source = nullptr;
    OSAction *ready = nullptr;

    void SetUp() override {
        service = make_object<TestService>("TestService");
        ASSERT_NE(service, nullptr);
        ASSERT_EQ(IODispatchQueue::Create("Data", 0, 0, &data_queue), kIOReturnSuccess);
        ASSERT_EQ(service->SetDispatchQueue("Data", data_queue), kIOReturnSuccess);
        ASSERT_EQ(IODataQueueDispatchSource::Create(64, data_queue, &source), kIOReturnSuccess);
        ASSERT_EQ(service->CreateActionReady(0, &ready), kIOReturnSuccess);
        ASSERT_EQ(source->SetDataAvailableHandler(ready), kIOReturnSuccess);
    }
    void TearDown() override {
        ASSERT_TRUE(netdext::wait_until_idle());
        OSSafeReleaseNULL(source);
        OSSafeReleaseNULL(ready);
        OSSafeReleaseNULL(data_queue);
        OSSafeReleaseNULL(service);
        ASSERT_TRUE(netdext::wait_until_idle());
    }
    kern_return_t put(const std::string &text) {
        return source->Enqueue(uint32_t(text.size()), [&](void *data, size_t size) {
            std::memcpy(data, text.data(), size);
        });
    }
    std::string take() {
        std::string out = "<none>";
        source->Dequeue([&](const void *data, size_t size) {
            out.assign(static_cast<const char *>(data), size);
        });
        return out;
    }
    size_t ready_count() {
        std::lock_guard lock(service->mutex);
        return service->ready_queues.size();
    }
};

} // namespace

TEST_F(DataQueueFixture, EntriesComeOutInOrderAcrossWraparound) {
    for (int round = 0; round < 50; ++round) {
        std::string a = "entry-" + std::to_string(round);
        std::string b(round % 13, 'x');
        ASSERT_EQ(put(a), kIOReturnSuccess) << round;
        ASSERT_EQ(put(b), kIOReturnSuccess) << round;
        EXPECT_EQ(take(), a);
        EXPECT_EQ(take(), b);
    }
    EXPECT_FALSE(source->IsDataAvailable());
    EXPECT_EQ(source->Dequeue([](const void *, size_t) {}), kIOReturnUnderrun);
}

TEST_F(DataQueueFixture, FullQueueRefusesAndDequeueSendsDataServiced) {
    OSAction *serviced = nullptr;
    ASSERT_EQ(service->CreateActionReady(0, &serviced), kIOReturnSuccess);
    source->SetDataServicedHandler(serviced);
    int accepted = 0;
    while (put("0123456789") == kIOReturnSuccess)
        ++accepted;
    EXPECT_EQ(accepted, 4); // 64 bytes / (4 header + 12 padded)
    EXPECT_FALSE(source->CanEnqueueData(10));
    EXPECT_TRUE(source->CanEnqueueData(0, 0));
    EXPECT_EQ(put(std::string(100, 'y')), kIOReturnOverrun);
    size_t before = ready_count();
    EXPECT_EQ(take(), "0123456789");
    // DataAvailable (first enqueue) and DataServiced (after the failed enqueue) both reach Ready.
    ASSERT_TRUE(wait_until([&] { return ready_count() >= before + 1; }));
    EXPECT_TRUE(source->CanEnqueueData(10));
    OSSafeReleaseNULL(serviced);
}

TEST_F(DataQueueFixture, EnqueueIntoEmptyQueueRunsTheHandlerOnItsQueueName) {
    ASSERT_EQ(put("hello"), kIOReturnSuccess);
    ASSERT_TRUE(wait_until([&] { return ready_count() == 1; }));
    EXPECT_EQ(service->ready_queues[0], data_queue);
    // Not empty any more: no second notification.
    ASSERT_EQ(put("again"), kIOReturnSuccess);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(ready_count(), 1u);
}

TEST_F(DataQueueFixture, DataAvailableIsCoalescedWhilePending) {
    // Block the Data queue so deliveries stay pending.
    std::atomic<bool> release{false};
    data_queue->DispatchAsync([&] {
        while (!release.load())
            std::this_thread::yield();
    });
    for (int i = 0; i < 100; ++i)
        source->SendDataAvailable();
    release = true;
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(ready_count(), 1u);
    source->SendDataAvailable(); // delivered again once the previous one started
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(ready_count(), 2u);
}

TEST_F(DataQueueFixture, DisabledSourceHoldsNotificationsUntilEnabled) {
    ASSERT_EQ(source->SetEnable(false), kIOReturnSuccess);
    ASSERT_EQ(put("held"), kIOReturnSuccess);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(ready_count(), 0u);
    ASSERT_EQ(source->SetEnable(true), kIOReturnSuccess);
    ASSERT_TRUE(wait_until([&] { return ready_count() == 1; }));
}

TEST_F(DataQueueFixture, CancelVetoesQueuedDeliveriesAndCompletesOnce) {
    std::atomic<bool> release{false};
    data_queue->DispatchAsync([&] {
        while (!release.load())
            std::this_thread::yield();
    });
    source->SendDataAvailable(); // queued behind the blocker
    std::atomic<int> completions{0};
    std::atomic<size_t> ready_at_completion{99};
    ASSERT_EQ(source->Cancel([&] {
                  ready_at_completion = ready_count();
                  completions.fetch_add(1);
              }),
              kIOReturnSuccess);
    release = true;
    ASSERT_TRUE(wait_until([&] { return completions.load() == 1; }));
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(ready_count(), 0u); // vetoed: it had not started when Cancel came
    EXPECT_EQ(ready_at_completion.load(), 0u);
    source->SendDataAvailable(); // after cancel: nothing
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(ready_count(), 0u);
    EXPECT_EQ(completions.load(), 1);
}

TEST_F(DataQueueFixture, PeekDoesNotConsume) {
    ASSERT_EQ(put("peek"), kIOReturnSuccess);
    std::string seen;
    ASSERT_EQ(source->Peek([&](const void *d, size_t n) { seen.assign((const char *)d, n); }),
              kIOReturnSuccess);
    EXPECT_EQ(seen, "peek");
    EXPECT_EQ(take(), "peek");
    EXPECT_EQ(IODataQueueDispatchSource::GetDataQueueEntryHeaderSize(), 4u);
}
