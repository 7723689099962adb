//
//  AppleStyleDriver.cpp
//
//  The "Done when" of netdext-iig: Apple's idioms, unchanged — `#undef super` / `#define super`,
//  IMPL with this .iig's parameter names (IOService calls SetPowerState's parameter powerFlags;
//  this driver calls it powerstate), SUPERDISPATCH, a TYPE timer callback, and a block passed
//  to Cancel. Under GCC, which has no blocks, the same handler is a lambda.
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/OSAction.h>

#include "AppleStyleDriver.h"

#define DLOG(fmt, ...) os_log(OS_LOG_DEFAULT, "AppleStyleDriver: " fmt, ##__VA_ARGS__)

#undef super
#define super IOService

#define kTimerPeriodMs 1000

struct AppleStyleDriver_IVars
{
    IODispatchQueue       * defaultQueue;
    IOTimerDispatchSource * timerSource;
    OSAction              * timerAction;
    uint32_t                fireCount;
};

bool
AppleStyleDriver::init()
{
    bool result = false;

    result = super::init();
    if (result != true) {
        goto fail;
    }
    ivars = IONewZero(AppleStyleDriver_IVars, 1);
    if (ivars == nullptr) {
        goto fail;
    }
    return true;

fail:
    return false;
}

void
AppleStyleDriver::free()
{
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->timerSource);
        OSSafeReleaseNULL(ivars->timerAction);
        OSSafeReleaseNULL(ivars->defaultQueue);
    }
    IOSafeDeleteNULL(ivars, AppleStyleDriver_IVars, 1);
    super::free();
}

kern_return_t
IMPL(AppleStyleDriver, Start)
{
    kern_return_t ret;
    uint64_t now;
    uint64_t deadline;

    ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        DLOG("super::Start failed: 0x%x", ret);
        return ret;
    }

    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->defaultQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = IOTimerDispatchSource::Create(ivars->defaultQueue, &ivars->timerSource);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = CreateActionTimerFired(sizeof(void *), &ivars->timerAction);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = ivars->timerSource->SetHandler(ivars->timerAction);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }

    now = clock_gettime_nsec_np(CLOCK_UPTIME_RAW);
    deadline = now + kTimerPeriodMs * kMillisecondScale;
    ret = ivars->timerSource->WakeAtTime(kIOTimerClockUptimeRaw, deadline, 0);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }

    DLOG("started");
    return RegisterService();

fail:
    DLOG("Start failed: 0x%x", ret);
    return ret;
}

kern_return_t
IMPL(AppleStyleDriver, Stop)
{
    DLOG("stopping");
    if (ivars->timerSource == nullptr) {
        return super::Stop(provider, SUPERDISPATCH);
    }
    // The rest of Stop runs once the timer is quiet, as DriverKit samples do it.
#if __BLOCKS__
    ivars->timerSource->Cancel(^{
        DLOG("timer cancelled after %u firings", ivars->fireCount);
        // The timer holds the action and the action holds this driver: let both go.
        OSSafeReleaseNULL(ivars->timerSource);
        OSSafeReleaseNULL(ivars->timerAction);
        Stop(provider, SUPERDISPATCH);
    });
#else
    ivars->timerSource->Cancel([this, provider] {
        DLOG("timer cancelled after %u firings", ivars->fireCount);
        // The timer holds the action and the action holds this driver: let both go.
        OSSafeReleaseNULL(ivars->timerSource);
        OSSafeReleaseNULL(ivars->timerAction);
        Stop(provider, SUPERDISPATCH);
    });
#endif
    return kIOReturnSuccess;
}

kern_return_t
IMPL(AppleStyleDriver, SetPowerState)
{
    DLOG("SetPowerState 0x%x", powerstate);
    return SetPowerState(powerstate, SUPERDISPATCH);
}

void
IMPL(AppleStyleDriver, TimerFired)
{
    ivars->fireCount++;
    DLOG("timer fired at %llu (%u)", (unsigned long long)time, ivars->fireCount);
    // Re-arm from the handler, relative to the deadline that fired.
    ivars->timerSource->WakeAtTime(kIOTimerClockUptimeRaw, time + kTimerPeriodMs * kMillisecondScale, 0);
}
