// The application side of a user client in the test bench (netdext/testing/user_client.h).

#include <netdext/testing/user_client.h>

#include <netdext/system_calls.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace netdext::testing {

namespace {

// Runs `call` where the kernel would deliver an external method: the user client's
// kIOUserClientQueueNameExternalMethod queue if it set one, else its Default queue.
kern_return_t on_external_method_queue(IOUserClient *client, Block<kern_return_t()> call) {
    IODispatchQueue *queue = nullptr;
    const char *name =
        client->CopyDispatchQueue(kIOUserClientQueueNameExternalMethod, &queue) ==
                    kIOReturnSuccess &&
                queue != nullptr
            ? kIOUserClientQueueNameExternalMethod
            : kIOServiceDefaultQueueName;
    OSSafeReleaseNULL(queue);
    return call_on_named_queue(client, name, std::move(call));
}

} // namespace

UserClientConnection::UserClientConnection(IOService *service, uint32_t type,
                                           OSDictionary *entitlements) {
    if (service == nullptr) {
        m_status = kIOReturnBadArgument;
        return;
    }
    IOUserClient *client = nullptr;
    m_status = call_on_method_queue(service, IOService_NewUserClient_ID, [&] {
        return service->NewUserClient(type, &client);
    });
    if (m_status != kIOReturnSuccess) {
        OSSafeReleaseNULL(client);
        return;
    }
    if (client == nullptr) {
        m_status = kIOReturnError; // success without a user client
        return;
    }
    std::shared_ptr<AsyncInbox> inbox = m_inbox;
    client->netdext_set_connection(
        [inbox](OSAction *, IOReturn status, const uint64_t *data, uint32_t count) {
            std::lock_guard lock(inbox->mutex);
            inbox->results.push_back({status, std::vector<uint64_t>(data, data + count)});
            inbox->cv.notify_all();
        },
        entitlements);
    service->retain();
    m_service = service;
    m_client = client;
}

UserClientConnection::~UserClientConnection() { close(); }

ExternalResult UserClientConnection::call(const ExternalCall &call) {
    ExternalResult result;
    if (m_client == nullptr)
        return result;
    if (call.scalar_output_count > kIOUserClientScalarArrayCountMax ||
        call.scalar_input.size() > kIOUserClientScalarArrayCountMax) {
        result.status = kIOReturnBadArgument;
        return result;
    }
    IOUserClientMethodArguments arguments;
    std::memset(&arguments, 0, sizeof(arguments));
    arguments.version = kIOUserClientMethodArgumentsCurrentVersion;
    arguments.selector = call.selector;
    arguments.scalarInput = call.scalar_input.data();
    arguments.scalarInputCount = uint32_t(call.scalar_input.size());
    IOUserClientScalarArray scalars = {};
    arguments.scalarOutput = scalars;
    arguments.scalarOutputCount = call.scalar_output_count;
    arguments.structureOutputMaximumSize = call.structure_output_size;
    if (!call.structure_input.empty())
        arguments.structureInput =
            OSData::withBytes(call.structure_input.data(), call.structure_input.size());
    if (call.with_completion)
        OSAction::Create(m_client, IOUserClient_AsyncCompletion_ID,
                         IOUserClient_AsyncCompletion_ID, 0, &arguments.completion);
    IOUserClient *client = m_client;
    result.status = on_external_method_queue(client, [client, &arguments] {
        return client->ExternalMethod(arguments.selector, &arguments, nullptr, nullptr, nullptr);
    });
    uint32_t returned = std::min(arguments.scalarOutputCount, call.scalar_output_count);
    result.scalar_output.assign(scalars, scalars + returned);
    if (arguments.structureOutput != nullptr) {
        auto *bytes = static_cast<const uint8_t *>(arguments.structureOutput->getBytesNoCopy());
        size_t length = std::min<uint64_t>(arguments.structureOutput->getLength(),
                                           call.structure_output_size);
        if (bytes != nullptr)
            result.structure_output.assign(bytes, bytes + length);
    }
    // What the kernel releases after the call; the driver retained what it keeps.
    OSSafeReleaseNULL(arguments.structureOutput);
    OSSafeReleaseNULL(arguments.structureInput);
    OSSafeReleaseNULL(arguments.completion);
    return result;
}

kern_return_t UserClientConnection::map_memory(uint64_t type, IOMemoryDescriptor **memory,
                                               uint64_t *options) {
    if (memory == nullptr)
        return kIOReturnBadArgument;
    *memory = nullptr;
    if (m_client == nullptr)
        return kIOReturnNotOpen;
    IOUserClient *client = m_client;
    uint64_t flags = 0;
    IOMemoryDescriptor *copied = nullptr;
    kern_return_t kr = call_on_method_queue(
        client, IOUserClient_CopyClientMemoryForType_ID,
        [client, type, &flags, &copied] {
            return client->CopyClientMemoryForType(type, &flags, &copied);
        });
    if (kr != kIOReturnSuccess) {
        OSSafeReleaseNULL(copied);
        return kr;
    }
    if (copied == nullptr)
        return kIOReturnError; // success without memory
    *memory = copied;
    if (options != nullptr)
        *options = flags;
    return kIOReturnSuccess;
}

std::vector<AsyncResult> UserClientConnection::async_results() {
    std::lock_guard lock(m_inbox->mutex);
    return m_inbox->results;
}

bool UserClientConnection::wait_for_async(size_t count, std::chrono::milliseconds deadline) {
    std::unique_lock lock(m_inbox->mutex);
    return m_inbox->cv.wait_for(lock, deadline, [&] { return m_inbox->results.size() >= count; });
}

kern_return_t UserClientConnection::close() {
    if (m_client == nullptr)
        return kIOReturnNotOpen;
    IOUserClient *client = m_client;
    IOService *provider = m_service;
    kern_return_t kr = call_on_method_queue(client, IOService_Stop_ID,
                                            [client, provider] { return client->Stop(provider); });
    client->netdext_set_connection(nullptr, nullptr);
    OSSafeReleaseNULL(m_client);
    OSSafeReleaseNULL(m_service);
    return kr;
}

} // namespace netdext::testing
