/*
 * DriverKit/IOService.h — the base of every driver object the system matches and starts.
 *
 * netdext: the lifecycle is DriverKit's. The system (netdext-host, or the driver test bench)
 * creates the driver's class by name, calls init(), then Start(provider) on the service's
 * "Default" queue; Stop(provider) before the last release. Start/Stop/SetPowerState/
 * RegisterService are dispatchable: an override calls the base with Start(provider, SUPERDISPATCH).
 */
#ifndef _DRIVERKIT_IOSERVICE_H
#define _DRIVERKIT_IOSERVICE_H

#include <DriverKit/OSObject.h>
#include <DriverKit/IODispatchQueue.h>

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

struct IOService_IVars;

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

    IOService *GetProvider() const;

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

private:
    IOService_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOServiceMetaClass;

#endif /* _DRIVERKIT_IOSERVICE_H */
