// netdextd's supervision of its drivers (issue 10, DESIGN.md §7): each Driver's Supervisor
// (daemon/supervision/) decides, this file acts — it feeds the Supervisor what the session shows
// (Start returned, interface registered, TX submission progress, unanswered calls), kills a
// driver that did not check in or is wedged (carrier off first), and after an exit nobody asked
// for relaunches it (at once, then with backoff) or quarantines it until `netdextctl restart`.
//
// Threads: the daemon's main thread, after every turn of its loop (check_deadlines()).

#include "daemon.h"

#include "daemon_log.h"

namespace netdext::daemon {

using daemon_log::Level;
using daemon_log::say;
using supervision::Supervisor;

namespace {

std::string milliseconds(std::chrono::steady_clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

} // namespace

void Daemon::supervise(Driver &driver) {
    if (m_stopping || driver.stopping)
        return;
    Supervisor &supervisor = driver.supervisor;
    if (supervisor.relaunch_due()) {
        say(Level::notice, driver.identifier, driver.slot->name(), "relaunching %s",
            driver.identifier.c_str());
        start_driver(driver);
        return;
    }
    DextSession *session = driver.session.get();
    if (session == nullptr || !session->pidfd_running() || session->finished())
        return;
    if (supervisor.note_progress(session->started(), session->interface() != nullptr))
        say(Level::info, driver.identifier, driver.slot->name(), "checked in after %s",
            milliseconds(*supervisor.last_check_in_time()).c_str());
    std::optional<std::string> reason = supervisor.check_in_overdue();
    if (!reason && supervisor.liveness_due()) {
        supervision::LivenessSample sample;
        for (uint32_t id : session->interface_ids())
            if (NetInterface *iface = session->interface(id)) {
                const NetInterface::TxProgress tx = iface->tx_progress();
                sample.tx.push_back({tx.enabled, tx.produced, tx.consumed, iface->name()});
            }
        sample.oldest_call = session->oldest_unanswered_call();
        reason = supervisor.observe_liveness(sample);
    }
    if (reason) {
        // The carrier drops and the host is killed; its pidfd brings us to on_driver_exit().
        say(Level::error, driver.identifier, driver.slot->name(), "%s: %s",
            driver.identifier.c_str(), reason->c_str());
        session->stop_for_supervision(*reason);
        changed(driver.identifier);
    }
}

void Daemon::on_driver_exit(Driver &driver) {
    Supervisor &supervisor = driver.supervisor;
    const DextSession &session = *driver.session;
    const std::string reason =
        session.state_reason().empty() ? std::string(session.state_name()) : session.state_reason();
    // netdextd is stopping, or the host ended cleanly (it exits 0 only when told to stop: a
    // Terminate after its interface was deleted, say): nothing to relaunch.
    if (m_stopping || session.state() == DextSession::State::exited) {
        supervisor.stopped();
        return;
    }
    // As on macOS, a driver whose Start fails is not started again (its provider stays
    // unmatched) until someone asks: `netdextctl restart`.
    if (session.start_failed()) {
        supervisor.start_failed(reason);
        return;
    }
    const Supervisor::Verdict verdict = supervisor.crashed(reason);
    if (verdict.action == Supervisor::Verdict::Action::quarantine) {
        say(Level::error, driver.identifier, driver.slot->name(),
            "Driver %s has crashed %zu time(s); quarantined: %s (netdextctl restart %s "
            "releases it)",
            driver.identifier.c_str(), supervisor.crashes_last_day(), verdict.reason.c_str(),
            driver.identifier.c_str());
        return;
    }
    if (verdict.delay == supervision::Duration::zero()) {
        say(Level::notice, driver.identifier, driver.slot->name(), "relaunching %s (%s)",
            driver.identifier.c_str(), reason.c_str());
        start_driver(driver);
        return;
    }
    say(Level::notice, driver.identifier, driver.slot->name(),
        "relaunching %s in %s (%u crashes in a row; %s)", driver.identifier.c_str(),
        supervision::format_duration(verdict.delay).c_str(), supervisor.crashes_in_a_row(),
        reason.c_str());
}

std::chrono::steady_clock::time_point Daemon::next_supervision_deadline() const {
    auto soonest = std::chrono::steady_clock::time_point::max();
    if (m_stopping)
        return soonest;
    for (const auto &[key, driver] : m_drivers)
        if (!driver.stopping)
            if (auto deadline = driver.supervisor.next_deadline())
                soonest = std::min(soonest, *deadline);
    return soonest;
}

std::string Daemon::driver_word(const Driver &driver) const {
    const Supervisor &supervisor = driver.supervisor;
    if (supervisor.quarantined())
        return "quarantined (" + supervisor.quarantine_reason() + ")";
    if (auto at = supervisor.relaunch_at()) {
        auto in = std::max(*at - std::chrono::steady_clock::now(), supervision::Duration::zero());
        return "relaunching in " + milliseconds(in) + " (" + supervisor.last_reason() + ")";
    }
    if (driver.session)
        return driver.session->state_name();
    return driver.waiting.empty() ? "not running" : driver.waiting;
}

nlohmann::json Daemon::supervision_json(const Driver &driver) const {
    const Supervisor &supervisor = driver.supervisor;
    nlohmann::json s;
    s["phase"] = supervisor.phase_name();
    s["quarantined"] = supervisor.quarantined();
    s["quarantine_reason"] = supervisor.quarantine_reason();
    s["last_reason"] = supervisor.last_reason();
    s["crashes_last_day"] = supervisor.crashes_last_day();
    s["crashes_in_window"] = supervisor.crashes_in_window();
    s["crashes_in_a_row"] = supervisor.crashes_in_a_row();
    s["launches"] = supervisor.launches();
    if (auto at = supervisor.relaunch_at())
        s["relaunch_in_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::max(*at - std::chrono::steady_clock::now(),
                                           supervision::Duration::zero()))
                                  .count();
    if (auto took = supervisor.last_check_in_time())
        s["check_in_ms"] =
            std::chrono::duration_cast<std::chrono::duration<double, std::milli>>(*took).count();
    s["settings"] = supervision::describe(supervisor.settings());
    return s;
}

} // namespace netdext::daemon
