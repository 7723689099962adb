// USBDriverKit's completionTimeoutMs on asynchronous requests (AsyncIO, AsyncDeviceRequest): the
// family's watchdog cancels a transfer still queued at its deadline with kIOReturnTimeout, and
// leaves alone one that completed, and one whose device went away.

#include <gtest/gtest.h>

#include <USBDriverKit/USBDriverKitDefs.h>
#include <netdext/usb_backend.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "../usb/usb_internal.h"
#include "wait_until.h"

using netdext::testing::wait_until;
using netdext::usb::Transfer;
using netdext::usb::TransferPtr;

namespace {

// A device that answers nothing by itself: transfers stay queued until the test completes them.
class QuietDevice : public netdext::usb::DeviceBackend {
public:
    uint8_t speed() const override { return 3; }
    uint8_t address() const override { return 1; }
    uint32_t location_id() const override { return 0x14100000; }
    IOReturn submit(const TransferPtr &transfer) override {
        std::lock_guard lock(m_mutex);
        m_queued.push_back(transfer);
        return kIOReturnSuccess;
    }
    void abort(uint8_t, IOReturn) override {}
    bool cancel(const TransferPtr &transfer, IOReturn status) override {
        return finish(transfer, status, 0);
    }
    void reset_endpoint(uint8_t) override {}
    IOReturn reset() override { return kIOReturnSuccess; }
    bool removed() const override { return false; }
    void set_removal_handler(std::function<void()>) override {}

    bool finish(const TransferPtr &transfer, IOReturn status, uint32_t count) {
        {
            std::lock_guard lock(m_mutex);
            auto it = std::find(m_queued.begin(), m_queued.end(), transfer);
            if (it == m_queued.end())
                return false;
            m_queued.erase(it);
        }
        transfer->complete(status, count);
        return true;
    }

private:
    std::mutex m_mutex;
    std::vector<TransferPtr> m_queued;
};

struct Completions {
    std::mutex mutex;
    std::vector<IOReturn> statuses;
    size_t count() {
        std::lock_guard lock(mutex);
        return statuses.size();
    }
    IOReturn last() {
        std::lock_guard lock(mutex);
        return statuses.empty() ? kIOReturnError : statuses.back();
    }
};

TransferPtr bulk_in(Completions &completions) {
    auto transfer = std::make_shared<Transfer>();
    transfer->endpoint = 0x82;
    transfer->type = kIOUSBEndpointTypeBulk;
    transfer->complete = [&completions](IOReturn status, uint32_t) {
        std::lock_guard lock(completions.mutex);
        completions.statuses.push_back(status);
    };
    return transfer;
}

TEST(UsbTimeout, AQueuedTransferEndsWithTimeoutAtItsDeadline) {
    auto device = std::make_shared<QuietDevice>();
    Completions completions;
    TransferPtr transfer = bulk_in(completions);
    ASSERT_EQ(device->submit(transfer), kIOReturnSuccess);
    netdext::usb::cancel_after(device, transfer, 20);
    ASSERT_TRUE(wait_until([&] { return completions.count() == 1; }));
    EXPECT_EQ(completions.last(), kIOReturnTimeout);
}

TEST(UsbTimeout, ACompletedTransferOrAGoneDeviceIsLeftAlone) {
    auto device = std::make_shared<QuietDevice>();
    Completions done, gone, later;
    // Completes before its deadline: one completion, its own status.
    TransferPtr early = bulk_in(done);
    ASSERT_EQ(device->submit(early), kIOReturnSuccess);
    netdext::usb::cancel_after(device, early, 10);
    ASSERT_TRUE(device->finish(early, kIOReturnSuccess, 64));
    // Its device goes away before the deadline (the transfer itself is still held here).
    auto other = std::make_shared<QuietDevice>();
    TransferPtr orphan = bulk_in(gone);
    ASSERT_EQ(other->submit(orphan), kIOReturnSuccess);
    netdext::usb::cancel_after(other, orphan, 10);
    std::weak_ptr<QuietDevice> other_weak = other;
    other.reset();
    // A transfer with a later deadline times out: the two earlier deadlines have passed by then.
    TransferPtr last = bulk_in(later);
    ASSERT_EQ(device->submit(last), kIOReturnSuccess);
    netdext::usb::cancel_after(device, last, 40);
    ASSERT_TRUE(wait_until([&] { return later.count() == 1; }));
    EXPECT_EQ(later.last(), kIOReturnTimeout);
    EXPECT_EQ(done.count(), 1u);
    EXPECT_EQ(done.last(), kIOReturnSuccess);
    EXPECT_EQ(gone.count(), 0u) << "the watchdog kept a removed device alive and cancelled on it";
    EXPECT_TRUE(other_weak.expired());
}

TEST(UsbTimeout, ZeroMeansNoTimeout) {
    auto device = std::make_shared<QuietDevice>();
    Completions none, timed;
    TransferPtr forever = bulk_in(none);
    ASSERT_EQ(device->submit(forever), kIOReturnSuccess);
    netdext::usb::cancel_after(device, forever, 0);
    TransferPtr bounded = bulk_in(timed);
    ASSERT_EQ(device->submit(bounded), kIOReturnSuccess);
    netdext::usb::cancel_after(device, bounded, 20);
    ASSERT_TRUE(wait_until([&] { return timed.count() == 1; }));
    EXPECT_EQ(none.count(), 0u);
    EXPECT_TRUE(device->finish(forever, kIOReturnAborted, 0)) << "still queued";
}

} // namespace
