// DriverRunner: the driver object and the worker thread that runs the system's calls into it —
// Start, the daemon's DriverCalls and multicast lists, Stop — one at a time, in the order the
// daemon sent them (DESIGN.md §1: netdext-host "runs the driver's methods on its dispatch
// queues").
//
// Each job calls into the driver with netdext::call_on_method_queue, which runs the method on the
// queue that serves it (the driver's Default queue unless its .iig names another) and waits for
// it on the worker — never on the main thread, which must keep receiving: a driver method may
// itself send requests (CreatePool, RegisterInterface) whose replies the main thread routes.
// The job sends its answer (StartResult, DriverCallReply) itself.
//
// Threads: post_*() from the main thread; everything else on the worker. The driver object
// (m_service) is touched only by the worker. Exit requests go through the ExitLatch.
#pragma once

#include "control_link.h"
#include "registry_snapshot.h"

#include <DriverKit/IOReturn.h>
#include <NetworkingDriverKit/IOUserNetworkTypes.h>
#include <netdext/bundle/bundle.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

class IOService;
class IOUserNetworkEthernet;

namespace netdext::host {

class ExitLatch;

class DriverRunner {
public:
    // How long Stop waits for the driver's queues to go idle after releasing it.
    static constexpr std::chrono::milliseconds kIdleTimeout{10000};

    // The driver of an interface, retained (+1), or nullptr (HostFamily::copy_driver).
    using DriverLookup = std::function<IOUserNetworkEthernet *(uint32_t interface_id)>;

    // Without `lookup`, driver calls go to the started service (one interface, id 0).
    DriverRunner(ControlLink &link, ExitLatch &exit, DriverLookup lookup = {});
    ~DriverRunner(); // finishes the queued jobs, then joins the worker
    DriverRunner(const DriverRunner &) = delete;
    DriverRunner &operator=(const DriverRunner &) = delete;

    // Loads the bundle's executable (dlopen), creates `class_name`, init(), Start(provider) on
    // its Default queue, and sends StartResult. On failure: releases the object, sends
    // StartResult with the status and asks to exit with kExitStartFailed. The provider is
    // IOUserResources unless given (a device's, which its owner keeps alive past Stop).
    void post_start(bundle::Bundle bundle, std::string class_name,
                    IOService *provider = nullptr);
    // Runs `call(arg)` (never Call::Stop) and replies DriverCallReply to `sequence`.
    // Runs `call(arg)` on the driver of `interface_id` (never Call::Stop) and replies
    // DriverCallReply to `sequence` (kIOReturnNotAttached when no driver has that interface).
    void post_call(protocol::Call call, uint32_t arg, uint32_t interface_id, uint64_t sequence);
    // SetMulticastAddresses (legacy) and setMulticastAddresses (NDK 2.x), then DriverCallReply.
    void post_multicast(std::vector<ether_addr_t> addresses, uint32_t interface_id,
                        uint64_t sequence);
    // Stop(provider) on the Default queue, release, wait for idle; replies to `reply_to` if
    // given (DriverCall Stop; not for Terminate or a closed channel); asks to exit with
    // kExitStopped.
    void post_stop(std::optional<uint64_t> reply_to);
    // Sends the service's registry snapshot, answering RegistryRequest `request` (one is sent
    // unsolicited after Start and after a driver call that changed the properties).
    void post_registry_snapshot(uint64_t request);

private:
    void post(std::function<void()> job);
    void run_worker();
    void start(const bundle::Bundle &bundle, const std::string &class_name);
    kern_return_t call(IOUserNetworkEthernet *eth, protocol::Call call, uint32_t arg,
                       uint32_t &value);
    kern_return_t set_multicast(IOUserNetworkEthernet *eth,
                                const std::vector<ether_addr_t> &addresses);
    // The driver of `interface_id`, retained (+1), or nullptr.
    IOUserNetworkEthernet *copy_driver(uint32_t interface_id);
    // The services other than the driver's service that registered an interface, retained.
    std::vector<IOService *> copy_ports();
    // Sends the registry snapshot: answering `request` (0: unsolicited), or, without one, only
    // if it changed since the last.
    void report(std::optional<uint64_t> request);
    void stop(std::optional<uint64_t> reply_to);
    void start_failed(kern_return_t status);
    void reply(uint64_t sequence, kern_return_t status, uint32_t value = 0);

    ControlLink &m_link;
    ExitLatch &m_exit;
    DriverLookup m_lookup;
    IOService *m_service = nullptr; // the started driver, retained; worker only
    std::string m_class_name;       // its IOUserClass; worker only
    RegistryReporter m_reporter;    // worker only
    IOService *m_provider = nullptr; // its provider (nullptr: IOUserResources); worker only
    void *m_image = nullptr;        // dlopen handle; stays loaded for the process

    std::mutex m_mutex; // guards m_jobs, m_quit
    std::condition_variable m_jobs_changed;
    std::deque<std::function<void()>> m_jobs;
    bool m_quit = false;
    std::thread m_worker; // last: starts after everything above exists
};

} // namespace netdext::host
