// IrqService: a service with two TYPE(IOInterruptDispatchSource::InterruptOccurred) methods,
// written by hand in the shape netdext-iig generates (like test_classes.h), for the interrupt
// source tests: "Interrupt" runs on the Default queue, "InterruptOnIrq" has QUEUENAME(Irq).
#pragma once

#include <DriverKit/IOInterruptDispatchSource.h>
#include <DriverKit/IOService.h>
#include <netdext/iig_support.h>

#include <functional>
#include <mutex>
#include <vector>

#define IrqService_Interrupt_ID 0x2000000000000001ULL
#define IrqService_InterruptOnIrq_ID 0x2000000000000002ULL

class IrqService : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(IrqService, IOService)
    kern_return_t CreateActionInterrupt(size_t referenceSize, OSAction **action);
    kern_return_t CreateActionInterruptOnIrq(size_t referenceSize, OSAction **action);

    // One handler run, as the tests observe it.
    struct Call {
        uint64_t count;
        uint64_t time;
        IODispatchQueue *queue; // the queue it ran on (not retained)
        bool on_irq_method;
    };
    std::mutex mutex;
    std::vector<Call> calls;
    std::function<void(OSAction *, uint64_t, uint64_t)> on_interrupt; // runs after recording
    std::vector<Call> snapshot() {
        std::lock_guard lock(mutex);
        return calls;
    }

protected:
    virtual void Interrupt_Impl(OSAction *action, uint64_t count, uint64_t time);
    virtual void InterruptOnIrq_Impl(OSAction *action, uint64_t count, uint64_t time);

private:
    void record(OSAction *action, uint64_t count, uint64_t time, bool on_irq_method);
};
extern OSMetaClass *gIrqServiceMetaClass;

class OSAction_IrqService_Interrupt : public OSAction {
public:
    NETDEXT_CLASS_MEMBERS(OSAction_IrqService_Interrupt, OSAction)
};
extern OSMetaClass *gOSAction_IrqService_InterruptMetaClass;

class OSAction_IrqService_InterruptOnIrq : public OSAction {
public:
    NETDEXT_CLASS_MEMBERS(OSAction_IrqService_InterruptOnIrq, OSAction)
};
extern OSMetaClass *gOSAction_IrqService_InterruptOnIrqMetaClass;
