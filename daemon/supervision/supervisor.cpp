// Supervisor (see supervisor.h).

#include "supervisor.h"

#include <algorithm>

namespace netdext::supervision {

namespace {
constexpr Duration kDay = std::chrono::hours(24);

// How often a running driver's liveness is sampled: a quarter of the timeout (so a wedge is
// found between 1 and 1.25 timeouts after it began), at most once a second, at least every
// millisecond.
Duration liveness_period(Duration timeout) {
    return std::clamp<Duration>(timeout / 4, std::chrono::milliseconds(1), std::chrono::seconds(1));
}
} // namespace

const Clock &steady_clock() {
    static const SteadyClock clock;
    return clock;
}

Supervisor::Supervisor(const Clock &clock, SupervisionSettings settings)
    : m_clock(&clock), m_settings(settings), m_liveness(clock) {}

const char *Supervisor::phase_name() const {
    switch (m_phase) {
    case Phase::idle: return "idle";
    case Phase::checking_in: return "checking in";
    case Phase::running: return "running";
    case Phase::relaunch_pending: return "relaunch pending";
    case Phase::quarantined: return "quarantined";
    case Phase::start_failed: return "Start failed";
    }
    return "?";
}

void Supervisor::launched(bool expects_interface) {
    ++m_launches;
    m_phase = Phase::checking_in;
    m_expects_interface = expects_interface;
    m_start_returned = false;
    m_overdue_reported = false;
    m_launched_at = m_clock->now();
}

bool Supervisor::note_progress(bool start_returned, bool interface_registered) {
    if (m_phase != Phase::checking_in)
        return false;
    m_start_returned = m_start_returned || start_returned;
    if (!m_start_returned || (m_expects_interface && !interface_registered))
        return false;
    const TimePoint now = m_clock->now();
    m_phase = Phase::running;
    m_checked_in_at = now;
    m_check_in_time = now - m_launched_at;
    m_liveness.reset(m_settings.liveness_timeout);
    m_next_liveness = now + liveness_period(m_settings.liveness_timeout);
    return true;
}

std::optional<std::string> Supervisor::check_in_overdue() {
    const Duration timeout = m_settings.check_in_timeout;
    if (m_phase != Phase::checking_in || m_overdue_reported || timeout <= Duration::zero() ||
        m_clock->now() - m_launched_at < timeout)
        return std::nullopt;
    m_overdue_reported = true;
    // XNU: "DK: <service> user server timeout" after kIOUserServerCheckInTimeoutSecs.
    if (!m_start_returned)
        return "check-in timeout: Start did not return within " + format_duration(timeout);
    return "check-in timeout: Start returned but registered no interface within " +
           format_duration(timeout) +
           " (a network personality, IOClass IOUserNetworkEthernet, checks in once it has "
           "registered its interface)";
}

bool Supervisor::liveness_due() const {
    return m_phase == Phase::running && m_settings.liveness_timeout > Duration::zero() &&
           m_clock->now() >= m_next_liveness;
}

std::optional<std::string> Supervisor::observe_liveness(const LivenessSample &sample) {
    if (m_phase != Phase::running)
        return std::nullopt;
    m_next_liveness = m_clock->now() + liveness_period(m_settings.liveness_timeout);
    return m_liveness.observe(sample);
}

Duration Supervisor::backoff_for(uint32_t in_a_row) const {
    if (in_a_row <= 1)
        return Duration::zero(); // the first relaunch is immediate
    Duration delay = m_settings.backoff_initial;
    for (uint32_t i = 2; i < in_a_row && delay < m_settings.backoff_max; ++i)
        delay *= 2;
    return std::min(delay, m_settings.backoff_max);
}

void Supervisor::forget_old_crashes(TimePoint now) {
    const Duration keep = std::max(kDay, m_settings.crash_window);
    while (!m_crashes.empty() &&
           (now - m_crashes.front() >= keep || m_crashes.size() > kMaxRememberedCrashes))
        m_crashes.pop_front();
}

Supervisor::Verdict Supervisor::crashed(const std::string &reason) {
    const TimePoint now = m_clock->now();
    m_last_reason = reason;
    // A driver that ran long enough before this crash starts a new row (no backoff).
    if (m_phase == Phase::running && now - m_checked_in_at >= m_settings.stable_after)
        m_in_a_row = 0;
    ++m_in_a_row;
    m_crashes.push_back(now);
    forget_old_crashes(now);
    const size_t in_window = m_settings.crash_limit > 0 ? crashes_in_window() : 0;
    if (m_settings.crash_limit > 0 && in_window >= m_settings.crash_limit) {
        m_phase = Phase::quarantined;
        m_quarantine_reason = "crashed " + std::to_string(in_window) + " time(s) within " +
                              format_duration(m_settings.crash_window) + " (crash limit " +
                              std::to_string(m_settings.crash_limit) + "); last: " + reason;
        return Verdict{Verdict::Action::quarantine, now, {}, m_quarantine_reason};
    }
    const Duration delay = backoff_for(m_in_a_row);
    m_phase = Phase::relaunch_pending;
    m_relaunch_at = now + delay;
    return Verdict{Verdict::Action::relaunch, m_relaunch_at, delay, {}};
}

void Supervisor::start_failed(const std::string &reason) {
    m_phase = Phase::start_failed;
    m_last_reason = reason;
}

void Supervisor::stopped() { m_phase = Phase::idle; }

void Supervisor::release() {
    if (m_phase != Phase::checking_in && m_phase != Phase::running)
        m_phase = Phase::idle;
    m_in_a_row = 0;
    m_released_at = m_clock->now();
    m_quarantine_reason.clear();
}

bool Supervisor::relaunch_due() const {
    return m_phase == Phase::relaunch_pending && m_clock->now() >= m_relaunch_at;
}

std::optional<TimePoint> Supervisor::relaunch_at() const {
    if (m_phase != Phase::relaunch_pending)
        return std::nullopt;
    return m_relaunch_at;
}

std::optional<TimePoint> Supervisor::next_deadline() const {
    switch (m_phase) {
    case Phase::checking_in:
        if (m_settings.check_in_timeout > Duration::zero() && !m_overdue_reported)
            return m_launched_at + m_settings.check_in_timeout;
        return std::nullopt;
    case Phase::running:
        if (m_settings.liveness_timeout > Duration::zero())
            return m_next_liveness;
        return std::nullopt;
    case Phase::relaunch_pending:
        return m_relaunch_at;
    default:
        return std::nullopt;
    }
}

// m_crashes is in time order: count from the newest back to the first one out of range.
size_t Supervisor::crashes_last_day() const {
    const TimePoint now = m_clock->now();
    size_t count = 0;
    for (auto it = m_crashes.rbegin(); it != m_crashes.rend() && now - *it < kDay; ++it)
        ++count;
    return count;
}

size_t Supervisor::crashes_in_window() const {
    const TimePoint now = m_clock->now();
    size_t count = 0;
    for (auto it = m_crashes.rbegin();
         it != m_crashes.rend() && now - *it < m_settings.crash_window && *it > m_released_at; ++it)
        ++count;
    return count;
}

} // namespace netdext::supervision
