// OSObject reference counting, casting, the class registry and SUPERDISPATCH routing.

#include <gtest/gtest.h>

#include <DriverKit/IOService.h>
#include <DriverKit/OSAction.h>
#include <netdext/runtime.h>

#include "support/test_classes.h"

struct FreeTracker : public OSObject {
    NETDEXT_CLASS_MEMBERS(FreeTracker, OSObject)
    bool *freed = nullptr;
    void free() override {
        if (freed != nullptr)
            *freed = true;
        OSObject::free();
    }
};
extern OSMetaClass *gFreeTrackerMetaClass;

NETDEXT_DEFINE_CLASS(FreeTracker, OSObject, nullptr, 0)
kern_return_t FreeTracker::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSObject::_Dispatch(self, rpc);
}

TEST(OSObject, StartsWithOneReferenceAndFreesAtZero) {
    uint64_t live_before = netdext::runtime_stats().live_objects.load();
    bool freed = false;
    auto *object = new FreeTracker;
    object->freed = &freed;
    ASSERT_TRUE(object->init());
    EXPECT_EQ(object->getRetainCount(), 1);
    object->retain();
    EXPECT_EQ(object->getRetainCount(), 2);
    object->release();
    EXPECT_FALSE(freed);
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_before + 1);
    object->release();
    EXPECT_TRUE(freed);
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_before);
}

TEST(OSObject, MemoryStartsZeroed) {
    auto *service = make_object<TestService>("TestService");
    ASSERT_NE(service, nullptr);
    EXPECT_EQ(service->ivars, nullptr);
    service->release();
}

TEST(OSObject, SafeReleaseNullReleasesAndClears) {
    bool freed = false;
    auto *object = new FreeTracker;
    object->freed = &freed;
    FreeTracker *pointer = object;
    OSSafeReleaseNULL(pointer);
    EXPECT_EQ(pointer, nullptr);
    EXPECT_TRUE(freed);
    FreeTracker *null_pointer = nullptr;
    OSSafeReleaseNULL(null_pointer); // no-op on NULL
    EXPECT_EQ(null_pointer, nullptr);
}

TEST(OSMetaClass, DynamicCastFollowsTheClassChain) {
    auto *leaf = make_object<TestLeaf>("TestLeaf");
    ASSERT_NE(leaf, nullptr);
    OSObject *object = leaf;
    EXPECT_EQ(OSDynamicCast(TestLeaf, object), leaf);
    EXPECT_EQ(OSDynamicCast(TestService, object), leaf);
    EXPECT_EQ(OSDynamicCast(IOService, object), leaf);
    EXPECT_EQ(OSDynamicCast(OSObject, object), object);
    EXPECT_EQ(OSDynamicCast(OSAction, object), nullptr);
    OSObject *null_object = nullptr;
    EXPECT_EQ(OSDynamicCast(IOService, null_object), nullptr);
    EXPECT_STREQ(leaf->GetClassName(), "TestLeaf");
    EXPECT_EQ(leaf->getMetaClass()->getSuperClass(), gTestServiceMetaClass);
    leaf->release();
}

TEST(OSMetaClass, RequiredCastAbortsOnMismatch) {
    EXPECT_DEATH(
        {
            auto *service = make_object<TestService>("TestService");
            OSObject *object = service;
            (void)OSRequiredCast(OSAction, object);
        },
        "OSRequiredCast\\(OSAction, TestService\\) failed");
}

TEST(OSMetaClass, FindsClassesByNameAndRefusesAbstractOnes) {
    ASSERT_NE(OSMetaClass::find("IOService"), nullptr);
    EXPECT_EQ(OSMetaClass::find("NoSuchClass"), nullptr);
    const OSMetaClass *source = OSMetaClass::find("IODispatchSource");
    ASSERT_NE(source, nullptr);
    EXPECT_TRUE(source->isAbstract());
    EXPECT_EQ(source->alloc(), nullptr);
    OSObject *object = nullptr;
    EXPECT_EQ(OSObjectAllocate(gIOServiceMetaClass, &object), kIOReturnSuccess);
    ASSERT_NE(object, nullptr);
    EXPECT_NE(OSDynamicCast(IOService, object), nullptr);
    object->release();
}

TEST(Dispatch, PlainCallReachesTheMostDerivedImplementation) {
    auto *leaf = make_object<TestLeaf>("TestLeaf");
    ASSERT_NE(leaf, nullptr);
    EXPECT_EQ(leaf->Start(nullptr), kIOReturnSuccess);
    // TestLeaf → (SUPERDISPATCH) TestService → (SUPERDISPATCH) IOService.
    ASSERT_EQ(leaf->calls.size(), 2u);
    EXPECT_EQ(leaf->calls[0], "TestLeaf::Start");
    EXPECT_EQ(leaf->calls[1], "TestService::Start");
    EXPECT_TRUE(leaf->netdext_started());
    leaf->release();
}

TEST(Dispatch, SuperDispatchFromOutsideStartsAtTheNamedBase) {
    auto *leaf = make_object<TestLeaf>("TestLeaf");
    ASSERT_NE(leaf, nullptr);
    // As if TestLeaf's own code called Start(provider, SUPERDISPATCH): TestService's runs.
    EXPECT_EQ(leaf->Start(nullptr, (OSDispatchMethod)&TestService::_Dispatch), kIOReturnSuccess);
    ASSERT_EQ(leaf->calls.size(), 1u);
    EXPECT_EQ(leaf->calls[0], "TestService::Start");
    // IOService's dispatcher goes straight to the base implementation.
    leaf->calls.clear();
    EXPECT_EQ(leaf->SetPowerState(kIOServicePowerCapabilityLow,
                                  (OSDispatchMethod)&IOService::_Dispatch),
              kIOReturnSuccess);
    EXPECT_TRUE(leaf->calls.empty());
    EXPECT_EQ(leaf->netdext_power_state(), uint32_t(kIOServicePowerCapabilityLow));
    // The renamed parameter reaches the override.
    EXPECT_EQ(leaf->SetPowerState(kIOServicePowerCapabilityOn), kIOReturnSuccess);
    ASSERT_EQ(leaf->calls.size(), 1u);
    EXPECT_EQ(leaf->calls[0], "TestService::SetPowerState 2");
    leaf->release();
}

TEST(Dispatch, UnimplementedSuperCallIsReportedNotCrashing) {
    auto *service = make_object<TestService>("TestService");
    ASSERT_NE(service, nullptr);
    uint64_t before = netdext::runtime_stats().unhandled_messages.load();
    // OSObject's dispatcher has no Start: the call fails cleanly.
    EXPECT_EQ(service->Start(nullptr, (OSDispatchMethod)&OSObject::_Dispatch),
              kIOReturnUnsupported);
    EXPECT_EQ(netdext::runtime_stats().unhandled_messages.load(), before + 1);
    service->release();
}

TEST(IOService, HasADefaultQueueAndNamedQueues) {
    auto *service = make_object<TestService>("TestService");
    ASSERT_NE(service, nullptr);
    IODispatchQueue *first = nullptr, *second = nullptr;
    ASSERT_EQ(service->CopyDispatchQueue(kIOServiceDefaultQueueName, &first), kIOReturnSuccess);
    ASSERT_EQ(service->CopyDispatchQueue("Default", &second), kIOReturnSuccess);
    EXPECT_EQ(first, second);
    EXPECT_STREQ(first->GetName(), "Default");
    IODispatchQueue *missing = nullptr;
    EXPECT_EQ(service->CopyDispatchQueue("Other", &missing), kIOReturnNotFound);
    EXPECT_EQ(missing, nullptr);
    IODispatchQueue *other = nullptr;
    ASSERT_EQ(IODispatchQueue::Create("Other", 0, 0, &other), kIOReturnSuccess);
    EXPECT_EQ(service->SetDispatchQueue("Other", other), kIOReturnSuccess);
    ASSERT_EQ(service->CopyDispatchQueue("Other", &missing), kIOReturnSuccess);
    EXPECT_EQ(missing, other);
    OSSafeReleaseNULL(missing);
    OSSafeReleaseNULL(other);
    OSSafeReleaseNULL(first);
    OSSafeReleaseNULL(second);
    uint64_t id1 = 0;
    EXPECT_EQ(service->GetRegistryEntryID(&id1), kIOReturnSuccess);
    EXPECT_NE(id1, 0u);
    EXPECT_EQ(service->SetName("en0-service"), kIOReturnSuccess);
    EXPECT_STREQ(service->netdext_name(), "en0-service");
    EXPECT_EQ(service->RegisterService(), kIOReturnSuccess);
    EXPECT_TRUE(service->netdext_registered());
    service->release();
}

TEST(OSAction, ReferenceAreaIsZeroedAndSized) {
    auto *service = make_object<TestService>("TestService");
    ASSERT_NE(service, nullptr);
    OSAction *with_ref = nullptr, *without_ref = nullptr;
    ASSERT_EQ(service->CreateActionTick(sizeof(void *) * 4, &with_ref), kIOReturnSuccess);
    ASSERT_EQ(service->CreateActionTick(0, &without_ref), kIOReturnSuccess);
    auto *bytes = static_cast<unsigned char *>(with_ref->GetReference());
    ASSERT_NE(bytes, nullptr);
    for (size_t i = 0; i < sizeof(void *) * 4; ++i)
        EXPECT_EQ(bytes[i], 0);
    EXPECT_EQ(without_ref->GetReference(), nullptr);
    EXPECT_EQ(with_ref->GetTarget(), service);
    EXPECT_STREQ(with_ref->GetClassName(), "OSAction_TestService_Tick");
    EXPECT_NE(OSDynamicCast(OSAction, with_ref), nullptr);
    // The action holds its target.
    EXPECT_EQ(service->getRetainCount(), 3);
    OSSafeReleaseNULL(with_ref);
    OSSafeReleaseNULL(without_ref);
    EXPECT_EQ(service->getRetainCount(), 1);
    service->release();
}
