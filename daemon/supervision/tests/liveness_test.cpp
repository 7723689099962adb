// LivenessWatch on a ManualClock: frames waiting on TX submission that the driver does not take,
// and driver calls it does not answer, are a wedge after the timeout; progress, an empty or
// disabled queue, and calls that waited only for Start are not.

#include <gtest/gtest.h>

#include "liveness.h"

namespace netdext::supervision {
namespace {

using namespace std::chrono_literals;

struct Liveness : public ::testing::Test {
    ManualClock clock;
    LivenessWatch watch{clock};
    void SetUp() override { watch.reset(1s); }
};

TEST_F(Liveness, FramesNotTakenForTheTimeoutAreAWedge) {
    LivenessSample s{{{true, 5, 2, "en0"}}, std::nullopt};
    EXPECT_FALSE(watch.observe(s)); // first seen now
    clock.advance(999ms);
    EXPECT_FALSE(watch.observe(s));
    clock.advance(1ms);
    auto reason = watch.observe(s);
    ASSERT_TRUE(reason);
    EXPECT_EQ(*reason, "wedged: 3 frame(s) waited on its TX submission queue for 1s without being taken");
}

TEST_F(Liveness, ProgressRestartsTheClock) {
    LivenessSample s{{{true, 5, 2, "en0"}}, std::nullopt};
    EXPECT_FALSE(watch.observe(s));
    for (int i = 0; i < 10; ++i) {
        clock.advance(900ms);
        s.tx[0].consumed += 1; // slow, but it takes frames
        s.tx[0].produced += 1;
        EXPECT_FALSE(watch.observe(s)) << i;
    }
}

TEST_F(Liveness, NothingWaitingOrADisabledQueueIsNeverAWedge) {
    EXPECT_FALSE(watch.observe({{{true, 7, 7, "en0"}}, std::nullopt}));
    clock.advance(1h);
    EXPECT_FALSE(watch.observe({{{true, 7, 7, "en0"}}, std::nullopt}));
    EXPECT_FALSE(watch.observe({{{false, 9, 7, "en0"}}, std::nullopt}));
    clock.advance(1h);
    EXPECT_FALSE(watch.observe({{{false, 9, 7, "en0"}}, std::nullopt}))
        << "interface down: frames may sit";
    // Enabled again: the clock starts now, not when the frames arrived.
    EXPECT_FALSE(watch.observe({{{true, 9, 7, "en0"}}, std::nullopt}));
    clock.advance(500ms);
    EXPECT_FALSE(watch.observe({{{true, 9, 7, "en0"}}, std::nullopt}));
}

TEST_F(Liveness, AConsumerSeenAheadOfThePublishedCountIsNothingWaiting) {
    // The mover counts after it publishes: the driver may already have taken the entries.
    EXPECT_FALSE(watch.observe({{{true, 10, 12, "en0"}}, std::nullopt}));
    clock.advance(10s);
    EXPECT_FALSE(watch.observe({{{true, 10, 12, "en0"}}, std::nullopt}));
}

TEST_F(Liveness, IndicesWrapAround) {
    LivenessSample s{{{true, 3, 0xfffffffeu, "en0"}}, std::nullopt}; // 5 waiting across the wrap
    EXPECT_FALSE(watch.observe(s));
    clock.advance(1s);
    auto reason = watch.observe(s);
    ASSERT_TRUE(reason);
    EXPECT_NE(reason->find("5 frame(s)"), std::string::npos) << *reason;
}

TEST_F(Liveness, AnUnansweredCallIsAWedgeCountedFromCheckIn) {
    // A call sent before the driver checked in waited for Start (same queue): counted from reset.
    const TimePoint early = clock.now() - 10s;
    EXPECT_FALSE(watch.observe({{{false, 0, 0, "en0"}}, early}));
    clock.advance(999ms);
    EXPECT_FALSE(watch.observe({{{false, 0, 0, "en0"}}, early}));
    clock.advance(1ms);
    auto reason = watch.observe({{{false, 0, 0, "en0"}}, early});
    ASSERT_TRUE(reason);
    EXPECT_EQ(*reason, "wedged: a call from the network stack went unanswered for 1s");
    const TimePoint recent = clock.now() - 200ms;
    EXPECT_FALSE(watch.observe({{{false, 0, 0, "en0"}}, recent}));
}

TEST_F(Liveness, EveryInterfaceIsWatchedAndTheReasonNamesIt) {
    // en0 idle, en1 stalled: en1 wedges the driver; en0 taking frames does not hide it.
    LivenessSample s{{{true, 4, 4, "en0"}, {true, 9, 6, "en1"}}, std::nullopt};
    EXPECT_FALSE(watch.observe(s));
    clock.advance(600ms);
    s.tx[0].produced += 3;
    s.tx[0].consumed += 3;
    EXPECT_FALSE(watch.observe(s));
    clock.advance(400ms);
    auto reason = watch.observe(s);
    ASSERT_TRUE(reason);
    EXPECT_EQ(*reason, "wedged: 3 frame(s) waited on the TX submission queue of en1 for 1s "
                       "without being taken");
    // An interface that comes or goes does not restart the others' watches.
    watch.reset(1s);
    EXPECT_FALSE(watch.observe({{{true, 9, 6, "en1"}}, std::nullopt}));
    clock.advance(500ms);
    EXPECT_FALSE(watch.observe({{{true, 4, 4, "en0"}, {true, 9, 6, "en1"}}, std::nullopt}));
    clock.advance(500ms);
    EXPECT_TRUE(watch.observe({{{true, 9, 6, "en1"}}, std::nullopt}));
}

TEST_F(Liveness, ZeroTimeoutTurnsItOff) {
    watch.reset(Duration::zero());
    EXPECT_FALSE(watch.observe({{{true, 5, 0, "en0"}}, clock.now() - 1h}));
    clock.advance(24h);
    EXPECT_FALSE(watch.observe({{{true, 5, 0, "en0"}}, clock.now() - 1h}));
}

} // namespace
} // namespace netdext::supervision
