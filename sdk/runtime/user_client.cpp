// IOUserClient: ExternalMethod's argument checks and the connection's system side.

#include <DriverKit/IOUserClient.h>
#include <netdext/iig_support.h>

#include <mutex>

#include "internal.h"

struct IOUserClient_IVars {
    std::mutex mutex;
    IOUserClient::AsyncSink sink;
    OSDictionary *entitlements = nullptr; // retained
};

NETDEXT_DEFINE_CLASS(IOUserClient, IOService, nullptr, 0)

kern_return_t IOUserClient::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    IOUserClient *self = static_cast<IOUserClient *>(object);
    switch (rpc.message->msgid) {
    case IOUserClient_AsyncCompletion_ID:
        if (netdext::dispatch_to(rpc, [self](OSAction *action, IOReturn status,
                                             const uint64_t *asyncData, uint32_t asyncDataCount) {
                self->IOUserClient::AsyncCompletion_Impl(action, status, asyncData,
                                                         asyncDataCount);
            }))
            return kIOReturnSuccess;
        break;
    case IOUserClient_CopyClientMemoryForType_ID:
        if (netdext::dispatch_to(rpc, [self](uint64_t type, uint64_t *options,
                                             IOMemoryDescriptor **memory) {
                return self->IOUserClient::CopyClientMemoryForType_Impl(type, options, memory);
            }))
            return kIOReturnSuccess;
        break;
    case IOUserClient_CreateMemoryDescriptorFromClient_ID:
        if (netdext::dispatch_to(rpc, [self](uint64_t count, const IOAddressSegment *segments,
                                             IOMemoryDescriptor **memory) {
                return self->IOUserClient::CreateMemoryDescriptorFromClient_Impl(count, segments,
                                                                                 memory);
            }))
            return kIOReturnSuccess;
        break;
    case IOUserClient_CopyClientEntitlements_ID:
        if (netdext::dispatch_to(rpc, [self](OSDictionary **entitlements) {
                return self->IOUserClient::CopyClientEntitlements_Impl(entitlements);
            }))
            return kIOReturnSuccess;
        break;
    }
    return IOService::_Dispatch(object, rpc);
}

bool IOUserClient::init() {
    if (!IOService::init())
        return false;
    ivars = new IOUserClient_IVars;
    return true;
}

void IOUserClient::free() {
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->entitlements);
        delete ivars;
        ivars = nullptr;
    }
    IOService::free();
}

namespace {

// A structure's size as the dispatch entry checks it: the OSData's, else the descriptor's.
uint64_t structure_size(const OSData *data, IOMemoryDescriptor *descriptor) {
    if (data != nullptr)
        return data->getLength();
    uint64_t length = 0;
    if (descriptor != nullptr && descriptor->GetLength(&length) != kIOReturnSuccess)
        return 0;
    return length;
}

bool matches(uint32_t check, uint64_t actual) {
    return check == kIOUserClientVariableStructureSize || check == actual;
}

} // namespace

kern_return_t IOUserClient::ExternalMethod(uint64_t, IOUserClientMethodArguments *arguments,
                                           const IOUserClientMethodDispatch *dispatch,
                                           OSObject *target, void *reference) {
    if (arguments == nullptr || dispatch == nullptr || dispatch->function == nullptr)
        return kIOReturnBadArgument;
    if (dispatch->checkCompletionExists != 0 && arguments->completion == nullptr)
        return kIOReturnBadArgument;
    if (!matches(dispatch->checkScalarInputCount, arguments->scalarInputCount) ||
        !matches(dispatch->checkScalarOutputCount, arguments->scalarOutputCount))
        return kIOReturnBadArgument;
    if (!matches(dispatch->checkStructureInputSize,
                 structure_size(arguments->structureInput, arguments->structureInputDescriptor)))
        return kIOReturnBadArgument;
    // The output structure's size is what the client can take.
    if (!matches(dispatch->checkStructureOutputSize, arguments->structureOutputMaximumSize))
        return kIOReturnBadArgument;
    return dispatch->function(target != nullptr ? target : this, reference, arguments);
}

void IOUserClient::AsyncCompletion(OSAction *action, IOReturn status,
                                   const IOUserClientAsyncArgumentsArray asyncData,
                                   uint32_t asyncDataCount, OSDispatchMethod supermethod) {
    if (supermethod == nullptr) {
        AsyncCompletion_Impl(action, status, asyncData, asyncDataCount);
        return;
    }
    netdext::call_super<void, OSAction *, IOReturn, const uint64_t *, uint32_t>(
        this, IOUserClient_AsyncCompletion_ID, supermethod, action, status, asyncData,
        asyncDataCount);
}

kern_return_t IOUserClient::CopyClientMemoryForType(uint64_t type, uint64_t *options,
                                                    IOMemoryDescriptor **memory,
                                                    OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CopyClientMemoryForType_Impl(type, options, memory);
    return netdext::call_super<kern_return_t, uint64_t, uint64_t *, IOMemoryDescriptor **>(
        this, IOUserClient_CopyClientMemoryForType_ID, supermethod, type, options, memory);
}

kern_return_t IOUserClient::CreateMemoryDescriptorFromClient(uint64_t memoryDescriptorCount,
                                                             const IOAddressSegment segments[32],
                                                             IOMemoryDescriptor **memory,
                                                             OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CreateMemoryDescriptorFromClient_Impl(memoryDescriptorCount, segments, memory);
    return netdext::call_super<kern_return_t, uint64_t, const IOAddressSegment *,
                               IOMemoryDescriptor **>(
        this, IOUserClient_CreateMemoryDescriptorFromClient_ID, supermethod,
        memoryDescriptorCount, segments, memory);
}

kern_return_t IOUserClient::CopyClientEntitlements(OSDictionary **entitlements,
                                                   OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CopyClientEntitlements_Impl(entitlements);
    return netdext::call_super<kern_return_t, OSDictionary **>(
        this, IOUserClient_CopyClientEntitlements_ID, supermethod, entitlements);
}

void IOUserClient::AsyncCompletion_Impl(OSAction *action, IOReturn status,
                                        const IOUserClientAsyncArgumentsArray asyncData,
                                        uint32_t asyncDataCount) {
    if (asyncDataCount > kIOUserClientAsyncArgumentsCountMax)
        asyncDataCount = kIOUserClientAsyncArgumentsCountMax;
    AsyncSink sink;
    {
        std::lock_guard lock(ivars->mutex);
        sink = ivars->sink;
    }
    if (sink)
        sink(action, status, asyncData, asyncData != nullptr ? asyncDataCount : 0);
}

kern_return_t IOUserClient::CopyClientMemoryForType_Impl(uint64_t, uint64_t *,
                                                         IOMemoryDescriptor **memory) {
    if (memory != nullptr)
        *memory = nullptr;
    return kIOReturnUnsupported;
}

kern_return_t IOUserClient::CreateMemoryDescriptorFromClient_Impl(uint64_t,
                                                                  const IOAddressSegment *,
                                                                  IOMemoryDescriptor **memory) {
    if (memory != nullptr)
        *memory = nullptr;
    return kIOReturnUnsupported;
}

kern_return_t IOUserClient::CopyClientEntitlements_Impl(OSDictionary **entitlements) {
    if (entitlements == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *entitlements = ivars->entitlements != nullptr
                        ? OSDictionary::withDictionary(ivars->entitlements)
                        : OSDictionary::withCapacity(0);
    return *entitlements != nullptr ? kIOReturnSuccess : kIOReturnNoMemory;
}

void IOUserClient::netdext_set_connection(AsyncSink sink, OSDictionary *entitlements) {
    netdext::replace_retained(ivars->mutex, ivars->entitlements, entitlements);
    std::lock_guard lock(ivars->mutex);
    ivars->sink = std::move(sink);
}
