// Darwin clocks (clock_gettime_nsec_np), Mach time and the IOLib time-scale constants.
#include <DriverKit/IOLib.h>
#include <netdext/darwin_time.h>
#include <netdext/time_source.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <type_traits>

namespace {

constexpr uint64_t kSecond = 1000000000ull;

TEST(TimeScaleTest, Constants) {
    static_assert(kNanosecondScale == 1);
    static_assert(kMicrosecondScale == 1000);
    static_assert(kMillisecondScale == 1000000);
    static_assert(kSecondScale == 1000000000);
    static_assert(kTickScale == 10000000);
    static_assert(NSEC_PER_SEC == 1000000000ull && NSEC_PER_MSEC == 1000000ull);
    static_assert(NSEC_PER_USEC == 1000ull && USEC_PER_SEC == 1000000ull);
    // The expressions Apple's sample uses: the first is 64-bit, the second int and still exact.
    static_assert(5ULL * kSecondScale == 5000000000ULL);
    static_assert(std::is_same_v<decltype(5ULL * kSecondScale), unsigned long long>);
    static_assert(1000 * kMillisecondScale == 1000000000);
    static_assert(std::is_same_v<decltype(1000 * kMillisecondScale), int>);
    EXPECT_EQ(5ULL * kSecondScale, 5000000000ULL);
    EXPECT_EQ(1000 * kMillisecondScale, 1000000000);
}

TEST(DarwinClockTest, DarwinIdsHaveDarwinValues) {
    static_assert(CLOCK_REALTIME == 0);
    static_assert(CLOCK_MONOTONIC_RAW == 4);
    static_assert(CLOCK_MONOTONIC_RAW_APPROX == 5);
    static_assert(NETDEXT_DARWIN_CLOCK_MONOTONIC == 6);
    static_assert(CLOCK_UPTIME_RAW == 8);
    static_assert(CLOCK_UPTIME_RAW_APPROX == 9);
    static_assert(NETDEXT_DARWIN_CLOCK_PROCESS_CPUTIME_ID == 12);
    static_assert(NETDEXT_DARWIN_CLOCK_THREAD_CPUTIME_ID == 16);
}

TEST(DarwinClockTest, ReadingsAreSaneAndMonotonic) {
    for (clockid_t id : {CLOCK_UPTIME_RAW, CLOCK_UPTIME_RAW_APPROX, CLOCK_MONOTONIC_RAW,
                         CLOCK_MONOTONIC_RAW_APPROX, NETDEXT_DARWIN_CLOCK_MONOTONIC, 1}) {
        errno = 0;
        uint64_t previous = clock_gettime_nsec_np(id);
        EXPECT_GT(previous, 0u) << id;
        EXPECT_EQ(errno, 0) << id;
        for (int i = 0; i < 1000; ++i) {
            uint64_t now = clock_gettime_nsec_np(id);
            ASSERT_GE(now, previous) << id;
            previous = now;
        }
    }
    uint64_t wall = clock_gettime_nsec_np(CLOCK_REALTIME);
    uint64_t expected = static_cast<uint64_t>(time(nullptr)) * kSecond;
    EXPECT_LT(wall > expected ? wall - expected : expected - wall, 5 * kSecond);
    EXPECT_GT(wall, 1600000000ull * kSecond) << "after September 2020";

    EXPECT_GT(clock_gettime_nsec_np(NETDEXT_DARWIN_CLOCK_PROCESS_CPUTIME_ID), 0u);
    EXPECT_GT(clock_gettime_nsec_np(NETDEXT_DARWIN_CLOCK_THREAD_CPUTIME_ID), 0u);
}

TEST(DarwinClockTest, UnknownIdsReturnZeroWithEinval) {
    for (clockid_t id : {2, 3, 7, 10, 11, 13, 17, 100, -1}) {
        errno = 0;
        EXPECT_EQ(clock_gettime_nsec_np(id), 0u) << id;
        EXPECT_EQ(errno, EINVAL) << id;
    }
}

TEST(DarwinClockTest, MachTimeFollowsTheUptimeAndMonotonicDomains) {
    uint64_t before = clock_gettime_nsec_np(CLOCK_UPTIME_RAW);
    uint64_t absolute = mach_absolute_time();
    uint64_t after = clock_gettime_nsec_np(CLOCK_UPTIME_RAW);
    EXPECT_LE(before, absolute);
    EXPECT_LE(absolute, after);
    before = clock_gettime_nsec_np(CLOCK_MONOTONIC_RAW);
    uint64_t continuous = mach_continuous_time();
    after = clock_gettime_nsec_np(CLOCK_MONOTONIC_RAW);
    EXPECT_LE(before, continuous);
    EXPECT_LE(continuous, after);
}

// A fixed source shows which domain each Darwin clock reads.
class FixedTimeSource final : public netdext::TimeSource {
public:
    uint64_t now_ns(netdext::ClockDomain domain) override {
        return domain == netdext::ClockDomain::uptime ? 111 * kSecond : 222 * kSecond;
    }
    void arm(IOTimerDispatchSource *, netdext::ClockDomain, uint64_t, uint64_t) override {}
    void disarm(IOTimerDispatchSource *) override {}
};

TEST(DarwinClockTest, ClocksReadTheInstalledTimeSource) {
    FixedTimeSource fixed;
    netdext::TimeSource *previous = netdext::install_time_source(&fixed);
    uint64_t uptime = clock_gettime_nsec_np(CLOCK_UPTIME_RAW);
    uint64_t uptime_approx = clock_gettime_nsec_np(CLOCK_UPTIME_RAW_APPROX);
    uint64_t raw = clock_gettime_nsec_np(CLOCK_MONOTONIC_RAW);
    uint64_t raw_approx = clock_gettime_nsec_np(CLOCK_MONOTONIC_RAW_APPROX);
    uint64_t monotonic = clock_gettime_nsec_np(NETDEXT_DARWIN_CLOCK_MONOTONIC);
    uint64_t absolute = mach_absolute_time();
    uint64_t continuous = mach_continuous_time();
    uint64_t wall = clock_gettime_nsec_np(CLOCK_REALTIME);
    netdext::install_time_source(previous);

    EXPECT_EQ(uptime, 111 * kSecond);
    EXPECT_EQ(uptime_approx, 111 * kSecond);
    EXPECT_EQ(absolute, 111 * kSecond);
    EXPECT_EQ(raw, 222 * kSecond);
    EXPECT_EQ(raw_approx, 222 * kSecond);
    EXPECT_EQ(monotonic, 222 * kSecond);
    EXPECT_EQ(continuous, 222 * kSecond);
    EXPECT_GT(wall, 1600000000ull * kSecond) << "the wall clock is not virtualised";
    EXPECT_NE(clock_gettime_nsec_np(CLOCK_UPTIME_RAW), 111 * kSecond) << "source restored";
}

} // namespace
