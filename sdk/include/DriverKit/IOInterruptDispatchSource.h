/*
 * DriverKit/IOInterruptDispatchSource.h — runs an OSAction when a provider's interrupt fires.
 *
 * netdext: there is no interrupt controller. A provider offers interrupts only when a test bench
 * or a simulated device says so (netdext/interrupts.h: offer_interrupts), and an interrupt "fires"
 * when that code calls netdext::raise_interrupt(provider, index) or the source's
 * netdext_trigger(). Create fails with kIOReturnNoInterrupt for an index the provider does not
 * offer. Behaviour (DriverKit's, with netdext's choices where it has no hardware to follow):
 *  - a source starts disabled; interrupts raised while it is disabled or cancelled are dropped;
 *  - the handler gets the source's running interrupt count and the mach_absolute_time() of the
 *    latest interrupt (mach_continuous_time() when the index was or'ed with
 *    kIOInterruptSourceContinuousTime); interrupts raised before a pending handler run started are
 *    coalesced into that run;
 *  - the handler runs on the queue its target method runs on (QUEUENAME, else "Default"), one run
 *    at a time; Cancel(handler) keeps IODispatchSource's guarantees (no run after the completion)
 *    and lets go of the handler action at once (a cancelled source can only be released).
 */
#ifndef _DRIVERKIT_IOINTERRUPTDISPATCHSOURCE_H
#define _DRIVERKIT_IOINTERRUPTDISPATCHSOURCE_H

#include <DriverKit/IODispatchSource.h>
#include <DriverKit/IOService.h>
#include <DriverKit/OSAction.h>

/* DriverKit: interrupt types GetInterruptType reports (IOKit's values; providers may add
 * bus-specific flags, e.g. PCI's messaged-interrupt bits). */
enum {
    kIOInterruptTypeEdge = 0x00000000,
    kIOInterruptTypeLevel = 0x00000001,
};

/* DriverKit: what Create's `index` may carry above the interrupt index. */
enum {
    kIOInterruptSourceIndexMask = 0x0000FFFF,
    kIOInterruptSourceAbsoluteTime = 0x00000000,
    kIOInterruptSourceContinuousTime = 0x00010000,
};

/* The callback's message ID (netdext's method-ID hash; Apple's value is not published). */
#define IOInterruptDispatchSource_InterruptOccurred_ID netdext::method_id("InterruptOccurred")

struct IOInterruptDispatchSource_IVars;

class IOInterruptDispatchSource : public IODispatchSource {
public:
    NETDEXT_CLASS_MEMBERS(IOInterruptDispatchSource, IODispatchSource)

    /*
     * A source (+1) for interrupt `index` of `provider`, disabled, delivering on `queue`'s
     * terms (see above). kIOReturnNoInterrupt if the provider does not offer that interrupt.
     */
    static kern_return_t Create(IOService *provider, uint32_t index, IODispatchQueue *queue,
                                IOInterruptDispatchSource **source);
    /* The type (kIOInterruptType*) of interrupt `index`; kIOReturnNoInterrupt if not offered. */
    static kern_return_t GetInterruptType(IOService *provider, uint32_t index,
                                          uint64_t *interruptType);

    bool init() override;
    void free() override;

    /* The action must be a TYPE(IOInterruptDispatchSource::InterruptOccurred) action; it is
     * retained until replaced or the source is freed. */
    virtual kern_return_t SetHandler(OSAction *action);
    kern_return_t SetEnableWithCompletion(bool enable,
                                          IODispatchSourceCancelHandler handler) override;
    kern_return_t Cancel(IODispatchSourceCancelHandler handler) override;
    kern_return_t CheckForWork(bool synchronous) override;

    /* The running count and the time of the latest interrupt (0, 0 before the first). */
    kern_return_t GetLastInterrupt(uint64_t *pCount, uint64_t *pTime);

    /*
     * netdext: the interrupt fires `count` times now (for test benches and simulated devices).
     * Returns false when the source is disabled or cancelled (the interrupts are dropped).
     * Any thread.
     */
    bool netdext_trigger(uint64_t count = 1);
    /* netdext: the provider's registry ID and interrupt index this source listens to. */
    uint64_t netdext_provider_id() const;
    uint32_t netdext_index() const;

private:
    IOInterruptDispatchSource_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOInterruptDispatchSourceMetaClass;

#endif /* _DRIVERKIT_IOINTERRUPTDISPATCHSOURCE_H */
