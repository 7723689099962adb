// HostFamily: the FamilyPort of netdext-host — what NetworkingDriverKit classes ask of "the
// system" becomes control messages to netdextd (DESIGN.md §1, §4).
//
//   create_pool          CreatePool → PoolCreated + sealed pool memfd, attached and checked here
//   register_interface   RegisterInterface → InterfaceRegistered + rings memfd + two eventfds
//   release_pool, unregister_interface, report_*, queue_enable_changed, report_misuse
//                        one message each, no reply
//
// Doorbells of a registered interface:
//   daemon doorbell  the host rings it (through the runtime's DriverEndpoint) when the driver
//                    produces on TX completion, RX completion or the free ring and the daemon
//                    asked to be woken — or frees room on a daemon-produced ring it waits on.
//   host doorbell    the daemon rings it when it submits TX frames and the driver asked to be
//                    woken; this class's doorbell thread then runs the TX submission queue's
//                    netdext_packets_available() (the driver's TxPacketAvailable action).
//
// Threads: the FamilyPort methods run on driver dispatch queues, any of them, concurrently; the
// doorbell thread is started by register_interface and joined by unregister_interface.
// Ownership: the mappings and the daemon doorbell live in the grants' keepalives (the runtime
// drops them after its endpoint); the host doorbell, the doorbell thread and a retain on the TX
// submission queue live here while the interface is registered.
//
// Several interfaces: each driver (IOUserNetworkEthernet) that concerns the family gets an
// interface id (the lowest free one below protocol::kMaxInterfaces) at its first call — a report
// may precede its registration — and keeps it until it unregisters; every message names it.
// Each registered interface has its own doorbells and doorbell thread.
#pragma once

#include "control_link.h"

#include <netdext/family_port.h>
#include <netdext/shm/sys/event_fd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace netdext::host {

class HostFamily final : public FamilyPort {
public:
    // How long create_pool / register_interface wait for the daemon's reply.
    static constexpr std::chrono::milliseconds kReplyTimeout{10000};

    explicit HostFamily(ControlLink &link) : m_link(link) {}
    ~HostFamily() override; // stops a doorbell thread still running

    kern_return_t create_pool(const PoolRequest &request, PoolGrant &grant) override;
    void release_pool(uint64_t pool_id) override;
    kern_return_t register_interface(const InterfaceRequest &request,
                                     InterfaceGrant &grant) override;
    void unregister_interface(IOUserNetworkEthernet *driver) override;

    void report_link_status(IOUserNetworkEthernet *driver, uint32_t status,
                            uint32_t media) override;
    void report_media_types(IOUserNetworkEthernet *driver,
                            std::span<const uint32_t> media) override;
    void report_link_quality(IOUserNetworkEthernet *driver, int32_t quality) override;
    void report_data_bandwidths(IOUserNetworkEthernet *driver, uint64_t max_in, uint64_t max_out,
                                uint64_t effective_in, uint64_t effective_out) override;
    void queue_enable_changed(IOUserNetworkEthernet *driver, QueueKind kind, uint32_t index,
                              bool enabled) override;
    void report_misuse(const OSObject *object, const std::string &what) override;

    // The driver of registered interface `interface_id`, retained (+1), or nullptr: where the
    // daemon's DriverCalls for that interface go.
    IOUserNetworkEthernet *copy_driver(uint32_t interface_id);

private:
    static constexpr uint32_t kNoInterface = UINT32_MAX;

    // What a registered interface needs beyond its grant.
    // Shared by the family and the interface's doorbell thread, which may outlive the
    // registration by the handler it is running (see stop_registration).
    // One host doorbell: the submission queues of the queue sets it serves (set q has doorbell
    // q % doorbells, as the daemon's frame movers).
    struct Doorbell {
        std::unique_ptr<shm::EventFd> eventfd;              // the daemon rings it
        std::vector<IOUserNetworkPacketQueue *> submission; // TX and RX; retained
    };
    // A doorbell thread: normally one per doorbell; if the sandbox's thread limit refuses some,
    // thread t of T serves doorbells t, t + T, …
    struct DoorbellThread {
        uint32_t index = 0;
        std::mutex dispatching; // held while it hands the queues a ring
        std::thread thread;
    };
    struct Registration {
        IOUserNetworkEthernet *driver = nullptr;             // not retained (it owns this)
        std::vector<std::unique_ptr<Doorbell>> doorbells;
        std::vector<std::unique_ptr<DoorbellThread>> threads;
        std::shared_future<uint32_t> thread_count; // T, once every thread is made
        std::unique_ptr<shm::EventFd> stop;        // ends the doorbell threads
        std::atomic<bool> stopping{false};
        ~Registration(); // releases the queues
    };

    // The driver's interface id (allocated on first use; kNoInterface when all are taken).
    uint32_t id_of(IOUserNetworkEthernet *driver);
    static void run_doorbell_thread(std::shared_ptr<Registration> registration,
                                    DoorbellThread *self);
    static void stop_registration(std::shared_ptr<Registration> registration);

    ControlLink &m_link;
    std::mutex m_mutex; // guards m_ids, m_registrations
    std::map<IOUserNetworkEthernet *, uint32_t> m_ids;
    std::map<uint32_t, std::shared_ptr<Registration>> m_registrations;
};

} // namespace netdext::host
