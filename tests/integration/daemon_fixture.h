// A running netdextd inside a network namespace the test made: start, status, logs, commands,
// stop. Everything the fixture creates (namespace, daemon, files) is removed in its destructor,
// also when a test fails. Tests wait on conditions with deadlines, never fixed sleeps.
//
// The daemon serves its control socket in the fixture's directory; status(), dext() and counter()
// read the live status through it (control/client.h), and ctl() runs netdextctl against it.
// start() runs one dext with --run (ephemeral); start_service() runs netdextd with its own
// --state-dir, as the service does, for lifecycle tests.
#pragma once

#include "netns/scoped_netns.h"

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace netdext::testing {

struct DaemonRun {
    std::string dext;
    std::string boot_args;
    std::vector<std::string> extra_args;
    bool wait_for_interface = true; // false: up once the socket answers (a driver meant to fail)
    bool capture = true; // --capture into dir(); benchmarks turn it off (it writes every frame)
};

class DaemonFixture {
public:
    DaemonFixture();
    ~DaemonFixture();

    // Starts netdextd --run in the namespace; false (with a message) if it does not come up
    // (up: the dext's interface is registered and Start returned, or only the socket answers
    // when !run.wait_for_interface).
    bool start(const DaemonRun &run, std::string &error);
    // Starts netdextd as a service on state_dir() (kept across restarts of the daemon) with
    // `extra_args` and the environment `environment` ("NAME=value"); up: its socket answers.
    bool start_service(std::string &error, const std::vector<std::string> &extra_args = {},
                       const std::vector<std::string> &environment = {});
    void stop(); // SIGTERM, then SIGKILL after a deadline

    [[nodiscard]] const ScopedNetns &netns() const { return *m_netns; }
    [[nodiscard]] pid_t daemon_pid() const { return m_pid; }
    [[nodiscard]] bool daemon_alive();
    // Waits for the daemon to exit on its own; its wait status, or nullopt at the deadline.
    std::optional<int> wait_exit(std::chrono::milliseconds deadline = std::chrono::seconds(10));
    // The wait status of the last daemon that exited (nullopt while one runs or before any).
    [[nodiscard]] std::optional<int> exit_status() const { return m_exit_status; }
    [[nodiscard]] const std::string &dir() const { return m_dir; }
    // The cgroup (relative to the test's own) the daemon makes the dexts' cgroups in.
    [[nodiscard]] const std::string &cgroup() const { return m_cgroup; }
    [[nodiscard]] std::string socket_path() const { return m_dir + "/netdextd.sock"; }
    [[nodiscard]] std::string state_dir() const { return m_dir + "/state"; }

    nlohmann::json status();                    // the daemon's status ({} if unreachable)
    nlohmann::json dext();                      // status()["dexts"][0] or {}
    uint64_t counter(const std::string &name);  // dext()["interface"]["counters"][name]
    // One control request ({"request": verb, …}); its final event, or {} if unreachable.
    nlohmann::json request(const nlohmann::json &message,
                           std::chrono::milliseconds deadline = std::chrono::seconds(30));
    std::string log();                          // netdextd's standard error so far
    bool log_contains(const std::string &text) { return log().find(text) != std::string::npos; }
    // How many times `text` appears in the log.
    size_t log_count(const std::string &text) {
        const std::string all = log();
        size_t count = 0;
        for (size_t at = all.find(text); at != std::string::npos; at = all.find(text, at + 1))
            ++count;
        return count;
    }
    ScopedNetns::CommandResult sh(const std::string &command) const;
    // `netdextctl --socket <ours> <arguments>` inside the namespace (stdout and stderr).
    ScopedNetns::CommandResult ctl(const std::string &arguments) const;

    // Waits until `condition` holds (polling the status and log); false at the deadline.
    bool wait_for(const std::function<bool()> &condition,
                  std::chrono::milliseconds deadline = std::chrono::seconds(20));

private:
    bool spawn(const std::vector<std::string> &args, const std::vector<std::string> &environment,
               std::string &error);

    std::optional<ScopedNetns> m_netns;
    std::string m_dir;
    std::string m_cgroup;
    pid_t m_pid = -1;
    std::optional<int> m_exit_status;
};

// Paths of the built artefacts (compile definitions from CMake).
std::string netdextd_path();
std::string host_path();
std::string netdextctl_path();

} // namespace netdext::testing
