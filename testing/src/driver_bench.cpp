// DriverBench: runs a driver class as the system would, against FakeFamily and a virtual clock.

#include <netdext/testing/driver_bench.h>

#include <netdext/bundle/bundle.h>
#include <netdext/bundle/registry_properties.h>
#include <netdext/codesign/signature.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>
#include <netdext/system_calls.h>

#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "../../sdk/runtime/networking/state.h"
#include "bench_devices.h"
#include "fake_family.h"

namespace netdext::testing {

DriverBench::DriverBench(BenchOptions options)
    : m_options(std::move(options)), m_family(std::make_unique<FakeFamily>()),
      m_devices(std::make_unique<BenchDevices>()) {
    set_boot_args(m_options.boot_args);
    m_family->set_auto_restock(m_options.auto_restock_rx);
    FakeFamily *family = m_family.get();
    bool echo = m_options.echo_logs;
    set_log_sink([family, echo](const LogRecord &record) {
        {
            std::lock_guard lock(family->mutex);
            family->logs.emplace_back(record.message);
        }
        if (echo)
            std::fprintf(stderr, "[bench] %s\n", record.message);
    });
    m_sync_onto_self_start = runtime_stats().sync_onto_self.load();
}

DriverBench::~DriverBench() {
    if (m_service != nullptr)
        stop();
    m_devices->release_device();
    wait_until_idle();
    set_log_sink(nullptr);
    OSSafeReleaseNULL(m_properties);
    m_family.reset();
    // The image stays loaded: classes it registered may still be referenced by the runtime.
}

bool DriverBench::load_bundle(const std::string &dext_path, std::string *error) {
    bundle::LoadError load_error;
    auto bundle = bundle::read_bundle(dext_path, load_error);
    auto fail = [&](const std::string &message) {
        if (error != nullptr)
            *error = message;
        log_linef(LogLevel::error, "DriverBench: %s", message.c_str());
        return false;
    };
    if (!bundle)
        return fail(load_error.message);
    if (bundle->personalities.empty())
        return fail(dext_path + ": Info.plist has no IOKitPersonalities");
    // Before any of its code runs (dlopen runs its initialisers): the signature and the
    // entitlements, as netdextd checks them at activation.
    std::optional<codesign::TrustStore> trust;
    if (!m_options.trust_dir.empty()) {
        std::string trust_error;
        trust = codesign::TrustStore::open(m_options.trust_dir, false, trust_error);
        if (!trust)
            return fail("trust store " + trust_error);
    }
    codesign::LaunchPolicy policy;
    policy.trust = trust ? &*trust : nullptr;
    policy.allow_unsigned = m_options.allow_unsigned;
    codesign::Failure refused;
    auto identity = codesign::evaluate_bundle(bundle->path, policy, refused);
    if (!identity) {
        std::string report = refused.describe(bundle->path);
        report.pop_back(); // the last newline
        return fail(report);
    }
    if (m_options.check_entitlements)
        if (auto denial = entitlements::check_launch(identity->entitlements, bundle->bundle_id,
                                                     bundle->personalities.front().provider_class))
            return fail(denial->message);
    m_entitlements = identity->entitlements;
    m_team_id = identity->team_id;
    m_cdhash = identity->cdhash;
    m_image = dlopen(bundle->executable_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (m_image == nullptr)
        return fail(std::string("dlopen: ") + dlerror());
    m_bundle_id = bundle->bundle_id;
    m_class_name = bundle->personalities.front().user_class;
    m_devices->bundle = *bundle;
    if (OSMetaClass::find(m_class_name.c_str()) == nullptr)
        return fail(dext_path + ": " + bundle->executable + ": " +
                    create_service(m_class_name).reason);
    OSSafeReleaseNULL(m_properties);
    m_properties = bundle::registry_properties(*bundle, bundle->personalities.front());
    set_log_identity(m_bundle_id);
    return true;
}

void DriverBench::use_class(const std::string &class_name,
                            entitlements::Entitlements entitlements) {
    m_class_name = class_name;
    m_entitlements = std::move(entitlements);
    m_team_id = "-";
    m_cdhash.clear();
    m_devices->bundle.reset(); // no personalities: a device starts the class without matching
}

IOUserNetworkEthernet *DriverBench::ethernet(size_t interface) const {
    {
        std::lock_guard lock(m_family->mutex);
        if (const FakeFamily::Interface *iface = m_family->interface(interface))
            return iface->driver;
    }
    return interface == 0 ? OSDynamicCast(IOUserNetworkEthernet, m_service) : nullptr;
}

size_t DriverBench::interface_count() const {
    std::lock_guard lock(m_family->mutex);
    return m_family->interface_count();
}

kern_return_t DriverBench::start() {
    if (m_service != nullptr)
        return kIOReturnBusy;
    m_start_failure.clear();
    if (!m_devices->may_start()) {
        m_start_failure = "the attached device matched no personality (match_log() says why)";
        return kIOReturnUnsupported;
    }
    const std::string who = m_bundle_id.empty() ? m_class_name : m_bundle_id;
    if (m_options.check_entitlements) {
        if (auto denial = entitlements::check_launch(m_entitlements, who, "IOUserResources")) {
            m_start_failure = denial->message;
            std::lock_guard lock(m_family->mutex);
            m_family->note_call("Start refused: " + denial->message);
            return kIOReturnNotPermitted;
        }
        m_family->set_entitlements(m_entitlements, who);
    } else {
        m_family->set_entitlements(std::nullopt, who);
    }
    ServiceCreation created = create_service(m_class_name);
    if (created.service == nullptr) {
        // Why the class cannot be created: start_failure(), logs() (stderr with echo_logs) and
        // misuses().
        m_start_failure = created.reason;
        log_linef(LogLevel::error, "DriverBench: %s", created.reason.c_str());
        m_family->report_misuse(nullptr, created.reason);
        return created.status;
    }
    IOService *service = created.service;
    bundle::set_registry_properties(service, m_properties);
    IOService *provider = this->provider();
    const auto started = std::chrono::steady_clock::now();
    kern_return_t kr = call_on_method_queue(service, IOService_Start_ID, [service, provider] {
        return service->Start(provider);
    });
    m_busy_time_ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count());
    {
        std::lock_guard lock(m_family->mutex);
        m_family->note_call("Start -> " + std::to_string(kr));
    }
    settle();
    if (kr != kIOReturnSuccess) {
        m_start_failure = m_class_name + "::Start returned " + describe_return(kr);
        service->release();
        settle();
        return kr;
    }
    m_service = service;
    return kIOReturnSuccess;
}

kern_return_t DriverBench::stop() {
    if (m_service == nullptr)
        return kIOReturnNotReady;
    if (m_enabled)
        set_interface_enable(false);
    IOService *service = m_service;
    IOService *provider = this->provider();
    // The kernel terminates the services the driver created (a multi-port driver's ports) first.
    stop_clients(service);
    settle();
    kern_return_t kr = call_on_method_queue(service, IOService_Stop_ID, [service, provider] {
        return service->Stop(provider);
    });
    settle();
    // Packets the driver still holds after Stop are leaked (it must give back all it took).
    if (IOUserNetworkEthernet *eth = ethernet()) {
        if (InterfaceState *iface = eth->netdext_interface(); iface && !iface->pools.empty()) {
            uint32_t held = 0;
            for (const PoolState *pool : iface->pools)
                for (const PacketState &packet : pool->packets)
                    held += packet.held.load() ? 1 : 0;
            if (held > 0)
                m_family->report_misuse(eth, std::to_string(held) +
                                                 " packet(s) still held by the driver after Stop "
                                                 "(leaked: never enqueued or deallocated)");
        }
    }
    m_service = nullptr;
    service->release();
    settle();
    return kr;
}

kern_return_t DriverBench::call_driver(IOService *target, uint64_t msgid, const char *what,
                                       netdext::Block<kern_return_t()> fn) {
    if (target == nullptr)
        return kIOReturnNotReady;
    kern_return_t kr = call_on_method_queue(target, msgid, fn);
    {
        std::lock_guard lock(m_family->mutex);
        char text[32];
        std::snprintf(text, sizeof text, " -> 0x%x", unsigned(kr));
        m_family->note_call(std::string(what) + text);
    }
    settle();
    return kr;
}

kern_return_t DriverBench::set_interface_enable(bool enable, size_t interface) {
    IOUserNetworkEthernet *eth = ethernet(interface);
    kern_return_t kr = call_driver(eth, IOUserNetworkEthernet_SetInterfaceEnable_ID,
                                   enable ? "SetInterfaceEnable(true)" : "SetInterfaceEnable(false)",
                                   [eth, enable] { return eth->SetInterfaceEnable(enable); });
    if (kr == kIOReturnSuccess)
        (interface == 0 ? m_enabled : m_others_enabled[interface]) = enable;
    return kr;
}

uint32_t DriverBench::max_transfer_unit() {
    IOUserNetworkEthernet *eth = ethernet();
    uint32_t mtu = 0;
    if (call_driver(eth, IOUserNetworkEthernet_GetMaxTransferUnit_ID, "GetMaxTransferUnit",
                    [eth, &mtu] { return eth->GetMaxTransferUnit(&mtu); }) != kIOReturnSuccess)
        return 0;
    m_max_mtu = mtu;
    return mtu;
}

kern_return_t DriverBench::set_mtu(uint32_t mtu) {
    // netdextd: an MTU above the driver's maximum (or below Ethernet's minimum) never reaches it.
    uint32_t max = max_transfer_unit();
    if (mtu < 68 || (max != 0 && mtu > max))
        return kIOReturnBadArgument;
    IOUserNetworkEthernet *eth = ethernet();
    kern_return_t kr = call_driver(eth, IOUserNetworkEthernet_SetMTU_ID, "SetMTU",
                                   [eth, mtu] { return eth->SetMTU(mtu); });
    if (kr == kIOReturnSuccess)
        m_mtu = mtu;
    return kr;
}

kern_return_t DriverBench::set_promiscuous(bool enable) {
    IOUserNetworkEthernet *eth = ethernet();
    kern_return_t kr = call_driver(eth, IOUserNetworkEthernet_SetPromiscuousModeEnable_ID,
        enable ? "SetPromiscuousModeEnable(true)" : "SetPromiscuousModeEnable(false)",
        [eth, enable] { return eth->SetPromiscuousModeEnable(enable); });
    if (kr == kIOReturnSuccess)
        m_promiscuous = enable;
    return kr;
}

kern_return_t DriverBench::set_all_multicast(bool enable) {
    IOUserNetworkEthernet *eth = ethernet();
    kern_return_t kr = call_driver(eth, IOUserNetworkEthernet_SetAllMulticastModeEnable_ID,
                                   enable ? "SetAllMulticastModeEnable(true)"
                                          : "SetAllMulticastModeEnable(false)",
                                   [eth, enable] { return eth->SetAllMulticastModeEnable(enable); });
    if (kr == kIOReturnSuccess)
        m_all_multicast = enable;
    return kr;
}

kern_return_t DriverBench::set_multicast_list(const std::vector<ether_addr_t> &addresses) {
    IOUserNetworkEthernet *eth = ethernet();
    std::vector<IOUserNetworkMACAddress> legacy(addresses.size());
    for (size_t i = 0; i < addresses.size(); ++i)
        std::memcpy(legacy[i].octet, addresses[i].octet, 6);
    // Its default implementation calls setMulticastAddresses (NDK 2.x drivers override that).
    return call_driver(eth, IOUserNetworkEthernet_SetMulticastAddresses_ID, "SetMulticastAddresses",
                       [eth, &legacy] {
                           return eth->SetMulticastAddresses(legacy.data(),
                                                             uint32_t(legacy.size()));
                       });
}

kern_return_t DriverBench::select_media(uint32_t media) {
    IOUserNetworkEthernet *eth = ethernet();
    return call_driver(eth, IOUserNetworkEthernet_SelectMediaType_ID, "SelectMediaType",
                       [eth, media] { return eth->SelectMediaType(media); });
}

kern_return_t DriverBench::set_wake_on_magic_packet(bool enable) {
    IOUserNetworkEthernet *eth = ethernet();
    return call_driver(eth, IOUserNetworkEthernet_SetWakeOnMagicPacketEnable_ID,
                       "SetWakeOnMagicPacketEnable",
                       [eth, enable] { return eth->SetWakeOnMagicPacketEnable(enable); });
}

kern_return_t DriverBench::set_hardware_assists(uint32_t assists) {
    IOUserNetworkEthernet *eth = ethernet();
    kern_return_t kr = call_driver(eth, IOUserNetworkEthernet_SetHardwareAssists_ID,
                                   "SetHardwareAssists",
                                   [eth, assists] { return eth->SetHardwareAssists(assists); });
    if (kr == kIOReturnSuccess)
        m_hardware_assists = assists;
    return kr;
}

bool DriverBench::transmit(std::span<const uint8_t> frame, size_t interface, uint32_t queue) {
    IOUserNetworkPacketQueue *notify = nullptr;
    if (!m_family->transmit(frame, &notify, interface, queue))
        return false;
    if (notify != nullptr)
        notify->netdext_packets_available();
    settle();
    return true;
}

size_t DriverBench::advance(std::chrono::nanoseconds delta) {
    return m_family->clock().advance(delta);
}

void DriverBench::settle() { m_family->clock().run_due(); }

uint64_t DriverBench::now_ns() const { return m_family->clock().now_ns(ClockDomain::uptime); }

std::vector<Frame> DriverBench::take_received() {
    std::lock_guard lock(m_family->mutex);
    std::vector<Frame> out;
    out.swap(m_family->received);
    return out;
}

std::vector<Frame> DriverBench::take_received(size_t interface) {
    std::lock_guard lock(m_family->mutex);
    std::vector<Frame> out, rest;
    for (Frame &frame : m_family->received)
        (frame.interface == interface ? out : rest).push_back(std::move(frame));
    m_family->received.swap(rest);
    return out;
}

const std::vector<Frame> &DriverBench::received() const { return m_family->received; }

uint64_t DriverBench::tx_submitted() const {
    std::lock_guard lock(m_family->mutex);
    return m_family->tx_submitted;
}

uint64_t DriverBench::tx_completed() const {
    std::lock_guard lock(m_family->mutex);
    return m_family->tx_completed;
}

#define NETDEXT_INTERFACE_FIELD(expr, fallback)                                                   \
    std::lock_guard lock(m_family->mutex);                                                        \
    const FakeFamily::Interface *iface = m_family->interface(interface);                          \
    return iface ? (expr) : (fallback);

bool DriverBench::registered() const {
    size_t interface = 0;
    NETDEXT_INTERFACE_FIELD(true, false)
}
std::string DriverBench::interface_name(size_t interface) const {
    NETDEXT_INTERFACE_FIELD(iface->name, std::string())
}
ether_addr_t DriverBench::mac(size_t interface) const {
    NETDEXT_INTERFACE_FIELD(iface->mac, ether_addr_t{})
}
uint32_t DriverBench::link_status(size_t interface) const {
    NETDEXT_INTERFACE_FIELD(iface->link_status, 0u)
}
uint32_t DriverBench::active_media(size_t interface) const {
    NETDEXT_INTERFACE_FIELD(iface->active_media, 0u)
}
std::vector<uint32_t> DriverBench::media_types(size_t interface) const {
    NETDEXT_INTERFACE_FIELD(iface->media_types, std::vector<uint32_t>())
}
static bool all_enabled(const std::vector<bool> &flags) {
    for (bool on : flags)
        if (!on)
            return false;
    return !flags.empty();
}
bool DriverBench::queue_enabled(QueueKind kind, size_t interface) const {
    NETDEXT_INTERFACE_FIELD(all_enabled(iface->enabled[size_t(kind)]), false)
}
uint32_t DriverBench::queue_count(QueueKind kind, size_t interface) const {
    NETDEXT_INTERFACE_FIELD(uint32_t(iface->enabled[size_t(kind)].size()), 0u)
}
uint32_t DriverBench::pool_count(size_t interface) const {
    NETDEXT_INTERFACE_FIELD(uint32_t(iface->lanes.size()), 0u)
}
#undef NETDEXT_INTERFACE_FIELD

std::map<std::string, uint64_t> DriverBench::drops() const { return m_family->drops(); }

std::vector<std::string> DriverBench::misuses() const {
    std::lock_guard lock(m_family->mutex);
    std::vector<std::string> out = m_family->misuses;
    uint64_t sync = runtime_stats().sync_onto_self.load() - m_sync_onto_self_start;
    if (sync > 0)
        out.push_back(std::to_string(sync) +
                      " DispatchSync onto the caller's own queue (deadlocks on macOS)");
    return out;
}

std::vector<CallRecord> DriverBench::calls() const {
    std::lock_guard lock(m_family->mutex);
    return m_family->calls;
}

std::vector<std::string> DriverBench::logs() const {
    std::lock_guard lock(m_family->mutex);
    return m_family->logs;
}

uint64_t DriverBench::sync_onto_self() const {
    return runtime_stats().sync_onto_self.load() - m_sync_onto_self_start;
}

} // namespace netdext::testing
