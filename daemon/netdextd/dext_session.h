// DextSession: one running dext — its netdext-host process, the control channel, the pools and
// the interfaces it registered (one per interface id: a multi-port driver or several services
// register several, each in its own InterfaceSlot: the session's slot and its siblings) — and
// the translation between the host's messages, the Linux
// stack's link events and driver calls (DESIGN.md §1, §5).
//
// Everything from the host is untrusted (it runs third-party driver code): every message is size-
// and type-checked by the channel, every field is bounded here, and a host that keeps sending
// nonsense, breaks the ring protocol or hands back invalid packets is stopped.
//
// Threads: the daemon's main thread calls everything, except that the frame mover reports faults
// through fault_fd() (an eventfd the main thread polls).
//
// The host process and the network are reached through SessionHost and SessionNetwork
// (session_ports.h): launch() uses the real ones, attach() takes any (tests pass fakes).
#pragma once

#include "host_process.h"
#include "interface_slot.h"
#include "net_interface.h"
#include "netlink/link_watcher.h"
#include "netlink/route_socket.h"
#include "session_ports.h"
#include "session_registry.h"

#include <netdext/codesign/entitlements.h>

#include <netdext/bundle/bundle.h>
#include <netdext/protocol/host_protocol.h>
#include <netdext/shm/ipc/channel.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace netdext::daemon {

struct SessionOptions {
    std::string bundle_path;
    std::string class_name; // the matched personality's IOUserClass ("": the first one's)
    std::string boot_args;
    std::string host_binary;
    sandbox::SandboxSettings sandbox; // docs/sandbox.md
    bool dext_logs = true;            // copy the dext's log lines to the daemon's log
    bool tap_io_uring = true;         // TapDevice::Options::batched_io of its interfaces
    // TAP queues, and so frame mover threads, per interface at most (a driver with more queue
    // sets shares them); 0: one per queue set.
    uint32_t max_movers = 0;
    uint64_t drop_limit = 64;         // invalid packets tolerated before the dext is stopped
    uint32_t protocol_error_limit = 8; // malformed messages tolerated
    // The interface registered (its name), e.g. to record it in the extension database.
    std::function<void(const std::string &name)> on_interface;
    // Who else has `mac` ("en1 of com.example.Other"), "" when nobody: two interfaces never share
    // a MAC.
    std::function<std::string(const MacAddress &mac)> mac_owner;
    // The I/O Registry and code signing (docs/registry.md, docs/codesign.md): the service's
    // registry identity (the host gets `service.ids` as its ID block), IDs for the family's
    // entries (nullptr: a sequence of the session's own), the entitlements the daemon verified
    // (nullopt: the bundle's own Entitlements.plist, for tests), and the interface's alias.
    ServiceIdentity service;
    std::function<uint64_t()> allocate_registry_id;
    std::optional<entitlements::Entitlements> entitlements;
    std::string interface_alias;
    // Simulated devices (docs/devices.md): the host waits for AttachDevice before it starts the
    // driver, and the device messages it sends (types 80–99) go here — false for one the daemon
    // did not expect (a protocol error).
    bool wait_for_device = false;
    std::function<bool(shm::ipc::ReceivedMessage &message)> on_device_message;
};

class DextSession {
public:
    enum class State { starting, running, stopping, exited, crashed, stopped_for_misbehaviour };

    // Checks the bundle (check_bundle()), spawns netdext-host with the other end of a new
    // control channel, and watches it. The driver's interface goes into `slot`: the one a
    // previous session of the same extension left there (same name, addresses, routes), or a new
    // one. nullptr (and `error`) when either fails.
    static std::unique_ptr<DextSession> launch(const SessionOptions &options,
                                               const bundle::Bundle &bundle,
                                               netlink::LinkWatcher &watcher,
                                               netlink::RouteSocket &route,
                                               std::shared_ptr<InterfaceSlot> slot,
                                               std::string &error);
    // A session over a host that is already running and the daemon's end of its channel, after
    // the same check_bundle(). `options.host_binary` and `sandbox` are not used.
    static std::unique_ptr<DextSession> attach(const SessionOptions &options,
                                               const bundle::Bundle &bundle,
                                               std::unique_ptr<SessionNetwork> network,
                                               std::unique_ptr<SessionHost> host,
                                               shm::ipc::Channel channel,
                                               std::shared_ptr<InterfaceSlot> slot,
                                               std::string &error);
    // The launch policy: a dext needs the com.apple.developer.driverkit entitlement (of
    // `granted`: the verified ones) and a personality to match (DESIGN.md §6). False, with
    // `error` naming the reason, otherwise.
    static bool check_bundle(const bundle::Bundle &bundle,
                             const entitlements::Entitlements &granted, std::string &error);
    // The entitlements of the bundle's own Entitlements.plist (as read_bundle() read it).
    static entitlements::Entitlements bundle_entitlements(const bundle::Bundle &bundle);
    ~DextSession();

    // ---- main-thread events ----
    [[nodiscard]] int channel_fd() const { return m_channel ? m_channel->fd() : -1; }
    [[nodiscard]] int pidfd() const { return m_host ? m_host->pidfd() : -1; }
    [[nodiscard]] int fault_fd() const { return m_fault_fd.get(); }
    // The host's standard output and error (-1 once closed; closing takes it out of epoll).
    [[nodiscard]] int output_fd() const { return m_host ? m_host->output_fd() : -1; }
    // Handles up to 256 messages from the host; true if that budget ran out (more may wait).
    bool on_channel_readable();
    // Labels, rate-limits and logs what the driver wrote to its standard output or error.
    void on_output_readable();
    void on_host_exit();
    void on_fault();
    void on_link_event(const netlink::LinkEvent &event);
    // Asks the driver to stop (Terminate) and the host to exit. The interface stays in its slot
    // for whoever comes next (a replacement, a restart); the caller releases the slot otherwise.
    void terminate();
    // A device message (device_protocol.h) for the host: the sequence it went with, or 0 when
    // the host cannot be reached. Replies reach SessionOptions::on_device_message.
    template <class M> uint64_t send_device(const M &message, std::span<const int> fds = {}) {
        if (!m_channel || !m_host || !m_host->running() || finished())
            return 0;
        auto sent = m_channel->send(message, fds);
        return sent ? sent.value() : 0;
    }
    // SIGKILL to the host (shutdown after the grace period).
    void kill_host() {
        if (m_host)
            m_host->kill();
    }
    [[nodiscard]] bool pidfd_running() const { return m_host && m_host->running(); }

    // ---- state ----
    [[nodiscard]] const std::string &bundle_id() const { return m_bundle.bundle_id; }
    [[nodiscard]] State state() const { return m_state; }
    [[nodiscard]] const char *state_name() const;
    [[nodiscard]] const std::string &state_reason() const { return m_reason; }
    [[nodiscard]] pid_t host_pid() const { return m_host ? m_host->pid() : -1; }
    // Interface 0's (the first registered) state; interface(id) for the others.
    [[nodiscard]] NetInterface *interface(uint32_t interface_id = 0) const;
    [[nodiscard]] bool carrier(uint32_t interface_id = 0) const;
    [[nodiscard]] uint32_t driver_mtu(uint32_t interface_id = 0) const;
    [[nodiscard]] uint32_t max_mtu(uint32_t interface_id = 0) const;
    // The ids of the registered interfaces, ascending.
    [[nodiscard]] std::vector<uint32_t> interface_ids() const;
    [[nodiscard]] uint64_t protocol_errors() const { return m_protocol_errors; }
    [[nodiscard]] const std::vector<std::string> &misuses() const { return m_misuses; }
    [[nodiscard]] uid_t host_uid() const { return m_host ? m_host->uid() : 0; }
    [[nodiscard]] std::string host_cgroup() const { return m_host ? m_host->cgroup() : ""; }
    // Log lines (os_log and raw output together) the rate limit dropped.
    [[nodiscard]] uint64_t log_lines_dropped() const { return m_log_limit.dropped(); }
    [[nodiscard]] bool finished() const;
    // The driver's Start succeeded at some point.
    [[nodiscard]] bool started() const { return m_started; }

    // ---- the I/O Registry (session_registry.h) ----
    // Asks the host for a fresh snapshot of its service; `done` runs when it is in, or at once
    // when there is no host to ask (it may then run before this returns).
    void request_registry(std::function<void()> done);
    // The service's registry entry (and its interface's) as of now.
    [[nodiscard]] netdext::registry::DriverServiceDescription describe_service() const;
    [[nodiscard]] const SessionRegistry &registry() const { return m_registry; }
    // ---- supervision (daemon/supervision/, netdextd's supervision.cpp) ----
    // Start returned an error (the host then exits; not a crash).
    [[nodiscard]] bool start_failed() const { return m_start_failed; }
    // When the oldest driver call (or multicast list) still unanswered was sent, if any.
    [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> oldest_unanswered_call() const {
        if (m_calls_sent.empty())
            return std::nullopt;
        return m_calls_sent.begin()->second; // sequences grow: the first is the oldest
    }
    // The check-in watchdog or liveness gave up on the driver: carrier off, mover stopped, host
    // killed; the state says stopped with `reason`.
    void stop_for_supervision(const std::string &reason) { stop_for(reason); }

    // A log line about this dext (its bundle ID and interface attached).
    void log(const char *format, ...) const __attribute__((format(printf, 2, 3)));

private:
    DextSession(const SessionOptions &options, const bundle::Bundle &bundle,
                std::unique_ptr<SessionNetwork> network, std::shared_ptr<InterfaceSlot> slot);
    void handle(shm::ipc::ReceivedMessage &message);
    void protocol_error(const std::string &what);
    void stop_for(const std::string &reason);
    // One interface of the dext: its slot, the registered NetInterface, and the link's state as
    // the driver knows it.
    struct Port {
        uint32_t id = 0;
        std::shared_ptr<InterfaceSlot> slot;
        std::unique_ptr<NetInterface> interface;
        bool carrier = false;
        uint32_t driver_mtu = 1500;
        uint32_t max_mtu = 0;
        uint32_t replay_mtu = 0; // a kept interface's MTU, told once the driver's maximum is known
        std::vector<uint64_t> pool_ids; // the pools its lanes use
        MacAddress mac;                 // the one it registered (a change is put back)
        uint32_t media = 0;             // its last reported active medium (ethtool's view)
        uint32_t link_status = 0;
        // Hardware assists: declared at registration, and what the driver has now (it accepted
        // SetHardwareAssists after `ethtool -K`).
        uint32_t declared_assists = 0;
        uint32_t assists = 0;
        uint64_t registration = 0; // which registration of the session it is (0: none)
    };
    // The port of `interface_id`, made on first use; nullptr (a protocol error) when out of
    // range.
    Port *port(uint32_t interface_id);
    const Port *find_port(uint32_t interface_id) const;
    Port *port_of_ifindex(int ifindex);

    using ReplyHandler = std::function<void(int32_t status, uint32_t value)>;
    // `on_reply` runs only while the interface `port` had when asked is still registered.
    void call(Port &port, protocol::Call call, uint32_t arg, ReplyHandler on_reply = {});
    void note_call_sent(uint64_t sequence); // for oldest_unanswered_call()
    template <class M> void send(const M &message, std::span<const int> fds = {},
                                 uint64_t reply_to = 0);
    void create_pool(const shm::ipc::ReceivedMessage &message);
    void register_interface(const shm::ipc::ReceivedMessage &message);
    void refuse_interface(const shm::ipc::ReceivedMessage &message, uint32_t interface_id,
                          int32_t status);
    void drop_interface(Port &port);
    // Ends `port`'s registration (it has an interface): no longer watched nor in the registry,
    // the Port as new. Its slot keeps the TAP.
    void forget_interface(Port &port);
    void set_carrier(Port &port, bool on);
    void set_all_carriers(bool on);
    void stop_movers();
    void revert_mtu(Port &port);
    void offloads_changed(Port &port, const netlink::OffloadsChanged &change);
    void on_port_link_event(Port &port, const netlink::LinkEvent &event);
    // A line from the driver (os_log or its raw output), if the rate limit admits it.
    void driver_line(const char *prefix, const std::string &text);
    void replay_link_state(Port &port); // a kept interface: tell the new driver how it is
    // What Linux tools show (docs/registry.md): the alias, and ethtool's speed and duplex from
    // the driver's link status and medium.
    void show_driver_to_linux(Port &port);
    void apply_link_settings(Port &port);
    void refuse_mac_change(Port &port, const MacAddress &wanted);

    SessionOptions m_options;
    bundle::Bundle m_bundle;
    std::unique_ptr<SessionNetwork> m_network;
    std::unique_ptr<SessionHost> m_host;
    std::optional<shm::ipc::Channel> m_channel;
    UniqueFd m_fault_fd; // eventfd: the mover saw a fault
    std::string m_fault_text;

    struct Pool {
        std::shared_ptr<shm::SharedRegion> region;
        shm::PoolLayout layout;
    };
    std::map<uint64_t, Pool> m_pools;
    uint64_t m_next_pool_id = 1;
    std::shared_ptr<InterfaceSlot> m_slot; // interface 0's; the others are its siblings
    std::map<uint32_t, Port> m_ports;      // by interface id
    uint64_t m_registrations = 0;          // interfaces registered so far
    std::map<uint64_t, ReplyHandler> m_pending; // by request sequence
    // Every call awaiting its DriverCallReply, by sequence: when it was sent (at most 1024).
    std::map<uint64_t, std::chrono::steady_clock::time_point> m_calls_sent;

    State m_state = State::starting;
    std::string m_reason;
    bool m_hello = false;
    bool m_started = false;
    bool m_start_failed = false;
    uint64_t m_protocol_errors = 0;
    std::vector<std::string> m_misuses;
    sandbox::LogRateLimiter m_log_limit;
    entitlements::Entitlements m_entitlements; // what the dext may do (verified by the daemon)
    SessionRegistry m_registry;
};

} // namespace netdext::daemon
