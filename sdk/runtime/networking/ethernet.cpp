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
    uint32_t held = 0;
    for (netdext::PoolState *pool : state.pools)
        for (const netdext::PacketState &packet : pool->packets)
            held += packet.held.load(std::memory_order_acquire) ? 1 : 0;
    if (held > 0)
        netdext::report_misuse(driver,
                               "%u packet(s) still held by the driver when its interface was "
                               "unregistered (leaked: never enqueued or deallocated)",
                               held);
    for (IOUserNetworkPacketQueue *queue : state.queues)
        queue->netdext_detach();
    for (netdext::PoolState *pool : state.pools)
        pool->endpoint.store(nullptr, std::memory_order_release);
    if (netdext::FamilyPort *port = netdext::family_port())
        port->unregister_interface(driver);
    for (IOUserNetworkPacketQueue *&queue : state.queues)
        OSSafeReleaseNULL(queue);
    for (IOUserNetworkPacketBufferPool *&pool : state.pool_objects)
        OSSafeReleaseNULL(pool);
    state.queues.clear();
    state.pool_objects.clear();
    state.attachments.clear();
    state.endpoints.clear();
    state.grant = netdext::InterfaceGrant{};
    state.pools.clear();
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
    // DriverKit (legacy): exactly one queue of each kind, in any order, all on the same pool.
    if (pool == nullptr || queues == nullptr || queueCount != 4) {
        netdext::log_linef(netdext::LogLevel::error,
                           "RegisterEthernetInterface: needs a pool and exactly 4 queues (got %u; "
                           "registerEthernetInterface takes more)",
                           queueCount);
        return kIOReturnBadArgument;
    }
    return netdext_register(macAddress, queues, queueCount, pool, pool);
}

// Checks and groups the queues of a registration: every kind at least once, at most
// kMaxQueueSets of each; TX queues on txPool, RX queues on rxPool. Logs why not.
static bool group_queues(IOUserNetworkPacketQueue **queues, uint32_t count,
                         IOUserNetworkPacketBufferPool *tx_pool,
                         IOUserNetworkPacketBufferPool *rx_pool,
                         std::vector<netdext::QueueBinding> &bindings,
                         std::array<uint32_t, 4> &per_kind) {
    using netdext::shm::kMaxQueueSets;
    per_kind = {};
    for (uint32_t i = 0; i < count; ++i) {
        IOUserNetworkPacketQueue *queue = queues[i];
        if (queue == nullptr) {
            netdext::log_linef(netdext::LogLevel::error,
                               "registerEthernetInterface: queue %u is NULL", i);
            return false;
        }
        for (const netdext::QueueBinding &seen : bindings)
            if (seen.queue == queue) {
                netdext::log_linef(netdext::LogLevel::error,
                                   "registerEthernetInterface: queue %u is listed twice", i);
                return false;
            }
        QueueKind kind = queue->netdext_kind();
        const bool tx = kind == QueueKind::tx_submission || kind == QueueKind::tx_completion;
        IOUserNetworkPacketBufferPool *expected = tx ? tx_pool : rx_pool;
        if (queue->netdext_pool() != expected) {
            netdext::log_linef(netdext::LogLevel::error,
                               "registerEthernetInterface: queue %u (%s) was created on another "
                               "pool than the %s pool",
                               i, tx ? "TX" : "RX", tx ? "TX" : "RX");
            return false;
        }
        uint32_t &n = per_kind[size_t(kind)];
        if (n == kMaxQueueSets) {
            netdext::log_linef(netdext::LogLevel::error,
                               "registerEthernetInterface: more than %u queues of one kind",
                               kMaxQueueSets);
            return false;
        }
        const uint32_t lane = (!tx && rx_pool != tx_pool) ? 1 : 0;
        bindings.push_back(netdext::QueueBinding{queue, kind, lane, n++});
    }
    for (uint32_t n : per_kind)
        if (n == 0) {
            netdext::log_line(netdext::LogLevel::error,
                              "registerEthernetInterface: needs at least one queue of each kind "
                              "(TX/RX submission and completion)");
            return false;
        }
    return true;
}

kern_return_t IOUserNetworkEthernet::netdext_register(ether_addr_t macAddress,
                                                      IOUserNetworkPacketQueue **queues,
                                                      uint32_t queueCount,
                                                      IOUserNetworkPacketBufferPool *txPool,
                                                      IOUserNetworkPacketBufferPool *rxPool) {
    using netdext::shm::QueueSetCapacities;
    InterfaceState &state = ivars->state;
    std::lock_guard lock(state.mutex);
    if (state.registered)
        return kIOReturnBusy;
    if (txPool == nullptr || rxPool == nullptr || queues == nullptr)
        return kIOReturnBadArgument;
    std::vector<netdext::QueueBinding> bindings;
    std::array<uint32_t, 4> per_kind{};
    if (!group_queues(queues, queueCount, txPool, rxPool, bindings, per_kind))
        return kIOReturnBadArgument;
    netdext::FamilyPort *port = netdext::family_port();
    std::vector<IOUserNetworkPacketBufferPool *> pools = {txPool};
    if (rxPool != txPool)
        pools.push_back(rxPool);
    for (IOUserNetworkPacketBufferPool *pool : pools) {
        netdext::PoolState *pool_state = pool->netdext_state();
        if (port == nullptr || pool_state == nullptr)
            return kIOReturnNotReady;
        if (pool_state->endpoint.load(std::memory_order_acquire) != nullptr) {
            netdext::log_line(netdext::LogLevel::error,
                              "registerEthernetInterface: a pool serves one interface (this one "
                              "is registered already)");
            return kIOReturnBusy;
        }
    }

    netdext::InterfaceRequest request;
    request.driver = this;
    request.mac = macAddress;
    request.feature_flags = state.descriptor.featureFlags;
    request.tx_headroom = state.descriptor.txPacketHeadroomBytes;
    request.tx_tailroom = state.descriptor.txPacketTailroomBytes;
    request.queues = bindings;
    // The hardware assists the driver declares (legacy GetHardwareAssists, whose default asks
    // NDK 2.x getHardwareAssists) and its TSO limit: the system offers those offloads.
    uint32_t assists = 0;
    if (GetHardwareAssists(&assists) == kIOReturnSuccess)
        request.hardware_assists = assists;
    IOUserNetworkTSOOptions tso{};
    if ((assists & (kIOUserNetworkHWAssistTSO4 | kIOUserNetworkHWAssistTSO6)) != 0 &&
        getTSOOptions(&tso) == kIOReturnSuccess)
        // The largest TSO packet either family takes (0: not given); the system's one limit is
        // the smaller.
        request.tso_max_bytes = tso.tso_mtu4 == 0   ? tso.tso_mtu6
                                : tso.tso_mtu6 == 0 ? tso.tso_mtu4
                                                    : std::min(tso.tso_mtu4, tso.tso_mtu6);
    for (uint32_t lane = 0; lane < pools.size(); ++lane) {
        netdext::PoolState *pool_state = pools[lane]->netdext_state();
        netdext::LaneRequest &r = request.lanes.emplace_back();
        r.pool_id = pool_state->grant.pool_id;
        uint32_t sets = 1;
        for (const netdext::QueueBinding &b : bindings)
            if (b.lane == lane) {
                ++r.queue_counts[size_t(b.kind)];
                sets = std::max(sets, b.index + 1);
            }
        // Placeholders (capacity 1) for kinds this lane lacks; each queue's ring holds its
        // capacity rounded up to a power of two.
        r.capacities.fill(1);
        r.more.assign(sets - 1, QueueSetCapacities{1, 1, 1, 1});
        for (const netdext::QueueBinding &b : bindings) {
            if (b.lane != lane)
                continue;
            uint32_t capacity = power_of_two_at_least(b.queue->netdext_capacity());
            if (b.index == 0)
                r.capacities[size_t(b.kind)] = capacity;
            else
                r.more[b.index - 1][size_t(b.kind)] = capacity;
        }
        const uint32_t pool_ring =
            power_of_two_at_least(pool_state->grant.layout.usable_packet_count());
        r.capacities[netdext::shm::ring_slot(RingId::Free)] = pool_ring;
        r.capacities[netdext::shm::ring_slot(RingId::Allocation)] = pool_ring;
    }

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
    std::vector<std::unique_ptr<netdext::shm::DriverEndpoint>> endpoints;
    for (uint32_t lane = 0; lane < pools.size(); ++lane) {
        netdext::PoolState *pool_state = pools[lane]->netdext_state();
        auto endpoint = lane < grant.lanes.size()
                            ? netdext::shm::DriverEndpoint::attach(
                                  pool_state->grant.region, pool_state->grant.layout,
                                  grant.lanes[lane].rings_region, grant.lanes[lane].layout,
                                  grant.lanes[lane].doorbells)
                            : netdext::shm::Result<netdext::shm::DriverEndpoint>(
                                  netdext::shm::Error::from_code(
                                      netdext::shm::ErrorCode::LayoutMismatch, "lane missing"));
        if (!endpoint) {
            netdext::log_linef(netdext::LogLevel::error,
                               "RegisterEthernetInterface: the rings the system granted do not "
                               "match: %s",
                               endpoint.error().describe().c_str());
            port->unregister_interface(this);
            return kIOReturnInternalError;
        }
        endpoints.push_back(
            std::make_unique<netdext::shm::DriverEndpoint>(endpoint.release_value()));
    }
    state.endpoints = std::move(endpoints);
    state.grant = std::move(grant);
    state.descriptor.macAddress = macAddress;
    state.bsd_name = state.grant.bsd_name;
    state.unit = state.grant.unit;
    for (IOUserNetworkPacketBufferPool *pool : pools) {
        pool->retain();
        state.pool_objects.push_back(pool);
        state.pools.push_back(pool->netdext_state());
    }
    for (const netdext::QueueBinding &b : bindings) {
        b.queue->retain();
        state.queues.push_back(b.queue);
        state.attachments.push_back(std::make_unique<netdext::QueueAttachment>(
            netdext::QueueAttachment{state.endpoints[b.lane].get(),
                                     netdext::shm::queue_ring(RingId(b.kind), b.index),
                                     state.pools[b.lane], &state, b.index}));
    }
    for (size_t lane = 0; lane < state.pools.size(); ++lane)
        state.pools[lane]->endpoint.store(state.endpoints[lane].get(), std::memory_order_release);
    state.registered = true;
    for (size_t i = 0; i < state.queues.size(); ++i) {
        state.queues[i]->netdext_attach(state.attachments[i].get());
        if (state.queues[i]->netdext_enabled())
            port->queue_enable_changed(this, bindings[i].kind, bindings[i].index, true);
    }
    // The submission queues start empty and waiting: ask the system to ring the doorbell on the
    // first packet (afterwards DequeuePackets re-arms whenever it empties a ring).
    for (size_t i = 0; i < state.queues.size(); ++i) {
        QueueKind kind = bindings[i].kind;
        if (kind != QueueKind::tx_submission && kind != QueueKind::rx_submission)
            continue;
        const netdext::QueueAttachment &attachment = *state.attachments[i];
        if (!attachment.endpoint->prepare_to_sleep(attachment.ring))
            state.queues[i]->netdext_packets_available();
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
    // NDK 2.x: any number of queues of each kind (at least one); a NULL rxPool shares txPool.
    kern_return_t kr = netdext_register(macAddress, queues, numQueues, txPool,
                                        rxPool != nullptr ? rxPool : txPool);
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
    std::vector<IOUserNetworkPacketQueue *> queues;
    {
        std::lock_guard lock(state.mutex);
        if (!state.registered)
            return kIOReturnSuccess;
        queues = state.queues;
        for (IOUserNetworkPacketQueue *queue : queues)
            queue->retain();
    }
    IOReturn result = kIOReturnSuccess;
    for (IOUserNetworkPacketQueue *queue : queues) {
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
