// BenchNic.cpp — see BenchNic.iig. Batches of up to 256 packets per callback; every completion
// that does not fit is returned to the pool. benchqueues=N (1 to 8): N queue pairs, each on a
// dispatch queue of its own (NDK 2.x registerEthernetInterface), so the pairs run in parallel.

#include <DriverKit/IOLib.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <os/log.h>

#include "BenchNic.h"

#undef super
#define super IOUserNetworkEthernet

static const uint32_t kCapacity = 1024;
static const uint32_t kBatch = 256;
static const uint32_t kMaxPairs = 8;
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
    uint32_t pairs;
    IOUserNetworkPacketBufferPool *pool;
    IODispatchQueue *queue[kMaxPairs]; // pair 0: Default
    IOUserNetworkTxSubmissionQueue *txs[kMaxPairs];
    IOUserNetworkTxCompletionQueue *txc[kMaxPairs];
    IOUserNetworkRxSubmissionQueue *rxs[kMaxPairs];
    IOUserNetworkRxCompletionQueue *rxc[kMaxPairs];
    OSAction *txReady[kMaxPairs]; // the reference holds the pair's number
    OSAction *rxReady[kMaxPairs];
    bool generateRx;
};

static uint32_t PairOf(OSAction *action) {
    return *static_cast<uint32_t *>(action->GetReference());
}

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
    uint32_t pairs = 1;
    if (IOParseBootArgNumber("benchqueues", &pairs, sizeof pairs) &&
        (pairs < 1 || pairs > kMaxPairs)) {
        os_log(OS_LOG_DEFAULT, "BenchNic: benchqueues=%u is not within 1-%u", pairs, kMaxPairs);
        return kIOReturnBadArgument;
    }
    ivars->pairs = pairs;
    IOUserNetworkPacketBufferPoolOptions options{};
    options.packetCount = 4 * kCapacity * pairs;
    options.bufferCount = 4 * kCapacity * pairs;
    options.bufferSize = 2048;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    IOUserNetworkPacketQueue *queues[4 * kMaxPairs];
    if ((ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "bench", &options,
                                                                &ivars->pool)) != kIOReturnSuccess)
        goto fail;
    for (uint32_t p = 0; p < pairs; p++) {
        char name[16] = "BenchPair0";
        name[9] = char('0' + p);
        if ((ret = p == 0 ? CopyDispatchQueue("Default", &ivars->queue[p])
                          : IODispatchQueue::Create(name, 0, 0, &ivars->queue[p])) !=
                kIOReturnSuccess ||
            (ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, kCapacity, 0,
                                                          ivars->queue[p], &ivars->txs[p])) !=
                kIOReturnSuccess ||
            (ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, kCapacity, 0,
                                                          ivars->queue[p], &ivars->txc[p])) !=
                kIOReturnSuccess ||
            (ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, kCapacity, 0,
                                                          ivars->queue[p], &ivars->rxs[p])) !=
                kIOReturnSuccess ||
            (ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, kCapacity, 0,
                                                          ivars->queue[p], &ivars->rxc[p])) !=
                kIOReturnSuccess ||
            (ret = CreateActionTxReady(sizeof(uint32_t), &ivars->txReady[p])) != kIOReturnSuccess ||
            (ret = CreateActionRxBuffersReady(sizeof(uint32_t), &ivars->rxReady[p])) !=
                kIOReturnSuccess)
            goto fail;
        *static_cast<uint32_t *>(ivars->txReady[p]->GetReference()) = p;
        *static_cast<uint32_t *>(ivars->rxReady[p]->GetReference()) = p;
        if ((ret = install(ivars->txs[p], ivars->txReady[p])) != kIOReturnSuccess ||
            (ivars->generateRx &&
             (ret = install(ivars->rxs[p], ivars->rxReady[p])) != kIOReturnSuccess))
            goto fail;
        queues[4 * p] = ivars->txs[p];
        queues[4 * p + 1] = ivars->txc[p];
        queues[4 * p + 2] = ivars->rxs[p];
        queues[4 * p + 3] = ivars->rxc[p];
    }
    if ((ret = ReportAvailableMediaTypes(kMedia, 1)) != kIOReturnSuccess)
        goto fail;
    // One pair: the DriverKit registration; several: NDK 2.x's, which takes any number.
    ether_addr_t address;
    bcopy(gMAC.octet, address.octet, sizeof address.octet);
    if ((ret = pairs == 1 ? RegisterEthernetInterface(gMAC, ivars->pool, queues, 4)
                          : registerEthernetInterface(address, queues, 4 * pairs, ivars->pool,
                                                      ivars->pool)) != kIOReturnSuccess ||
        (ret = ReportLinkStatus(kIOUserNetworkLinkStatusActive, kMedia[0])) != kIOReturnSuccess)
        goto fail;
    return RegisterService();
fail:
    Stop_Impl(provider);
    return ret;
}

kern_return_t IMPL(BenchNic, Stop) {
    for (uint32_t p = 0; p < kMaxPairs; p++) {
        OSSafeReleaseNULL(ivars->txReady[p]);
        OSSafeReleaseNULL(ivars->rxReady[p]);
        OSSafeReleaseNULL(ivars->txs[p]);
        OSSafeReleaseNULL(ivars->txc[p]);
        OSSafeReleaseNULL(ivars->rxs[p]);
        OSSafeReleaseNULL(ivars->rxc[p]);
        OSSafeReleaseNULL(ivars->queue[p]);
    }
    OSSafeReleaseNULL(ivars->pool);
    return super::Stop(provider, SUPERDISPATCH);
}

kern_return_t IMPL(BenchNic, SetInterfaceEnable) {
    for (uint32_t p = 0; p < ivars->pairs; p++) {
        ivars->txs[p]->SetEnable(isEnable);
        ivars->txc[p]->SetEnable(isEnable);
        ivars->rxs[p]->SetEnable(isEnable);
        ivars->rxc[p]->SetEnable(isEnable);
    }
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
    const uint32_t p = PairOf(action);
    IOUserNetworkPacket *packets[kBatch];
    uint32_t n = ivars->txs[p]->DequeuePackets(packets, kBatch);
    uint32_t done = ivars->txc[p]->EnqueuePackets(packets, n);
    if (done < n)
        ivars->pool->DeallocatePackets(packets + done, n - done);
}

void IMPL(BenchNic, RxBuffersReady) {
    const uint32_t p = PairOf(action);
    IOUserNetworkPacket *packets[kBatch];
    uint32_t n = ivars->rxs[p]->DequeuePackets(packets, kBatch);
    for (uint32_t i = 0; i < n; i++) {
        bcopy(gFrame, (void *)packets[i]->getDataVirtualAddress(), gFrameLength);
        packets[i]->setDataOffsetAndLength(0, gFrameLength);
    }
    uint32_t done = ivars->rxc[p]->EnqueuePackets(packets, n);
    if (done < n)
        ivars->pool->DeallocatePackets(packets + done, n - done);
}
