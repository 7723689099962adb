/*
 * netdext/virtual_clock.h — deterministic time for tests.
 *
 * Install a VirtualClock and every DriverKit clock and timer in the process follows it. Time only
 * moves when a test calls advance(): advance(5 s) fires every timer due in between in deadline
 * order (ties in arming order), and after each firing waits until every dispatch queue is idle, so
 * that a handler which re-arms its timer within the window fires again before advance() returns.
 * Nothing sleeps.
 */
#ifndef _NETDEXT_VIRTUAL_CLOCK_H
#define _NETDEXT_VIRTUAL_CLOCK_H

#include <stdint.h>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <netdext/time_source.h>

namespace netdext {

class VirtualClock final : public TimeSource {
public:
    /* Starts at `start_ns` (a non-zero value, so that "time 0" is never a valid reading). */
    explicit VirtualClock(uint64_t start_ns = 1'000'000'000ull);
    ~VirtualClock() override;

    uint64_t now_ns(ClockDomain domain) override;
    void arm(IOTimerDispatchSource *timer, ClockDomain domain, uint64_t deadline_ns,
             uint64_t generation) override;
    void disarm(IOTimerDispatchSource *timer) override;

    /* Moves time forward by `delta`, firing due timers in order; returns how many fired. */
    size_t advance(std::chrono::nanoseconds delta);
    /* Moves time to `deadline_ns` (no-op if in the past). */
    size_t advance_to(uint64_t deadline_ns);
    /* Fires the timers due now (after work that armed one at the current time). */
    size_t run_due();
    /* The earliest armed deadline, or UINT64_MAX. */
    uint64_t next_deadline();
    size_t armed_count();

    /* Installs this clock as the process time source until it is destroyed. */
    void install();
    /*
     * Called on the advancing thread each time the queues have settled after a timer fired (and
     * once at the start of every advance): the driver test bench plays the network stack here, so
     * that what a timer handler produced is seen at that handler's time.
     */
    void set_settle_hook(std::function<void()> hook);

private:
    struct Armed {
        IOTimerDispatchSource *timer;
        uint64_t generation;
    };
    using Key = std::pair<uint64_t, uint64_t>; /* deadline, arming sequence */
    bool pop_due(uint64_t limit, Armed &out, uint64_t &deadline);
    void settle();

    std::mutex m_mutex;
    uint64_t m_now;
    uint64_t m_sequence = 0;
    std::map<Key, Armed> m_armed;
    std::map<IOTimerDispatchSource *, Key> m_by_timer;
    std::function<void()> m_settle_hook;
    TimeSource *m_previous = nullptr;
    bool m_installed = false;
};

} // namespace netdext

#endif
