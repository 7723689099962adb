// IOUSBHostInterface: sessions, alternate settings, pipes, and requests on the default pipe.
//
// Ownership: the interface retains its device and the pipes of its current alternate setting;
// each pipe retains the interface. Close, SelectAlternateSetting and netdext_terminate invalidate
// and release the pipes, which breaks that cycle.

#include <USBDriverKit/AppleUSBDescriptorParsing.h>
#include <USBDriverKit/IOUSBHostInterface.h>
#include <netdext/iig_support.h>

#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "../internal.h"
#include "../provider_support.h"
#include "usb_internal.h"

struct IOUSBHostInterface_IVars {
    std::mutex mutex;
    IOUSBHostDevice *device = nullptr;  // retained
    std::vector<uint8_t> configuration; // the configuration descriptor, copied
    uint8_t number = 0;
    uint8_t alternate = 0;
    IOService *client = nullptr; // the session's client (not retained)
    std::map<uint8_t, IOUSBHostPipe *> pipes; // retained, by endpoint address
    uint32_t idle_policy = 0;
    bool terminated = false;
};

NETDEXT_DEFINE_CLASS(IOUSBHostInterface, IOService, nullptr, 0)

namespace {

const IOUSBConfigurationDescriptor *as_config(const std::vector<uint8_t> &bytes) {
    return reinterpret_cast<const IOUSBConfigurationDescriptor *>(bytes.data());
}

// The descriptor of interface `number`, alternate setting `alternate` in `configuration`.
const IOUSBInterfaceDescriptor *find_interface(const IOUSBConfigurationDescriptor *configuration,
                                               uint8_t number, uint8_t alternate) {
    for (const IOUSBInterfaceDescriptor *id = IOUSBGetNextInterfaceDescriptor(configuration, nullptr);
         id != nullptr;
         id = IOUSBGetNextInterfaceDescriptor(configuration,
                                              reinterpret_cast<const IOUSBDescriptorHeader *>(id)))
        if (id->bInterfaceNumber == number && id->bAlternateSetting == alternate)
            return id;
    return nullptr;
}

// Invalidates and releases `pipes` (outside the interface's lock).
void drop_pipes(std::map<uint8_t, IOUSBHostPipe *> &pipes, IOReturn status) {
    for (auto &[address, pipe] : pipes) {
        pipe->netdext_invalidate(status);
        pipe->release();
    }
    pipes.clear();
}

} // namespace

kern_return_t IOUSBHostInterface::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return IOService::_Dispatch(object, rpc);
}

bool IOUSBHostInterface::init() {
    if (!IOService::init())
        return false;
    ivars = new IOUSBHostInterface_IVars;
    return true;
}

void IOUSBHostInterface::free() {
    if (ivars != nullptr) {
        drop_pipes(ivars->pipes, kIOReturnNotOpen);
        OSSafeReleaseNULL(ivars->device);
        delete ivars;
        ivars = nullptr;
    }
    IOService::free();
}

kern_return_t IOUSBHostInterface::netdext_create(IOUSBHostDevice *device,
                                                 const IOUSBConfigurationDescriptor *configuration,
                                                 uint8_t bInterfaceNumber,
                                                 IOUSBHostInterface **interface) {
    if (device == nullptr || configuration == nullptr || interface == nullptr)
        return kIOReturnBadArgument;
    *interface = nullptr;
    const IOUSBInterfaceDescriptor *id = find_interface(configuration, bInterfaceNumber, 0);
    if (id == nullptr)
        return kIOReturnNotFound;
    auto *created = netdext::new_object<IOUSBHostInterface>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    const auto *bytes = reinterpret_cast<const uint8_t *>(configuration);
    created->ivars->configuration.assign(bytes, bytes + USBToHost16(configuration->wTotalLength));
    created->ivars->number = bInterfaceNumber;
    device->retain();
    created->ivars->device = device;
    // IOUSBHostFamily's interface properties (matching reads them).
    const IOUSBDeviceDescriptor &dd = device->netdext_device_descriptor();
    netdext::set_number_property(created, kUSBHostMatchingPropertyInterfaceNumber, id->bInterfaceNumber, 8);
    netdext::set_number_property(created, kUSBHostInterfacePropertyAlternateSetting, id->bAlternateSetting, 8);
    netdext::set_number_property(created, kUSBHostMatchingPropertyInterfaceClass, id->bInterfaceClass, 8);
    netdext::set_number_property(created, kUSBHostMatchingPropertyInterfaceSubClass, id->bInterfaceSubClass, 8);
    netdext::set_number_property(created, kUSBHostMatchingPropertyInterfaceProtocol, id->bInterfaceProtocol, 8);
    netdext::set_number_property(created, kUSBHostMatchingPropertyConfigurationValue, configuration->bConfigurationValue, 8);
    netdext::set_number_property(created, kUSBHostMatchingPropertyVendorID, USBToHost16(dd.idVendor), 16);
    netdext::set_number_property(created, kUSBHostMatchingPropertyProductID, USBToHost16(dd.idProduct), 16);
    netdext::set_number_property(created, kUSBHostMatchingPropertyDeviceReleaseNumber, USBToHost16(dd.bcdDevice), 16);
    created->SetName("IOUSBHostInterface");
    kern_return_t kr = created->Start(device);
    if (kr != kIOReturnSuccess) {
        created->release();
        return kr;
    }
    *interface = created;
    return kIOReturnSuccess;
}

uint8_t IOUSBHostInterface::netdext_interface_number() const { return ivars->number; }

uint8_t IOUSBHostInterface::netdext_alternate_setting() const {
    std::lock_guard lock(ivars->mutex);
    return ivars->alternate;
}

const IOUSBInterfaceDescriptor *IOUSBHostInterface::netdext_interface_descriptor() const {
    std::lock_guard lock(ivars->mutex);
    return find_interface(as_config(ivars->configuration), ivars->number, ivars->alternate);
}

IOUSBHostDevice *IOUSBHostInterface::netdext_device() const { return ivars->device; }

void IOUSBHostInterface::netdext_terminate(IOReturn status) {
    std::map<uint8_t, IOUSBHostPipe *> pipes;
    {
        std::lock_guard lock(ivars->mutex);
        ivars->terminated = true;
        pipes.swap(ivars->pipes);
    }
    drop_pipes(pipes, status);
    ivars->device->netdext_abort_requests(this, kIOReturnAborted);
}

// ---- entry points -----------------------------------------------------------------------------

kern_return_t IOUSBHostInterface::Open(IOService *forClient, IOOptionBits options, uint8_t *arg,
                                       OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Open_Impl(forClient, options, arg);
    return netdext::call_super<kern_return_t, IOService *, IOOptionBits, uint8_t *>(
        this, netdext::method_id("Open"), supermethod, forClient, options, arg);
}

kern_return_t IOUSBHostInterface::Close(IOService *forClient, IOOptionBits options,
                                        OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Close_Impl(forClient, options);
    return netdext::call_super<kern_return_t, IOService *, IOOptionBits>(
        this, netdext::method_id("Close"), supermethod, forClient, options);
}

kern_return_t IOUSBHostInterface::GetFrameNumber(uint64_t *frameNumber, uint64_t *theTime,
                                                 OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetFrameNumber_Impl(frameNumber, theTime);
    return netdext::call_super<kern_return_t, uint64_t *, uint64_t *>(
        this, netdext::method_id("GetFrameNumber"), supermethod, frameNumber, theTime);
}

kern_return_t IOUSBHostInterface::CopyPipe(uint8_t address, IOUSBHostPipe **pipe,
                                           OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CopyPipe_Impl(address, pipe);
    return netdext::call_super<kern_return_t, uint8_t, IOUSBHostPipe **>(
        this, netdext::method_id("CopyPipe"), supermethod, address, pipe);
}

kern_return_t IOUSBHostInterface::SelectAlternateSetting(uint8_t bAlternateSetting,
                                                         OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SelectAlternateSetting_Impl(bAlternateSetting);
    return netdext::call_super<kern_return_t, uint8_t>(
        this, netdext::method_id("SelectAlternateSetting"), supermethod, bAlternateSetting);
}

kern_return_t IOUSBHostInterface::GetPortStatus(uint32_t *portStatus,
                                                OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetPortStatus_Impl(portStatus);
    return netdext::call_super<kern_return_t, uint32_t *>(
        this, netdext::method_id("GetPortStatus"), supermethod, portStatus);
}

kern_return_t IOUSBHostInterface::SetIdlePolicy(uint32_t deviceIdleTimeout,
                                                OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetIdlePolicy_Impl(deviceIdleTimeout);
    return netdext::call_super<kern_return_t, uint32_t>(
        this, netdext::method_id("SetIdlePolicy"), supermethod, deviceIdleTimeout);
}

kern_return_t IOUSBHostInterface::GetIdlePolicy(uint32_t *deviceIdleTimeout,
                                                OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetIdlePolicy_Impl(deviceIdleTimeout);
    return netdext::call_super<kern_return_t, uint32_t *>(
        this, netdext::method_id("GetIdlePolicy"), supermethod, deviceIdleTimeout);
}

kern_return_t IOUSBHostInterface::CopyDevice(IOUSBHostDevice **device,
                                             OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CopyDevice_Impl(device);
    return netdext::call_super<kern_return_t, IOUSBHostDevice **>(
        this, netdext::method_id("CopyDevice"), supermethod, device);
}

// ---- implementations --------------------------------------------------------------------------

// The session check of the calls that need one.
static bool open_by_someone(IOUSBHostInterface_IVars *ivars) {
    std::lock_guard lock(ivars->mutex);
    return ivars->client != nullptr && !ivars->terminated;
}

kern_return_t IOUSBHostInterface::Open_Impl(IOService *forClient, IOOptionBits options,
                                            uint8_t *arg) {
    if (forClient == nullptr)
        return kIOReturnBadArgument;
    {
        std::lock_guard lock(ivars->mutex);
        if (ivars->terminated)
            return kIOReturnNoDevice;
        if (ivars->client != nullptr && ivars->client != forClient)
            return kIOReturnExclusiveAccess;
        ivars->client = forClient;
    }
    if ((options & kUSBHostOpenOptionSelectAlternateSetting) != 0) {
        if (arg == nullptr)
            return kIOReturnBadArgument;
        return SelectAlternateSetting(*arg);
    }
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostInterface::Close_Impl(IOService *forClient, IOOptionBits) {
    std::map<uint8_t, IOUSBHostPipe *> pipes;
    {
        std::lock_guard lock(ivars->mutex);
        if (forClient == nullptr || ivars->client != forClient)
            return kIOReturnNotOpen;
        ivars->client = nullptr;
        pipes.swap(ivars->pipes);
    }
    drop_pipes(pipes, kIOReturnNotOpen);
    ivars->device->netdext_abort_requests(this, kIOReturnAborted);
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostInterface::GetFrameNumber_Impl(uint64_t *frameNumber, uint64_t *theTime) {
    return ivars->device->GetFrameNumber(frameNumber, theTime);
}

const IOUSBConfigurationDescriptor *IOUSBHostInterface::CopyConfigurationDescriptor() {
    return static_cast<const IOUSBConfigurationDescriptor *>(
        netdext::usb::copy_descriptor(ivars->configuration));
}

const IOUSBInterfaceDescriptor *
IOUSBHostInterface::GetInterfaceDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor) {
    if (configurationDescriptor == nullptr)
        return nullptr;
    uint8_t alternate;
    {
        std::lock_guard lock(ivars->mutex);
        alternate = ivars->alternate;
    }
    return find_interface(configurationDescriptor, ivars->number, alternate);
}

const IOUSBStringDescriptor *IOUSBHostInterface::CopyStringDescriptor(uint8_t index,
                                                                       uint16_t languageID) {
    return ivars->device->CopyStringDescriptor(index, languageID);
}

const IOUSBStringDescriptor *IOUSBHostInterface::CopyStringDescriptor(uint8_t index) {
    return ivars->device->CopyStringDescriptor(index);
}

kern_return_t IOUSBHostInterface::CopyPipe_Impl(uint8_t address, IOUSBHostPipe **pipe) {
    if (pipe == nullptr)
        return kIOReturnBadArgument;
    *pipe = nullptr;
    std::lock_guard lock(ivars->mutex);
    if (ivars->terminated)
        return kIOReturnNoDevice;
    if (ivars->client == nullptr)
        return kIOReturnNotOpen;
    auto found = ivars->pipes.find(address);
    if (found != ivars->pipes.end()) {
        found->second->retain();
        *pipe = found->second;
        return kIOReturnSuccess;
    }
    const IOUSBConfigurationDescriptor *cd = as_config(ivars->configuration);
    const IOUSBInterfaceDescriptor *id = find_interface(cd, ivars->number, ivars->alternate);
    for (const IOUSBEndpointDescriptor *ed = IOUSBGetNextEndpointDescriptor(cd, id, nullptr);
         id != nullptr && ed != nullptr;
         ed = IOUSBGetNextEndpointDescriptor(cd, id, reinterpret_cast<const IOUSBDescriptorHeader *>(ed))) {
        if (IOUSBGetEndpointAddress(ed) != address)
            continue;
        IOUSBStandardEndpointDescriptors descriptors{};
        descriptors.bcdUSB = USBToHost16(ivars->device->netdext_device_descriptor().bcdUSB);
        std::memcpy(&descriptors.descriptor, ed, sizeof descriptors.descriptor);
        const IOUSBDescriptorHeader *companion = IOUSBGetNextAssociatedDescriptorWithType(
            cd, reinterpret_cast<const IOUSBDescriptorHeader *>(ed), nullptr,
            kIOUSBDescriptorTypeSuperSpeedUSBEndpointCompanion);
        if (companion != nullptr && companion->bLength >= sizeof descriptors.ssCompanionDescriptor)
            std::memcpy(&descriptors.ssCompanionDescriptor, companion,
                        sizeof descriptors.ssCompanionDescriptor);
        IOUSBHostPipe *created =
            IOUSBHostPipe::netdext_create(this, ivars->device->netdext_backend(), descriptors);
        if (created == nullptr)
            return kIOReturnNoMemory;
        ivars->pipes[address] = created; // the interface's reference
        created->retain();
        *pipe = created;
        return kIOReturnSuccess;
    }
    return kIOReturnNotFound;
}

kern_return_t IOUSBHostInterface::SelectAlternateSetting_Impl(uint8_t bAlternateSetting) {
    std::map<uint8_t, IOUSBHostPipe *> pipes;
    {
        std::lock_guard lock(ivars->mutex);
        if (ivars->terminated)
            return kIOReturnNoDevice;
        if (ivars->client == nullptr)
            return kIOReturnNotOpen;
        if (find_interface(as_config(ivars->configuration), ivars->number, bAlternateSetting) ==
            nullptr)
            return kIOReturnBadArgument;
        pipes.swap(ivars->pipes);
    }
    // USB 2.0 §9.4.10: the previous setting's endpoints go away.
    drop_pipes(pipes, kIOReturnNotOpen);
    IOUSBDeviceRequest request{
        USBmakebmRequestType(kIOUSBDeviceRequestDirectionValueOut,
                             kIOUSBDeviceRequestTypeValueStandard,
                             kIOUSBDeviceRequestRecipientValueInterface),
        kIOUSBDeviceRequestSetInterface, bAlternateSetting, ivars->number, 0};
    IOReturn kr = ivars->device->netdext_control(request, nullptr, nullptr);
    if (kr != kIOReturnSuccess)
        return kr;
    std::lock_guard lock(ivars->mutex);
    ivars->alternate = bAlternateSetting;
    netdext::set_number_property(this, kUSBHostInterfacePropertyAlternateSetting,
                                 bAlternateSetting, 8);
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostInterface::GetPortStatus_Impl(uint32_t *portStatus) {
    return ivars->device->GetPortStatus(portStatus);
}

kern_return_t IOUSBHostInterface::SetIdlePolicy_Impl(uint32_t deviceIdleTimeout) {
    std::lock_guard lock(ivars->mutex);
    ivars->idle_policy = deviceIdleTimeout;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostInterface::GetIdlePolicy_Impl(uint32_t *deviceIdleTimeout) {
    if (deviceIdleTimeout == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *deviceIdleTimeout = ivars->idle_policy;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostInterface::CopyDevice_Impl(IOUSBHostDevice **device) {
    if (device == nullptr)
        return kIOReturnBadArgument;
    ivars->device->retain();
    *device = ivars->device;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostInterface::CreateIOBuffer(IOOptionBits options, uint64_t capacity,
                                                 IOBufferMemoryDescriptor **buffer) {
    if (buffer == nullptr || capacity == 0)
        return kIOReturnBadArgument;
    return IOBufferMemoryDescriptor::Create(options & kIOMemoryDirectionOutIn, capacity, 0, buffer);
}

kern_return_t IOUSBHostInterface::AsyncDeviceRequest(
    uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue, uint16_t wIndex, uint16_t wLength,
    IOMemoryDescriptor *dataBuffer, OSAction *completion, uint32_t completionTimeoutMs) {
    if (!open_by_someone(ivars))
        return kIOReturnNotOpen;
    return ivars->device->netdext_async_request(
        this, IOUSBDeviceRequest{bmRequestType, bRequest, wValue, wIndex, wLength}, dataBuffer,
        completion, completionTimeoutMs);
}

kern_return_t IOUSBHostInterface::DeviceRequest(uint8_t bmRequestType, uint8_t bRequest,
                                                uint16_t wValue, uint16_t wIndex, uint16_t wLength,
                                                IOMemoryDescriptor *dataBuffer,
                                                uint16_t *bytesTransferred,
                                                uint32_t completionTimeoutMs) {
    if (!open_by_someone(ivars))
        return kIOReturnNotOpen;
    return ivars->device->netdext_request(
        IOUSBDeviceRequest{bmRequestType, bRequest, wValue, wIndex, wLength}, dataBuffer,
        bytesTransferred, completionTimeoutMs);
}

kern_return_t IOUSBHostInterface::AbortDeviceRequests(IOOptionBits, IOReturn withError) {
    if (!open_by_someone(ivars))
        return kIOReturnNotOpen;
    ivars->device->netdext_abort_requests(this, withError);
    return kIOReturnSuccess;
}
