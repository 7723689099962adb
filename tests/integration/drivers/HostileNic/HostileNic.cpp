// HostileNic.cpp — every 100 ms it delivers one valid frame and then commits one kind of
// shared-memory abuse that the SDK's own checks would stop, so it goes straight at the rings
// through libdriverkit's private state:
//   tick 1  an index far out of range on RX completion
//   tick 2  a packet it does not own (never dequeued) on RX completion
//   tick 3  the same packet completed twice
//   tick 4  a frame whose offset + length runs past its buffer
//   tick 5  a zero-length RX frame
//   tick 6  the RX completion producer index pushed 100000 entries ahead (a ring fault)
// The daemon must count each, pass none of them to the TAP, and stop the dext at the ring fault.

#include <DriverKit/IOLib.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <os/log.h>

#include "HostileNic.h"
#include "networking/state.h" // libdriverkit's private state: the rings behind the queues

#include <atomic>

#undef super
#define super IOUserNetworkEthernet

using netdext::shm::RingId;

static const IOUserNetworkMACAddress kMAC = {.octet = {0x10, 0x22, 0x33, 0x44, 0x55, 0x99}};
static const IOUserNetworkMediaType kMedia[] = {kIOUserNetworkMediaEthernetAuto};

// A valid 60-byte broadcast frame (EtherType 0x88b5, local experimental).
static const uint8_t kValidFrame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10, 0x22, 0x33,
                                        0x44, 0x55, 0x99, 0x88, 0xb5, 'h',  'o',  's',  't',
                                        'i',  'l',  'e'};

struct HostileNic_IVars {
    IODispatchQueue *queue;
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txs;
    IOUserNetworkTxCompletionQueue *txc;
    IOUserNetworkRxSubmissionQueue *rxs;
    IOUserNetworkRxCompletionQueue *rxc;
    IOTimerDispatchSource *timer;
    OSAction *tick;
    uint32_t ticks;
};

bool HostileNic::init() {
    if (!super::init())
        return false;
    ivars = IONewZero(HostileNic_IVars, 1);
    return ivars != nullptr;
}

void HostileNic::free() {
    IOSafeDeleteNULL(ivars, HostileNic_IVars, 1);
    super::free();
}

kern_return_t IMPL(HostileNic, Start) {
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess)
        return ret;
    IOUserNetworkPacketBufferPoolOptions options{};
    options.packetCount = 32;
    options.bufferCount = 32;
    options.bufferSize = 2048;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    IOUserNetworkPacketQueue *queues[4];
    if ((ret = CopyDispatchQueue("Default", &ivars->queue)) != kIOReturnSuccess ||
        (ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "hostile", &options,
                                                                &ivars->pool)) != kIOReturnSuccess ||
        (ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, 8, 0, ivars->queue,
                                                      &ivars->txs)) != kIOReturnSuccess ||
        (ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, 8, 0, ivars->queue,
                                                      &ivars->txc)) != kIOReturnSuccess ||
        (ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, 8, 0, ivars->queue,
                                                      &ivars->rxs)) != kIOReturnSuccess ||
        (ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, 8, 0, ivars->queue,
                                                      &ivars->rxc)) != kIOReturnSuccess ||
        (ret = IOTimerDispatchSource::Create(ivars->queue, &ivars->timer)) != kIOReturnSuccess ||
        (ret = CreateActionTick(0, &ivars->tick)) != kIOReturnSuccess ||
        (ret = ivars->timer->SetHandler(ivars->tick)) != kIOReturnSuccess ||
        (ret = ReportAvailableMediaTypes(kMedia, 1)) != kIOReturnSuccess)
        goto fail;
    queues[0] = ivars->txs;
    queues[1] = ivars->txc;
    queues[2] = ivars->rxs;
    queues[3] = ivars->rxc;
    if ((ret = RegisterEthernetInterface(kMAC, ivars->pool, queues, 4)) != kIOReturnSuccess ||
        (ret = ReportLinkStatus(kIOUserNetworkLinkStatusActive, kMedia[0])) != kIOReturnSuccess)
        goto fail;
    return RegisterService();
fail:
    Stop_Impl(provider);
    return ret;
}

kern_return_t IMPL(HostileNic, Stop) {
    if (ivars->timer != nullptr)
        ivars->timer->Cancel(nullptr);
    OSSafeReleaseNULL(ivars->timer);
    OSSafeReleaseNULL(ivars->tick);
    OSSafeReleaseNULL(ivars->txs);
    OSSafeReleaseNULL(ivars->txc);
    OSSafeReleaseNULL(ivars->rxs);
    OSSafeReleaseNULL(ivars->rxc);
    OSSafeReleaseNULL(ivars->pool);
    OSSafeReleaseNULL(ivars->queue);
    return super::Stop(provider, SUPERDISPATCH);
}

kern_return_t IMPL(HostileNic, SetInterfaceEnable) {
    ivars->txs->SetEnable(isEnable);
    ivars->txc->SetEnable(isEnable);
    ivars->rxs->SetEnable(isEnable);
    ivars->rxc->SetEnable(isEnable);
    if (!isEnable)
        return ivars->timer->Cancel(nullptr);
    return ivars->timer->WakeAtTime(kIOTimerClockUptimeRaw,
                                    clock_gettime_nsec_np(CLOCK_UPTIME_RAW) + 100 * kMillisecondScale, 0);
}

kern_return_t IMPL(HostileNic, SetPromiscuousModeEnable) { return kIOReturnSuccess; }
kern_return_t IMPL(HostileNic, SetAllMulticastModeEnable) { return kIOReturnSuccess; }
kern_return_t IMPL(HostileNic, SetWakeOnMagicPacketEnable) { return kIOReturnSuccess; }
kern_return_t IMPL(HostileNic, SetMTU) { return mtu <= 1500 ? kIOReturnSuccess : kIOReturnBadArgument; }
kern_return_t IMPL(HostileNic, GetMaxTransferUnit) {
    *mtu = 1500;
    return kIOReturnSuccess;
}
kern_return_t IMPL(HostileNic, SetHardwareAssists) { return kIOReturnSuccess; }
kern_return_t IMPL(HostileNic, GetHardwareAssists) {
    *hardwareAssists = 0;
    return kIOReturnSuccess;
}
kern_return_t IMPL(HostileNic, SelectMediaType) { return kIOReturnSuccess; }

// Hands `packet` to the RX completion ring behind the runtime's back (no ownership checks).
static void raw_complete(netdext::shm::DriverEndpoint &rings, uint32_t index) {
    (void)rings.enqueue(RingId::RxCompletion, std::span<const uint32_t>(&index, 1));
}

static uint32_t index_of(IOUserNetworkPacket *packet) {
    uint32_t index = 0;
    packet->_GetPacketIndex(&index);
    return index;
}

void IMPL(HostileNic, Tick) {
    netdext::InterfaceState *iface = netdext_interface();
    netdext::shm::DriverEndpoint &rings = *iface->endpoint;
    const uint32_t tick = ++ivars->ticks;

    IOUserNetworkPacket *packets[2] = {};
    uint32_t got = ivars->rxs->DequeuePackets(packets, 2);
    if (got >= 1) { // one good frame every tick
        IOUserNetworkPacket *good = packets[0];
        bcopy(kValidFrame, (void *)good->getDataVirtualAddress(), sizeof kValidFrame);
        good->setDataOffsetAndLength(0, sizeof kValidFrame);
        if (ivars->rxc->EnqueuePacket(good) != kIOReturnSuccess)
            ivars->pool->DeallocatePacket(good);
    }
    IOUserNetworkPacket *spare = got >= 2 ? packets[1] : nullptr;
    os_log(OS_LOG_DEFAULT, "HostileNic: tick %u", tick);

    switch (tick) {
    case 1: // an index far beyond the pool
        raw_complete(rings, 0x00ffffff);
        break;
    case 2: // a packet the driver was never given: pick one that is not in its hands
        for (uint32_t i = 0; i < iface->pool->packet_count(); ++i) {
            if (!iface->pool->packets[i].held.load() && (spare == nullptr || i != index_of(spare))) {
                raw_complete(rings, i);
                break;
            }
        }
        break;
    case 3: // complete a packet, then complete it again
        if (spare != nullptr) {
            bcopy(kValidFrame, (void *)spare->getDataVirtualAddress(), sizeof kValidFrame);
            spare->setDataOffsetAndLength(0, sizeof kValidFrame);
            uint32_t index = index_of(spare);
            ivars->rxc->EnqueuePacket(spare);
            raw_complete(rings, index);
            spare = nullptr;
        }
        break;
    case 4: // offset + length past the buffer, written straight into the shared descriptor
        if (spare != nullptr) {
            spare->netdext_state()->descriptor->data_offset = 16;
            spare->netdext_state()->descriptor->data_length = 100000;
            spare->netdext_state()->held.store(false);
            raw_complete(rings, index_of(spare));
            spare = nullptr;
        }
        break;
    case 5: // a zero-length RX frame
        if (spare != nullptr) {
            spare->netdext_state()->descriptor->data_length = 0;
            spare->netdext_state()->held.store(false);
            raw_complete(rings, index_of(spare));
            spare = nullptr;
        }
        break;
    default: { // a runaway producer index on RX completion: the ring faults
        netdext::shm::RingView view = iface->grant.layout.view(iface->grant.rings_region,
                                                              RingId::RxCompletion);
        std::atomic_ref<uint32_t>(view.control->producer_index)
            .fetch_add(100000, std::memory_order_seq_cst);
        break;
    }
    }
    if (spare != nullptr)
        ivars->pool->DeallocatePacket(spare);
    ivars->timer->WakeAtTime(kIOTimerClockUptimeRaw, time + 100 * kMillisecondScale, 0);
}
