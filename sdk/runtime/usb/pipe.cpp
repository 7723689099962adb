// IOUSBHostPipe: bulk and interrupt transfers on one endpoint, through the device's backend.
//
// Each AsyncIO retains the pipe, the memory and the completion until the backend completes the
// transfer; the completion then goes to the driver's queue (OSAction delivery is always
// asynchronous) and the references are dropped after it ran.

#include <USBDriverKit/AppleUSBDescriptorParsing.h>
#include <USBDriverKit/IOUSBHostInterface.h>
#include <USBDriverKit/IOUSBHostPipe.h>
#include <netdext/iig_support.h>

#include <atomic>
#include <mutex>

#include "../internal.h"
#include "usb_internal.h"

using netdext::usb::DataBuffer;
using netdext::usb::DeviceBackend;
using netdext::usb::Transfer;

struct IOUSBHostPipe_IVars {
    std::mutex mutex;
    IOUSBHostInterface *interface = nullptr; // retained
    std::shared_ptr<DeviceBackend> backend;
    IOUSBStandardEndpointDescriptors original{};
    IOUSBStandardEndpointDescriptors current{};
    uint8_t address = 0;
    uint8_t type = 0;
    IOReturn invalid = kIOReturnSuccess; // otherwise every new I/O fails with it
    bool halted = false;                 // a transfer stalled; until ClearStall
    uint32_t idle_policy = 0;
    std::atomic<uint32_t> in_flight{0};
};

NETDEXT_DEFINE_CLASS(IOUSBHostPipe, OSObject, nullptr, 0)

kern_return_t IOUSBHostPipe::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

bool IOUSBHostPipe::init() {
    if (!OSObject::init())
        return false;
    ivars = new IOUSBHostPipe_IVars;
    return true;
}

void IOUSBHostPipe::free() {
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->interface);
        delete ivars;
        ivars = nullptr;
    }
    OSObject::free();
}

IOUSBHostPipe *IOUSBHostPipe::netdext_create(IOUSBHostInterface *interface,
                                             const std::shared_ptr<DeviceBackend> &backend,
                                             const IOUSBStandardEndpointDescriptors &descriptors) {
    auto *pipe = netdext::new_object<IOUSBHostPipe>();
    if (pipe == nullptr)
        return nullptr;
    interface->retain();
    pipe->ivars->interface = interface;
    pipe->ivars->backend = backend;
    pipe->ivars->original = pipe->ivars->current = descriptors;
    pipe->ivars->address = IOUSBGetEndpointAddress(&descriptors.descriptor);
    pipe->ivars->type = IOUSBGetEndpointType(&descriptors.descriptor);
    return pipe;
}

uint8_t IOUSBHostPipe::netdext_address() const { return ivars->address; }

uint32_t IOUSBHostPipe::netdext_in_flight() const { return ivars->in_flight.load(); }

void IOUSBHostPipe::netdext_invalidate(IOReturn status) {
    {
        std::lock_guard lock(ivars->mutex);
        if (ivars->invalid == kIOReturnSuccess)
            ivars->invalid = status;
    }
    ivars->backend->abort(ivars->address, kIOReturnAborted);
}

// Why a new transfer cannot start, or kIOReturnSuccess.
static IOReturn refusal(IOUSBHostPipe_IVars *ivars) {
    std::lock_guard lock(ivars->mutex);
    if (ivars->backend->removed())
        return kIOReturnNoDevice;
    if (ivars->invalid != kIOReturnSuccess)
        return ivars->invalid;
    if (ivars->halted)
        return kUSBHostReturnPipeStalled;
    return kIOReturnSuccess;
}

// A transfer of the first `length` bytes of `memory` on the pipe's endpoint (through `buffer`,
// which must outlive it), or why the pipe cannot start one.
static IOReturn pipe_transfer(IOUSBHostPipe_IVars *ivars, IOMemoryDescriptor *memory,
                              uint32_t length, std::shared_ptr<DataBuffer> &buffer,
                              netdext::usb::TransferPtr &transfer) {
    if (IOReturn why = refusal(ivars); why != kIOReturnSuccess)
        return why;
    IOReturn kr = DataBuffer::create(memory, length,
                                     (ivars->address & kIOUSBEndpointDescriptorDirectionIn) != 0,
                                     buffer);
    if (kr != kIOReturnSuccess)
        return kr;
    transfer = std::make_shared<Transfer>();
    transfer->endpoint = ivars->address;
    transfer->type = ivars->type;
    transfer->data = buffer->data();
    transfer->length = buffer->length();
    return kIOReturnSuccess;
}

// ---- entry points -----------------------------------------------------------------------------

kern_return_t IOUSBHostPipe::GetSpeed(uint8_t *speed, OSDispatchMethod supermethod) const {
    if (supermethod == nullptr)
        return GetSpeed_Impl(speed);
    return netdext::call_super<kern_return_t, uint8_t *>(const_cast<IOUSBHostPipe *>(this),
                                                         netdext::method_id("GetSpeed"),
                                                         supermethod, speed);
}

kern_return_t IOUSBHostPipe::GetDeviceAddress(uint8_t *address, OSDispatchMethod supermethod) const {
    if (supermethod == nullptr)
        return GetDeviceAddress_Impl(address);
    return netdext::call_super<kern_return_t, uint8_t *>(const_cast<IOUSBHostPipe *>(this),
                                                         netdext::method_id("GetDeviceAddress"),
                                                         supermethod, address);
}

kern_return_t IOUSBHostPipe::Abort(IOOptionBits options, kern_return_t withError,
                                   IOService *forClient, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Abort_Impl(options, withError, forClient);
    return netdext::call_super<kern_return_t, IOOptionBits, kern_return_t, IOService *>(
        this, netdext::method_id("Abort"), supermethod, options, withError, forClient);
}

kern_return_t IOUSBHostPipe::AdjustPipe(const IOUSBStandardEndpointDescriptors *descriptors,
                                        OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return AdjustPipe_Impl(descriptors);
    return netdext::call_super<kern_return_t, const IOUSBStandardEndpointDescriptors *>(
        this, netdext::method_id("AdjustPipe"), supermethod, descriptors);
}

kern_return_t IOUSBHostPipe::GetDescriptors(IOUSBStandardEndpointDescriptors *descriptors,
                                            IOUSBGetEndpointDescriptorOptions type,
                                            OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetDescriptors_Impl(descriptors, type);
    return netdext::call_super<kern_return_t, IOUSBStandardEndpointDescriptors *,
                               IOUSBGetEndpointDescriptorOptions>(
        this, netdext::method_id("GetDescriptors"), supermethod, descriptors, type);
}

kern_return_t IOUSBHostPipe::SetIdlePolicy(uint32_t idleTimeoutMs, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetIdlePolicy_Impl(idleTimeoutMs);
    return netdext::call_super<kern_return_t, uint32_t>(this, netdext::method_id("SetIdlePolicy"),
                                                        supermethod, idleTimeoutMs);
}

kern_return_t IOUSBHostPipe::GetIdlePolicy(uint32_t *idleTimeoutMS, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetIdlePolicy_Impl(idleTimeoutMS);
    return netdext::call_super<kern_return_t, uint32_t *>(
        this, netdext::method_id("GetIdlePolicy"), supermethod, idleTimeoutMS);
}

kern_return_t IOUSBHostPipe::ClearStall(bool withRequest, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return ClearStall_Impl(withRequest);
    return netdext::call_super<kern_return_t, bool>(this, netdext::method_id("ClearStall"),
                                                    supermethod, withRequest);
}

kern_return_t IOUSBHostPipe::AsyncIO(IOMemoryDescriptor *dataBuffer, uint32_t dataBufferLength,
                                     OSAction *completion, uint32_t completionTimeoutMs,
                                     OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return AsyncIO_Impl(dataBuffer, dataBufferLength, completion, completionTimeoutMs);
    return netdext::call_super<kern_return_t, IOMemoryDescriptor *, uint32_t, OSAction *, uint32_t>(
        this, netdext::method_id("AsyncIO"), supermethod, dataBuffer, dataBufferLength,
        completion, completionTimeoutMs);
}

kern_return_t IOUSBHostPipe::IO(IOMemoryDescriptor *dataBuffer, uint32_t dataBufferLength,
                                uint32_t *bytesTransferred, uint32_t completionTimeoutMs,
                                OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return IO_Impl(dataBuffer, dataBufferLength, bytesTransferred, completionTimeoutMs);
    return netdext::call_super<kern_return_t, IOMemoryDescriptor *, uint32_t, uint32_t *, uint32_t>(
        this, netdext::method_id("IO"), supermethod, dataBuffer, dataBufferLength,
        bytesTransferred, completionTimeoutMs);
}

kern_return_t IOUSBHostPipe::IsochIO(IOMemoryDescriptor *, IOMemoryDescriptor *, uint64_t,
                                     OSAction *, OSDispatchMethod) {
    return kIOReturnUnsupported;
}

kern_return_t IOUSBHostPipe::CreateMemoryDescriptorRing(uint32_t, OSDispatchMethod) {
    return kIOReturnUnsupported;
}

kern_return_t IOUSBHostPipe::SetMemoryDescriptor(IOMemoryDescriptor *, uint32_t,
                                                 OSDispatchMethod) {
    return kIOReturnUnsupported;
}

kern_return_t IOUSBHostPipe::AsyncIOBundled(uint32_t, uint32_t, uint32_t *ioTransferAcceptedCount,
                                            const unsigned int *, int, OSAction *, uint32_t,
                                            OSDispatchMethod) {
    if (ioTransferAcceptedCount != nullptr)
        *ioTransferAcceptedCount = 0;
    return kIOReturnUnsupported;
}

// ---- implementations --------------------------------------------------------------------------

kern_return_t IOUSBHostPipe::GetSpeed_Impl(uint8_t *speed) const {
    if (speed == nullptr)
        return kIOReturnBadArgument;
    *speed = ivars->backend->speed();
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostPipe::GetDeviceAddress_Impl(uint8_t *address) const {
    if (address == nullptr)
        return kIOReturnBadArgument;
    *address = ivars->backend->address();
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostPipe::Abort_Impl(IOOptionBits, kern_return_t withError, IOService *) {
    // The backend completes them before abort returns, so both option values are honoured.
    ivars->backend->abort(ivars->address, withError);
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostPipe::AdjustPipe_Impl(const IOUSBStandardEndpointDescriptors *descriptors) {
    if (descriptors == nullptr ||
        IOUSBGetEndpointAddress(&descriptors->descriptor) != ivars->address ||
        IOUSBGetEndpointType(&descriptors->descriptor) != ivars->type)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    ivars->current = *descriptors;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostPipe::GetDescriptors_Impl(IOUSBStandardEndpointDescriptors *descriptors,
                                                 IOUSBGetEndpointDescriptorOptions type) {
    if (descriptors == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *descriptors = type == kIOUSBGetEndpointDescriptorOriginal ? ivars->original : ivars->current;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostPipe::SetIdlePolicy_Impl(uint32_t idleTimeoutMs) {
    std::lock_guard lock(ivars->mutex);
    ivars->idle_policy = idleTimeoutMs;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostPipe::GetIdlePolicy_Impl(uint32_t *idleTimeoutMS) {
    if (idleTimeoutMS == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *idleTimeoutMS = ivars->idle_policy;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostPipe::ClearStall_Impl(bool withRequest) {
    if (ivars->backend->removed())
        return kIOReturnNoDevice;
    ivars->backend->abort(ivars->address, kIOReturnAborted);
    if (withRequest) {
        // USB 2.0 §9.4.1: CLEAR_FEATURE(ENDPOINT_HALT) to the endpoint.
        IOUSBDeviceRequest request{
            USBmakebmRequestType(kIOUSBDeviceRequestDirectionValueOut,
                                 kIOUSBDeviceRequestTypeValueStandard,
                                 kIOUSBDeviceRequestRecipientValueEndpoint),
            kIOUSBDeviceRequestClearFeature, IOUSBEndpointFeatureSelectorStall, ivars->address, 0};
        IOReturn kr = ivars->interface->netdext_device()->netdext_control(request, nullptr, nullptr);
        if (kr != kIOReturnSuccess)
            return kr;
    }
    ivars->backend->reset_endpoint(ivars->address);
    std::lock_guard lock(ivars->mutex);
    ivars->halted = false;
    return kIOReturnSuccess;
}

kern_return_t IOUSBHostPipe::AsyncIO_Impl(IOMemoryDescriptor *dataBuffer, uint32_t dataBufferLength,
                                          OSAction *completion, uint32_t completionTimeoutMs) {
    if (completion == nullptr)
        return kIOReturnBadArgument;
    // DriverKit: interrupt endpoints take no timeout.
    if (ivars->type == kIOUSBEndpointTypeInterrupt && completionTimeoutMs != 0)
        return kIOReturnBadArgument;
    std::shared_ptr<DataBuffer> buffer;
    netdext::usb::TransferPtr transfer;
    IOReturn kr = pipe_transfer(ivars, dataBuffer, dataBufferLength, buffer, transfer);
    if (kr != kIOReturnSuccess)
        return kr;
    retain();
    completion->retain();
    ++ivars->in_flight;
    IOUSBHostPipe *self = this;
    transfer->complete = [self, completion, buffer](IOReturn status, uint32_t count) {
        buffer->finish(count);
        if (status == kUSBHostReturnPipeStalled) {
            std::lock_guard lock(self->ivars->mutex);
            self->ivars->halted = true;
        }
        uint64_t timestamp = netdext::usb::completion_timestamp();
        // CompleteAsyncIO(OSAction *action, IOReturn status, uint32_t actualByteCount,
        //                 uint64_t completionTimestamp)
        completion->netdext_send(nullptr, [self, completion] {
            --self->ivars->in_flight;
            completion->release();
            self->release();
        }, IOReturn(status), uint32_t(count), uint64_t(timestamp));
    };
    kr = ivars->backend->submit(transfer);
    if (kr != kIOReturnSuccess) {
        --ivars->in_flight;
        completion->release();
        release();
        return kr;
    }
    netdext::usb::cancel_after(ivars->backend, transfer, completionTimeoutMs);
    return kr;
}

kern_return_t IOUSBHostPipe::IO_Impl(IOMemoryDescriptor *dataBuffer, uint32_t dataBufferLength,
                                     uint32_t *bytesTransferred, uint32_t completionTimeoutMs) {
    std::shared_ptr<DataBuffer> buffer;
    netdext::usb::TransferPtr transfer;
    IOReturn kr = pipe_transfer(ivars, dataBuffer, dataBufferLength, buffer, transfer);
    if (kr != kIOReturnSuccess)
        return kr;
    uint32_t count = 0;
    ++ivars->in_flight;
    kr = netdext::usb::run_and_wait(*ivars->backend, transfer, completionTimeoutMs, &count);
    --ivars->in_flight;
    buffer->finish(count);
    if (kr == kUSBHostReturnPipeStalled) {
        std::lock_guard lock(ivars->mutex);
        ivars->halted = true;
    }
    if (bytesTransferred != nullptr)
        *bytesTransferred = count;
    return kr;
}
