// A running netdextd inside a network namespace the test made: start, status, logs, commands,
// stop. Everything the fixture creates (namespace, daemon, files) is removed in its destructor,
// also when a test fails. Tests wait on conditions with deadlines, never fixed sleeps.
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
    bool wait_for_interface = true; // false: start() returns once netdextd writes its status
};

class DaemonFixture {
public:
    DaemonFixture();
    ~DaemonFixture();

    // Starts netdextd in the namespace; false (with a message) if it does not come up.
    bool start(const DaemonRun &run, std::string &error);
    void stop(); // SIGTERM, then SIGKILL after a deadline

    [[nodiscard]] const ScopedNetns &netns() const { return *m_netns; }
    [[nodiscard]] pid_t daemon_pid() const { return m_pid; }
    [[nodiscard]] bool daemon_alive();
    [[nodiscard]] const std::string &dir() const { return m_dir; }
    // The cgroup (relative to the test's own) the daemon makes the dexts' cgroups in.
    [[nodiscard]] const std::string &cgroup() const { return m_cgroup; }

    nlohmann::json status();                    // the status file ({} if unreadable)
    nlohmann::json dext();                      // status()["dexts"][0] or {}
    uint64_t counter(const std::string &name);  // dext()["interface"]["counters"][name]
    std::string log();                          // netdextd's standard error so far
    bool log_contains(const std::string &text) { return log().find(text) != std::string::npos; }
    ScopedNetns::CommandResult sh(const std::string &command) const;

    // Waits until `condition` holds (polling the status and log); false at the deadline.
    bool wait_for(const std::function<bool()> &condition,
                  std::chrono::milliseconds deadline = std::chrono::seconds(20));

private:
    std::optional<ScopedNetns> m_netns;
    std::string m_dir;
    std::string m_cgroup;
    pid_t m_pid = -1;
};

// Paths of the built artefacts (compile definitions from CMake).
std::string netdextd_path();
std::string host_path();

} // namespace netdext::testing
