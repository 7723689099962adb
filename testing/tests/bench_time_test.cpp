// Virtual time under the bench: advance() fires timers in deadline order (ties in arming order),
// fires again what a handler re-arms inside the window, stops at the target, stamps frames with
// the time of the handler that produced them, and the same script gives the same run.

#include <gtest/gtest.h>

#include <netdext/testing/driver_bench.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/bench_probe_nic.h"

using namespace std::chrono_literals;
using netdext::testing::CallRecord;
using netdext::testing::DriverBench;
using netdext::testing::Frame;

namespace {

constexpr uint64_t kMs = 1'000'000;

struct BenchTime : public ::testing::Test {
    std::unique_ptr<DriverBench> bench;
    uint64_t up = 0; // virtual time of interface-up

    void SetUp() override { bench_probe::reset(); }
    void start(std::vector<bench_probe::Timer> timers) {
        bench_probe::config().timers = std::move(timers);
        bench = std::make_unique<DriverBench>();
        bench->use_class("BenchProbeNic");
        ASSERT_EQ(bench->start(), kIOReturnSuccess);
        up = bench->now_ns();
        ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    }
    void TearDown() override {
        if (!bench)
            return;
        EXPECT_EQ(bench->stop(), kIOReturnSuccess);
        EXPECT_EQ(bench->misuses(), std::vector<std::string>{});
        bench.reset();
    }
    // (timer, deadline - up) of every firing so far.
    std::vector<std::pair<uint32_t, uint64_t>> firings() {
        std::vector<std::pair<uint32_t, uint64_t>> out;
        for (const bench_probe::Event &e : bench_probe::events())
            out.emplace_back(e.timer, e.deadline - up);
        return out;
    }
};

using Firings = std::vector<std::pair<uint32_t, uint64_t>>;

} // namespace

TEST_F(BenchTime, NothingMovesUntilTheTestAdvances) {
    start({{.first_ns = 1 * kMs}});
    EXPECT_EQ(bench->now_ns(), up);
    bench->settle();
    ASSERT_TRUE(bench->transmit(std::vector<uint8_t>(60, 1)));
    EXPECT_EQ(bench->now_ns(), up);
    EXPECT_TRUE(bench_probe::events().empty());
    // The driver reads the same clock.
    EXPECT_EQ(clock_gettime_nsec_np(CLOCK_UPTIME_RAW), bench->now_ns());
}

TEST_F(BenchTime, TimersFireInDeadlineOrder) {
    start({{.first_ns = 30 * kMs}, {.first_ns = 10 * kMs}, {.first_ns = 20 * kMs}});
    EXPECT_EQ(bench->advance(100ms), 3u);
    EXPECT_EQ(firings(), (Firings{{1, 10 * kMs}, {2, 20 * kMs}, {0, 30 * kMs}}));
    // Each handler ran with the clock at its own deadline, not at the end of the window.
    for (const bench_probe::Event &e : bench_probe::events())
        EXPECT_EQ(e.now, e.deadline);
    EXPECT_EQ(bench->now_ns() - up, 100 * kMs);
}

TEST_F(BenchTime, EqualDeadlinesFireInArmingOrder) {
    start({{.first_ns = 10 * kMs}, {.first_ns = 10 * kMs}, {.first_ns = 10 * kMs}});
    EXPECT_EQ(bench->advance(10ms), 3u);
    EXPECT_EQ(firings(), (Firings{{0, 10 * kMs}, {1, 10 * kMs}, {2, 10 * kMs}}));
}

TEST_F(BenchTime, ATimerReArmedInsideTheWindowFiresAgainBeforeAdvanceReturns) {
    start({{.first_ns = 1 * kMs, .period_ns = 1 * kMs, .firings = 5}});
    EXPECT_EQ(bench->advance(10ms), 5u);
    EXPECT_EQ(firings(),
              (Firings{{0, 1 * kMs}, {0, 2 * kMs}, {0, 3 * kMs}, {0, 4 * kMs}, {0, 5 * kMs}}));
}

TEST_F(BenchTime, AdvanceStopsAtItsTargetAndResumesFromThere) {
    start({{.first_ns = 1 * kMs, .period_ns = 1 * kMs, .firings = 10}});
    EXPECT_EQ(bench->advance(2500us), 2u);
    EXPECT_EQ(bench->now_ns() - up, 2'500'000u);
    EXPECT_EQ(bench->advance(500us), 1u); // the deadline at exactly 3 ms is included
    EXPECT_EQ(bench->advance(0ns), 0u);
    EXPECT_EQ(firings().back(), (std::pair<uint32_t, uint64_t>{0, 3 * kMs}));
}

TEST_F(BenchTime, ADeadlineThatIsDueNowFiresWithoutAdvancing) {
    start({{.first_ns = 0}});
    // set_interface_enable settles, and settling fires what is due at the current time.
    EXPECT_EQ(firings(), (Firings{{0, 0}}));
    EXPECT_EQ(bench->now_ns(), up);
}

TEST_F(BenchTime, FramesCarryTheTimeOfTheHandlerThatDeliveredThem) {
    start({{.first_ns = 10 * kMs}, {.first_ns = 25 * kMs, .period_ns = 50 * kMs, .firings = 2}});
    bench->advance(1s);
    std::vector<Frame> got = bench->take_received();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].time_ns - up, 10 * kMs);
    EXPECT_EQ(got[1].time_ns - up, 25 * kMs);
    EXPECT_EQ(got[2].time_ns - up, 75 * kMs);
    // Payload: timer index, firing number.
    EXPECT_EQ(got[0].bytes[14], 0);
    EXPECT_EQ(got[1].bytes[14], 1);
    EXPECT_EQ(got[2].bytes[15], 2);
}

TEST_F(BenchTime, InterfaceDownDisarmsAndAdvanceFiresNothing) {
    start({{.first_ns = 10 * kMs, .period_ns = 10 * kMs, .firings = 100}});
    bench->advance(25ms);
    ASSERT_EQ(bench->set_interface_enable(false), kIOReturnSuccess);
    EXPECT_EQ(bench->advance(1s), 0u);
    EXPECT_EQ(firings().size(), 2u);
}

// The same script, twice: the same firings, frames (bytes and times) and calls, to the
// nanosecond -- each bench starts its virtual clock at the same instant.
TEST_F(BenchTime, RepeatedRunsAreIdentical) {
    struct Run {
        std::vector<bench_probe::Event> events;
        std::vector<Frame> frames;
        std::vector<std::string> calls;
        std::vector<uint32_t> transmitted;
    };
    auto script = [this]() {
        Run run;
        bench_probe::reset();
        start({{.first_ns = 3 * kMs, .period_ns = 7 * kMs, .firings = 6},
               {.first_ns = 5 * kMs, .period_ns = 4 * kMs, .firings = 9},
               {.first_ns = 12 * kMs}});
        for (int i = 0; i < 10; ++i) {
            EXPECT_TRUE(bench->transmit(std::vector<uint8_t>(60 + i, uint8_t(i))));
            bench->advance(std::chrono::microseconds(1500 * (i + 1)));
        }
        bench->advance(20ms);
        run.frames = bench->take_received();
        EXPECT_EQ(bench->stop(), kIOReturnSuccess);
        for (const CallRecord &call : bench->calls())
            run.calls.push_back(std::to_string(call.time_ns) + " " + call.call);
        run.events = bench_probe::events();
        run.transmitted = bench_probe::transmitted_lengths();
        bench.reset();
        return run;
    };
    Run first = script();
    Run second = script();
    ASSERT_EQ(first.events.size(), 16u);
    ASSERT_EQ(second.events.size(), first.events.size());
    for (size_t i = 0; i < first.events.size(); ++i) {
        EXPECT_EQ(first.events[i].timer, second.events[i].timer) << i;
        EXPECT_EQ(first.events[i].deadline, second.events[i].deadline) << i;
        EXPECT_EQ(first.events[i].delivered, second.events[i].delivered) << i;
    }
    ASSERT_EQ(second.frames.size(), first.frames.size());
    for (size_t i = 0; i < first.frames.size(); ++i) {
        EXPECT_EQ(first.frames[i].time_ns, second.frames[i].time_ns) << i;
        EXPECT_EQ(first.frames[i].bytes, second.frames[i].bytes) << i;
    }
    EXPECT_EQ(first.calls, second.calls);
    EXPECT_EQ(first.transmitted, second.transmitted);
    EXPECT_EQ(first.transmitted.size(), 10u);
}
