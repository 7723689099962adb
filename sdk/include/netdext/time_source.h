/*
 * netdext/time_source.h — where DriverKit time comes from in this process.
 *
 * clock_gettime_nsec_np(CLOCK_UPTIME_RAW / CLOCK_MONOTONIC_RAW), mach_absolute_time() and every
 * IOTimerDispatchSource read and arm through the installed TimeSource. The default is the real
 * one (CLOCK_MONOTONIC for uptime, CLOCK_BOOTTIME for monotonic-raw); the driver test bench
 * installs a netdext::VirtualClock. Install a source before creating timers and keep it alive
 * while any timer may use it.
 */
#ifndef _NETDEXT_TIME_SOURCE_H
#define _NETDEXT_TIME_SOURCE_H

#include <stdint.h>

class IOTimerDispatchSource;

namespace netdext {

enum class ClockDomain {
    uptime,    /* Darwin CLOCK_UPTIME_RAW: stops while the machine sleeps */
    monotonic, /* Darwin CLOCK_MONOTONIC_RAW: keeps counting through sleep */
};

class TimeSource {
public:
    virtual ~TimeSource() = default;
    virtual uint64_t now_ns(ClockDomain domain) = 0;
    /*
     * Arms `timer` to fire at `deadline_ns` in `domain`, replacing any deadline it had. When due,
     * the source calls timer->netdext_fire(generation, deadline_ns) from its own thread. The
     * source keeps a reference on the timer while it is armed.
     */
    virtual void arm(IOTimerDispatchSource *timer, ClockDomain domain, uint64_t deadline_ns,
                     uint64_t generation) = 0;
    /* Disarms `timer`; no-op if it is not armed. */
    virtual void disarm(IOTimerDispatchSource *timer) = 0;
};

/* The time source in use (the real one unless another was installed). */
TimeSource &time_source();
/* Installs `source` (nullptr restores the real one); returns the previous one. */
TimeSource *install_time_source(TimeSource *source);

} // namespace netdext

#endif
