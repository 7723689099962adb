// Hand-written classes shaped exactly like netdext-iig's output, so the runtime's dispatch,
// SUPERDISPATCH and action machinery can be tested without the generator.
#pragma once

#include <DriverKit/IODataQueueDispatchSource.h>
#include <DriverKit/IOService.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <netdext/iig_support.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

// A service with a TYPE(IOTimerDispatchSource::TimerOccurred) method "Tick", a
// TYPE(IODataQueueDispatchSource::DataAvailable) method "Ready" with QUEUENAME(Data), and
// overrides of Start and SetPowerState with renamed parameters.
#define TestService_Tick_ID 0x1000000000000001ULL
#define TestService_Ready_ID 0x1000000000000002ULL

class TestService : public IOService {
public:
    union {
        struct TestService_IVars *ivars = nullptr;
        struct TestService_LocalIVars *lvars;
    };
    NETDEXT_CLASS_MEMBERS(TestService, IOService)
    kern_return_t CreateActionTick(size_t referenceSize, OSAction **action);
    kern_return_t CreateActionReady(size_t referenceSize, OSAction **action);

    // What the tests observe.
    std::mutex mutex;
    std::vector<std::string> calls;
    std::vector<uint64_t> tick_times;
    std::vector<IODispatchQueue *> tick_queues; // queue each Tick ran on (not retained)
    std::vector<IODispatchQueue *> ready_queues;
    std::function<void(OSAction *, uint64_t)> on_tick;
    std::function<void(OSAction *)> on_ready;
    void record(const std::string &call) {
        std::lock_guard lock(mutex);
        calls.push_back(call);
    }

protected:
    kern_return_t Start_Impl(IOService *theProvider) override;
    kern_return_t SetPowerState_Impl(uint32_t powerstate) override;
    virtual void Tick_Impl(OSAction *action, uint64_t time);
    virtual void Ready_Impl(OSAction *action);
};
extern OSMetaClass *gTestServiceMetaClass;

class OSAction_TestService_Tick : public OSAction {
public:
    NETDEXT_CLASS_MEMBERS(OSAction_TestService_Tick, OSAction)
};
extern OSMetaClass *gOSAction_TestService_TickMetaClass;

class OSAction_TestService_Ready : public OSAction {
public:
    NETDEXT_CLASS_MEMBERS(OSAction_TestService_Ready, OSAction)
};
extern OSMetaClass *gOSAction_TestService_ReadyMetaClass;

// A subclass of TestService overriding Start again, to check two levels of SUPERDISPATCH.
class TestLeaf : public TestService {
public:
    NETDEXT_CLASS_MEMBERS(TestLeaf, TestService)
protected:
    kern_return_t Start_Impl(IOService *leafProvider) override;
};
extern OSMetaClass *gTestLeafMetaClass;

// Creates a class instance by name, init()ed, or nullptr.
template <class T> T *make_object(const char *class_name) {
    const OSMetaClass *meta = OSMetaClass::find(class_name);
    if (meta == nullptr)
        return nullptr;
    OSObject *object = meta->alloc();
    if (object == nullptr)
        return nullptr;
    if (!object->init()) {
        object->release();
        return nullptr;
    }
    T *typed = static_cast<T *>(OSMetaClassBase::safeMetaCast(object, T::sGetMetaClass()));
    if (typed == nullptr)
        object->release();
    return typed;
}
