/*
 * DriverKit/IODispatchSource.h — the abstract base of timer, data-queue and interrupt sources.
 *
 * netdext guarantees, for every source: its handlers run serialized on its queue; Cancel(handler)
 * stops new handler runs at once, waits for one already running, then runs `handler` exactly once
 * on the source's queue; no handler of the source runs after that. SetEnable(false) suppresses
 * handler runs until SetEnable(true).
 */
#ifndef _DRIVERKIT_IODISPATCHSOURCE_H
#define _DRIVERKIT_IODISPATCHSOURCE_H

#include <DriverKit/OSObject.h>
#include <DriverKit/IODispatchQueue.h>
#include <netdext/block.h>

typedef netdext::Block<void()> IODispatchSourceCancelHandler;

struct IODispatchSource_IVars;

class IODispatchSource : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IODispatchSource, OSObject)

    bool init() override;
    void free() override;

    virtual kern_return_t Cancel(IODispatchSourceCancelHandler handler) = 0;
    virtual kern_return_t SetEnableWithCompletion(bool enable,
                                                  IODispatchSourceCancelHandler handler) = 0;
    virtual kern_return_t SetEnable(bool enable);
    virtual kern_return_t CheckForWork(bool synchronous);

    /* netdext: the queue the source was created on (not retained). */
    IODispatchQueue *netdext_queue() const;
    bool netdext_enabled() const;
    bool netdext_canceled() const;

protected:
    /* netdext: set-up and the shared cancel/enable bookkeeping for subclasses. */
    kern_return_t netdext_set_queue(IODispatchQueue *queue);
    /*
     * A handler run in flight. netdext_begin_handler() fills one unless the source is cancelled or
     * disabled; pass gate and done to OSAction::netdext_send. gate() is checked on the handler's
     * queue right before the handler runs; done() always runs once, and Cancel's completion waits
     * for it.
     */
    struct HandlerTicket {
        netdext::Block<bool()> gate;
        netdext::Block<void()> done;
    };
    bool netdext_begin_handler(HandlerTicket &ticket);
    kern_return_t netdext_cancel(IODispatchSourceCancelHandler handler);
    /* Makes a cancelled source usable again (the timer's WakeAtTime after Cancel). */
    void netdext_revive();
    kern_return_t netdext_set_enable(bool enable, IODispatchSourceCancelHandler handler);
    /* Hook for subclasses: called on every change of the enabled state. */
    virtual void netdext_enable_changed(bool /*enabled*/) {}

private:
    IODispatchSource_IVars *ivars = nullptr;
};

extern OSMetaClass *gIODispatchSourceMetaClass;

#endif /* _DRIVERKIT_IODISPATCHSOURCE_H */
