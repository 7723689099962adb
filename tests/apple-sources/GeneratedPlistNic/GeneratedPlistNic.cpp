//
//  GeneratedPlistNic.cpp
//  GeneratedPlistNic
//
//  Completes every frame the stack transmits (a sink), counts them, and reports its link when
//  the interface goes up. DriverKit 19/20 style: Create() factories, IMPL, SUPERDISPATCH and a
//  DataAvailable action on the TX submission queue.
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IODataQueueDispatchSource.h>
#include <DriverKit/IODispatchQueue.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>

#include "GeneratedPlistNic.h"

#define kPacketCount 32
#define kBufferSize 2048
#define kQueueCapacity 16
#define kMaxPacketsPerRound 8

struct GeneratedPlistNic_IVars {
    IODispatchQueue *defaultQueue;
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txSubmission;
    IOUserNetworkTxCompletionQueue *txCompletion;
    IOUserNetworkRxSubmissionQueue *rxSubmission;
    IOUserNetworkRxCompletionQueue *rxCompletion;
    OSAction *txAction;
    uint64_t transmittedBytes;
    uint64_t transmittedFrames;
    uint32_t mtu;
};

bool GeneratedPlistNic::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(GeneratedPlistNic_IVars, 1);
    if (ivars == nullptr) {
        return false;
    }
    ivars->mtu = 1500;
    return true;
}

void GeneratedPlistNic::free()
{
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->txAction);
        OSSafeReleaseNULL(ivars->txSubmission);
        OSSafeReleaseNULL(ivars->txCompletion);
        OSSafeReleaseNULL(ivars->rxSubmission);
        OSSafeReleaseNULL(ivars->rxCompletion);
        OSSafeReleaseNULL(ivars->pool);
        OSSafeReleaseNULL(ivars->defaultQueue);
    }
    IOSafeDeleteNULL(ivars, GeneratedPlistNic_IVars, 1);
    super::free();
}

kern_return_t
IMPL(GeneratedPlistNic, Start)
{
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->defaultQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = IOUserNetworkPacketBufferPool::Create(this, "GeneratedPlistNic", kPacketCount,
                                                kPacketCount, kBufferSize, &ivars->pool);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->defaultQueue, &ivars->txSubmission);
    if (ret == kIOReturnSuccess) {
        ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                     ivars->defaultQueue, &ivars->txCompletion);
    }
    if (ret == kIOReturnSuccess) {
        ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                     ivars->defaultQueue, &ivars->rxSubmission);
    }
    if (ret == kIOReturnSuccess) {
        ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                     ivars->defaultQueue, &ivars->rxCompletion);
    }
    if (ret != kIOReturnSuccess) {
        goto fail;
    }

    ret = CreateActionTxPacketAvailable(0, &ivars->txAction);
    if (ret == kIOReturnSuccess) {
        IODataQueueDispatchSource *dataQueue = nullptr;
        ret = ivars->txSubmission->CopyDataQueue(&dataQueue);
        if (ret == kIOReturnSuccess) {
            ret = dataQueue->SetDataAvailableHandler(ivars->txAction);
            dataQueue->release();
        }
    }
    if (ret != kIOReturnSuccess) {
        goto fail;
    }

    {
        IOUserNetworkMediaType media[] = {kIOUserNetworkMediaEthernetAuto};
        ReportAvailableMediaTypes(media, 1);
        IOUserNetworkPacketQueue *queues[] = {ivars->txSubmission, ivars->txCompletion,
                                              ivars->rxSubmission, ivars->rxCompletion};
        ether_addr_t mac = {{0x02, 0x47, 0x50, 0x4e, 0x00, 0x01}};
        ret = RegisterEthernetInterface(mac, ivars->pool, queues, 4);
    }
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    os_log(OS_LOG_DEFAULT, "GeneratedPlistNic: started, pool %p\n", ivars->pool);
    return kIOReturnSuccess;

fail:
    os_log(OS_LOG_DEFAULT, "GeneratedPlistNic: Start failed: 0x%08x\n", ret);
    Stop(provider, SUPERDISPATCH);
    return ret;
}

kern_return_t
IMPL(GeneratedPlistNic, Stop)
{
    IOLog("GeneratedPlistNic: %llu frames, %llu bytes sent\n", ivars->transmittedFrames,
          ivars->transmittedBytes);
    kern_return_t ret = Stop(provider, SUPERDISPATCH);
    // The TX action retains this service (through the TX queue's data queue): let them go now,
    // or neither would ever be freed.
    OSSafeReleaseNULL(ivars->txSubmission);
    OSSafeReleaseNULL(ivars->txCompletion);
    OSSafeReleaseNULL(ivars->rxSubmission);
    OSSafeReleaseNULL(ivars->rxCompletion);
    OSSafeReleaseNULL(ivars->txAction);
    OSSafeReleaseNULL(ivars->pool);
    return ret;
}

kern_return_t
IMPL(GeneratedPlistNic, SetInterfaceEnable)
{
    IOUserNetworkPacketQueue *queues[] = {ivars->txSubmission, ivars->txCompletion,
                                          ivars->rxSubmission, ivars->rxCompletion};
    for (IOUserNetworkPacketQueue *queue : queues) {
        queue->SetEnable(isEnable);
    }
    ReportLinkStatus(isEnable ? kIOUserNetworkLinkStatusActive : kIOUserNetworkLinkStatusInactive,
                     kIOUserNetworkMediaEthernetAuto);
    os_log(OS_LOG_DEFAULT, "GeneratedPlistNic: %{public}s\n", isEnable ? "enabled" : "disabled");
    return kIOReturnSuccess;
}

kern_return_t
IMPL(GeneratedPlistNic, SetPromiscuousModeEnable)
{
    return kIOReturnSuccess;
}

kern_return_t
IMPL(GeneratedPlistNic, SetMulticastAddresses)
{
    os_log(OS_LOG_DEFAULT, "GeneratedPlistNic: %u multicast addresses\n", count);
    return kIOReturnSuccess;
}

kern_return_t
IMPL(GeneratedPlistNic, GetMaxTransferUnit)
{
    *mtu = 1500;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(GeneratedPlistNic, SetMTU)
{
    ivars->mtu = mtu;
    return kIOReturnSuccess;
}

void
IMPL(GeneratedPlistNic, TxPacketAvailable)
{
    IOUserNetworkPacket *packets[kMaxPacketsPerRound];
    uint32_t count;
    while ((count = ivars->txSubmission->DequeuePackets(packets, kMaxPacketsPerRound)) > 0) {
        for (uint32_t i = 0; i < count; i++) {
            uint32_t length = 0;
            packets[i]->GetDataLength(&length);
            ivars->transmittedBytes += length;
        }
        ivars->transmittedFrames += count;
        uint32_t completed = ivars->txCompletion->EnqueuePackets(packets, count);
        if (completed < count) {
            ivars->pool->DeallocatePackets(packets + completed, count - completed);
        }
    }
}
