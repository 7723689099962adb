//
// NetworkingDriverKitSample.cpp — a virtual Ethernet NIC written against NetworkingDriverKit.
//
// There is no hardware: a timer stands in for the receive interrupt. Once the interface is up it
// fires after one second and then every five seconds, and each time fills every empty buffer it
// can take from the RX submission queue (up to eight) with an ICMP echo request addressed to the
// interface (17.192.170.19 → 17.192.170.17) and hands them to the stack on the RX completion
// queue. Frames the stack transmits are "sent" by completing them at once.
//
// Ownership at each hand-off: a packet dequeued from a submission queue belongs to the driver
// until it is enqueued on a completion queue or given back with DeallocatePacket.
//

#include <DriverKit/IOLib.h>
#include <DriverKit/IOService.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/IODataQueueDispatchSource.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>

#include "NetworkingDriverKitSample.h"
#include "NetworkingDriverKitSampleLog.h"

#undef super
#define super IOUserNetworkEthernet

bool gNetworkingDriverKitSampleDebug = false;

static const uint32_t kQueueCapacity = 8;       // entries per packet queue
static const uint32_t kPacketCount = 64;        // packets (and buffers) in the pool
static const uint32_t kBufferSize = 16 * 1024;  // holds a 9000-byte MTU frame
static const uint32_t kMaxMTU = 9000;
static const uint64_t kFirstReceiveDelayMs = 1000;
static const uint64_t kReceiveIntervalSeconds = 5;

// The interface's hardware address.
static const IOUserNetworkMACAddress kMACAddress = { .octet = { 0x10, 0x22, 0x33, 0x44, 0x55, 0x66 } };

static const IOUserNetworkMediaType kMediaTypes[] = {
    kIOUserNetworkMediaEthernetAuto,
    kIOUserNetworkMediaEthernet100BaseTX,
    kIOUserNetworkMediaEthernet1000BaseT,
};

// An ICMP echo request from 17.192.170.19 (MAC 10:22:33:44:55:77) to this interface,
// 17.192.170.17, id 0x4e44 sequence 1, with a 56-byte payload: 98 bytes, checksums filled in.
static const uint8_t echoRequest[] = {
    0x10, 0x22, 0x33, 0x44, 0x55, 0x66, 0x10, 0x22, 0x33, 0x44, 0x55, 0x77,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01,
    0xb0, 0xd0, 0x11, 0xc0, 0xaa, 0x13, 0x11, 0xc0, 0xaa, 0x11, 0x08, 0x00,
    0xf0, 0xe5, 0x4e, 0x44, 0x00, 0x01, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21,
    0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d,
    0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
    0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45,
    0x46, 0x47,
};

struct NetworkingDriverKitSample_IVars {
    IODispatchQueue *dsQueue;
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txsQueue;
    IOUserNetworkTxCompletionQueue *txcQueue;
    IOUserNetworkRxSubmissionQueue *rxsQueue;
    IOUserNetworkRxCompletionQueue *rxcQueue;
    OSAction *txPacketAction;
    IOTimerDispatchSource *receiveTimerSource;
    OSAction *receiveTimer;
    IOUserNetworkMediaType activeMedia;
    uint32_t mtu;
    uint32_t hardwareAssists;
    bool interfaceEnabled;
    bool promiscuous;
    bool allMulticast;
    bool wakeOnMagicPacket;
};

bool
NetworkingDriverKitSample::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = (NetworkingDriverKitSample_IVars *)IOMallocZero(sizeof(NetworkingDriverKitSample_IVars));
    if (ivars == NULL) {
        return false;
    }
    ivars->mtu = 1500;
    ivars->activeMedia = kIOUserNetworkMediaEthernetAuto;
    return true;
}

void
NetworkingDriverKitSample::free()
{
    if (ivars != NULL) {
        IOFree(ivars, sizeof(NetworkingDriverKitSample_IVars));
        ivars = NULL;
    }
    super::free();
}

kern_return_t
IMPL(NetworkingDriverKitSample, Start)
{
    kern_return_t ret;
    bool enable = true;
    IODataQueueDispatchSource *dataQueue = NULL;
    IOUserNetworkPacketQueue *queues[4];
    IOUserNetworkPacketBufferPoolOptions poolOptions;

    // ndks-enable=0 keeps the driver from starting; ndks-debug turns on DLOG.
    IOParseBootArgNumber("ndks-enable", &enable, sizeof(enable));
    IOParseBootArgNumber("ndks-debug", &gNetworkingDriverKitSampleDebug,
                         sizeof(gNetworkingDriverKitSampleDebug));
    if (!enable) {
        LOG("disabled by boot-arg ndks-enable=0");
        return kIOReturnUnsupported;
    }

    ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        LOG("super::Start failed 0x%08x", ret);
        return ret;
    }
    DLOG("==> %p (%p)", this, provider);

    ret = CopyDispatchQueue("Default", &ivars->dsQueue);
    if (ret != kIOReturnSuccess)
        goto fail;

    // Only some fields are set, as in Apple's sample: the pool must ignore the others.
    poolOptions.packetCount = kPacketCount;
    poolOptions.bufferCount = kPacketCount;
    poolOptions.bufferSize = kBufferSize;
    poolOptions.maxBuffersPerPacket = 1;
    poolOptions.poolFlags = PoolFlagMapToDext;
    ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "NetworkingDriverKitSample",
                                                           &poolOptions, &ivars->pool);
    if (ret != kIOReturnSuccess)
        goto fail;

    ret = CreateActionTxPacketAvailable(0, &ivars->txPacketAction);
    if (ret != kIOReturnSuccess)
        goto fail;

    ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->dsQueue, &ivars->txsQueue);
    if (ret != kIOReturnSuccess)
        goto fail;

    ret = ivars->txsQueue->CopyDataQueue(&dataQueue);
    if (ret != kIOReturnSuccess)
        goto fail;
    ret = dataQueue->SetDataAvailableHandler(ivars->txPacketAction);
    OSSafeReleaseNULL(dataQueue);
    if (ret != kIOReturnSuccess)
        goto fail;

    ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->dsQueue, &ivars->txcQueue);
    if (ret != kIOReturnSuccess)
        goto fail;
    ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->dsQueue, &ivars->rxsQueue);
    if (ret != kIOReturnSuccess)
        goto fail;
    ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->dsQueue, &ivars->rxcQueue);
    if (ret != kIOReturnSuccess)
        goto fail;

    // The timer stands in for the receive interrupt; it is armed when the interface comes up.
    ret = IOTimerDispatchSource::Create(ivars->dsQueue, &ivars->receiveTimerSource);
    if (ret != kIOReturnSuccess)
        goto fail;
    ret = CreateActionReceiveTimer(sizeof(void *), &ivars->receiveTimer);
    if (ret != kIOReturnSuccess)
        goto fail;
    ret = ivars->receiveTimerSource->SetHandler(ivars->receiveTimer);
    if (ret != kIOReturnSuccess)
        goto fail;

    ret = ReportAvailableMediaTypes(kMediaTypes, sizeof(kMediaTypes) / sizeof(kMediaTypes[0]));
    if (ret != kIOReturnSuccess)
        goto fail;
    SetTxPacketHeadroom(0);
    SetTxPacketTailroom(0);
    SetWakeOnMagicPacketSupport(true);

    queues[0] = ivars->txsQueue;
    queues[1] = ivars->txcQueue;
    queues[2] = ivars->rxsQueue;
    queues[3] = ivars->rxcQueue;
    ret = RegisterEthernetInterface(kMACAddress, ivars->pool, queues, 4);
    if (ret != kIOReturnSuccess)
        goto fail;

    // A virtual cable is always plugged in.
    ret = ReportLinkStatus(kIOUserNetworkLinkStatusActive, ivars->activeMedia);
    if (ret != kIOReturnSuccess)
        goto fail;

    ret = RegisterService();
    if (ret != kIOReturnSuccess)
        goto fail;

    LOG("started, MAC 10:22:33:44:55:66");
    return kIOReturnSuccess;

fail:
    LOG("Start failed 0x%08x", ret);
    Stop_Impl(provider);
    return ret;
}

kern_return_t
IMPL(NetworkingDriverKitSample, Stop)
{
    DLOG("==> %p (%p)", this, provider);

    if (ivars->receiveTimerSource != NULL) {
#if __BLOCKS__
        ivars->receiveTimerSource->Cancel(^{
            DLOG("receive timer cancelled");
        });
#else
        ivars->receiveTimerSource->Cancel([] { DLOG("receive timer cancelled"); });
#endif
    }
    if (ivars->txsQueue != NULL) ivars->txsQueue->SetEnable(false);
    if (ivars->txcQueue != NULL) ivars->txcQueue->SetEnable(false);
    if (ivars->rxsQueue != NULL) ivars->rxsQueue->SetEnable(false);
    if (ivars->rxcQueue != NULL) ivars->rxcQueue->SetEnable(false);

    OSSafeReleaseNULL(ivars->receiveTimerSource);
    OSSafeReleaseNULL(ivars->receiveTimer);
    OSSafeReleaseNULL(ivars->txPacketAction);
    OSSafeReleaseNULL(ivars->txsQueue);
    OSSafeReleaseNULL(ivars->txcQueue);
    OSSafeReleaseNULL(ivars->rxsQueue);
    OSSafeReleaseNULL(ivars->rxcQueue);
    OSSafeReleaseNULL(ivars->pool);
    OSSafeReleaseNULL(ivars->dsQueue);

    return super::Stop(provider, SUPERDISPATCH);
}

kern_return_t
IMPL(NetworkingDriverKitSample, SetPowerState)
{
    DLOG("power state %u", powerstate);
    return SetPowerState(powerstate, SUPERDISPATCH);
}

kern_return_t
IMPL(NetworkingDriverKitSample, SetInterfaceEnable)
{
    kern_return_t ret;
    uint64_t deadline;

    LOG("interface %{public}s", isEnable ? "up" : "down");

    if (isEnable) {
        ret = ivars->txsQueue->SetEnable(true);
        if (ret == kIOReturnSuccess) ret = ivars->txcQueue->SetEnable(true);
        if (ret == kIOReturnSuccess) ret = ivars->rxsQueue->SetEnable(true);
        if (ret == kIOReturnSuccess) ret = ivars->rxcQueue->SetEnable(true);
        if (ret != kIOReturnSuccess)
            goto disable;

        deadline = clock_gettime_nsec_np(CLOCK_UPTIME_RAW) + kFirstReceiveDelayMs * kMillisecondScale;
        ret = ivars->receiveTimerSource->WakeAtTime(kIOTimerClockUptimeRaw, deadline, 0);
        if (ret != kIOReturnSuccess)
            goto disable;
        ivars->interfaceEnabled = true;
        return kIOReturnSuccess;
    }
    ret = kIOReturnSuccess;

disable:
    ivars->interfaceEnabled = false;
#if __BLOCKS__
    ivars->receiveTimerSource->Cancel(^{
        DLOG("receive timer stopped");
    });
#else
    ivars->receiveTimerSource->Cancel([] { DLOG("receive timer stopped"); });
#endif
    ivars->txsQueue->SetEnable(false);
    ivars->txcQueue->SetEnable(false);
    ivars->rxsQueue->SetEnable(false);
    ivars->rxcQueue->SetEnable(false);
    return ret;
}

kern_return_t
IMPL(NetworkingDriverKitSample, SetPromiscuousModeEnable)
{
    LOG("promiscuous mode %{public}s", enable ? "on" : "off");
    ivars->promiscuous = enable;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(NetworkingDriverKitSample, SetMulticastAddresses)
{
    LOG("%u multicast address(es)", count);
    for (uint32_t i = 0; i < count; i++) {
        DLOG("multicast %02x:%02x:%02x:%02x:%02x:%02x", addresses[i].octet[0],
             addresses[i].octet[1], addresses[i].octet[2], addresses[i].octet[3],
             addresses[i].octet[4], addresses[i].octet[5]);
    }
    return kIOReturnSuccess;
}

kern_return_t
IMPL(NetworkingDriverKitSample, SetAllMulticastModeEnable)
{
    LOG("all-multicast mode %{public}s", enable ? "on" : "off");
    ivars->allMulticast = enable;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(NetworkingDriverKitSample, SetWakeOnMagicPacketEnable)
{
    LOG("wake on magic packet %{public}s", enable ? "on" : "off");
    ivars->wakeOnMagicPacket = enable;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(NetworkingDriverKitSample, SetMTU)
{
    if (mtu > kMaxMTU) {
        LOG("MTU %u refused (maximum %u)", mtu, kMaxMTU);
        return kIOReturnBadArgument;
    }
    LOG("MTU %u", mtu);
    ivars->mtu = mtu;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(NetworkingDriverKitSample, GetMaxTransferUnit)
{
    *mtu = kMaxMTU;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(NetworkingDriverKitSample, SetHardwareAssists)
{
    DLOG("hardware assists 0x%08x", hardwareAssists);
    ivars->hardwareAssists = hardwareAssists;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(NetworkingDriverKitSample, GetHardwareAssists)
{
    *hardwareAssists = ivars->hardwareAssists;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(NetworkingDriverKitSample, SelectMediaType)
{
    for (size_t i = 0; i < sizeof(kMediaTypes) / sizeof(kMediaTypes[0]); i++) {
        if (kMediaTypes[i] == mediaType) {
            LOG("media 0x%x selected", mediaType);
            ivars->activeMedia = mediaType;
            return ReportLinkStatus(kIOUserNetworkLinkStatusActive, mediaType);
        }
    }
    LOG("media 0x%x is not supported", mediaType);
    return kIOReturnUnsupported;
}

void
IMPL(NetworkingDriverKitSample, TxPacketAvailable)
{
    IOUserNetworkPacket *packets[kQueueCapacity];
    uint32_t dequeueCount;
    kern_return_t ret;

    // "Transmit" by completing each frame straight away.
    dequeueCount = ivars->txsQueue->DequeuePackets(packets, kQueueCapacity);
    for (uint32_t i = 0; i < dequeueCount; i++) {
        IOUserNetworkPacket *packet = packets[i];
        uint8_t linkHeaderLength = 0;

        packet->GetLinkHeaderLength(&linkHeaderLength);
        DLOG("TX packet %u: address 0x%llx offset %u length %u link header %u", i,
             packet->getDataVirtualAddress(), packet->getDataOffset(), packet->getDataLength(),
             linkHeaderLength);

        ret = ivars->txcQueue->EnqueuePacket(packet);
        if (ret != kIOReturnSuccess) {
            LOG("TX completion failed 0x%08x, returning the packet to the pool", ret);
            ivars->pool->DeallocatePacket(packet);
        }
    }
}

void
IMPL(NetworkingDriverKitSample, ReceiveTimer)
{
    IOUserNetworkPacket *packets[kQueueCapacity];
    uint32_t dequeueCount;
    kern_return_t ret;
    uint64_t deadline;

    // Fill every empty buffer the stack gave us with an echo request and "receive" it.
    dequeueCount = ivars->rxsQueue->DequeuePackets(packets, kQueueCapacity);
    for (uint32_t i = 0; i < dequeueCount; i++) {
        IOUserNetworkPacket *packet = packets[i];
        uint8_t *buffer = (uint8_t *)packet->getDataVirtualAddress();
        uint16_t offset = packet->getDataOffset();
        bool good = true;

        bcopy(echoRequest, buffer + offset, sizeof(echoRequest));
        good &= packet->setDataOffset(offset) == kIOReturnSuccess;
        good &= packet->SetLinkHeaderLength(0) == kIOReturnSuccess;
        good &= packet->setDataLength(sizeof(echoRequest)) == kIOReturnSuccess;

        if (!good) {
            LOG("RX packet setup failed, dropping it");
            ivars->pool->DeallocatePacket(packet);
            continue;
        }
        ret = ivars->rxcQueue->EnqueuePacket(packet);
        if (ret != kIOReturnSuccess) {
            LOG("RX completion failed 0x%08x, dropping the packet", ret);
            ivars->pool->DeallocatePacket(packet);
        }
    }
    DLOG("received %u echo request(s) at %llu", dequeueCount, time);

    deadline = clock_gettime_nsec_np(CLOCK_UPTIME_RAW) + kReceiveIntervalSeconds * kSecondScale;
    ret = ivars->receiveTimerSource->WakeAtTime(kIOTimerClockUptimeRaw, deadline, 0);
    if (ret != kIOReturnSuccess) {
        LOG("re-arming the receive timer failed 0x%08x", ret);
    }
}
