/*
 * netdext/testing/user_client.h — the application side of a driver's user client, in the test
 * bench: what IOServiceOpen, IOConnectCallMethod / IOConnectCallAsyncMethod and IOServiceClose
 * do on macOS, with the kernel's part (NewUserClient on the service's queue, ExternalMethod on
 * the user client's kIOUserClientQueueNameExternalMethod queue or "Default", Stop and release on
 * close) played in-process.
 *
 *   netdext::testing::UserClientConnection connection(bench.service(), 0);
 *   ASSERT_EQ(connection.status(), kIOReturnSuccess);
 *   auto result = connection.call({.selector = 0, .scalar_output_count = 2});
 *   EXPECT_EQ(result.status, kIOReturnSuccess);
 *   auto pinged = connection.call({.selector = 1, .scalar_input = {41}, .with_completion = true});
 *   ASSERT_TRUE(connection.wait_for_async(1));
 *   EXPECT_EQ(connection.async_results()[0].data, std::vector<uint64_t>{42});
 *
 *   IOMemoryDescriptor *shared = nullptr;
 *   ASSERT_EQ(connection.map_memory(0, &shared), kIOReturnSuccess);   // IOConnectMapMemory64
 *
 * Threading: use a connection from one thread; AsyncCompletion may arrive on any queue.
 */
#ifndef _NETDEXT_TESTING_USER_CLIENT_H
#define _NETDEXT_TESTING_USER_CLIENT_H

#include <DriverKit/IOUserClient.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace netdext::testing {

/* One IOConnectCallMethod. */
struct ExternalCall {
    uint64_t selector = 0;
    std::vector<uint64_t> scalar_input = {};
    std::vector<uint8_t> structure_input = {}; // passed as an OSData when not empty
    uint32_t scalar_output_count = 0;     // how many scalars the caller takes (at most 16)
    uint64_t structure_output_size = 0;   // the largest structure the caller takes
    bool with_completion = false;         // IOConnectCallAsyncMethod: arguments->completion set
};

struct ExternalResult {
    kern_return_t status = kIOReturnNotOpen;
    std::vector<uint64_t> scalar_output;   // scalarOutputCount as the driver left it
    std::vector<uint8_t> structure_output; // the driver's structureOutput, cut to the size asked
};

/* One AsyncCompletion the driver sent. */
struct AsyncResult {
    IOReturn status = kIOReturnSuccess;
    std::vector<uint64_t> data;
};

class UserClientConnection {
public:
    /* IOServiceOpen(service, type): status() tells whether the driver gave a user client. */
    UserClientConnection(IOService *service, uint32_t type, OSDictionary *entitlements = nullptr);
    /* IOServiceClose, if still open. */
    ~UserClientConnection();
    UserClientConnection(const UserClientConnection &) = delete;
    UserClientConnection &operator=(const UserClientConnection &) = delete;

    kern_return_t status() const { return m_status; }
    IOUserClient *client() const { return m_client; }

    /* IOConnectCallMethod; kIOReturnNotOpen when not open, kIOReturnBadArgument for more than
     * 16 output scalars. */
    ExternalResult call(const ExternalCall &call);
    /*
     * IOConnectMapMemory64(type): the driver's CopyClientMemoryForType on the user client's queue.
     * On success *memory is the descriptor (+1; release it) and *options the driver's
     * kIOUserClientMemory* flags. In-process, the application reads the memory through
     * IOMemoryDescriptor::CreateMapping.
     */
    kern_return_t map_memory(uint64_t type, IOMemoryDescriptor **memory,
                             uint64_t *options = nullptr);
    /* The AsyncCompletions received so far, in order. */
    std::vector<AsyncResult> async_results();
    /* Waits until `count` AsyncCompletions have arrived; false at the deadline. */
    bool wait_for_async(size_t count,
                        std::chrono::milliseconds deadline = std::chrono::seconds(10));
    /* IOServiceClose: Stop(provider) on the user client's queue, then the system's release. */
    kern_return_t close();

private:
    struct AsyncInbox {
        std::mutex mutex;
        std::condition_variable cv;
        std::vector<AsyncResult> results;
    };

    IOService *m_service = nullptr; // retained while open
    IOUserClient *m_client = nullptr;
    kern_return_t m_status = kIOReturnNotOpen;
    std::shared_ptr<AsyncInbox> m_inbox = std::make_shared<AsyncInbox>();
};

} // namespace netdext::testing

#endif
