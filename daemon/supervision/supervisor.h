// Supervisor: the decisions netdextd takes about one extension's driver process over its life
// (issue 10; DESIGN.md §7; docs/running.md "Supervision") — when a launch has failed to check in,
// whether a running driver is wedged, and what follows an exit: an immediate relaunch, one after
// an exponential backoff, or quarantine. It decides; the daemon acts (drivers.cpp,
// supervision.cpp). Pure: no system calls, time from an injectable Clock.
//
// A driver's life, as the Supervisor sees it:
//   launched() ─► checking in ─ note_progress(Start returned [+ interface]) ─► running
//        │              └─ check_in_overdue() after check_in_timeout: kill it, with the reason
//        └─ every exit the daemon did not ask for: crashed(reason) → Relaunch{at} or Quarantine
//   start_failed(): Start returned an error — no relaunch (as on macOS, where the provider stays
//   unmatched); stopped(): the daemon asked it to stop; release(): `netdextctl restart` — the
//   quarantine and the backoff row are forgotten (the 24 h crash count is kept, as XNU's).
//
// Counting: every crash (an exit or signal nobody asked for, a check-in timeout, a wedge, a
// protocol or ring violation the daemon stopped it for) is one. XNU logs
// "Driver <bundle> has crashed N time(s)" at each launch with N over the last 24 h; quarantine
// counts crashes within crash_window since the last release.
//
// Threads: the owner's (netdextd's main thread).
#pragma once

#include "clock.h"
#include "liveness.h"
#include "supervision_settings.h"

#include <deque>
#include <optional>
#include <string>

namespace netdext::supervision {

class Supervisor {
public:
    enum class Phase { idle, checking_in, running, relaunch_pending, quarantined, start_failed };
    struct Verdict {
        enum class Action { relaunch, quarantine } action;
        TimePoint at;       // relaunch: when (now for the first one)
        Duration delay{};   // relaunch: at - now
        std::string reason; // quarantine: why, for the log and status
    };

    explicit Supervisor(const Clock &clock = steady_clock(), SupervisionSettings settings = {});

    // The settings apply from the next decision on (a reload, an extension's overrides).
    void set_settings(const SupervisionSettings &settings) { m_settings = settings; }
    [[nodiscard]] const SupervisionSettings &settings() const { return m_settings; }

    // ---- a launch ----
    // A driver process started. `expects_interface`: it checks in only once it has registered
    // an interface (its personality's IOClass is IOUserNetworkEthernet: a network driver).
    void launched(bool expects_interface);
    // What the session shows now. True the one time this makes the driver checked in.
    bool note_progress(bool start_returned, bool interface_registered);
    // After check_in_timeout without checking in: the reason to kill the driver with (once).
    [[nodiscard]] std::optional<std::string> check_in_overdue();
    // Running and checked in: whether `sample` shows the driver wedged (the reason, once). Call
    // it when liveness_due(); it schedules the next sample.
    [[nodiscard]] std::optional<std::string> observe_liveness(const LivenessSample &sample);
    [[nodiscard]] bool liveness_due() const;

    // ---- its end ----
    Verdict crashed(const std::string &reason);
    void start_failed(const std::string &reason);
    void stopped();
    void release();
    // A pending relaunch's time has come (call relaunching() and launch it).
    [[nodiscard]] bool relaunch_due() const;

    // ---- for the daemon's loop and status ----
    [[nodiscard]] Phase phase() const { return m_phase; }
    [[nodiscard]] const char *phase_name() const;
    [[nodiscard]] bool quarantined() const { return m_phase == Phase::quarantined; }
    [[nodiscard]] bool checked_in() const { return m_phase == Phase::running; }
    // The next time something is due (check-in deadline, relaunch, liveness sample), if any.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const;
    [[nodiscard]] std::optional<TimePoint> relaunch_at() const;
    // Crashes in the last 24 h (XNU's counter) and within crash_window since the last release.
    [[nodiscard]] size_t crashes_last_day() const;
    [[nodiscard]] size_t crashes_in_window() const;
    [[nodiscard]] uint32_t crashes_in_a_row() const { return m_in_a_row; }
    [[nodiscard]] const std::string &last_reason() const { return m_last_reason; }
    [[nodiscard]] const std::string &quarantine_reason() const { return m_quarantine_reason; }
    // Launch → checked in, of the last launch that checked in.
    [[nodiscard]] std::optional<Duration> last_check_in_time() const { return m_check_in_time; }
    [[nodiscard]] uint64_t launches() const { return m_launches; }

    // Crash times older than this many are forgotten (a driver relaunched without a cap for a
    // day could otherwise grow the list without bound); the counts then saturate there.
    static constexpr size_t kMaxRememberedCrashes = 10000;

private:
    [[nodiscard]] Duration backoff_for(uint32_t in_a_row) const;
    void forget_old_crashes(TimePoint now);

    const Clock *m_clock;
    SupervisionSettings m_settings;
    LivenessWatch m_liveness;
    Phase m_phase = Phase::idle;
    bool m_expects_interface = false;
    bool m_start_returned = false;
    bool m_overdue_reported = false;
    TimePoint m_launched_at{};
    TimePoint m_checked_in_at{};
    TimePoint m_next_liveness{};
    TimePoint m_relaunch_at{};
    TimePoint m_released_at{};
    std::optional<Duration> m_check_in_time;
    std::deque<TimePoint> m_crashes; // oldest first
    uint32_t m_in_a_row = 0;
    uint64_t m_launches = 0;
    std::string m_last_reason;
    std::string m_quarantine_reason;
};

} // namespace netdext::supervision
