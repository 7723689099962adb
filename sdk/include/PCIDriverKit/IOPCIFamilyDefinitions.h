/*
 * PCIDriverKit/IOPCIFamilyDefinitions.h — IOPCIFamily's names: matching keys, configuration
 * space offsets, capability IDs, command and status bits, interrupt types, power states.
 * netdext: names and values are Apple's (IOKit/pci/IOPCIFamilyDefinitions.h); the register
 * layouts they name are the PCI Local Bus 3.0 / PCI Express Base specifications'.
 */
#ifndef IOPCIDefinitions_h
#define IOPCIDefinitions_h

#include <DriverKit/IOLib.h>
#include <DriverKit/IOTypes.h>

/* ---- matching and registry keys ---- */
#define kIOPCIMatchKey "IOPCIMatch"
#define kIOPCIPrimaryMatchKey "IOPCIPrimaryMatch"
#define kIOPCISecondaryMatchKey "IOPCISecondaryMatch"
#define kIOPCIClassMatchKey "IOPCIClassMatch"
#define kIOPCIDeviceMemoryArrayKey "IODeviceMemory"
#define kIOPCITunnelCompatibleKey "IOPCITunnelCompatible"
#define kIOPCITunnelledKey "IOPCITunnelled"
#define kIOPCIPauseCompatibleKey "IOPCIPauseCompatible"
#define kIOPCIKernelMemoryAccess "IOPCIKernelMemoryAccess"

/* ---- interrupt types (or'ed with IOKit's kIOInterruptTypeEdge/Level) ---- */
enum {
    kIOInterruptTypePCIMessaged = 0x00010000,
    kIOInterruptTypePCIMessagedX = 0x00020000,
};

/* ---- configuration space header (type 0) ---- */
enum {
    kIOPCIConfigurationOffsetVendorID = 0x00,
    kIOPCIConfigurationOffsetDeviceID = 0x02,
    kIOPCIConfigurationOffsetCommand = 0x04,
    kIOPCIConfigurationOffsetStatus = 0x06,
    kIOPCIConfigurationOffsetRevisionID = 0x08,
    kIOPCIConfigurationOffsetClassCode = 0x09,
    kIOPCIConfigurationOffsetCacheLineSize = 0x0C,
    kIOPCIConfigurationOffsetLatencyTimer = 0x0D,
    kIOPCIConfigurationOffsetHeaderType = 0x0E,
    kIOPCIConfigurationOffsetBIST = 0x0F,
    kIOPCIConfigurationOffsetBaseAddress0 = 0x10,
    kIOPCIConfigurationOffsetBaseAddress1 = 0x14,
    kIOPCIConfigurationOffsetBaseAddress2 = 0x18,
    kIOPCIConfigurationOffsetBaseAddress3 = 0x1C,
    kIOPCIConfigurationOffsetBaseAddress4 = 0x20,
    kIOPCIConfigurationOffsetBaseAddress5 = 0x24,
    kIOPCIConfigurationOffsetCardBusCISPtr = 0x28,
    kIOPCIConfigurationOffsetSubSystemVendorID = 0x2C,
    kIOPCIConfigurationOffsetSubSystemID = 0x2E,
    kIOPCIConfigurationOffsetExpansionROMBase = 0x30,
    kIOPCIConfigurationOffsetCapabilitiesPtr = 0x34,
    kIOPCIConfigurationOffsetInterruptLine = 0x3C,
    kIOPCIConfigurationOffsetInterruptPin = 0x3D,
    kIOPCIConfigurationOffsetMinimumGrant = 0x3E,
    kIOPCIConfigurationOffsetMaximumLatency = 0x3F,
};

/* ---- capability IDs; extended (PCI Express) capabilities are negated ---- */
enum {
    kIOPCICapabilityIDPowerManagement = 0x01,
    kIOPCICapabilityIDMSI = 0x05,
    kIOPCICapabilityIDVendorSpecific = 0x09,
    kIOPCICapabilityIDPCIExpress = 0x10,
    kIOPCICapabilityIDMSIX = 0x11,
};
enum {
    kIOPCIExpressCapabilityIDErrorReporting = -0x01U,
    kIOPCIExpressCapabilityIDVSEC = -0x0BU,
};

/* ---- command register ---- */
enum {
    kIOPCICommandIOSpace = 0x0001,
    kIOPCICommandMemorySpace = 0x0002,
    kIOPCICommandBusLead = 0x0004,
    kIOPCICommandBusMaster API_DEPRECATED_WITH_REPLACEMENT("kIOPCICommandBusLead", macos(10.0, 12.4)) = kIOPCICommandBusLead,
    kIOPCICommandSpecialCycles = 0x0008,
    kIOPCICommandMemWrInvalidate = 0x0010,
    kIOPCICommandPaletteSnoop = 0x0020,
    kIOPCICommandParityError = 0x0040,
    kIOPCICommandAddressStepping = 0x0080,
    kIOPCICommandSERR = 0x0100,
    kIOPCICommandFastBack2Back = 0x0200,
    kIOPCICommandInterruptDisable = 0x0400,
};

/* ---- status register ---- */
enum {
    kIOPCIStatusCapabilities = 0x0010,
    kIOPCIStatusLeadAbortActive = 0x2000,
    kIOPCIStatusMasterAbortActive API_DEPRECATED_WITH_REPLACEMENT("kIOPCIStatusLeadAbortActive", macos(10.0, 12.4)) = kIOPCIStatusLeadAbortActive,
};

/* ---- power management capability ---- */
enum {
    kPCIPMCPMESupportFromD3Cold = 0x8000,
};
enum {
    kPCIPMCSPMEEnable = 0x0100,
};
enum {
    kPCIPMCSPowerStateD0 = 0,
    kPCIPMCSPowerStateD1 = 1,
    kPCIPMCSPowerStateD2 = 2,
    kPCIPMCSPowerStateD3 = 3,
};

/* ---- link, reset and ASPM ---- */
enum {
    kIOPCILinkSpeed_2_5_GTs = 1,
    kIOPCILinkSpeed_5_0_GTs = 2,
    kIOPCILinkSpeed_8_0_GTs = 3,
    kIOPCILinkSpeed_16_GTs = 4,
    kIOPCILinkSpeed_32_GTs = 5,
};
enum {
    kIOPCIDeviceResetTypeHotReset = 0x01,
    kIOPCIDeviceResetTypeWarmReset = 0x02,
    kIOPCIDeviceResetTypeWarmResetDisable = 0x04,
    kIOPCIDeviceResetTypeWarmResetEnable = 0x08,
    kIOPCIDeviceResetTypeFunctionReset = 0x10,
};
enum {
    kIOPCIDeviceResetOptionNone = 0,
    kIOPCIDeviceResetOptionTerminate = 1,
};
enum {
    kIOPCILinkControlASPMBitsDisabled = 0,
    kIOPCILinkControlASPMBitsL0s = 1,
    kIOPCILinkControlASPMBitsL1 = 2,
    kIOPCILinkControlASPMBitsL0sL1 = 3,
};
enum {
    kIOPCIAccessLatencyTolerantHint = 1,
};

#endif /* IOPCIDefinitions_h */
