// BenchProbeNic (see bench_probe_nic.h): hand-written in the shape of netdext-iig's output.

#include "bench_probe_nic.h"

#include <DriverKit/IODataQueueDispatchSource.h>
#include <DriverKit/IOTimerDispatchSource.h>

#include <cstring>
#include <mutex>

namespace bench_probe {
namespace {

std::mutex g_mutex;
Config g_config;
std::vector<Event> g_events;
std::vector<uint32_t> g_transmitted;

} // namespace

void reset() {
    std::lock_guard lock(g_mutex);
    g_config = Config{};
    g_events.clear();
    g_transmitted.clear();
}

Config &config() {
    return g_config;
}

std::vector<Event> events() {
    std::lock_guard lock(g_mutex);
    return g_events;
}

std::vector<uint32_t> transmitted_lengths() {
    std::lock_guard lock(g_mutex);
    return g_transmitted;
}

} // namespace bench_probe

using bench_probe::Config;
using bench_probe::TxMode;

struct BenchProbeNic_IVars {
    Config config; // copied at Start
    IODispatchQueue *queue = nullptr;
    IOUserNetworkPacketBufferPool *pool = nullptr;
    IOUserNetworkTxSubmissionQueue *txs = nullptr;
    IOUserNetworkTxCompletionQueue *txc = nullptr;
    IOUserNetworkRxSubmissionQueue *rxs = nullptr;
    IOUserNetworkRxCompletionQueue *rxc = nullptr;
    OSAction *tx_action = nullptr;
    std::vector<IOTimerDispatchSource *> timers;
    std::vector<OSAction *> tick_actions;
    std::vector<uint32_t> firings;
    uint32_t hardware_assists = 0;
};

NETDEXT_DEFINE_CLASS(BenchProbeNic, IOUserNetworkEthernet, nullptr, 0)
NETDEXT_DEFINE_CLASS(OSAction_BenchProbeNic_Tick, OSAction, nullptr, 0)
NETDEXT_DEFINE_CLASS(OSAction_BenchProbeNic_TxReady, OSAction, nullptr, 0)

kern_return_t OSAction_BenchProbeNic_Tick::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSAction::_Dispatch(self, rpc);
}
kern_return_t OSAction_BenchProbeNic_TxReady::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSAction::_Dispatch(self, rpc);
}

kern_return_t BenchProbeNic::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    BenchProbeNic *self = static_cast<BenchProbeNic *>(object);
    switch (rpc.message->msgid) {
    case BenchProbeNic_Tick_ID:
        if (netdext::dispatch_to(rpc, [self](OSAction *action, uint64_t time) -> void {
                self->BenchProbeNic::Tick_Impl(action, time);
            }))
            return kIOReturnSuccess;
        break;
    case BenchProbeNic_TxReady_ID:
        if (netdext::dispatch_to(rpc, [self](OSAction *action) -> void {
                self->BenchProbeNic::TxReady_Impl(action);
            }))
            return kIOReturnSuccess;
        break;
    }
    return IOUserNetworkEthernet::_Dispatch(object, rpc);
}

kern_return_t BenchProbeNic::CreateActionTick(size_t referenceSize, OSAction **action) {
    return netdext::create_action<OSAction_BenchProbeNic_Tick>(
        this, BenchProbeNic_Tick_ID, IOTimerDispatchSource_TimerOccurred_ID, referenceSize, action);
}

kern_return_t BenchProbeNic::CreateActionTxReady(size_t referenceSize, OSAction **action) {
    return netdext::create_action<OSAction_BenchProbeNic_TxReady>(
        this, BenchProbeNic_TxReady_ID, IODataQueueDispatchSource_DataAvailable_ID, referenceSize,
        action);
}

bool BenchProbeNic::init() {
    if (!IOUserNetworkEthernet::init())
        return false;
    ivars = new BenchProbeNic_IVars;
    return true;
}

void BenchProbeNic::free() {
    delete ivars;
    ivars = nullptr;
    IOUserNetworkEthernet::free();
}

#undef super
#define super IOUserNetworkEthernet

kern_return_t BenchProbeNic::Start_Impl(IOService *provider) {
    {
        std::lock_guard lock(bench_probe::g_mutex);
        ivars->config = bench_probe::g_config;
    }
    const Config &config = ivars->config;
    if (config.start_result != kIOReturnSuccess)
        return config.start_result;
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess)
        return ret;
    IODataQueueDispatchSource *data_queue = nullptr;
    IOUserNetworkPacketQueue *queues[4];
    IOUserNetworkPacketBufferPoolOptions options{};
    static const IOUserNetworkMediaType media[] = {kIOUserNetworkMediaEthernetAuto};
    ether_addr_t mac;
    std::memcpy(mac.octet, bench_probe::kMac, 6);

    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->queue);
    if (ret != kIOReturnSuccess)
        goto fail;
    options.packetCount = config.packet_count;
    options.bufferCount = config.packet_count;
    options.bufferSize = config.buffer_size;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "BenchProbeNic", &options,
                                                           &ivars->pool);
    if (ret == kIOReturnSuccess)
        ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, config.queue_capacity, 0,
                                                     ivars->queue, &ivars->txs);
    if (ret == kIOReturnSuccess)
        ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, config.queue_capacity, 0,
                                                     ivars->queue, &ivars->txc);
    if (ret == kIOReturnSuccess)
        ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, config.queue_capacity, 0,
                                                     ivars->queue, &ivars->rxs);
    if (ret == kIOReturnSuccess)
        ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, config.queue_capacity, 0,
                                                     ivars->queue, &ivars->rxc);
    if (ret == kIOReturnSuccess)
        ret = CreateActionTxReady(0, &ivars->tx_action);
    if (ret == kIOReturnSuccess)
        ret = ivars->txs->CopyDataQueue(&data_queue);
    if (ret == kIOReturnSuccess)
        ret = data_queue->SetDataAvailableHandler(ivars->tx_action);
    OSSafeReleaseNULL(data_queue);
    if (ret != kIOReturnSuccess)
        goto fail;
    for (size_t i = 0; i < config.timers.size(); ++i) {
        IOTimerDispatchSource *timer = nullptr;
        OSAction *action = nullptr;
        ret = IOTimerDispatchSource::Create(ivars->queue, &timer);
        if (ret == kIOReturnSuccess)
            ivars->timers.push_back(timer);
        if (ret == kIOReturnSuccess)
            ret = CreateActionTick(sizeof(uint32_t), &action);
        if (ret == kIOReturnSuccess) {
            ivars->tick_actions.push_back(action);
            *static_cast<uint32_t *>(action->GetReference()) = uint32_t(i);
            ret = timer->SetHandler(action);
        }
        if (ret != kIOReturnSuccess)
            goto fail;
    }
    ivars->firings.assign(config.timers.size(), 0);
    ret = ReportAvailableMediaTypes(media, 1);
    if (ret != kIOReturnSuccess)
        goto fail;
    queues[0] = ivars->txs;
    queues[1] = ivars->txc;
    queues[2] = ivars->rxs;
    queues[3] = ivars->rxc;
    ret = RegisterEthernetInterface(mac, ivars->pool, queues, 4);
    if (ret == kIOReturnSuccess)
        ret = ReportLinkStatus(kIOUserNetworkLinkStatusActive, kIOUserNetworkMediaEthernetAuto);
    if (ret == kIOReturnSuccess)
        ret = RegisterService();
    if (ret == kIOReturnSuccess)
        return kIOReturnSuccess;
fail:
    Stop_Impl(provider);
    return ret;
}

void BenchProbeNic::stop_timers() {
    for (IOTimerDispatchSource *timer : ivars->timers)
        timer->Cancel(nullptr);
}

kern_return_t BenchProbeNic::Stop_Impl(IOService *provider) {
    stop_timers();
    for (IOUserNetworkPacketQueue *queue : std::initializer_list<IOUserNetworkPacketQueue *>{
             ivars->txs, ivars->txc, ivars->rxs, ivars->rxc})
        if (queue != nullptr)
            queue->SetEnable(false);
    for (IOTimerDispatchSource *&timer : ivars->timers)
        OSSafeReleaseNULL(timer);
    for (OSAction *&action : ivars->tick_actions)
        OSSafeReleaseNULL(action);
    ivars->timers.clear();
    ivars->tick_actions.clear();
    OSSafeReleaseNULL(ivars->tx_action);
    OSSafeReleaseNULL(ivars->txs);
    OSSafeReleaseNULL(ivars->txc);
    OSSafeReleaseNULL(ivars->rxs);
    OSSafeReleaseNULL(ivars->rxc);
    OSSafeReleaseNULL(ivars->pool);
    OSSafeReleaseNULL(ivars->queue);
    return super::Stop(provider, SUPERDISPATCH);
}

kern_return_t BenchProbeNic::SetInterfaceEnable_Impl(bool enable) {
    for (IOUserNetworkPacketQueue *queue : std::initializer_list<IOUserNetworkPacketQueue *>{
             ivars->txs, ivars->txc, ivars->rxs, ivars->rxc})
        queue->SetEnable(enable);
    if (!enable) {
        stop_timers();
        return kIOReturnSuccess;
    }
    const uint64_t now = clock_gettime_nsec_np(CLOCK_UPTIME_RAW);
    for (size_t i = 0; i < ivars->timers.size(); ++i) {
        ivars->firings[i] = 0;
        if (ivars->config.timers[i].firings > 0)
            ivars->timers[i]->WakeAtTime(kIOTimerClockUptimeRaw,
                                         now + ivars->config.timers[i].first_ns, 0);
    }
    return kIOReturnSuccess;
}

kern_return_t BenchProbeNic::SetPromiscuousModeEnable_Impl(bool) {
    return kIOReturnSuccess;
}
kern_return_t BenchProbeNic::SetAllMulticastModeEnable_Impl(bool) {
    return kIOReturnSuccess;
}
kern_return_t BenchProbeNic::SelectMediaType_Impl(IOUserNetworkMediaType mediaType) {
    return mediaType == kIOUserNetworkMediaEthernetAuto ? kIOReturnSuccess : kIOReturnUnsupported;
}
kern_return_t BenchProbeNic::SetWakeOnMagicPacketEnable_Impl(bool) {
    return kIOReturnUnsupported;
}
kern_return_t BenchProbeNic::SetMTU_Impl(uint32_t) {
    return kIOReturnSuccess;
}
kern_return_t BenchProbeNic::GetMaxTransferUnit_Impl(uint32_t *mtu) {
    *mtu = ivars->config.max_mtu;
    return kIOReturnSuccess;
}
kern_return_t BenchProbeNic::SetHardwareAssists_Impl(uint32_t hardwareAssists) {
    ivars->hardware_assists = hardwareAssists;
    return kIOReturnSuccess;
}
kern_return_t BenchProbeNic::GetHardwareAssists_Impl(uint32_t *hardwareAssists) {
    *hardwareAssists = ivars->hardware_assists;
    return kIOReturnSuccess;
}

void BenchProbeNic::Tick_Impl(OSAction *action, uint64_t time) {
    const uint32_t index = *static_cast<uint32_t *>(action->GetReference());
    const bench_probe::Timer &timer = ivars->config.timers[index];
    bench_probe::Event event;
    event.timer = index;
    event.firing = ++ivars->firings[index];
    event.deadline = time;
    event.now = clock_gettime_nsec_np(CLOCK_UPTIME_RAW);

    IOUserNetworkPacket *packet = nullptr;
    if (ivars->rxs->DequeuePacket(&packet) == kIOReturnSuccess) {
        uint8_t *frame =
            reinterpret_cast<uint8_t *>(packet->getDataVirtualAddress()) + packet->getDataOffset();
        std::memset(frame, 0xff, 6);
        std::memcpy(frame + 6, bench_probe::kMac, 6);
        frame[12] = 0x88;
        frame[13] = 0xb5;
        std::memset(frame + 14, 0, 46);
        frame[14] = uint8_t(index);
        frame[15] = uint8_t(event.firing);
        if (packet->setDataLength(ivars->config.rx_zero_length ? 0 : 60) == kIOReturnSuccess &&
            ivars->rxc->EnqueuePacket(packet) == kIOReturnSuccess)
            event.delivered = true;
        else
            ivars->pool->DeallocatePacket(packet);
    }
    {
        std::lock_guard lock(bench_probe::g_mutex);
        bench_probe::g_events.push_back(event);
    }
    if (event.firing < timer.firings)
        ivars->timers[index]->WakeAtTime(kIOTimerClockUptimeRaw, time + timer.period_ns, 0);
}

void BenchProbeNic::TxReady_Impl(OSAction *) {
    IOUserNetworkPacket *packets[16];
    uint32_t count = ivars->txs->DequeuePackets(packets, 16);
    for (uint32_t i = 0; i < count; ++i) {
        {
            std::lock_guard lock(bench_probe::g_mutex);
            bench_probe::g_transmitted.push_back(packets[i]->getDataLength());
        }
        switch (ivars->config.tx_mode) {
        case TxMode::complete:
            if (ivars->txc->EnqueuePacket(packets[i]) != kIOReturnSuccess)
                ivars->pool->DeallocatePacket(packets[i]);
            break;
        case TxMode::hold:
            break;
        case TxMode::rx_completion:
            if (ivars->rxc->EnqueuePacket(packets[i]) != kIOReturnSuccess)
                ivars->pool->DeallocatePacket(packets[i]);
            break;
        }
    }
}
#undef super
