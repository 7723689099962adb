//
//  LowerCaseNic.cpp
//  LowerCaseNic
//
//  Echoes every frame the stack transmits back to it as a received frame. Written the way
//  drivers for current SDKs are: pool and queues from the NDK 2.x factories, C dequeue actions,
//  lower-case overrides that chain to super, registerEthernetInterface with TX and RX pools.
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IOUserServer.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <net/bpf.h>
#include <net/ethernet.h>

#include "LowerCaseNic.h"

#define Log(fmt, ...) os_log(OS_LOG_DEFAULT, "LowerCaseNic: " fmt "\n", ##__VA_ARGS__)

static constexpr uint32_t kPacketCount = 64;
static constexpr uint32_t kBufferSize = 2048;
static constexpr uint32_t kQueueCapacity = 16;
static constexpr uint32_t kMaxTransferUnit = 9000;
static constexpr uint32_t kSupportedAssists = 0x3;

static const MediaWord kSupportedMedia[] = {
    kIOUserNetworkMediaEthernetAuto,
    kIOUserNetworkMediaEthernet1000BaseT | kIOUserNetworkMediaOptionFullDuplex,
};
static const uint32_t kSupportedMediaCount = sizeof(kSupportedMedia) / sizeof(kSupportedMedia[0]);

struct LowerCaseNic_IVars {
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txSubmission;
    IOUserNetworkTxCompletionQueue *txCompletion;
    IOUserNetworkRxSubmissionQueue *rxSubmission;
    IOUserNetworkRxCompletionQueue *rxCompletion;
    IOUserNetworkPacket *emptyRx[kQueueCapacity]; // buffers the stack gave us to receive into
    uint32_t emptyRxCount;
    uint32_t mtu;
    uint32_t assists;
    MediaWord media;
    uint64_t echoed;
    uint64_t dropped;
};

#pragma mark - Data path (on the Default queue)

// The stack hands over empty receive buffers: keep as many as there is room for.
static uint32_t RxBuffersAvailable(OSObject *target, IOUserNetworkPacketQueue *queue,
                                   IOUserNetworkPacket **packets, uint32_t count, void *refCon)
{
    LowerCaseNic *self = OSDynamicCast(LowerCaseNic, target);
    if (self == nullptr) {
        return 0;
    }
    LowerCaseNic_IVars *ivars = self->ivars;
    uint32_t accepted = 0;
    while (accepted < count && ivars->emptyRxCount < kQueueCapacity) {
        ivars->emptyRx[ivars->emptyRxCount++] = packets[accepted++];
    }
    return accepted;
}

// The stack hands over frames to send: each goes back up as a received frame, then the
// transmitted packets are completed.
static uint32_t TxFramesAvailable(OSObject *target, IOUserNetworkPacketQueue *queue,
                                  IOUserNetworkPacket **packets, uint32_t count, void *refCon)
{
    LowerCaseNic *self = OSDynamicCast(LowerCaseNic, target);
    if (self == nullptr) {
        return 0;
    }
    LowerCaseNic_IVars *ivars = self->ivars;
    for (uint32_t i = 0; i < count; i++) {
        IOUserNetworkPacket *tx = packets[i];
        uint32_t length = tx->getDataLength();
        if (ivars->emptyRxCount == 0 || length > kBufferSize) {
            ivars->dropped++;
            continue;
        }
        IOUserNetworkPacket *rx = ivars->emptyRx[--ivars->emptyRxCount];
        const uint8_t *from = reinterpret_cast<const uint8_t *>(tx->getDataVirtualAddress()) +
                              tx->getDataOffset();
        if (rx->setDataOffsetAndLength(0, length) != kIOReturnSuccess) {
            ivars->pool->deallocatePacket(rx);
            ivars->dropped++;
            continue;
        }
        memcpy(reinterpret_cast<uint8_t *>(rx->getDataVirtualAddress()), from, length);
        if (ivars->rxCompletion->enqueuePackets(&rx, 1) != kIOReturnSuccess) {
            ivars->pool->deallocatePacket(rx);
            ivars->dropped++;
            continue;
        }
        ivars->echoed++;
    }
    if (ivars->txCompletion->enqueuePackets(packets, count) != kIOReturnSuccess) {
        Log("could not complete %u transmitted packets", count);
    }
    return count;
}

#pragma mark - Life cycle

bool LowerCaseNic::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(LowerCaseNic_IVars, 1);
    if (ivars == nullptr) {
        return false;
    }
    ivars->mtu = 1500;
    ivars->media = getInitialMedia();
    return true;
}

void LowerCaseNic::free()
{
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->txSubmission);
        OSSafeReleaseNULL(ivars->txCompletion);
        OSSafeReleaseNULL(ivars->rxSubmission);
        OSSafeReleaseNULL(ivars->rxCompletion);
        OSSafeReleaseNULL(ivars->pool);
    }
    IOSafeDeleteNULL(ivars, LowerCaseNic_IVars, 1);
    super::free();
}

bool LowerCaseNic::start(IOService *provider)
{
    if (!super::start(provider)) {
        return false;
    }

    IOUserNetworkPacketBufferPoolOptions options = {};
    options.packetCount = kPacketCount;
    options.bufferCount = kPacketCount;
    options.bufferSize = kBufferSize;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    ivars->pool = IOUserNetworkPacketBufferPool::withName("LowerCaseNic", this,
                                                          IONetworkPacketTypeNetwork, &options);
    if (ivars->pool == nullptr) {
        Log("no packet pool");
        return false;
    }
    Log("pool %p of %u packets", ivars->pool, kPacketCount);

    ivars->txSubmission = IOUserNetworkTxSubmissionQueue::withPool(
        ivars->pool, kQueueCapacity, 0, this, nullptr, TxFramesAvailable);
    ivars->txCompletion = IOUserNetworkTxCompletionQueue::withPool(ivars->pool, kQueueCapacity, 0,
                                                                   this, nullptr);
    ivars->rxSubmission = IOUserNetworkRxSubmissionQueue::withPool(
        ivars->pool, kQueueCapacity, kQueueCapacity, 0, this, RxBuffersAvailable);
    ivars->rxCompletion = IOUserNetworkRxCompletionQueue::withPool(ivars->pool, kQueueCapacity, 0,
                                                                   this, nullptr);
    if (ivars->txSubmission == nullptr || ivars->txCompletion == nullptr ||
        ivars->rxSubmission == nullptr || ivars->rxCompletion == nullptr) {
        Log("no queues");
        return false;
    }

    IOUserNetworkPacketQueue *queues[] = {ivars->txSubmission, ivars->txCompletion,
                                          ivars->rxSubmission, ivars->rxCompletion};
    ether_addr_t mac = {{0x02, 0x4c, 0x43, 0x4e, 0x00, 0x01}};
    IOReturn ret = registerEthernetInterface(mac, queues, 4, ivars->pool, ivars->pool);
    if (ret != kIOReturnSuccess) {
        Log("registerEthernetInterface failed: 0x%x", ret);
        return false;
    }
    ret = bpfAttach(DLT_EN10MB, sizeof(struct ether_header));
    if (ret != kIOReturnSuccess) {
        Log("bpfAttach failed: 0x%x", ret);
        return false;
    }
    reportLinkStatus(kIOUserNetworkLinkStatusInactive, ivars->media);
    Log("started as %{public}s", getBSDName());
    return true;
}

void LowerCaseNic::stop(IOService *provider)
{
    if (ivars->emptyRxCount > 0) {
        ivars->pool->deallocatePackets(ivars->emptyRx, ivars->emptyRxCount);
        ivars->emptyRxCount = 0;
    }
    IOLog("LowerCaseNic: %llu frames echoed, %llu dropped\n", ivars->echoed, ivars->dropped);
    super::stop(provider);
}

#pragma mark - What the stack asks

IOReturn LowerCaseNic::setInterfaceEnable(bool enable)
{
    // The family enables (or disables) the queues.
    IOReturn ret = super::setInterfaceEnable(enable);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    if (!enable && ivars->emptyRxCount > 0) {
        ivars->pool->deallocatePackets(ivars->emptyRx, ivars->emptyRxCount);
        ivars->emptyRxCount = 0;
    }
    reportLinkStatus(enable ? kIOUserNetworkLinkStatusActive : kIOUserNetworkLinkStatusInactive,
                     ivars->media);
    reportDataBandwidths(1000000000ULL, 1000000000ULL, 1000000000ULL, 1000000000ULL);
    Log("interface %{public}s", enable ? "up" : "down");
    return kIOReturnSuccess;
}

IOReturn LowerCaseNic::setPromiscuousModeEnable(bool enable)
{
    Log("promiscuous %{bool}d", enable);
    return kIOReturnSuccess;
}

IOReturn LowerCaseNic::setAllMulticastModeEnable(bool enable)
{
    Log("all-multicast %{bool}d", enable);
    return kIOReturnSuccess;
}

IOReturn LowerCaseNic::setMulticastAddresses(const ether_addr_t *addresses, uint32_t count)
{
    Log("%u multicast addresses", count);
    return kIOReturnSuccess;
}

IOReturn LowerCaseNic::setMaxTransferUnit(uint32_t mtu)
{
    if (mtu > kMaxTransferUnit) {
        return kIOReturnBadArgument;
    }
    ivars->mtu = mtu;
    Log("MTU %u", mtu);
    return kIOReturnSuccess;
}

uint32_t LowerCaseNic::getMaxTransferUnit()
{
    return kMaxTransferUnit;
}

IOReturn LowerCaseNic::getSupportedMediaArray(MediaWord *mediaArray, uint32_t *mediaCount)
{
    if (mediaCount == nullptr) {
        return kIOReturnBadArgument;
    }
    if (mediaArray == nullptr) {
        *mediaCount = kSupportedMediaCount;
        return kIOReturnSuccess;
    }
    uint32_t n = *mediaCount < kSupportedMediaCount ? *mediaCount : kSupportedMediaCount;
    memcpy(mediaArray, kSupportedMedia, n * sizeof(MediaWord));
    *mediaCount = n;
    return kIOReturnSuccess;
}

IOReturn LowerCaseNic::handleChosenMedia(MediaWord chosenMedia)
{
    for (uint32_t i = 0; i < kSupportedMediaCount; i++) {
        if (kSupportedMedia[i] == chosenMedia) {
            ivars->media = chosenMedia;
            Log("medium 0x%x", chosenMedia);
            return reportLinkStatus(kIOUserNetworkLinkStatusActive, chosenMedia);
        }
    }
    return kIOReturnUnsupported;
}

MediaWord LowerCaseNic::getInitialMedia()
{
    return kSupportedMedia[1];
}

uint32_t LowerCaseNic::getHardwareAssists()
{
    return ivars->assists;
}

IOReturn LowerCaseNic::setHardwareAssists(uint32_t hardwareAssists)
{
    return setHardwareAssists(hardwareAssists, 0xffffffff);
}

IOReturn LowerCaseNic::setHardwareAssists(uint32_t hardwareAssists, uint32_t hardwareAssistsMask)
{
    uint32_t wanted = (ivars->assists & ~hardwareAssistsMask) | (hardwareAssists & hardwareAssistsMask);
    if ((wanted & ~kSupportedAssists) != 0) {
        return kIOReturnUnsupported;
    }
    ivars->assists = wanted;
    Log("hardware assists 0x%x", wanted);
    return kIOReturnSuccess;
}

int LowerCaseNic::bpfTap(uint32_t dataLinkType, uint32_t mode) {
    if (dataLinkType != DLT_EN10MB) {
        return kIOReturnUnsupported;
    }
    Log("tap: input %d, output %d", (mode & BPF_MODE_INPUT) != 0, (mode & BPF_MODE_OUTPUT) != 0);
    return super::bpfTap(dataLinkType, mode);
}
