// DriverLoader: the Driver Manager's link to the system. It submits the SystemExtensions requests
// (activation, deactivation, and a properties request every second to notice changes made
// elsewhere), turns the delegate's calls into DriverLoadingViewModel events, asks netdextd which
// interface the running driver has, and publishes a snapshot of it all after every change — to
// the web window's live updates and to the command line.
//
// Threads: the model lives on the loader's own DispatchQueue ("model"); the requests' delegate
// runs on a second one ("delegate"), where actionForReplacingExtension may wait for the user's
// choice without holding up the model. Public members may be called from any thread.
#pragma once

#include "DriverLoadingViewModel.h"

#include <SystemExtensions/SystemExtensions.h>
#include <netdext/sysext/interfaces.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct DriverSnapshot {
    uint64_t version = 0; // grows with every change
    std::string identifier;
    DriverState state = DriverState::notLoaded;
    std::string text, error, notice;
    std::optional<ReplacementQuestion> question;
    bool deactivating = false, can_install = false, can_deactivate = false;
    std::vector<netdext::sysext::InterfaceStatus> interfaces; // while activated
    std::string unreachable; // why netdextd cannot be asked ("" when it answers)
    bool observed = false;   // the system has been asked what is installed at least once
    // The last request the user made and how it ended: "activation"/"deactivation",
    // "pending"/"completed"/"failed" (for the command line, which waits for it).
    std::string last_request, last_outcome;

    [[nodiscard]] nlohmann::json to_json() const;
};

class DriverLoader : public std::enable_shared_from_this<DriverLoader> {
public:
    struct Options {
        std::string identifier; // the dext's CFBundleIdentifier
        // true: a replacement waits for decide_replacement(); false: `replacement` decides.
        bool ask_replacement = true;
        OSSystemExtensionRequest::ReplacementAction replacement =
            OSSystemExtensionRequest::ReplacementAction::replace;
        std::chrono::milliseconds poll{1000}; // 0: look once at start, never again
    };
    static std::shared_ptr<DriverLoader> create(Options options);
    ~DriverLoader();

    // Looks at what is installed, then keeps looking every `poll`.
    void start();
    // Stops looking; an open replacement question is answered "cancel"; wakes every waiter.
    void stop();

    void install();    // the Install Dext button
    void deactivate(); // the Deactivate Dext button
    void decide_replacement(bool replace);

    [[nodiscard]] DriverSnapshot snapshot() const;
    // Waits until the snapshot's version differs from `seen` (or `timeout` passes, or stop());
    // returns the snapshot then.
    DriverSnapshot wait_for_change(uint64_t seen, std::chrono::milliseconds timeout) const;
    // Called on the model queue after every change.
    void set_listener(std::function<void(const DriverSnapshot &)> listener);

private:
    class Delegate;
    explicit DriverLoader(Options options);
    void submit(std::shared_ptr<OSSystemExtensionRequest> request);
    void apply(const ViewEvent &event); // on the model queue
    void publish();                     // on the model queue
    void poll();                        // on the model queue: now, and again after `poll`
    void poll_now();                    // on the model queue: a properties request, if none is out
    void refresh_interfaces();          // on the model queue: netdextd's status, when activated
    void finished_request(OSSystemExtensionRequest *request); // on the model queue

    const Options m_options;
    std::shared_ptr<netdext::sysext::DispatchQueue> m_model_queue, m_delegate_queue;
    // On the model queue:
    DriverLoadingViewModel m_model;
    std::vector<netdext::sysext::InterfaceStatus> m_interfaces;
    std::string m_unreachable, m_last_request, m_last_outcome;
    bool m_observing = false; // a properties request is out
    bool m_observed = false;  // one has come back
    bool m_stopped = false;
    std::map<OSSystemExtensionRequest *, std::shared_ptr<Delegate>> m_delegates; // live requests
    std::function<void(const DriverSnapshot &)> m_listener;
    // Shared with other threads:
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_changed;
    DriverSnapshot m_snapshot;                    // guarded
    bool m_closed = false;                        // guarded
    std::optional<std::promise<bool>> m_decision; // guarded: the open replacement question
};
