/*
 * USBDriverKit/IOUSBHostInterface.h — one interface of a configured USB device: its descriptor,
 * alternate settings and pipes, and control requests on the device's default pipe.
 *
 * netdext: the family creates the interfaces when a configuration is selected (by the system
 * for a personality whose IOProviderClass is IOUSBHostInterface, or by a device driver's
 * SetConfiguration). Behaviour:
 *  - Open is exclusive (kIOReturnExclusiveAccess for a second client); with
 *    kUSBHostOpenOptionSelectAlternateSetting it also selects the alternate setting *arg.
 *    CopyPipe, SelectAlternateSetting and requests need the session. Close aborts the pipes' I/O
 *    and invalidates them (their I/O then fails with kIOReturnNotOpen).
 *  - SelectAlternateSetting sends SET_INTERFACE; the pipes of the previous setting are aborted
 *    and invalidated; CopyPipe then finds the new setting's endpoints.
 *  - CopyPipe returns the same pipe object for an endpoint until the setting changes.
 *  - The descriptor methods read the descriptors captured when the device was enumerated.
 */
#ifndef _IOKIT_IOUSBHOSTINTERFACE_H
#define _IOKIT_IOUSBHOSTINTERFACE_H

#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/IOService.h>
#include <DriverKit/OSAction.h>
#include <USBDriverKit/AppleUSBDefinitions.h>
#include <USBDriverKit/IOUSBHostDevice.h>
#include <USBDriverKit/IOUSBHostPipe.h>

struct IOUSBHostInterface_IVars;

class IOUSBHostInterface : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(IOUSBHostInterface, IOService)

    bool init() override;
    void free() override;

    kern_return_t Open(IOService *forClient, IOOptionBits options, uint8_t *arg,
                       OSDispatchMethod supermethod = NULL);
    kern_return_t Close(IOService *forClient, IOOptionBits options,
                        OSDispatchMethod supermethod = NULL);
    kern_return_t GetFrameNumber(uint64_t *frameNumber, uint64_t *theTime,
                                 OSDispatchMethod supermethod = NULL);
    /* The configuration this interface belongs to (a copy; free it with
     * IOUSBHostFreeDescriptor). */
    const IOUSBConfigurationDescriptor *CopyConfigurationDescriptor();
    /* The descriptor of the current alternate setting inside configurationDescriptor (which must
     * be this interface's configuration); NULL if it is not there. */
    const IOUSBInterfaceDescriptor *GetInterfaceDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor);
    const IOUSBStringDescriptor *CopyStringDescriptor(uint8_t index, uint16_t languageID);
    const IOUSBStringDescriptor *CopyStringDescriptor(uint8_t index);
    /* The pipe (+1) of endpoint `address` of the current alternate setting; kIOReturnNotFound if
     * it has no such endpoint, kIOReturnNotOpen without a session. */
    kern_return_t CopyPipe(uint8_t address, IOUSBHostPipe **pipe,
                           OSDispatchMethod supermethod = NULL);
    kern_return_t SelectAlternateSetting(uint8_t bAlternateSetting,
                                         OSDispatchMethod supermethod = NULL);
    kern_return_t GetPortStatus(uint32_t *portStatus, OSDispatchMethod supermethod = NULL);
    /* Idle (suspend) policy: stored and reported; netdext never suspends a device. */
    kern_return_t SetIdlePolicy(uint32_t deviceIdleTimeout, OSDispatchMethod supermethod = NULL);
    kern_return_t GetIdlePolicy(uint32_t *deviceIdleTimeout, OSDispatchMethod supermethod = NULL);
    /* The device (+1). */
    kern_return_t CopyDevice(IOUSBHostDevice **device, OSDispatchMethod supermethod = NULL);
    kern_return_t CreateIOBuffer(IOOptionBits options, uint64_t capacity,
                                 IOBufferMemoryDescriptor **buffer);
    /* Requests on the device's default control pipe, on behalf of this interface's client
     * (bmRequestType's recipient is whatever the caller encodes). */
    kern_return_t AsyncDeviceRequest(uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue,
                                     uint16_t wIndex, uint16_t wLength,
                                     IOMemoryDescriptor *dataBuffer, OSAction *completion,
                                     uint32_t completionTimeoutMs);
    kern_return_t DeviceRequest(uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue,
                                uint16_t wIndex, uint16_t wLength, IOMemoryDescriptor *dataBuffer,
                                uint16_t *bytesTransferred, uint32_t completionTimeoutMs);
    kern_return_t AbortDeviceRequests(IOOptionBits options, IOReturn withError);

    /* ---- netdext: the system's side ---- */
    /* An interface (+1) of `device` (not retained: the device owns its interfaces) for
     * bInterfaceNumber of the configuration `configuration` (copied), in alternate setting 0,
     * started with the device as provider and the registry properties IOUSBHostFamily publishes
     * (bInterfaceNumber, bInterfaceClass, …, bConfigurationValue, idVendor, idProduct, bcdDevice). */
    static kern_return_t netdext_create(IOUSBHostDevice *device,
                                        const IOUSBConfigurationDescriptor *configuration,
                                        uint8_t bInterfaceNumber, IOUSBHostInterface **interface);
    uint8_t netdext_interface_number() const;
    uint8_t netdext_alternate_setting() const;
    /* The descriptor of the current alternate setting (inside the interface's own copy of the
     * configuration). */
    const IOUSBInterfaceDescriptor *netdext_interface_descriptor() const;
    /* The device went away or the configuration changed: close pipes, refuse I/O. */
    void netdext_terminate(IOReturn status);
    /* The device (+0). */
    IOUSBHostDevice *netdext_device() const;

protected:
    virtual kern_return_t Open_Impl(IOService *forClient, IOOptionBits options, uint8_t *arg);
    virtual kern_return_t Close_Impl(IOService *forClient, IOOptionBits options);
    virtual kern_return_t GetFrameNumber_Impl(uint64_t *frameNumber, uint64_t *theTime);
    virtual kern_return_t CopyPipe_Impl(uint8_t address, IOUSBHostPipe **pipe);
    virtual kern_return_t SelectAlternateSetting_Impl(uint8_t bAlternateSetting);
    virtual kern_return_t GetPortStatus_Impl(uint32_t *portStatus);
    virtual kern_return_t SetIdlePolicy_Impl(uint32_t deviceIdleTimeout);
    virtual kern_return_t GetIdlePolicy_Impl(uint32_t *deviceIdleTimeout);
    virtual kern_return_t CopyDevice_Impl(IOUSBHostDevice **device);

private:
    IOUSBHostInterface_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOUSBHostInterfaceMetaClass;

#endif /* _IOKIT_IOUSBHOSTINTERFACE_H */
