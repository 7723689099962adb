// IOService's registry entry: properties, property search up the provider chain, the
// matching-dictionary helpers and StringFromReturn. The dispatchable entry points and their
// _Dispatch cases are in service.cpp with the others.

#include <DriverKit/IOService.h>

#include <cstdio>
#include <cstring>
#include <mutex>

#include "collections/collections_internal.h"
#include "service_state.h"

// ---- properties ------------------------------------------------------------------------------
// DriverKit: the registry entry lives in the kernel and every read is a serialised copy; here it
// is the service's dictionary and reads are netdext::deep_copy()s of it.

namespace {

// A provider chain longer than this is taken to be a loop.
constexpr int kMaxProviderDepth = 64;

// xnu IOService::stringFromReturn (iokit/Kernel/IOService.cpp), in the same order.
struct ReturnName {
    IOReturn code;
    const char *text;
};
constexpr ReturnName kReturnNames[] = {
    {kIOReturnSuccess, "success"},
    {kIOReturnError, "general error"},
    {kIOReturnNoMemory, "memory allocation error"},
    {kIOReturnNoResources, "resource shortage"},
    {kIOReturnIPCError, "Mach IPC failure"},
    {kIOReturnNoDevice, "no such device"},
    {kIOReturnNotPrivileged, "privilege violation"},
    {kIOReturnBadArgument, "invalid argument"},
    {kIOReturnLockedRead, "device is read locked"},
    {kIOReturnLockedWrite, "device is write locked"},
    {kIOReturnExclusiveAccess, "device is exclusive access"},
    {kIOReturnBadMessageID, "bad IPC message ID"},
    {kIOReturnUnsupported, "unsupported function"},
    {kIOReturnVMError, "virtual memory error"},
    {kIOReturnInternalError, "internal driver error"},
    {kIOReturnIOError, "I/O error"},
    {kIOReturnCannotLock, "cannot acquire lock"},
    {kIOReturnNotOpen, "device not open"},
    {kIOReturnNotReadable, "device not readable"},
    {kIOReturnNotWritable, "device not writeable"},
    {kIOReturnNotAligned, "alignment error"},
    {kIOReturnBadMedia, "media error"},
    {kIOReturnStillOpen, "device(s) still open"},
    {kIOReturnRLDError, "rld failure"},
    {kIOReturnDMAError, "DMA failure"},
    {kIOReturnBusy, "device busy"},
    {kIOReturnTimeout, "I/O timeout"},
    {kIOReturnOffline, "device offline"},
    {kIOReturnNotReady, "not ready"},
    {kIOReturnNotAttached, "device not attached"},
    {kIOReturnNoChannels, "no DMA channels available"},
    {kIOReturnNoSpace, "no space for data"},
    {kIOReturnPortExists, "port already exists"},
    {kIOReturnCannotWire, "cannot wire physical memory"},
    {kIOReturnNoInterrupt, "no interrupt attached"},
    {kIOReturnNoFrames, "no DMA frames enqueued"},
    {kIOReturnMessageTooLarge, "message too large"},
    {kIOReturnNotPermitted, "not permitted"},
    {kIOReturnNoPower, "no power to device"},
    {kIOReturnNoMedia, "media not present"},
    {kIOReturnUnformattedMedia, "media not formatted"},
    {kIOReturnUnsupportedMode, "unsupported mode"},
    {kIOReturnUnderrun, "data underrun"},
    {kIOReturnOverrun, "data overrun"},
    {kIOReturnDeviceError, "device error"},
    {kIOReturnNoCompletion, "no completion routine"},
    {kIOReturnAborted, "operation aborted"},
    {kIOReturnNoBandwidth, "bus bandwidth would be exceeded"},
    {kIOReturnNotResponding, "device not responding"},
    {kIOReturnIsoTooOld, "isochronous I/O request for distant past"},
    {kIOReturnIsoTooNew, "isochronous I/O request for distant future"},
    {kIOReturnNotFound, "data was not found"},
    {kIOReturnInvalid, "unanticipated driver error"},
};

// { key: value } stored under kIOPropertyMatchKey of `matching` (new, +1, when NULL).
OSDictionary *property_matching(const char *key, OSObject *value, OSDictionary *matching) {
    if (key == nullptr || value == nullptr)
        return nullptr;
    OSDictionary *property = OSDictionary::withCapacity(1);
    if (property == nullptr || !property->setObject(key, value)) {
        OSSafeReleaseNULL(property);
        return nullptr;
    }
    OSDictionary *table = matching != nullptr ? matching : OSDictionary::withCapacity(2);
    if (table != nullptr)
        table->setObject(kIOPropertyMatchKey, property);
    property->release();
    return table;
}

// `key`: `value` added to `matching` (new, +1, when NULL).
OSDictionary *single_key_matching(const char *key, OSString *value, OSDictionary *matching) {
    if (value == nullptr)
        return nullptr;
    OSDictionary *table = matching != nullptr ? matching : OSDictionary::withCapacity(2);
    if (table != nullptr)
        table->setObject(key, value);
    return table;
}

OSDictionary *single_key_matching(const char *key, const char *value, OSDictionary *matching) {
    OSString *string = OSString::withCString(value);
    OSDictionary *table = single_key_matching(key, string, matching);
    OSSafeReleaseNULL(string);
    return table;
}

// The property table to change (+0), created on first use; nullptr without memory. Call with
// the service's mutex held.
OSDictionary *writable_properties(IOService_IVars *ivars) {
    if (ivars->properties == nullptr)
        ivars->properties = OSDictionary::withCapacity(8);
    return ivars->properties;
}

// A copy (+1) of the whole table (empty when there is none yet). Call with the mutex held.
OSDictionary *copy_properties(const IOService_IVars *ivars) {
    if (ivars->properties == nullptr)
        return OSDictionary::withCapacity(0);
    return OSDynamicCast(OSDictionary, netdext::deep_copy(ivars->properties));
}

} // namespace

bool IOService::netdext_set_property(const char *key, OSObject *value) {
    if (key == nullptr || ivars == nullptr)
        return false;
    if (value != nullptr && OSDynamicCast(OSContainer, value) == nullptr)
        return false;
    std::lock_guard lock(ivars->mutex);
    if (value == nullptr) {
        if (ivars->properties != nullptr)
            ivars->properties->removeObject(key);
        return true;
    }
    OSDictionary *properties = writable_properties(ivars);
    return properties != nullptr && properties->setObject(key, value);
}

OSObject *IOService::netdext_copy_property(const char *key) const {
    std::lock_guard lock(ivars->mutex);
    if (ivars->properties == nullptr)
        return nullptr;
    return netdext::deep_copy(ivars->properties->getObject(key));
}

kern_return_t IOService::CopyProperties_Impl(OSDictionary **properties) {
    if (properties == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *properties = copy_properties(ivars);
    return *properties != nullptr ? kIOReturnSuccess : kIOReturnNoMemory;
}

// xnu IOService::SetProperties_Impl: a dext's properties go into kIOUserServicePropertiesKey.
kern_return_t IOService::SetProperties_Impl(OSDictionary *properties) {
    if (OSDynamicCast(OSDictionary, properties) == nullptr)
        return kIOReturnBadArgument;
    OSObject *incoming = netdext::deep_copy(properties); // later changes by the caller stay out
    if (incoming == nullptr)
        return kIOReturnNoMemory;
    std::lock_guard lock(ivars->mutex);
    OSDictionary *table = writable_properties(ivars);
    if (table == nullptr) {
        incoming->release();
        return kIOReturnNoMemory;
    }
    OSDictionary *current =
        OSDynamicCast(OSDictionary, table->getObject(kIOUserServicePropertiesKey));
    // Copy on write: the current dictionary may be one the system handed to
    // netdext_set_property.
    OSDictionary *merged = current != nullptr ? OSDictionary::withDictionary(current)
                                              : OSDictionary::withCapacity(4);
    kern_return_t kr = kIOReturnNoMemory;
    if (merged != nullptr) {
        bool ok = merged->merge(static_cast<OSDictionary *>(incoming)) &&
                  table->setObject(kIOUserServicePropertiesKey, merged);
        kr = ok ? kIOReturnSuccess : kIOReturnNotWritable;
    }
    OSSafeReleaseNULL(merged);
    incoming->release();
    return kr;
}

kern_return_t IOService::SearchProperty_Impl(const char *name, const char *plane,
                                             uint64_t options, OSContainer **property) {
    if (name == nullptr || property == nullptr)
        return kIOReturnBadArgument;
    *property = nullptr;
    // xnu: parents are searched only in a plane that exists; netdext has the IOService plane.
    const bool parents = (options & kIOServiceSearchPropertyParents) != 0 && plane != nullptr &&
                         std::strcmp(plane, kIOServicePlane) == 0;
    const IOService *service = this;
    for (int depth = 0; service != nullptr && depth < kMaxProviderDepth; ++depth) {
        if (OSObject *found = service->netdext_copy_property(name)) {
            *property = static_cast<OSContainer *>(found); // only containers are stored
            return kIOReturnSuccess;
        }
        service = parents ? service->GetProvider() : nullptr;
    }
    return kIOReturnNotFound;
}

kern_return_t IOService::RemoveProperty_Impl(OSString *propertyName) {
    if (propertyName == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    OSDictionary *current =
        ivars->properties == nullptr
            ? nullptr
            : OSDynamicCast(OSDictionary,
                            ivars->properties->getObject(kIOUserServicePropertiesKey));
    if (current == nullptr)
        return kIOReturnNotFound;
    OSDictionary *updated = OSDictionary::withDictionary(current);
    if (updated == nullptr)
        return kIOReturnNoMemory;
    updated->removeObject(propertyName);
    bool ok = ivars->properties->setObject(kIOUserServicePropertiesKey, updated);
    updated->release();
    return ok ? kIOReturnSuccess : kIOReturnNoMemory;
}

kern_return_t IOService::CopyName_Impl(OSString **name) {
    if (name == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *name = OSString::withCString(ivars->name.empty() ? GetClassName() : ivars->name.c_str());
    return *name != nullptr ? kIOReturnSuccess : kIOReturnNoMemory;
}

kern_return_t IOService::StringFromReturn_Impl(IOReturn retval, OSString **str) {
    if (str == nullptr)
        return kIOReturnBadArgument;
    char undefined[32];
    const char *text = nullptr;
    for (const ReturnName &entry : kReturnNames) {
        if (entry.code == retval) {
            text = entry.text;
            break;
        }
    }
    if (text == nullptr) { // xnu IOFindNameForValue's fallback
        snprintf(undefined, sizeof(undefined), "0x%x (UNDEFINED)", static_cast<unsigned>(retval));
        text = undefined;
    }
    *str = OSString::withCString(text);
    return *str != nullptr ? kIOReturnSuccess : kIOReturnError;
}

kern_return_t IOService::CopyProviderProperties_Impl(OSArray *propertyKeys,
                                                     OSArray **properties) {
    if (properties == nullptr)
        return kIOReturnBadArgument;
    *properties = nullptr;
    OSArray *result = OSArray::withCapacity(4);
    if (result == nullptr)
        return kIOReturnNoMemory;
    kern_return_t kr = kIOReturnSuccess;
    const IOService *service = this;
    for (int depth = 0; service != nullptr && depth < kMaxProviderDepth; ++depth) {
        OSDictionary *all = nullptr;
        {
            std::lock_guard lock(service->ivars->mutex);
            all = copy_properties(service->ivars);
        }
        OSDictionary *props = all;
        bool add_class = true;
        if (all != nullptr && propertyKeys != nullptr) {
            add_class = false;
            props = OSDictionary::withCapacity(propertyKeys->getCount());
            propertyKeys->iterateObjects([&](OSObject *member) {
                const OSString *key = OSDynamicCast(OSString, member);
                if (key != nullptr && key->isEqualTo(kIOClassKey))
                    add_class = true;
                else if (OSObject *value = key != nullptr ? all->getObject(key) : nullptr;
                         value != nullptr && props != nullptr)
                    props->setObject(key, value);
                return false;
            });
        }
        if (props != nullptr && add_class) {
            // The personality's IOClass when there is one (the kernel class); else the class.
            OSObject *own = all->getObject(kIOClassKey);
            OSString *class_name = own != nullptr ? nullptr
                                                  : OSString::withCString(service->GetClassName());
            if (!props->setObject(kIOClassKey, own != nullptr ? own : class_name))
                kr = kIOReturnNoMemory;
            OSSafeReleaseNULL(class_name);
        }
        if (props == nullptr || !result->setObject(props))
            kr = kIOReturnNoMemory;
        if (props != all)
            OSSafeReleaseNULL(props);
        OSSafeReleaseNULL(all);
        if (kr != kIOReturnSuccess)
            break;
        service = service->GetProvider();
    }
    if (kr != kIOReturnSuccess) {
        OSSafeReleaseNULL(result);
        return kr;
    }
    *properties = result;
    return kIOReturnSuccess;
}

// ---- matching dictionaries (LOCALONLY; xnu IOUserServer.cpp) -----------------------------------

OSDictionary *IOService::CreatePropertyMatchingDictionary(const char *key, OSObjectPtr value,
                                                          OSDictionary *matching) {
    return property_matching(key, value, matching);
}

OSDictionary *IOService::CreatePropertyMatchingDictionary(const char *key,
                                                          const char *stringValue,
                                                          OSDictionary *matching) {
    OSString *value = OSString::withCString(stringValue);
    OSDictionary *table = property_matching(key, value, matching);
    OSSafeReleaseNULL(value);
    return table;
}

OSDictionary *IOService::CreateKernelClassMatchingDictionary(OSString *className,
                                                             OSDictionary *matching) {
    return single_key_matching(kIOProviderClassKey, className, matching);
}

OSDictionary *IOService::CreateKernelClassMatchingDictionary(const char *className,
                                                             OSDictionary *matching) {
    return single_key_matching(kIOProviderClassKey, className, matching);
}

OSDictionary *IOService::CreateUserClassMatchingDictionary(OSString *className,
                                                           OSDictionary *matching) {
    return single_key_matching(kIOUserClassKey, className, matching);
}

OSDictionary *IOService::CreateUserClassMatchingDictionary(const char *className,
                                                           OSDictionary *matching) {
    return single_key_matching(kIOUserClassKey, className, matching);
}

OSDictionary *IOService::CreateNameMatchingDictionary(OSString *serviceName,
                                                      OSDictionary *matching) {
    return single_key_matching(kIONameMatchKey, serviceName, matching);
}

OSDictionary *IOService::CreateNameMatchingDictionary(const char *serviceName,
                                                      OSDictionary *matching) {
    return single_key_matching(kIONameMatchKey, serviceName, matching);
}
