// Compile test and smoke test: a driver that uses the containers and IOService's property API
// the way DriverKit drivers do (OSDynamicCast on getObject, OSSafeReleaseNULL, iterateObjects
// with a block under -fblocks, CopyProperties / SearchProperty / SetProperties, matching
// dictionaries). This target builds with -Wall -Wextra -Werror under GCC and Clang; the pragma
// also turns unused parameters back into errors for this file, headers included.
//
// The first part is written by hand in the shape netdext-iig generates; the second is the
// driver's .cpp; the test plays the system, filling the personality and the provider's
// properties before Start.
#pragma GCC diagnostic error "-Wunused-parameter"

#include <DriverKit/IOKitKeys.h>
#include <DriverKit/IOLib.h>
#include <DriverKit/IOService.h>
#include <DriverKit/OSCollections.h>
#include <netdext/iig_support.h>
#include <os/log.h>

#include <string.h>

// ---- "PropNic.h", as generated from:
//   class PropNic : public IOService {
//   public:
//       virtual bool init() override;
//       virtual void free() override;
//       virtual kern_return_t Start(IOService *provider) override;
//   };
#define PropNic_Start_Args IOService *provider

struct PropNic_IVars;
class PropNic : public IOService {
public:
    union {
        PropNic_IVars *ivars = nullptr;
        struct PropNic_LocalIVars *lvars;
    };
    NETDEXT_CLASS_MEMBERS(PropNic, IOService)
    bool init() override;
    void free() override;

protected:
    kern_return_t Start_Impl(PropNic_Start_Args) override;
};
extern OSMetaClass *gPropNicMetaClass;

NETDEXT_DEFINE_CLASS(PropNic, IOService, nullptr, 0)
kern_return_t PropNic::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    PropNic *self = static_cast<PropNic *>(object);
    switch (rpc.message->msgid) {
    case IOService_Start_ID:
        if (netdext::dispatch_to(
                rpc, [self](IOService *provider) { return self->PropNic::Start_Impl(provider); }))
            return kIOReturnSuccess;
        break;
    }
    return IOService::_Dispatch(object, rpc);
}

// ---- "PropNic.cpp", the driver -------------------------------------------------------------

struct PropNic_IVars {
    uint32_t mtu;
    bool promiscuous;
    uint32_t addressCount;
    uint32_t addressBytes;
    uint32_t vendorID;
    OSString *model;
};

bool PropNic::init() {
    if (!super::init())
        return false;
    ivars = IONewZero(PropNic_IVars, 1);
    return ivars != NULL;
}

void PropNic::free() {
    if (ivars != NULL)
        OSSafeReleaseNULL(ivars->model);
    IOSafeDeleteNULL(ivars, PropNic_IVars, 1);
    super::free();
}

kern_return_t IMPL(PropNic, Start) {
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess)
        return ret;

    // The personality's settings.
    OSDictionary *properties = NULL;
    ret = CopyProperties(&properties);
    if (ret != kIOReturnSuccess)
        return ret;
    OSNumber *mtu = OSDynamicCast(OSNumber, properties->getObject("MTU"));
    if (mtu != NULL)
        ivars->mtu = mtu->unsigned32BitValue();
    ivars->promiscuous = properties->getObject("Promiscuous") == kOSBooleanTrue;
    OSArray *addresses = OSDynamicCast(OSArray, properties->getObject("Addresses"));
    if (addresses != NULL) {
#if __BLOCKS__
        __block uint32_t count = 0, bytes = 0;
        addresses->iterateObjects(^bool(OSObject *object) {
          OSData *address = OSDynamicCast(OSData, object);
          if (address == NULL)
              return false;
          count++;
          bytes += (uint32_t)address->getLength();
          return false;
        });
#else
        uint32_t count = 0, bytes = 0;
        addresses->iterateObjects([&](OSObject *object) {
            OSData *address = OSDynamicCast(OSData, object);
            if (address == NULL)
                return false;
            count++;
            bytes += (uint32_t)address->getLength();
            return false;
        });
#endif
        ivars->addressCount = count;
        ivars->addressBytes = bytes;
    }
    OSDictionary *options = OSDynamicCast(OSDictionary, properties->getObject("Options"));
    if (options != NULL) {
#if __BLOCKS__
        options->iterateObjects(^bool(const OSString *key, OSObject *value) {
          os_log(OS_LOG_DEFAULT, "option %{public}s: %{public}s", key->getCStringNoCopy(),
                 value->GetClassName());
          return false;
        });
#else
        options->iterateObjects([](const OSString *key, OSObject *value) {
            os_log(OS_LOG_DEFAULT, "option %{public}s: %{public}s", key->getCStringNoCopy(),
                   value->GetClassName());
            return false;
        });
#endif
    }
    OSSafeReleaseNULL(properties);

    // The PCI device's identity, found up the provider chain.
    OSContainer *vendor = NULL;
    ret = SearchProperty("vendor-id", kIOServicePlane, kIOServiceSearchPropertyParents, &vendor);
    if (ret == kIOReturnSuccess) {
        OSData *data = OSDynamicCast(OSData, vendor);
        if (data != NULL && data->getLength() == sizeof(uint32_t))
            memcpy(&ivars->vendorID, data->getBytesNoCopy(), sizeof(uint32_t));
    }
    OSSafeReleaseNULL(vendor);
    OSContainer *model = NULL;
    if (SearchProperty("model", kIOServicePlane, kIOServiceSearchPropertyParents, &model) ==
        kIOReturnSuccess)
        ivars->model = OSDynamicCast(OSString, model);
    if (ivars->model == NULL)
        OSSafeReleaseNULL(model);

    // What the driver publishes.
    OSDictionary *status = OSDictionary::withCapacity(2);
    if (status == NULL)
        return kIOReturnNoMemory;
    OSString *state = OSString::withCString("ready");
    status->setObject("State", state);
    OSSafeReleaseNULL(state);
    OSNumber *count = OSNumber::withNumber(ivars->addressCount, 32);
    status->setObject("AddressCount", count);
    OSSafeReleaseNULL(count);
    ret = SetProperties(status);
    OSSafeReleaseNULL(status);
    if (ret != kIOReturnSuccess) {
        OSString *why = NULL;
        if (StringFromReturn(ret, &why) == kIOReturnSuccess)
            os_log(OS_LOG_DEFAULT, "SetProperties: %{public}s", why->getCStringNoCopy());
        OSSafeReleaseNULL(why);
        return ret;
    }

    // Matching dictionary for a helper service it would wait for.
    OSDictionary *matching = CreateUserClassMatchingDictionary("PropNicHelper", NULL);
    matching = CreatePropertyMatchingDictionary("Unit", "0", matching);
    OSSafeReleaseNULL(matching);
    return kIOReturnSuccess;
}

// ---- the test: the system around the driver --------------------------------------------------

#include <gtest/gtest.h>

#include <netdext/runtime.h>

TEST(CollectionsDriverStyle, DriverReadsPersonalityAndProviderAndPublishes) {
    uint64_t live = netdext::runtime_stats().live_objects.load();
    {
        // The provider: a PCI device with its identity.
        IOService *pci = OSTypeAlloc(IOService);
        ASSERT_TRUE(pci->init());
        uint32_t vendor = 0x10ec;
        OSData *vendor_data = OSData::withBytes(&vendor, sizeof(vendor));
        OSString *model = OSString::withCString("RTL8125");
        ASSERT_TRUE(pci->netdext_set_property("vendor-id", vendor_data));
        ASSERT_TRUE(pci->netdext_set_property("model", model));
        OSSafeReleaseNULL(vendor_data);
        OSSafeReleaseNULL(model);

        // The driver, with its personality copied into its properties.
        PropNic *nic = OSDynamicCast(PropNic, OSTypeAlloc(PropNic));
        ASSERT_NE(nic, nullptr);
        ASSERT_TRUE(nic->init());
        OSNumber *mtu = OSNumber::withNumber(9000, 32);
        OSArray *addresses = OSArray::withCapacity(2);
        OSData *a1 = OSData::withBytes("\x02\x00\x00\x00\x00\x01", 6);
        OSData *a2 = OSData::withBytes("\x02\x00\x00\x00\x00\x02", 6);
        addresses->setObject(a1);
        addresses->setObject(a2);
        OSDictionary *options = OSDictionary::withCapacity(1);
        options->setObject("LRO", kOSBooleanFalse);
        nic->netdext_set_property("MTU", mtu);
        nic->netdext_set_property("Promiscuous", kOSBooleanTrue);
        nic->netdext_set_property("Addresses", addresses);
        nic->netdext_set_property("Options", options);
        for (OSObject *o : std::initializer_list<OSObject *>{mtu, addresses, a1, a2, options})
            o->release();

        ASSERT_EQ(nic->Start(pci), kIOReturnSuccess);
        EXPECT_EQ(nic->ivars->mtu, 9000u);
        EXPECT_TRUE(nic->ivars->promiscuous);
        EXPECT_EQ(nic->ivars->addressCount, 2u);
        EXPECT_EQ(nic->ivars->addressBytes, 12u);
        EXPECT_EQ(nic->ivars->vendorID, 0x10ecu);
        ASSERT_NE(nic->ivars->model, nullptr);
        EXPECT_TRUE(nic->ivars->model->isEqualTo("RTL8125"));

        OSContainer *published = nullptr;
        ASSERT_EQ(nic->SearchProperty(kIOUserServicePropertiesKey, kIOServicePlane, 0,
                                      &published),
                  kIOReturnSuccess);
        OSDictionary *status = OSDynamicCast(OSDictionary, published);
        ASSERT_NE(status, nullptr);
        OSString *state = OSDynamicCast(OSString, status->getObject("State"));
        ASSERT_NE(state, nullptr);
        EXPECT_TRUE(state->isEqualTo("ready"));
        OSSafeReleaseNULL(published);

        nic->release();
        pci->release();
    }
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live);
}
