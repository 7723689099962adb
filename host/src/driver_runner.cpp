// DriverRunner: Start, driver calls and Stop on one worker thread (see driver_runner.h).

#include "driver_runner.h"

#include "control_loop.h"

#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <netdext/bundle/registry_properties.h>
#include <netdext/runtime.h>
#include <netdext/system_calls.h>

#include <dlfcn.h>

#include <cstring>

namespace netdext::host {

using protocol::Call;
using protocol::DriverCallReply;
using protocol::StartResult;

DriverRunner::DriverRunner(ControlLink &link, ExitLatch &exit, DriverLookup lookup)
    : m_link(link), m_exit(exit), m_lookup(std::move(lookup)), m_reporter(link),
      m_worker([this] { run_worker(); }) {}

IOUserNetworkEthernet *DriverRunner::copy_driver(uint32_t interface_id) {
    if (m_lookup)
        if (IOUserNetworkEthernet *eth = m_lookup(interface_id))
            return eth;
    // Before (or without) a lookup: the started service is interface 0.
    IOUserNetworkEthernet *eth = OSDynamicCast(IOUserNetworkEthernet, m_service);
    if (eth == nullptr || interface_id != 0 || m_lookup)
        return nullptr;
    eth->retain();
    return eth;
}

std::vector<IOService *> DriverRunner::copy_ports() {
    std::vector<IOService *> ports;
    if (!m_lookup)
        return ports;
    for (uint32_t id = 0; id < protocol::kMaxInterfaces; ++id)
        if (IOUserNetworkEthernet *eth = m_lookup(id)) {
            if (eth == m_service)
                eth->release(); // the service registered it itself: not a port
            else
                ports.push_back(eth);
        }
    return ports;
}

void DriverRunner::report(std::optional<uint64_t> request) {
    std::vector<IOService *> ports = copy_ports();
    if (request)
        m_reporter.send(m_service, m_class_name, ports, *request);
    else
        m_reporter.send_if_changed(m_service, m_class_name, ports);
    for (IOService *port : ports)
        port->release();
}

DriverRunner::~DriverRunner() {
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_jobs_changed.notify_all();
    m_worker.join();
}

void DriverRunner::post(std::function<void()> job) {
    {
        std::lock_guard lock(m_mutex);
        m_jobs.push_back(std::move(job));
    }
    m_jobs_changed.notify_all();
}

void DriverRunner::run_worker() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(m_mutex);
            m_jobs_changed.wait(lock, [this] { return m_quit || !m_jobs.empty(); });
            if (m_jobs.empty())
                return; // quit, with nothing left to answer
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
        }
        job();
    }
}

void DriverRunner::post_start(bundle::Bundle bundle, std::string class_name,
                              IOService *provider) {
    post([this, bundle = std::move(bundle), class_name = std::move(class_name), provider] {
        m_provider = provider;
        start(bundle, class_name);
    });
}

void DriverRunner::post_call(Call call, uint32_t arg, uint32_t interface_id, uint64_t sequence) {
    post([this, call, arg, interface_id, sequence] {
        uint32_t value = 0;
        IOUserNetworkEthernet *eth = copy_driver(interface_id);
        kern_return_t kr = eth ? this->call(eth, call, arg, value) : kIOReturnNotAttached;
        OSSafeReleaseNULL(eth);
        reply(sequence, kr, value);
        report(std::nullopt);
    });
}

void DriverRunner::post_multicast(std::vector<ether_addr_t> addresses, uint32_t interface_id,
                                  uint64_t sequence) {
    post([this, addresses = std::move(addresses), interface_id, sequence] {
        IOUserNetworkEthernet *eth = copy_driver(interface_id);
        kern_return_t kr = eth ? set_multicast(eth, addresses) : kIOReturnNotAttached;
        OSSafeReleaseNULL(eth);
        reply(sequence, kr);
    });
}

void DriverRunner::post_stop(std::optional<uint64_t> reply_to) {
    post([this, reply_to] { stop(reply_to); });
}

void DriverRunner::post_registry_snapshot(uint64_t request) {
    post([this, request] { report(request); });
}

void DriverRunner::reply(uint64_t sequence, kern_return_t status, uint32_t value) {
    (void)m_link.reply(DriverCallReply{status, value}, sequence);
}

// ---- Start / Stop -------------------------------------------------------------------------------

void DriverRunner::start_failed(kern_return_t status) {
    (void)m_link.send(StartResult{status, 0});
    m_exit.request(kExitStartFailed);
}

void DriverRunner::start(const bundle::Bundle &bundle, const std::string &class_name) {
    // The image stays loaded for the life of the process: the runtime keeps its classes.
    m_image = dlopen(bundle.executable_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (m_image == nullptr) {
        log_linef(LogLevel::error, "netdext-host: dlopen %s: %s", bundle.executable_path.c_str(),
                  dlerror());
        return start_failed(kIOReturnNotFound);
    }
    ServiceCreation created = create_service(class_name);
    if (created.service == nullptr) {
        log_linef(LogLevel::error, "netdext-host: %s: %s: %s", bundle.path.c_str(),
                  bundle.executable.c_str(), created.reason.c_str());
        return start_failed(created.status);
    }
    IOService *service = created.service;
    // The personality becomes the service's registry properties, as on macOS.
    if (const bundle::Personality *personality = bundle::find_personality(bundle, class_name)) {
        OSDictionary *properties = bundle::registry_properties(bundle, *personality);
        bundle::set_registry_properties(service, properties);
        OSSafeReleaseNULL(properties);
    }
    // DriverKit: the kernel calls Start on the driver's Default queue with its provider.
    IOService *provider = m_provider != nullptr ? m_provider : user_resources();
    kern_return_t kr = call_on_method_queue(
        service, IOService_Start_ID, [service, provider] { return service->Start(provider); });
    if (kr != kIOReturnSuccess) {
        log_linef(LogLevel::error, "netdext-host: %s::Start failed 0x%08x", class_name.c_str(),
                  unsigned(kr));
        service->release();
        (void)wait_until_idle(kIdleTimeout);
        return start_failed(kr);
    }
    m_service = service;
    m_class_name = class_name;
    (void)m_link.send(StartResult{kIOReturnSuccess, 0});
    report(0);
}

void DriverRunner::stop(std::optional<uint64_t> reply_to) {
    kern_return_t kr = kIOReturnNotReady; // never started (or already stopped)
    if (IOService *service = m_service) {
        m_service = nullptr;
        IOService *provider = m_provider != nullptr ? m_provider : user_resources();
        // The kernel terminates the services the driver created (its ports) first.
        stop_clients(service);
        kr = call_on_method_queue(service, IOService_Stop_ID,
                                  [service, provider] { return service->Stop(provider); });
        service->release();
        if (!wait_until_idle(kIdleTimeout))
            log_line(LogLevel::error, "netdext-host: the driver's queues are still busy after "
                                      "Stop; exiting anyway");
    }
    if (reply_to)
        reply(*reply_to, kr);
    m_exit.request(kExitStopped);
}

// ---- calls ----------------------------------------------------------------------------------

kern_return_t DriverRunner::call(IOUserNetworkEthernet *eth, Call call, uint32_t arg,
                                 uint32_t &value) {
    const bool on = arg != 0;
    switch (call) {
    case Call::SetInterfaceEnable:
        return call_on_method_queue(eth, IOUserNetworkEthernet_SetInterfaceEnable_ID,
                                    [eth, on] { return eth->SetInterfaceEnable(on); });
    case Call::SetMTU:
        return call_on_method_queue(eth, IOUserNetworkEthernet_SetMTU_ID,
                                    [eth, arg] { return eth->SetMTU(arg); });
    case Call::GetMaxTransferUnit:
        return call_on_method_queue(eth, IOUserNetworkEthernet_GetMaxTransferUnit_ID,
                                    [eth, &value] { return eth->GetMaxTransferUnit(&value); });
    case Call::SetPromiscuousModeEnable:
        return call_on_method_queue(eth, IOUserNetworkEthernet_SetPromiscuousModeEnable_ID,
                                    [eth, on] { return eth->SetPromiscuousModeEnable(on); });
    case Call::SetAllMulticastModeEnable:
        return call_on_method_queue(eth, IOUserNetworkEthernet_SetAllMulticastModeEnable_ID,
                                    [eth, on] { return eth->SetAllMulticastModeEnable(on); });
    case Call::SelectMediaType:
        return call_on_method_queue(eth, IOUserNetworkEthernet_SelectMediaType_ID,
                                    [eth, arg] { return eth->SelectMediaType(arg); });
    case Call::SetWakeOnMagicPacketEnable:
        return call_on_method_queue(eth, IOUserNetworkEthernet_SetWakeOnMagicPacketEnable_ID,
                                    [eth, on] { return eth->SetWakeOnMagicPacketEnable(on); });
    case Call::SetHardwareAssists:
        return call_on_method_queue(eth, IOUserNetworkEthernet_SetHardwareAssists_ID,
                                    [eth, arg] { return eth->SetHardwareAssists(arg); });
    case Call::GetHardwareAssists:
        return call_on_method_queue(eth, IOUserNetworkEthernet_GetHardwareAssists_ID,
                                    [eth, &value] { return eth->GetHardwareAssists(&value); });
    case Call::Stop:
        break; // handled by stop()
    }
    return kIOReturnBadArgument;
}

kern_return_t DriverRunner::set_multicast(IOUserNetworkEthernet *eth,
                                          const std::vector<ether_addr_t> &addresses) {
    std::vector<IOUserNetworkMACAddress> legacy(addresses.size());
    for (size_t i = 0; i < addresses.size(); ++i)
        std::memcpy(legacy[i].octet, addresses[i].octet, 6);
    // Its default implementation calls setMulticastAddresses (NDK 2.x drivers override that).
    return call_on_method_queue(eth, IOUserNetworkEthernet_SetMulticastAddresses_ID,
                                [eth, &legacy] {
                                    return eth->SetMulticastAddresses(legacy.data(),
                                                                      uint32_t(legacy.size()));
                                });
}

} // namespace netdext::host
