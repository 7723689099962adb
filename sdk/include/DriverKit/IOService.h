/*
 * DriverKit/IOService.h — the base of every driver object the system matches and starts.
 *
 * netdext: the lifecycle is DriverKit's. The system (netdext-host, or the driver test bench)
 * creates the driver's class by name, calls init(), then Start(provider) on the service's
 * "Default" queue; Stop(provider) before the last release. Start/Stop/SetPowerState/
 * RegisterService are dispatchable: an override calls the base with Start(provider, SUPERDISPATCH).
 * Properties live in the service (a registry entry of the IOService plane whose parent is the
 * provider); the system fills them with netdext_set_property. They are guarded by the service,
 * so any queue may read or write them.
 */
#ifndef _DRIVERKIT_IOSERVICE_H
#define _DRIVERKIT_IOSERVICE_H

#include <DriverKit/OSObject.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOKitKeys.h>
#include <DriverKit/OSCollections.h>

enum {
    kIOServicePowerCapabilityOff = 0x00000000,
    kIOServicePowerCapabilityOn = 0x00000002,
    kIOServicePowerCapabilityLow = 0x00010000,
};
enum {
    kIOServiceSearchPropertyParents = 0x00000001,
};
enum {
    kIOServiceDefaultQueueNameIndex = 0,
};

#define IOService_Start_ID netdext::method_id("Start")
#define IOService_Stop_ID netdext::method_id("Stop")
#define IOService_SetPowerState_ID netdext::method_id("SetPowerState")
#define IOService_ChangePowerState_ID netdext::method_id("ChangePowerState")
#define IOService_RegisterService_ID netdext::method_id("RegisterService")
#define IOService_Terminate_ID netdext::method_id("Terminate")
#define IOService_GetRegistryEntryID_ID netdext::method_id("GetRegistryEntryID")
#define IOService_SetName_ID netdext::method_id("SetName")
#define IOService_CreateDefaultDispatchQueue_ID netdext::method_id("CreateDefaultDispatchQueue")
#define IOService_CopyProperties_ID netdext::method_id("CopyProperties")
#define IOService_SetProperties_ID netdext::method_id("SetProperties")
#define IOService_SearchProperty_ID netdext::method_id("SearchProperty")
#define IOService_RemoveProperty_ID netdext::method_id("RemoveProperty")
#define IOService_CopyName_ID netdext::method_id("CopyName")
#define IOService_StringFromReturn_ID netdext::method_id("StringFromReturn")
#define IOService_CopyProviderProperties_ID netdext::method_id("CopyProviderProperties")
#define IOService_NewUserClient_ID netdext::method_id("NewUserClient")
#define IOService_Create_ID netdext::method_id("Create")
#define IOService_ClientCrashed_ID netdext::method_id("ClientCrashed")
#define IOService_RequireMaxBusStall_ID netdext::method_id("RequireMaxBusStall")
#define IOService_JoinPMTree_ID netdext::method_id("JoinPMTree")
#define IOService_SetPowerOverride_ID netdext::method_id("SetPowerOverride")
#define IOService_AdjustBusy_ID netdext::method_id("AdjustBusy")
#define IOService_GetBusyState_ID netdext::method_id("GetBusyState")
#define IOService_ConfigureReport_ID netdext::method_id("ConfigureReport")
#define IOService_UpdateReport_ID netdext::method_id("UpdateReport")

struct IOService_IVars;
class IOService;
namespace netdext {
void stop_clients(IOService *provider); /* netdext/system_calls.h */
}
class IOUserClient;
class IOMemoryDescriptor;
class OSData;
class OSArray;

class IOService : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IOService, OSObject)

    bool init() override;
    void free() override;

    kern_return_t Start(IOService *provider, OSDispatchMethod supermethod = NULL);
    kern_return_t Stop(IOService *provider, OSDispatchMethod supermethod = NULL);
    kern_return_t SetPowerState(uint32_t powerFlags, OSDispatchMethod supermethod = NULL);
    kern_return_t ChangePowerState(uint32_t powerFlags, OSDispatchMethod supermethod = NULL);
    kern_return_t RegisterService(OSDispatchMethod supermethod = NULL);
    kern_return_t Terminate(uint64_t options, OSDispatchMethod supermethod = NULL);
    kern_return_t GetRegistryEntryID(uint64_t *registryEntryID,
                                     OSDispatchMethod supermethod = NULL);
    kern_return_t SetName(const IOServiceName name, OSDispatchMethod supermethod = NULL);
    kern_return_t CreateDefaultDispatchQueue(IODispatchQueue **queue,
                                             OSDispatchMethod supermethod = NULL);

    /*
     * Properties (the service's registry entry). As in DriverKit a read returns a copy: the
     * collections and OSData in it are new objects, strings/numbers/booleans are shared.
     */
    /* +1: all of the service's properties. */
    kern_return_t CopyProperties(OSDictionary **properties, OSDispatchMethod supermethod = NULL);
    /* DriverKit (xnu IOService::SetProperties_Impl): merges `properties` into the
     * kIOUserServicePropertiesKey ("IOUserServiceProperties") sub-dictionary — a dext cannot
     * replace its registry properties, only that one. The dictionary is copied. */
    kern_return_t SetProperties(OSDictionary *properties, OSDispatchMethod supermethod = NULL);
    /* +1 in *property: the value of `name` on this service, or with kIOServiceSearchPropertyParents
     * the first one found going up the providers in `plane` (kIOServicePlane; other planes are
     * not searched beyond this service). kIOReturnNotFound if there is none. */
    kern_return_t SearchProperty(const IOPropertyName name, const IORegistryPlaneName plane,
                                 uint64_t options, OSContainer **property,
                                 OSDispatchMethod supermethod = NULL);
    /* Removes a key that SetProperties stored (xnu: from kIOUserServicePropertiesKey);
     * kIOReturnNotFound if SetProperties was never called. */
    kern_return_t RemoveProperty(OSString *propertyName, OSDispatchMethod supermethod = NULL);
    /* +1: the service's name (SetName's, else its class name). */
    kern_return_t CopyName(OSString **name, OSDispatchMethod supermethod = NULL);
    /* +1: xnu's text for an IOReturn ("success", "invalid argument", …; "0x%x (UNDEFINED)"). */
    kern_return_t StringFromReturn(IOReturn retval, OSString **str,
                                   OSDispatchMethod supermethod = NULL);
    /* +1: an array with one dictionary per service from this one up through its providers, each
     * holding the values of propertyKeys it has (all its properties if propertyKeys is NULL).
     * When propertyKeys is NULL or lists kIOClassKey, the dictionary always has kIOClassKey: the
     * service's own property (from its personality) or else its class name. */
    kern_return_t CopyProviderProperties(OSArray *propertyKeys, OSArray **properties,
                                         OSDispatchMethod supermethod = NULL);

    /*
     * User clients. The system calls NewUserClient(type) when an application opens a connection;
     * the base returns kIOReturnUnsupported. A driver overrides it, typically with
     * Create(this, "UserClientProperties", &service) and an OSDynamicCast to IOUserClient.
     * netdext has no IOKit client library: the driver test bench opens connections
     * (<netdext/testing/user_client.h>).
     */
    kern_return_t NewUserClient(uint32_t type, IOUserClient **userClient,
                                OSDispatchMethod supermethod = NULL);
    /*
     * +1 in *result: a new service described by the dictionary this service has under the
     * property `propertiesKey` — its kIOUserClassKey ("IOUserClass") names the class; the other
     * entries become the new service's properties — init()ed and started with `provider`.
     * Start runs on the new service's queue. kIOReturnNotFound without such a dictionary,
     * kIOReturnBadArgument when it names no class, kIOReturnUnsupported for a class that is not
     * a known IOService, Start's error if it fails (the service is then released).
     */
    kern_return_t Create(IOService *provider, const IOPropertyName propertiesKey,
                         IOService **result, OSDispatchMethod supermethod = NULL);
    /* Called when a client of this service (a user client's process) dies; the base does
     * nothing. */
    kern_return_t ClientCrashed(IOService *client, uint64_t options,
                                OSDispatchMethod supermethod = NULL);
    /* Bus stall limits: there is no bus; accepted and ignored. */
    kern_return_t RequireMaxBusStall(uint64_t maxBusStall, OSDispatchMethod supermethod = NULL);
    /* Power-management tree membership and power override: Linux drives power through the
     * interface state (SetInterfaceEnable), so these are accepted and change nothing. */
    kern_return_t JoinPMTree(OSDispatchMethod supermethod = NULL);
    kern_return_t SetPowerOverride(bool enable, OSDispatchMethod supermethod = NULL);
    /* The busy count: AdjustBusy adds `delta` (kIOReturnBadArgument if it would go below 0);
     * GetBusyState reads it. */
    kern_return_t AdjustBusy(int32_t delta, OSDispatchMethod supermethod = NULL);
    kern_return_t GetBusyState(uint32_t *busyState, OSDispatchMethod supermethod = NULL);

    /*
     * Power assertions. netdext's family never sleeps the system on its own, so an assertion
     * has nothing to hold off: CreatePMAssertion hands out a unique ID (kIOReturnBadArgument for
     * no bits or a NULL assertionID) and ReleasePMAssertion takes it back (kIOReturnNotFound
     * for an ID it did not hand out).
     */
    kern_return_t CreatePMAssertion(uint32_t assertionBits, uint64_t *assertionID, bool synced);
    kern_return_t ReleasePMAssertion(uint64_t assertionID);
    /* Asynchronous Stop: queued on the service's Default queue. */
    void Stop_async(IOService *provider);

    /*
     * State notification items: named dictionaries. netdext keeps them per process (on macOS
     * they are system-wide): Create makes one (kIOReturnExclusiveAccess if it exists), Set
     * replaces its value (kIOReturnNotFound if it does not), Copy returns a copy (+1).
     * CopySystemStateNotificationService: there is no such service (kIOReturnUnsupported).
     */
    kern_return_t StateNotificationItemCreate(OSString *itemName, OSDictionary *value);
    kern_return_t StateNotificationItemSet(OSString *itemName, OSDictionary *value);
    kern_return_t StateNotificationItemCopy(OSString *itemName, OSDictionary **value);
    kern_return_t CopySystemStateNotificationService(IOService **service) NETDEXT_UNSUPPORTED;

    /*
     * IOReporting. The system calls ConfigureReport / UpdateReport on a driver that publishes
     * reports (the base returns kIOReturnUnsupported); SetLegend publishes the legend as the
     * registry properties IOReportLegend and IOReportLegendPublic. netdext has no reporting
     * client that would call the first two.
     */
    IOReturn ConfigureReport(OSData *channels, uint32_t action, uint32_t *outCount,
                             OSDispatchMethod supermethod = NULL);
    IOReturn UpdateReport(OSData *channels, uint32_t action, uint32_t *outElementCount,
                          uint64_t offset, uint64_t capacity, IOMemoryDescriptor *buffer,
                          OSDispatchMethod supermethod = NULL);
    IOReturn SetLegend(OSArray *legend, bool is_public);

    /* CoreAnalytics has no Linux counterpart: the event goes to the log as a debug line. */
    kern_return_t CoreAnalyticsSendEvent(uint64_t options, OSString *eventName,
                                         OSDictionary *eventPayload);
    /* No platform functions exist here: kIOReturnUnsupported, which DriverKit documents for a
     * function no service executes. */
    virtual kern_return_t CallPlatformFunction(OSString *functionName, bool waitForFunction,
                                               OSDictionary *inParam, OSDictionary **outParam);

    /*
     * Matching dictionaries (LOCALONLY). With matching == NULL they return a new dictionary (+1);
     * otherwise they add to `matching` and return it (no extra reference). NULL on a NULL name.
     */
    /* { kIOPropertyMatchKey: { key: value } } */
    static OSDictionary *CreatePropertyMatchingDictionary(const char *key, OSObjectPtr value,
                                                          OSDictionary *matching);
    static OSDictionary *CreatePropertyMatchingDictionary(const char *key,
                                                          const char *stringValue,
                                                          OSDictionary *matching);
    /* { kIOProviderClassKey: className } */
    static OSDictionary *CreateKernelClassMatchingDictionary(OSString *className,
                                                             OSDictionary *matching);
    static OSDictionary *CreateKernelClassMatchingDictionary(const char *className,
                                                             OSDictionary *matching);
    /* { kIOUserClassKey: className } */
    static OSDictionary *CreateUserClassMatchingDictionary(OSString *className,
                                                           OSDictionary *matching);
    static OSDictionary *CreateUserClassMatchingDictionary(const char *className,
                                                           OSDictionary *matching);
    /* { kIONameMatchKey: serviceName } */
    static OSDictionary *CreateNameMatchingDictionary(OSString *serviceName,
                                                      OSDictionary *matching);
    static OSDictionary *CreateNameMatchingDictionary(const char *serviceName,
                                                      OSDictionary *matching);

    IOService *GetProvider() const;

    /*
     * netdext: how the system (netdext-host, the driver test bench) fills the registry entry,
     * e.g. from the matched IOKitPersonality. Stores `value` (retained; it must be an
     * OSContainer) under `key`, replacing any value; NULL removes the key. False on a NULL key,
     * a value that is not a container, or before init().
     */
    bool netdext_set_property(const char *key, OSObject *value);

    /* netdext: the name set with SetName (defaults to the class name). */
    const char *netdext_name() const;
    bool netdext_registered() const;
    bool netdext_started() const;
    uint32_t netdext_power_state() const;

protected:
    virtual kern_return_t Start_Impl(IOService *provider);
    virtual kern_return_t Stop_Impl(IOService *provider);
    virtual kern_return_t SetPowerState_Impl(uint32_t powerFlags);
    virtual kern_return_t ChangePowerState_Impl(uint32_t powerFlags);
    virtual kern_return_t RegisterService_Impl();
    virtual kern_return_t Terminate_Impl(uint64_t options);
    virtual kern_return_t GetRegistryEntryID_Impl(uint64_t *registryEntryID);
    virtual kern_return_t SetName_Impl(const char *name);
    virtual kern_return_t CreateDefaultDispatchQueue_Impl(IODispatchQueue **queue);
    virtual kern_return_t CopyProperties_Impl(OSDictionary **properties);
    virtual kern_return_t SetProperties_Impl(OSDictionary *properties);
    virtual kern_return_t SearchProperty_Impl(const char *name, const char *plane,
                                              uint64_t options, OSContainer **property);
    virtual kern_return_t RemoveProperty_Impl(OSString *propertyName);
    virtual kern_return_t CopyName_Impl(OSString **name);
    virtual kern_return_t StringFromReturn_Impl(IOReturn retval, OSString **str);
    virtual kern_return_t CopyProviderProperties_Impl(OSArray *propertyKeys,
                                                      OSArray **properties);
    virtual kern_return_t NewUserClient_Impl(uint32_t type, IOUserClient **userClient);
    virtual kern_return_t Create_Impl(IOService *provider, const char *propertiesKey,
                                      IOService **result);
    virtual kern_return_t ClientCrashed_Impl(IOService *client, uint64_t options);
    virtual kern_return_t RequireMaxBusStall_Impl(uint64_t maxBusStall);
    virtual kern_return_t JoinPMTree_Impl();
    virtual kern_return_t SetPowerOverride_Impl(bool enable);
    virtual kern_return_t AdjustBusy_Impl(int32_t delta);
    virtual kern_return_t GetBusyState_Impl(uint32_t *busyState);
    virtual IOReturn ConfigureReport_Impl(OSData *channels, uint32_t action, uint32_t *outCount);
    virtual IOReturn UpdateReport_Impl(OSData *channels, uint32_t action,
                                       uint32_t *outElementCount, uint64_t offset,
                                       uint64_t capacity, IOMemoryDescriptor *buffer);

private:
    /* netdext: a copy (+1, see CopyProperties) of one property, or NULL. */
    OSObject *netdext_copy_property(const char *key) const;
    friend void netdext::stop_clients(IOService *provider);

    IOService_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOServiceMetaClass;

#endif /* _DRIVERKIT_IOSERVICE_H */
