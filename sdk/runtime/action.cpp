// OSAction: a callback bound to a target object and method, delivered on the target's queue.

#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/OSAction.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>
#include <netdext/time_source.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "internal.h"

struct OSActionWaitToken {
    uint64_t invocations_at_start;
};

struct OSAction_IVars {
    OSObject *target = nullptr; // retained
    uint64_t targetmsgid = 0;
    uint64_t msgid = 0;
    void *reference = nullptr;
    size_t reference_size = 0;
    std::mutex mutex;
    std::condition_variable invoked_cv;
    uint64_t invocations = 0;
    bool canceled = false;
    OSActionAbortedHandler aborted_handler;
};

NETDEXT_DEFINE_CLASS(OSAction, OSObject, nullptr, 0)

kern_return_t OSAction::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

bool OSAction::init() {
    if (!OSObject::init())
        return false;
    ivars = new OSAction_IVars;
    return true;
}

void OSAction::free() {
    if (ivars != nullptr) {
        if (ivars->target != nullptr)
            ivars->target->release();
        if (ivars->reference != nullptr)
            IOFree(ivars->reference, ivars->reference_size);
        delete ivars;
        ivars = nullptr;
    }
    OSObject::free();
}

kern_return_t OSAction::netdext_setup(OSObject *target, uint64_t targetmsgid, uint64_t msgid,
                                      size_t referenceSize) {
    if (target == nullptr)
        return kIOReturnBadArgument;
    if (referenceSize > 0) {
        ivars->reference = IOMallocZero(referenceSize);
        if (ivars->reference == nullptr)
            return kIOReturnNoMemory;
        ivars->reference_size = referenceSize;
    }
    target->retain();
    ivars->target = target;
    ivars->targetmsgid = targetmsgid;
    ivars->msgid = msgid;
    return kIOReturnSuccess;
}

kern_return_t OSAction::Create(OSObject *target, uint64_t targetmsgid, uint64_t msgid,
                               size_t referenceSize, OSAction **action) {
    return netdext::create_action<OSAction>(target, targetmsgid, msgid, referenceSize, action);
}

kern_return_t OSAction::CreateWithTypeName(OSObject *target, uint64_t targetmsgid,
                                           uint64_t msgid, size_t referenceSize, OSString *,
                                           OSAction **action) {
    return Create(target, targetmsgid, msgid, referenceSize, action);
}

void *OSAction::GetReference() { return ivars->reference; }
OSObject *OSAction::GetTarget() const { return ivars->target; }
uint64_t OSAction::GetTargetMsgID() const { return ivars->targetmsgid; }
uint64_t OSAction::GetMsgID() const { return ivars->msgid; }

bool OSAction::IsCanceled() const {
    std::lock_guard lock(ivars->mutex);
    return ivars->canceled;
}

// The queue the target method runs on: its QUEUENAME() binding, else the target's "Default".
static IODispatchQueue *copy_method_queue(OSObject *target, uint64_t targetmsgid) {
    const char *queue_name = target->getMetaClass()->queueNameForMethod(targetmsgid);
    IODispatchQueue *queue = nullptr;
    kern_return_t kr = target->CopyDispatchQueue(queue_name, &queue);
    if (kr != kIOReturnSuccess || queue == nullptr) {
        netdext::log_linef(netdext::LogLevel::fault,
                           "netdext: %s has no dispatch queue \"%s\" (0x%08x) for an action; "
                           "call SetDispatchQueue(\"%s\", queue) first",
                           target->GetClassName(), queue_name, static_cast<unsigned>(kr),
                           queue_name);
        return nullptr;
    }
    return queue;
}

void OSAction::netdext_post(netdext::Block<void()> call, netdext::Block<bool()> gate,
                            netdext::Block<void()> done) {
    IODispatchQueue *queue = copy_method_queue(ivars->target, ivars->targetmsgid);
    if (queue == nullptr) {
        done();
        return;
    }
    // Always asynchronous, also from the target's own queue: the callback runs after the block
    // that caused it, as a DriverKit message would.
    retain();
    OSAction *self = this;
    queue->DispatchAsync([self, call, gate, done] {
        bool allowed = !self->IsCanceled() && (!gate || gate());
        if (allowed)
            call();
        done();
        self->release();
    });
    queue->release();
}

void OSAction::netdext_invoked() {
    std::lock_guard lock(ivars->mutex);
    ++ivars->invocations;
    ivars->invoked_cv.notify_all();
}

kern_return_t OSAction::Cancel(OSActionCancelHandler handler) {
    {
        std::lock_guard lock(ivars->mutex);
        ivars->canceled = true;
    }
    if (!handler)
        return kIOReturnSuccess;
    IODispatchQueue *queue = copy_method_queue(ivars->target, ivars->targetmsgid);
    if (queue == nullptr) {
        handler();
        return kIOReturnSuccess;
    }
    // Deliveries already queued see the cancel flag and skip; the handler runs after them.
    retain();
    OSAction *self = this;
    queue->DispatchAsync([self, handler] {
        handler();
        self->release();
    });
    queue->release();
    return kIOReturnSuccess;
}

kern_return_t OSAction::SetAbortedHandler(OSActionAbortedHandler handler) {
    std::lock_guard lock(ivars->mutex);
    ivars->aborted_handler = std::move(handler);
    return kIOReturnSuccess;
}

void OSAction::Aborted(void) {
    OSActionAbortedHandler handler;
    {
        std::lock_guard lock(ivars->mutex);
        handler = ivars->aborted_handler;
    }
    handler();
}

kern_return_t OSAction::WillWait(OSActionWaitToken **token) {
    if (token == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *token = new OSActionWaitToken{ivars->invocations};
    return kIOReturnSuccess;
}

kern_return_t OSAction::EndWait(OSActionWaitToken *token) {
    delete token;
    return kIOReturnSuccess;
}

kern_return_t OSAction::Wait(OSActionWaitToken *token, uint64_t options, uint64_t deadline) {
    using namespace std::chrono;
    if (token == nullptr)
        return kIOReturnBadArgument;
    IODispatchQueue *current = IODispatchQueue::netdext_current();
    IODispatchQueue *target_queue = copy_method_queue(ivars->target, ivars->targetmsgid);
    bool same_queue = current != nullptr && current == target_queue;
    if (target_queue != nullptr)
        target_queue->release();
    if (same_queue) {
        // FIXME: waiting on the queue the action runs on needs the reentrant sleep; refused.
        return kIOReturnNotPermitted;
    }
    netdext::ClockDomain domain = options == kIOTimerClockMonotonicRaw
                                      ? netdext::ClockDomain::monotonic
                                      : netdext::ClockDomain::uptime;
    uint64_t now = netdext::time_source().now_ns(domain);
    std::unique_lock lock(ivars->mutex);
    auto woken = [&] { return ivars->invocations > token->invocations_at_start || ivars->canceled; };
    if (deadline == 0 || deadline == UINT64_MAX) {
        ivars->invoked_cv.wait(lock, woken);
    } else {
        uint64_t delta = deadline > now ? deadline - now : 0;
        if (!ivars->invoked_cv.wait_for(lock, nanoseconds(delta), woken))
            return kIOReturnTimeout;
    }
    return ivars->canceled && ivars->invocations <= token->invocations_at_start ? kIOReturnAborted
                                                                               : kIOReturnSuccess;
}
