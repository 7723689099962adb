//
//  MultiQueueNic.cpp
//  MultiQueueNic
//
//  Echoes each frame sent on TX queue n back to the stack as a frame received on RX queue n.
//  Transmit buffers come from one pool, receive buffers from another, as on NICs whose two
//  directions use different DMA memory. Every queue calls back on the Default queue.
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IOUserServer.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>

#include "MultiQueueNic.h"

#define Log(fmt, ...) os_log(OS_LOG_DEFAULT, "MultiQueueNic: " fmt "\n", ##__VA_ARGS__)

static constexpr uint32_t kQueuePairs = 2;
static constexpr uint32_t kTxPackets = 64;
static constexpr uint32_t kRxPackets = 96;
static constexpr uint32_t kBufferSize = 2048;
static constexpr uint32_t kQueueCapacity = 16;

static const MediaWord kMedia = kIOUserNetworkMediaEthernet10GBaseT | kIOUserNetworkMediaOptionFullDuplex;

struct MultiQueueNic_IVars {
    IOUserNetworkPacketBufferPool *txPool;
    IOUserNetworkPacketBufferPool *rxPool;
    IOUserNetworkTxSubmissionQueue *txSubmission[kQueuePairs];
    IOUserNetworkTxCompletionQueue *txCompletion[kQueuePairs];
    IOUserNetworkRxSubmissionQueue *rxSubmission[kQueuePairs];
    IOUserNetworkRxCompletionQueue *rxCompletion[kQueuePairs];
    IOUserNetworkPacket *emptyRx[kQueuePairs][kQueueCapacity];
    uint32_t emptyRxCount[kQueuePairs];
    uint64_t echoed[kQueuePairs];
    uint64_t dropped;
    bool enabled;
    bool txWaiting[kQueuePairs]; // frames held back until the pair has receive buffers
};

// Which of our queue pairs `queue` belongs to.
static uint32_t PairOf(MultiQueueNic_IVars *ivars, IOUserNetworkPacketQueue *queue)
{
    for (uint32_t pair = 0; pair < kQueuePairs; pair++) {
        if (queue == ivars->txSubmission[pair] || queue == ivars->rxSubmission[pair]) {
            return pair;
        }
    }
    return kQueuePairs;
}

static void DropEmptyBuffers(MultiQueueNic_IVars *ivars)
{
    for (uint32_t pair = 0; pair < kQueuePairs; pair++) {
        if (ivars->emptyRxCount[pair] > 0) {
            ivars->rxPool->deallocatePackets(ivars->emptyRx[pair], ivars->emptyRxCount[pair]);
            ivars->emptyRxCount[pair] = 0;
        }
    }
}

static uint32_t RxBuffersAvailable(OSObject *target, IOUserNetworkPacketQueue *queue,
                                   IOUserNetworkPacket **packets, uint32_t count, void *refCon)
{
    MultiQueueNic *self = OSDynamicCast(MultiQueueNic, target);
    if (self == nullptr) {
        return 0;
    }
    MultiQueueNic_IVars *ivars = self->ivars;
    uint32_t pair = PairOf(ivars, queue);
    if (pair == kQueuePairs) {
        return 0;
    }
    uint32_t accepted = 0;
    while (accepted < count && ivars->emptyRxCount[pair] < kQueueCapacity) {
        ivars->emptyRx[pair][ivars->emptyRxCount[pair]++] = packets[accepted++];
    }
    if (ivars->txWaiting[pair] && ivars->emptyRxCount[pair] > 0) {
        ivars->txWaiting[pair] = false;
        ivars->txSubmission[pair]->requestDequeue();
    }
    return accepted;
}

static uint32_t TxFramesAvailable(OSObject *target, IOUserNetworkPacketQueue *queue,
                                  IOUserNetworkPacket **packets, uint32_t count, void *refCon)
{
    MultiQueueNic *self = OSDynamicCast(MultiQueueNic, target);
    if (self == nullptr) {
        return 0;
    }
    MultiQueueNic_IVars *ivars = self->ivars;
    uint32_t pair = PairOf(ivars, queue);
    if (pair == kQueuePairs) {
        return 0;
    }
    uint32_t i = 0;
    for (; i < count; i++) {
        IOUserNetworkPacket *tx = packets[i];
        uint32_t length = tx->getDataLength();
        if (ivars->enabled && ivars->emptyRxCount[pair] == 0 && length <= kBufferSize) {
            ivars->txWaiting[pair] = true; // echo the rest once the pair has buffers again
            break;
        }
        if (ivars->emptyRxCount[pair] == 0 || length > kBufferSize) {
            ivars->dropped++;
            continue;
        }
        IOUserNetworkPacket *rx = ivars->emptyRx[pair][--ivars->emptyRxCount[pair]];
        if (rx->getPacketBufferPool() != ivars->rxPool ||
            rx->setDataOffsetAndLength(0, length) != kIOReturnSuccess) {
            ivars->rxPool->deallocatePacket(rx);
            ivars->dropped++;
            continue;
        }
        memcpy(reinterpret_cast<uint8_t *>(rx->getDataVirtualAddress()),
               reinterpret_cast<const uint8_t *>(tx->getDataVirtualAddress()) + tx->getDataOffset(),
               length);
        if (ivars->rxCompletion[pair]->enqueuePackets(&rx, 1) != kIOReturnSuccess) {
            ivars->rxPool->deallocatePacket(rx);
            ivars->dropped++;
            continue;
        }
        ivars->echoed[pair]++;
    }
    if (i > 0 && ivars->txCompletion[pair]->enqueuePackets(packets, i) != kIOReturnSuccess) {
        Log("could not complete %u transmitted packets on queue %u", i, pair);
    }
    return i;
}

bool MultiQueueNic::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(MultiQueueNic_IVars, 1);
    return ivars != nullptr;
}

void MultiQueueNic::free()
{
    if (ivars != nullptr) {
        for (uint32_t pair = 0; pair < kQueuePairs; pair++) {
            OSSafeReleaseNULL(ivars->txSubmission[pair]);
            OSSafeReleaseNULL(ivars->txCompletion[pair]);
            OSSafeReleaseNULL(ivars->rxSubmission[pair]);
            OSSafeReleaseNULL(ivars->rxCompletion[pair]);
        }
        OSSafeReleaseNULL(ivars->txPool);
        OSSafeReleaseNULL(ivars->rxPool);
    }
    IOSafeDeleteNULL(ivars, MultiQueueNic_IVars, 1);
    super::free();
}

bool MultiQueueNic::start(IOService *provider)
{
    if (!super::start(provider)) {
        return false;
    }
    IOUserNetworkPacketBufferPoolOptions options = {};
    options.bufferSize = kBufferSize;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    options.packetCount = kTxPackets;
    options.bufferCount = kTxPackets;
    ivars->txPool = IOUserNetworkPacketBufferPool::withName("MultiQueueNic TX", this,
                                                            IONetworkPacketTypeNetwork, &options);
    options.packetCount = kRxPackets;
    options.bufferCount = kRxPackets;
    ivars->rxPool = IOUserNetworkPacketBufferPool::withName("MultiQueueNic RX", this,
                                                            IONetworkPacketTypeNetwork, &options);
    if (ivars->txPool == nullptr || ivars->rxPool == nullptr) {
        Log("no packet pools");
        return false;
    }

    IOUserNetworkPacketQueue *queues[4 * kQueuePairs];
    uint32_t count = 0;
    for (uint32_t pair = 0; pair < kQueuePairs; pair++) {
        ivars->txSubmission[pair] = IOUserNetworkTxSubmissionQueue::withPool(
            ivars->txPool, kQueueCapacity, pair, this, nullptr, TxFramesAvailable);
        ivars->txCompletion[pair] = IOUserNetworkTxCompletionQueue::withPool(
            ivars->txPool, kQueueCapacity, pair, this, nullptr);
        ivars->rxSubmission[pair] = IOUserNetworkRxSubmissionQueue::withPool(
            ivars->rxPool, kQueueCapacity, kQueueCapacity, pair, this, RxBuffersAvailable);
        ivars->rxCompletion[pair] = IOUserNetworkRxCompletionQueue::withPool(
            ivars->rxPool, kQueueCapacity, pair, this, nullptr);
        if (ivars->txSubmission[pair] == nullptr || ivars->txCompletion[pair] == nullptr ||
            ivars->rxSubmission[pair] == nullptr || ivars->rxCompletion[pair] == nullptr) {
            Log("no queues for pair %u", pair);
            return false;
        }
        queues[count++] = ivars->txSubmission[pair];
        queues[count++] = ivars->txCompletion[pair];
        queues[count++] = ivars->rxSubmission[pair];
        queues[count++] = ivars->rxCompletion[pair];
    }

    ether_addr_t mac = {{0x02, 0x4d, 0x51, 0x4e, 0x00, 0x01}};
    IOReturn ret = registerEthernetInterface(mac, queues, count, ivars->txPool, ivars->rxPool);
    if (ret != kIOReturnSuccess) {
        Log("registerEthernetInterface failed: 0x%x", ret);
        return false;
    }
    reportLinkStatus(kIOUserNetworkLinkStatusInactive, kMedia);
    Log("started as %{public}s with %u queue pairs", getBSDName(), kQueuePairs);
    return true;
}

void MultiQueueNic::stop(IOService *provider)
{
    DropEmptyBuffers(ivars);
    IOLog("MultiQueueNic: %llu + %llu frames echoed, %llu dropped\n", ivars->echoed[0],
          ivars->echoed[1], ivars->dropped);
    super::stop(provider);
}

IOReturn MultiQueueNic::setInterfaceEnable(bool enable)
{
    IOReturn ret = super::setInterfaceEnable(enable);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ivars->enabled = enable;
    if (!enable) {
        DropEmptyBuffers(ivars);
        for (uint32_t pair = 0; pair < kQueuePairs; pair++) { // what waits is dropped now
            if (ivars->txWaiting[pair]) {
                ivars->txWaiting[pair] = false;
                ivars->txSubmission[pair]->requestDequeue();
            }
        }
    }
    return reportLinkStatus(enable ? kIOUserNetworkLinkStatusActive : kIOUserNetworkLinkStatusInactive,
                            kMedia);
}

uint32_t MultiQueueNic::getMaxTransferUnit()
{
    return kBufferSize - 18;
}

IOReturn MultiQueueNic::getSupportedMediaArray(MediaWord *mediaArray, uint32_t *mediaCount)
{
    if (mediaCount == nullptr) {
        return kIOReturnBadArgument;
    }
    if (mediaArray != nullptr && *mediaCount >= 1) {
        mediaArray[0] = kMedia;
    }
    *mediaCount = 1;
    return kIOReturnSuccess;
}

MediaWord MultiQueueNic::getInitialMedia()
{
    return kMedia;
}
