// IOService's system-service calls (service_extras.cpp): power assertions, state notification
// items, IOReporting, CoreAnalytics, platform functions.
#include <gtest/gtest.h>

#include <DriverKit/IOService.h>
#include <DriverKit/OSCollections.h>
#include <netdext/runtime.h>

namespace {

class IOServiceExtras : public ::testing::Test {
protected:
    void SetUp() override {
        // The two OSBooleans are created on first use and never freed: not a leak of ours.
        (void)kOSBooleanTrue->getValue();
        (void)kOSBooleanFalse->getValue();
        m_live = netdext::runtime_stats().live_objects.load();
        m_service = static_cast<IOService *>(gIOServiceMetaClass->alloc());
        ASSERT_NE(m_service, nullptr);
        ASSERT_TRUE(m_service->init());
    }
    void TearDown() override {
        OSSafeReleaseNULL(m_service);
        EXPECT_EQ(netdext::runtime_stats().live_objects.load(), m_live) << "leaked OSObjects";
    }
    IOService *m_service = nullptr;
    uint64_t m_live = 0;
};

TEST_F(IOServiceExtras, PowerAssertionsAreHandedOutAndTakenBack) {
    uint64_t a = 0, b = 0;
    ASSERT_EQ(m_service->CreatePMAssertion(1, &a, false), kIOReturnSuccess);
    ASSERT_EQ(m_service->CreatePMAssertion(1, &b, true), kIOReturnSuccess);
    EXPECT_NE(a, b);
    EXPECT_EQ(m_service->CreatePMAssertion(0, &a, false), kIOReturnBadArgument);
    EXPECT_EQ(m_service->ReleasePMAssertion(a), kIOReturnSuccess);
    EXPECT_EQ(m_service->ReleasePMAssertion(a), kIOReturnNotFound);
    EXPECT_EQ(m_service->ReleasePMAssertion(b), kIOReturnSuccess);
}

TEST_F(IOServiceExtras, StateNotificationItemsAreNamedDictionaries) {
    OSString *name = OSString::withCString("netdext.test.item");
    OSDictionary *value = OSDictionary::withCapacity(1);
    value->setObject("state", kOSBooleanTrue);
    OSDictionary *copy = nullptr;
    EXPECT_EQ(m_service->StateNotificationItemSet(name, value), kIOReturnNotFound);
    ASSERT_EQ(m_service->StateNotificationItemCreate(name, value), kIOReturnSuccess);
    m_live += 2; // items live as long as the process: the stored dictionary and its one key
    EXPECT_EQ(m_service->StateNotificationItemCreate(name, value), kIOReturnExclusiveAccess);
    value->setObject("state", kOSBooleanFalse);
    ASSERT_EQ(m_service->StateNotificationItemSet(name, value), kIOReturnSuccess);
    ASSERT_EQ(m_service->StateNotificationItemCopy(name, &copy), kIOReturnSuccess);
    EXPECT_EQ(copy->getObject("state"), kOSBooleanFalse);
    EXPECT_NE(copy, value) << "a copy";
    OSSafeReleaseNULL(copy);
    OSSafeReleaseNULL(value);
    OSSafeReleaseNULL(name);
    IOService *system = nullptr;
    EXPECT_EQ(m_service->CopySystemStateNotificationService(&system), kIOReturnUnsupported);
}

TEST_F(IOServiceExtras, ReportingLegendAndPlatformFunctions) {
    uint32_t count = 0;
    EXPECT_EQ(m_service->ConfigureReport(nullptr, 0, &count), kIOReturnUnsupported);
    EXPECT_EQ(m_service->UpdateReport(nullptr, 0, &count, 0, 0, nullptr), kIOReturnUnsupported);
    OSArray *legend = OSArray::withCapacity(1);
    ASSERT_EQ(m_service->SetLegend(legend, true), kIOReturnSuccess);
    OSDictionary *properties = nullptr;
    ASSERT_EQ(m_service->CopyProperties(&properties), kIOReturnSuccess);
    auto *user = OSDynamicCast(OSDictionary, properties->getObject("IOUserServiceProperties"));
    ASSERT_NE(user, nullptr);
    EXPECT_NE(user->getObject("IOReportLegend"), nullptr);
    EXPECT_EQ(user->getObject("IOReportLegendPublic"), kOSBooleanTrue);
    OSSafeReleaseNULL(properties);
    OSSafeReleaseNULL(legend);
    OSString *function = OSString::withCString("anything");
    OSDictionary *out = reinterpret_cast<OSDictionary *>(1);
    EXPECT_EQ(m_service->CallPlatformFunction(function, true, nullptr, &out), kIOReturnUnsupported);
    EXPECT_EQ(out, nullptr);
    OSDictionary *payload = OSDictionary::withCapacity(0);
    EXPECT_EQ(m_service->CoreAnalyticsSendEvent(0, function, payload), kIOReturnSuccess);
    OSSafeReleaseNULL(payload);
    OSSafeReleaseNULL(function);
}

} // namespace
