// Supervisor on a ManualClock: the check-in watchdog, relaunch backoff (first immediate, then
// doubling to a cap, reset by a stable run), quarantine exactly at the crash limit within the
// window, release by `netdextctl restart`, Start failures, and the deadlines the daemon sleeps to.

#include <gtest/gtest.h>

#include "supervisor.h"

namespace netdext::supervision {
namespace {

using namespace std::chrono_literals;
using Action = Supervisor::Verdict::Action;

struct SupervisorTest : public ::testing::Test {
    ManualClock clock;
    SupervisionSettings settings;
    std::optional<Supervisor> supervisor;

    void SetUp() override {
        settings.check_in_timeout = 10s;
        settings.liveness_timeout = 2s;
        settings.crash_limit = 4;
        settings.crash_window = 60s;
        settings.backoff_initial = 100ms;
        settings.backoff_max = 1s;
        settings.stable_after = 30s;
        supervisor.emplace(clock, settings);
    }
    // Launched, and checked in after `after`.
    void run_for(Duration after = 1ms, bool expects_interface = true) {
        supervisor->launched(expects_interface);
        clock.advance(after);
        ASSERT_TRUE(supervisor->note_progress(true, true));
    }
};

TEST_F(SupervisorTest, ChecksInWhenStartReturnedAndTheInterfaceIsRegistered) {
    supervisor->launched(true);
    EXPECT_EQ(supervisor->phase(), Supervisor::Phase::checking_in);
    EXPECT_EQ(supervisor->next_deadline(), clock.now() + 10s);
    clock.advance(3s);
    EXPECT_FALSE(supervisor->note_progress(false, false));
    EXPECT_FALSE(supervisor->note_progress(true, false)) << "a networking dext needs its interface";
    clock.advance(1s);
    EXPECT_TRUE(supervisor->note_progress(false, true)) << "Start's return is remembered";
    EXPECT_FALSE(supervisor->note_progress(true, true)) << "only once";
    EXPECT_TRUE(supervisor->checked_in());
    EXPECT_EQ(supervisor->last_check_in_time(), 4s);
    clock.advance(1h);
    EXPECT_FALSE(supervisor->check_in_overdue());
}

TEST_F(SupervisorTest, ADextWithoutNetworkingChecksInAtStart) {
    supervisor->launched(false);
    EXPECT_TRUE(supervisor->note_progress(true, false));
}

TEST_F(SupervisorTest, StartThatNeverReturnsIsOverdueAtTheTimeoutOnce) {
    supervisor->launched(true);
    clock.advance(10s - 1ns);
    EXPECT_FALSE(supervisor->check_in_overdue());
    clock.advance(1ns);
    auto reason = supervisor->check_in_overdue();
    ASSERT_TRUE(reason);
    EXPECT_EQ(*reason, "check-in timeout: Start did not return within 10s");
    EXPECT_FALSE(supervisor->check_in_overdue()) << "reported once; the kill is under way";
    EXPECT_FALSE(supervisor->next_deadline());
}

TEST_F(SupervisorTest, NeverRegisteringIsOverdueWithItsOwnReason) {
    supervisor->launched(true);
    EXPECT_FALSE(supervisor->note_progress(true, false));
    clock.advance(10s);
    auto reason = supervisor->check_in_overdue();
    ASSERT_TRUE(reason);
    EXPECT_NE(reason->find("Start returned but registered no interface within 10s"),
              std::string::npos)
        << *reason;
}

TEST_F(SupervisorTest, NoWatchdogWhenTheTimeoutIsZero) {
    settings.check_in_timeout = Duration::zero();
    supervisor->set_settings(settings);
    supervisor->launched(true);
    clock.advance(24h);
    EXPECT_FALSE(supervisor->check_in_overdue());
    EXPECT_FALSE(supervisor->next_deadline());
}

TEST_F(SupervisorTest, FirstRelaunchIsImmediateThenTheDelayDoublesToTheCap) {
    settings.crash_limit = 0; // never quarantine: only the backoff
    supervisor->set_settings(settings);
    const Duration expected[] = {0ms, 100ms, 200ms, 400ms, 800ms, 1s, 1s, 1s};
    for (Duration delay : expected) {
        run_for();
        Supervisor::Verdict verdict = supervisor->crashed("killed by signal 9");
        ASSERT_EQ(verdict.action, Action::relaunch);
        EXPECT_EQ(verdict.delay, delay);
        EXPECT_EQ(verdict.at, clock.now() + delay);
        EXPECT_EQ(supervisor->relaunch_due(), delay == Duration::zero());
        EXPECT_EQ(supervisor->next_deadline(), verdict.at);
        clock.advance(delay);
        EXPECT_TRUE(supervisor->relaunch_due());
    }
    EXPECT_EQ(supervisor->crashes_in_a_row(), 8u);
}

TEST_F(SupervisorTest, AStableRunStartsANewRow) {
    settings.crash_limit = 0;
    supervisor->set_settings(settings);
    run_for();
    EXPECT_EQ(supervisor->crashed("a").delay, 0ms);
    run_for();
    EXPECT_EQ(supervisor->crashed("b").delay, 100ms);
    run_for();
    clock.advance(30s); // checked in 30 s ago: stable
    EXPECT_EQ(supervisor->crashed("c").delay, 0ms);
    run_for();
    EXPECT_EQ(supervisor->crashed("d").delay, 100ms);
    // A crash before checking in is never "stable", however long it took.
    supervisor->launched(true);
    clock.advance(5min);
    EXPECT_EQ(supervisor->crashed("e").delay, 200ms);
}

TEST_F(SupervisorTest, QuarantineExactlyAtTheLimitWithinTheWindow) {
    for (int crash = 1; crash <= 3; ++crash) {
        run_for();
        Supervisor::Verdict verdict = supervisor->crashed("crash " + std::to_string(crash));
        EXPECT_EQ(verdict.action, Action::relaunch) << crash;
        EXPECT_EQ(supervisor->crashes_in_window(), size_t(crash));
        clock.advance(verdict.delay);
    }
    run_for();
    Supervisor::Verdict verdict = supervisor->crashed("killed by signal 11 (Segmentation fault)");
    ASSERT_EQ(verdict.action, Action::quarantine);
    EXPECT_TRUE(supervisor->quarantined());
    EXPECT_EQ(verdict.reason, "crashed 4 time(s) within 60s (crash limit 4); last: killed by "
                              "signal 11 (Segmentation fault)");
    EXPECT_EQ(supervisor->quarantine_reason(), verdict.reason);
    EXPECT_FALSE(supervisor->relaunch_due());
    EXPECT_FALSE(supervisor->next_deadline());
    clock.advance(1h);
    EXPECT_TRUE(supervisor->quarantined()) << "quarantine lasts until released";
}

TEST_F(SupervisorTest, CrashesOutsideTheWindowDoNotCount) {
    // Three crashes, then a pause longer than the window, then three more: never four within it.
    for (int round = 0; round < 2; ++round) {
        for (int crash = 0; crash < 3; ++crash) {
            run_for();
            Supervisor::Verdict verdict = supervisor->crashed("x");
            ASSERT_EQ(verdict.action, Action::relaunch);
            clock.advance(verdict.delay);
        }
        clock.advance(61s);
    }
    EXPECT_EQ(supervisor->crashes_in_window(), 0u);
    EXPECT_EQ(supervisor->crashes_last_day(), 6u) << "XNU's counter covers 24 h";
    // The window slides: crashes at 0, 20, 40 s, then one at 70 s sees only two of them.
    for (Duration gap : {0s, 20s, 20s}) {
        clock.advance(gap);
        run_for();
        ASSERT_EQ(supervisor->crashed("y").action, Action::relaunch);
    }
    clock.advance(30s);
    run_for();
    EXPECT_EQ(supervisor->crashed("z").action, Action::relaunch);
    EXPECT_EQ(supervisor->crashes_in_window(), 3u);
}

TEST_F(SupervisorTest, ReleaseEndsQuarantineAndTheRowButKeepsTheDayCount) {
    settings.crash_limit = 2;
    supervisor->set_settings(settings);
    run_for();
    EXPECT_EQ(supervisor->crashed("a").action, Action::relaunch);
    run_for();
    EXPECT_EQ(supervisor->crashed("b").action, Action::quarantine);
    supervisor->release();
    EXPECT_FALSE(supervisor->quarantined());
    EXPECT_TRUE(supervisor->quarantine_reason().empty());
    EXPECT_EQ(supervisor->crashes_in_window(), 0u);
    EXPECT_EQ(supervisor->crashes_last_day(), 2u);
    run_for();
    Supervisor::Verdict verdict = supervisor->crashed("c");
    EXPECT_EQ(verdict.action, Action::relaunch);
    EXPECT_EQ(verdict.delay, 0ms) << "the row starts again";
    run_for();
    EXPECT_EQ(supervisor->crashed("d").action, Action::quarantine);
}

TEST_F(SupervisorTest, CrashLimitOneNeverRelaunches) {
    settings.crash_limit = 1;
    supervisor->set_settings(settings);
    run_for();
    EXPECT_EQ(supervisor->crashed("a").action, Action::quarantine);
}

TEST_F(SupervisorTest, StartFailureIsNotACrashAndIsNotRelaunched) {
    supervisor->launched(true);
    supervisor->start_failed("Start failed (0xe00002bc)");
    EXPECT_EQ(supervisor->phase(), Supervisor::Phase::start_failed);
    EXPECT_EQ(supervisor->crashes_last_day(), 0u);
    EXPECT_FALSE(supervisor->relaunch_due());
    EXPECT_FALSE(supervisor->next_deadline());
    EXPECT_EQ(supervisor->last_reason(), "Start failed (0xe00002bc)");
}

TEST_F(SupervisorTest, LivenessIsSampledEveryQuarterTimeoutOnceCheckedIn) {
    supervisor->launched(true);
    EXPECT_FALSE(supervisor->liveness_due());
    ASSERT_TRUE(supervisor->note_progress(true, true));
    EXPECT_EQ(supervisor->next_deadline(), clock.now() + 500ms);
    EXPECT_FALSE(supervisor->liveness_due());
    LivenessSample stuck{{{true, 10, 7, "en0"}}, std::nullopt};
    std::optional<std::string> reason;
    int samples = 0;
    while (!reason && samples < 100) {
        clock.advance(500ms);
        ASSERT_TRUE(supervisor->liveness_due());
        reason = supervisor->observe_liveness(stuck);
        ++samples;
    }
    ASSERT_TRUE(reason);
    EXPECT_EQ(samples, 5) << "first seen at the first sample, wedged 2 s later";
    EXPECT_NE(reason->find("3 frame(s) waited on its TX submission queue for 2s"), std::string::npos)
        << *reason;
}

TEST_F(SupervisorTest, TheCrashListIsBounded) {
    settings.crash_limit = 0;
    settings.backoff_max = 100ms;
    supervisor->set_settings(settings);
    for (size_t i = 0; i < Supervisor::kMaxRememberedCrashes + 50; ++i) {
        supervisor->launched(true);
        (void)supervisor->crashed("x");
    }
    EXPECT_EQ(supervisor->crashes_last_day(), Supervisor::kMaxRememberedCrashes);
}

} // namespace
} // namespace netdext::supervision
