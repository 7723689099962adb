// HostileNic.cpp — every 100 ms it takes empty RX buffers into a small stash and, when it holds
// enough, commits the next abuse in a fixed sequence, each with exactly one valid frame beside it.
// The SDK's own checks would stop these, so it goes straight at the rings through libdriverkit's
// private state. Each step is self-contained (its entries travel in one ring batch, and only
// involve packets the driver holds), so the daemon's counts are exact whatever its timing:
//   step 0  an index far out of range on RX completion              index_out_of_range
//   step 1  the index equal to the pool's packet count (34)          index_out_of_range
//   step 2  a packet that has no buffer (32 of 34 have one)          not_owned_by_driver
//   step 3  a valid frame completed twice in one batch (one frame)   not_owned_by_driver
//   step 4  an RX buffer handed back on TX completion                wrong_queue
//   step 5  a descriptor naming another packet's buffer              buffer_mismatch
//   step 6  a zero-length RX frame                                   zero_length_rx
//   step 7  offset + length past the buffer                          offset_length_out_of_bounds
//   step 8  once the daemon consumed everything: the RX completion producer index pushed
//           100000 entries ahead                                     ring_faults
// So: 8 valid frames reach the stack, 2 + 2 + 1 + 1 + 1 + 1 entries are dropped, one ring faults,
// and the daemon stops the dext. Each step is logged ("HostileNic: step N done").

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

static const uint32_t kPackets = 34;
static const uint32_t kBuffers = 32;
static const uint32_t kStash = 4;
static const uint32_t kSteps = 9;

struct HostileNic_IVars {
    IODispatchQueue *queue;
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txs;
    IOUserNetworkTxCompletionQueue *txc;
    IOUserNetworkRxSubmissionQueue *rxs;
    IOUserNetworkRxCompletionQueue *rxc;
    IOTimerDispatchSource *timer;
    OSAction *tick;
    uint32_t step;
    uint32_t stashed;
    IOUserNetworkPacket *stash[kStash];
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
    options.packetCount = kPackets;
    options.bufferCount = kBuffers;
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

// Publishes `indices` on a driver-produced ring in one batch, behind the runtime's back (no
// ownership checks). The packets leave the driver's hands.
static void raw_publish(netdext::shm::DriverEndpoint &rings, RingId ring,
                        std::initializer_list<uint32_t> indices) {
    (void)rings.enqueue(ring, std::span<const uint32_t>(indices.begin(), indices.size()));
}

static uint32_t index_of(IOUserNetworkPacket *packet) {
    uint32_t index = 0;
    packet->_GetPacketIndex(&index);
    return index;
}

static void fill_valid(IOUserNetworkPacket *packet) {
    bcopy(kValidFrame, (void *)packet->getDataVirtualAddress(), sizeof kValidFrame);
    packet->setDataOffsetAndLength(0, sizeof kValidFrame);
}

// Takes the last stashed packet.
static IOUserNetworkPacket *take(HostileNic_IVars *ivars) {
    return ivars->stash[--ivars->stashed];
}

// The packet leaves through a raw ring write: the runtime must not count it as held.
static void give_up(IOUserNetworkPacket *packet) {
    packet->netdext_state()->held.store(false);
}

static const char *const kStepNames[kSteps] = {
    "index far out of range", "index == packet count", "packet without a buffer",
    "double completion",      "wrong queue",           "buffer mismatch",
    "zero length",            "offset + length past the buffer", "ring fault"};

void IMPL(HostileNic, Tick) {
    netdext::InterfaceState *iface = netdext_interface();
    netdext::shm::DriverEndpoint &rings = *iface->endpoint();
    if (ivars->step >= kSteps)
        return;
    if (ivars->stashed < kStash)
        ivars->stashed += ivars->rxs->DequeuePackets(ivars->stash + ivars->stashed,
                                                     kStash - ivars->stashed);
    const uint32_t step = ivars->step;
    const uint32_t needed = step == 8 ? 0 : step <= 3 ? 1 : 2;
    netdext::shm::RingView rxc = iface->grant.lanes[0].layout.view(iface->grant.lanes[0].rings_region,
                                                          RingId::RxCompletion);
    netdext::shm::RingView txc = iface->grant.lanes[0].layout.view(iface->grant.lanes[0].rings_region,
                                                          RingId::TxCompletion);
    auto drained = [](netdext::shm::RingView view) {
        return std::atomic_ref<uint32_t>(view.control->consumer_index).load() ==
               std::atomic_ref<uint32_t>(view.control->producer_index).load();
    };
    if (ivars->stashed < needed || (step == 8 && !(drained(rxc) && drained(txc)))) {
        ivars->timer->WakeAtTime(kIOTimerClockUptimeRaw, time + 100 * kMillisecondScale, 0);
        return; // not yet: try again at the next tick
    }
    // Every step but the double completion and the ring fault sends one valid frame first.
    if (step != 3 && step != 8) {
        IOUserNetworkPacket *good = take(ivars);
        fill_valid(good);
        if (ivars->rxc->EnqueuePacket(good) != kIOReturnSuccess)
            ivars->pool->DeallocatePacket(good);
    }
    IOUserNetworkPacket *bad = needed == 2 ? take(ivars) : nullptr;
    netdext::shm::PacketDescriptor *d = bad ? bad->netdext_state()->descriptor : nullptr;
    switch (step) {
    case 0:
        raw_publish(rings, RingId::RxCompletion, {0x00ffffff});
        break;
    case 1:
        raw_publish(rings, RingId::RxCompletion, {kPackets});
        break;
    case 2:
        raw_publish(rings, RingId::RxCompletion, {kBuffers});
        break;
    case 3: { // the daemon takes the first back; the second names a packet it now holds
        IOUserNetworkPacket *twice = take(ivars);
        fill_valid(twice);
        give_up(twice);
        raw_publish(rings, RingId::RxCompletion, {index_of(twice), index_of(twice)});
        break;
    }
    case 4:
        give_up(bad);
        raw_publish(rings, RingId::TxCompletion, {index_of(bad)});
        break;
    case 5:
        fill_valid(bad);
        d->buffer_index = (index_of(bad) + 1) % kBuffers;
        give_up(bad);
        raw_publish(rings, RingId::RxCompletion, {index_of(bad)});
        break;
    case 6:
        fill_valid(bad);
        d->data_length = 0;
        give_up(bad);
        raw_publish(rings, RingId::RxCompletion, {index_of(bad)});
        break;
    case 7:
        fill_valid(bad);
        d->data_offset = 16;
        d->data_length = 100000;
        give_up(bad);
        raw_publish(rings, RingId::RxCompletion, {index_of(bad)});
        break;
    case 8:
        std::atomic_ref<uint32_t>(rxc.control->producer_index)
            .fetch_add(100000, std::memory_order_seq_cst);
        break;
    }
    os_log(OS_LOG_DEFAULT, "HostileNic: step %u done (%s)", step, kStepNames[step]);
    ++ivars->step;
    ivars->timer->WakeAtTime(kIOTimerClockUptimeRaw, time + 100 * kMillisecondScale, 0);
}
