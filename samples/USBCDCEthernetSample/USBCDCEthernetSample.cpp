//
// USBCDCEthernetSample.cpp — a NetworkingDriverKit driver for CDC-ECM USB Ethernet adapters.
//
// The device (USB CDC 1.2 and its ECM subclass specification 1.2):
//   - the communications interface (our provider) carries the Header, Union and Ethernet
//     Networking functional descriptors — the Union names the data interface, the Ethernet one
//     the string descriptor with the MAC address and the largest frame — and an interrupt IN
//     endpoint for notifications (NETWORK_CONNECTION, CONNECTION_SPEED_CHANGE);
//   - the data interface moves frames in alternate setting 1: one Ethernet frame (no FCS) per
//     bulk transfer, IN for receive, OUT for transmit;
//   - SET_ETHERNET_PACKET_FILTER chooses what the device passes up.
//
// Ownership at each hand-off: a packet dequeued from a submission queue belongs to the driver
// until it is enqueued on a completion queue. Transmit copies the frame into one of eight bulk OUT
// buffers and completes the packet at once; receive keeps eight bulk IN transfers in flight and
// copies each arrived frame into a packet from the RX submission queue.
//
// Errors: a stalled pipe is cleared (ClearStall sends CLEAR_FEATURE(ENDPOINT_HALT)) and the
// transfer tried again; a failed transfer is counted and tried again; a transfer shorter than an
// Ethernet header is a runt and dropped; an aborted one is resubmitted while the interface is up;
// when the device is gone (kIOReturnNoDevice) nothing is resubmitted.
//

#include <DriverKit/IOLib.h>
#include <DriverKit/IOService.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IODataQueueDispatchSource.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <USBDriverKit/USBDriverKit.h>
#include <USBDriverKit/AppleUSBDescriptorParsing.h>
#include <os/log.h>

#include "USBCDCEthernetSample.h"

#define LOG(fmt, ...) os_log(OS_LOG_DEFAULT, "USBCDCEthernetSample - " fmt, ##__VA_ARGS__)

#undef super
#define super IOUserNetworkEthernet

static const uint32_t kRxTransfers = 8;       // bulk IN transfers kept in flight
static const uint32_t kTxTransfers = 8;       // bulk OUT buffers
static const uint32_t kQueueCapacity = 32;    // entries per packet queue
static const uint32_t kPacketCount = 64;
static const uint32_t kBufferSize = 2048;
static const uint32_t kNotificationSize = 16;
static const uint32_t kRequestTimeoutMs = 5000;
static const uint16_t kMinFrame = 14;          // an Ethernet header

// CDC 1.2 §4.5 and ECM 1.2 §5.4, §6.2, §6.3: descriptor subtypes, requests, notifications.
static const uint8_t kCSInterface = 0x24;
static const uint8_t kUnionSubtype = 0x06;
static const uint8_t kEthernetSubtype = 0x0F;
static const uint8_t kSetEthernetPacketFilter = 0x43;
static const uint8_t kNetworkConnection = 0x00;
static const uint8_t kConnectionSpeedChange = 0x2A;
static const uint16_t kPacketTypePromiscuous = 0x01;
static const uint16_t kPacketTypeAllMulticast = 0x02;
static const uint16_t kPacketTypeDirected = 0x04;
static const uint16_t kPacketTypeBroadcast = 0x08;

static const IOUserNetworkMediaType kMediaTypes[] = {
    kIOUserNetworkMediaEthernetAuto,
    kIOUserNetworkMediaEthernet10BaseT | kIOUserNetworkMediaOptionFullDuplex,
    kIOUserNetworkMediaEthernet100BaseTX | kIOUserNetworkMediaOptionFullDuplex,
    kIOUserNetworkMediaEthernet1000BaseT | kIOUserNetworkMediaOptionFullDuplex,
};

struct USBCDCEthernetSample_IVars {
    IODispatchQueue *queue;
    IOUSBHostInterface *control;  // our provider: the communications interface
    IOUSBHostInterface *data;
    IOUSBHostDevice *device;
    IOUSBHostPipe *notifyPipe;
    IOUSBHostPipe *inPipe;
    IOUSBHostPipe *outPipe;
    IOBufferMemoryDescriptor *notifyBuffer;
    OSAction *notifyAction;
    IOBufferMemoryDescriptor *rxBuffer[kRxTransfers];
    OSAction *rxAction[kRxTransfers];
    IOBufferMemoryDescriptor *txBuffer[kTxTransfers];
    OSAction *txAction[kTxTransfers];
    bool txBusy[kTxTransfers];
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txsQueue;
    IOUserNetworkTxCompletionQueue *txcQueue;
    IOUserNetworkRxSubmissionQueue *rxsQueue;
    IOUserNetworkRxCompletionQueue *rxcQueue;
    OSAction *txPacketAction;
    IOUserNetworkMACAddress mac;
    uint8_t controlInterface;
    uint8_t dataInterface;
    uint16_t maxSegmentSize;
    IOUserNetworkMediaType activeMedia;
    bool enabled;
    bool stopping;
    bool promiscuous;
    bool allMulticast;
    bool linkUp;
    uint64_t runts;
    uint64_t rxErrors;
    uint64_t txErrors;
    uint64_t stallsCleared;
};

// The address of an IOBufferMemoryDescriptor's bytes in this process.
static uint8_t *
BufferAddress(IOBufferMemoryDescriptor *buffer)
{
    IOAddressSegment range = {};
    buffer->GetAddressRange(&range);
    return (uint8_t *)range.address;
}

// ECM 1.2 §5.4: the MAC address string is 12 hexadecimal digits (UTF-16LE).
static bool
ParseMACString(const IOUSBStringDescriptor *string, IOUserNetworkMACAddress *mac)
{
    if (string == NULL || string->bLength < 2 + 24) {
        return false;
    }
    for (int i = 0; i < 12; i++) {
        char c = (char)string->bString[2 * i];
        int nibble = (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                   : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
        if (nibble < 0) {
            return false;
        }
        mac->octet[i / 2] = (uint8_t)((i % 2) ? (mac->octet[i / 2] | nibble) : (nibble << 4));
    }
    return true;
}

bool
USBCDCEthernetSample::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(USBCDCEthernetSample_IVars, 1);
    if (ivars == NULL) {
        return false;
    }
    ivars->maxSegmentSize = 1514;
    ivars->activeMedia = kIOUserNetworkMediaEthernetAuto;
    return true;
}

void
USBCDCEthernetSample::free()
{
    IOSafeDeleteNULL(ivars, USBCDCEthernetSample_IVars, 1);
    super::free();
}

// Reads the communications interface's functional descriptors and its notification endpoint.
static kern_return_t
ParseControlInterface(USBCDCEthernetSample_IVars *ivars, const IOUSBConfigurationDescriptor *config,
                      uint8_t *macStringIndex, uint8_t *notifyAddress)
{
    const IOUSBInterfaceDescriptor *ifd = ivars->control->GetInterfaceDescriptor(config);
    if (ifd == NULL) {
        return kIOReturnNotFound;
    }
    ivars->controlInterface = ifd->bInterfaceNumber;
    bool haveUnion = false, haveEthernet = false;
    const IOUSBDescriptorHeader *desc = NULL;
    while ((desc = IOUSBGetNextAssociatedDescriptorWithType(config, (const IOUSBDescriptorHeader *)ifd,
                                                            desc, kCSInterface)) != NULL) {
        const uint8_t *bytes = (const uint8_t *)desc;
        if (bytes[2] == kUnionSubtype && desc->bLength >= 5) {
            ivars->dataInterface = bytes[4];   // bSubordinateInterface0
            haveUnion = true;
        } else if (bytes[2] == kEthernetSubtype && desc->bLength >= 13) {
            *macStringIndex = bytes[3];        // iMACAddress
            ivars->maxSegmentSize = (uint16_t)(bytes[8] | (bytes[9] << 8));
            haveEthernet = true;
        }
    }
    const IOUSBEndpointDescriptor *ed = IOUSBGetNextEndpointDescriptor(config, ifd, NULL);
    if (!haveUnion || !haveEthernet || ed == NULL ||
        IOUSBGetEndpointType(ed) != kIOUSBEndpointTypeInterrupt) {
        return kIOReturnUnsupported;
    }
    *notifyAddress = IOUSBGetEndpointAddress(ed);
    return kIOReturnSuccess;
}

// Finds the data interface, opens it in alternate setting 1 and copies its bulk pipes.
static kern_return_t
OpenDataInterface(USBCDCEthernetSample *self, USBCDCEthernetSample_IVars *ivars,
                  const IOUSBConfigurationDescriptor *config)
{
    uintptr_t iterator = 0;
    IOUSBHostInterface *candidate = NULL;
    kern_return_t ret = ivars->device->CreateInterfaceIterator(&iterator);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    while (ivars->data == NULL && ivars->device->CopyInterface(iterator, &candidate) == kIOReturnSuccess &&
           candidate != NULL) {
        const IOUSBInterfaceDescriptor *ifd = candidate->GetInterfaceDescriptor(config);
        if (ifd != NULL && ifd->bInterfaceNumber == ivars->dataInterface) {
            ivars->data = candidate;
        } else {
            candidate->release();
        }
    }
    ivars->device->DestroyInterfaceIterator(iterator);
    if (ivars->data == NULL) {
        return kIOReturnNotFound;
    }
    ret = ivars->data->Open(self, 0, NULL);
    if (ret == kIOReturnSuccess) {
        ret = ivars->data->SelectAlternateSetting(1);   // ECM 1.2 §3.3: frames flow in setting 1
    }
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    const IOUSBInterfaceDescriptor *ifd = NULL;
    while ((ifd = IOUSBGetNextInterfaceDescriptor(config, (const IOUSBDescriptorHeader *)ifd)) != NULL) {
        if (ifd->bInterfaceNumber != ivars->dataInterface || ifd->bAlternateSetting != 1) {
            continue;
        }
        const IOUSBEndpointDescriptor *ed = NULL;
        while ((ed = IOUSBGetNextEndpointDescriptor(config, ifd, (const IOUSBDescriptorHeader *)ed)) != NULL) {
            if (IOUSBGetEndpointType(ed) != kIOUSBEndpointTypeBulk) {
                continue;
            }
            IOUSBHostPipe **pipe = IOUSBGetEndpointDirection(ed) == kIOUSBEndpointDirectionIn
                                   ? &ivars->inPipe : &ivars->outPipe;
            ret = ivars->data->CopyPipe(IOUSBGetEndpointAddress(ed), pipe);
            if (ret != kIOReturnSuccess) {
                return ret;
            }
        }
    }
    return ivars->inPipe != NULL && ivars->outPipe != NULL ? kIOReturnSuccess : kIOReturnNotFound;
}

// SET_ETHERNET_PACKET_FILTER for the current modes (ECM 1.2 §6.2.4).
static kern_return_t
SetPacketFilter(USBCDCEthernetSample_IVars *ivars)
{
    uint16_t filter = kPacketTypeDirected | kPacketTypeBroadcast;
    // The adapter may have no multicast filters: all-multicast lets IPv6 neighbour discovery in.
    filter |= kPacketTypeAllMulticast;
    if (ivars->promiscuous) {
        filter |= kPacketTypePromiscuous;
    }
    uint16_t transferred = 0;
    return ivars->control->DeviceRequest(
        USBmakebmRequestType(kIOUSBDeviceRequestDirectionValueOut, kIOUSBDeviceRequestTypeValueClass,
                             kIOUSBDeviceRequestRecipientValueInterface),
        kSetEthernetPacketFilter, filter, ivars->controlInterface, 0, NULL, &transferred,
        kRequestTimeoutMs);
}

static void
SubmitRead(USBCDCEthernetSample_IVars *ivars, uint32_t index)
{
    kern_return_t ret = ivars->inPipe->AsyncIO(ivars->rxBuffer[index], kBufferSize,
                                               ivars->rxAction[index], 0);
    if (ret == kUSBHostReturnPipeStalled) {
        ivars->stallsCleared++;
        ivars->inPipe->ClearStall(true);
        ret = ivars->inPipe->AsyncIO(ivars->rxBuffer[index], kBufferSize, ivars->rxAction[index], 0);
    }
    if (ret != kIOReturnSuccess && ret != kIOReturnNoDevice) {
        LOG("bulk IN submit failed 0x%08x", ret);
    }
}

static void
SubmitNotificationRead(USBCDCEthernetSample_IVars *ivars)
{
    kern_return_t ret = ivars->notifyPipe->AsyncIO(ivars->notifyBuffer, kNotificationSize,
                                                   ivars->notifyAction, 0);
    if (ret != kIOReturnSuccess && ret != kIOReturnNoDevice) {
        LOG("interrupt IN submit failed 0x%08x", ret);
    }
}

kern_return_t
IMPL(USBCDCEthernetSample, Start)
{
    kern_return_t ret;
    const IOUSBConfigurationDescriptor *config = NULL;
    const IOUSBStringDescriptor *macString = NULL;
    uint8_t macStringIndex = 0, notifyAddress = 0;
    bool macOK = false;
    IODataQueueDispatchSource *dataQueue = NULL;
    IOUserNetworkPacketQueue *queues[4];
    IOUserNetworkPacketBufferPoolOptions poolOptions = {};

    ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ivars->control = OSDynamicCast(IOUSBHostInterface, provider);
    if (ivars->control == NULL) {
        ret = kIOReturnNoDevice;
        goto fail;
    }
    ivars->control->retain();
    ret = ivars->control->Open(this, 0, NULL);
    if (ret == kIOReturnSuccess) ret = ivars->control->CopyDevice(&ivars->device);
    if (ret == kIOReturnSuccess) ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->queue);
    if (ret != kIOReturnSuccess)
        goto fail;

    config = ivars->control->CopyConfigurationDescriptor();
    if (config == NULL) {
        ret = kIOReturnNotFound;
        goto fail;
    }
    ret = ParseControlInterface(ivars, config, &macStringIndex, &notifyAddress);
    if (ret == kIOReturnSuccess) ret = ivars->control->CopyPipe(notifyAddress, &ivars->notifyPipe);
    if (ret == kIOReturnSuccess) ret = OpenDataInterface(this, ivars, config);
    IOUSBHostFreeDescriptor(config);
    if (ret != kIOReturnSuccess) {
        LOG("not a CDC-ECM function this driver can use (0x%08x)", ret);
        goto fail;
    }

    macString = ivars->device->CopyStringDescriptor(macStringIndex);
    macOK = ParseMACString(macString, &ivars->mac);
    IOUSBHostFreeDescriptor(macString);
    if (!macOK) {
        LOG("the iMACAddress string is not 12 hex digits");
        ret = kIOReturnDeviceError;
        goto fail;
    }

    // Transfer buffers, each with its own completion action that knows its index.
    ret = ivars->control->CreateIOBuffer(kIOMemoryDirectionIn, kNotificationSize, &ivars->notifyBuffer);
    if (ret == kIOReturnSuccess) ret = CreateActionNotificationComplete(0, &ivars->notifyAction);
    for (uint32_t i = 0; ret == kIOReturnSuccess && i < kRxTransfers; i++) {
        ret = ivars->data->CreateIOBuffer(kIOMemoryDirectionIn, kBufferSize, &ivars->rxBuffer[i]);
        if (ret == kIOReturnSuccess) ret = CreateActionReadComplete(sizeof(uint32_t), &ivars->rxAction[i]);
        if (ret == kIOReturnSuccess) *(uint32_t *)ivars->rxAction[i]->GetReference() = i;
    }
    for (uint32_t i = 0; ret == kIOReturnSuccess && i < kTxTransfers; i++) {
        ret = ivars->data->CreateIOBuffer(kIOMemoryDirectionOut, kBufferSize, &ivars->txBuffer[i]);
        if (ret == kIOReturnSuccess) ret = CreateActionWriteComplete(sizeof(uint32_t), &ivars->txAction[i]);
        if (ret == kIOReturnSuccess) *(uint32_t *)ivars->txAction[i]->GetReference() = i;
    }
    if (ret != kIOReturnSuccess)
        goto fail;

    poolOptions.packetCount = kPacketCount;
    poolOptions.bufferCount = kPacketCount;
    poolOptions.bufferSize = kBufferSize;
    poolOptions.maxBuffersPerPacket = 1;
    poolOptions.poolFlags = PoolFlagMapToDext;
    ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "USBCDCEthernetSample", &poolOptions,
                                                           &ivars->pool);
    if (ret == kIOReturnSuccess) ret = CreateActionTxPacketAvailable(0, &ivars->txPacketAction);
    if (ret == kIOReturnSuccess)
        ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0, ivars->queue,
                                                     &ivars->txsQueue);
    if (ret == kIOReturnSuccess) ret = ivars->txsQueue->CopyDataQueue(&dataQueue);
    if (ret == kIOReturnSuccess) ret = dataQueue->SetDataAvailableHandler(ivars->txPacketAction);
    OSSafeReleaseNULL(dataQueue);
    if (ret == kIOReturnSuccess)
        ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0, ivars->queue,
                                                     &ivars->txcQueue);
    if (ret == kIOReturnSuccess)
        ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0, ivars->queue,
                                                     &ivars->rxsQueue);
    if (ret == kIOReturnSuccess)
        ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0, ivars->queue,
                                                     &ivars->rxcQueue);
    if (ret == kIOReturnSuccess)
        ret = ReportAvailableMediaTypes(kMediaTypes, sizeof(kMediaTypes) / sizeof(kMediaTypes[0]));
    if (ret != kIOReturnSuccess)
        goto fail;

    queues[0] = ivars->txsQueue;
    queues[1] = ivars->txcQueue;
    queues[2] = ivars->rxsQueue;
    queues[3] = ivars->rxcQueue;
    ret = RegisterEthernetInterface(ivars->mac, ivars->pool, queues, 4);
    if (ret == kIOReturnSuccess)
        ret = ReportLinkStatus(kIOUserNetworkLinkStatusInactive, ivars->activeMedia);
    if (ret != kIOReturnSuccess)
        goto fail;

    // The device reports the link on its interrupt endpoint from now on.
    SubmitNotificationRead(ivars);
    ret = RegisterService();
    if (ret != kIOReturnSuccess)
        goto fail;
    LOG("started: %02x:%02x:%02x:%02x:%02x:%02x, data interface %u, max frame %u",
        ivars->mac.octet[0], ivars->mac.octet[1], ivars->mac.octet[2], ivars->mac.octet[3],
        ivars->mac.octet[4], ivars->mac.octet[5], ivars->dataInterface, ivars->maxSegmentSize);
    return kIOReturnSuccess;

fail:
    LOG("Start failed 0x%08x", ret);
    Stop_Impl(provider);
    return ret;
}

kern_return_t
IMPL(USBCDCEthernetSample, Stop)
{
    ivars->stopping = true;
    ivars->enabled = false;
    // Completions already on our queue see `stopping` and return; the pipes hold their actions
    // (and so this object) until then.
    if (ivars->inPipe != NULL) ivars->inPipe->Abort(kIOUSBAbortSynchronous, kIOReturnAborted, this);
    if (ivars->outPipe != NULL) ivars->outPipe->Abort(kIOUSBAbortSynchronous, kIOReturnAborted, this);
    if (ivars->notifyPipe != NULL) ivars->notifyPipe->Abort(kIOUSBAbortSynchronous, kIOReturnAborted, this);
    if (ivars->txsQueue != NULL) ivars->txsQueue->SetEnable(false);
    if (ivars->txcQueue != NULL) ivars->txcQueue->SetEnable(false);
    if (ivars->rxsQueue != NULL) ivars->rxsQueue->SetEnable(false);
    if (ivars->rxcQueue != NULL) ivars->rxcQueue->SetEnable(false);
    if (ivars->data != NULL) ivars->data->Close(this, 0);
    if (ivars->control != NULL) ivars->control->Close(this, 0);

    for (uint32_t i = 0; i < kRxTransfers; i++) {
        OSSafeReleaseNULL(ivars->rxBuffer[i]);
        OSSafeReleaseNULL(ivars->rxAction[i]);
    }
    for (uint32_t i = 0; i < kTxTransfers; i++) {
        OSSafeReleaseNULL(ivars->txBuffer[i]);
        OSSafeReleaseNULL(ivars->txAction[i]);
    }
    OSSafeReleaseNULL(ivars->notifyBuffer);
    OSSafeReleaseNULL(ivars->notifyAction);
    OSSafeReleaseNULL(ivars->notifyPipe);
    OSSafeReleaseNULL(ivars->inPipe);
    OSSafeReleaseNULL(ivars->outPipe);
    OSSafeReleaseNULL(ivars->txPacketAction);
    OSSafeReleaseNULL(ivars->txsQueue);
    OSSafeReleaseNULL(ivars->txcQueue);
    OSSafeReleaseNULL(ivars->rxsQueue);
    OSSafeReleaseNULL(ivars->rxcQueue);
    OSSafeReleaseNULL(ivars->pool);
    OSSafeReleaseNULL(ivars->data);
    OSSafeReleaseNULL(ivars->device);
    OSSafeReleaseNULL(ivars->control);
    OSSafeReleaseNULL(ivars->queue);
    LOG("stopped (%llu runts, %llu receive and %llu transmit errors, %llu stalls cleared)",
        ivars->runts, ivars->rxErrors, ivars->txErrors, ivars->stallsCleared);
    return super::Stop(provider, SUPERDISPATCH);
}

kern_return_t
IMPL(USBCDCEthernetSample, SetInterfaceEnable)
{
    kern_return_t ret;

    LOG("interface %{public}s", isEnable ? "up" : "down");
    if (!isEnable) {
        ivars->enabled = false;   // before the abort: aborted reads are not resubmitted
        ivars->inPipe->Abort(kIOUSBAbortSynchronous, kIOReturnAborted, this);
        ivars->txsQueue->SetEnable(false);
        ivars->txcQueue->SetEnable(false);
        ivars->rxsQueue->SetEnable(false);
        ivars->rxcQueue->SetEnable(false);
        return kIOReturnSuccess;
    }
    ret = SetPacketFilter(ivars);
    if (ret != kIOReturnSuccess) {
        LOG("SET_ETHERNET_PACKET_FILTER failed 0x%08x", ret);
        return ret;
    }
    ret = ivars->txsQueue->SetEnable(true);
    if (ret == kIOReturnSuccess) ret = ivars->txcQueue->SetEnable(true);
    if (ret == kIOReturnSuccess) ret = ivars->rxsQueue->SetEnable(true);
    if (ret == kIOReturnSuccess) ret = ivars->rxcQueue->SetEnable(true);
    if (ret != kIOReturnSuccess)
        return ret;
    ivars->enabled = true;
    for (uint32_t i = 0; i < kRxTransfers; i++) {
        SubmitRead(ivars, i);
    }
    return kIOReturnSuccess;
}

kern_return_t
IMPL(USBCDCEthernetSample, SetPromiscuousModeEnable)
{
    ivars->promiscuous = enable;
    return ivars->enabled ? SetPacketFilter(ivars) : kIOReturnSuccess;
}

kern_return_t
IMPL(USBCDCEthernetSample, SetAllMulticastModeEnable)
{
    ivars->allMulticast = enable;   // the filter always passes multicast (no perfect filters)
    return kIOReturnSuccess;
}

kern_return_t
IMPL(USBCDCEthernetSample, SetMulticastAddresses)
{
    return kIOReturnSuccess;        // the same: all-multicast covers every group
}

kern_return_t
IMPL(USBCDCEthernetSample, SetWakeOnMagicPacketEnable)
{
    return enable ? kIOReturnUnsupported : kIOReturnSuccess;
}

kern_return_t
IMPL(USBCDCEthernetSample, SetMTU)
{
    return mtu + 14 <= ivars->maxSegmentSize ? kIOReturnSuccess : kIOReturnBadArgument;
}

kern_return_t
IMPL(USBCDCEthernetSample, GetMaxTransferUnit)
{
    *mtu = ivars->maxSegmentSize - 14;   // wMaxSegmentSize counts the Ethernet header
    return kIOReturnSuccess;
}

kern_return_t
IMPL(USBCDCEthernetSample, SelectMediaType)
{
    return mediaType == kIOUserNetworkMediaEthernetAuto ? kIOReturnSuccess : kIOReturnUnsupported;
}

kern_return_t
IMPL(USBCDCEthernetSample, SetHardwareAssists)
{
    return hardwareAssists == 0 ? kIOReturnSuccess : kIOReturnUnsupported;   // no offloads
}

kern_return_t
IMPL(USBCDCEthernetSample, GetHardwareAssists)
{
    *hardwareAssists = 0;
    return kIOReturnSuccess;
}

// Copies frames from the TX submission queue into free bulk OUT buffers.
static void
TransmitPending(USBCDCEthernetSample_IVars *ivars)
{
    for (uint32_t i = 0; i < kTxTransfers && ivars->enabled; i++) {
        if (ivars->txBusy[i]) {
            continue;
        }
        IOUserNetworkPacket *packet = NULL;
        if (ivars->txsQueue->DequeuePacket(&packet) != kIOReturnSuccess || packet == NULL) {
            return;
        }
        uint32_t length = packet->getDataLength();
        const uint8_t *frame = (const uint8_t *)packet->getDataVirtualAddress() + packet->getDataOffset();
        bool send = length >= kMinFrame && length <= ivars->maxSegmentSize;
        if (send) {
            memcpy(BufferAddress(ivars->txBuffer[i]), frame, length);
        }
        // The frame is copied: the packet goes back to the stack now.
        if (ivars->txcQueue->EnqueuePacket(packet) != kIOReturnSuccess) {
            ivars->pool->DeallocatePacket(packet);
        }
        if (!send) {
            ivars->txErrors++;
            continue;
        }
        ivars->txBusy[i] = true;
        kern_return_t ret = ivars->outPipe->AsyncIO(ivars->txBuffer[i], length, ivars->txAction[i], 0);
        if (ret != kIOReturnSuccess) {
            ivars->txBusy[i] = false;
            ivars->txErrors++;
            if (ret == kUSBHostReturnPipeStalled) {
                ivars->stallsCleared++;
                ivars->outPipe->ClearStall(true);
            }
        }
    }
}

void
IMPL(USBCDCEthernetSample, TxPacketAvailable)
{
    TransmitPending(ivars);
}

void
IMPL(USBCDCEthernetSample, WriteComplete)
{
    uint32_t index = *(uint32_t *)action->GetReference();
    if (ivars->stopping) {
        return;
    }
    ivars->txBusy[index] = false;
    if (status == kUSBHostReturnPipeStalled) {
        LOG("bulk OUT stalled; clearing it");
        ivars->stallsCleared++;
        ivars->txErrors++;
        ivars->outPipe->ClearStall(true);
    } else if (status != kIOReturnSuccess && status != kIOReturnAborted) {
        ivars->txErrors++;
        LOG("bulk OUT failed 0x%08x", status);
    }
    TransmitPending(ivars);
}

void
IMPL(USBCDCEthernetSample, ReadComplete)
{
    uint32_t index = *(uint32_t *)action->GetReference();
    if (ivars->stopping || status == kIOReturnNoDevice) {
        return;
    }
    if (status == kIOReturnSuccess) {
        if (actualByteCount < kMinFrame) {
            ivars->runts++;
            LOG("dropped a %u-byte runt", actualByteCount);
        } else {
            IOUserNetworkPacket *packet = NULL;
            if (ivars->rxsQueue->DequeuePacket(&packet) == kIOReturnSuccess && packet != NULL) {
                uint8_t *data = (uint8_t *)packet->getDataVirtualAddress() + packet->getDataOffset();
                memcpy(data, BufferAddress(ivars->rxBuffer[index]), actualByteCount);
                if (packet->setDataLength(actualByteCount) != kIOReturnSuccess ||
                    ivars->rxcQueue->EnqueuePacket(packet) != kIOReturnSuccess) {
                    ivars->pool->DeallocatePacket(packet);
                }
            } else {
                ivars->rxErrors++;   // the stack gave us no buffer: the frame is lost
            }
        }
    } else if (status == kUSBHostReturnPipeStalled) {
        LOG("bulk IN stalled; clearing it");
        ivars->stallsCleared++;
        ivars->inPipe->ClearStall(true);
    } else if (status != kIOReturnAborted) {
        ivars->rxErrors++;
        LOG("bulk IN failed 0x%08x", status);
    }
    if (ivars->enabled) {
        SubmitRead(ivars, index);
    }
}

void
IMPL(USBCDCEthernetSample, NotificationComplete)
{
    if (ivars->stopping || status == kIOReturnNoDevice) {
        return;
    }
    if (status == kIOReturnSuccess && actualByteCount >= 8) {
        const uint8_t *n = BufferAddress(ivars->notifyBuffer);
        uint16_t value = (uint16_t)(n[2] | (n[3] << 8));
        if (n[1] == kNetworkConnection) {                 // ECM 1.2 §6.3.1
            ivars->linkUp = value != 0;
            LOG("link %{public}s", ivars->linkUp ? "up" : "down");
            ReportLinkStatus(ivars->linkUp ? kIOUserNetworkLinkStatusActive
                                           : kIOUserNetworkLinkStatusInactive, ivars->activeMedia);
        } else if (n[1] == kConnectionSpeedChange && actualByteCount >= 16) {   // ECM 1.2 §6.3.3
            uint32_t down = (uint32_t)(n[8] | (n[9] << 8) | (n[10] << 16) | ((uint32_t)n[11] << 24));
            uint32_t up = (uint32_t)(n[12] | (n[13] << 8) | (n[14] << 16) | ((uint32_t)n[15] << 24));
            ivars->activeMedia = down >= 1000000000 ? kMediaTypes[3]
                               : down >= 100000000 ? kMediaTypes[2] : kMediaTypes[1];
            ReportDataBandwidths(up, down, up, down);
        }
    } else if (status == kUSBHostReturnPipeStalled) {
        ivars->stallsCleared++;
        ivars->notifyPipe->ClearStall(true);
    } else if (status != kIOReturnAborted) {
        LOG("interrupt IN failed 0x%08x", status);
    }
    SubmitNotificationRead(ivars);
}
