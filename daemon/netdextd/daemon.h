// Daemon: netdextd — one epoll over the control socket, every driver's control channel, host
// pidfd and fault eventfd, the rtnetlink watcher, the app-location watcher and signals
// (DESIGN.md §1, §8).
//
// Extensions come from two places: the database in --state-dir (activated through the control
// socket, started again after every restart) and --run bundles (ephemeral: never recorded). Each
// has a Driver: its InterfaceSlot, which outlives driver processes, and its current DextSession.
//
// Threads: run() and everything else on the main thread; frame movers run inside NetInterface.
#pragma once

#include "dext_session.h"
#include "interface_slot.h"

#include "app_watcher.h"
#include "code_signature.h"
#include "control_server.h"
#include "extension_set.h"
#include "registry/daemon_registry.h"

#include <netdext/codesign/trust_store.h>

#include <supervisor.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netdext::daemon {

struct AttachedDevice; // simulated devices (devices.cpp, device_state.h)
struct DeviceState;
struct PendingProbe;

struct DaemonOptions {
    std::vector<std::string> run_bundles; // netdextd --run PATH.dext …: ephemeral extensions
    std::string socket_path;              // the control socket
    std::string state_dir;                // the extension database ("": none, --run only)
    std::string boot_args;                // for the --run bundles
    std::string host_binary;
    std::string name_prefix = "en";
    std::string capture_dir;   // pcaps of TX submission / RX completion per interface
    std::string admin_group = "netdext";
    std::string applications_dir = extensions::kDefaultApplicationsDir; // where apps must live
    sandbox::SandboxSettings sandbox; // docs/sandbox.md
    bool dext_logs = true;     // copy dext log lines into the daemon's log
    bool tap_io_uring = true;  // TAP frames in batches through io_uring (--tap-io)
    uint32_t max_movers = 0;   // frame movers per interface at most (--movers; 0: no limit)
    uint64_t drop_limit = 64;
    std::chrono::milliseconds stop_grace{2000};     // Terminate → SIGKILL for one driver
    std::chrono::milliseconds shutdown_grace{600};  // …when netdextd itself stops (< 1 s total)
    supervision::SupervisionPolicy supervision;     // watchdog, liveness, relaunch, quarantine
};

class Daemon {
public:
    // Checks everything (state directory, lock, database, --run bundles, socket) before starting
    // anything; nullptr and `error` when netdextd cannot start.
    static std::unique_ptr<Daemon> create(const DaemonOptions &options, std::string &error);
    ~Daemon();

    // `reload` re-reads the configuration on SIGHUP (what may change at run time: the admin
    // group, logging, the drop limit for drivers started later).
    void set_reload(std::function<std::optional<DaemonOptions>(std::string &error)> reload) {
        m_reload = std::move(reload);
    }
    // Runs until SIGINT/SIGTERM; returns the exit status (1 when every --run driver failed).
    int run();

private:
    struct Driver {
        std::string key;        // the record's uniqueID, or "run-N" for --run bundles
        std::string identifier; // CFBundleIdentifier
        std::string bundle_path;
        std::string boot_args;
        bool ephemeral = false;
        std::shared_ptr<InterfaceSlot> slot;
        std::unique_ptr<DextSession> session;
        uint64_t serial = 0;            // the session's epoll tag
        std::string waiting;            // why there is no session ("waiting for a matching …")
        // Check-in, liveness, crashes, relaunches and quarantine (supervision.cpp).
        supervision::Supervisor supervisor;
        bool expects_interface = false; // IOClass IOUserNetworkEthernet: checks in once registered
        bool stopping = false;
        std::chrono::steady_clock::time_point kill_at;
        std::function<void()> after_stop; // once the host has exited after stop_driver()
        std::string team_id = "-";        // what its signature said at the last launch
    };
    struct PendingApproval { // an activation waiting for the user's Allow
        control_server::Responder respond;
        pid_t pid = 0; // the process that asked (it may not approve itself)
    };
    struct PendingReplacement { // an activation asking its client what to do
        control_server::Responder respond;
        pid_t pid = 0;
        std::shared_ptr<extensions::Candidate> candidate;
        std::string old_unique_id;
    };
    struct Follower { // log --follow
        control_server::Responder respond;
        std::string identifier;
    };

    explicit Daemon(const DaemonOptions &options) : m_options(options) {}
    bool start(std::string &error);
    void add_fd(int fd, uint64_t tag);
    void remove_fd(int fd);

    // ---- drivers (drivers.cpp) ----
    Driver &add_driver(const std::string &key, const std::string &identifier,
                       const std::string &bundle_path, bool ephemeral,
                       const std::string &interface_name);
    void start_driver(Driver &driver);
    // Terminates the driver's process; `after` runs once it has exited (at once if none runs).
    void stop_driver(const std::string &key, std::function<void()> after);
    void on_session_event(uint64_t serial, uint64_t kind);
    void on_host_exit(Driver &driver);
    void check_deadlines();
    Driver *driver_of(const std::string &identifier);

    // ---- supervision (supervision.cpp) ----
    // Check-in, liveness and due relaunches of one driver; called after every loop turn.
    void supervise(Driver &driver);
    // Its host exited without being asked to: count it, then relaunch or quarantine.
    void on_driver_exit(Driver &driver);
    // The soonest supervision deadline of any driver (max() when none).
    [[nodiscard]] std::chrono::steady_clock::time_point next_supervision_deadline() const;
    nlohmann::json supervision_json(const Driver &driver) const;
    // The `driver` word of `netdextctl list`'s netdext section.
    [[nodiscard]] std::string driver_word(const Driver &driver) const;
    std::string mac_owner(const Driver &asking, const MacAddress &mac) const;

    // ---- requests (requests.cpp) ----
    void register_requests();
    void activate(control_server::Request &request);
    void proceed(control_server::Responder respond, pid_t pid,
                 const extensions::Candidate &candidate, const std::string &old_unique_id);
    void install(control_server::Responder respond, pid_t pid,
                 const extensions::Candidate &candidate);
    void approve(control_server::Request &request);
    void uninstall(control_server::Responder respond, const std::string &identifier,
                   const std::string &team_id);
    void reset(control_server::Request &request);
    void on_enabled(const extensions::ExtensionRecord &record, const std::string &old_key);
    void finish_removal(const std::string &key);
    void apps_changed();
    void check_apps();

    // ---- JSON for clients (requests.cpp) ----
    nlohmann::json record_json(const extensions::ExtensionRecord &record) const;
    nlohmann::json driver_json(const Driver &driver) const;
    nlohmann::json list_json() const;
    nlohmann::json status_json(const std::string &identifier) const;
    void changed(const std::string &identifier);

    // ---- code signing at launch (launch_identity.cpp), trust (trust_requests.cpp), the
    // I/O Registry (ioreg_requests.cpp); docs/codesign.md, docs/registry.md ----
    struct IoregQuery;
    extensions::ValidationOptions validation_options() const;
    bool open_trust(std::string &error);
    // Verifies the bundle about to run and fills what the session needs to know of its code
    // and its place in the registry; false (driver.waiting says why) when it may not run.
    bool prepare_launch(Driver &driver, const bundle::Bundle &bundle,
                        const bundle::Personality &match, SessionOptions &options);
    void register_trust_requests();
    void register_ioreg_requests();
    void ioreg(control_server::Request &request);
    void answer_ioreg(IoregQuery &query);
    void on_registry_timer();
    // ---- simulated devices (devices.cpp; docs/devices.md) ----
    void register_device_requests();
    void device_attach(control_server::Request &request);
    void device_set(control_server::Request &request);
    void device_list(control_server::Request &request);
    void on_device_event(uint64_t serial, uint64_t kind); // epoll kinds 11–12
    void probe_answered(PendingProbe &pending);
    // For start_driver(): the personality a device bound to `driver` matches, or nullptr; and,
    // once its host runs, sending it the device.
    const bundle::Personality *device_personality(Driver &driver, const bundle::Bundle &bundle);
    void device_driver_started(Driver &driver);
    void device_attached(uint64_t id, const shm::ipc::ReceivedMessage *reply);
    bool on_device_message(const std::string &key, shm::ipc::ReceivedMessage &message);
    DextSession *device_session(const AttachedDevice &device);
    void detach_device(uint64_t id, std::function<void(const nlohmann::json &)> done);
    void forget_device(uint64_t id);
    void rebind_devices(const std::string &old_key, const std::string &new_key);
    std::chrono::steady_clock::time_point device_deadline() const;
    void check_device_deadlines();
    nlohmann::json device_json(const AttachedDevice &device) const;

    void begin_shutdown(const char *why);
    void reload();
    void notify_systemd(const std::string &state);

    DaemonOptions m_options;
    std::function<std::optional<DaemonOptions>(std::string &)> m_reload;
    UniqueFd m_epoll;
    UniqueFd m_signals;
    UniqueFd m_lock;
    std::unique_ptr<netlink::LinkWatcher> m_watcher;
    std::unique_ptr<netlink::RouteSocket> m_route;
    std::unique_ptr<control_server::ControlServer> m_control;
    std::optional<extensions::ExtensionSet> m_extensions;
    std::optional<extensions::AppWatcher> m_apps;
    std::map<std::string, Driver> m_drivers;           // by key
    std::map<uint64_t, std::string> m_session_keys;    // session serial → driver key
    uint64_t m_next_serial = 1;
    std::map<std::string, PendingApproval> m_approvals; // by identifier
    std::vector<PendingReplacement> m_replacements;
    std::vector<control_server::Responder> m_watchers;
    std::vector<Follower> m_followers;
    std::vector<std::string> m_run_keys; // the --run drivers, in order
    std::optional<codesign::TrustStore> m_trust;              // <state-dir>/trust
    std::unique_ptr<extensions::CodeSignatureVerifier> m_verifier;     // activation, launch
    std::unique_ptr<extensions::CodeSignatureVerifier> m_run_verifier; // --run: integrity only
    registry::DaemonRegistry m_registry;
    UniqueFd m_registry_timer; // timerfd: an ioreg request's deadline for fresh snapshots
    std::vector<std::shared_ptr<IoregQuery>> m_ioreg_queries;
    bool m_stopping = false;
    std::chrono::steady_clock::time_point m_shutdown_deadline;
    std::shared_ptr<DeviceState> m_device_state; // simulated devices (devices.cpp)
};

} // namespace netdext::daemon
