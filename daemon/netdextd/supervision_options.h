// netdextd's supervision options (docs/running.md, "Supervision"): --check-in-timeout,
// --liveness-timeout, --crash-limit, --crash-window, --relaunch-backoff, --relaunch-backoff-max,
// --relaunch-stable, and --supervise BUNDLEID:key=value,… for one extension. Also read from
// netdextd.conf (option = value) and again on SIGHUP.
#pragma once

#include <supervision_settings.h>

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace netdext::daemon {

class SupervisionOptions {
public:
    void add_to(CLI::App &app);
    // After the command line parsed: the policy the options describe; false (and `error`) for a
    // combination that makes no sense or a bad --supervise.
    bool apply(supervision::SupervisionPolicy &policy, std::string &error) const;

private:
    supervision::SupervisionSettings m_defaults;
    std::string m_check_in, m_liveness, m_window, m_backoff, m_backoff_max, m_stable;
    uint32_t m_crash_limit = m_defaults.crash_limit;
    std::vector<std::string> m_overrides;
};

} // namespace netdext::daemon
