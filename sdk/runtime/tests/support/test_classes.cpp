#include "test_classes.h"

static const netdext::MethodQueueName TestService_QueueNames[] = {
    {TestService_Ready_ID, "Data"},
};
NETDEXT_DEFINE_CLASS(TestService, IOService, TestService_QueueNames, 1)
NETDEXT_DEFINE_CLASS(OSAction_TestService_Tick, OSAction, nullptr, 0)
NETDEXT_DEFINE_CLASS(OSAction_TestService_Ready, OSAction, nullptr, 0)
NETDEXT_DEFINE_CLASS(TestLeaf, TestService, nullptr, 0)

kern_return_t OSAction_TestService_Tick::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSAction::_Dispatch(self, rpc);
}
kern_return_t OSAction_TestService_Ready::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSAction::_Dispatch(self, rpc);
}

kern_return_t TestService::CreateActionTick(size_t referenceSize, OSAction **action) {
    return netdext::create_action<OSAction_TestService_Tick>(
        this, TestService_Tick_ID, IOTimerDispatchSource_TimerOccurred_ID, referenceSize, action);
}

kern_return_t TestService::CreateActionReady(size_t referenceSize, OSAction **action) {
    return netdext::create_action<OSAction_TestService_Ready>(
        this, TestService_Ready_ID, IODataQueueDispatchSource_DataAvailable_ID, referenceSize,
        action);
}

kern_return_t TestService::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    TestService *self = static_cast<TestService *>(object);
    switch (rpc.message->msgid) {
    case IOService_Start_ID:
        if (netdext::dispatch_to(rpc, [self](IOService *theProvider) -> kern_return_t {
                return self->TestService::Start_Impl(theProvider);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_SetPowerState_ID:
        if (netdext::dispatch_to(rpc, [self](uint32_t powerstate) -> kern_return_t {
                return self->TestService::SetPowerState_Impl(powerstate);
            }))
            return kIOReturnSuccess;
        break;
    case TestService_Tick_ID:
        if (netdext::dispatch_to(rpc, [self](OSAction *action, uint64_t time) -> void {
                self->TestService::Tick_Impl(action, time);
            }))
            return kIOReturnSuccess;
        break;
    case TestService_Ready_ID:
        if (netdext::dispatch_to(rpc, [self](OSAction *action) -> void {
                self->TestService::Ready_Impl(action);
            }))
            return kIOReturnSuccess;
        break;
    }
    return IOService::_Dispatch(object, rpc);
}

kern_return_t TestService::Start_Impl(IOService *theProvider) {
    record("TestService::Start");
    return Start(theProvider, SUPERDISPATCH);
}

kern_return_t TestService::SetPowerState_Impl(uint32_t powerstate) {
    record("TestService::SetPowerState " + std::to_string(powerstate));
    return SetPowerState(powerstate, SUPERDISPATCH);
}

void TestService::Tick_Impl(OSAction *action, uint64_t time) {
    {
        std::lock_guard lock(mutex);
        tick_times.push_back(time);
        tick_queues.push_back(IODispatchQueue::netdext_current());
    }
    if (on_tick)
        on_tick(action, time);
}

void TestService::Ready_Impl(OSAction *action) {
    {
        std::lock_guard lock(mutex);
        ready_queues.push_back(IODispatchQueue::netdext_current());
    }
    if (on_ready)
        on_ready(action);
}

kern_return_t TestLeaf::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    TestLeaf *self = static_cast<TestLeaf *>(object);
    switch (rpc.message->msgid) {
    case IOService_Start_ID:
        if (netdext::dispatch_to(rpc, [self](IOService *leafProvider) -> kern_return_t {
                return self->TestLeaf::Start_Impl(leafProvider);
            }))
            return kIOReturnSuccess;
        break;
    }
    return TestService::_Dispatch(object, rpc);
}

#undef super
#define super TestService
kern_return_t TestLeaf::Start_Impl(IOService *leafProvider) {
    record("TestLeaf::Start");
    return super::Start(leafProvider, SUPERDISPATCH);
}
#undef super
