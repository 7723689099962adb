/*
 * darwin_time.cpp — clock_gettime_nsec_np() taking Darwin clock IDs.
 *
 * Darwin's IDs are translated by meaning, not by number (see netdext/darwin_time.h and API.md
 * §2.11): the uptime and monotonic domains come from the process time source, so they follow
 * the virtual clock under the test bench; wall and CPU time come straight from Linux.
 */
#include <netdext/darwin_time.h>
#include <netdext/time_source.h>

#include <cerrno>
#include <ctime>

namespace {

/* Darwin clock IDs (<time.h> on macOS). Their Linux namesakes have different numbers. */
constexpr clockid_t kDarwinRealtime = 0;
constexpr clockid_t kLinuxMonotonic = 1; // accepted as a courtesy, read as Darwin CLOCK_MONOTONIC
constexpr clockid_t kDarwinMonotonicRaw = 4;
constexpr clockid_t kDarwinMonotonicRawApprox = CLOCK_MONOTONIC_RAW_APPROX;
constexpr clockid_t kDarwinMonotonic = NETDEXT_DARWIN_CLOCK_MONOTONIC;
constexpr clockid_t kDarwinUptimeRaw = CLOCK_UPTIME_RAW;
constexpr clockid_t kDarwinUptimeRawApprox = CLOCK_UPTIME_RAW_APPROX;
constexpr clockid_t kDarwinProcessCputime = NETDEXT_DARWIN_CLOCK_PROCESS_CPUTIME_ID;
constexpr clockid_t kDarwinThreadCputime = NETDEXT_DARWIN_CLOCK_THREAD_CPUTIME_ID;

uint64_t read_linux_clock(clockid_t linux_id) {
    struct timespec ts {};
    if (clock_gettime(linux_id, &ts) != 0)
        return 0; // errno set by clock_gettime
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

} // namespace

/* Darwin: nanoseconds on `clock_id`; 0 with errno = EINVAL for an unknown ID. */
uint64_t clock_gettime_nsec_np(clockid_t clock_id) {
    switch (clock_id) {
    case kDarwinUptimeRaw:
    case kDarwinUptimeRawApprox:
        return netdext::time_source().now_ns(netdext::ClockDomain::uptime);
    case kDarwinMonotonicRaw:
    case kDarwinMonotonicRawApprox:
    case kDarwinMonotonic:
    case kLinuxMonotonic:
        return netdext::time_source().now_ns(netdext::ClockDomain::monotonic);
    case kDarwinRealtime:
        return read_linux_clock(CLOCK_REALTIME);
    case kDarwinProcessCputime:
        return read_linux_clock(CLOCK_PROCESS_CPUTIME_ID);
    case kDarwinThreadCputime:
        return read_linux_clock(CLOCK_THREAD_CPUTIME_ID);
    default:
        errno = EINVAL;
        return 0;
    }
}
