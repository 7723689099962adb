//
//  TwoPortCable.cpp
//  TwoPortCable
//
//  The cable and its two ports. Every queue of both ports calls back on the cable's Default
//  queue (the cable is the queues' target), so the data path of the two ends never runs
//  concurrently: a frame one port transmits is copied into a receive buffer the other port was
//  given, completed on that port's RX completion queue, and the transmitted packet completed.
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IOUserServer.h>
#include <DriverKit/OSCollections.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>

#include "TwoPortCable.h"
#include "TwoPortCablePort.h"

#define Log(fmt, ...) os_log(OS_LOG_DEFAULT, "TwoPortCable: " fmt "\n", ##__VA_ARGS__)

static constexpr uint32_t kPorts = 2;
static constexpr uint32_t kPacketCount = 256;
static constexpr uint32_t kBufferSize = 2048;
static constexpr uint32_t kQueueCapacity = 64;
static const MediaWord kMedia = kIOUserNetworkMediaEthernet10GBaseT | kIOUserNetworkMediaOptionFullDuplex;
static const char *const kPortKeys[kPorts] = {"CablePortA", "CablePortB"};

struct TwoPortCable_IVars {
    TwoPortCablePort *ports[kPorts];
    IODispatchQueue *queue; // the Default queue: every port's data path runs here
};

struct TwoPortCablePort_IVars {
    uint32_t index;
    TwoPortCable *cable; // the provider; not retained (it outlives its ports)
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txSubmission;
    IOUserNetworkTxCompletionQueue *txCompletion;
    IOUserNetworkRxSubmissionQueue *rxSubmission;
    IOUserNetworkRxCompletionQueue *rxCompletion;
    IOUserNetworkPacket *emptyRx[kQueueCapacity];
    uint32_t emptyRxCount;
    uint64_t carried;
    uint64_t dropped;
};

#pragma mark - Data path (on the Default queue of the cable)

static TwoPortCablePort *PortOf(TwoPortCable *cable, IOUserNetworkPacketQueue *queue,
                                uint32_t *index)
{
    for (uint32_t i = 0; i < kPorts; i++) {
        TwoPortCablePort *port = cable->ivars->ports[i];
        if (port != nullptr &&
            (port->ivars->txSubmission == queue || port->ivars->rxSubmission == queue)) {
            *index = i;
            return port;
        }
    }
    return nullptr;
}

static uint32_t RxBuffersAvailable(OSObject *target, IOUserNetworkPacketQueue *queue,
                                   IOUserNetworkPacket **packets, uint32_t count, void *refCon)
{
    TwoPortCable *cable = OSDynamicCast(TwoPortCable, target);
    uint32_t index = 0;
    TwoPortCablePort *port = cable ? PortOf(cable, queue, &index) : nullptr;
    if (port == nullptr) {
        return 0; // not connected yet: offered again later
    }
    TwoPortCablePort_IVars *p = port->ivars;
    uint32_t accepted = 0;
    while (accepted < count && p->emptyRxCount < kQueueCapacity) {
        p->emptyRx[p->emptyRxCount++] = packets[accepted++];
    }
    return accepted;
}

static uint32_t TxFramesAvailable(OSObject *target, IOUserNetworkPacketQueue *queue,
                                  IOUserNetworkPacket **packets, uint32_t count, void *refCon)
{
    TwoPortCable *cable = OSDynamicCast(TwoPortCable, target);
    uint32_t index = 0;
    TwoPortCablePort *port = cable ? PortOf(cable, queue, &index) : nullptr;
    if (port == nullptr) {
        return 0;
    }
    TwoPortCablePort *peer = cable->ivars->ports[(index + 1) % kPorts];
    for (uint32_t i = 0; i < count; i++) {
        IOUserNetworkPacket *tx = packets[i];
        uint32_t length = tx->getDataLength();
        TwoPortCablePort_IVars *q = peer != nullptr ? peer->ivars : nullptr;
        if (q == nullptr || q->emptyRxCount == 0 || length > kBufferSize) {
            port->ivars->dropped++;
            continue;
        }
        IOUserNetworkPacket *rx = q->emptyRx[--q->emptyRxCount];
        if (rx->setDataOffsetAndLength(0, length) != kIOReturnSuccess) {
            q->pool->deallocatePacket(rx);
            port->ivars->dropped++;
            continue;
        }
        memcpy(reinterpret_cast<uint8_t *>(rx->getDataVirtualAddress()),
               reinterpret_cast<const uint8_t *>(tx->getDataVirtualAddress()) + tx->getDataOffset(),
               length);
        if (q->rxCompletion->enqueuePackets(&rx, 1) != kIOReturnSuccess) {
            q->pool->deallocatePacket(rx);
            port->ivars->dropped++;
            continue;
        }
        port->ivars->carried++;
    }
    if (port->ivars->txCompletion->enqueuePackets(packets, count) != kIOReturnSuccess) {
        Log("could not complete %u transmitted packets", count);
    }
    return count;
}

// Gives the receive buffers a port holds back to its pool (on the cable's queue).
static void DropEmptyBuffers(void *context)
{
    TwoPortCablePort_IVars *p = static_cast<TwoPortCablePort_IVars *>(context);
    if (p->emptyRxCount > 0) {
        p->pool->deallocatePackets(p->emptyRx, p->emptyRxCount);
        p->emptyRxCount = 0;
    }
}

#pragma mark - The cable

bool TwoPortCable::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(TwoPortCable_IVars, 1);
    return ivars != nullptr;
}

void TwoPortCable::free()
{
    if (ivars != nullptr) {
        for (uint32_t i = 0; i < kPorts; i++) {
            OSSafeReleaseNULL(ivars->ports[i]);
        }
        OSSafeReleaseNULL(ivars->queue);
    }
    IOSafeDeleteNULL(ivars, TwoPortCable_IVars, 1);
    super::free();
}

kern_return_t IMPL(TwoPortCable, Start)
{
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->queue);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    for (uint32_t i = 0; i < kPorts; i++) {
        IOService *created = nullptr;
        ret = Create(this, kPortKeys[i], &created);
        if (ret != kIOReturnSuccess) {
            Log("creating port %u failed: 0x%x", i, ret);
            return ret;
        }
        ivars->ports[i] = OSDynamicCast(TwoPortCablePort, created);
        if (ivars->ports[i] == nullptr) {
            OSSafeReleaseNULL(created);
            return kIOReturnUnsupported;
        }
    }
    Log("plugged in: %{public}s <-> %{public}s", ivars->ports[0]->getBSDName(),
        ivars->ports[1]->getBSDName());
    return RegisterService();
}

kern_return_t IMPL(TwoPortCable, Stop)
{
    // The system stops the ports first (they are our clients).
    return Stop(provider, SUPERDISPATCH);
}

#pragma mark - A port

bool TwoPortCablePort::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(TwoPortCablePort_IVars, 1);
    return ivars != nullptr;
}

void TwoPortCablePort::free()
{
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->txSubmission);
        OSSafeReleaseNULL(ivars->txCompletion);
        OSSafeReleaseNULL(ivars->rxSubmission);
        OSSafeReleaseNULL(ivars->rxCompletion);
        OSSafeReleaseNULL(ivars->pool);
    }
    IOSafeDeleteNULL(ivars, TwoPortCablePort_IVars, 1);
    super::free();
}

bool TwoPortCablePort::start(IOService *provider)
{
    if (!super::start(provider)) {
        return false;
    }
    ivars->cable = OSDynamicCast(TwoPortCable, provider);
    if (ivars->cable == nullptr) {
        Log("a port needs the cable as its provider");
        return false;
    }
    // Which end: from the dictionary the cable created us with.
    OSDictionary *properties = nullptr;
    if (CopyProperties(&properties) == kIOReturnSuccess && properties != nullptr) {
        OSNumber *index = OSDynamicCast(OSNumber, properties->getObject("CablePortIndex"));
        ivars->index = index != nullptr ? index->unsigned32BitValue() % kPorts : 0;
        OSSafeReleaseNULL(properties);
    }

    IOUserNetworkPacketBufferPoolOptions options = {};
    options.packetCount = kPacketCount;
    options.bufferCount = kPacketCount;
    options.bufferSize = kBufferSize;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    ivars->pool = IOUserNetworkPacketBufferPool::withName("TwoPortCable", this,
                                                          IONetworkPacketTypeNetwork, &options);
    if (ivars->pool == nullptr) {
        return false;
    }
    // The cable is every queue's target: both ends' callbacks run on its Default queue.
    OSObject *cable = ivars->cable;
    ivars->txSubmission = IOUserNetworkTxSubmissionQueue::withPool(
        ivars->pool, kQueueCapacity, 0, cable, nullptr, TxFramesAvailable);
    ivars->txCompletion = IOUserNetworkTxCompletionQueue::withPool(ivars->pool, kQueueCapacity, 0,
                                                                   cable, nullptr);
    ivars->rxSubmission = IOUserNetworkRxSubmissionQueue::withPool(
        ivars->pool, kQueueCapacity, kQueueCapacity, 0, cable, RxBuffersAvailable);
    ivars->rxCompletion = IOUserNetworkRxCompletionQueue::withPool(ivars->pool, kQueueCapacity, 0,
                                                                   cable, nullptr);
    if (ivars->txSubmission == nullptr || ivars->txCompletion == nullptr ||
        ivars->rxSubmission == nullptr || ivars->rxCompletion == nullptr) {
        return false;
    }
    IOUserNetworkPacketQueue *queues[] = {ivars->txSubmission, ivars->txCompletion,
                                          ivars->rxSubmission, ivars->rxCompletion};
    ether_addr_t mac = {{0x02, 0x43, 0x41, 0x42, 0x4c, uint8_t(0x0a + ivars->index)}};
    IOReturn ret = registerEthernetInterface(mac, queues, 4, ivars->pool, nullptr);
    if (ret != kIOReturnSuccess) {
        Log("port %u: registerEthernetInterface failed: 0x%x", ivars->index, ret);
        return false;
    }
    reportLinkStatus(kIOUserNetworkLinkStatusInactive, kMedia);
    Log("port %u is %{public}s", ivars->index, getBSDName());
    return true;
}

void TwoPortCablePort::stop(IOService *provider)
{
    if (ivars->cable != nullptr && ivars->cable->ivars->queue != nullptr) {
        ivars->cable->ivars->queue->DispatchSync_f(ivars, DropEmptyBuffers);
    }
    IOLog("TwoPortCable: port %u carried %llu frames, dropped %llu\n", ivars->index,
          ivars->carried, ivars->dropped);
    super::stop(provider);
}

IOReturn TwoPortCablePort::setInterfaceEnable(bool enable)
{
    IOReturn ret = super::setInterfaceEnable(enable);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    if (!enable && ivars->cable->ivars->queue != nullptr) {
        ivars->cable->ivars->queue->DispatchSync_f(ivars, DropEmptyBuffers);
    }
    return reportLinkStatus(enable ? kIOUserNetworkLinkStatusActive : kIOUserNetworkLinkStatusInactive,
                            kMedia);
}

uint32_t TwoPortCablePort::getMaxTransferUnit()
{
    return kBufferSize - 18;
}

IOReturn TwoPortCablePort::getSupportedMediaArray(MediaWord *mediaArray, uint32_t *mediaCount)
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

MediaWord TwoPortCablePort::getInitialMedia()
{
    return kMedia;
}
