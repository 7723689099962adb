// IOTimerDispatchSource: a one-shot timer armed through the process time source.

#include <DriverKit/IOTimerDispatchSource.h>
#include <netdext/iig_support.h>
#include <netdext/time_source.h>

#include <mutex>

#include "internal.h"

struct IOTimerDispatchSource_IVars {
    std::mutex mutex;
    OSAction *action = nullptr; // retained; kept across Cancel (re-armed by a later WakeAtTime)
    uint64_t generation = 0;    // bumped by every WakeAtTime/Cancel: stale firings are ignored
    bool armed = false;
    netdext::ClockDomain domain = netdext::ClockDomain::uptime;
};

NETDEXT_DEFINE_CLASS(IOTimerDispatchSource, IODispatchSource, nullptr, 0)

kern_return_t IOTimerDispatchSource::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return IODispatchSource::_Dispatch(object, rpc);
}

kern_return_t IOTimerDispatchSource::Create(IODispatchQueue *queue,
                                            IOTimerDispatchSource **source) {
    if (queue == nullptr || source == nullptr)
        return kIOReturnBadArgument;
    *source = nullptr;
    auto *created = netdext::new_object<IOTimerDispatchSource>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    kern_return_t kr = created->netdext_set_queue(queue);
    if (kr != kIOReturnSuccess) {
        created->release();
        return kr;
    }
    *source = created;
    return kIOReturnSuccess;
}

bool IOTimerDispatchSource::init() {
    if (!IODispatchSource::init())
        return false;
    ivars = new IOTimerDispatchSource_IVars;
    return true;
}

void IOTimerDispatchSource::free() {
    if (ivars != nullptr) {
        netdext::time_source().disarm(this);
        if (ivars->action != nullptr)
            ivars->action->release();
        delete ivars;
        ivars = nullptr;
    }
    IODispatchSource::free();
}

kern_return_t IOTimerDispatchSource::SetHandler(OSAction *action) {
    netdext::replace_retained(ivars->mutex, ivars->action, action);
    return kIOReturnSuccess;
}

// Translates a DriverKit timer clock and deadline into a time-source domain and deadline.
static bool to_domain(uint64_t options, uint64_t deadline, netdext::ClockDomain &domain,
                      uint64_t &out_deadline) {
    netdext::TimeSource &time = netdext::time_source();
    switch (options & 0xFFull) {
    case kIOTimerClockUptimeRaw:
    case kIOTimerClockMachAbsoluteTime: // netdext: mach ticks are nanoseconds
        domain = netdext::ClockDomain::uptime;
        out_deadline = deadline;
        return true;
    case kIOTimerClockMonotonicRaw:
    case kIOTimerClockMachContinuousTime:
        domain = netdext::ClockDomain::monotonic;
        out_deadline = deadline;
        return true;
    case kIOTimerClockRealTime: {
        // Wall-clock deadlines become uptime deadlines at the moment they are armed.
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t wall_now = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
        uint64_t up_now = time.now_ns(netdext::ClockDomain::uptime);
        domain = netdext::ClockDomain::uptime;
        if (deadline == UINT64_MAX)
            out_deadline = UINT64_MAX;
        else
            out_deadline = deadline > wall_now ? up_now + (deadline - wall_now) : up_now;
        return true;
    }
    default:
        return false;
    }
}

kern_return_t IOTimerDispatchSource::WakeAtTime(uint64_t options, uint64_t deadline,
                                                uint64_t leeway) {
    netdext::ClockDomain domain;
    uint64_t domain_deadline;
    if (!to_domain(options, deadline, domain, domain_deadline))
        return kIOReturnBadArgument;
    uint64_t generation;
    {
        std::lock_guard lock(ivars->mutex);
        generation = ++ivars->generation;
        ivars->domain = domain;
        ivars->armed = domain_deadline != UINT64_MAX;
    }
    netdext_revive();
    if (domain_deadline == UINT64_MAX) {
        netdext::time_source().disarm(this);
        return kIOReturnSuccess;
    }
    netdext::time_source().arm(this, domain, domain_deadline, generation);
    return kIOReturnSuccess;
}

void IOTimerDispatchSource::netdext_fire(uint64_t generation, uint64_t deadline) {
    OSAction *action;
    netdext::ClockDomain domain;
    {
        std::lock_guard lock(ivars->mutex);
        if (generation != ivars->generation || !ivars->armed)
            return; // re-armed or cancelled since
        ivars->armed = false;
        action = ivars->action;
        domain = ivars->domain;
        if (action == nullptr)
            return;
        action->retain();
    }
    HandlerTicket ticket;
    if (netdext_begin_handler(ticket)) {
        IOTimerDispatchSource *self = this;
        // The handler's `time` is when the timer fired: the deadline under the virtual clock.
        uint64_t now = netdext::time_source().now_ns(domain);
        uint64_t fired_at = now > deadline ? now : deadline;
        auto gate = ticket.gate;
        action->netdext_send(
            [self, gate, generation] {
                std::lock_guard lock(self->ivars->mutex);
                return self->ivars->generation == generation && gate();
            },
            ticket.done, fired_at);
    }
    action->release();
}

kern_return_t IOTimerDispatchSource::Cancel(IODispatchSourceCancelHandler handler) {
    {
        std::lock_guard lock(ivars->mutex);
        ++ivars->generation;
        ivars->armed = false;
    }
    netdext::time_source().disarm(this);
    return netdext_cancel(std::move(handler));
}

kern_return_t IOTimerDispatchSource::SetEnableWithCompletion(
    bool enable, IODispatchSourceCancelHandler handler) {
    return netdext_set_enable(enable, std::move(handler));
}

kern_return_t IOTimerDispatchSource::CheckForWork(bool) { return kIOReturnSuccess; }

void IOTimerDispatchSource::netdext_enable_changed(bool) {}
