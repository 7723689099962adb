//
//  AppleStyleNicUserClient.cpp
//  AppleStyleNic
//
//  Written the way DriverKit user clients are: a static dispatch table, ExternalMethod choosing
//  the entry and handing it to super::ExternalMethod, which checks the arguments against it.
//

#include <os/log.h>

#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IOLib.h>
#include <DriverKit/IOMemoryMap.h>
#include <DriverKit/IOUserClient.h>
#include <DriverKit/OSData.h>

#include "AppleStyleNic.h"
#include "AppleStyleNicUserClient.h"

#define LOG(fmt, ...) os_log(OS_LOG_DEFAULT, "AppleStyleNicUserClient: " fmt, ##__VA_ARGS__)

struct AppleStyleNicUserClient_IVars
{
    AppleStyleNic            * nic;
    IODispatchQueue          * queue;
    IOBufferMemoryDescriptor * shared;     // memory type 0, shared with the application
    IOMemoryMap              * sharedMap;
};

enum {
    kSelectorGetCounters = 0,
    kSelectorPing        = 1,
    kSelectorReverse     = 2,
    kSelectorCount
};

static kern_return_t
GetCounters(OSObject * target, void * reference, IOUserClientMethodArguments * arguments);
static kern_return_t
Ping(OSObject * target, void * reference, IOUserClientMethodArguments * arguments);
static kern_return_t
Reverse(OSObject * target, void * reference, IOUserClientMethodArguments * arguments);

static const IOUserClientMethodDispatch sMethods[kSelectorCount] = {
    [kSelectorGetCounters] = {
        .function = &GetCounters,
        .checkCompletionExists = false,
        .checkScalarInputCount = 0,
        .checkStructureInputSize = 0,
        .checkScalarOutputCount = 2,
        .checkStructureOutputSize = 0,
    },
    [kSelectorPing] = {
        .function = &Ping,
        .checkCompletionExists = true,
        .checkScalarInputCount = 1,
        .checkStructureInputSize = 0,
        .checkScalarOutputCount = 0,
        .checkStructureOutputSize = 0,
    },
    [kSelectorReverse] = {
        .function = &Reverse,
        .checkCompletionExists = false,
        .checkScalarInputCount = 0,
        .checkStructureInputSize = kIOUserClientVariableStructureSize,
        .checkScalarOutputCount = 0,
        .checkStructureOutputSize = kIOUserClientVariableStructureSize,
    },
};

bool
AppleStyleNicUserClient::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(AppleStyleNicUserClient_IVars, 1);
    return ivars != nullptr;
}

void
AppleStyleNicUserClient::free()
{
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->sharedMap);
        OSSafeReleaseNULL(ivars->shared);
        OSSafeReleaseNULL(ivars->queue);
        OSSafeReleaseNULL(ivars->nic);
    }
    IOSafeDeleteNULL(ivars, AppleStyleNicUserClient_IVars, 1);
    super::free();
}

kern_return_t
IMPL(AppleStyleNicUserClient, Start)
{
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ivars->nic = OSDynamicCast(AppleStyleNic, provider);
    if (ivars->nic == nullptr) {
        LOG("provider is not an AppleStyleNic");
        return kIOReturnBadArgument;
    }
    ivars->nic->retain();
    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->queue);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ret = IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, IOVMPageSize, 0,
                                           &ivars->shared);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ret = ivars->shared->CreateMapping(0, 0, 0, 0, 0, &ivars->sharedMap);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    LOG("started for %{public}s", provider->GetClassName());
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleNicUserClient, Stop)
{
    LOG("stopped");
    OSSafeReleaseNULL(ivars->nic);
    return Stop(provider, SUPERDISPATCH);
}

kern_return_t
IMPL(AppleStyleNicUserClient, CopyClientMemoryForType)
{
    if (type != 0 || ivars->shared == nullptr) {
        return kIOReturnBadArgument;
    }
    *options = kIOUserClientMemoryReadOnly;
    ivars->shared->retain();
    *memory = ivars->shared;
    return kIOReturnSuccess;
}

kern_return_t
AppleStyleNicUserClient::ExternalMethod(uint64_t selector,
                                        IOUserClientMethodArguments * arguments,
                                        const IOUserClientMethodDispatch * dispatch,
                                        OSObject * target,
                                        void * reference)
{
    if (selector >= kSelectorCount) {
        return kIOReturnBadArgument;
    }
    dispatch = &sMethods[selector];
    if (target == nullptr) {
        target = this;
    }
    return super::ExternalMethod(selector, arguments, dispatch, target, reference);
}

static kern_return_t
GetCounters(OSObject * target, void * reference, IOUserClientMethodArguments * arguments)
{
    (void)reference;
    AppleStyleNicUserClient * self = OSDynamicCast(AppleStyleNicUserClient, target);
    if (self == nullptr || self->ivars->nic == nullptr) {
        return kIOReturnNotReady;
    }
    self->ivars->nic->CopyCounters(&arguments->scalarOutput[0], &arguments->scalarOutput[1]);
    arguments->scalarOutputCount = 2;
    if (self->ivars->sharedMap != nullptr) {
        uint64_t * words = reinterpret_cast<uint64_t *>(self->ivars->sharedMap->GetAddress());
        words[0] = arguments->scalarOutput[0];
        words[1] = arguments->scalarOutput[1];
    }
    return kIOReturnSuccess;
}

static kern_return_t
Ping(OSObject * target, void * reference, IOUserClientMethodArguments * arguments)
{
    (void)reference;
    AppleStyleNicUserClient * self = OSDynamicCast(AppleStyleNicUserClient, target);
    if (self == nullptr) {
        return kIOReturnNotReady;
    }
    // Answer later, from the queue, as a driver answers when its hardware is done.
    OSAction * completion = arguments->completion;
    uint64_t value = arguments->scalarInput[0];
    completion->retain();
    self->retain();
#if __BLOCKS__
    self->ivars->queue->DispatchAsync(^{
        IOUserClientAsyncArgumentsArray data = {};
        data[0] = value + 1;
        self->AsyncCompletion(completion, kIOReturnSuccess, data, 1);
        completion->release();
        self->release();
    });
#else
    self->ivars->queue->DispatchAsync([self, completion, value] {
        IOUserClientAsyncArgumentsArray data = {};
        data[0] = value + 1;
        self->AsyncCompletion(completion, kIOReturnSuccess, data, 1);
        completion->release();
        self->release();
    });
#endif
    return kIOReturnSuccess;
}

static kern_return_t
Reverse(OSObject * target, void * reference, IOUserClientMethodArguments * arguments)
{
    (void)target;
    (void)reference;
    if (arguments->structureInput == nullptr) {
        return kIOReturnBadArgument;
    }
    size_t length = arguments->structureInput->getLength();
    if (length > arguments->structureOutputMaximumSize) {
        return kIOReturnNoSpace;
    }
    const uint8_t * in = static_cast<const uint8_t *>(arguments->structureInput->getBytesNoCopy());
    uint8_t * out = IONew(uint8_t, length);
    if (out == nullptr) {
        return kIOReturnNoMemory;
    }
    for (size_t i = 0; i < length; i++) {
        out[i] = in[length - 1 - i];
    }
    arguments->structureOutput = OSData::withBytes(out, length);
    IOSafeDeleteNULL(out, uint8_t, length);
    return arguments->structureOutput != nullptr ? kIOReturnSuccess : kIOReturnNoMemory;
}
