// IOUserNetworkEthernet: interface registration through the family port and the legacy and
// NDK 2.x reporting API.

#include <netdext/iig_support.h>
#include <netdext/runtime.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "state.h"

using netdext::InterfaceState;
using netdext::QueueKind;
using netdext::shm::RingId;

struct IOUserNetworkEthernet_IVars {
    InterfaceState state;
};

NETDEXT_DEFINE_CLASS(IOUserNetworkEthernet, IOService, nullptr, 0)

kern_return_t IOUserNetworkEthernet::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    IOUserNetworkEthernet *self = static_cast<IOUserNetworkEthernet *>(object);
    switch (rpc.message->msgid) {
    case IOService_SetPowerState_ID:
        if (netdext::dispatch_to(rpc, [self](uint32_t powerstate) {
                return self->IOUserNetworkEthernet::SetPowerState_Impl(powerstate);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_Start_ID:
        if (netdext::dispatch_to(rpc, [self](IOService *provider) {
                return self->IOUserNetworkEthernet::Start_Impl(provider);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_Stop_ID:
        if (netdext::dispatch_to(rpc, [self](IOService *provider) {
                return self->IOUserNetworkEthernet::Stop_Impl(provider);
            }))
            return kIOReturnSuccess;
        break;
    case IOUserNetworkEthernet_ReportLinkStatus_ID:
        if (netdext::dispatch_to(rpc, [self](IOUserNetworkLinkStatus status,
                                             IOUserNetworkMediaType media) {
                return self->IOUserNetworkEthernet::ReportLinkStatus_Impl(status, media);
            }))
            return kIOReturnSuccess;
        break;
    case IOUserNetworkEthernet_ReportLinkQuality_ID:
        if (netdext::dispatch_to(rpc, [self](IOUserNetworkLinkQuality quality) {
                return self->IOUserNetworkEthernet::ReportLinkQuality_Impl(quality);
            }))
            return kIOReturnSuccess;
        break;
    case IOUserNetworkEthernet_ReportDataBandwidths_ID:
        if (netdext::dispatch_to(rpc, [self](uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
                return self->IOUserNetworkEthernet::ReportDataBandwidths_Impl(a, b, c, d);
            }))
            return kIOReturnSuccess;
        break;
    case IOUserNetworkEthernet_SetMulticastAddresses_ID:
        if (netdext::dispatch_to(rpc, [self](const IOUserNetworkMACAddress *addresses,
                                             uint32_t count) {
                return self->IOUserNetworkEthernet::SetMulticastAddresses_Impl(addresses, count);
            }))
            return kIOReturnSuccess;
        break;
    case IOUserNetworkEthernet_ReportNicProxyLimits_ID:
        if (netdext::dispatch_to(rpc, [self](nicproxy_limits_info_s limits) {
                return self->IOUserNetworkEthernet::ReportNicProxyLimits_Impl(limits);
            }))
            return kIOReturnSuccess;
        break;
    }
    return IOService::_Dispatch(object, rpc);
}

bool IOUserNetworkEthernet::init() {
    if (!IOService::init())
        return false;
    ivars = new IOUserNetworkEthernet_IVars;
    ivars->state.driver = this;
    return true;
}

// Undoes a registration: detaches the queues and tells the family. Safe to call twice.
static void unregister(IOUserNetworkEthernet *driver, InterfaceState &state) {
    if (!state.registered)
        return;
    state.registered = false;
    // DriverKit: a driver gives back every packet it took before its interface goes away.
    if (state.pool != nullptr) {
        uint32_t held = 0;
        for (const netdext::PacketState &packet : state.pool->packets)
            held += packet.held.load(std::memory_order_acquire) ? 1 : 0;
        if (held > 0)
            netdext::report_misuse(driver,
                                   "%u packet(s) still held by the driver when its interface was "
                                   "unregistered (leaked: never enqueued or deallocated)",
                                   held);
    }
    for (IOUserNetworkPacketQueue *queue : state.queues)
        if (queue != nullptr)
            queue->netdext_detach();
    if (state.pool != nullptr)
        state.pool->interface.store(nullptr, std::memory_order_release);
    if (netdext::FamilyPort *port = netdext::family_port())
        port->unregister_interface(driver);
    for (IOUserNetworkPacketQueue *&queue : state.queues)
        OSSafeReleaseNULL(queue);
    OSSafeReleaseNULL(state.pool_object);
    state.endpoint.reset();
    state.grant = netdext::InterfaceGrant{};
    state.pool = nullptr;
}

void IOUserNetworkEthernet::free() {
    if (ivars != nullptr) {
        unregister(this, ivars->state);
        delete ivars;
        ivars = nullptr;
    }
    IOService::free();
}

netdext::InterfaceState *IOUserNetworkEthernet::netdext_interface() const {
    return ivars ? &ivars->state : nullptr;
}

// ---- legacy LOCALONLY ------------------------------------------------------------------------

kern_return_t IOUserNetworkEthernet::SetTxPacketHeadroom(uint16_t numBytes) {
    ivars->state.descriptor.txPacketHeadroomBytes = numBytes;
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkEthernet::SetTxPacketTailroom(uint16_t numBytes) {
    ivars->state.descriptor.txPacketTailroomBytes = numBytes;
    return kIOReturnSuccess;
}

static void set_feature(InterfaceState &state, uint32_t flag, bool on) {
    uint32_t flags = state.descriptor.featureFlags;
    state.descriptor.featureFlags = on ? (flags | flag) : (flags & ~flag);
}

kern_return_t IOUserNetworkEthernet::SetWakeOnMagicPacketSupport(bool isSupported) {
    set_feature(ivars->state, kIOUserNetworkFeatureFlagWOMP, isSupported);
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkEthernet::SetSoftwareVlanSupport(bool isSupported) {
    set_feature(ivars->state, kIOUserNetworkFeatureFlagSoftwareVlan, isSupported);
    return kIOReturnSuccess;
}

static uint32_t power_of_two_at_least(uint32_t n) {
    uint32_t p = 1;
    while (p < n && p < (1u << 30))
        p <<= 1;
    return p;
}

kern_return_t IOUserNetworkEthernet::RegisterEthernetInterface(ether_addr_t macAddress,
                                                               IOUserNetworkPacketBufferPool *pool,
                                                               IOUserNetworkPacketQueue **queues,
                                                               uint32_t queueCount) {
    InterfaceState &state = ivars->state;
    std::lock_guard lock(state.mutex);
    if (state.registered)
        return kIOReturnBusy;
    if (pool == nullptr || queues == nullptr || queueCount != 4) {
        netdext::log_linef(netdext::LogLevel::error,
                           "RegisterEthernetInterface: needs a pool and exactly 4 queues (got %u)",
                           queueCount);
        return kIOReturnBadArgument;
    }
    // DriverKit: one queue of each kind, in any order, all on the same pool.
    std::array<IOUserNetworkPacketQueue *, 4> by_kind{};
    for (uint32_t i = 0; i < 4; ++i) {
        IOUserNetworkPacketQueue *queue = queues[i];
        if (queue == nullptr || queue->netdext_pool() != pool)
            return kIOReturnBadArgument;
        auto slot = static_cast<size_t>(queue->netdext_kind());
        if (by_kind[slot] != nullptr)
            return kIOReturnBadArgument;
        by_kind[slot] = queue;
    }
    netdext::FamilyPort *port = netdext::family_port();
    netdext::PoolState *pool_state = pool->netdext_state();
    if (port == nullptr || pool_state == nullptr)
        return kIOReturnNotReady;

    netdext::InterfaceRequest request;
    request.driver = this;
    request.pool_id = pool_state->grant.pool_id;
    request.mac = macAddress;
    request.feature_flags = state.descriptor.featureFlags;
    request.tx_headroom = state.descriptor.txPacketHeadroomBytes;
    request.tx_tailroom = state.descriptor.txPacketTailroomBytes;
    request.queues = by_kind;
    const uint32_t pool_ring = power_of_two_at_least(pool_state->grant.layout.usable_packet_count());
    auto ring_capacity = [&](QueueKind kind) {
        return power_of_two_at_least(by_kind[size_t(kind)]->netdext_capacity());
    };
    request.capacities[netdext::shm::ring_slot(RingId::TxSubmission)] = ring_capacity(QueueKind::tx_submission);
    request.capacities[netdext::shm::ring_slot(RingId::TxCompletion)] = ring_capacity(QueueKind::tx_completion);
    request.capacities[netdext::shm::ring_slot(RingId::RxSubmission)] = ring_capacity(QueueKind::rx_submission);
    request.capacities[netdext::shm::ring_slot(RingId::RxCompletion)] = ring_capacity(QueueKind::rx_completion);
    request.capacities[netdext::shm::ring_slot(RingId::Free)] = pool_ring;
    request.capacities[netdext::shm::ring_slot(RingId::Allocation)] = pool_ring;

    netdext::InterfaceGrant grant;
    kern_return_t kr = port->register_interface(request, grant);
    if (kr == kIOReturnNotPermitted)
        // DriverKit: the family refuses a dext without com.apple.developer.driverkit.family.
        // networking (the system side decides: netdextd, or the test bench's family).
        netdext::log_line(netdext::LogLevel::error,
                          "RegisterEthernetInterface: not permitted (the dext lacks the "
                          "entitlement com.apple.developer.driverkit.family.networking)");
    if (kr != kIOReturnSuccess)
        return kr;
    auto endpoint = netdext::shm::DriverEndpoint::attach(pool_state->grant.region,
                                                         pool_state->grant.layout,
                                                         grant.rings_region, grant.layout,
                                                         grant.doorbells);
    if (!endpoint) {
        netdext::log_linef(netdext::LogLevel::error,
                           "RegisterEthernetInterface: the rings the system granted do not match: "
                           "%s",
                           endpoint.error().describe().c_str());
        port->unregister_interface(this);
        return kIOReturnInternalError;
    }
    state.endpoint.emplace(endpoint.release_value());
    state.grant = std::move(grant);
    state.descriptor.macAddress = macAddress;
    state.bsd_name = state.grant.bsd_name;
    state.unit = state.grant.unit;
    state.pool = pool_state;
    pool->retain();
    state.pool_object = pool;
    static constexpr RingId kRings[4] = {RingId::TxSubmission, RingId::TxCompletion,
                                         RingId::RxSubmission, RingId::RxCompletion};
    for (size_t i = 0; i < 4; ++i) {
        by_kind[i]->retain();
        state.queues[i] = by_kind[i];
        state.attachments[i] = netdext::QueueAttachment{&*state.endpoint, kRings[i], pool_state, &state};
    }
    pool_state->interface.store(&state, std::memory_order_release);
    state.registered = true;
    for (size_t i = 0; i < 4; ++i) {
        by_kind[i]->netdext_attach(&state.attachments[i]);
        if (by_kind[i]->netdext_enabled())
            port->queue_enable_changed(this, QueueKind(i), true);
    }
    // The submission queues start empty and waiting: ask the system to ring the doorbell on the
    // first packet (afterwards DequeuePackets re-arms whenever it empties a ring).
    for (QueueKind kind : {QueueKind::tx_submission, QueueKind::rx_submission}) {
        RingId ring = state.attachments[size_t(kind)].ring;
        if (!state.endpoint->prepare_to_sleep(ring))
            by_kind[size_t(kind)]->netdext_packets_available();
    }
    if (!state.media_types.empty())
        port->report_media_types(this, state.media_types);
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkEthernet::RegisterEthernetInterface(IOUserNetworkMACAddress macAddress,
                                                               IOUserNetworkPacketBufferPool *pool,
                                                               IOUserNetworkPacketQueue **queues,
                                                               uint32_t queueCount) {
    ether_addr_t mac{};
    std::memcpy(mac.octet, macAddress.octet, sizeof mac.octet);
    return RegisterEthernetInterface(mac, pool, queues, queueCount);
}

kern_return_t IOUserNetworkEthernet::ReportAvailableMediaTypes(
    const IOUserNetworkMediaType *mediaTypes, uint32_t count) {
    if (mediaTypes == nullptr && count > 0)
        return kIOReturnBadArgument;
    InterfaceState &state = ivars->state;
    state.media_types.assign(mediaTypes, mediaTypes + count);
    if (state.registered)
        if (netdext::FamilyPort *port = netdext::family_port())
            port->report_media_types(this, state.media_types);
    return kIOReturnSuccess;
}

void IOUserNetworkEthernet::hwConfigNicProxyData(offload_info_s *) {}

// ---- legacy dispatchable: entry points -------------------------------------------------------

#define NETDEXT_ENTRY(Name, ...)                                                                  \
    if (supermethod == nullptr)                                                                   \
        return Name##_Impl(__VA_ARGS__);

kern_return_t IOUserNetworkEthernet::ReportLinkStatus(IOUserNetworkLinkStatus linkStatus,
                                                      IOUserNetworkMediaType activeMediaType,
                                                      OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(ReportLinkStatus, linkStatus, activeMediaType)
    return netdext::call_super<kern_return_t, IOUserNetworkLinkStatus, IOUserNetworkMediaType>(
        this, IOUserNetworkEthernet_ReportLinkStatus_ID, supermethod, linkStatus, activeMediaType);
}
kern_return_t IOUserNetworkEthernet::ReportLinkQuality(IOUserNetworkLinkQuality linkQuality,
                                                       OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(ReportLinkQuality, linkQuality)
    return netdext::call_super<kern_return_t, IOUserNetworkLinkQuality>(
        this, IOUserNetworkEthernet_ReportLinkQuality_ID, supermethod, linkQuality);
}
kern_return_t IOUserNetworkEthernet::ReportDataBandwidths(uint64_t maxIn, uint64_t maxOut,
                                                          uint64_t effIn, uint64_t effOut,
                                                          OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(ReportDataBandwidths, maxIn, maxOut, effIn, effOut)
    return netdext::call_super<kern_return_t, uint64_t, uint64_t, uint64_t, uint64_t>(
        this, IOUserNetworkEthernet_ReportDataBandwidths_ID, supermethod, maxIn, maxOut, effIn,
        effOut);
}
kern_return_t IOUserNetworkEthernet::SetInterfaceEnable(bool isEnable, OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(SetInterfaceEnable, isEnable)
    return netdext::call_super<kern_return_t, bool>(
        this, IOUserNetworkEthernet_SetInterfaceEnable_ID, supermethod, isEnable);
}
kern_return_t IOUserNetworkEthernet::SetPromiscuousModeEnable(bool enable,
                                                              OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(SetPromiscuousModeEnable, enable)
    return netdext::call_super<kern_return_t, bool>(
        this, IOUserNetworkEthernet_SetPromiscuousModeEnable_ID, supermethod, enable);
}
kern_return_t IOUserNetworkEthernet::SetMulticastAddresses(const IOUserNetworkMACAddress *addresses,
                                                           uint32_t count,
                                                           OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(SetMulticastAddresses, addresses, count)
    return netdext::call_super<kern_return_t, const IOUserNetworkMACAddress *, uint32_t>(
        this, IOUserNetworkEthernet_SetMulticastAddresses_ID, supermethod, addresses, count);
}
kern_return_t IOUserNetworkEthernet::SetAllMulticastModeEnable(bool enable,
                                                               OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(SetAllMulticastModeEnable, enable)
    return netdext::call_super<kern_return_t, bool>(
        this, IOUserNetworkEthernet_SetAllMulticastModeEnable_ID, supermethod, enable);
}
kern_return_t IOUserNetworkEthernet::SelectMediaType(IOUserNetworkMediaType mediaType,
                                                     OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(SelectMediaType, mediaType)
    return netdext::call_super<kern_return_t, IOUserNetworkMediaType>(
        this, IOUserNetworkEthernet_SelectMediaType_ID, supermethod, mediaType);
}
kern_return_t IOUserNetworkEthernet::SetWakeOnMagicPacketEnable(bool enable,
                                                                OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(SetWakeOnMagicPacketEnable, enable)
    return netdext::call_super<kern_return_t, bool>(
        this, IOUserNetworkEthernet_SetWakeOnMagicPacketEnable_ID, supermethod, enable);
}
kern_return_t IOUserNetworkEthernet::SetMTU(uint32_t mtu, OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(SetMTU, mtu)
    return netdext::call_super<kern_return_t, uint32_t>(this, IOUserNetworkEthernet_SetMTU_ID,
                                                        supermethod, mtu);
}
kern_return_t IOUserNetworkEthernet::GetMaxTransferUnit(uint32_t *mtu,
                                                        OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(GetMaxTransferUnit, mtu)
    return netdext::call_super<kern_return_t, uint32_t *>(
        this, IOUserNetworkEthernet_GetMaxTransferUnit_ID, supermethod, mtu);
}
kern_return_t IOUserNetworkEthernet::SetHardwareAssists(uint32_t hardwareAssists,
                                                        OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(SetHardwareAssists, hardwareAssists)
    return netdext::call_super<kern_return_t, uint32_t>(
        this, IOUserNetworkEthernet_SetHardwareAssists_ID, supermethod, hardwareAssists);
}
kern_return_t IOUserNetworkEthernet::GetHardwareAssists(uint32_t *hardwareAssists,
                                                        OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(GetHardwareAssists, hardwareAssists)
    return netdext::call_super<kern_return_t, uint32_t *>(
        this, IOUserNetworkEthernet_GetHardwareAssists_ID, supermethod, hardwareAssists);
}
kern_return_t IOUserNetworkEthernet::ReportNicProxyLimits(nicproxy_limits_info_s limits,
                                                          OSDispatchMethod supermethod) {
    NETDEXT_ENTRY(ReportNicProxyLimits, limits)
    return netdext::call_super<kern_return_t, nicproxy_limits_info_s>(
        this, IOUserNetworkEthernet_ReportNicProxyLimits_ID, supermethod, limits);
}
#undef NETDEXT_ENTRY

// ---- legacy dispatchable: base implementations -----------------------------------------------

// Start, Stop and SetPowerState come from the system as dispatchable calls; the family passes
// them to the lower-case methods, whose defaults do the IOService work — so a driver may
// override either form, and a lower-case override chains to super:: as usual.
kern_return_t IOUserNetworkEthernet::Start_Impl(IOService *provider) {
    return start(provider) ? kIOReturnSuccess : kIOReturnError;
}

kern_return_t IOUserNetworkEthernet::SetPowerState_Impl(uint32_t powerstate) {
    return setPowerState(powerstate, nullptr);
}

kern_return_t IOUserNetworkEthernet::Stop_Impl(IOService *provider) {
    stop(provider);
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkEthernet::ReportLinkStatus_Impl(IOUserNetworkLinkStatus linkStatus,
                                                           IOUserNetworkMediaType activeMediaType) {
    InterfaceState &state = ivars->state;
    bool active = (linkStatus & kIOUserNetworkLinkStatusActive) == kIOUserNetworkLinkStatusActive;
    if (active && !state.media_types.empty() &&
        std::find(state.media_types.begin(), state.media_types.end(), activeMediaType) ==
            state.media_types.end()) {
        // DriverKit: the active medium must be one of those reported as available.
        netdext::log_linef(netdext::LogLevel::error,
                           "ReportLinkStatus: medium 0x%x was not reported as available",
                           activeMediaType);
        return kIOReturnBadArgument;
    }
    state.link_status = linkStatus;
    state.active_media = activeMediaType;
    if (netdext::FamilyPort *port = netdext::family_port())
        port->report_link_status(this, linkStatus, activeMediaType);
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkEthernet::ReportLinkQuality_Impl(IOUserNetworkLinkQuality linkQuality) {
    if (netdext::FamilyPort *port = netdext::family_port())
        port->report_link_quality(this, int32_t(linkQuality));
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkEthernet::ReportDataBandwidths_Impl(uint64_t maxIn, uint64_t maxOut,
                                                               uint64_t effIn, uint64_t effOut) {
    if (netdext::FamilyPort *port = netdext::family_port())
        port->report_data_bandwidths(this, maxIn, maxOut, effIn, effOut);
    return kIOReturnSuccess;
}

// DriverKit 20.4: deprecated in favour of setMulticastAddresses, which it calls.
kern_return_t IOUserNetworkEthernet::SetMulticastAddresses_Impl(
    const IOUserNetworkMACAddress *addresses, uint32_t count) {
    static_assert(sizeof(IOUserNetworkMACAddress) == sizeof(ether_addr_t));
    if (addresses == nullptr && count > 0)
        return kIOReturnBadArgument;
    std::vector<ether_addr_t> list(count);
    for (uint32_t i = 0; i < count; ++i)
        std::memcpy(list[i].octet, addresses[i].octet, sizeof list[i].octet);
    return setMulticastAddresses(list.data(), count);
}

kern_return_t IOUserNetworkEthernet::ReportNicProxyLimits_Impl(nicproxy_limits_info_s) {
    return kIOReturnSuccess; // Linux has no NIC proxy offload to configure
}

// DriverKit: `= 0` in Apple's DriverKit 19/20 .iig (no family implementation); current SDKs
// pair each with a lower-case method, which is what these defaults call.
kern_return_t IOUserNetworkEthernet::SetInterfaceEnable_Impl(bool isEnable) {
    return setInterfaceEnable(isEnable);
}
kern_return_t IOUserNetworkEthernet::SetPromiscuousModeEnable_Impl(bool enable) {
    return setPromiscuousModeEnable(enable);
}
kern_return_t IOUserNetworkEthernet::SetAllMulticastModeEnable_Impl(bool enable) {
    return setAllMulticastModeEnable(enable);
}
kern_return_t IOUserNetworkEthernet::SelectMediaType_Impl(IOUserNetworkMediaType mediaType) {
    return handleChosenMedia(mediaType);
}
kern_return_t IOUserNetworkEthernet::SetWakeOnMagicPacketEnable_Impl(bool) {
    return kIOReturnUnsupported; // no lower-case counterpart: a driver without WOMP support
}
kern_return_t IOUserNetworkEthernet::SetMTU_Impl(uint32_t mtu) { return setMaxTransferUnit(mtu); }
kern_return_t IOUserNetworkEthernet::GetMaxTransferUnit_Impl(uint32_t *mtu) {
    if (mtu == nullptr)
        return kIOReturnBadArgument;
    *mtu = getMaxTransferUnit();
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkEthernet::SetHardwareAssists_Impl(uint32_t hardwareAssists) {
    return setHardwareAssists(hardwareAssists, ~0u);
}
kern_return_t IOUserNetworkEthernet::GetHardwareAssists_Impl(uint32_t *hardwareAssists) {
    if (hardwareAssists == nullptr)
        return kIOReturnBadArgument;
    *hardwareAssists = getHardwareAssists();
    return kIOReturnSuccess;
}

// ---- NDK 2.x --------------------------------------------------------------------------------

IOReturn IOUserNetworkEthernet::registerEthernetInterface(ether_addr_t macAddress,
                                                          IOUserNetworkPacketQueue **queues,
                                                          uint32_t numQueues,
                                                          IOUserNetworkPacketBufferPool *txPool,
                                                          IOUserNetworkPacketBufferPool *rxPool) {
    if (txPool != rxPool && rxPool != nullptr) {
        // FIXME: separate TX and RX pools need two pool regions per interface.
        netdext::log_line(netdext::LogLevel::error,
                          "registerEthernetInterface: separate TX and RX pools are not supported");
        return kIOReturnUnsupported;
    }
    kern_return_t kr = RegisterEthernetInterface(macAddress, txPool, queues, numQueues);
    if (kr != kIOReturnSuccess || !ivars->state.media_types.empty())
        return kr;
    // NDK 2.x: the family asks the driver for its media instead of being told them.
    MediaWord media[32];
    uint32_t count = sizeof media / sizeof media[0];
    if (getSupportedMediaArray(media, &count) == kIOReturnSuccess && count > 0)
        (void)ReportAvailableMediaTypes(media, count);
    return kr;
}

IOReturn IOUserNetworkEthernet::registerEthernetInterface(IOUserNetworkPacketQueue **queues,
                                                          uint32_t numQueues,
                                                          IOUserNetworkPacketBufferPool *txPool,
                                                          IOUserNetworkPacketBufferPool *rxPool) {
    ether_addr_t mac{};
    IOReturn kr = getHardwareAddress(&mac);
    if (kr != kIOReturnSuccess)
        return kr;
    return registerEthernetInterface(mac, queues, numQueues, txPool, rxPool);
}

// The lower-case defaults: what the family itself does (they never call the capital-letter
// methods' _Impl, which call them). Observed on macOS: drivers chain their setInterfaceEnable to
// super and rely on it for the queues, and getMaxTransferUnit's default is Ethernet's MTU.
IOReturn IOUserNetworkEthernet::setInterfaceEnable(bool enable) {
    InterfaceState &state = ivars->state;
    std::array<IOUserNetworkPacketQueue *, 4> queues{};
    {
        std::lock_guard lock(state.mutex);
        if (!state.registered)
            return kIOReturnSuccess;
        for (size_t i = 0; i < 4; ++i) {
            queues[i] = state.queues[i];
            if (queues[i] != nullptr)
                queues[i]->retain();
        }
    }
    IOReturn result = kIOReturnSuccess;
    for (IOUserNetworkPacketQueue *queue : queues) {
        if (queue == nullptr)
            continue;
        IOReturn kr = queue->SetEnable(enable);
        if (result == kIOReturnSuccess)
            result = kr;
        queue->release();
    }
    return result;
}
IOReturn IOUserNetworkEthernet::setPromiscuousModeEnable(bool) { return kIOReturnSuccess; }
IOReturn IOUserNetworkEthernet::setAllMulticastModeEnable(bool) { return kIOReturnSuccess; }
IOReturn IOUserNetworkEthernet::setMulticastAddresses(const ether_addr_t *addresses,
                                                      uint32_t count) {
    return addresses == nullptr && count > 0 ? kIOReturnBadArgument : kIOReturnSuccess;
}

IOReturn IOUserNetworkEthernet::getSupportedMediaArray(MediaWord *mediaArray,
                                                       uint32_t *mediaCount) {
    if (mediaCount == nullptr)
        return kIOReturnBadArgument;
    const auto &media = ivars->state.media_types;
    if (mediaArray == nullptr) {
        *mediaCount = uint32_t(media.size());
        return kIOReturnSuccess;
    }
    uint32_t n = std::min<uint32_t>(*mediaCount, uint32_t(media.size()));
    std::copy_n(media.begin(), n, mediaArray);
    *mediaCount = n;
    return kIOReturnSuccess;
}

IOReturn IOUserNetworkEthernet::handleChosenMedia(MediaWord) {
    return kIOReturnUnsupported; // the family cannot switch the hardware's medium
}

MediaWord IOUserNetworkEthernet::getInitialMedia() { return kIOUserNetworkMediaEthernetAuto; }

IOReturn IOUserNetworkEthernet::reportLinkStatus(LinkStatus linkStatus, MediaWord activeMediaType) {
    return ReportLinkStatus(linkStatus, activeMediaType);
}
IOReturn IOUserNetworkEthernet::reportLinkQuality(LinkQuality linkQuality) {
    return ReportLinkQuality(linkQuality);
}
IOReturn IOUserNetworkEthernet::reportDataBandwidths(uint64_t maxIn, uint64_t maxOut,
                                                     uint64_t effIn, uint64_t effOut) {
    return ReportDataBandwidths(maxIn, maxOut, effIn, effOut);
}
IOReturn IOUserNetworkEthernet::setMaxTransferUnit(uint32_t mtu) {
    // The family accepts any MTU up to the maximum (a driver with a hardware limit overrides).
    uint32_t max = 0;
    if (GetMaxTransferUnit(&max) != kIOReturnSuccess || max == 0)
        max = ETHERMTU;
    return mtu <= max ? kIOReturnSuccess : kIOReturnBadArgument;
}
uint32_t IOUserNetworkEthernet::getMaxTransferUnit() { return ETHERMTU; }
uint32_t IOUserNetworkEthernet::getHardwareAssists() { return 0; }
IOReturn IOUserNetworkEthernet::setHardwareAssists(uint32_t) { return kIOReturnSuccess; }
IOReturn IOUserNetworkEthernet::setHardwareAssists(uint32_t hardwareAssists, uint32_t mask) {
    if (mask == ~0u)
        return setHardwareAssists(hardwareAssists);
    uint32_t current = 0;
    if (GetHardwareAssists(&current) != kIOReturnSuccess)
        current = 0;
    return setHardwareAssists((current & ~mask) | (hardwareAssists & mask));
}
IOReturn IOUserNetworkEthernet::getTSOOptions(IOUserNetworkTSOOptions *options) {
    if (options == nullptr)
        return kIOReturnBadArgument;
    std::memset(options, 0, sizeof *options);
    return kIOReturnSuccess;
}
uint16_t IOUserNetworkEthernet::getTxDataOffset() {
    return ivars->state.descriptor.txPacketHeadroomBytes;
}
uint32_t IOUserNetworkEthernet::getFeatureFlags() { return ivars->state.descriptor.featureFlags; }
uint32_t IOUserNetworkEthernet::getInterfaceSubFamily() { return IFNET_SUBFAMILY_ANY; }
const char *IOUserNetworkEthernet::getBSDName() const { return ivars->state.bsd_name.c_str(); }
const char *IOUserNetworkEthernet::getBSDNamePrefix() { return ivars->state.bsd_prefix.c_str(); }
int32_t IOUserNetworkEthernet::getBSDUnitNumber() { return ivars->state.unit; }
IOReturn IOUserNetworkEthernet::getHardwareAddress(ether_addr_t *addr) {
    if (addr == nullptr)
        return kIOReturnBadArgument;
    *addr = ivars->state.descriptor.macAddress;
    return kIOReturnSuccess;
}
IOReturn IOUserNetworkEthernet::setHardwareAddress(ether_addr_t *addr) {
    if (addr == nullptr)
        return kIOReturnBadArgument;
    if (ivars->state.registered)
        return kIOReturnBusy; // FIXME: changing the MAC of a registered interface
    ivars->state.descriptor.macAddress = *addr;
    return kIOReturnSuccess;
}
// netdext: every interface is a TAP that tcpdump/tshark can capture on; there is no per-driver BPF.
IOReturn IOUserNetworkEthernet::bpfAttach(uint32_t, uint32_t) { return kIOReturnSuccess; }
int IOUserNetworkEthernet::bpfTap(uint32_t, uint32_t) { return 0; }
void IOUserNetworkEthernet::bpfTapInputPacket(uint32_t, IOUserNetworkPacket *, void *, size_t) {}
void IOUserNetworkEthernet::bpfTapOutputPacket(uint32_t, IOUserNetworkPacket *, void *, size_t) {}
IOReturn IOUserNetworkEthernet::addHardwareCountsWithInterfaceStatistics(
    const IOUserNetworkHardwareCounts *stats) {
    return stats != nullptr ? kIOReturnSuccess : kIOReturnBadArgument;
}
IOReturn IOUserNetworkEthernet::reportNicProxyLimits(nicproxy_limits_info_t limits) {
    return ReportNicProxyLimits(limits);
}
IOReturn IOUserNetworkEthernet::processInterfaceCommand(ifdrv_t *) { return kIOReturnUnsupported; }
IOReturn IOUserNetworkEthernet::updateInterfaceDescriptor() { return kIOReturnSuccess; }
IOReturn IOUserNetworkEthernet::setPowerState(unsigned long powerState, IOService *) {
    return SetPowerState(uint32_t(powerState), (OSDispatchMethod)&IOService::_Dispatch);
}
bool IOUserNetworkEthernet::start(IOService *provider) {
    return Start(provider, (OSDispatchMethod)&IOService::_Dispatch) == kIOReturnSuccess;
}
// Unregisters the interface (the system tears it down when the service stops), then IOService.
void IOUserNetworkEthernet::stop(IOService *provider) {
    {
        std::lock_guard lock(ivars->state.mutex);
        unregister(this, ivars->state);
    }
    (void)Stop(provider, (OSDispatchMethod)&IOService::_Dispatch);
}
