//
//  MisbehavingNic.cpp
//  MisbehavingNic
//
//  A virtual NIC shaped like Apple's sample (a timer "receives" frames, transmitted frames are
//  completed at once) that breaks exactly one rule, chosen with the boot-arg bad=N (the list is
//  in Misbehaviour.h). With bad=0 it is a correct driver, so a test can show that a clean run
//  reports no misuse. Each broken rule sits in one `case` below, next to the correct code.
//
//  Triggers: TX misbehaviours happen when the stack transmits a frame, RX ones on the receive
//  timer (one second after the interface comes up, then every second), the leak at Stop.
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IOService.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/IODataQueueDispatchSource.h>
#include <DriverKit/OSAction.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>

#include "MisbehavingNic.h"
#include "Misbehaviour.h"

#undef super
#define super IOUserNetworkEthernet

#define LOG(fmt, ...) os_log(OS_LOG_DEFAULT, "MisbehavingNic: " fmt, ##__VA_ARGS__)

static const uint32_t kQueueCapacity = 8;
static const uint32_t kPacketCount = 32;
static const uint32_t kBufferSize = 2048;
static const uint32_t kRxFramesPerTick = 2;
static const uint64_t kReceiveIntervalMs = 1000;
static const uint32_t kMaxHeld = 64;

static const ether_addr_t kMACAddress = { .octet = { 0x02, 0x00, 0x00, 0xba, 0xd0, 0x01 } };

// A broadcast frame of 60 bytes (an Ethernet minimum), payload 0x5a.
static const uint32_t kRxFrameLength = 60;

struct MisbehavingNic_IVars
{
    IODispatchQueue                 * defaultQueue;
    IOUserNetworkPacketBufferPool   * pool;
    IOUserNetworkPacketBufferPool   * otherPool;   // bad=8, bad=12 only
    IOUserNetworkTxSubmissionQueue  * txsQueue;
    IOUserNetworkTxCompletionQueue  * txcQueue;
    IOUserNetworkRxSubmissionQueue  * rxsQueue;
    IOUserNetworkRxCompletionQueue  * rxcQueue;
    OSAction                        * txAction;
    IOTimerDispatchSource           * rxTimer;
    OSAction                        * rxAction;
    IOUserNetworkPacket             * held[kMaxHeld]; // bad=6: packets it never gives back
    uint32_t                          heldCount;
    uint32_t                          bad;
    uint32_t                          mtu;
    uint32_t                          hardwareAssists;
    bool                              misbehaved;     // each misbehaviour happens once
};

bool
MisbehavingNic::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(MisbehavingNic_IVars, 1);
    if (ivars == nullptr) {
        return false;
    }
    ivars->mtu = 1500;
    return true;
}

void
MisbehavingNic::free()
{
    IOSafeDeleteNULL(ivars, MisbehavingNic_IVars, 1);
    super::free();
}

kern_return_t
IMPL(MisbehavingNic, Start)
{
    kern_return_t ret;
    IODataQueueDispatchSource * dataQueue = nullptr;
    IOUserNetworkPacketQueue * queues[4];
    IOUserNetworkPacketBufferPoolOptions options = {};
    static const IOUserNetworkMediaType media[] = { kIOUserNetworkMediaEthernetAuto };

    IOParseBootArgNumber("bad", &ivars->bad, sizeof(ivars->bad));
    LOG("bad=%u", ivars->bad);

    ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->defaultQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    options.packetCount = kPacketCount;
    options.bufferCount = kPacketCount;
    options.bufferSize = kBufferSize;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "MisbehavingNic", &options,
                                                           &ivars->pool);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    if (ivars->bad == kMisbehaviourWrongPool || ivars->bad == kMisbehaviourOtherPoolPacket) {
        ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "MisbehavingNic-other",
                                                               &options, &ivars->otherPool);
        if (ret != kIOReturnSuccess) {
            goto fail;
        }
    }
    ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->defaultQueue, &ivars->txsQueue);
    if (ret == kIOReturnSuccess) {
        ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                     ivars->defaultQueue, &ivars->txcQueue);
    }
    if (ret == kIOReturnSuccess) {
        ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                     ivars->defaultQueue, &ivars->rxsQueue);
    }
    if (ret == kIOReturnSuccess) {
        ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                     ivars->defaultQueue, &ivars->rxcQueue);
    }
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = CreateActionTxPacketAvailable(0, &ivars->txAction);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = ivars->txsQueue->CopyDataQueue(&dataQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = dataQueue->SetDataAvailableHandler(ivars->txAction);
    OSSafeReleaseNULL(dataQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = IOTimerDispatchSource::Create(ivars->defaultQueue, &ivars->rxTimer);
    if (ret == kIOReturnSuccess) {
        ret = CreateActionReceiveTimer(0, &ivars->rxAction);
    }
    if (ret == kIOReturnSuccess) {
        ret = ivars->rxTimer->SetHandler(ivars->rxAction);
    }
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = ReportAvailableMediaTypes(media, 1);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    queues[0] = ivars->txsQueue;
    queues[1] = ivars->txcQueue;
    queues[2] = ivars->rxsQueue;
    queues[3] = ivars->rxcQueue;
    ret = RegisterEthernetInterface(kMACAddress, ivars->pool, queues, 4);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = ReportLinkStatus(kIOUserNetworkLinkStatusActive, kIOUserNetworkMediaEthernetAuto);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    return RegisterService();

fail:
    LOG("Start failed 0x%08x", ret);
    Stop_Impl(provider);
    return ret;
}

kern_return_t
IMPL(MisbehavingNic, Stop)
{
    if (ivars->rxTimer != nullptr) {
#if __BLOCKS__
        ivars->rxTimer->Cancel(^{});
#else
        ivars->rxTimer->Cancel([] {});
#endif
    }
    if (ivars->txsQueue != nullptr) {
        ivars->txsQueue->SetEnable(false);
    }
    if (ivars->txcQueue != nullptr) {
        ivars->txcQueue->SetEnable(false);
    }
    if (ivars->rxsQueue != nullptr) {
        ivars->rxsQueue->SetEnable(false);
    }
    if (ivars->rxcQueue != nullptr) {
        ivars->rxcQueue->SetEnable(false);
    }
    // A correct driver gives back every packet it still holds here; bad=6 "forgets" to.
    if (ivars->heldCount != 0) {
        LOG("Stop: still holding %u packet(s), not giving them back", ivars->heldCount);
    }
    ivars->heldCount = 0;

    OSSafeReleaseNULL(ivars->rxTimer);
    OSSafeReleaseNULL(ivars->rxAction);
    OSSafeReleaseNULL(ivars->txAction);
    OSSafeReleaseNULL(ivars->txsQueue);
    OSSafeReleaseNULL(ivars->txcQueue);
    OSSafeReleaseNULL(ivars->rxsQueue);
    OSSafeReleaseNULL(ivars->rxcQueue);
    OSSafeReleaseNULL(ivars->otherPool);
    OSSafeReleaseNULL(ivars->pool);
    OSSafeReleaseNULL(ivars->defaultQueue);
    return super::Stop(provider, SUPERDISPATCH);
}

kern_return_t
IMPL(MisbehavingNic, SetInterfaceEnable)
{
    IOUserNetworkPacketQueue * queues[4] = { ivars->txsQueue, ivars->txcQueue, ivars->rxsQueue,
                                            ivars->rxcQueue };

    for (uint32_t i = 0; i < 4; i++) {
        queues[i]->SetEnable(enable);
    }
    if (enable) {
        return ivars->rxTimer->WakeAtTime(kIOTimerClockUptimeRaw,
                                          clock_gettime_nsec_np(CLOCK_UPTIME_RAW) +
                                              kReceiveIntervalMs * kMillisecondScale,
                                          0);
    }
#if __BLOCKS__
    ivars->rxTimer->Cancel(^{});
#else
    ivars->rxTimer->Cancel([] {});
#endif
    return kIOReturnSuccess;
}

kern_return_t
IMPL(MisbehavingNic, SetPromiscuousModeEnable)
{
    return kIOReturnSuccess;
}

kern_return_t
IMPL(MisbehavingNic, SetAllMulticastModeEnable)
{
    return kIOReturnSuccess;
}

kern_return_t
IMPL(MisbehavingNic, SetWakeOnMagicPacketEnable)
{
    return kIOReturnUnsupported;
}

kern_return_t
IMPL(MisbehavingNic, SetMTU)
{
    ivars->mtu = mtu;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(MisbehavingNic, GetMaxTransferUnit)
{
    *mtu = 1500;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(MisbehavingNic, SetHardwareAssists)
{
    ivars->hardwareAssists = hardwareAssists;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(MisbehavingNic, GetHardwareAssists)
{
    *hardwareAssists = ivars->hardwareAssists;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(MisbehavingNic, SelectMediaType)
{
    return mediaType == kIOUserNetworkMediaEthernetAuto ? kIOReturnSuccess : kIOReturnUnsupported;
}

// Whether this call should misbehave as `which` (once per driver instance).
static bool
Misbehave(MisbehavingNic_IVars * ivars, uint32_t which)
{
    if (ivars->bad != which || ivars->misbehaved) {
        return false;
    }
    ivars->misbehaved = true;
    LOG("misbehaving now: bad=%u", which);
    return true;
}

// The correct way to hand a TX packet back: complete it, or give it back to its pool.
static void
CompleteTx(MisbehavingNic_IVars * ivars, IOUserNetworkPacket * packet)
{
    kern_return_t ret = ivars->txcQueue->EnqueuePacket(packet);
    if (ret != kIOReturnSuccess) {
        LOG("TX completion failed 0x%08x, returning the packet to the pool", ret);
        ivars->pool->DeallocatePacket(packet);
    }
}

void
IMPL(MisbehavingNic, TxPacketAvailable)
{
    IOUserNetworkPacket * packets[kQueueCapacity];
    uint32_t count;
    kern_return_t ret;

    if (Misbehave(ivars, kMisbehaviourDequeueCompletion)) {
        count = ivars->txcQueue->DequeuePackets(packets, kQueueCapacity);
        LOG("DequeuePackets on the TX completion queue returned %u", count);
    }
    if (Misbehave(ivars, kMisbehaviourSyncOntoSelf)) {
        // Deadlocks on macOS: TxPacketAvailable already runs on this queue.
#if __BLOCKS__
        ivars->defaultQueue->DispatchSync(^{
            LOG("DispatchSync block ran");
        });
#else
        ivars->defaultQueue->DispatchSync([] { LOG("DispatchSync block ran"); });
#endif
    }

    count = ivars->txsQueue->DequeuePackets(packets, kQueueCapacity);
    for (uint32_t i = 0; i < count; i++) {
        IOUserNetworkPacket * packet = packets[i];

        if (ivars->bad == kMisbehaviourLeakAtStop && ivars->heldCount < kMaxHeld) {
            (void)Misbehave(ivars, kMisbehaviourLeakAtStop);   // logs the first time
            ivars->held[ivars->heldCount++] = packet;   // never completed nor deallocated
            continue;
        }
        if (Misbehave(ivars, kMisbehaviourEnqueueTwice)) {
            CompleteTx(ivars, packet);
            ret = ivars->txcQueue->EnqueuePacket(packet);
            LOG("second EnqueuePacket of the same packet returned 0x%08x", ret);
            continue;
        }
        if (Misbehave(ivars, kMisbehaviourEnqueueAfterFree)) {
            ivars->pool->DeallocatePacket(packet);
            ret = ivars->txcQueue->EnqueuePacket(packet);
            LOG("EnqueuePacket after DeallocatePacket returned 0x%08x", ret);
            continue;
        }
        if (Misbehave(ivars, kMisbehaviourWrongPool)) {
            ret = ivars->otherPool->DeallocatePacket(packet);
            LOG("DeallocatePacket to the wrong pool returned 0x%08x", ret);
            CompleteTx(ivars, packet);      // then the right thing, so nothing leaks
            continue;
        }
        if (Misbehave(ivars, kMisbehaviourDeallocateTwice)) {
            ivars->pool->DeallocatePacket(packet);
            ret = ivars->pool->DeallocatePacket(packet);
            LOG("second DeallocatePacket returned 0x%08x", ret);
            continue;
        }
        CompleteTx(ivars, packet);
    }
}

// Fills an empty buffer with a broadcast frame; false if the packet refused the length.
static bool
FillRxFrame(IOUserNetworkPacket * packet)
{
    uint8_t * frame = (uint8_t *)packet->getDataVirtualAddress() + packet->getDataOffset();

    memset(frame, 0xff, 6);
    bcopy(kMACAddress.octet, frame + 6, 6);
    frame[12] = 0x88;   // local experimental EtherType
    frame[13] = 0xb5;
    memset(frame + 14, 0x5a, kRxFrameLength - 14);
    return packet->setDataLength(kRxFrameLength) == kIOReturnSuccess;
}

// The correct way to hand an RX packet back.
static void
CompleteRx(MisbehavingNic_IVars * ivars, IOUserNetworkPacket * packet)
{
    kern_return_t ret = ivars->rxcQueue->EnqueuePacket(packet);
    if (ret != kIOReturnSuccess) {
        LOG("RX completion failed 0x%08x, returning the packet to the pool", ret);
        ivars->pool->DeallocatePacket(packet);
    }
}

void
IMPL(MisbehavingNic, ReceiveTimer)
{
    IOUserNetworkPacket * packets[kRxFramesPerTick];
    uint32_t count;
    kern_return_t ret;

    if (Misbehave(ivars, kMisbehaviourEnqueueNeverDequeued)) {
        IOUserNetworkPacketDescriptor descriptor = {};
        IOUserNetworkPacket * stranger = nullptr;

        descriptor.fPacketIndex = kPacketCount - 1;
        if (ivars->pool->newPacket(&descriptor, &stranger) == kIOReturnSuccess) {
            ret = ivars->rxcQueue->EnqueuePacket(stranger);
            LOG("EnqueuePacket of a packet never dequeued returned 0x%08x", ret);
        }
    }
    if (Misbehave(ivars, kMisbehaviourOtherPoolPacket)) {
        IOUserNetworkPacketDescriptor descriptor = {};
        IOUserNetworkPacket * foreign = nullptr;

        if (ivars->otherPool->newPacket(&descriptor, &foreign) == kIOReturnSuccess) {
            ret = ivars->rxcQueue->EnqueuePacket(foreign);
            LOG("EnqueuePacket of another pool's packet returned 0x%08x", ret);
        }
    }

    count = ivars->rxsQueue->DequeuePackets(packets, kRxFramesPerTick);
    for (uint32_t i = 0; i < count; i++) {
        IOUserNetworkPacket * packet = packets[i];

        if (!FillRxFrame(packet)) {
            ivars->pool->DeallocatePacket(packet);
            continue;
        }
        if (Misbehave(ivars, kMisbehaviourPastBuffer)) {
            ret = packet->setDataOffsetAndLength(16, kBufferSize);
            LOG("setDataOffsetAndLength past the buffer returned 0x%08x", ret);
            ivars->pool->DeallocatePacket(packet);
            continue;
        }
        if (Misbehave(ivars, kMisbehaviourEnqueueSubmission)) {
            ret = ivars->rxsQueue->EnqueuePacket(packet);
            LOG("EnqueuePacket on the RX submission queue returned 0x%08x", ret);
            CompleteRx(ivars, packet);
            continue;
        }
        if (Misbehave(ivars, kMisbehaviourRxOnTxCompletion)) {
            ret = ivars->txcQueue->EnqueuePacket(packet);
            LOG("EnqueuePacket of an RX buffer on the TX completion queue returned 0x%08x", ret);
            if (ret != kIOReturnSuccess) {
                ivars->pool->DeallocatePacket(packet);
            }
            continue;
        }
        if (Misbehave(ivars, kMisbehaviourZeroLengthRx)) {
            ret = packet->setDataLength(0);
            LOG("setDataLength(0) returned 0x%08x", ret);
            CompleteRx(ivars, packet);
            continue;
        }
        if (Misbehave(ivars, kMisbehaviourTouchAfterEnqueue)) {
            CompleteRx(ivars, packet);
            ret = packet->setDataLength(kRxFrameLength / 2);   // no longer ours to touch
            LOG("setDataLength after EnqueuePacket returned 0x%08x", ret);
            continue;
        }
        CompleteRx(ivars, packet);
    }

    ret = ivars->rxTimer->WakeAtTime(kIOTimerClockUptimeRaw,
                                     time + kReceiveIntervalMs * kMillisecondScale, 0);
    if (ret != kIOReturnSuccess) {
        LOG("re-arming the receive timer failed 0x%08x", ret);
    }
}
