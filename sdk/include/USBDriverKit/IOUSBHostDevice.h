/*
 * USBDriverKit/IOUSBHostDevice.h — a USB device as its driver's provider: descriptors,
 * configuration, the default control pipe and its interfaces.
 *
 * netdext: the system (the driver test bench, netdext-sim, later netdext-host) creates the device
 * with netdext_create() over a backend (netdext/usb_backend.h) — a device model or, later, a real
 * device — reading its device and configuration descriptors as a host controller does when it
 * enumerates. Behaviour:
 *  - Open is exclusive: a second client gets kIOReturnExclusiveAccess. Control requests, I/O
 *    buffers and SetConfiguration need the session; Close aborts the client's requests.
 *  - SetConfiguration sends SET_CONFIGURATION, terminates the interfaces of the previous
 *    configuration and creates those of the new one (their alternate setting 0), which
 *    CreateInterfaceIterator then lists. matchInterfaces is accepted; the bench and netdext-host
 *    run one driver per device, so no second driver is matched to them.
 *  - Copy…Descriptor returns a copy the caller frees with IOUSBHostFreeDescriptor; NULL after
 *    removal.
 *  - AsyncDeviceRequest completes with CompleteAsyncDeviceRequest on the completion's queue, never
 *    inside the call; DeviceRequest waits (its timeout, if not 0, in real time).
 *  - When the device is removed, pending requests complete with kIOReturnAborted, new ones fail
 *    with kIOReturnNoDevice, and the system then stops the driver (Stop) as macOS terminates the
 *    provider.
 */
#ifndef _IOKIT_IOUSBHOSTDEVICE_H
#define _IOKIT_IOUSBHOSTDEVICE_H

#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/IOService.h>
#include <DriverKit/OSAction.h>
#include <USBDriverKit/AppleUSBDefinitions.h>
#include <USBDriverKit/IOUSBHostFamilyDefinitions.h>
#include <USBDriverKit/USBDriverKitDefs.h>

#include <memory>

/* Callback ID of TYPE(IOUSBHostDevice::CompleteAsyncDeviceRequest) (netdext's value). */
#define IOUSBHostDevice_CompleteAsyncDeviceRequest_ID netdext::method_id("CompleteAsyncDeviceRequest")

class IOUSBHostInterface;
struct IOUSBHostDevice_IVars;
namespace netdext::usb {
class DeviceBackend;
}

class IOUSBHostDevice : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(IOUSBHostDevice, IOService)

    bool init() override;
    void free() override;

    /* A session for forClient (exclusive); options and arg are accepted and not used. */
    kern_return_t Open(IOService *forClient, IOOptionBits options, uintptr_t arg,
                       OSDispatchMethod supermethod = NULL);
    /* Ends forClient's session and aborts its device requests. */
    kern_return_t Close(IOService *forClient, IOOptionBits options,
                        OSDispatchMethod supermethod = NULL);

    /* Any descriptor with GET_DESCRIPTOR: *length is the room in `descriptor` on entry and the
     * bytes read on return. requestType/requestRecipient: tIOUSBDeviceRequest*Value. */
    kern_return_t CopyDescriptor(uint8_t type, uint16_t *length, uint8_t index, uint16_t languageID,
                                 uint8_t requestType, uint8_t requestRecipient,
                                 uint8_t *descriptor);
    const IOUSBDeviceDescriptor *CopyDeviceDescriptor(void);
    /* By index (0 … bNumConfigurations-1) or by bConfigurationValue. */
    const IOUSBConfigurationDescriptor *CopyConfigurationDescriptor(uint8_t index);
    const IOUSBConfigurationDescriptor *CopyConfigurationDescriptorWithValue(uint8_t bConfigurationValue);
    /* The current configuration's descriptor; NULL while unconfigured. */
    const IOUSBConfigurationDescriptor *CopyConfigurationDescriptor(IOService *forClient);
    /* The BOS descriptor with its capabilities; NULL for a device below USB 2.01 or without one. */
    const IOUSBBOSDescriptor *CopyCapabilityDescriptors(void);
    const IOUSBStringDescriptor *CopyStringDescriptor(uint8_t index, uint16_t languageID);
    const IOUSBStringDescriptor *CopyStringDescriptor(uint8_t index);

    /* A buffer (+1) for I/O: options kIOMemoryDirectionIn/Out. */
    kern_return_t CreateIOBuffer(IOOptionBits options, uint64_t capacity,
                                 IOBufferMemoryDescriptor **buffer,
                                 OSDispatchMethod supermethod = NULL);
    kern_return_t AsyncDeviceRequest(IOService *forClient, uint8_t bmRequestType,
                                     uint8_t bRequest, uint16_t wValue, uint16_t wIndex,
                                     uint16_t wLength, IOMemoryDescriptor *dataBuffer,
                                     OSAction *completion, uint32_t completionTimeoutMs,
                                     OSDispatchMethod supermethod = NULL);
    kern_return_t DeviceRequest(IOService *forClient, uint8_t bmRequestType, uint8_t bRequest,
                                uint16_t wValue, uint16_t wIndex, uint16_t wLength,
                                IOMemoryDescriptor *dataBuffer, uint16_t *bytesTransferred,
                                uint32_t completionTimeoutMs,
                                OSDispatchMethod supermethod = NULL);
    kern_return_t AbortDeviceRequests(IOService *forClient, IOOptionBits options,
                                      IOReturn withError, OSDispatchMethod supermethod = NULL);
    kern_return_t SetConfiguration(uint8_t bConfigurationValue, bool matchInterfaces,
                                   OSDispatchMethod supermethod = NULL);
    kern_return_t GetAddress(uint8_t *address, OSDispatchMethod supermethod = NULL) const;
    kern_return_t GetSpeed(uint8_t *speed, OSDispatchMethod supermethod = NULL) const;
    /* 1 ms frames since the device was attached; theTime (may be NULL): mach_absolute_time(). */
    kern_return_t GetFrameNumber(uint64_t *frameNumber, uint64_t *theTime,
                                 OSDispatchMethod supermethod = NULL);
    /* netdext: 0 while attached (the IOUSBHostPortStatus bits are not modelled). */
    kern_return_t GetPortStatus(uint32_t *portStatus, OSDispatchMethod supermethod = NULL);
    /* A port reset: interfaces are terminated and the device is unconfigured. */
    kern_return_t Reset(OSDispatchMethod supermethod = NULL);
    /* The interfaces of the current configuration: an iterator, then CopyInterface (+1) until it
     * gives NULL (with kIOReturnSuccess), then DestroyInterfaceIterator. */
    kern_return_t CreateInterfaceIterator(uintptr_t *ref, OSDispatchMethod supermethod = NULL);
    kern_return_t DestroyInterfaceIterator(uintptr_t ref, OSDispatchMethod supermethod = NULL);
    kern_return_t CopyInterface(uintptr_t ref, IOUSBHostInterface **interface,
                                OSDispatchMethod supermethod = NULL);

    /* ---- netdext: the system's side ---- */
    /*
     * Enumerates the device behind `backend` (device, configuration and BOS descriptors) and
     * returns its provider (+1), started, with the registry properties IOUSBHostFamily publishes
     * (idVendor, idProduct, bcdDevice, bDevice*, USBSpeed, locationID, …). kIOReturnNoDevice if
     * the device does not answer its descriptors.
     */
    static kern_return_t netdext_create(std::shared_ptr<netdext::usb::DeviceBackend> backend,
                                        IOUSBHostDevice **device);
    /* The interfaces (+0) of the current configuration, in bInterfaceNumber order. */
    uint32_t netdext_interface_count() const;
    IOUSBHostInterface *netdext_interface(uint32_t index) const;
    /* The raw descriptors, as read at enumeration. */
    const IOUSBDeviceDescriptor &netdext_device_descriptor() const;
    /* The device went away (the backend's removal handler calls it): pending requests are
     * aborted, interfaces and pipes refuse I/O. Idempotent. */
    void netdext_terminate();
    bool netdext_terminated() const;
    const std::shared_ptr<netdext::usb::DeviceBackend> &netdext_backend() const;
    /* A control transfer with its data in `data` (wLength bytes), waited for (the family's own
     * requests: descriptors, SET_CONFIGURATION, CLEAR_FEATURE). */
    IOReturn netdext_control(const IOUSBDeviceRequest &request, void *data, uint32_t *transferred);
    /* Control requests on behalf of `owner` (a client, an interface), which AbortDeviceRequests
     * and netdext_abort_requests(owner) abort; no session check (the callers check theirs).
     * A request not completed within completionTimeoutMs (0: no limit) ends kIOReturnTimeout. */
    kern_return_t netdext_async_request(const void *owner, const IOUSBDeviceRequest &request,
                                        IOMemoryDescriptor *dataBuffer, OSAction *completion,
                                        uint32_t completionTimeoutMs = 0);
    kern_return_t netdext_request(const IOUSBDeviceRequest &request, IOMemoryDescriptor *dataBuffer,
                                  uint16_t *bytesTransferred, uint32_t completionTimeoutMs);
    void netdext_abort_requests(const void *owner, IOReturn status);

protected:
    virtual kern_return_t Open_Impl(IOService *forClient, IOOptionBits options, uintptr_t arg);
    virtual kern_return_t Close_Impl(IOService *forClient, IOOptionBits options);
    virtual kern_return_t CreateIOBuffer_Impl(IOOptionBits options, uint64_t capacity,
                                              IOBufferMemoryDescriptor **buffer);
    virtual kern_return_t AsyncDeviceRequest_Impl(IOService *forClient, uint8_t bmRequestType,
                                                  uint8_t bRequest, uint16_t wValue,
                                                  uint16_t wIndex, uint16_t wLength,
                                                  IOMemoryDescriptor *dataBuffer,
                                                  OSAction *completion,
                                                  uint32_t completionTimeoutMs);
    virtual kern_return_t DeviceRequest_Impl(IOService *forClient, uint8_t bmRequestType,
                                             uint8_t bRequest, uint16_t wValue, uint16_t wIndex,
                                             uint16_t wLength, IOMemoryDescriptor *dataBuffer,
                                             uint16_t *bytesTransferred,
                                             uint32_t completionTimeoutMs);
    virtual kern_return_t AbortDeviceRequests_Impl(IOService *forClient, IOOptionBits options,
                                                   IOReturn withError);
    virtual kern_return_t SetConfiguration_Impl(uint8_t bConfigurationValue, bool matchInterfaces);
    virtual kern_return_t GetAddress_Impl(uint8_t *address) const;
    virtual kern_return_t GetSpeed_Impl(uint8_t *speed) const;
    virtual kern_return_t GetFrameNumber_Impl(uint64_t *frameNumber, uint64_t *theTime);
    virtual kern_return_t GetPortStatus_Impl(uint32_t *portStatus);
    virtual kern_return_t Reset_Impl();
    virtual kern_return_t CreateInterfaceIterator_Impl(uintptr_t *ref);
    virtual kern_return_t DestroyInterfaceIterator_Impl(uintptr_t ref);
    virtual kern_return_t CopyInterface_Impl(uintptr_t ref, IOUSBHostInterface **interface);

private:
    IOUSBHostDevice_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOUSBHostDeviceMetaClass;

#endif /* _IOKIT_IOUSBHOSTDEVICE_H */
