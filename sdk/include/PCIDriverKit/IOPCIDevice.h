/*
 * PCIDriverKit/IOPCIDevice.h — a PCI function as its driver's provider: configuration space,
 * BAR memory space, message-signalled interrupts, power and reset.
 *
 * netdext: the system creates the provider with netdext_create() over a backend
 * (netdext/pci_backend.h) — a device model or, later, a VFIO function — playing the firmware and
 * IOPCIFamily: BARs get addresses, the function gets an IOMMU (netdext/iommu.h), so addresses
 * from IODMACommand::PrepareForDMA(…, this, …) are IOVAs the function's DMA goes through, and
 * interrupts are offered (netdext/interrupts.h): index 0 is the legacy INTx pin
 * (kIOInterruptTypeLevel), indexes 1…n the MSI vectors (kIOInterruptTypeEdge |
 * kIOInterruptTypePCIMessaged), as IOPCIFamily numbers them. Behaviour:
 *  - Open is exclusive (kIOReturnExclusiveAccess for a second client) and enables MSI with one
 *    vector; ConfigureInterrupts changes the count. Close disables MSI and clears Memory Space
 *    and Bus Lead enable.
 *  - Without a session the accessors do nothing and reads return all ones, as on a bus error;
 *    the runtime logs the misuse. Memory accesses go to the function only while Memory Space is
 *    enabled in the command register (the driver sets it, as on macOS) and DMA only while Bus
 *    Lead is.
 *  - memoryIndex is the index of a present BAR among the present ones (GetBARInfo maps a BAR
 *    number to it).
 *  - _CopyDeviceMemoryWithIndex: a simulated function's registers are not memory, so BARs are
 *    reached with MemoryRead/MemoryWrite; the call fails with kIOReturnUnsupported.
 *  - After a surprise removal reads return all ones and the system stops the driver.
 */
#ifndef _IOKIT_UIOPCIDEVICE_H
#define _IOKIT_UIOPCIDEVICE_H

#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/IOService.h>
#include <PCIDriverKit/IOPCIFamilyDefinitions.h>

#include <memory>

/* Configuration shadow option (SaveDeviceState / RestoreDeviceState). */
enum {
    kPCIConfigShadowPermanent = 0x80000000,
};

enum IOPCIMemoryRange {
    kPCIMemoryRangeBAR0 = 0,
    kPCIMemoryRangeBAR1 = 1,
    kPCIMemoryRangeBAR2 = 2,
    kPCIMemoryRangeBAR3 = 3,
    kPCIMemoryRangeBAR4 = 4,
    kPCIMemoryRangeBAR5 = 5,
    kPCIMemoryRangeExpansionROM = 6,
};

enum IOPCIBARType {
    kPCIBARTypeM32 = 0x0,
    kPCIBARTypeIO = 0x1,
    kPCIBARTypeM64 = 0x4,
    kPCIBARTypeM32PF = 0x8,
    kPCIBARTypeM64PF = 0xc,
};

enum IOPCILinkSpeed {
    kPCILinkSpeed_2_5_GTs = 1,
    kPCILinkSpeed_5_0_GTs = 2,
    kPCILinkSpeed_8_0_GTs = 3,
    kPCILinkSpeed_16_GTs = 4,
    kPCILinkSpeed_32_GTs = 5,
};

struct IOPCIDevice_IVars;
namespace netdext::pci {
class FunctionBackend;
}

class IOPCIDevice : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(IOPCIDevice, IOService)

    bool init() override;
    void free() override;

    kern_return_t Open(IOService *forClient, IOOptionBits options = 0);
    void Close(IOService *forClient, IOOptionBits options = 0);

    /* Configuration space; reads give all ones on error. */
    void ConfigurationRead32(uint64_t offset, uint32_t *readData);
    void ConfigurationRead16(uint64_t offset, uint16_t *readData);
    void ConfigurationRead8(uint64_t offset, uint8_t *readData);
    void ConfigurationWrite32(uint64_t offset, uint32_t data);
    void ConfigurationWrite16(uint64_t offset, uint16_t data);
    void ConfigurationWrite8(uint64_t offset, uint8_t data);

    /* BAR memory space, by memory index; reads give all ones on error. */
    void MemoryRead64(uint8_t memoryIndex, uint64_t offset, uint64_t *readData);
    void MemoryRead32(uint8_t memoryIndex, uint64_t offset, uint32_t *readData);
    void MemoryRead16(uint8_t memoryIndex, uint64_t offset, uint16_t *readData);
    void MemoryRead8(uint8_t memoryIndex, uint64_t offset, uint8_t *readData);
    void MemoryWrite64(uint8_t memoryIndex, uint64_t offset, uint64_t data);
    void MemoryWrite32(uint8_t memoryIndex, uint64_t offset, uint32_t data);
    void MemoryWrite16(uint8_t memoryIndex, uint64_t offset, uint16_t data);
    void MemoryWrite8(uint8_t memoryIndex, uint64_t offset, uint8_t data);
    /* The same with options (kIOPCIAccessLatencyTolerantHint is accepted and changes nothing). */
    void MemoryRead64(uint8_t memoryIndex, uint64_t offset, uint64_t *readData, IOOptionBits options);
    void MemoryRead32(uint8_t memoryIndex, uint64_t offset, uint32_t *readData, IOOptionBits options);
    void MemoryRead16(uint8_t memoryIndex, uint64_t offset, uint16_t *readData, IOOptionBits options);
    void MemoryRead8(uint8_t memoryIndex, uint64_t offset, uint8_t *readData, IOOptionBits options);
    void MemoryWrite64(uint8_t memoryIndex, uint64_t offset, uint64_t data, IOOptionBits options);
    void MemoryWrite32(uint8_t memoryIndex, uint64_t offset, uint32_t data, IOOptionBits options);
    void MemoryWrite16(uint8_t memoryIndex, uint64_t offset, uint16_t data, IOOptionBits options);
    void MemoryWrite8(uint8_t memoryIndex, uint64_t offset, uint8_t data, IOOptionBits options);

    /* The offset of capability capabilityID after searchOffset (0: from the start); extended
     * capabilities by their negated ID. kIOReturnNotFound when there is none. */
    kern_return_t FindPCICapability(uint32_t capabilityID, uint64_t searchOffset,
                                    uint64_t *foundCapabilityOffset,
                                    OSDispatchMethod supermethod = NULL);
    kern_return_t GetBusDeviceFunction(uint8_t *returnBusNumber, uint8_t *returnDeviceNumber,
                                       uint8_t *returnFunctionNumber,
                                       OSDispatchMethod supermethod = NULL);
    /* Whether the function's PM capability supports `state` (kPCIPMCSPowerStateD*). */
    kern_return_t HasPCIPowerManagement(uint64_t state, OSDispatchMethod supermethod = NULL);
    kern_return_t EnablePCIPowerManagement(uint64_t state, OSDispatchMethod supermethod = NULL);
    /* A copy of the configuration header kept by the family / written back. */
    kern_return_t SaveDeviceState(IOOptionBits options = 0, OSDispatchMethod supermethod = NULL);
    kern_return_t RestoreDeviceState(IOOptionBits options = 0, OSDispatchMethod supermethod = NULL);
    /* BAR barIndex: its memory index, size and type. kIOReturnNotFound for an absent BAR. */
    kern_return_t GetBARInfo(uint8_t barIndex, uint8_t *memoryIndex, uint64_t *barSize = 0,
                             uint8_t *barType = 0, OSDispatchMethod supermethod = NULL);
    /* A simulated link: any supported speed is accepted; GetLinkSpeed reports it. */
    kern_return_t SetLinkSpeed(IOPCILinkSpeed linkSpeed, bool retrain = false,
                               OSDispatchMethod supermethod = NULL);
    kern_return_t GetLinkSpeed(IOPCILinkSpeed *linkSpeed, OSDispatchMethod supermethod = NULL);
    /* interruptType: kIOInterruptTypePCIMessaged (the MSI capability: up to its vector count) or
     * kIOInterruptTypePCIMessagedX (kIOReturnUnsupported without MSI-X) or kIOInterruptTypeLevel
     * (MSI off). Needs the session. */
    kern_return_t ConfigureInterrupts(uint32_t interruptType, uint32_t numRequired = 1,
                                      uint32_t numRequested = 1, IOOptionBits options = 0,
                                      OSDispatchMethod supermethod = NULL);
    kern_return_t Reset(IOOptionBits type, IOOptionBits options = 0,
                        OSDispatchMethod supermethod = NULL);
    kern_return_t SetASPMState(IOOptionBits aspmLinkControl, OSDispatchMethod supermethod = NULL);

    /* DriverKit private (IOPCIDevicePrivate), used by drivers as Apple's sample does. */
    kern_return_t _MemoryAccess(uint64_t operation, uint64_t offset, uint64_t data,
                                uint64_t *readData, IOService *forClient,
                                IOOptionBits options) NETDEXT_UNSUPPORTED;
    kern_return_t _CopyDeviceMemoryWithIndex(uint64_t memoryIndex, IOMemoryDescriptor **returnMemory,
                                             IOService *forClient) NETDEXT_UNSUPPORTED;
    kern_return_t _ManageSession(IOService *forClient, bool openClient, IOOptionBits openOptions);

    /* ---- netdext: the system's side ---- */
    /*
     * The provider (+1) for the function behind `backend` at bus/device/function: assigns its
     * BAR addresses, gives it an IOMMU, offers its interrupts, publishes the registry properties
     * IOPCIFamily does (vendor-id, device-id, class-code, revision-id, subsystem-vendor-id,
     * subsystem-id as 4-byte OSData; IOPCIMatch-style text in "pcidebug"), and starts it.
     */
    static kern_return_t netdext_create(std::shared_ptr<netdext::pci::FunctionBackend> backend,
                                        uint8_t bus, uint8_t device, uint8_t function,
                                        IOPCIDevice **pciDevice);
    /* The function went away: accesses fail, interrupts stop. Idempotent. */
    void netdext_terminate();
    bool netdext_terminated() const;
    const std::shared_ptr<netdext::pci::FunctionBackend> &netdext_backend() const;

protected:
    /* A crashed client's session ends as if it had called Close. */
    kern_return_t ClientCrashed_Impl(IOService *client, uint64_t options) override;
    virtual kern_return_t FindPCICapability_Impl(uint32_t capabilityID, uint64_t searchOffset,
                                                 uint64_t *foundCapabilityOffset);
    virtual kern_return_t GetBusDeviceFunction_Impl(uint8_t *returnBusNumber,
                                                    uint8_t *returnDeviceNumber,
                                                    uint8_t *returnFunctionNumber);
    virtual kern_return_t HasPCIPowerManagement_Impl(uint64_t state);
    virtual kern_return_t EnablePCIPowerManagement_Impl(uint64_t state);
    virtual kern_return_t SaveDeviceState_Impl(IOOptionBits options);
    virtual kern_return_t RestoreDeviceState_Impl(IOOptionBits options);
    virtual kern_return_t GetBARInfo_Impl(uint8_t barIndex, uint8_t *memoryIndex,
                                          uint64_t *barSize, uint8_t *barType);
    virtual kern_return_t SetLinkSpeed_Impl(IOPCILinkSpeed linkSpeed, bool retrain);
    virtual kern_return_t GetLinkSpeed_Impl(IOPCILinkSpeed *linkSpeed);
    virtual kern_return_t ConfigureInterrupts_Impl(uint32_t interruptType, uint32_t numRequired,
                                                   uint32_t numRequested, IOOptionBits options);
    virtual kern_return_t Reset_Impl(IOOptionBits type, IOOptionBits options);
    virtual kern_return_t SetASPMState_Impl(IOOptionBits aspmLinkControl);

private:
    IOPCIDevice_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOPCIDeviceMetaClass;

#endif /* _IOKIT_UIOPCIDEVICE_H */
