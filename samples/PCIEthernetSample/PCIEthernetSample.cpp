//
// PCIEthernetSample.cpp — a NetworkingDriverKit driver for the Intel 82540EM ("e1000").
//
// Facts from Intel's PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's
// Manual (8254x SDM); section numbers below are that manual's.
//
// Memory: one IOBufferMemoryDescriptor holds both descriptor rings and a 2 KiB buffer per
// descriptor; one IODMACommand gives its device address (an IOVA: the DART maps it). The
// controller owns the descriptors from head to tail (§3.2.6, §3.3.4): software writes the tail,
// the hardware advances the head and sets DD in each descriptor it is done with.
//
// Ownership at each hand-off: a packet dequeued from a submission queue belongs to the driver
// until it is enqueued on a completion queue. Transmit copies the frame into the descriptor's
// buffer and completes the packet at once; receive copies each frame out of its buffer into a
// packet from the RX submission queue and gives the descriptor back to the controller.
//
// Interrupts: one MSI (§4.1.3). The controller sends no new message until ICR is read, so a lost
// message would stop everything: a one-second watchdog reads ICR and does the work. It also
// follows the link and reports DMA errors (a master abort in the PCI status register).
//

#include <DriverKit/IOLib.h>
#include <DriverKit/IOService.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IODMACommand.h>
#include <DriverKit/IOInterruptDispatchSource.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/IODataQueueDispatchSource.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <PCIDriverKit/PCIDriverKit.h>
#include <os/log.h>

#include "PCIEthernetSample.h"

#define LOG(fmt, ...) os_log(OS_LOG_DEFAULT, "PCIEthernetSample - " fmt, ##__VA_ARGS__)

#undef super
#define super IOUserNetworkEthernet

// §13.4: registers (offsets in BAR0) and their bits.
enum : uint32_t {
    kCTRL = 0x0000, kSTATUS = 0x0008, kEERD = 0x0014, kICR = 0x00C0, kIMS = 0x00D0, kIMC = 0x00D8,
    kRCTL = 0x0100, kTCTL = 0x0400, kTIPG = 0x0410,
    kRDBAL = 0x2800, kRDBAH = 0x2804, kRDLEN = 0x2808, kRDH = 0x2810, kRDT = 0x2818,
    kTDBAL = 0x3800, kTDBAH = 0x3804, kTDLEN = 0x3808, kTDH = 0x3810, kTDT = 0x3818,
    kMTA = 0x5200, kRAL0 = 0x5400, kRAH0 = 0x5404,
};
static const uint32_t kCtrlASDE = 1u << 5, kCtrlSLU = 1u << 6, kCtrlRST = 1u << 26;
static const uint32_t kStatusLU = 1u << 1;
static const uint32_t kEerdStart = 1u << 0, kEerdDone = 1u << 4;
static const uint32_t kIcrTXDW = 1u << 0, kIcrTXQE = 1u << 1, kIcrLSC = 1u << 2,
                      kIcrRXDMT0 = 1u << 4, kIcrRXO = 1u << 6, kIcrRXT0 = 1u << 7;
static const uint32_t kRctlEN = 1u << 1, kRctlUPE = 1u << 3, kRctlMPE = 1u << 4,
                      kRctlBAM = 1u << 15, kRctlSECRC = 1u << 26;   // BSIZE 00: 2048-byte buffers
static const uint32_t kTctlEN = 1u << 1, kTctlPSP = 1u << 3;
static const uint32_t kTctlCollisions = (0x0Fu << 4) | (0x40u << 12);   // CT, COLD (§13.4.33)
static const uint32_t kTipg = 10 | (8 << 10) | (6 << 20);              // §13.4.34, copper
static const uint32_t kRahAV = 1u << 31;

// §3.2.3 and §3.3.3: legacy descriptors, 16 bytes each.
struct RxDescriptor {
    uint64_t address;
    uint16_t length;
    uint16_t checksum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
};
struct TxDescriptor {
    uint64_t address;
    uint16_t length;
    uint8_t cso;
    uint8_t command;
    uint8_t status;
    uint8_t css;
    uint16_t special;
};
static_assert(sizeof(RxDescriptor) == 16 && sizeof(TxDescriptor) == 16, "descriptor layout");
static const uint8_t kRxDD = 0x01, kRxEOP = 0x02;
static const uint8_t kTxEOP = 0x01, kTxIFCS = 0x02, kTxRS = 0x08, kTxDD = 0x01;

static const uint32_t kRxDescriptors = 64;    // RDLEN: a multiple of 128 bytes (8 descriptors)
static const uint32_t kTxDescriptors = 64;
static const uint32_t kBufferSize = 2048;
static const uint32_t kQueueCapacity = 32;
static const uint32_t kPacketCount = 128;
static const uint32_t kMaxFrame = 1514;
static const uint64_t kWatchdogSeconds = 1;
static const uint16_t kEepromChecksum = 0xBABA;   // §5.6

// Where things are in the one DMA buffer.
static const uint64_t kRxRingOffset = 0;
static const uint64_t kTxRingOffset = kRxRingOffset + kRxDescriptors * sizeof(RxDescriptor);
static const uint64_t kRxBuffersOffset = 4096;
static const uint64_t kTxBuffersOffset = kRxBuffersOffset + kRxDescriptors * kBufferSize;
static const uint64_t kDMASize = kTxBuffersOffset + kTxDescriptors * kBufferSize;

static const IOUserNetworkMediaType kMedia = kIOUserNetworkMediaEthernet1000BaseT |
                                             kIOUserNetworkMediaOptionFullDuplex;
static const IOUserNetworkMediaType kMediaTypes[] = {kIOUserNetworkMediaEthernetAuto, kMedia};

struct PCIEthernetSample_IVars {
    IODispatchQueue *queue;
    IOPCIDevice *pci;
    uint8_t bar;                       // the memory index of BAR0
    IOBufferMemoryDescriptor *memory;  // rings and buffers
    IODMACommand *dma;
    uint8_t *cpu;                      // the memory, for the CPU
    uint64_t iova;                     // the memory, for the controller
    IOInterruptDispatchSource *interruptSource;
    OSAction *interruptAction;
    IOTimerDispatchSource *watchdog;
    OSAction *watchdogAction;
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txsQueue;
    IOUserNetworkTxCompletionQueue *txcQueue;
    IOUserNetworkRxSubmissionQueue *rxsQueue;
    IOUserNetworkRxCompletionQueue *rxcQueue;
    OSAction *txPacketAction;
    IOUserNetworkMACAddress mac;
    uint32_t rxNext;    // the next receive descriptor the controller will complete
    uint32_t txTail;    // the next free transmit descriptor
    uint32_t txClean;   // the oldest transmit descriptor not yet seen done
    bool enabled;
    bool promiscuous;
    bool allMulticast;
    bool linkUp;
    bool gone;
    uint64_t rxErrors;
    uint64_t rxDropped;
    uint64_t dmaErrors;
};

static uint32_t
Read32(PCIEthernetSample_IVars *ivars, uint32_t offset)
{
    uint32_t value = 0;
    ivars->pci->MemoryRead32(ivars->bar, offset, &value);
    return value;
}

static void
Write32(PCIEthernetSample_IVars *ivars, uint32_t offset, uint32_t value)
{
    ivars->pci->MemoryWrite32(ivars->bar, offset, value);
}

static RxDescriptor *
RxRing(PCIEthernetSample_IVars *ivars)
{
    return (RxDescriptor *)(ivars->cpu + kRxRingOffset);
}

static TxDescriptor *
TxRing(PCIEthernetSample_IVars *ivars)
{
    return (TxDescriptor *)(ivars->cpu + kTxRingOffset);
}

// §13.4.4: one EEPROM word through EERD.
static bool
ReadEeprom(PCIEthernetSample_IVars *ivars, uint8_t address, uint16_t *word)
{
    Write32(ivars, kEERD, ((uint32_t)address << 8) | kEerdStart);
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t value = Read32(ivars, kEERD);
        if (value != 0xFFFFFFFF && (value & kEerdDone) != 0) {
            *word = (uint16_t)(value >> 16);
            return true;
        }
        IODelay(10);
    }
    return false;
}

// §5.6: the address is in words 0-2; the first 64 words sum to 0xBABA.
static bool
ReadMACAddress(PCIEthernetSample_IVars *ivars)
{
    uint16_t sum = 0, word = 0;
    for (uint8_t i = 0; i < 0x40; i++) {
        if (!ReadEeprom(ivars, i, &word)) {
            return false;
        }
        sum = (uint16_t)(sum + word);
        if (i < 3) {
            ivars->mac.octet[2 * i] = (uint8_t)word;
            ivars->mac.octet[2 * i + 1] = (uint8_t)(word >> 8);
        }
    }
    if (sum != kEepromChecksum) {
        LOG("EEPROM checksum 0x%04x is not 0x%04x", sum, kEepromChecksum);
        return false;
    }
    return true;
}

// Chapter 14: reset, then wait for CTRL.RST to clear.
static bool
ResetController(PCIEthernetSample_IVars *ivars)
{
    Write32(ivars, kIMC, 0xFFFFFFFF);
    Write32(ivars, kCTRL, Read32(ivars, kCTRL) | kCtrlRST);
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t ctrl = Read32(ivars, kCTRL);
        if (ctrl == 0xFFFFFFFF) {
            return false;   // the device is gone
        }
        if ((ctrl & kCtrlRST) == 0) {
            Write32(ivars, kIMC, 0xFFFFFFFF);
            (void)Read32(ivars, kICR);
            return true;
        }
        IODelay(10);
    }
    return false;
}

static void
ReportLink(PCIEthernetSample *self, PCIEthernetSample_IVars *ivars)
{
    bool up = (Read32(ivars, kSTATUS) & kStatusLU) != 0;
    if (up == ivars->linkUp) {
        return;
    }
    ivars->linkUp = up;
    LOG("link %{public}s", up ? "up" : "down");
    self->ReportLinkStatus(up ? kIOUserNetworkLinkStatusActive : kIOUserNetworkLinkStatusInactive,
                           kMedia);
}

static void
ProgramReceiveControl(PCIEthernetSample_IVars *ivars)
{
    uint32_t rctl = kRctlBAM | kRctlSECRC | (ivars->enabled ? kRctlEN : 0);
    if (ivars->promiscuous) {
        rctl |= kRctlUPE | kRctlMPE;
    } else if (ivars->allMulticast) {
        rctl |= kRctlMPE;
    }
    Write32(ivars, kRCTL, rctl);
}

// The rings and their registers (§14.4, §14.5).
static void
InitializeRings(PCIEthernetSample_IVars *ivars)
{
    RxDescriptor *rx = RxRing(ivars);
    for (uint32_t i = 0; i < kRxDescriptors; i++) {
        rx[i] = {};
        rx[i].address = ivars->iova + kRxBuffersOffset + (uint64_t)i * kBufferSize;
    }
    memset(TxRing(ivars), 0, kTxDescriptors * sizeof(TxDescriptor));
    ivars->rxNext = ivars->txTail = ivars->txClean = 0;
    uint64_t rxRing = ivars->iova + kRxRingOffset, txRing = ivars->iova + kTxRingOffset;
    Write32(ivars, kRDBAL, (uint32_t)rxRing);
    Write32(ivars, kRDBAH, (uint32_t)(rxRing >> 32));
    Write32(ivars, kRDLEN, kRxDescriptors * sizeof(RxDescriptor));
    Write32(ivars, kRDH, 0);
    Write32(ivars, kRDT, 0);
    Write32(ivars, kTDBAL, (uint32_t)txRing);
    Write32(ivars, kTDBAH, (uint32_t)(txRing >> 32));
    Write32(ivars, kTDLEN, kTxDescriptors * sizeof(TxDescriptor));
    Write32(ivars, kTDH, 0);
    Write32(ivars, kTDT, 0);
    Write32(ivars, kTIPG, kTipg);
}

bool
PCIEthernetSample::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(PCIEthernetSample_IVars, 1);
    return ivars != NULL;
}

void
PCIEthernetSample::free()
{
    IOSafeDeleteNULL(ivars, PCIEthernetSample_IVars, 1);
    super::free();
}

kern_return_t
IMPL(PCIEthernetSample, Start)
{
    kern_return_t ret;
    uint16_t vendor = 0, device = 0, command = 0;
    uint64_t barSize = 0, interruptType = 0, flags = 0;
    uint8_t barType = 0;
    uint32_t interruptIndex = 0, segmentCount = 1;
    IOAddressSegment segment = {}, range = {};
    IODMACommandSpecification spec = {};
    IODataQueueDispatchSource *dataQueue = NULL;
    IOUserNetworkPacketQueue *queues[4];
    IOUserNetworkPacketBufferPoolOptions poolOptions = {};

    ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ivars->pci = OSDynamicCast(IOPCIDevice, provider);
    if (ivars->pci == NULL) {
        ret = kIOReturnNoDevice;
        goto fail;
    }
    ivars->pci->retain();
    ret = ivars->pci->Open(this, 0);
    if (ret != kIOReturnSuccess)
        goto fail;
    ivars->pci->ConfigurationRead16(kIOPCIConfigurationOffsetVendorID, &vendor);
    ivars->pci->ConfigurationRead16(kIOPCIConfigurationOffsetDeviceID, &device);
    // Registers respond once memory decoding is on; DMA needs bus mastering.
    ivars->pci->ConfigurationRead16(kIOPCIConfigurationOffsetCommand, &command);
    ivars->pci->ConfigurationWrite16(kIOPCIConfigurationOffsetCommand,
                                     command | kIOPCICommandMemorySpace | kIOPCICommandBusLead);
    ret = ivars->pci->GetBARInfo(kPCIMemoryRangeBAR0, &ivars->bar, &barSize, &barType);
    if (ret != kIOReturnSuccess || barSize < 0x20000) {
        LOG("BAR0 is not the 128 KiB register space (0x%08x)", ret);
        ret = kIOReturnNoResources;
        goto fail;
    }
    if (!ResetController(ivars) || !ReadMACAddress(ivars)) {
        ret = kIOReturnDeviceError;
        goto fail;
    }
    LOG("82540EM %04x:%04x, MAC %02x:%02x:%02x:%02x:%02x:%02x", vendor, device, ivars->mac.octet[0],
        ivars->mac.octet[1], ivars->mac.octet[2], ivars->mac.octet[3], ivars->mac.octet[4],
        ivars->mac.octet[5]);
    // §13.4.39-40: receive address 0; an empty multicast table (§13.4.38).
    Write32(ivars, kRAL0, ivars->mac.octet[0] | (ivars->mac.octet[1] << 8) |
                              (ivars->mac.octet[2] << 16) | ((uint32_t)ivars->mac.octet[3] << 24));
    Write32(ivars, kRAH0, ivars->mac.octet[4] | (ivars->mac.octet[5] << 8) | kRahAV);
    for (uint32_t i = 0; i < 128; i++) {
        Write32(ivars, kMTA + 4 * i, 0);
    }

    ret = IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, kDMASize, 4096, &ivars->memory);
    if (ret == kIOReturnSuccess) ret = ivars->memory->GetAddressRange(&range);
    if (ret != kIOReturnSuccess)
        goto fail;
    ivars->cpu = (uint8_t *)range.address;
    spec.options = kIODMACommandSpecificationNoOptions;
    spec.maxAddressBits = 64;   // the 82540EM takes 64-bit descriptor and buffer addresses
    ret = IODMACommand::Create(ivars->pci, kIODMACommandCreateNoOptions, &spec, &ivars->dma);
    if (ret == kIOReturnSuccess)
        ret = ivars->dma->PrepareForDMA(kIODMACommandPrepareForDMANoOptions, ivars->memory, 0, kDMASize,
                                        &flags, &segmentCount, &segment);
    if (ret != kIOReturnSuccess || segmentCount != 1) {
        LOG("DMA preparation failed 0x%08x (%u segments)", ret, segmentCount);
        ret = ret != kIOReturnSuccess ? ret : kIOReturnNoResources;
        goto fail;
    }
    ivars->iova = segment.address;
    InitializeRings(ivars);

    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->queue);
    if (ret != kIOReturnSuccess)
        goto fail;
    // One MSI; its interrupt index is the first messaged one the provider offers.
    ret = ivars->pci->ConfigureInterrupts(kIOInterruptTypePCIMessaged, 1, 1, 0);
    if (ret != kIOReturnSuccess)
        goto fail;
    while (IOInterruptDispatchSource::GetInterruptType(ivars->pci, interruptIndex, &interruptType) ==
               kIOReturnSuccess &&
           (interruptType & kIOInterruptTypePCIMessaged) == 0) {
        interruptIndex++;
    }
    ret = IOInterruptDispatchSource::Create(ivars->pci, interruptIndex, ivars->queue, &ivars->interruptSource);
    if (ret == kIOReturnSuccess) ret = CreateActionInterruptOccurred(0, &ivars->interruptAction);
    if (ret == kIOReturnSuccess) ret = ivars->interruptSource->SetHandler(ivars->interruptAction);
    if (ret == kIOReturnSuccess) ret = ivars->interruptSource->SetEnable(true);
    if (ret == kIOReturnSuccess) ret = IOTimerDispatchSource::Create(ivars->queue, &ivars->watchdog);
    if (ret == kIOReturnSuccess) ret = CreateActionWatchdog(0, &ivars->watchdogAction);
    if (ret == kIOReturnSuccess) ret = ivars->watchdog->SetHandler(ivars->watchdogAction);
    if (ret != kIOReturnSuccess)
        goto fail;

    poolOptions.packetCount = kPacketCount;
    poolOptions.bufferCount = kPacketCount;
    poolOptions.bufferSize = kBufferSize;
    poolOptions.maxBuffersPerPacket = 1;
    poolOptions.poolFlags = PoolFlagMapToDext;
    ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "PCIEthernetSample", &poolOptions, &ivars->pool);
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
    if (ret != kIOReturnSuccess)
        goto fail;

    // §13.4.1: set link up (auto speed detection); the link status change interrupt follows.
    Write32(ivars, kCTRL, Read32(ivars, kCTRL) | kCtrlSLU | kCtrlASDE);
    Write32(ivars, kIMS, kIcrLSC);
    ReportLinkStatus(kIOUserNetworkLinkStatusInactive, kMedia);
    ReportLink(this, ivars);
    ret = RegisterService();
    if (ret != kIOReturnSuccess)
        goto fail;
    return kIOReturnSuccess;

fail:
    LOG("Start failed 0x%08x", ret);
    Stop_Impl(provider);
    return ret;
}

kern_return_t
IMPL(PCIEthernetSample, Stop)
{
    ivars->enabled = false;
    if (ivars->interruptSource != NULL) {
        ivars->interruptSource->SetEnable(false);
#if __BLOCKS__
        ivars->interruptSource->Cancel(^{});
#else
        ivars->interruptSource->Cancel([] {});
#endif
    }
    if (ivars->watchdog != NULL) {
#if __BLOCKS__
        ivars->watchdog->Cancel(^{});
#else
        ivars->watchdog->Cancel([] {});
#endif
    }
    if (ivars->pci != NULL && ivars->cpu != NULL) {
        // Quiesce the controller before its memory goes away.
        Write32(ivars, kIMC, 0xFFFFFFFF);
        Write32(ivars, kRCTL, 0);
        Write32(ivars, kTCTL, 0);
        ResetController(ivars);
    }
    if (ivars->txsQueue != NULL) ivars->txsQueue->SetEnable(false);
    if (ivars->txcQueue != NULL) ivars->txcQueue->SetEnable(false);
    if (ivars->rxsQueue != NULL) ivars->rxsQueue->SetEnable(false);
    if (ivars->rxcQueue != NULL) ivars->rxcQueue->SetEnable(false);
    if (ivars->dma != NULL && ivars->iova != 0) {
        ivars->dma->CompleteDMA(kIODMACommandCompleteDMANoOptions);
    }
    if (ivars->pci != NULL) {
        ivars->pci->Close(this, 0);
    }
    OSSafeReleaseNULL(ivars->interruptSource);
    OSSafeReleaseNULL(ivars->interruptAction);
    OSSafeReleaseNULL(ivars->watchdog);
    OSSafeReleaseNULL(ivars->watchdogAction);
    OSSafeReleaseNULL(ivars->txPacketAction);
    OSSafeReleaseNULL(ivars->txsQueue);
    OSSafeReleaseNULL(ivars->txcQueue);
    OSSafeReleaseNULL(ivars->rxsQueue);
    OSSafeReleaseNULL(ivars->rxcQueue);
    OSSafeReleaseNULL(ivars->pool);
    OSSafeReleaseNULL(ivars->dma);
    OSSafeReleaseNULL(ivars->memory);
    OSSafeReleaseNULL(ivars->queue);
    OSSafeReleaseNULL(ivars->pci);
    ivars->cpu = NULL;
    LOG("stopped (%llu receive errors, %llu frames without a buffer, %llu DMA errors)",
        ivars->rxErrors, ivars->rxDropped, ivars->dmaErrors);
    return super::Stop(provider, SUPERDISPATCH);
}

// Hands every completed receive descriptor to the stack and gives it back (§3.2.6).
static void
Receive(PCIEthernetSample_IVars *ivars)
{
    RxDescriptor *ring = RxRing(ivars);
    uint32_t done = 0;
    while ((ring[ivars->rxNext].status & kRxDD) != 0) {
        RxDescriptor *d = &ring[ivars->rxNext];
        if (d->errors != 0 || (d->status & kRxEOP) == 0 || d->length < 14 || d->length > kMaxFrame) {
            ivars->rxErrors++;   // RXE: the data never reached memory, or a frame this driver
                                 // did not ask for (larger than one buffer)
        } else {
            IOUserNetworkPacket *packet = NULL;
            if (ivars->rxsQueue->DequeuePacket(&packet) == kIOReturnSuccess && packet != NULL) {
                uint8_t *data = (uint8_t *)packet->getDataVirtualAddress() + packet->getDataOffset();
                memcpy(data, ivars->cpu + kRxBuffersOffset + (uint64_t)ivars->rxNext * kBufferSize, d->length);
                if (packet->setDataLength(d->length) != kIOReturnSuccess ||
                    ivars->rxcQueue->EnqueuePacket(packet) != kIOReturnSuccess) {
                    ivars->pool->DeallocatePacket(packet);
                }
            } else {
                ivars->rxDropped++;
            }
        }
        d->status = 0;
        d->errors = 0;
        ivars->rxNext = (ivars->rxNext + 1) % kRxDescriptors;
        done++;
    }
    if (done > 0) {
        // The controller owns [RDH, RDT): one descriptor stays with software.
        Write32(ivars, kRDT, (ivars->rxNext + kRxDescriptors - 1) % kRxDescriptors);
    }
}

// Notes transmit descriptors the controller finished (DD, §3.3.3.2).
static void
ReclaimTransmit(PCIEthernetSample_IVars *ivars)
{
    TxDescriptor *ring = TxRing(ivars);
    while (ivars->txClean != ivars->txTail && (ring[ivars->txClean].status & kTxDD) != 0) {
        ring[ivars->txClean].status = 0;
        ivars->txClean = (ivars->txClean + 1) % kTxDescriptors;
    }
}

// Copies frames from the TX submission queue into free transmit descriptors (§3.3).
static void
Transmit(PCIEthernetSample_IVars *ivars)
{
    TxDescriptor *ring = TxRing(ivars);
    uint32_t queued = 0;
    ReclaimTransmit(ivars);
    while (ivars->enabled && !ivars->gone && (ivars->txTail + 1) % kTxDescriptors != ivars->txClean) {
        IOUserNetworkPacket *packet = NULL;
        if (ivars->txsQueue->DequeuePacket(&packet) != kIOReturnSuccess || packet == NULL) {
            break;
        }
        uint32_t length = packet->getDataLength();
        if (length >= 14 && length <= kMaxFrame) {
            uint64_t offset = kTxBuffersOffset + (uint64_t)ivars->txTail * kBufferSize;
            memcpy(ivars->cpu + offset, (const uint8_t *)packet->getDataVirtualAddress() + packet->getDataOffset(),
                   length);
            TxDescriptor *d = &ring[ivars->txTail];
            d->address = ivars->iova + offset;
            d->length = (uint16_t)length;
            d->command = kTxEOP | kTxIFCS | kTxRS;   // one buffer, insert the FCS, report status
            d->status = 0;
            ivars->txTail = (ivars->txTail + 1) % kTxDescriptors;
            queued++;
        }
        // The frame is copied (or not sendable): the packet goes back to the stack now.
        if (ivars->txcQueue->EnqueuePacket(packet) != kIOReturnSuccess) {
            ivars->pool->DeallocatePacket(packet);
        }
    }
    if (queued > 0) {
        Write32(ivars, kTDT, ivars->txTail);   // §3.3.4: the controller takes [TDH, TDT)
    }
}

// Everything an interrupt can mean; also run by the watchdog. Returns false when the device is
// gone (all-ones reads).
static bool
Service(PCIEthernetSample *self, PCIEthernetSample_IVars *ivars)
{
    if (ivars->gone || ivars->pci == NULL) {
        return false;
    }
    uint32_t icr = Read32(ivars, kICR);   // §13.4.17: reading clears it
    if (icr == 0xFFFFFFFF) {
        LOG("the controller does not answer: removed?");
        ivars->gone = true;
        return false;
    }
    if ((icr & kIcrLSC) != 0) {
        ReportLink(self, ivars);
    }
    if (ivars->enabled) {
        Receive(ivars);
        Transmit(ivars);   // reclaims first: descriptors freed by TXDW take what waited
        if ((icr & kIcrRXO) != 0) {
            ivars->rxErrors++;
        }
    }
    return true;
}

void
IMPL(PCIEthernetSample, InterruptOccurred)
{
    Service(this, ivars);
}

void
IMPL(PCIEthernetSample, Watchdog)
{
    if (!Service(this, ivars)) {
        return;
    }
    ReportLink(this, ivars);
    // A master abort (the IOMMU or the bus refused a DMA transaction): count and clear it.
    uint16_t status = 0;
    ivars->pci->ConfigurationRead16(kIOPCIConfigurationOffsetStatus, &status);
    if (status != 0xFFFF && (status & kIOPCIStatusLeadAbortActive) != 0) {
        ivars->dmaErrors++;
        LOG("DMA error (master abort); %llu so far", ivars->dmaErrors);
        ivars->pci->ConfigurationWrite16(kIOPCIConfigurationOffsetStatus, kIOPCIStatusLeadAbortActive);
    }
    if (ivars->enabled) {
        uint64_t now = clock_gettime_nsec_np(CLOCK_UPTIME_RAW);
        ivars->watchdog->WakeAtTime(kIOTimerClockUptimeRaw, now + kWatchdogSeconds * kSecondScale, 0);
    }
}

kern_return_t
IMPL(PCIEthernetSample, SetInterfaceEnable)
{
    kern_return_t ret = kIOReturnSuccess;
    LOG("interface %{public}s", isEnable ? "up" : "down");
    if (ivars->gone) {
        return isEnable ? kIOReturnNoDevice : kIOReturnSuccess;
    }
    if (!isEnable) {
        ivars->enabled = false;
        Write32(ivars, kIMC, 0xFFFFFFFF);
        Write32(ivars, kRCTL, 0);
        Write32(ivars, kTCTL, 0);
        Write32(ivars, kIMS, kIcrLSC);
        ivars->txsQueue->SetEnable(false);
        ivars->txcQueue->SetEnable(false);
        ivars->rxsQueue->SetEnable(false);
        ivars->rxcQueue->SetEnable(false);
        InitializeRings(ivars);   // the next enable starts from empty rings
        return kIOReturnSuccess;
    }
    ret = ivars->txsQueue->SetEnable(true);
    if (ret == kIOReturnSuccess) ret = ivars->txcQueue->SetEnable(true);
    if (ret == kIOReturnSuccess) ret = ivars->rxsQueue->SetEnable(true);
    if (ret == kIOReturnSuccess) ret = ivars->rxcQueue->SetEnable(true);
    if (ret != kIOReturnSuccess)
        return ret;
    ivars->enabled = true;
    ProgramReceiveControl(ivars);
    Write32(ivars, kRDT, kRxDescriptors - 1);
    Write32(ivars, kTCTL, kTctlEN | kTctlPSP | kTctlCollisions);
    Write32(ivars, kIMS, kIcrTXDW | kIcrTXQE | kIcrLSC | kIcrRXDMT0 | kIcrRXO | kIcrRXT0);
    uint64_t now = clock_gettime_nsec_np(CLOCK_UPTIME_RAW);
    return ivars->watchdog->WakeAtTime(kIOTimerClockUptimeRaw, now + kWatchdogSeconds * kSecondScale, 0);
}

kern_return_t
IMPL(PCIEthernetSample, SetPromiscuousModeEnable)
{
    ivars->promiscuous = enable;
    if (!ivars->gone) ProgramReceiveControl(ivars);
    return kIOReturnSuccess;
}

kern_return_t
IMPL(PCIEthernetSample, SetAllMulticastModeEnable)
{
    ivars->allMulticast = enable;
    if (!ivars->gone) ProgramReceiveControl(ivars);
    return kIOReturnSuccess;
}

kern_return_t
IMPL(PCIEthernetSample, SetMulticastAddresses)
{
    // §13.4.38: hash each group into the multicast table (MO = 0: address bits 47:36).
    uint32_t table[128] = {};
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *a = addresses[i].octet;
        uint32_t hash = ((uint32_t)a[4] >> 4) | ((uint32_t)a[5] << 4);
        table[(hash >> 5) & 0x7F] |= 1u << (hash & 31);
    }
    for (uint32_t i = 0; i < 128 && !ivars->gone; i++) {
        Write32(ivars, kMTA + 4 * i, table[i]);
    }
    return kIOReturnSuccess;
}

kern_return_t
IMPL(PCIEthernetSample, SetWakeOnMagicPacketEnable)
{
    return enable ? kIOReturnUnsupported : kIOReturnSuccess;
}

kern_return_t
IMPL(PCIEthernetSample, SetMTU)
{
    return mtu <= 1500 ? kIOReturnSuccess : kIOReturnBadArgument;
}

kern_return_t
IMPL(PCIEthernetSample, GetMaxTransferUnit)
{
    *mtu = 1500;   // one 2 KiB buffer per frame
    return kIOReturnSuccess;
}

kern_return_t
IMPL(PCIEthernetSample, SelectMediaType)
{
    return mediaType == kIOUserNetworkMediaEthernetAuto || mediaType == kMedia ? kIOReturnSuccess
                                                                                : kIOReturnUnsupported;
}

kern_return_t
IMPL(PCIEthernetSample, SetHardwareAssists)
{
    return hardwareAssists == 0 ? kIOReturnSuccess : kIOReturnUnsupported;   // no offloads used
}

kern_return_t
IMPL(PCIEthernetSample, GetHardwareAssists)
{
    *hardwareAssists = 0;
    return kIOReturnSuccess;
}

void
IMPL(PCIEthernetSample, TxPacketAvailable)
{
    Transmit(ivars);
}
