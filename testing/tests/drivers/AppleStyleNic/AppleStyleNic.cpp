//
//  AppleStyleNic.cpp
//  AppleStyleNic
//
//  A loopback Ethernet NIC in the style of Apple's DriverKit samples (see AppleStyleNic.iig for
//  what it does). Written as a macOS driver author would write it: `#undef super` /
//  `#define super`, IMPL() bodies that use this .iig's parameter names, SUPERDISPATCH, a direct
//  Stop_Impl() on the Start failure path, blocks for Cancel() under clang (a lambda under GCC,
//  which has no blocks), and DeallocatePacket on every error path.
//
//  Threads: TxReady runs on the driver's own "TxQueue" (QUEUENAME in the .iig, bound with
//  SetDispatchQueue in Start); everything else -- the stack's calls and EchoTick -- runs on
//  "Default". The echo backlog is the only state both touch, and echoLock guards it.
//
//  Ownership at each hand-off: a packet dequeued from a submission queue belongs to the driver
//  until it is enqueued on a completion queue or given back with DeallocatePacket. Frames are
//  copied out of TX packets into the echo backlog, so no packet is held between callbacks.
//
//  Boot-args: asn-debug=1 (verbose logging), asn-echo-ms=N (echo timer period, default 10),
//  asn-fail-start=N (fail Start after its N-th step, 1..7, to exercise the failure path).
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IOService.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/IODataQueueDispatchSource.h>
#include <DriverKit/OSAction.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>

#include "AppleStyleNic.h"

#undef super
#define super IOUserNetworkEthernet

static bool gAppleStyleNicDebug = false;

#define LOG(fmt, ...)  os_log(OS_LOG_DEFAULT, "AppleStyleNic: " fmt, ##__VA_ARGS__)
#define DLOG(fmt, ...)                                                          \
    do {                                                                        \
        if (gAppleStyleNicDebug) {                                              \
            os_log_debug(OS_LOG_DEFAULT, "AppleStyleNic: " fmt, ##__VA_ARGS__); \
        }                                                                       \
    } while (0)

static const uint32_t kQueueCapacity      = 16;        // entries per packet queue
static const uint32_t kPacketCount        = 64;        // packets (and buffers) in the pool
static const uint32_t kBufferSize         = 4096;      // one frame per buffer
static const uint32_t kMaxMTU             = 4000;
static const uint32_t kMinMTU             = 68;
static const uint32_t kEtherHeaderLength  = 14;
static const uint32_t kVlanTagLength      = 4;
static const uint16_t kRxDataOffset       = 2;         // aligns the IP header, as NICs do
static const uint32_t kMaxPendingEchoes   = 16;        // frames waiting for the next tick
static const uint32_t kMaxMulticast       = 32;        // the "hardware" multicast filter
static const uint64_t kDefaultEchoPeriodMs = 10;
static const uint32_t kSupportedAssists   = kIOUserNetworkHWAssistSoftwareVlan;

// A locally administered address.
static const ether_addr_t kMACAddress = { .octet = { 0x02, 0x00, 0x4e, 0x44, 0x58, 0x01 } };

// Media the stack may choose from, with the bandwidth each one reports.
static const struct {
    IOUserNetworkMediaType medium;
    uint64_t bitsPerSecond;
} kMedia[] = {
    { kIOUserNetworkMediaEthernetAuto,                                              1000000000ULL },
    { kIOUserNetworkMediaEthernet10BaseT | kIOUserNetworkMediaOptionFullDuplex,       10000000ULL },
    { kIOUserNetworkMediaEthernet100BaseTX | kIOUserNetworkMediaOptionFullDuplex,    100000000ULL },
    { kIOUserNetworkMediaEthernet1000BaseT | kIOUserNetworkMediaOptionFullDuplex,   1000000000ULL },
};
static const uint32_t kMediaCount = sizeof(kMedia) / sizeof(kMedia[0]);

struct EchoFrame
{
    uint32_t length;
    uint8_t  bytes[kBufferSize];
};

struct AppleStyleNic_IVars
{
    IODispatchQueue                 * defaultQueue;
    IODispatchQueue                 * txQueue;
    IOUserNetworkPacketBufferPool   * pool;
    IOUserNetworkTxSubmissionQueue  * txsQueue;
    IOUserNetworkTxCompletionQueue  * txcQueue;
    IOUserNetworkRxSubmissionQueue  * rxsQueue;
    IOUserNetworkRxCompletionQueue  * rxcQueue;
    OSAction                        * txReadyAction;
    IOTimerDispatchSource           * echoTimer;
    OSAction                        * echoTickAction;

    // Guarded by echoLock: TxReady (TxQueue) appends, EchoTick (Default) removes.
    IOLock                          * echoLock;
    EchoFrame                       * echoes;          // kMaxPendingEchoes slots, a ring
    uint32_t                          echoHead;
    uint32_t                          echoCount;
    uint32_t                          mtu;
    uint64_t                          txFrames;
    uint64_t                          txDropped;

    // Default queue only.
    uint64_t                          echoPeriod;      // ns
    IOUserNetworkMediaType            activeMedium;
    uint32_t                          hardwareAssists;
    ether_addr_t                      multicast[kMaxMulticast];
    uint32_t                          multicastCount;
    bool                              multicastOverflow;
    bool                              up;
    bool                              promiscuous;
    bool                              allMulticast;
    bool                              wakeOnMagicPacket;
    uint64_t                          rxFrames;
    uint64_t                          rxFiltered;
};

bool
AppleStyleNic::init()
{
    bool result = false;

    result = super::init();
    if (result != true) {
        goto fail;
    }
    ivars = IONewZero(AppleStyleNic_IVars, 1);
    if (ivars == nullptr) {
        goto fail;
    }
    ivars->echoes = IONewZero(EchoFrame, kMaxPendingEchoes);
    ivars->echoLock = IOLockAlloc();
    if (ivars->echoes == nullptr || ivars->echoLock == nullptr) {
        goto fail;
    }
    ivars->mtu = 1500;
    ivars->activeMedium = kIOUserNetworkMediaEthernetAuto;
    ivars->echoPeriod = kDefaultEchoPeriodMs * kMillisecondScale;
    return true;

fail:
    return false;
}

void
AppleStyleNic::free()
{
    if (ivars != nullptr) {
        IOSafeDeleteNULL(ivars->echoes, EchoFrame, kMaxPendingEchoes);
        if (ivars->echoLock != nullptr) {
            IOLockFreeZero(ivars->echoLock);
        }
    }
    IOSafeDeleteNULL(ivars, AppleStyleNic_IVars, 1);
    super::free();
}

// Which boot-arg step Start fails after (0: none).
static uint32_t
FailStartStep()
{
    uint32_t step = 0;
    IOParseBootArgNumber("asn-fail-start", &step, sizeof(step));
    return step;
}

kern_return_t
IMPL(AppleStyleNic, Start)
{
    kern_return_t ret;
    uint32_t failAfter;
    uint32_t periodMs = kDefaultEchoPeriodMs;
    uint32_t step = 0;
    IODataQueueDispatchSource * dataQueue = nullptr;
    IOUserNetworkPacketQueue * queues[4];
    IOUserNetworkMediaType media[kMediaCount];
    IOUserNetworkPacketBufferPoolOptions poolOptions = {};

    IOParseBootArgNumber("asn-debug", &gAppleStyleNicDebug, sizeof(gAppleStyleNicDebug));
    if (IOParseBootArgNumber("asn-echo-ms", &periodMs, sizeof(periodMs)) && periodMs != 0) {
        ivars->echoPeriod = periodMs * (uint64_t)kMillisecondScale;
    }
    failAfter = FailStartStep();

    ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        LOG("super::Start failed 0x%08x", ret);
        return ret;
    }
    DLOG("==> Start %p (%p)", this, provider);

#define STEP_DONE()                                                         \
    do {                                                                    \
        if (++step == failAfter) {                                          \
            LOG("failing Start after step %u (asn-fail-start)", step);      \
            ret = kIOReturnError;                                           \
            goto fail;                                                      \
        }                                                                   \
    } while (0)

    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->defaultQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    STEP_DONE();    // 1

    // TxReady is declared QUEUENAME(TxQueue): it runs on this queue once it is bound.
    ret = IODispatchQueue::Create("TxQueue", 0, 0, &ivars->txQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = SetDispatchQueue("TxQueue", ivars->txQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    STEP_DONE();    // 2

    poolOptions.packetCount = kPacketCount;
    poolOptions.bufferCount = kPacketCount;
    poolOptions.bufferSize = kBufferSize;
    poolOptions.maxBuffersPerPacket = 1;
    poolOptions.poolFlags = PoolFlagMapToDext;
    ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "AppleStyleNic", &poolOptions,
                                                           &ivars->pool);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    STEP_DONE();    // 3

    // TX queues live on TxQueue, RX queues on Default.
    ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->txQueue, &ivars->txsQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->txQueue, &ivars->txcQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->defaultQueue, &ivars->rxsQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->defaultQueue, &ivars->rxcQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    STEP_DONE();    // 4

    ret = CreateActionTxReady(0, &ivars->txReadyAction);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = ivars->txsQueue->CopyDataQueue(&dataQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = dataQueue->SetDataAvailableHandler(ivars->txReadyAction);
    OSSafeReleaseNULL(dataQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    STEP_DONE();    // 5

    ret = IOTimerDispatchSource::Create(ivars->defaultQueue, &ivars->echoTimer);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = CreateActionEchoTick(sizeof(void *), &ivars->echoTickAction);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = ivars->echoTimer->SetHandler(ivars->echoTickAction);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    STEP_DONE();    // 6

    for (uint32_t i = 0; i < kMediaCount; i++) {
        media[i] = kMedia[i].medium;
    }
    ret = ReportAvailableMediaTypes(media, kMediaCount);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    SetTxPacketHeadroom(0);
    SetTxPacketTailroom(0);
    SetWakeOnMagicPacketSupport(true);
    SetSoftwareVlanSupport(true);

    queues[0] = ivars->rxcQueue;    // any order will do
    queues[1] = ivars->rxsQueue;
    queues[2] = ivars->txcQueue;
    queues[3] = ivars->txsQueue;
    ret = RegisterEthernetInterface(kMACAddress, ivars->pool, queues, 4);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    STEP_DONE();    // 7
#undef STEP_DONE

    // No cable until the interface comes up.
    ret = ReportLinkStatus(kIOUserNetworkLinkStatusInactive, ivars->activeMedium);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }

    ret = RegisterService();
    if (ret != kIOReturnSuccess) {
        goto fail;
    }

    LOG("started, MAC %02x:%02x:%02x:%02x:%02x:%02x, echo every %llu ms",
        kMACAddress.octet[0], kMACAddress.octet[1], kMACAddress.octet[2],
        kMACAddress.octet[3], kMACAddress.octet[4], kMACAddress.octet[5],
        (unsigned long long)(ivars->echoPeriod / kMillisecondScale));
    return kIOReturnSuccess;

fail:
    LOG("Start failed 0x%08x", ret);
    OSSafeReleaseNULL(dataQueue);
    Stop_Impl(provider);
    return ret;
}

// Drops whatever is waiting to be echoed (interface down, Stop).
static void
DiscardEchoes(AppleStyleNic_IVars * ivars)
{
    uint32_t discarded;

    IOLockLock(ivars->echoLock);
    discarded = ivars->echoCount;
    ivars->echoHead = 0;
    ivars->echoCount = 0;
    IOLockUnlock(ivars->echoLock);
    if (discarded != 0) {
        LOG("discarded %u frame(s) waiting to be echoed", discarded);
    }
}

static void
DisableQueues(AppleStyleNic_IVars * ivars)
{
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
}

kern_return_t
IMPL(AppleStyleNic, Stop)
{
    DLOG("==> Stop %p (%p)", this, provider);

    if (ivars->echoTimer != nullptr) {
#if __BLOCKS__
        ivars->echoTimer->Cancel(^{
            DLOG("echo timer cancelled (Stop)");
        });
#else
        ivars->echoTimer->Cancel([] { DLOG("echo timer cancelled (Stop)"); });
#endif
    }
    DisableQueues(ivars);
    ivars->up = false;
    DiscardEchoes(ivars);

    OSSafeReleaseNULL(ivars->echoTimer);
    OSSafeReleaseNULL(ivars->echoTickAction);
    OSSafeReleaseNULL(ivars->txReadyAction);
    OSSafeReleaseNULL(ivars->txsQueue);
    OSSafeReleaseNULL(ivars->txcQueue);
    OSSafeReleaseNULL(ivars->rxsQueue);
    OSSafeReleaseNULL(ivars->rxcQueue);
    OSSafeReleaseNULL(ivars->pool);
    OSSafeReleaseNULL(ivars->txQueue);
    OSSafeReleaseNULL(ivars->defaultQueue);

    return super::Stop(provider, SUPERDISPATCH);
}

kern_return_t
IMPL(AppleStyleNic, NewUserClient)
{
    IOService * client = nullptr;
    kern_return_t ret;

    if (type != 0) {
        return kIOReturnBadArgument;
    }
    ret = Create(this, "UserClientProperties", &client);
    if (ret != kIOReturnSuccess) {
        LOG("NewUserClient: Create failed 0x%x", ret);
        return ret;
    }
    *userClient = OSDynamicCast(IOUserClient, client);
    if (*userClient == nullptr) {
        client->release();
        return kIOReturnError;
    }
    DLOG("NewUserClient -> %p", *userClient);
    return kIOReturnSuccess;
}

void
AppleStyleNic::CopyCounters(uint64_t * transmitted, uint64_t * delivered)
{
    // rxFrames belongs to the Default queue; the caller runs on the user client's.
    __block uint64_t rx = 0;
    IODispatchQueue * queue = nullptr;
    if (CopyDispatchQueue(kIOServiceDefaultQueueName, &queue) == kIOReturnSuccess) {
#if __BLOCKS__
        queue->DispatchSync(^{
            rx = ivars->rxFrames;
        });
#else
        queue->DispatchSync([this, &rx] { rx = ivars->rxFrames; });
#endif
        OSSafeReleaseNULL(queue);
    }
    IOLockLock(ivars->echoLock);
    *transmitted = ivars->txFrames;
    IOLockUnlock(ivars->echoLock);
    *delivered = rx;
}

kern_return_t
IMPL(AppleStyleNic, SetPowerState)
{
    LOG("power state 0x%x", newPowerState);
    return SetPowerState(newPowerState, SUPERDISPATCH);
}

static uint64_t
MediumBandwidth(IOUserNetworkMediaType medium)
{
    for (uint32_t i = 0; i < kMediaCount; i++) {
        if (kMedia[i].medium == medium) {
            return kMedia[i].bitsPerSecond;
        }
    }
    return 0;
}

kern_return_t
IMPL(AppleStyleNic, SetInterfaceEnable)
{
    kern_return_t ret;
    uint64_t deadline;
    uint64_t bandwidth;

    LOG("interface %{public}s", up ? "up" : "down");

    if (up) {
        ret = ivars->txsQueue->SetEnable(true);
        if (ret == kIOReturnSuccess) {
            ret = ivars->txcQueue->SetEnable(true);
        }
        if (ret == kIOReturnSuccess) {
            ret = ivars->rxsQueue->SetEnable(true);
        }
        if (ret == kIOReturnSuccess) {
            ret = ivars->rxcQueue->SetEnable(true);
        }
        if (ret != kIOReturnSuccess) {
            goto down;
        }
        deadline = clock_gettime_nsec_np(CLOCK_UPTIME_RAW) + ivars->echoPeriod;
        ret = ivars->echoTimer->WakeAtTime(kIOTimerClockUptimeRaw, deadline, 0);
        if (ret != kIOReturnSuccess) {
            goto down;
        }
        ivars->up = true;
        // The cable is "plugged in" once the interface is up.
        ret = ReportLinkStatus(kIOUserNetworkLinkStatusActive, ivars->activeMedium);
        if (ret != kIOReturnSuccess) {
            goto down;
        }
        bandwidth = MediumBandwidth(ivars->activeMedium);
        ReportDataBandwidths(bandwidth, bandwidth, bandwidth, bandwidth);
        return kIOReturnSuccess;
    }
    ret = kIOReturnSuccess;

down:
    ivars->up = false;
#if __BLOCKS__
    ivars->echoTimer->Cancel(^{
        DLOG("echo timer stopped");
    });
#else
    ivars->echoTimer->Cancel([] { DLOG("echo timer stopped"); });
#endif
    DisableQueues(ivars);
    DiscardEchoes(ivars);
    ReportLinkStatus(kIOUserNetworkLinkStatusInactive, ivars->activeMedium);
    return ret;
}

kern_return_t
IMPL(AppleStyleNic, SetPromiscuousModeEnable)
{
    LOG("promiscuous mode %{public}s", on ? "on" : "off");
    ivars->promiscuous = on;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleNic, SetMulticastAddresses)
{
    // More addresses than the filter has slots: accept all multicast, as NICs do.
    ivars->multicastOverflow = listCount > kMaxMulticast;
    ivars->multicastCount = ivars->multicastOverflow ? 0 : listCount;
    for (uint32_t i = 0; i < ivars->multicastCount; i++) {
        bcopy(list[i].octet, ivars->multicast[i].octet, sizeof(ivars->multicast[i].octet));
    }
    LOG("multicast filter: %u address(es)%{public}s", listCount,
        ivars->multicastOverflow ? ", overflow: all multicast" : "");
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleNic, SetAllMulticastModeEnable)
{
    LOG("all-multicast mode %{public}s", on ? "on" : "off");
    ivars->allMulticast = on;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleNic, SetWakeOnMagicPacketEnable)
{
    LOG("wake on magic packet %{public}s", wake ? "on" : "off");
    ivars->wakeOnMagicPacket = wake;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleNic, SetMTU)
{
    if (newMtu < kMinMTU || newMtu > kMaxMTU) {
        LOG("MTU %u refused (%u..%u)", newMtu, kMinMTU, kMaxMTU);
        return kIOReturnBadArgument;
    }
    IOLockLock(ivars->echoLock);
    ivars->mtu = newMtu;
    IOLockUnlock(ivars->echoLock);
    LOG("MTU %u", newMtu);
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleNic, GetMaxTransferUnit)
{
    *maxMtu = kMaxMTU;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleNic, SetHardwareAssists)
{
    if ((assists & ~kSupportedAssists) != 0) {
        LOG("hardware assists 0x%08x refused (supported 0x%08x)", assists, kSupportedAssists);
        return kIOReturnUnsupported;
    }
    ivars->hardwareAssists = assists;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleNic, GetHardwareAssists)
{
    *assists = ivars->hardwareAssists;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleNic, SelectMediaType)
{
    if (MediumBandwidth(medium) == 0) {
        LOG("medium 0x%x is not supported", medium);
        return kIOReturnUnsupported;
    }
    LOG("medium 0x%x selected", medium);
    ivars->activeMedium = medium;
    if (!ivars->up) {
        return kIOReturnSuccess;    // reported when the link comes up
    }
    return ReportLinkStatus(kIOUserNetworkLinkStatusActive, medium);
}

void
IMPL(AppleStyleNic, TxReady)
{
    IOUserNetworkPacket * packets[kQueueCapacity];
    uint32_t count;
    kern_return_t ret;

    // Copy each frame into the echo backlog, then hand the packet straight back as sent.
    DLOG("TxReady on TxQueue: %d", ivars->txQueue->OnQueue() ? 1 : 0);
    count = ivars->txsQueue->DequeuePackets(packets, kQueueCapacity);
    for (uint32_t i = 0; i < count; i++) {
        IOUserNetworkPacket * packet = packets[i];
        const uint8_t * frame = (const uint8_t *)packet->getDataVirtualAddress() + packet->getDataOffset();
        uint32_t length = packet->getDataLength();
        const char * dropped = nullptr;

        IOLockLock(ivars->echoLock);
        if (length < kEtherHeaderLength ||
            length > ivars->mtu + kEtherHeaderLength + kVlanTagLength) {
            dropped = "bad length";
        } else if (ivars->echoCount == kMaxPendingEchoes) {
            dropped = "echo backlog full";
        } else {
            EchoFrame * slot = &ivars->echoes[(ivars->echoHead + ivars->echoCount) % kMaxPendingEchoes];
            slot->length = length;
            bcopy(frame, slot->bytes, length);
            ivars->echoCount++;
            ivars->txFrames++;
        }
        if (dropped != nullptr) {
            ivars->txDropped++;
        }
        IOLockUnlock(ivars->echoLock);
        if (dropped != nullptr) {
            LOG("TX frame of %u bytes dropped: %{public}s", length, dropped);
        }

        ret = ivars->txcQueue->EnqueuePacket(packet);
        if (ret != kIOReturnSuccess) {
            LOG("TX completion failed 0x%08x, returning the packet to the pool", ret);
            ivars->pool->DeallocatePacket(packet);
        }
    }
}

// Whether the MAC filter passes a frame addressed to `destination`.
static bool
AcceptDestination(const AppleStyleNic_IVars * ivars, const uint8_t * destination)
{
    static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

    if (ivars->promiscuous) {
        return true;
    }
    if (memcmp(destination, kMACAddress.octet, 6) == 0 || memcmp(destination, broadcast, 6) == 0) {
        return true;
    }
    if ((destination[0] & 1) == 0) {
        return false;
    }
    if (ivars->allMulticast || ivars->multicastOverflow) {
        return true;
    }
    for (uint32_t i = 0; i < ivars->multicastCount; i++) {
        if (memcmp(destination, ivars->multicast[i].octet, 6) == 0) {
            return true;
        }
    }
    return false;
}

void
IMPL(AppleStyleNic, EchoTick)
{
    uint32_t delivered = 0;
    uint32_t filtered = 0;
    kern_return_t ret;

    for (;;) {
        EchoFrame * echo;
        IOUserNetworkPacket * packet = nullptr;
        uint8_t mac[6];
        uint8_t * buffer;

        // Only this queue removes entries and TxReady never writes a slot in use, so the head
        // slot can be read outside the lock once its count is seen.
        IOLockLock(ivars->echoLock);
        echo = ivars->echoCount != 0 ? &ivars->echoes[ivars->echoHead] : nullptr;
        IOLockUnlock(ivars->echoLock);
        if (echo == nullptr) {
            break;
        }

        // Loop back: the sender becomes the receiver.
        bcopy(echo->bytes, mac, 6);
        bcopy(echo->bytes + 6, echo->bytes, 6);
        bcopy(mac, echo->bytes + 6, 6);

        if (!AcceptDestination(ivars, echo->bytes)) {
            filtered++;
        } else {
            ret = ivars->rxsQueue->DequeuePacket(&packet);
            if (ret != kIOReturnSuccess) {
                // No empty buffer from the stack: keep the frame for the next tick (un-swapped).
                bcopy(echo->bytes, mac, 6);
                bcopy(echo->bytes + 6, echo->bytes, 6);
                bcopy(mac, echo->bytes + 6, 6);
                DLOG("no RX buffer, %u frame(s) wait for the next tick", ivars->echoCount);
                break;
            }
            buffer = (uint8_t *)packet->getDataVirtualAddress();
            ret = packet->setDataOffsetAndLength(kRxDataOffset, echo->length);
            if (ret != kIOReturnSuccess) {
                LOG("RX buffer too small for %u bytes, dropping the frame", echo->length);
                ivars->pool->DeallocatePacket(packet);
            } else {
                bcopy(echo->bytes, buffer + packet->getDataOffset(), echo->length);
                packet->SetLinkHeaderLength(kEtherHeaderLength);
                ret = ivars->rxcQueue->EnqueuePacket(packet);
                if (ret != kIOReturnSuccess) {
                    LOG("RX completion failed 0x%08x, dropping the frame", ret);
                    ivars->pool->DeallocatePacket(packet);
                } else {
                    delivered++;
                }
            }
        }

        IOLockLock(ivars->echoLock);
        ivars->echoHead = (ivars->echoHead + 1) % kMaxPendingEchoes;
        ivars->echoCount--;
        IOLockUnlock(ivars->echoLock);
    }
    ivars->rxFrames += delivered;
    ivars->rxFiltered += filtered;
    if (delivered != 0 || filtered != 0) {
        LOG("echo tick: %u frame(s) delivered, %u filtered", delivered, filtered);
    }

    // Periodic from the deadline, not from "now", so ticks do not drift.
    if (ivars->up) {
        ret = ivars->echoTimer->WakeAtTime(kIOTimerClockUptimeRaw, time + ivars->echoPeriod, 0);
        if (ret != kIOReturnSuccess) {
            LOG("re-arming the echo timer failed 0x%08x", ret);
        }
    }
}
