// DispatchBase, written the way Apple's samples write a driver: `#undef super` /
// `#define super IOService`, IMPL with the .iig's parameter names, SUPERDISPATCH.
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOLib.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/OSAction.h>

#include "DispatchBase.h"
#include "dispatch_trace.h"

#undef super
#define super IOService

struct DispatchBase_IVars {
    IODispatchQueue *defaultQueue;
    IODispatchQueue *timerQueue;
    IOTimerDispatchSource *tickTimer;
    IOTimerDispatchSource *defaultTimer;
    OSAction *tickAction;
    OSAction *defaultTickAction;
    std::mutex mutex;
    uint32_t ticks;
    uint32_t ticksOnTimerQueue;
    uint32_t defaultTicks;
    uint32_t defaultTicksOnDefaultQueue;
    uint64_t lastTime;
};

bool DispatchBase::init() {
    if (!super::init())
        return false;
    ivars = IONewZero(DispatchBase_IVars, 1);
    if (ivars == nullptr)
        return false;
    new (ivars) DispatchBase_IVars();
    return true;
}

void DispatchBase::free() {
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->tickTimer);
        OSSafeReleaseNULL(ivars->defaultTimer);
        OSSafeReleaseNULL(ivars->tickAction);
        OSSafeReleaseNULL(ivars->defaultTickAction);
        OSSafeReleaseNULL(ivars->timerQueue);
        OSSafeReleaseNULL(ivars->defaultQueue);
        ivars->~DispatchBase_IVars();
    }
    IOSafeDeleteNULL(ivars, DispatchBase_IVars, 1);
    super::free();
}

kern_return_t IMPL(DispatchBase, Start) {
    DispatchTrace::instance().record("Base::Start", baseProvider);
    kern_return_t ret = Start(baseProvider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->defaultQueue);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = IODispatchQueue::Create("TimerQueue", 0, 0, &ivars->timerQueue);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = SetDispatchQueue("TimerQueue", ivars->timerQueue);
    if (ret != kIOReturnSuccess)
        return ret;
    // Both timers live on the Default queue: where a handler runs is up to its QUEUENAME.
    ret = IOTimerDispatchSource::Create(ivars->defaultQueue, &ivars->tickTimer);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = IOTimerDispatchSource::Create(ivars->defaultQueue, &ivars->defaultTimer);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = CreateActionTick(sizeof(uint64_t), &ivars->tickAction);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = CreateActionDefaultTick(0, &ivars->defaultTickAction);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = ivars->tickTimer->SetHandler(ivars->tickAction);
    if (ret != kIOReturnSuccess)
        return ret;
    return ivars->defaultTimer->SetHandler(ivars->defaultTickAction);
}

kern_return_t IMPL(DispatchBase, Stop) {
    DispatchTrace::instance().record("Base::Stop", stopProvider);
    // Timers hold their actions and actions hold this object: break the cycle here.
    for (IOTimerDispatchSource *timer : {ivars->tickTimer, ivars->defaultTimer}) {
        if (timer != nullptr)
            timer->Cancel(nullptr);
    }
    OSSafeReleaseNULL(ivars->tickTimer);
    OSSafeReleaseNULL(ivars->defaultTimer);
    OSSafeReleaseNULL(ivars->tickAction);
    OSSafeReleaseNULL(ivars->defaultTickAction);
    return super::Stop(stopProvider, SUPERDISPATCH);
}

kern_return_t IMPL(DispatchBase, SetPowerState) {
    DispatchTrace::instance().record("Base::SetPowerState", nullptr, powerstate);
    return SetPowerState(powerstate, SUPERDISPATCH);
}

kern_return_t IMPL(DispatchBase, Compute) {
    DispatchTrace::instance().record("Base::Compute", output, input);
    *output = uint64_t(input) * 2;
    return kIOReturnSuccess;
}

void IMPL(DispatchBase, Tick) {
    std::lock_guard lock(ivars->mutex);
    ++ivars->ticks;
    ivars->ticksOnTimerQueue += ivars->timerQueue->OnQueue() ? 1 : 0;
    ivars->lastTime = time;
    *static_cast<uint64_t *>(action->GetReference()) = time;
}

void IMPL(DispatchBase, DefaultTick) {
    std::lock_guard lock(ivars->mutex);
    ++ivars->defaultTicks;
    ivars->defaultTicksOnDefaultQueue += ivars->defaultQueue->OnQueue() ? 1 : 0;
    (void)action;
    (void)time;
}

void DispatchBase::StopDirectly(IOService *provider) {
    // A direct local call of this class's own implementation, as Apple's samples do.
    Stop_Impl(provider);
}

kern_return_t DispatchBase::ArmTimers(uint64_t delayNs) {
    uint64_t deadline = clock_gettime_nsec_np(CLOCK_UPTIME_RAW) + delayNs;
    kern_return_t ret = ivars->tickTimer->WakeAtTime(kIOTimerClockUptimeRaw, deadline, 0);
    if (ret != kIOReturnSuccess)
        return ret;
    return ivars->defaultTimer->WakeAtTime(kIOTimerClockUptimeRaw, deadline, 0);
}

void DispatchBase::TickStats(uint32_t *ticks, uint32_t *ticksOnTimerQueue, uint32_t *defaultTicks,
                             uint32_t *defaultTicksOnDefaultQueue, uint64_t *lastTime) {
    std::lock_guard lock(ivars->mutex);
    *ticks = ivars->ticks;
    *ticksOnTimerQueue = ivars->ticksOnTimerQueue;
    *defaultTicks = ivars->defaultTicks;
    *defaultTicksOnDefaultQueue = ivars->defaultTicksOnDefaultQueue;
    *lastTime = ivars->lastTime;
}

OSAction *DispatchBase::GetTickAction() {
    return ivars->tickAction;
}

DispatchTrace &DispatchTrace::instance() {
    static DispatchTrace trace;
    return trace;
}

void DispatchTrace::record(std::string what, const void *pointer, uint64_t value) {
    std::lock_guard lock(m_mutex);
    m_calls.push_back({std::move(what), pointer, value});
}

std::vector<DispatchCall> DispatchTrace::take() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_calls, {});
}
