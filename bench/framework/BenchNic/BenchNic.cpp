// BenchNic.cpp — see BenchNic.iig. Batches of up to 256 packets per callback; every completion
// that does not fit is returned to the pool.

#include <DriverKit/IOLib.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <os/log.h>

#include "BenchNic.h"

#undef super
#define super IOUserNetworkEthernet

static const uint32_t kCapacity = 1024;
static const uint32_t kBatch = 256;
static IOUserNetworkMACAddress gMAC = {.octet = {0x02, 0x00, 0x00, 0x00, 0xbe, 0x02}};
static const IOUserNetworkMediaType kMedia[] = {kIOUserNetworkMediaEthernetAuto};

// The benchmark's inbound frame: 02:00:00:00:be:01 → our MAC, 10.215.0.2 → 10.215.0.1,
// UDP 5555 → 5555 without checksum, zero payload: 60 bytes in all unless benchsize=N says
// otherwise (60 to 1514).
static const uint32_t kMinFrame = 60;
static const uint32_t kMaxFrame = 1514;
static uint8_t gFrame[kMaxFrame];
static uint32_t gFrameLength = kMinFrame;

static void build_frame(uint32_t length) {
    static const uint8_t header[42] = {
        0x02, 0x00, 0x00, 0x00, 0xbe, 0x02, 0x02, 0x00, 0x00, 0x00, 0xbe, 0x01, 0x08, 0x00,
        0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 10,   215,
        0,    2,    10,   215,  0,    1,    0x15, 0xb3, 0x15, 0xb3, 0x00, 0x00, 0x00, 0x00};
    gFrameLength = length;
    bzero(gFrame, sizeof gFrame);
    bcopy(header, gFrame, sizeof header);
    bcopy(gMAC.octet, gFrame, 6);
    const uint32_t ip = length - 14, udp = length - 34;
    gFrame[16] = uint8_t(ip >> 8);
    gFrame[17] = uint8_t(ip);
    gFrame[38] = uint8_t(udp >> 8);
    gFrame[39] = uint8_t(udp);
    uint32_t sum = 0;
    for (int i = 14; i < 34; i += 2)
        sum += uint32_t(gFrame[i]) << 8 | gFrame[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    gFrame[24] = uint8_t(~sum >> 8);
    gFrame[25] = uint8_t(~sum);
}

struct BenchNic_IVars {
    IODispatchQueue *queue;
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txs;
    IOUserNetworkTxCompletionQueue *txc;
    IOUserNetworkRxSubmissionQueue *rxs;
    IOUserNetworkRxCompletionQueue *rxc;
    OSAction *txReady;
    OSAction *rxReady;
    bool generateRx;
};

bool BenchNic::init() {
    if (!super::init())
        return false;
    ivars = IONewZero(BenchNic_IVars, 1);
    return ivars != nullptr;
}

void BenchNic::free() {
    IOSafeDeleteNULL(ivars, BenchNic_IVars, 1);
    super::free();
}

static kern_return_t install(IOUserNetworkPacketQueue *queue, OSAction *action) {
    IODataQueueDispatchSource *source = nullptr;
    kern_return_t ret = queue->CopyDataQueue(&source);
    if (ret == kIOReturnSuccess)
        ret = source->SetDataAvailableHandler(action);
    OSSafeReleaseNULL(source);
    return ret;
}

kern_return_t IMPL(BenchNic, Start) {
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess)
        return ret;
    uint32_t rx = 0;
    IOParseBootArgNumber("benchrx", &rx, sizeof rx);
    ivars->generateRx = rx != 0;
    // benchmac=N: several BenchNics side by side (activate_bench) need MACs of their own.
    uint32_t mac = 0;
    if (IOParseBootArgNumber("benchmac", &mac, sizeof mac) && mac > 2 && mac < 256)
        gMAC.octet[5] = uint8_t(mac);
    uint32_t size = kMinFrame;
    if (IOParseBootArgNumber("benchsize", &size, sizeof size) &&
        (size < kMinFrame || size > kMaxFrame)) {
        os_log(OS_LOG_DEFAULT, "BenchNic: benchsize=%u is not within %u-%u", size, kMinFrame,
               kMaxFrame);
        return kIOReturnBadArgument;
    }
    build_frame(size);
    IOUserNetworkPacketBufferPoolOptions options{};
    options.packetCount = 4 * kCapacity;
    options.bufferCount = 4 * kCapacity;
    options.bufferSize = 2048;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    IOUserNetworkPacketQueue *queues[4];
    if ((ret = CopyDispatchQueue("Default", &ivars->queue)) != kIOReturnSuccess ||
        (ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "bench", &options,
                                                                &ivars->pool)) != kIOReturnSuccess ||
        (ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, kCapacity, 0, ivars->queue,
                                                      &ivars->txs)) != kIOReturnSuccess ||
        (ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, kCapacity, 0, ivars->queue,
                                                      &ivars->txc)) != kIOReturnSuccess ||
        (ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, kCapacity, 0, ivars->queue,
                                                      &ivars->rxs)) != kIOReturnSuccess ||
        (ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, kCapacity, 0, ivars->queue,
                                                      &ivars->rxc)) != kIOReturnSuccess ||
        (ret = CreateActionTxReady(0, &ivars->txReady)) != kIOReturnSuccess ||
        (ret = CreateActionRxBuffersReady(0, &ivars->rxReady)) != kIOReturnSuccess ||
        (ret = install(ivars->txs, ivars->txReady)) != kIOReturnSuccess ||
        (ivars->generateRx && (ret = install(ivars->rxs, ivars->rxReady)) != kIOReturnSuccess) ||
        (ret = ReportAvailableMediaTypes(kMedia, 1)) != kIOReturnSuccess)
        goto fail;
    queues[0] = ivars->txs;
    queues[1] = ivars->txc;
    queues[2] = ivars->rxs;
    queues[3] = ivars->rxc;
    if ((ret = RegisterEthernetInterface(gMAC, ivars->pool, queues, 4)) != kIOReturnSuccess ||
        (ret = ReportLinkStatus(kIOUserNetworkLinkStatusActive, kMedia[0])) != kIOReturnSuccess)
        goto fail;
    return RegisterService();
fail:
    Stop_Impl(provider);
    return ret;
}

kern_return_t IMPL(BenchNic, Stop) {
    OSSafeReleaseNULL(ivars->txReady);
    OSSafeReleaseNULL(ivars->rxReady);
    OSSafeReleaseNULL(ivars->txs);
    OSSafeReleaseNULL(ivars->txc);
    OSSafeReleaseNULL(ivars->rxs);
    OSSafeReleaseNULL(ivars->rxc);
    OSSafeReleaseNULL(ivars->pool);
    OSSafeReleaseNULL(ivars->queue);
    return super::Stop(provider, SUPERDISPATCH);
}

kern_return_t IMPL(BenchNic, SetInterfaceEnable) {
    ivars->txs->SetEnable(isEnable);
    ivars->txc->SetEnable(isEnable);
    ivars->rxs->SetEnable(isEnable);
    ivars->rxc->SetEnable(isEnable);
    return kIOReturnSuccess;
}

kern_return_t IMPL(BenchNic, SetPromiscuousModeEnable) { return kIOReturnSuccess; }
kern_return_t IMPL(BenchNic, SetAllMulticastModeEnable) { return kIOReturnSuccess; }
kern_return_t IMPL(BenchNic, SetWakeOnMagicPacketEnable) { return kIOReturnSuccess; }
kern_return_t IMPL(BenchNic, SetMTU) { return mtu <= 1500 ? kIOReturnSuccess : kIOReturnBadArgument; }
kern_return_t IMPL(BenchNic, GetMaxTransferUnit) {
    *mtu = 1500;
    return kIOReturnSuccess;
}
kern_return_t IMPL(BenchNic, SetHardwareAssists) { return kIOReturnSuccess; }
kern_return_t IMPL(BenchNic, GetHardwareAssists) {
    *hardwareAssists = 0;
    return kIOReturnSuccess;
}
kern_return_t IMPL(BenchNic, SelectMediaType) { return kIOReturnSuccess; }

void IMPL(BenchNic, TxReady) {
    IOUserNetworkPacket *packets[kBatch];
    uint32_t n = ivars->txs->DequeuePackets(packets, kBatch);
    uint32_t done = ivars->txc->EnqueuePackets(packets, n);
    if (done < n)
        ivars->pool->DeallocatePackets(packets + done, n - done);
}

void IMPL(BenchNic, RxBuffersReady) {
    IOUserNetworkPacket *packets[kBatch];
    uint32_t n = ivars->rxs->DequeuePackets(packets, kBatch);
    for (uint32_t i = 0; i < n; i++) {
        bcopy(gFrame, (void *)packets[i]->getDataVirtualAddress(), gFrameLength);
        packets[i]->setDataOffsetAndLength(0, gFrameLength);
    }
    uint32_t done = ivars->rxc->EnqueuePackets(packets, n);
    if (done < n)
        ivars->pool->DeallocatePackets(packets + done, n - done);
}
