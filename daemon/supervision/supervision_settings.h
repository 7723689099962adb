// What netdextd's supervision of a driver may be tuned with (docs/running.md, "Supervision"):
// the check-in watchdog, liveness, relaunch backoff and quarantine. netdextd fills one
// SupervisionPolicy from its options (--check-in-timeout …, and --supervise BUNDLEID:key=value,…
// for one extension); each launch asks it for the extension's SupervisionSettings.
//
// Pure: parsing and defaults only, no system calls; tested in tests/supervision_settings_test.cpp.
#pragma once

#include "clock.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace netdext::supervision {

using namespace std::chrono_literals;

struct SupervisionSettings {
    // Launch → Start returned and, for a network personality (IOClass IOUserNetworkEthernet),
    // its interface registered. XNU gives a dext's server 120 s to check in
    // (kIOUserServerCheckInTimeoutSecs). 0: no watchdog.
    Duration check_in_timeout = 120s;
    // Frames waiting on TX submission that the driver does not take, or a call from the stack it
    // does not answer, for this long: the driver is wedged (Linux's netdev watchdog gives a
    // stalled TX queue 5 s, dev_watchdog's default watchdog_timeo). 0: no liveness check.
    Duration liveness_timeout = 5s;
    // This many crashes within crash_window quarantine the extension (no more relaunches until
    // `netdextctl restart`); 1: never relaunch; 0: never quarantine. systemd's StartLimitBurst=5 is
    // the model; XNU relaunches third-party dexts without a cap and panics after more than 3 a
    // day only for Apple's own platform drivers (kMaxDextCrashesInOneDay).
    uint32_t crash_limit = 5;
    Duration crash_window = 10min;
    // The first relaunch after a crash is immediate; each further crash in a row waits
    // backoff_initial, doubling up to backoff_max. A driver that ran (checked in) for
    // stable_after starts the row again.
    Duration backoff_initial = 1s;
    Duration backoff_max = 60s;
    Duration stable_after = 60s;
};

// "500ms", "2s", "1.5s", "10min" (or "10m"), "24h"; a bare number is seconds; "0" is zero.
// False (and `error`) for anything else, or a negative or absurdly long value (> 30 days).
bool parse_duration(std::string_view text, Duration &out, std::string &error);
// An exact form parse_duration reads back: "500ms", "120s", "10min" (minutes from 5 on), "24h",
// "0".
std::string format_duration(Duration duration);

// Sets one setting by its option name without dashes ("check-in-timeout", "liveness-timeout",
// "crash-limit", "crash-window", "relaunch-backoff", "relaunch-backoff-max", "relaunch-stable").
bool apply_setting(SupervisionSettings &settings, std::string_view key, std::string_view value,
                   std::string &error);
// Checks the combination: a crash window when there is a crash limit, backoff_max ≥
// backoff_initial. False (and `error`) otherwise.
bool validate(const SupervisionSettings &settings, std::string &error);
// "check-in-timeout=120s liveness-timeout=5s crash-limit=5 …", for the log and status.
std::string describe(const SupervisionSettings &settings);

struct SupervisionPolicy {
    SupervisionSettings defaults;
    // By bundle ID: the "key=value,…" text given for it, already checked.
    std::map<std::string, std::string> overrides;

    // `spec` is "BUNDLEID:key=value[,key=value…]" (netdextd --supervise); a later one for the same
    // bundle ID adds to (and overrides keys of) an earlier one.
    bool add_override(std::string_view spec, std::string &error);
    // The defaults with the extension's overrides applied (the overrides were checked when added).
    [[nodiscard]] SupervisionSettings for_extension(const std::string &bundle_id) const;
};

} // namespace netdext::supervision
