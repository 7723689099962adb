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
// submission queue live here while the interface is registered. One interface per host: the
// protocol names no interface in its messages.
#pragma once

#include "control_link.h"

#include <netdext/family_port.h>
#include <netdext/shm/sys/event_fd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

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
    void queue_enable_changed(IOUserNetworkEthernet *driver, QueueKind kind, bool enabled) override;
    void report_misuse(const OSObject *object, const std::string &what) override;

private:
    // What a registered interface needs beyond its grant.
    struct Registration {
        IOUserNetworkEthernet *driver = nullptr;      // not retained (it owns the registration)
        IOUserNetworkPacketQueue *tx_queue = nullptr; // retained while registered
        IOUserNetworkPacketQueue *rx_queue = nullptr; // RX submission; retained while registered
        std::unique_ptr<shm::EventFd> host_doorbell;  // the daemon rings it
        std::unique_ptr<shm::EventFd> stop;           // ends the doorbell thread
        std::thread doorbell_thread;
    };

    static void run_doorbell_thread(const shm::EventFd &doorbell, const shm::EventFd &stop,
                                    IOUserNetworkPacketQueue *tx_queue,
                                    IOUserNetworkPacketQueue *rx_queue);
    static void stop_registration(std::unique_ptr<Registration> registration);

    ControlLink &m_link;
    std::mutex m_mutex; // guards m_registration
    std::unique_ptr<Registration> m_registration;
};

} // namespace netdext::host
