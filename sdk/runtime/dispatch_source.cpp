// IODispatchSource: the cancel / enable bookkeeping shared by every source.
//
// Invariants (DriverKit's, tested in dispatch_source_test.cpp):
//  - a handler run is "in flight" from netdext_begin_handler() until its ticket's done();
//  - Cancel(handler): no handler starts afterwards (the gate vetoes older generations), and
//    `handler` runs exactly once on the source's queue after the last in-flight run is done.

#include <DriverKit/IODispatchSource.h>
#include <DriverKit/OSAction.h>
#include <netdext/iig_support.h>

#include <mutex>
#include <vector>

#include "internal.h"

struct IODispatchSource_IVars {
    std::mutex mutex;
    IODispatchQueue *queue = nullptr; // retained
    bool enabled = true;
    bool canceled = false;
    uint64_t generation = 0; // bumped by every Cancel; older handler runs are vetoed
    uint64_t in_flight = 0;
    std::vector<IODispatchSourceCancelHandler> completions; // run when in_flight reaches 0
};

NETDEXT_DEFINE_CLASS(IODispatchSource, OSObject, nullptr, 0)

kern_return_t IODispatchSource::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

bool IODispatchSource::init() {
    if (!OSObject::init())
        return false;
    ivars = new IODispatchSource_IVars;
    return true;
}

void IODispatchSource::free() {
    if (ivars != nullptr) {
        if (ivars->queue != nullptr)
            ivars->queue->release();
        delete ivars;
        ivars = nullptr;
    }
    OSObject::free();
}

kern_return_t IODispatchSource::netdext_set_queue(IODispatchQueue *queue) {
    if (queue == nullptr)
        return kIOReturnBadArgument;
    queue->retain();
    std::lock_guard lock(ivars->mutex);
    if (ivars->queue != nullptr)
        ivars->queue->release();
    ivars->queue = queue;
    return kIOReturnSuccess;
}

IODispatchQueue *IODispatchSource::netdext_queue() const { return ivars->queue; }

bool IODispatchSource::netdext_enabled() const {
    std::lock_guard lock(ivars->mutex);
    return ivars->enabled;
}

bool IODispatchSource::netdext_canceled() const {
    std::lock_guard lock(ivars->mutex);
    return ivars->canceled;
}

void IODispatchSource::netdext_revive() {
    std::lock_guard lock(ivars->mutex);
    ivars->canceled = false;
}

// Posts the completions on the source's queue. Called with the lock held; takes them out.
static void post_completions(IODispatchSource *source, IODispatchQueue *queue,
                             std::vector<IODispatchSourceCancelHandler> &completions) {
    if (completions.empty())
        return;
    std::vector<IODispatchSourceCancelHandler> handlers;
    handlers.swap(completions);
    source->retain();
    queue->DispatchAsync([source, handlers] {
        for (const auto &handler : handlers)
            handler();
        source->release();
    });
}

bool IODispatchSource::netdext_begin_handler(HandlerTicket &ticket) {
    uint64_t generation;
    {
        std::lock_guard lock(ivars->mutex);
        if (ivars->canceled || !ivars->enabled || ivars->queue == nullptr)
            return false;
        ++ivars->in_flight;
        generation = ivars->generation;
    }
    retain();
    IODispatchSource *self = this;
    ticket.gate = [self, generation] {
        std::lock_guard lock(self->ivars->mutex);
        return !self->ivars->canceled && self->ivars->enabled &&
               self->ivars->generation == generation;
    };
    ticket.done = [self] {
        {
            std::lock_guard lock(self->ivars->mutex);
            if (--self->ivars->in_flight == 0)
                post_completions(self, self->ivars->queue, self->ivars->completions);
        }
        self->release();
    };
    return true;
}

// Cancel and SetEnable hold a reference of their own while they run: the completion they post
// may release the caller's last reference on the source's queue before they have returned.
kern_return_t IODispatchSource::netdext_cancel(IODispatchSourceCancelHandler handler) {
    retain();
    {
        std::lock_guard lock(ivars->mutex);
        ivars->canceled = true;
        ++ivars->generation;
        if (handler)
            ivars->completions.push_back(std::move(handler));
        if (ivars->in_flight == 0 && ivars->queue != nullptr)
            post_completions(this, ivars->queue, ivars->completions);
    }
    release();
    return kIOReturnSuccess;
}

kern_return_t IODispatchSource::netdext_set_enable(bool enable,
                                                   IODispatchSourceCancelHandler handler) {
    bool changed;
    retain(); // see netdext_cancel
    {
        std::lock_guard lock(ivars->mutex);
        changed = ivars->enabled != enable;
        ivars->enabled = enable;
        if (handler)
            ivars->completions.push_back(std::move(handler));
        if (ivars->in_flight == 0 && ivars->queue != nullptr)
            post_completions(this, ivars->queue, ivars->completions);
    }
    if (changed)
        netdext_enable_changed(enable);
    release();
    return kIOReturnSuccess;
}

kern_return_t IODispatchSource::SetEnable(bool enable) {
    return SetEnableWithCompletion(enable, nullptr);
}

kern_return_t IODispatchSource::CheckForWork(bool) { return kIOReturnSuccess; }
