// SupervisionOptions (see supervision_options.h).

#include "supervision_options.h"

namespace netdext::daemon {

using supervision::format_duration;

namespace {

CLI::Validator duration_validator() {
    return CLI::Validator(
        [](std::string &text) {
            supervision::Duration parsed{};
            std::string error;
            return supervision::parse_duration(text, parsed, error) ? std::string() : error;
        },
        "DURATION");
}

} // namespace

void SupervisionOptions::add_to(CLI::App &app) {
    const supervision::SupervisionSettings &d = m_defaults;
    auto duration = [&](const char *name, std::string &into, supervision::Duration value,
                        const std::string &what) {
        into = format_duration(value);
        app.add_option(name, into, what + " (default " + into + ")")->check(duration_validator());
    };
    duration("--check-in-timeout", m_check_in, d.check_in_timeout,
             "Kill a driver whose Start has not returned (or, for a network personality, that "
             "has registered no interface) this long after launch; 0: never");
    duration("--liveness-timeout", m_liveness, d.liveness_timeout,
             "Kill a running driver that leaves frames on its TX submission queue or a call "
             "unanswered this long; 0: never");
    app.add_option("--crash-limit", m_crash_limit,
                   "Quarantine an extension after this many crashes within --crash-window "
                   "(netdextctl restart releases it); 1: never relaunch, 0: never quarantine "
                   "(default " + std::to_string(d.crash_limit) + ")");
    duration("--crash-window", m_window, d.crash_window, "The window --crash-limit counts in");
    duration("--relaunch-backoff", m_backoff, d.backoff_initial,
             "The first relaunch is immediate; the next crash in a row waits this, doubling");
    duration("--relaunch-backoff-max", m_backoff_max, d.backoff_max,
             "The longest wait before a relaunch");
    duration("--relaunch-stable", m_stable, d.stable_after,
             "A driver that ran this long after checking in starts a new row of crashes");
    app.add_option("--supervise", m_overrides,
                   "One extension's own settings: BUNDLEID:key=value[,key=value…] with the "
                   "options above as keys (check-in-timeout=300s,liveness-timeout=0); repeatable");
}

bool SupervisionOptions::apply(supervision::SupervisionPolicy &policy, std::string &error) const {
    supervision::SupervisionPolicy out;
    supervision::SupervisionSettings &s = out.defaults;
    const std::pair<const char *, const std::string *> durations[] = {
        {"check-in-timeout", &m_check_in},       {"liveness-timeout", &m_liveness},
        {"crash-window", &m_window},             {"relaunch-backoff", &m_backoff},
        {"relaunch-backoff-max", &m_backoff_max}, {"relaunch-stable", &m_stable}};
    for (const auto &[key, text] : durations)
        if (!supervision::apply_setting(s, key, *text, error))
            return false;
    s.crash_limit = m_crash_limit;
    if (!supervision::validate(s, error))
        return false;
    for (const std::string &spec : m_overrides)
        if (!out.add_override(spec, error)) {
            error = "--supervise " + error;
            return false;
        }
    policy = out;
    return true;
}

} // namespace netdext::daemon
