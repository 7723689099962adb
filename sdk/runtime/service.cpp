// IOService: the lifecycle methods every driver overrides, with their dispatchable entry points
// (the property methods' bodies are in service_properties.cpp).

#include <DriverKit/IOService.h>
#include <netdext/iig_support.h>
#include <netdext/service_observer.h>
#include <netdext/system_calls.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>

#include "internal.h"
#include "service_state.h"

namespace {
std::atomic<uint64_t> g_next_registry_id{0x100000100ull};
std::atomic<netdext::ServiceObserver *> g_observer{nullptr};
} // namespace

uint64_t netdext::allocate_registry_id() { return g_next_registry_id.fetch_add(1); }
void netdext::set_registry_id_base(uint64_t first) { g_next_registry_id.store(first); }

netdext::ServiceObserver *netdext::set_service_observer(ServiceObserver *observer) {
    return g_observer.exchange(observer);
}

NETDEXT_DEFINE_CLASS(IOService, OSObject, nullptr, 0)

kern_return_t IOService::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    IOService *self = static_cast<IOService *>(object);
    switch (rpc.message->msgid) {
    case IOService_Start_ID:
        if (netdext::dispatch_to(rpc, [self](IOService *provider) {
                return self->IOService::Start_Impl(provider);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_Stop_ID:
        if (netdext::dispatch_to(rpc, [self](IOService *provider) {
                return self->IOService::Stop_Impl(provider);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_SetPowerState_ID:
        if (netdext::dispatch_to(rpc, [self](uint32_t powerFlags) {
                return self->IOService::SetPowerState_Impl(powerFlags);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_ChangePowerState_ID:
        if (netdext::dispatch_to(rpc, [self](uint32_t powerFlags) {
                return self->IOService::ChangePowerState_Impl(powerFlags);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_RegisterService_ID:
        if (netdext::dispatch_to(rpc, [self]() { return self->IOService::RegisterService_Impl(); }))
            return kIOReturnSuccess;
        break;
    case IOService_Terminate_ID:
        if (netdext::dispatch_to(rpc, [self](uint64_t options) {
                return self->IOService::Terminate_Impl(options);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_GetRegistryEntryID_ID:
        if (netdext::dispatch_to(rpc, [self](uint64_t *id) {
                return self->IOService::GetRegistryEntryID_Impl(id);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_SetName_ID:
        if (netdext::dispatch_to(rpc, [self](const char *name) {
                return self->IOService::SetName_Impl(name);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_CreateDefaultDispatchQueue_ID:
        if (netdext::dispatch_to(rpc, [self](IODispatchQueue **queue) {
                return self->IOService::CreateDefaultDispatchQueue_Impl(queue);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_CopyProperties_ID:
        if (netdext::dispatch_to(rpc, [self](OSDictionary **properties) {
                return self->IOService::CopyProperties_Impl(properties);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_SetProperties_ID:
        if (netdext::dispatch_to(rpc, [self](OSDictionary *properties) {
                return self->IOService::SetProperties_Impl(properties);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_SearchProperty_ID:
        if (netdext::dispatch_to(rpc, [self](const char *name, const char *plane,
                                             uint64_t options, OSContainer **property) {
                return self->IOService::SearchProperty_Impl(name, plane, options, property);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_RemoveProperty_ID:
        if (netdext::dispatch_to(rpc, [self](OSString *propertyName) {
                return self->IOService::RemoveProperty_Impl(propertyName);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_NewUserClient_ID:
        if (netdext::dispatch_to(rpc, [self](uint32_t type, IOUserClient **userClient) {
                return self->IOService::NewUserClient_Impl(type, userClient);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_Create_ID:
        if (netdext::dispatch_to(rpc, [self](IOService *provider, const char *propertiesKey, IOService **result) {
                return self->IOService::Create_Impl(provider, propertiesKey, result);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_ClientCrashed_ID:
        if (netdext::dispatch_to(rpc, [self](IOService *client, uint64_t options) {
                return self->IOService::ClientCrashed_Impl(client, options);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_RequireMaxBusStall_ID:
        if (netdext::dispatch_to(rpc, [self](uint64_t maxBusStall) {
                return self->IOService::RequireMaxBusStall_Impl(maxBusStall);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_JoinPMTree_ID:
        if (netdext::dispatch_to(rpc, [self]() {
                return self->IOService::JoinPMTree_Impl();
            }))
            return kIOReturnSuccess;
        break;
    case IOService_SetPowerOverride_ID:
        if (netdext::dispatch_to(rpc, [self](bool enable) {
                return self->IOService::SetPowerOverride_Impl(enable);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_AdjustBusy_ID:
        if (netdext::dispatch_to(rpc, [self](int32_t delta) {
                return self->IOService::AdjustBusy_Impl(delta);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_GetBusyState_ID:
        if (netdext::dispatch_to(rpc, [self](uint32_t *busyState) {
                return self->IOService::GetBusyState_Impl(busyState);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_ConfigureReport_ID:
        if (netdext::dispatch_to(rpc, [self](OSData *channels, uint32_t action, uint32_t *count) {
                return self->IOService::ConfigureReport_Impl(channels, action, count);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_UpdateReport_ID:
        if (netdext::dispatch_to(rpc, [self](OSData *channels, uint32_t action, uint32_t *count,
                                             uint64_t offset, uint64_t capacity,
                                             IOMemoryDescriptor *buffer) {
                return self->IOService::UpdateReport_Impl(channels, action, count, offset,
                                                          capacity, buffer);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_CopyName_ID:
        if (netdext::dispatch_to(rpc, [self](OSString **name) {
                return self->IOService::CopyName_Impl(name);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_StringFromReturn_ID:
        if (netdext::dispatch_to(rpc, [self](IOReturn retval, OSString **str) {
                return self->IOService::StringFromReturn_Impl(retval, str);
            }))
            return kIOReturnSuccess;
        break;
    case IOService_CopyProviderProperties_ID:
        if (netdext::dispatch_to(rpc, [self](OSArray *propertyKeys, OSArray **properties) {
                return self->IOService::CopyProviderProperties_Impl(propertyKeys, properties);
            }))
            return kIOReturnSuccess;
        break;
    }
    return OSObject::_Dispatch(object, rpc);
}

bool IOService::init() {
    if (!OSObject::init())
        return false;
    ivars = new IOService_IVars;
    ivars->registry_id = netdext::allocate_registry_id();
    return true;
}

void IOService::free() {
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->properties);
        for (IOService *client : ivars->clients)
            client->release();
    }
    delete ivars;
    ivars = nullptr;
    OSObject::free();
}

// ---- entry points: NULL supermethod → most-derived override; else the base through dispatch --

kern_return_t IOService::Start(IOService *provider, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Start_Impl(provider);
    return netdext::call_super<kern_return_t, IOService *>(this, IOService_Start_ID, supermethod,
                                                           provider);
}

kern_return_t IOService::Stop(IOService *provider, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Stop_Impl(provider);
    return netdext::call_super<kern_return_t, IOService *>(this, IOService_Stop_ID, supermethod,
                                                           provider);
}

kern_return_t IOService::SetPowerState(uint32_t powerFlags, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetPowerState_Impl(powerFlags);
    return netdext::call_super<kern_return_t, uint32_t>(this, IOService_SetPowerState_ID,
                                                        supermethod, powerFlags);
}

kern_return_t IOService::ChangePowerState(uint32_t powerFlags, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return ChangePowerState_Impl(powerFlags);
    return netdext::call_super<kern_return_t, uint32_t>(this, IOService_ChangePowerState_ID,
                                                        supermethod, powerFlags);
}

kern_return_t IOService::RegisterService(OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return RegisterService_Impl();
    return netdext::call_super<kern_return_t>(this, IOService_RegisterService_ID, supermethod);
}

kern_return_t IOService::Terminate(uint64_t options, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Terminate_Impl(options);
    return netdext::call_super<kern_return_t, uint64_t>(this, IOService_Terminate_ID, supermethod,
                                                        options);
}

kern_return_t IOService::GetRegistryEntryID(uint64_t *registryEntryID,
                                            OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetRegistryEntryID_Impl(registryEntryID);
    return netdext::call_super<kern_return_t, uint64_t *>(this, IOService_GetRegistryEntryID_ID,
                                                          supermethod, registryEntryID);
}

kern_return_t IOService::SetName(const IOServiceName name, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetName_Impl(name);
    return netdext::call_super<kern_return_t, const char *>(this, IOService_SetName_ID,
                                                            supermethod, name);
}

kern_return_t IOService::CreateDefaultDispatchQueue(IODispatchQueue **queue,
                                                    OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CreateDefaultDispatchQueue_Impl(queue);
    return netdext::call_super<kern_return_t, IODispatchQueue **>(
        this, IOService_CreateDefaultDispatchQueue_ID, supermethod, queue);
}

kern_return_t IOService::CopyProperties(OSDictionary **properties, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CopyProperties_Impl(properties);
    return netdext::call_super<kern_return_t, OSDictionary **>(this, IOService_CopyProperties_ID,
                                                               supermethod, properties);
}

kern_return_t IOService::SetProperties(OSDictionary *properties, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetProperties_Impl(properties);
    return netdext::call_super<kern_return_t, OSDictionary *>(this, IOService_SetProperties_ID,
                                                              supermethod, properties);
}

kern_return_t IOService::SearchProperty(const IOPropertyName name, const IORegistryPlaneName plane,
                                        uint64_t options, OSContainer **property,
                                        OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SearchProperty_Impl(name, plane, options, property);
    return netdext::call_super<kern_return_t, const char *, const char *, uint64_t,
                               OSContainer **>(this, IOService_SearchProperty_ID, supermethod,
                                               name, plane, options, property);
}

kern_return_t IOService::RemoveProperty(OSString *propertyName, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return RemoveProperty_Impl(propertyName);
    return netdext::call_super<kern_return_t, OSString *>(this, IOService_RemoveProperty_ID,
                                                          supermethod, propertyName);
}

kern_return_t IOService::CopyName(OSString **name, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CopyName_Impl(name);
    return netdext::call_super<kern_return_t, OSString **>(this, IOService_CopyName_ID,
                                                           supermethod, name);
}

kern_return_t IOService::StringFromReturn(IOReturn retval, OSString **str,
                                          OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return StringFromReturn_Impl(retval, str);
    return netdext::call_super<kern_return_t, IOReturn, OSString **>(
        this, IOService_StringFromReturn_ID, supermethod, retval, str);
}

kern_return_t IOService::CopyProviderProperties(OSArray *propertyKeys, OSArray **properties,
                                                OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CopyProviderProperties_Impl(propertyKeys, properties);
    return netdext::call_super<kern_return_t, OSArray *, OSArray **>(
        this, IOService_CopyProviderProperties_ID, supermethod, propertyKeys, properties);
}

kern_return_t IOService::NewUserClient(uint32_t type, IOUserClient **userClient, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return NewUserClient_Impl(type, userClient);
    return netdext::call_super<kern_return_t, uint32_t, IOUserClient **>(this, IOService_NewUserClient_ID, supermethod, type, userClient);
}

kern_return_t IOService::Create(IOService *provider, const IOPropertyName propertiesKey,
                                IOService **result, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Create_Impl(provider, propertiesKey, result);
    return netdext::call_super<kern_return_t, IOService *, const char *, IOService **>(this, IOService_Create_ID, supermethod, provider, propertiesKey, result);
}

kern_return_t IOService::ClientCrashed(IOService *client, uint64_t options, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return ClientCrashed_Impl(client, options);
    return netdext::call_super<kern_return_t, IOService *, uint64_t>(this, IOService_ClientCrashed_ID, supermethod, client, options);
}

kern_return_t IOService::RequireMaxBusStall(uint64_t maxBusStall, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return RequireMaxBusStall_Impl(maxBusStall);
    return netdext::call_super<kern_return_t, uint64_t>(this, IOService_RequireMaxBusStall_ID, supermethod, maxBusStall);
}

kern_return_t IOService::JoinPMTree(OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return JoinPMTree_Impl();
    return netdext::call_super<kern_return_t>(this, IOService_JoinPMTree_ID, supermethod);
}

kern_return_t IOService::SetPowerOverride(bool enable, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetPowerOverride_Impl(enable);
    return netdext::call_super<kern_return_t, bool>(this, IOService_SetPowerOverride_ID, supermethod, enable);
}

kern_return_t IOService::AdjustBusy(int32_t delta, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return AdjustBusy_Impl(delta);
    return netdext::call_super<kern_return_t, int32_t>(this, IOService_AdjustBusy_ID, supermethod, delta);
}

kern_return_t IOService::GetBusyState(uint32_t *busyState, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetBusyState_Impl(busyState);
    return netdext::call_super<kern_return_t, uint32_t *>(this, IOService_GetBusyState_ID, supermethod, busyState);
}

// ---- base implementations --------------------------------------------------------------------

kern_return_t IOService::Start_Impl(IOService *provider) {
    std::lock_guard lock(ivars->mutex);
    ivars->provider = provider;
    ivars->started = true;
    ivars->power_state = kIOServicePowerCapabilityOn;
    return kIOReturnSuccess;
}

kern_return_t IOService::Stop_Impl(IOService *) {
    std::lock_guard lock(ivars->mutex);
    ivars->started = false;
    return kIOReturnSuccess;
}

kern_return_t IOService::SetPowerState_Impl(uint32_t powerFlags) {
    std::lock_guard lock(ivars->mutex);
    ivars->power_state = powerFlags;
    return kIOReturnSuccess;
}

kern_return_t IOService::ChangePowerState_Impl(uint32_t powerFlags) {
    return SetPowerState(powerFlags);
}

kern_return_t IOService::RegisterService_Impl() {
    {
        std::lock_guard lock(ivars->mutex);
        ivars->registered = true;
    }
    if (netdext::ServiceObserver *observer = g_observer.load())
        observer->service_registered(this);
    return kIOReturnSuccess;
}

kern_return_t IOService::Terminate_Impl(uint64_t options) {
    if (netdext::ServiceObserver *observer = g_observer.load())
        return observer->service_terminate_requested(this, options);
    return kIOReturnSuccess;
}

kern_return_t IOService::GetRegistryEntryID_Impl(uint64_t *registryEntryID) {
    if (registryEntryID == nullptr)
        return kIOReturnBadArgument;
    *registryEntryID = ivars->registry_id;
    return kIOReturnSuccess;
}

kern_return_t IOService::SetName_Impl(const char *name) {
    if (name == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    ivars->name.assign(name, strnlen(name, sizeof(IOServiceName)));
    return kIOReturnSuccess;
}

kern_return_t IOService::CreateDefaultDispatchQueue_Impl(IODispatchQueue **queue) {
    return CopyDispatchQueue(kIOServiceDefaultQueueName, queue);
}

kern_return_t IOService::NewUserClient_Impl(uint32_t, IOUserClient **userClient) {
    if (userClient != nullptr)
        *userClient = nullptr;
    return kIOReturnUnsupported;
}

kern_return_t IOService::Create_Impl(IOService *provider, const char *propertiesKey,
                                     IOService **result) {
    if (provider == nullptr || propertiesKey == nullptr || result == nullptr)
        return kIOReturnBadArgument;
    *result = nullptr;
    char key[sizeof(IOPropertyName)];
    strncpy(key, propertiesKey, sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    OSObject *value = netdext_copy_property(key);
    OSDictionary *description = OSDynamicCast(OSDictionary, value);
    if (description == nullptr) {
        OSSafeReleaseNULL(value);
        return kIOReturnNotFound;
    }
    OSString *class_name = OSDynamicCast(OSString, description->getObject(kIOUserClassKey));
    const OSMetaClass *meta =
        class_name != nullptr ? OSMetaClass::find(class_name->getCStringNoCopy()) : nullptr;
    OSObject *object = meta != nullptr ? meta->alloc() : nullptr;
    IOService *service = OSDynamicCast(IOService, object);
    if (service == nullptr) {
        OSSafeReleaseNULL(object);
        OSSafeReleaseNULL(value);
        return class_name == nullptr ? kIOReturnBadArgument : kIOReturnUnsupported;
    }
    if (!service->init()) {
        service->release();
        value->release();
        return kIOReturnNoMemory;
    }
    description->iterateObjects(service, [](void *refcon, const OSString *entry, OSObject *item) {
        static_cast<IOService *>(refcon)->netdext_set_property(entry->getCStringNoCopy(), item);
        return false;
    });
    value->release();
    // As the kernel does for a service it instantiates: Start on the new service's own queue.
    kern_return_t kr = netdext::call_on_method_queue(
        service, IOService_Start_ID, [service, provider] { return service->Start(provider); });
    if (kr != kIOReturnSuccess) {
        service->release();
        return kr;
    }
    service->retain(); // the system's reference, until it stops the client (stop_clients)
    {
        std::lock_guard lock(provider->ivars->mutex);
        provider->ivars->clients.push_back(service);
    }
    *result = service;
    return kIOReturnSuccess;
}

namespace netdext {

void stop_clients(IOService *provider) {
    std::vector<IOService *> clients;
    {
        std::lock_guard lock(provider->ivars->mutex);
        clients.swap(provider->ivars->clients);
    }
    // The newest first, each after its own clients.
    for (auto it = clients.rbegin(); it != clients.rend(); ++it) {
        IOService *client = *it;
        stop_clients(client);
        (void)call_on_method_queue(client, IOService_Stop_ID,
                                   [client, provider] { return client->Stop(provider); });
        client->release();
    }
}

} // namespace netdext

kern_return_t IOService::ClientCrashed_Impl(IOService *, uint64_t) { return kIOReturnSuccess; }

kern_return_t IOService::RequireMaxBusStall_Impl(uint64_t) { return kIOReturnSuccess; }

kern_return_t IOService::JoinPMTree_Impl() { return kIOReturnSuccess; }

kern_return_t IOService::SetPowerOverride_Impl(bool) { return kIOReturnSuccess; }

kern_return_t IOService::AdjustBusy_Impl(int32_t delta) {
    std::lock_guard lock(ivars->mutex);
    int64_t busy = int64_t{ivars->busy} + delta;
    if (busy < 0 || busy > UINT32_MAX)
        return kIOReturnBadArgument;
    ivars->busy = static_cast<uint32_t>(busy);
    return kIOReturnSuccess;
}

kern_return_t IOService::GetBusyState_Impl(uint32_t *busyState) {
    if (busyState == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *busyState = ivars->busy;
    return kIOReturnSuccess;
}

IOService *IOService::GetProvider() const { return ivars->provider; }

const char *IOService::netdext_name() const {
    return ivars->name.empty() ? GetClassName() : ivars->name.c_str();
}
bool IOService::netdext_registered() const { return ivars->registered; }
bool IOService::netdext_started() const { return ivars->started; }
uint32_t IOService::netdext_power_state() const { return ivars->power_state; }
