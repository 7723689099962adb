/*
 * USBDriverKit/IOUSBHostPipe.h — one endpoint of an opened interface: bulk and interrupt I/O.
 *
 * netdext: the pipe turns each I/O into a transfer on the device's backend
 * (netdext/usb_backend.h): a device model in the test bench or netdext-host, later a real device.
 * Behaviour a driver can rely on (DriverKit's, with netdext's choices where none is documented):
 *  - AsyncIO queues the transfer and returns; CompleteAsyncIO runs later on the queue of the
 *    completion's target method — never inside AsyncIO. Transfers of a pipe complete in order.
 *    The memory descriptor and the action are retained until then.
 *  - IO waits for the transfer (its timeout, if not 0, in real time — as IOSleep; under the test
 *    bench a device model completes at once or when the test feeds it).
 *  - A halted endpoint (kUSBHostReturnPipeStalled) fails every transfer until ClearStall.
 *    ClearStall(true) aborts pending I/O, sends CLEAR_FEATURE(ENDPOINT_HALT) and resets the data
 *    toggle; ClearStall(false) only does the host side.
 *  - Abort completes pending I/O with `withError` (kIOReturnAborted is the usual value);
 *    kIOUSBAbortSynchronous returns once every aborted completion is queued to the driver.
 *  - After the device is removed, pending I/O completes with kIOReturnAborted and new I/O fails
 *    with kIOReturnNoDevice.
 *  - completionTimeoutMs of AsyncIO (0: none): a transfer still pending then is cancelled and
 *    completes with kIOReturnTimeout (measured in real time, also under the virtual clock).
 * Isochronous and bundled I/O are not supported (stubs).
 */
#ifndef _IOKIT_IOUSBHOSTPIPE_H
#define _IOKIT_IOUSBHOSTPIPE_H

#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/IOService.h>
#include <DriverKit/OSAction.h>
#include <USBDriverKit/AppleUSBDefinitions.h>
#include <USBDriverKit/USBDriverKitDefs.h>

#include <memory>

/* The descriptors that describe an endpoint, as GetDescriptors/AdjustPipe pass them. */
struct IOUSBStandardEndpointDescriptors {
    uint16_t bcdUSB;
    IOUSBEndpointDescriptor descriptor;
    IOUSBSuperSpeedEndpointCompanionDescriptor ssCompanionDescriptor;
    IOUSBSuperSpeedPlusIsochronousEndpointCompanionDescriptor sspCompanionDescriptor;
};

enum IOUSBGetEndpointDescriptorOptions {
    kIOUSBGetEndpointDescriptorOriginal = 0,
    kIOUSBGetEndpointDescriptorCurrentPolicy,
};

/* One frame of an isochronous transfer. */
struct IOUSBIsochronousFrame {
    IOReturn status;
    uint32_t requestCount;
    uint32_t completeCount;
    uint32_t reserved;
    uint64_t timeStamp;
} __attribute__((packed));

enum {
    kIOUSBHostPipeBundlingMax = 16,
};

/* Callback IDs (TYPE(IOUSBHostPipe::CompleteAsyncIO) …). CompleteAsyncIO's is Apple's value,
 * which drivers pass to OSAction::Create; the others are netdext's. */
#define IOUSBHostPipe_CompleteAsyncIO_ID 0xc320a3eea932c04aULL
#define IOUSBHostPipe_CompleteAsyncIsochIO_ID netdext::method_id("CompleteAsyncIsochIO")
#define IOUSBHostPipe_CompleteAsyncIOBundled_ID netdext::method_id("CompleteAsyncIOBundled")

class IOUSBHostInterface;
struct IOUSBHostPipe_IVars;
namespace netdext::usb {
class DeviceBackend;
}

class IOUSBHostPipe : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IOUSBHostPipe, OSObject)

    bool init() override;
    void free() override;

    /* The device's speed (tIOUSBHostConnectionSpeed) and bus address. */
    kern_return_t GetSpeed(uint8_t *speed, OSDispatchMethod supermethod = NULL) const;
    kern_return_t GetDeviceAddress(uint8_t *address, OSDispatchMethod supermethod = NULL) const;
    /* Completes pending I/O with withError. options: IOUSBAbortOptions. forClient is accepted
     * and not used (a pipe has one client, its interface's). */
    kern_return_t Abort(IOOptionBits options, kern_return_t withError, IOService *forClient,
                        OSDispatchMethod supermethod = NULL);
    /* Takes new endpoint descriptors (a larger wMaxPacketSize, say); kIOReturnBadArgument if
     * they describe another endpoint. */
    kern_return_t AdjustPipe(const IOUSBStandardEndpointDescriptors *descriptors,
                             OSDispatchMethod supermethod = NULL);
    kern_return_t GetDescriptors(IOUSBStandardEndpointDescriptors *descriptors,
                                 IOUSBGetEndpointDescriptorOptions type,
                                 OSDispatchMethod supermethod = NULL);
    kern_return_t SetIdlePolicy(uint32_t idleTimeoutMs, OSDispatchMethod supermethod = NULL);
    kern_return_t GetIdlePolicy(uint32_t *idleTimeoutMS, OSDispatchMethod supermethod = NULL);
    kern_return_t ClearStall(bool withRequest, OSDispatchMethod supermethod = NULL);
    /* Queues a transfer of the first dataBufferLength bytes of dataBuffer (NULL with length 0:
     * a zero-length packet). kIOReturnBadArgument for a buffer shorter than the length or an
     * action missing; kIOReturnNotOpen once the interface is closed; kIOReturnNoDevice after
     * removal; kUSBHostReturnPipeStalled while halted. */
    kern_return_t AsyncIO(IOMemoryDescriptor *dataBuffer, uint32_t dataBufferLength,
                          OSAction *completion, uint32_t completionTimeoutMs,
                          OSDispatchMethod supermethod = NULL);
    kern_return_t IO(IOMemoryDescriptor *dataBuffer, uint32_t dataBufferLength,
                     uint32_t *bytesTransferred, uint32_t completionTimeoutMs,
                     OSDispatchMethod supermethod = NULL);
    kern_return_t IsochIO(IOMemoryDescriptor *dataBuffer, IOMemoryDescriptor *frameList,
                          uint64_t firstFrameNumber, OSAction *completion,
                          OSDispatchMethod supermethod = NULL) NETDEXT_UNSUPPORTED;
    kern_return_t CreateMemoryDescriptorRing(uint32_t size,
                                             OSDispatchMethod supermethod = NULL) NETDEXT_UNSUPPORTED;
    kern_return_t SetMemoryDescriptor(IOMemoryDescriptor *memoryDescriptor, uint32_t index,
                                      OSDispatchMethod supermethod = NULL) NETDEXT_UNSUPPORTED;
    kern_return_t AsyncIOBundled(uint32_t ioTransferIndex, uint32_t ioTransferCount,
                                 uint32_t *ioTransferAcceptedCount,
                                 const unsigned int *dataBufferLengthArray,
                                 int dataBufferLengthArrayCount, OSAction *completion,
                                 uint32_t completionTimeoutMs,
                                 OSDispatchMethod supermethod = NULL) NETDEXT_UNSUPPORTED;

    /*
     * netdext: a pipe (+1) for `endpoint` of an interface (retained) whose device is behind
     * `backend`. The family calls this from IOUSBHostInterface::CopyPipe.
     */
    static IOUSBHostPipe *netdext_create(IOUSBHostInterface *interface,
                                         const std::shared_ptr<netdext::usb::DeviceBackend> &backend,
                                         const IOUSBStandardEndpointDescriptors &descriptors);
    /* netdext: the endpoint's address; how many transfers are in flight. */
    uint8_t netdext_address() const;
    uint32_t netdext_in_flight() const;
    /* netdext: the interface closed or chose another alternate setting: abort and refuse I/O. */
    void netdext_invalidate(IOReturn status);

protected:
    virtual kern_return_t GetSpeed_Impl(uint8_t *speed) const;
    virtual kern_return_t GetDeviceAddress_Impl(uint8_t *address) const;
    virtual kern_return_t Abort_Impl(IOOptionBits options, kern_return_t withError,
                                     IOService *forClient);
    virtual kern_return_t AdjustPipe_Impl(const IOUSBStandardEndpointDescriptors *descriptors);
    virtual kern_return_t GetDescriptors_Impl(IOUSBStandardEndpointDescriptors *descriptors,
                                              IOUSBGetEndpointDescriptorOptions type);
    virtual kern_return_t SetIdlePolicy_Impl(uint32_t idleTimeoutMs);
    virtual kern_return_t GetIdlePolicy_Impl(uint32_t *idleTimeoutMS);
    virtual kern_return_t ClearStall_Impl(bool withRequest);
    virtual kern_return_t AsyncIO_Impl(IOMemoryDescriptor *dataBuffer, uint32_t dataBufferLength,
                                       OSAction *completion, uint32_t completionTimeoutMs);
    virtual kern_return_t IO_Impl(IOMemoryDescriptor *dataBuffer, uint32_t dataBufferLength,
                                  uint32_t *bytesTransferred, uint32_t completionTimeoutMs);

private:
    IOUSBHostPipe_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOUSBHostPipeMetaClass;

#endif /* _IOKIT_IOUSBHOSTPIPE_H */
