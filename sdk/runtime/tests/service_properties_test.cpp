// IOService's property API: the system's netdext_set_property, Copy/Set/Remove/SearchProperty up
// the provider chain, CopyName, StringFromReturn, CopyProviderProperties, the matching helpers,
// and an override calling the base through SUPERDISPATCH.

#include <gtest/gtest.h>

#include <DriverKit/IOService.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>

#include <string>

// A driver-style subclass whose CopyProperties adds a key after the base's.
class PropertyTestService : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(PropertyTestService, IOService)

protected:
    kern_return_t CopyProperties_Impl(OSDictionary **properties) override {
        kern_return_t ret = CopyProperties(properties, SUPERDISPATCH);
        if (ret == kIOReturnSuccess)
            (*properties)->setObject("Extra", kOSBooleanTrue);
        return ret;
    }
};
extern OSMetaClass *gPropertyTestServiceMetaClass;
NETDEXT_DEFINE_CLASS(PropertyTestService, IOService, nullptr, 0)
kern_return_t PropertyTestService::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return IOService::_Dispatch(self, rpc);
}

namespace {

class IOServiceProperties : public ::testing::Test {
protected:
    void SetUp() override { m_live = netdext::runtime_stats().live_objects.load(); }
    void TearDown() override {
        EXPECT_EQ(netdext::runtime_stats().live_objects.load(), m_live) << "leaked OSObjects";
    }

    // A started service (+1) whose provider is `provider` (may be NULL).
    template <class T = IOService> static T *make_service(IOService *provider) {
        T *service = static_cast<T *>(
            OSMetaClassBase::safeMetaCast(T::sGetMetaClass()->alloc(), T::sGetMetaClass()));
        EXPECT_NE(service, nullptr);
        EXPECT_TRUE(service->init());
        EXPECT_EQ(service->Start(provider), kIOReturnSuccess);
        return service;
    }

    static void set_string(IOService *service, const char *key, const char *value) {
        OSString *string = OSString::withCString(value);
        EXPECT_TRUE(service->netdext_set_property(key, string));
        string->release();
    }

    static std::string string_of(OSObject *object) {
        OSString *string = OSDynamicCast(OSString, object);
        return string != nullptr ? string->getCStringNoCopy() : "<not a string>";
    }

    static std::string search(IOService *service, const char *key, uint64_t options,
                              const char *plane = kIOServicePlane) {
        OSContainer *found = nullptr;
        kern_return_t ret = service->SearchProperty(key, plane, options, &found);
        if (ret != kIOReturnSuccess) {
            EXPECT_EQ(ret, kIOReturnNotFound);
            EXPECT_EQ(found, nullptr);
            return "<none>";
        }
        std::string out = string_of(found);
        found->release(); // +1: the leak check and ASan catch a wrong count
        return out;
    }

private:
    uint64_t m_live = 0;
};

} // namespace

TEST_F(IOServiceProperties, SystemSetPropertiesAreCopiedOut) {
    IOService *service = make_service(nullptr);
    OSArray *list = OSArray::withCapacity(1);
    OSString *item = OSString::withCString("item");
    list->setObject(item);
    EXPECT_TRUE(service->netdext_set_property("List", list));
    set_string(service, kIOUserClassKey, "MyDriver");

    OSDictionary *props = nullptr;
    ASSERT_EQ(service->CopyProperties(&props), kIOReturnSuccess);
    ASSERT_NE(props, nullptr);
    EXPECT_EQ(props->getRetainCount(), 1);
    EXPECT_EQ(props->getCount(), 2u);
    EXPECT_EQ(string_of(props->getObject(kIOUserClassKey)), "MyDriver");
    OSArray *copied = OSDynamicCast(OSArray, props->getObject("List"));
    ASSERT_NE(copied, nullptr);
    EXPECT_NE(copied, list); // collections are copies, as across DriverKit's boundary
    EXPECT_EQ(copied->getObject(0), item); // immutable leaves are shared
    copied->flushCollection();             // changing the copy leaves the service alone
    props->release();
    ASSERT_EQ(service->CopyProperties(&props), kIOReturnSuccess);
    EXPECT_EQ(OSRequiredCast(OSArray, props->getObject("List"))->getCount(), 1u);
    props->release();

    EXPECT_EQ(service->CopyProperties(nullptr), kIOReturnBadArgument);
    service->release();
    list->release();
    item->release();
}

TEST_F(IOServiceProperties, SetPropertyHookChecksItsArguments) {
    IOService *service = make_service(nullptr);
    OSNumber *n = OSNumber::withNumber(1, 8);
    EXPECT_FALSE(service->netdext_set_property(nullptr, n));
    EXPECT_FALSE(service->netdext_set_property("Self", service)); // not a container
    EXPECT_TRUE(service->netdext_set_property("N", n));
    EXPECT_EQ(n->getRetainCount(), 2);
    EXPECT_TRUE(service->netdext_set_property("N", nullptr)); // removes
    EXPECT_EQ(n->getRetainCount(), 1);
    EXPECT_EQ(search(service, "N", 0), "<none>");
    IOService *uninitialised = OSTypeAlloc(IOService);
    EXPECT_FALSE(uninitialised->netdext_set_property("N", n));
    uninitialised->release();
    service->release();
    n->release();
}

TEST_F(IOServiceProperties, SetPropertiesMergesIntoUserServiceProperties) {
    IOService *service = make_service(nullptr);
    OSDictionary *mine = OSDictionary::withCapacity(2);
    OSNumber *speed = OSNumber::withNumber(1000, 32);
    mine->setObject("Speed", speed);
    ASSERT_EQ(service->SetProperties(mine), kIOReturnSuccess);
    mine->setObject("Later", speed); // the service took a copy
    OSDictionary *more = OSDictionary::withCapacity(1);
    more->setObject("Duplex", kOSBooleanTrue);
    ASSERT_EQ(service->SetProperties(more), kIOReturnSuccess);

    OSDictionary *props = nullptr;
    ASSERT_EQ(service->CopyProperties(&props), kIOReturnSuccess);
    EXPECT_EQ(props->getObject("Speed"), nullptr); // not at the top level (xnu)
    OSDictionary *user = OSDynamicCast(OSDictionary, props->getObject(kIOUserServicePropertiesKey));
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(user->getCount(), 2u);
    EXPECT_TRUE(user->getObject("Speed")->isEqualTo(speed));
    EXPECT_EQ(user->getObject("Duplex"), kOSBooleanTrue);
    EXPECT_EQ(user->getObject("Later"), nullptr);
    props->release();

    OSString *duplex = OSString::withCString("Duplex");
    EXPECT_EQ(service->RemoveProperty(duplex), kIOReturnSuccess);
    EXPECT_EQ(service->RemoveProperty(nullptr), kIOReturnBadArgument);
    ASSERT_EQ(service->CopyProperties(&props), kIOReturnSuccess);
    user = OSDynamicCast(OSDictionary, props->getObject(kIOUserServicePropertiesKey));
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(user->getObject("Duplex"), nullptr);
    EXPECT_EQ(user->getCount(), 1u);
    props->release();

    EXPECT_EQ(service->SetProperties(nullptr), kIOReturnBadArgument);
    IOService *fresh = make_service(nullptr);
    EXPECT_EQ(fresh->RemoveProperty(duplex), kIOReturnNotFound);
    for (OSObject *o : std::initializer_list<OSObject *>{service, fresh, mine, more, speed, duplex})
        o->release();
}

TEST_F(IOServiceProperties, SearchPropertyWalksTheProviders) {
    IOService *root = make_service(nullptr);
    IOService *bus = make_service(root);
    IOService *driver = make_service(bus);
    set_string(root, "Vendor", "root-vendor");
    set_string(root, "Only", "root-only");
    set_string(bus, "Vendor", "bus-vendor");
    set_string(driver, "Mine", "driver");
    EXPECT_EQ(driver->GetProvider(), bus);

    EXPECT_EQ(search(driver, "Mine", 0), "driver");
    EXPECT_EQ(search(driver, "Vendor", 0), "<none>");
    EXPECT_EQ(search(driver, "Vendor", kIOServiceSearchPropertyParents), "bus-vendor");
    EXPECT_EQ(search(driver, "Only", kIOServiceSearchPropertyParents), "root-only");
    EXPECT_EQ(search(driver, "Missing", kIOServiceSearchPropertyParents), "<none>");
    // Only the IOService plane links a service to its provider.
    EXPECT_EQ(search(driver, "Only", kIOServiceSearchPropertyParents, kIODeviceTreePlane),
              "<none>");
    EXPECT_EQ(search(bus, "Mine", kIOServiceSearchPropertyParents), "<none>"); // not children

    OSContainer *found = nullptr;
    EXPECT_EQ(driver->SearchProperty(nullptr, kIOServicePlane, 0, &found), kIOReturnBadArgument);
    EXPECT_EQ(driver->SearchProperty("Mine", kIOServicePlane, 0, nullptr), kIOReturnBadArgument);
    for (OSObject *o : std::initializer_list<OSObject *>{driver, bus, root})
        o->release();
}

TEST_F(IOServiceProperties, CopyNameIsTheClassOrSetName) {
    IOService *service = make_service(nullptr);
    OSString *name = nullptr;
    ASSERT_EQ(service->CopyName(&name), kIOReturnSuccess);
    EXPECT_TRUE(name->isEqualTo("IOService"));
    name->release();
    ASSERT_EQ(service->SetName("en7"), kIOReturnSuccess);
    ASSERT_EQ(service->CopyName(&name), kIOReturnSuccess);
    EXPECT_TRUE(name->isEqualTo("en7"));
    EXPECT_EQ(name->getRetainCount(), 1);
    name->release();
    EXPECT_EQ(service->CopyName(nullptr), kIOReturnBadArgument);
    service->release();
}

TEST_F(IOServiceProperties, StringFromReturnUsesXnusTexts) {
    IOService *service = make_service(nullptr);
    const std::pair<IOReturn, const char *> cases[] = {
        {kIOReturnSuccess, "success"},
        {kIOReturnError, "general error"},
        {kIOReturnNoMemory, "memory allocation error"},
        {kIOReturnBadArgument, "invalid argument"},
        {kIOReturnUnsupported, "unsupported function"},
        {kIOReturnNotWritable, "device not writeable"},
        {kIOReturnTimeout, "I/O timeout"},
        {kIOReturnNotFound, "data was not found"},
        {kIOReturnInvalid, "unanticipated driver error"},
        {static_cast<IOReturn>(0xe0001234), "0xe0001234 (UNDEFINED)"},
    };
    for (const auto &[code, text] : cases) {
        OSString *str = nullptr;
        ASSERT_EQ(service->StringFromReturn(code, &str), kIOReturnSuccess);
        EXPECT_STREQ(str->getCStringNoCopy(), text);
        str->release();
    }
    EXPECT_EQ(service->StringFromReturn(kIOReturnError, nullptr), kIOReturnBadArgument);
    service->release();
}

TEST_F(IOServiceProperties, CopyProviderPropertiesOnePerServiceUpTheChain) {
    IOService *root = make_service(nullptr);
    IOService *driver = make_service(root);
    set_string(root, "Vendor", "acme");
    set_string(root, "Model", "x1");
    set_string(driver, kIOClassKey, "IOUserService"); // from the personality
    set_string(driver, "Vendor", "mine");

    OSArray *keys = OSArray::withCapacity(2);
    OSString *vendor = OSString::withCString("Vendor");
    keys->setObject(vendor);
    OSArray *props = nullptr;
    ASSERT_EQ(driver->CopyProviderProperties(keys, &props), kIOReturnSuccess);
    ASSERT_EQ(props->getCount(), 2u);
    OSDictionary *first = OSRequiredCast(OSDictionary, props->getObject(0));
    OSDictionary *second = OSRequiredCast(OSDictionary, props->getObject(1));
    EXPECT_EQ(first->getCount(), 1u);
    EXPECT_EQ(string_of(first->getObject("Vendor")), "mine");
    EXPECT_EQ(string_of(second->getObject("Vendor")), "acme");
    EXPECT_EQ(second->getObject("Model"), nullptr);
    props->release();

    OSString *class_key = OSString::withCString(kIOClassKey);
    keys->setObject(class_key);
    ASSERT_EQ(driver->CopyProviderProperties(keys, &props), kIOReturnSuccess);
    first = OSRequiredCast(OSDictionary, props->getObject(0));
    second = OSRequiredCast(OSDictionary, props->getObject(1));
    EXPECT_EQ(string_of(first->getObject(kIOClassKey)), "IOUserService");
    EXPECT_EQ(string_of(second->getObject(kIOClassKey)), "IOService"); // its class name
    props->release();

    ASSERT_EQ(driver->CopyProviderProperties(nullptr, &props), kIOReturnSuccess);
    second = OSRequiredCast(OSDictionary, props->getObject(1));
    EXPECT_EQ(second->getCount(), 3u); // Vendor, Model, IOClass
    EXPECT_EQ(string_of(second->getObject("Model")), "x1");
    props->release();

    EXPECT_EQ(driver->CopyProviderProperties(keys, nullptr), kIOReturnBadArgument);
    for (OSObject *o : std::initializer_list<OSObject *>{driver, root, keys, vendor, class_key})
        o->release();
}

TEST_F(IOServiceProperties, MatchingDictionaryHelpers) {
    OSDictionary *m = IOService::CreatePropertyMatchingDictionary("Vendor", "acme", nullptr);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->getRetainCount(), 1);
    OSDictionary *inner = OSDynamicCast(OSDictionary, m->getObject(kIOPropertyMatchKey));
    ASSERT_NE(inner, nullptr);
    EXPECT_EQ(inner->getCount(), 1u);
    EXPECT_EQ(string_of(inner->getObject("Vendor")), "acme");
    // Adding to an existing dictionary returns it, with no extra reference.
    OSNumber *id = OSNumber::withNumber(0x10ec, 32);
    EXPECT_EQ(IOService::CreatePropertyMatchingDictionary("VendorID", id, m), m);
    EXPECT_EQ(m->getRetainCount(), 1);
    inner = OSDynamicCast(OSDictionary, m->getObject(kIOPropertyMatchKey));
    EXPECT_TRUE(inner->getObject("VendorID")->isEqualTo(id)); // replaces the property match
    EXPECT_EQ(IOService::CreatePropertyMatchingDictionary(nullptr, id, nullptr), nullptr);
    EXPECT_EQ(IOService::CreatePropertyMatchingDictionary("k", static_cast<OSObject *>(nullptr),
                                                          nullptr),
              nullptr);

    EXPECT_EQ(IOService::CreateKernelClassMatchingDictionary("IOPCIDevice", m), m);
    EXPECT_EQ(string_of(m->getObject(kIOProviderClassKey)), "IOPCIDevice");
    m->release();

    OSString *cls = OSString::withCString("MyNic");
    OSDictionary *user = IOService::CreateUserClassMatchingDictionary(cls, nullptr);
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(user->getObject(kIOUserClassKey), cls);
    EXPECT_EQ(user->getCount(), 1u);
    user->release();
    user = IOService::CreateUserClassMatchingDictionary("MyNic", nullptr);
    EXPECT_EQ(string_of(user->getObject("IOUserClass")), "MyNic");
    user->release();

    OSDictionary *kernel = IOService::CreateKernelClassMatchingDictionary(cls, nullptr);
    EXPECT_EQ(kernel->getObject("IOProviderClass"), cls);
    kernel->release();

    OSDictionary *name = IOService::CreateNameMatchingDictionary("ethernet", nullptr);
    EXPECT_EQ(string_of(name->getObject("IONameMatch")), "ethernet");
    OSString *other = OSString::withCString("wlan");
    EXPECT_EQ(IOService::CreateNameMatchingDictionary(other, name), name);
    EXPECT_EQ(name->getObject(kIONameMatchKey), other);
    name->release();

    EXPECT_EQ(IOService::CreateNameMatchingDictionary(static_cast<const char *>(nullptr), nullptr),
              nullptr);
    EXPECT_EQ(IOService::CreateUserClassMatchingDictionary(static_cast<OSString *>(nullptr),
                                                           nullptr),
              nullptr);
    for (OSObject *o : std::initializer_list<OSObject *>{id, cls, other})
        o->release();
}

TEST_F(IOServiceProperties, OverrideReachesTheBaseThroughSuperdispatch) {
    uint64_t unhandled = netdext::runtime_stats().unhandled_messages.load();
    PropertyTestService *service = make_service<PropertyTestService>(nullptr);
    set_string(service, "Base", "yes");
    OSDictionary *props = nullptr;
    ASSERT_EQ(service->CopyProperties(&props), kIOReturnSuccess);
    EXPECT_EQ(string_of(props->getObject("Base")), "yes");
    EXPECT_EQ(props->getObject("Extra"), kOSBooleanTrue);
    props->release();
    EXPECT_EQ(netdext::runtime_stats().unhandled_messages.load(), unhandled);
    service->release();
}

TEST_F(IOServiceProperties, MethodIDsFollowTheNamingRule) {
    EXPECT_EQ(IOService_CopyProperties_ID, netdext::method_id("CopyProperties"));
    EXPECT_EQ(IOService_SearchProperty_ID, netdext::method_id("SearchProperty"));
    EXPECT_NE(IOService_SetProperties_ID, IOService_CopyProperties_ID);
    EXPECT_EQ(kIOServiceSearchPropertyParents, 1);
}

// IOService::Create instantiates the class a property dictionary names, with the rest of the
// dictionary as its properties, started with the given provider; each way it can fail.
TEST_F(IOServiceProperties, CreateInstantiatesTheDescribedService) {
    IOService *parent = make_service(nullptr);
    OSDictionary *description = OSDictionary::withCapacity(2);
    OSString *class_name = OSString::withCString("PropertyTestService");
    OSString *color = OSString::withCString("blue");
    description->setObject(kIOUserClassKey, class_name);
    description->setObject("Color", color);
    ASSERT_TRUE(parent->netdext_set_property("ChildProperties", description));

    IOService *child = nullptr;
    ASSERT_EQ(parent->Create(parent, "ChildProperties", &child), kIOReturnSuccess);
    ASSERT_NE(child, nullptr);
    EXPECT_STREQ(child->GetClassName(), "PropertyTestService");
    EXPECT_EQ(child->GetProvider(), parent);
    EXPECT_TRUE(child->netdext_started());
    OSContainer *found = nullptr;
    ASSERT_EQ(child->SearchProperty("Color", kIOServicePlane, 0, &found), kIOReturnSuccess);
    EXPECT_EQ(string_of(found), "blue");
    OSSafeReleaseNULL(found);
    child->Stop(parent);
    OSSafeReleaseNULL(child);

    EXPECT_EQ(parent->Create(parent, "Missing", &child), kIOReturnNotFound);
    EXPECT_EQ(child, nullptr);
    set_string(parent, "NotADictionary", "x");
    EXPECT_EQ(parent->Create(parent, "NotADictionary", &child), kIOReturnNotFound);
    description->removeObject(kIOUserClassKey);
    parent->netdext_set_property("NoClass", description);
    EXPECT_EQ(parent->Create(parent, "NoClass", &child), kIOReturnBadArgument);
    OSString *unknown = OSString::withCString("NoSuchClass");
    description->setObject(kIOUserClassKey, unknown);
    parent->netdext_set_property("UnknownClass", description);
    EXPECT_EQ(parent->Create(parent, "UnknownClass", &child), kIOReturnUnsupported);
    OSString *not_a_service = OSString::withCString("OSString");
    description->setObject(kIOUserClassKey, not_a_service);
    parent->netdext_set_property("NotAService", description);
    EXPECT_EQ(parent->Create(parent, "NotAService", &child), kIOReturnUnsupported);
    EXPECT_EQ(parent->Create(nullptr, "ChildProperties", &child), kIOReturnBadArgument);
    EXPECT_EQ(child, nullptr);

    OSSafeReleaseNULL(not_a_service);
    OSSafeReleaseNULL(unknown);
    OSSafeReleaseNULL(color);
    OSSafeReleaseNULL(class_name);
    OSSafeReleaseNULL(description);
    parent->Stop(nullptr);
    OSSafeReleaseNULL(parent);
    ASSERT_TRUE(netdext::wait_until_idle());
}

TEST_F(IOServiceProperties, BusyCountAndThePowerCallsWithoutABus) {
    IOService *service = make_service(nullptr);
    uint32_t busy = 99;
    ASSERT_EQ(service->GetBusyState(&busy), kIOReturnSuccess);
    EXPECT_EQ(busy, 0u);
    EXPECT_EQ(service->AdjustBusy(2), kIOReturnSuccess);
    EXPECT_EQ(service->AdjustBusy(-1), kIOReturnSuccess);
    ASSERT_EQ(service->GetBusyState(&busy), kIOReturnSuccess);
    EXPECT_EQ(busy, 1u);
    EXPECT_EQ(service->AdjustBusy(-2), kIOReturnBadArgument) << "below zero";
    ASSERT_EQ(service->GetBusyState(&busy), kIOReturnSuccess);
    EXPECT_EQ(busy, 1u);
    EXPECT_EQ(service->GetBusyState(nullptr), kIOReturnBadArgument);
    EXPECT_EQ(service->JoinPMTree(), kIOReturnSuccess);
    EXPECT_EQ(service->SetPowerOverride(true), kIOReturnSuccess);
    EXPECT_EQ(service->RequireMaxBusStall(1000), kIOReturnSuccess);
    EXPECT_EQ(service->ClientCrashed(service, 0), kIOReturnSuccess);
    IOUserClient *client = reinterpret_cast<IOUserClient *>(1);
    EXPECT_EQ(service->NewUserClient(0, &client), kIOReturnUnsupported);
    EXPECT_EQ(client, nullptr);
    service->Stop(nullptr);
    OSSafeReleaseNULL(service);
}
