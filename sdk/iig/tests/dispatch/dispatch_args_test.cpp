/*
 * Generated dispatch keeps every argument in its place: methods with several parameters of one
 * type (which typed argument packs cannot tell apart) and of mixed types, called directly, through
 * SUPERDISPATCH from an override that names its parameters in the opposite order, and delivered
 * through a TYPE action with two uint64_t.
 */
#include <gtest/gtest.h>

#include <DriverKit/IOService.h>
#include <DriverKit/OSAction.h>
#include <netdext/runtime.h>

#include <string>
#include <vector>

#include "DispatchArgs.h"
#include "dispatch_trace.h"

namespace {

template <class T> T *create(const char *name) {
    const OSMetaClass *meta = OSMetaClass::find(name);
    OSObject *object = meta ? meta->alloc() : nullptr;
    T *typed = object ? static_cast<T *>(OSMetaClassBase::safeMetaCast(object, T::sGetMetaClass()))
                      : nullptr;
    if (typed == nullptr || !typed->init()) {
        OSSafeReleaseNULL(object);
        return nullptr;
    }
    return typed;
}

std::vector<std::string> calls() {
    std::vector<std::string> out;
    for (const DispatchCall &call : DispatchTrace::instance().take())
        out.push_back(call.what);
    return out;
}

class DispatchArguments : public testing::Test {
protected:
    void SetUp() override { DispatchTrace::instance().take(); }
    void TearDown() override { ASSERT_TRUE(netdext::wait_until_idle()); }
};

TEST_F(DispatchArguments, SameTypedParametersArriveInOrderWhenCalledDirectly) {
    DispatchArgs *args = create<DispatchArgs>("DispatchArgs");
    ASSERT_NE(args, nullptr);
    EXPECT_EQ(args->Three(1, 2, 3), kIOReturnSuccess);
    uint64_t out = 0;
    EXPECT_EQ(args->Mixed(500, 7, 200, true, 9, 4, &out), kIOReturnSuccess);
    EXPECT_EQ(out, 300u);
    EXPECT_EQ(calls(), (std::vector<std::string>{"Args::Three(1, 2, 3)",
                                                 "Args::Mixed(500, 7, 200, 1, 9, 4)"}));
    args->release();
}

TEST_F(DispatchArguments, SameTypedParametersArriveInOrderThroughSuperdispatch) {
    DispatchArgs *child = create<DispatchArgs>("DispatchArgsChild");
    ASSERT_NE(child, nullptr);
    EXPECT_EQ(child->Three(1, 2, 3), kIOReturnSuccess);
    uint64_t out = 0;
    EXPECT_EQ(child->Mixed(500, 7, 200, false, 9, 4, &out), kIOReturnSuccess);
    EXPECT_EQ(out, 300u);
    EXPECT_EQ(calls(), (std::vector<std::string>{
                           "Child::Three(1, 2, 3)", "Args::Three(1, 2, 3)",
                           "Child::Mixed(500, 7, 200, 0, 9, 4)",
                           "Args::Mixed(500, 7, 200, 0, 9, 4)"}));
    // The base's dispatcher reached explicitly, as an override's SUPERDISPATCH does.
    EXPECT_EQ(child->Three(4, 5, 6, &DispatchArgs::_Dispatch), kIOReturnSuccess);
    EXPECT_EQ(calls(), std::vector<std::string>{"Args::Three(4, 5, 6)"});
    child->release();
}

TEST_F(DispatchArguments, ActionArgumentsOfOneTypeArriveInOrder) {
    DispatchArgs *args = create<DispatchArgs>("DispatchArgs");
    ASSERT_NE(args, nullptr);
    IOService *provider = create<IOService>("IOService");
    ASSERT_NE(provider, nullptr);
    ASSERT_EQ(args->Start(provider), kIOReturnSuccess); // the Default queue the action runs on
    OSAction *action = nullptr;
    ASSERT_EQ(args->CreateActionInterrupt(0, &action), kIOReturnSuccess);
    EXPECT_EQ(action->GetMsgID(), IOInterruptDispatchSource_InterruptOccurred_ID);
    // What an interrupt source does when it fires: (count, time).
    ASSERT_TRUE(action->netdext_send({}, {}, uint64_t(7), uint64_t(123456789)));
    ASSERT_TRUE(netdext::wait_until_idle());
    std::vector<DispatchCall> got = DispatchTrace::instance().take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].what, "Args::Interrupt(7, 123456789)");
    EXPECT_EQ(got[0].pointer, action);
    args->Stop(provider);
    action->release();
    args->release();
    provider->release();
}

} // namespace
