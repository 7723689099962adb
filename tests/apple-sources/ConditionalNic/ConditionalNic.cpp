//
//  ConditionalNic.cpp
//  ConditionalNic
//
//  A generation-2 interface that logs its statistics once a second while it is up. Its timer is
//  cancelled with a block, as Apple's samples do, so this driver builds with Clang (-fblocks).
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/IODispatchQueue.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>

#include "ConditionalNic.h"

#define kStatsIntervalNs 1000000000ULL

struct ConditionalNic_IVars {
    IODispatchQueue *defaultQueue;
    IOTimerDispatchSource *statsTimer;
    OSAction *statsAction;
    uint64_t ticks;
    bool up;
};

bool ConditionalNic::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(ConditionalNic_IVars, 1);
    return ivars != nullptr;
}

void ConditionalNic::free()
{
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->statsAction);
        OSSafeReleaseNULL(ivars->statsTimer);
        OSSafeReleaseNULL(ivars->defaultQueue);
    }
    IOSafeDeleteNULL(ivars, ConditionalNic_IVars, 1);
    super::free();
}

kern_return_t
IMPL(ConditionalNic, Start)
{
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->defaultQueue);
    if (ret == kIOReturnSuccess) {
        ret = IOTimerDispatchSource::Create(ivars->defaultQueue, &ivars->statsTimer);
    }
    if (ret == kIOReturnSuccess) {
        ret = CreateActionStatsTimerFired(0, &ivars->statsAction);
    }
    if (ret == kIOReturnSuccess) {
        ret = ivars->statsTimer->SetHandler(ivars->statsAction);
    }
    if (ret != kIOReturnSuccess) {
        os_log(OS_LOG_DEFAULT, "ConditionalNic: Start failed: 0x%08x\n", ret);
        Stop(provider, SUPERDISPATCH);
        return ret;
    }
    os_log(OS_LOG_DEFAULT, "ConditionalNic: generation %d started\n", CONDITIONAL_NIC_GENERATION);
    return kIOReturnSuccess;
}

kern_return_t
IMPL(ConditionalNic, Stop)
{
    IOTimerDispatchSource *timer = ivars->statsTimer;
    if (timer == nullptr) {
        return Stop(provider, SUPERDISPATCH);
    }
    // Stop completes once the timer can no longer fire. The action retains this service: it
    // goes first, or neither would ever be freed.
    uint64_t ticks = ivars->ticks;
    timer->Cancel(^{
        OSSafeReleaseNULL(ivars->statsAction);
        OSSafeReleaseNULL(ivars->statsTimer);
        os_log(OS_LOG_DEFAULT, "ConditionalNic: stopped after %llu ticks\n", ticks);
        Stop(provider, SUPERDISPATCH);
    });
    return kIOReturnSuccess;
}

IOReturn ConditionalNic::setInterfaceEnable(bool enable)
{
    ivars->up = enable;
    if (enable) {
        uint64_t now = clock_gettime_nsec_np(CLOCK_UPTIME_RAW);
        ivars->statsTimer->WakeAtTime(kIOTimerClockUptimeRaw, now + kStatsIntervalNs, 0);
    }
    return super::setInterfaceEnable(enable);
}

void
IMPL(ConditionalNic, StatsTimerFired)
{
    if (!ivars->up) {
        return;
    }
    ivars->ticks++;
    os_log(OS_LOG_DEFAULT, "ConditionalNic: stats tick %llu at %llu ns\n", ivars->ticks, time);
    ivars->statsTimer->WakeAtTime(kIOTimerClockUptimeRaw, time + kStatsIntervalNs, 0);
}

#ifdef CONDITIONAL_NIC_USER_CLIENT

kern_return_t
IMPL(ConditionalNicUserClient, Start)
{
    return Start(provider, SUPERDISPATCH);
}

kern_return_t
IMPL(ConditionalNicUserClient, Stop)
{
    return Stop(provider, SUPERDISPATCH);
}

#endif
