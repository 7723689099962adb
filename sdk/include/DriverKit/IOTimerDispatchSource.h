/*
 * DriverKit/IOTimerDispatchSource.h — a one-shot timer that runs an OSAction on a queue.
 *
 * netdext semantics (DriverKit's, plus what real drivers rely on):
 *  - WakeAtTime(clock, deadline, leeway) arms the timer once; a new call replaces a pending
 *    deadline. The handler receives the deadline as its `time` argument. Deadlines in the past fire
 *    at once; UINT64_MAX disarms.
 *  - Time comes from the process's time source: CLOCK_MONOTONIC-based in production, the virtual
 *    clock under the driver test bench (netdext/virtual_clock.h).
 *  - Cancel(handler) disarms, waits for a running handler and runs `handler` once on the queue.
 *    The timer keeps its action: a later WakeAtTime arms it again (Apple's sample does this on
 *    the next interface-up).
 */
#ifndef _DRIVERKIT_IOTIMERDISPATCHSOURCE_H
#define _DRIVERKIT_IOTIMERDISPATCHSOURCE_H

#include <DriverKit/IODispatchSource.h>
#include <DriverKit/OSAction.h>

enum : uint64_t {
    kIOTimerClockMachAbsoluteTime = 0xC8ull,
    kIOTimerClockMachContinuousTime = 0xC4ull,
    kIOTimerClockWallTime = 0x80ull,
    kIOTimerClockRealTime = 0x80ull,
    kIOTimerClockUptimeRaw = 0x88ull,
    kIOTimerClockMonotonicRaw = 0x84ull,
};

/* DriverKit's generated method IDs for IOTimerDispatchSource (Apple's values). */
#define IOTimerDispatchSource_Create_ID 0x5703101ba090eaf0ULL
#define IOTimerDispatchSource_SetHandler_ID 0x487f4f13f1a0a074ULL
#define IOTimerDispatchSource_WakeAtTime_ID 0x1da868f27d5d7d37ULL
#define IOTimerDispatchSource_TimerOccurred_ID 0x0f4ab1c3cbb5ae47ULL

struct IOTimerDispatchSource_IVars;

class IOTimerDispatchSource : public IODispatchSource {
public:
    NETDEXT_CLASS_MEMBERS(IOTimerDispatchSource, IODispatchSource)

    static kern_return_t Create(IODispatchQueue *queue, IOTimerDispatchSource **source);

    bool init() override;
    void free() override;

    /* The action must be a TYPE(IOTimerDispatchSource::TimerOccurred) action; it is retained. */
    virtual kern_return_t SetHandler(OSAction *action);
    virtual kern_return_t WakeAtTime(uint64_t options, uint64_t deadline, uint64_t leeway);
    kern_return_t Cancel(IODispatchSourceCancelHandler handler) override;
    kern_return_t SetEnableWithCompletion(bool enable,
                                          IODispatchSourceCancelHandler handler) override;
    kern_return_t CheckForWork(bool synchronous) override;

    /* netdext: called by the time source when the armed deadline is reached. */
    void netdext_fire(uint64_t generation, uint64_t deadline);

protected:
    void netdext_enable_changed(bool enabled) override;

private:
    IOTimerDispatchSource_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOTimerDispatchSourceMetaClass;

#endif /* _DRIVERKIT_IOTIMERDISPATCHSOURCE_H */
