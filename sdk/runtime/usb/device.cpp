// IOUSBHostDevice: enumeration, sessions, control requests, configurations and interfaces.
//
// Ownership: the device holds its backend and the interfaces of its current configuration
// (retained; each interface retains the device back). The cycle is broken when the configuration
// changes and in netdext_terminate(), which the system calls when the device goes away.

#include <USBDriverKit/IOUSBHostDevice.h>
#include <USBDriverKit/IOUSBHostInterface.h>
#include <USBDriverKit/AppleUSBDescriptorParsing.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>
#include <netdext/time_source.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "../internal.h"
#include "../provider_support.h"
#include "usb_internal.h"

using netdext::usb::DataBuffer;
using netdext::usb::DeviceBackend;
using netdext::usb::Transfer;
using netdext::usb::TransferPtr;

struct IOUSBHostDevice_IVars {
    std::mutex mutex;
    std::shared_ptr<DeviceBackend> backend;
    std::shared_ptr<netdext::ServiceLink<IOUSBHostDevice>> link;
    std::vector<uint8_t> device_descriptor;
    std::vector<std::vector<uint8_t>> configurations; // by index
    std::vector<uint8_t> bos;
    uint8_t configuration = 0;                       // bConfigurationValue; 0: unconfigured
    std::vector<IOUSBHostInterface *> interfaces;    // retained
    IOService *client = nullptr;                     // the session's client (not retained)
    struct Iterator {
        std::vector<IOUSBHostInterface *> interfaces; // retained
        size_t next = 0;
    };
    std::map<uintptr_t, Iterator> iterators;
    uintptr_t next_iterator = 1;
    netdext::usb::InFlight requests;
    bool terminated = false;
    uint64_t attached_ns = 0;
};

NETDEXT_DEFINE_CLASS(IOUSBHostDevice, IOService, nullptr, 0)

namespace {

IOUSBDeviceRequest make_request(uint8_t type, uint8_t request, uint16_t value, uint16_t index,
                                uint16_t length) {
    return IOUSBDeviceRequest{type, request, value, index, length};
}

// GET_DESCRIPTOR (USB 2.0 §9.4.3) into `out`: `length` bytes at most.
IOReturn get_descriptor(IOUSBHostDevice *device, uint8_t type, uint8_t index, uint16_t language,
                        uint8_t request_type, uint8_t recipient, uint16_t length,
                        std::vector<uint8_t> &out) {
    out.assign(length, 0);
    uint8_t bm = USBmakebmRequestType(kIOUSBDeviceRequestDirectionValueIn, request_type, recipient);
    uint32_t got = 0;
    IOReturn kr = device->netdext_control(
        make_request(bm, kIOUSBDeviceRequestGetDescriptor, uint16_t((type << 8) | index), language,
                     length),
        out.data(), &got);
    out.resize(kr == kIOReturnSuccess ? got : 0);
    return kr;
}

// A descriptor whose total length is in its bytes 2-3 (configuration, BOS): header, then whole.
IOReturn get_total_descriptor(IOUSBHostDevice *device, uint8_t type, uint8_t index,
                              uint16_t header_length, std::vector<uint8_t> &out) {
    IOReturn kr = get_descriptor(device, type, index, 0, kIOUSBDeviceRequestTypeValueStandard,
                                 kIOUSBDeviceRequestRecipientValueDevice, header_length, out);
    if (kr != kIOReturnSuccess)
        return kr;
    if (out.size() < 4 || out[1] != type)
        return kIOReturnDeviceError;
    uint16_t total = uint16_t(out[2] | (out[3] << 8));
    if (total < out[0])
        return kIOReturnDeviceError;
    kr = get_descriptor(device, type, index, 0, kIOUSBDeviceRequestTypeValueStandard,
                        kIOUSBDeviceRequestRecipientValueDevice, total, out);
    if (kr == kIOReturnSuccess && out.size() != total)
        return kIOReturnDeviceError;
    return kr;
}

// A control transfer for `request` with its data stage at `data`.
TransferPtr control_transfer(const IOUSBDeviceRequest &request, uint8_t *data) {
    auto transfer = std::make_shared<Transfer>();
    transfer->type = kIOUSBEndpointTypeControl;
    transfer->setup = {request.bmRequestType, request.bRequest, request.wValue, request.wIndex,
                       request.wLength};
    transfer->data = data;
    transfer->length = request.wLength;
    return transfer;
}

// The same with the data stage in `memory` (through `buffer`, which must outlive the transfer).
IOReturn control_transfer(const IOUSBDeviceRequest &request, IOMemoryDescriptor *memory,
                          std::shared_ptr<DataBuffer> &buffer, TransferPtr &transfer) {
    IOReturn kr = DataBuffer::create(memory, request.wLength,
                                     netdext::usb::request_is_in(request.bmRequestType), buffer);
    if (kr == kIOReturnSuccess)
        transfer = control_transfer(request, buffer->data());
    return kr;
}

void release_all(std::vector<IOUSBHostInterface *> &interfaces, IOReturn status) {
    for (IOUSBHostInterface *interface : interfaces) {
        interface->netdext_terminate(status);
        interface->release();
    }
    interfaces.clear();
}

} // namespace

kern_return_t IOUSBHostDevice::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return IOService::_Dispatch(object, rpc);
}

bool IOUSBHostDevice::init() {
    if (!IOService::init())
        return false;
    ivars = new IOUSBHostDevice_IVars;
    ivars->link = std::make_shared<netdext::ServiceLink<IOUSBHostDevice>>(this);
    return true;
}

void IOUSBHostDevice::free() {
    if (ivars != nullptr) {
        ivars->link->clear();
        if (ivars->backend)
            ivars->backend->set_removal_handler(nullptr);
        release_all(ivars->interfaces, kIOReturnNoDevice);
        for (auto &[ref, iterator] : ivars->iterators)
            for (IOUSBHostInterface *interface : iterator.interfaces)
                interface->release();
        delete ivars;
        ivars = nullptr;
    }
    IOService::free();
}

// ---- the system's side -----------------------------------------------------------------------

kern_return_t IOUSBHostDevice::netdext_create(std::shared_ptr<DeviceBackend> backend,
                                              IOUSBHostDevice **device) {
    if (!backend || device == nullptr)
        return kIOReturnBadArgument;
    *device = nullptr;
    auto *created = netdext::new_object<IOUSBHostDevice>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    created->ivars->backend = backend;
    created->ivars->attached_ns = netdext::time_source().now_ns(netdext::ClockDomain::uptime);
    auto fail = [created](IOReturn kr) {
        created->release();
        return kr;
    };
    // Enumeration, as a host controller driver does: device, configurations, BOS.
    std::vector<uint8_t> bytes;
    IOReturn kr = get_descriptor(created, kIOUSBDescriptorTypeDevice, 0, 0,
                                 kIOUSBDeviceRequestTypeValueStandard,
                                 kIOUSBDeviceRequestRecipientValueDevice,
                                 kIOUSBDescriptorSizeDevice, bytes);
    if (kr != kIOReturnSuccess || bytes.size() != kIOUSBDescriptorSizeDevice ||
        bytes[1] != kIOUSBDescriptorTypeDevice) {
        netdext::log_linef(netdext::LogLevel::error,
                           "IOUSBHostDevice: the device did not answer GET_DESCRIPTOR(device)");
        return fail(kIOReturnNoDevice);
    }
    created->ivars->device_descriptor = bytes;
    IOUSBDeviceDescriptor dd;
    std::memcpy(&dd, bytes.data(), sizeof dd);
    for (uint8_t i = 0; i < dd.bNumConfigurations; ++i) {
        kr = get_total_descriptor(created, kIOUSBDescriptorTypeConfiguration, i,
                                  kIOUSBDescriptorSizeConfiguration, bytes);
        if (kr != kIOReturnSuccess) {
            netdext::log_linef(netdext::LogLevel::error,
                               "IOUSBHostDevice: configuration descriptor %u unreadable (0x%x)",
                               unsigned(i), unsigned(kr));
            return fail(kIOReturnNoDevice);
        }
        created->ivars->configurations.push_back(bytes);
    }
    if (USBToHost16(dd.bcdUSB) >= 0x0201 &&
        get_total_descriptor(created, kIOUSBDescriptorTypeBOS, 0, sizeof(IOUSBBOSDescriptor),
                             bytes) == kIOReturnSuccess)
        created->ivars->bos = bytes;

    // IOUSBHostFamily's registry properties, which matching reads.
    netdext::set_number_property(created, kUSBHostMatchingPropertyVendorID, USBToHost16(dd.idVendor), 16);
    netdext::set_number_property(created, kUSBHostMatchingPropertyProductID, USBToHost16(dd.idProduct), 16);
    netdext::set_number_property(created, kUSBHostMatchingPropertyDeviceReleaseNumber, USBToHost16(dd.bcdDevice), 16);
    netdext::set_number_property(created, kUSBHostMatchingPropertyDeviceClass, dd.bDeviceClass, 8);
    netdext::set_number_property(created, kUSBHostMatchingPropertyDeviceSubClass, dd.bDeviceSubClass, 8);
    netdext::set_number_property(created, kUSBHostMatchingPropertyDeviceProtocol, dd.bDeviceProtocol, 8);
    netdext::set_number_property(created, "bcdUSB", USBToHost16(dd.bcdUSB), 16);
    netdext::set_number_property(created, "bNumConfigurations", dd.bNumConfigurations, 8);
    netdext::set_number_property(created, kUSBHostMatchingPropertySpeed, backend->speed(), 8);
    netdext::set_number_property(created, kUSBHostPropertyLocationID, backend->location_id(), 32);
    netdext::set_number_property(created, "USB Address", backend->address(), 8);
    created->SetName("IOUSBHostDevice");

    std::weak_ptr<netdext::ServiceLink<IOUSBHostDevice>> weak = created->ivars->link;
    backend->set_removal_handler([weak] {
        auto link = weak.lock();
        IOUSBHostDevice *alive = link ? link->retain_service() : nullptr;
        if (alive != nullptr) {
            alive->netdext_terminate();
            alive->release();
        }
    });
    kr = created->Start(nullptr);
    if (kr != kIOReturnSuccess)
        return fail(kr);
    *device = created;
    return kIOReturnSuccess;
}

void IOUSBHostDevice::netdext_terminate() {
    std::vector<IOUSBHostInterface *> interfaces;
    {
        std::lock_guard lock(ivars->mutex);
        ivars->terminated = true;
        interfaces.swap(ivars->interfaces);
        ivars->configuration = 0;
    }
    netdext_abort_requests(nullptr, kIOReturnAborted);
    release_all(interfaces, kIOReturnNoDevice);
}

bool IOUSBHostDevice::netdext_terminated() const {
    std::lock_guard lock(ivars->mutex);
    return ivars->terminated || (ivars->backend && ivars->backend->removed());
}

const std::shared_ptr<DeviceBackend> &IOUSBHostDevice::netdext_backend() const {
    return ivars->backend;
}

const IOUSBDeviceDescriptor &IOUSBHostDevice::netdext_device_descriptor() const {
    return *reinterpret_cast<const IOUSBDeviceDescriptor *>(ivars->device_descriptor.data());
}

uint32_t IOUSBHostDevice::netdext_interface_count() const {
    std::lock_guard lock(ivars->mutex);
    return uint32_t(ivars->interfaces.size());
}

IOUSBHostInterface *IOUSBHostDevice::netdext_interface(uint32_t index) const {
    std::lock_guard lock(ivars->mutex);
    return index < ivars->interfaces.size() ? ivars->interfaces[index] : nullptr;
}

IOReturn IOUSBHostDevice::netdext_control(const IOUSBDeviceRequest &request, void *data,
                                          uint32_t *transferred) {
    return netdext::usb::run_and_wait(*ivars->backend,
                                      control_transfer(request, static_cast<uint8_t *>(data)),
                                      kUSBHostDefaultControlCompletionTimeoutMS, transferred);
}

kern_return_t IOUSBHostDevice::netdext_async_request(const void *owner,
                                                     const IOUSBDeviceRequest &request,
                                                     IOMemoryDescriptor *dataBuffer,
                                                     OSAction *completion,
                                                     uint32_t completionTimeoutMs) {
    if (completion == nullptr)
        return kIOReturnBadArgument;
    if (netdext_terminated())
        return kIOReturnNoDevice;
    std::shared_ptr<DataBuffer> buffer;
    TransferPtr transfer;
    IOReturn kr = control_transfer(request, dataBuffer, buffer, transfer);
    if (kr != kIOReturnSuccess)
        return kr;
    retain();
    completion->retain();
    IOUSBHostDevice *self = this;
    Transfer *raw = transfer.get();
    transfer->complete = [self, completion, buffer, raw](IOReturn status, uint32_t count) {
        buffer->finish(count);
        self->ivars->requests.remove(raw);
        // CompleteAsyncDeviceRequest(OSAction *action, IOReturn status, uint32_t bytesTransferred)
        completion->netdext_send(nullptr, [self, completion] {
            completion->release();
            self->release();
        }, IOReturn(status), uint32_t(count));
    };
    ivars->requests.add(owner, transfer);
    kr = ivars->backend->submit(transfer);
    if (kr != kIOReturnSuccess) {
        ivars->requests.remove(raw);
        completion->release();
        release();
        return kr;
    }
    netdext::usb::cancel_after(ivars->backend, transfer, completionTimeoutMs);
    return kr;
}

kern_return_t IOUSBHostDevice::netdext_request(const IOUSBDeviceRequest &request,
                                               IOMemoryDescriptor *dataBuffer,
                                               uint16_t *bytesTransferred,
                                               uint32_t completionTimeoutMs) {
    if (netdext_terminated())
        return kIOReturnNoDevice;
    std::shared_ptr<DataBuffer> buffer;
    TransferPtr transfer;
    IOReturn kr = control_transfer(request, dataBuffer, buffer, transfer);
    if (kr != kIOReturnSuccess)
        return kr;
    uint32_t count = 0;
    kr = netdext::usb::run_and_wait(*ivars->backend, transfer, completionTimeoutMs, &count);
    buffer->finish(count);
    if (bytesTransferred != nullptr)
        *bytesTransferred = uint16_t(count);
    return kr;
}

void IOUSBHostDevice::netdext_abort_requests(const void *owner, IOReturn status) {
    for (const TransferPtr &transfer : ivars->requests.take(owner))
        ivars->backend->cancel(transfer, status);
}

// ---- entry points -----------------------------------------------------------------------------

kern_return_t IOUSBHostDevice::Open(IOService *forClient, IOOptionBits options, uintptr_t arg,
                                    OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Open_Impl(forClient, options, arg);
    return netdext::call_super<kern_return_t, IOService *, IOOptionBits, uintptr_t>(
        this, netdext::method_id("Open"), supermethod, forClient, options, arg);
}

kern_return_t IOUSBHostDevice::Close(IOService *forClient, IOOptionBits options,
                                     OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Close_Impl(forClient, options);
    return netdext::call_super<kern_return_t, IOService *, IOOptionBits>(
        this, netdext::method_id("Close"), supermethod, forClient, options);
}

kern_return_t IOUSBHostDevice::CreateIOBuffer(IOOptionBits options, uint64_t capacity,
                                              IOBufferMemoryDescriptor **buffer,
                                              OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CreateIOBuffer_Impl(options, capacity, buffer);
    return netdext::call_super<kern_return_t, IOOptionBits, uint64_t, IOBufferMemoryDescriptor **>(
        this, netdext::method_id("CreateIOBuffer"), supermethod, options, capacity, buffer);
}

kern_return_t IOUSBHostDevice::AsyncDeviceRequest(IOService *forClient, uint8_t bmRequestType,
                                                  uint8_t bRequest, uint16_t wValue,
                                                  uint16_t wIndex, uint16_t wLength,
                                                  IOMemoryDescriptor *dataBuffer,
                                                  OSAction *completion,
                                                  uint32_t completionTimeoutMs,
                                                  OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return AsyncDeviceRequest_Impl(forClient, bmRequestType, bRequest, wValue, wIndex, wLength,
                                       dataBuffer, completion, completionTimeoutMs);
    return netdext::call_super<kern_return_t, IOService *, uint8_t, uint8_t, uint16_t, uint16_t,
                               uint16_t, IOMemoryDescriptor *, OSAction *, uint32_t>(
        this, netdext::method_id("AsyncDeviceRequest"), supermethod, forClient, bmRequestType,
        bRequest, wValue, wIndex, wLength, dataBuffer, completion, completionTimeoutMs);
}

kern_return_t IOUSBHostDevice::DeviceRequest(IOService *forClient, uint8_t bmRequestType,
                                             uint8_t bRequest, uint16_t wValue, uint16_t wIndex,
                                             uint16_t wLength, IOMemoryDescriptor *dataBuffer,
                                             uint16_t *bytesTransferred,
                                             uint32_t completionTimeoutMs,
                                             OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return DeviceRequest_Impl(forClient, bmRequestType, bRequest, wValue, wIndex, wLength,
                                  dataBuffer, bytesTransferred, completionTimeoutMs);
    return netdext::call_super<kern_return_t, IOService *, uint8_t, uint8_t, uint16_t, uint16_t,
                               uint16_t, IOMemoryDescriptor *, uint16_t *, uint32_t>(
        this, netdext::method_id("DeviceRequest"), supermethod, forClient, bmRequestType,
        bRequest, wValue, wIndex, wLength, dataBuffer, bytesTransferred, completionTimeoutMs);
}

kern_return_t IOUSBHostDevice::AbortDeviceRequests(IOService *forClient, IOOptionBits options,
                                                   IOReturn withError,
                                                   OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return AbortDeviceRequests_Impl(forClient, options, withError);
    return netdext::call_super<kern_return_t, IOService *, IOOptionBits, IOReturn>(
        this, netdext::method_id("AbortDeviceRequests"), supermethod, forClient, options,
        withError);
}

kern_return_t IOUSBHostDevice::SetConfiguration(uint8_t bConfigurationValue, bool matchInterfaces,
                                                OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetConfiguration_Impl(bConfigurationValue, matchInterfaces);
    return netdext::call_super<kern_return_t, uint8_t, bool>(
        this, netdext::method_id("SetConfiguration"), supermethod, bConfigurationValue,
        matchInterfaces);
}

kern_return_t IOUSBHostDevice::GetAddress(uint8_t *address, OSDispatchMethod supermethod) const {
    if (supermethod == nullptr)
        return GetAddress_Impl(address);
    return netdext::call_super<kern_return_t, uint8_t *>(const_cast<IOUSBHostDevice *>(this),
                                                         netdext::method_id("GetAddress"),
                                                         supermethod, address);
}

kern_return_t IOUSBHostDevice::GetSpeed(uint8_t *speed, OSDispatchMethod supermethod) const {
    if (supermethod == nullptr)
        return GetSpeed_Impl(speed);
    return netdext::call_super<kern_return_t, uint8_t *>(const_cast<IOUSBHostDevice *>(this),
                                                         netdext::method_id("GetSpeed"),
                                                         supermethod, speed);
}

kern_return_t IOUSBHostDevice::GetFrameNumber(uint64_t *frameNumber, uint64_t *theTime,
                                              OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetFrameNumber_Impl(frameNumber, theTime);
    return netdext::call_super<kern_return_t, uint64_t *, uint64_t *>(
        this, netdext::method_id("GetFrameNumber"), supermethod, frameNumber, theTime);
}

kern_return_t IOUSBHostDevice::GetPortStatus(uint32_t *portStatus, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetPortStatus_Impl(portStatus);
    return netdext::call_super<kern_return_t, uint32_t *>(
        this, netdext::method_id("GetPortStatus"), supermethod, portStatus);
}

kern_return_t IOUSBHostDevice::Reset(OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Reset_Impl();
    return netdext::call_super<kern_return_t>(this, netdext::method_id("Reset"), supermethod);
}

kern_return_t IOUSBHostDevice::CreateInterfaceIterator(uintptr_t *ref,
                                                       OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CreateInterfaceIterator_Impl(ref);
    return netdext::call_super<kern_return_t, uintptr_t *>(
        this, netdext::method_id("CreateInterfaceIterator"), supermethod, ref);
}

kern_return_t IOUSBHostDevice::DestroyInterfaceIterator(uintptr_t ref,
                                                        OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return DestroyInterfaceIterator_Impl(ref);
    return netdext::call_super<kern_return_t, uintptr_t>(
        this, netdext::method_id("DestroyInterfaceIterator"), supermethod, ref);
}

kern_return_t IOUSBHostDevice::CopyInterface(uintptr_t ref, IOUSBHostInterface **interface,
                                             OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return CopyInterface_Impl(ref, interface);
    return netdext::call_super<kern_return_t, uintptr_t, IOUSBHostInterface **>(
        this, netdext::method_id("CopyInterface"), supermethod, ref, interface);
}

// ---- implementations --------------------------------------------------------------------------

kern_return_t IOUSBHostDevice::Open_Impl(IOService *forClient, IOOptionBits, uintptr_t) {
    if (forClient == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    if (ivars->terminated)
        return kIOReturnNoDevice;
    if (ivars->client != nullptr && ivars->client != forClient)
        return kIOReturnExclusiveAccess;
    ivars->client = forClient;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostDevice::Close_Impl(IOService *forClient, IOOptionBits) {
    {
        std::lock_guard lock(ivars->mutex);
        if (forClient == nullptr || ivars->client != forClient)
            return kIOReturnNotOpen;
        ivars->client = nullptr;
    }
    netdext_abort_requests(forClient, kIOReturnAborted);
    return kIOReturnSuccess;
}

// Whether `client` holds the session (the caller's check for session-only calls).
static bool has_session(IOUSBHostDevice_IVars *ivars, IOService *client) {
    std::lock_guard lock(ivars->mutex);
    return client != nullptr && ivars->client == client;
}

kern_return_t IOUSBHostDevice::CopyDescriptor(uint8_t type, uint16_t *length, uint8_t index,
                                              uint16_t languageID, uint8_t requestType,
                                              uint8_t requestRecipient, uint8_t *descriptor) {
    if (length == nullptr || descriptor == nullptr || *length == 0)
        return kIOReturnBadArgument;
    if (netdext_terminated())
        return kIOReturnNoDevice;
    std::vector<uint8_t> bytes;
    IOReturn kr = get_descriptor(this, type, index, languageID, requestType, requestRecipient,
                                 *length, bytes);
    if (kr != kIOReturnSuccess)
        return kr;
    std::memcpy(descriptor, bytes.data(), bytes.size());
    *length = uint16_t(bytes.size());
    return kIOReturnSuccess;
}

const IOUSBDeviceDescriptor *IOUSBHostDevice::CopyDeviceDescriptor(void) {
    if (netdext_terminated())
        return nullptr;
    return static_cast<const IOUSBDeviceDescriptor *>(
        netdext::usb::copy_descriptor(ivars->device_descriptor));
}

const IOUSBConfigurationDescriptor *IOUSBHostDevice::CopyConfigurationDescriptor(uint8_t index) {
    if (netdext_terminated() || index >= ivars->configurations.size())
        return nullptr;
    return static_cast<const IOUSBConfigurationDescriptor *>(
        netdext::usb::copy_descriptor(ivars->configurations[index]));
}

const IOUSBConfigurationDescriptor *
IOUSBHostDevice::CopyConfigurationDescriptorWithValue(uint8_t bConfigurationValue) {
    if (netdext_terminated())
        return nullptr;
    for (const auto &bytes : ivars->configurations)
        if (bytes.size() >= kIOUSBDescriptorSizeConfiguration && bytes[5] == bConfigurationValue)
            return static_cast<const IOUSBConfigurationDescriptor *>(
                netdext::usb::copy_descriptor(bytes));
    return nullptr;
}

const IOUSBConfigurationDescriptor *IOUSBHostDevice::CopyConfigurationDescriptor(IOService *) {
    uint8_t value;
    {
        std::lock_guard lock(ivars->mutex);
        value = ivars->configuration;
    }
    return value == 0 ? nullptr : CopyConfigurationDescriptorWithValue(value);
}

const IOUSBBOSDescriptor *IOUSBHostDevice::CopyCapabilityDescriptors(void) {
    if (netdext_terminated())
        return nullptr;
    return static_cast<const IOUSBBOSDescriptor *>(netdext::usb::copy_descriptor(ivars->bos));
}

const IOUSBStringDescriptor *IOUSBHostDevice::CopyStringDescriptor(uint8_t index,
                                                                    uint16_t languageID) {
    if (netdext_terminated())
        return nullptr;
    std::vector<uint8_t> bytes;
    // Index 0 is the language list; a string has at least its 2-byte header.
    if (get_descriptor(this, kIOUSBDescriptorTypeString, index, index == 0 ? 0 : languageID,
                       kIOUSBDeviceRequestTypeValueStandard,
                       kIOUSBDeviceRequestRecipientValueDevice, 255, bytes) != kIOReturnSuccess ||
        bytes.size() < 2 || bytes[1] != kIOUSBDescriptorTypeString || bytes[0] > bytes.size())
        return nullptr;
    bytes.resize(bytes[0]);
    return static_cast<const IOUSBStringDescriptor *>(netdext::usb::copy_descriptor(bytes));
}

const IOUSBStringDescriptor *IOUSBHostDevice::CopyStringDescriptor(uint8_t index) {
    return CopyStringDescriptor(index, kIOUSBLanguageIDEnglishUS);
}

kern_return_t IOUSBHostDevice::CreateIOBuffer_Impl(IOOptionBits options, uint64_t capacity,
                                                   IOBufferMemoryDescriptor **buffer) {
    if (buffer == nullptr || capacity == 0)
        return kIOReturnBadArgument;
    if (netdext_terminated())
        return kIOReturnNoDevice;
    return IOBufferMemoryDescriptor::Create(options & kIOMemoryDirectionOutIn, capacity, 0, buffer);
}

kern_return_t IOUSBHostDevice::AsyncDeviceRequest_Impl(IOService *forClient, uint8_t bmRequestType,
                                                       uint8_t bRequest, uint16_t wValue,
                                                       uint16_t wIndex, uint16_t wLength,
                                                       IOMemoryDescriptor *dataBuffer,
                                                       OSAction *completion,
                                                       uint32_t completionTimeoutMs) {
    if (!has_session(ivars, forClient))
        return kIOReturnNotOpen;
    return netdext_async_request(forClient,
                                 make_request(bmRequestType, bRequest, wValue, wIndex, wLength),
                                 dataBuffer, completion, completionTimeoutMs);
}

kern_return_t IOUSBHostDevice::DeviceRequest_Impl(IOService *forClient, uint8_t bmRequestType,
                                                  uint8_t bRequest, uint16_t wValue,
                                                  uint16_t wIndex, uint16_t wLength,
                                                  IOMemoryDescriptor *dataBuffer,
                                                  uint16_t *bytesTransferred,
                                                  uint32_t completionTimeoutMs) {
    if (!has_session(ivars, forClient))
        return kIOReturnNotOpen;
    return netdext_request(make_request(bmRequestType, bRequest, wValue, wIndex, wLength),
                           dataBuffer, bytesTransferred, completionTimeoutMs);
}

kern_return_t IOUSBHostDevice::AbortDeviceRequests_Impl(IOService *forClient, IOOptionBits,
                                                        IOReturn withError) {
    if (!has_session(ivars, forClient))
        return kIOReturnNotOpen;
    netdext_abort_requests(forClient, withError);
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostDevice::SetConfiguration_Impl(uint8_t bConfigurationValue, bool) {
    if (netdext_terminated())
        return kIOReturnNoDevice;
    {
        std::lock_guard lock(ivars->mutex);
        if (ivars->client == nullptr)
            return kIOReturnNotOpen; // a client's operation: it needs the session
    }
    const std::vector<uint8_t> *configuration = nullptr;
    for (const auto &bytes : ivars->configurations)
        if (bytes[5] == bConfigurationValue)
            configuration = &bytes;
    if (bConfigurationValue != 0 && configuration == nullptr)
        return kIOReturnBadArgument;
    // USB 2.0 §9.1.1.5: the old configuration's interfaces go away with SET_CONFIGURATION.
    std::vector<IOUSBHostInterface *> old;
    {
        std::lock_guard lock(ivars->mutex);
        old.swap(ivars->interfaces);
        ivars->configuration = 0;
    }
    release_all(old, kIOReturnAborted);
    IOReturn kr = netdext_control(make_request(USBmakebmRequestType(kIOUSBDeviceRequestDirectionValueOut,
                                                                    kIOUSBDeviceRequestTypeValueStandard,
                                                                    kIOUSBDeviceRequestRecipientValueDevice),
                                               kIOUSBDeviceRequestSetConfiguration,
                                               bConfigurationValue, 0, 0),
                                  nullptr, nullptr);
    if (kr != kIOReturnSuccess || configuration == nullptr)
        return kr;
    const auto *cd = reinterpret_cast<const IOUSBConfigurationDescriptor *>(configuration->data());
    std::vector<IOUSBHostInterface *> created;
    for (const IOUSBInterfaceDescriptor *id = IOUSBGetNextInterfaceDescriptor(cd, nullptr);
         id != nullptr;
         id = IOUSBGetNextInterfaceDescriptor(cd, reinterpret_cast<const IOUSBDescriptorHeader *>(id))) {
        bool seen = std::any_of(created.begin(), created.end(), [id](IOUSBHostInterface *i) {
            return i->netdext_interface_number() == id->bInterfaceNumber;
        });
        if (seen)
            continue;
        IOUSBHostInterface *interface = nullptr;
        kr = IOUSBHostInterface::netdext_create(this, cd, id->bInterfaceNumber, &interface);
        if (kr != kIOReturnSuccess) {
            release_all(created, kIOReturnAborted);
            return kr;
        }
        created.push_back(interface);
    }
    std::sort(created.begin(), created.end(), [](IOUSBHostInterface *a, IOUSBHostInterface *b) {
        return a->netdext_interface_number() < b->netdext_interface_number();
    });
    std::lock_guard lock(ivars->mutex);
    ivars->interfaces = std::move(created);
    ivars->configuration = bConfigurationValue;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostDevice::GetAddress_Impl(uint8_t *address) const {
    if (address == nullptr)
        return kIOReturnBadArgument;
    *address = ivars->backend->address();
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostDevice::GetSpeed_Impl(uint8_t *speed) const {
    if (speed == nullptr)
        return kIOReturnBadArgument;
    *speed = ivars->backend->speed();
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostDevice::GetFrameNumber_Impl(uint64_t *frameNumber, uint64_t *theTime) {
    if (frameNumber == nullptr)
        return kIOReturnBadArgument;
    uint64_t now = netdext::time_source().now_ns(netdext::ClockDomain::uptime);
    *frameNumber = (now - ivars->attached_ns) / 1'000'000; // 1 ms frames
    if (theTime != nullptr)
        *theTime = now;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostDevice::GetPortStatus_Impl(uint32_t *portStatus) {
    if (portStatus == nullptr)
        return kIOReturnBadArgument;
    *portStatus = 0;
    return netdext_terminated() ? kIOReturnNoDevice : kIOReturnSuccess;
}

kern_return_t IOUSBHostDevice::Reset_Impl() {
    if (netdext_terminated())
        return kIOReturnNoDevice;
    std::vector<IOUSBHostInterface *> old;
    {
        std::lock_guard lock(ivars->mutex);
        old.swap(ivars->interfaces);
        ivars->configuration = 0;
    }
    release_all(old, kIOReturnAborted);
    netdext_abort_requests(nullptr, kIOReturnAborted);
    return ivars->backend->reset();
}

kern_return_t IOUSBHostDevice::CreateInterfaceIterator_Impl(uintptr_t *ref) {
    if (ref == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    IOUSBHostDevice_IVars::Iterator iterator;
    iterator.interfaces = ivars->interfaces;
    for (IOUSBHostInterface *interface : iterator.interfaces)
        interface->retain();
    *ref = ivars->next_iterator++;
    ivars->iterators.emplace(*ref, std::move(iterator));
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostDevice::DestroyInterfaceIterator_Impl(uintptr_t ref) {
    std::vector<IOUSBHostInterface *> interfaces;
    {
        std::lock_guard lock(ivars->mutex);
        auto it = ivars->iterators.find(ref);
        if (it == ivars->iterators.end())
            return kIOReturnBadArgument;
        interfaces.swap(it->second.interfaces);
        ivars->iterators.erase(it);
    }
    for (IOUSBHostInterface *interface : interfaces)
        interface->release();
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostDevice::CopyInterface_Impl(uintptr_t ref, IOUSBHostInterface **interface) {
    if (interface == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    auto it = ivars->iterators.find(ref);
    if (it == ivars->iterators.end())
        return kIOReturnBadArgument;
    IOUSBHostDevice_IVars::Iterator &iterator = it->second;
    *interface = nullptr;
    if (iterator.next < iterator.interfaces.size()) {
        *interface = iterator.interfaces[iterator.next++];
        (*interface)->retain();
    }
    return kIOReturnSuccess;
}
