#include "irq_service.h"

static const netdext::MethodQueueName IrqService_QueueNames[] = {
    {IrqService_InterruptOnIrq_ID, "Irq"},
};
NETDEXT_DEFINE_CLASS(IrqService, IOService, IrqService_QueueNames, 1)
NETDEXT_DEFINE_CLASS(OSAction_IrqService_Interrupt, OSAction, nullptr, 0)
NETDEXT_DEFINE_CLASS(OSAction_IrqService_InterruptOnIrq, OSAction, nullptr, 0)

kern_return_t OSAction_IrqService_Interrupt::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSAction::_Dispatch(self, rpc);
}
kern_return_t OSAction_IrqService_InterruptOnIrq::_Dispatch(OSMetaClassBase *self,
                                                            const IORPC rpc) {
    return OSAction::_Dispatch(self, rpc);
}

kern_return_t IrqService::CreateActionInterrupt(size_t referenceSize, OSAction **action) {
    return netdext::create_action<OSAction_IrqService_Interrupt>(
        this, IrqService_Interrupt_ID, IOInterruptDispatchSource_InterruptOccurred_ID,
        referenceSize, action);
}

kern_return_t IrqService::CreateActionInterruptOnIrq(size_t referenceSize, OSAction **action) {
    return netdext::create_action<OSAction_IrqService_InterruptOnIrq>(
        this, IrqService_InterruptOnIrq_ID, IOInterruptDispatchSource_InterruptOccurred_ID,
        referenceSize, action);
}

kern_return_t IrqService::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    IrqService *self = static_cast<IrqService *>(object);
    switch (rpc.message->msgid) {
    case IrqService_Interrupt_ID:
        if (netdext::dispatch_to(rpc, [self](OSAction *action, uint64_t count, uint64_t time) {
                self->IrqService::Interrupt_Impl(action, count, time);
            }))
            return kIOReturnSuccess;
        break;
    case IrqService_InterruptOnIrq_ID:
        if (netdext::dispatch_to(rpc, [self](OSAction *action, uint64_t count, uint64_t time) {
                self->IrqService::InterruptOnIrq_Impl(action, count, time);
            }))
            return kIOReturnSuccess;
        break;
    }
    return IOService::_Dispatch(object, rpc);
}

void IrqService::record(OSAction *action, uint64_t count, uint64_t time, bool on_irq_method) {
    {
        std::lock_guard lock(mutex);
        calls.push_back({count, time, IODispatchQueue::netdext_current(), on_irq_method});
    }
    if (on_interrupt)
        on_interrupt(action, count, time);
}

void IrqService::Interrupt_Impl(OSAction *action, uint64_t count, uint64_t time) {
    record(action, count, time, false);
}

void IrqService::InterruptOnIrq_Impl(OSAction *action, uint64_t count, uint64_t time) {
    record(action, count, time, true);
}
