/*
 * USBDriverKit/AppleUSBDefinitions.h — USB descriptor structures, request and endpoint constants.
 *
 * netdext: names and values are Apple's (AppleUSBDefinitions.h, DriverKit flavour); the layouts
 * are the USB 2.0 / 3.2 specifications' (chapter 9), every structure packed and little-endian as
 * on the wire: convert multi-byte fields with USBToHost16() & co. Only what a device driver uses
 * is declared (no hub, OTG or debug-port structures).
 */
#ifndef AppleUSBCommon_AppleUSBDefinitions_h
#define AppleUSBCommon_AppleUSBDefinitions_h

#include <stddef.h>
#include <stdint.h>
#include <DriverKit/IOLib.h>
#include <DriverKit/IOTypes.h>
#include <libkern/OSByteOrder.h>

/* Darwin's sys/_types/_uuid_t.h (the same type libuuid declares). */
typedef unsigned char uuid_t[16];

#define IOUSBBit(bit) ((uint32_t)(1) << (bit))
#define IOUSBBitRange(start, end) (~(((uint32_t)(1) << (start)) - 1) & (((uint32_t)(1) << (end)) | ((((uint32_t)(1) << (end)) - 1))))
#define IOUSBBitRange64(start, end) (~(((uint64_t)(1) << (start)) - 1) & (((uint64_t)(1) << (end)) | ((((uint64_t)(1) << (end)) - 1))))
#define IOUSBBitRangePhase(start, end) (start)

/* USB is little-endian on the wire. */
#define USBToHost16(x) OSSwapLittleToHostInt16(x)
#define USBToHost32(x) OSSwapLittleToHostInt32(x)
#define USBToHost64(x) OSSwapLittleToHostInt64(x)
#define HostToUSB16(x) OSSwapHostToLittleInt16(x)
#define HostToUSB32(x) OSSwapHostToLittleInt32(x)
#define HostToUSB64(x) OSSwapHostToLittleInt64(x)

enum {
    kIOUSBAppleVendorID = 0x05AC,
};

/* ---- descriptor types (USB 3.2 Table 9-6) ---- */
enum tIOUSBDescriptorType {
    kIOUSBDescriptorTypeDevice = 1,
    kIOUSBDescriptorTypeConfiguration = 2,
    kIOUSBDescriptorTypeString = 3,
    kIOUSBDescriptorTypeInterface = 4,
    kIOUSBDescriptorTypeEndpoint = 5,
    kIOUSBDescriptorTypeDeviceQualifier = 6,
    kIOUSBDescriptorTypeOtherSpeedConfiguration = 7,
    kIOUSBDescriptorTypeInterfacePower = 8,
    kIOUSBDescriptorTypeOTG = 9,
    kIOUSBDescriptorTypeDebug = 10,
    kIOUSBDescriptorTypeInterfaceAssociation = 11,
    kIOUSBDescriptorTypeBOS = 15,
    kIOUSBDescriptorTypeDeviceCapability = 16,
    kIOUSBDecriptorTypeHID = 33, /* sic: Apple's spelling */
    kIOUSBDecriptorTypeReport = 34,
    kIOUSBDescriptorTypePhysical = 35,
    kIOUSBDescriptorTypeHub = 41,
    kIOUSBDescriptorTypeSuperSpeedHub = 42,
    kIOUSBDescriptorTypeSuperSpeedUSBEndpointCompanion = 48,
    kIOUSBDescriptorTypeSuperSpeedPlusIsochronousEndpointCompanion = 49,
};

enum tIOUSBDescriptorSize {
    kIOUSBDescriptorHeaderSize = 2,
    kIOUSBDescriptorSizeDevice = 18,
    kIOUSBDescriptorSizeConfiguration = 9,
    kIOUSBDescriptorSizeInterface = 9,
    kIOUSBDescriptorSizeEndpoint = 7,
};

enum {
    kIOUSBLanguageIDEnglishUS = 0x0409,
};

/* ---- descriptors (USB 2.0 §9.6) ---- */
struct IOUSBDescriptorHeader {
    uint8_t bLength;
    uint8_t bDescriptorType;
} __attribute__((packed));
typedef struct IOUSBDescriptorHeader IOUSBDescriptorHeader;
typedef struct IOUSBDescriptorHeader IOUSBDescriptor;

struct IOUSBDeviceDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint16_t bcdUSB;
    uint8_t bDeviceClass;
    uint8_t bDeviceSubClass;
    uint8_t bDeviceProtocol;
    uint8_t bMaxPacketSize0;
    uint16_t idVendor;
    uint16_t idProduct;
    uint16_t bcdDevice;
    uint8_t iManufacturer;
    uint8_t iProduct;
    uint8_t iSerialNumber;
    uint8_t bNumConfigurations;
} __attribute__((packed));
typedef struct IOUSBDeviceDescriptor IOUSBDeviceDescriptor;

struct IOUSBConfigurationDescHeader {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint16_t wTotalLength;
} __attribute__((packed));
typedef struct IOUSBConfigurationDescHeader IOUSBConfigurationDescHeader;

struct IOUSBConfigurationDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint16_t wTotalLength;
    uint8_t bNumInterfaces;
    uint8_t bConfigurationValue;
    uint8_t iConfiguration;
    uint8_t bmAttributes;
    uint8_t MaxPower; /* Apple's capitalisation */
} __attribute__((packed));
typedef struct IOUSBConfigurationDescriptor IOUSBConfigurationDescriptor;

enum {
    kIOUSBConfigurationDescriptorAttributeRemoteWakeCapable = IOUSBBit(5),
    kIOUSBConfigurationDescriptorAttributeSelfPowered = IOUSBBit(6),
};

struct IOUSBInterfaceDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bInterfaceNumber;
    uint8_t bAlternateSetting;
    uint8_t bNumEndpoints;
    uint8_t bInterfaceClass;
    uint8_t bInterfaceSubClass;
    uint8_t bInterfaceProtocol;
    uint8_t iInterface;
} __attribute__((packed));
typedef struct IOUSBInterfaceDescriptor IOUSBInterfaceDescriptor;

struct IOUSBEndpointDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bEndpointAddress;
    uint8_t bmAttributes;
    uint16_t wMaxPacketSize;
    uint8_t bInterval;
} __attribute__((packed));
typedef struct IOUSBEndpointDescriptor IOUSBEndpointDescriptor;

/* Fields of bEndpointAddress, bmAttributes and wMaxPacketSize. */
enum {
    kIOUSBEndpointDescriptorNumber = IOUSBBitRange(0, 3),
    kIOUSBEndpointDescriptorNumberPhase = IOUSBBitRangePhase(0, 3),
    kIOUSBEndpointDescriptorEndpointAddressReserved = IOUSBBitRange(4, 6),
    kIOUSBEndpointDescriptorDirection = IOUSBBit(7),
    kIOUSBEndpointDescriptorDirectionPhase = 7,
    kIOUSBEndpointDescriptorDirectionOut = 0,
    kIOUSBEndpointDescriptorDirectionIn = IOUSBBit(7),

    kIOUSBEndpointDescriptorTransferType = IOUSBBitRange(0, 1),
    kIOUSBEndpointDescriptorTransferTypePhase = IOUSBBitRangePhase(0, 1),
    kIOUSBEndpointDescriptorTransferTypeControl = (0 << IOUSBBitRangePhase(0, 1)),
    kIOUSBEndpointDescriptorTransferTypeIsochronous = (1 << IOUSBBitRangePhase(0, 1)),
    kIOUSBEndpointDescriptorTransferTypeBulk = (2 << IOUSBBitRangePhase(0, 1)),
    kIOUSBEndpointDescriptorTransferTypeInterrupt = (3 << IOUSBBitRangePhase(0, 1)),
    kIOUSBEndpointDescriptorSynchronizationType = IOUSBBitRange(2, 3),
    kIOUSBEndpointDescriptorSynchronizationTypePhase = IOUSBBitRangePhase(2, 3),
    kIOUSBEndpointDescriptorUsageType = IOUSBBitRange(4, 5),
    kIOUSBEndpointDescriptorUsageTypePhase = IOUSBBitRangePhase(4, 5),

    kIOUSBEndpointDescriptorPacketSize = IOUSBBitRange(0, 10),
    kIOUSBEndpointDescriptorPacketSizePhase = IOUSBBitRangePhase(0, 10),
    kIOUSBEndpointDescriptorPacketSizeMult = IOUSBBitRange(11, 12),
    kIOUSBEndpointDescriptorPacketSizeMultPhase = IOUSBBitRangePhase(11, 12),
};

enum tIOUSBEndpointDirection {
    kIOUSBEndpointDirectionOut = 0,
    kIOUSBEndpointDirectionIn = 1,
    kIOUSBEndpointDirectionUnknown = 2,
};

enum tIOUSBEndpointType {
    kIOUSBEndpointTypeControl = 0,
    kIOUSBEndpointTypeIsochronous = 1,
    kIOUSBEndpointTypeBulk = 2,
    kIOUSBEndpointTypeInterrupt = 3,
};

struct IOUSBStringDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bString[1]; /* UTF-16LE, bLength - 2 bytes */
} __attribute__((packed));
typedef struct IOUSBStringDescriptor IOUSBStringDescriptor;

struct IOUSBInterfaceAssociationDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bFirstInterface;
    uint8_t bInterfaceCount;
    uint8_t bFunctionClass;
    uint8_t bFunctionSubClass;
    uint8_t bFunctionProtocol;
    uint8_t iFunction;
} __attribute__((packed));
typedef struct IOUSBInterfaceAssociationDescriptor IOUSBInterfaceAssociationDescriptor;

struct IOUSBSuperSpeedEndpointCompanionDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bMaxBurst;
    uint8_t bmAttributes;
    uint16_t wBytesPerInterval;
} __attribute__((packed));
typedef struct IOUSBSuperSpeedEndpointCompanionDescriptor IOUSBSuperSpeedEndpointCompanionDescriptor;

struct IOUSBSuperSpeedPlusIsochronousEndpointCompanionDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint16_t wReserved;
    uint32_t dwBytesPerInterval;
} __attribute__((packed));
typedef struct IOUSBSuperSpeedPlusIsochronousEndpointCompanionDescriptor
    IOUSBSuperSpeedPlusIsochronousEndpointCompanionDescriptor;

/* ---- BOS and device capabilities (USB 3.2 §9.6.2) ---- */
struct IOUSBBOSDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint16_t wTotalLength;
    uint8_t bNumDeviceCaps;
} __attribute__((packed));
typedef struct IOUSBBOSDescriptor IOUSBBOSDescriptor;

struct IOUSBDeviceCapabilityDescriptorHeader {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bDevCapabilityType;
} __attribute__((packed));
typedef struct IOUSBDeviceCapabilityDescriptorHeader IOUSBDeviceCapabilityDescriptorHeader;

/* bDevCapabilityType values (USB 3.2 Table 9-14). netdext: Apple's enumerator names are not
 * published in netdext's sources; these follow its naming pattern. */
enum tIOUSBDeviceCapabilityType {
    kIOUSBDeviceCapabilityTypeWireless = 1,
    kIOUSBDeviceCapabilityTypeUSB20Extension = 2,
    kIOUSBDeviceCapabilityTypeSuperSpeed = 3,
    kIOUSBDeviceCapabilityTypeContainerID = 4,
    kIOUSBDeviceCapabilityTypePlatform = 5,
    kIOUSBDeviceCapabilityTypeSuperSpeedPlus = 10,
    kIOUSBDeviceCapabilityTypeBillboard = 13,
};

struct IOUSBDeviceCapabilityUSB2Extension {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bDevCapabilityType;
    uint32_t bmAttributes;
} __attribute__((packed));
typedef struct IOUSBDeviceCapabilityUSB2Extension IOUSBDeviceCapabilityUSB2Extension;

struct IOUSBDeviceCapabilitySuperSpeedUSB {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bDevCapabilityType;
    uint8_t bmAttributes;
    uint16_t wSpeedsSupported;
    uint8_t bFunctionalitySupport;
    uint8_t bU1DevExitLat;
    uint16_t wU2DevExitLat;
} __attribute__((packed));
typedef struct IOUSBDeviceCapabilitySuperSpeedUSB IOUSBDeviceCapabilitySuperSpeedUSB;

struct IOUSBDeviceCapabilitySuperSpeedPlusUSB {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bDevCapabilityType;
    uint8_t bReserved;
    uint32_t bmAttributes;
    uint16_t wFunctionalitySupport;
    uint16_t wReserved;
    uint32_t bmSublinkSpeedAttr[];
} __attribute__((packed));
typedef struct IOUSBDeviceCapabilitySuperSpeedPlusUSB IOUSBDeviceCapabilitySuperSpeedPlusUSB;

struct IOUSBDeviceCapabilityContainerID {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bDevCapabilityType;
    uint8_t bReservedID;
    uint8_t containerID[16];
} __attribute__((packed));
typedef struct IOUSBDeviceCapabilityContainerID IOUSBDeviceCapabilityContainerID;

struct IOUSBPlatformCapabilityDescriptor {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bDevCapabilityType;
    uint8_t bReserved;
    uuid_t PlatformCapabilityUUID;
} __attribute__((packed));
typedef struct IOUSBPlatformCapabilityDescriptor IOUSBPlatformCapabilityDescriptor;

struct IOUSBDeviceCapabilityBillboardAltConfig {
    uint16_t wSVID;
    uint8_t bAltenateMode; /* sic */
    uint8_t iAlternateModeString;
} __attribute__((packed));
typedef struct IOUSBDeviceCapabilityBillboardAltConfig IOUSBDeviceCapabilityBillboardAltConfig;

struct IOUSBDeviceCapabilityBillboard {
    uint8_t bLength;
    uint8_t bDescriptorType;
    uint8_t bDevCapabilityType;
    uint8_t iAdditionalInfoURL;
    uint8_t bNumberOfAlternateModes;
    uint8_t bPreferredAlternateMode;
    uint16_t vCONNPower;
    uint8_t bmConfigured[32];
    uint16_t bcdVersion;
    uint8_t bAdditionalFailureInfo;
    uint8_t bReserved;
    IOUSBDeviceCapabilityBillboardAltConfig pAltConfigurations[];
} __attribute__((packed));
typedef struct IOUSBDeviceCapabilityBillboard IOUSBDeviceCapabilityBillboard;

/* ---- device requests (USB 2.0 §9.3, §9.4) ---- */
struct IOUSBDeviceRequest {
    uint8_t bmRequestType;
    uint8_t bRequest;
    uint16_t wValue;
    uint16_t wIndex;
    uint16_t wLength;
} __attribute__((packed));
typedef struct IOUSBDeviceRequest IOUSBDeviceRequest;

enum tIOUSBDeviceRequest {
    kIOUSBDeviceRequestSize = 8,
    kIOUSBDeviceRequestDirectionMask = IOUSBBit(7),
    kIOUSBDeviceRequestDirectionPhase = IOUSBBitRangePhase(7, 7),
    kIOUSBDeviceRequestDirectionOut = (0 << IOUSBBitRangePhase(7, 7)),
    kIOUSBDeviceRequestDirectionIn = (1 << IOUSBBitRangePhase(7, 7)),
    kIOUSBDeviceRequestTypeMask = IOUSBBitRange(5, 6),
    kIOUSBDeviceRequestTypePhase = IOUSBBitRangePhase(5, 6),
    kIOUSBDeviceRequestTypeStandard = (0 << IOUSBBitRangePhase(5, 6)),
    kIOUSBDeviceRequestTypeClass = (1 << IOUSBBitRangePhase(5, 6)),
    kIOUSBDeviceRequestTypeVendor = (2 << IOUSBBitRangePhase(5, 6)),
    kIOUSBDeviceRequestRecipientMask = IOUSBBitRange(0, 4),
    kIOUSBDeviceRequestRecipientPhase = IOUSBBitRangePhase(0, 4),
    kIOUSBDeviceRequestRecipientDevice = (0 << IOUSBBitRangePhase(0, 4)),
    kIOUSBDeviceRequestRecipientInterface = (1 << IOUSBBitRangePhase(0, 4)),
    kIOUSBDeviceRequestRecipientEndpoint = (2 << IOUSBBitRangePhase(0, 4)),
    kIOUSBDeviceRequestRecipientOther = (3 << IOUSBBitRangePhase(0, 4)),
};

/* The same fields as values, before they are shifted into bmRequestType. */
enum tIOUSBDeviceRequestDirectionValue {
    kIOUSBDeviceRequestDirectionValueOut = 0,
    kIOUSBDeviceRequestDirectionValueIn = 1,
};
enum tIOUSBDeviceRequestTypeValue {
    kIOUSBDeviceRequestTypeValueStandard = 0,
    kIOUSBDeviceRequestTypeValueClass = 1,
    kIOUSBDeviceRequestTypeValueVendor = 2,
};
enum tIOUSBDeviceRequestRecipientValue {
    kIOUSBDeviceRequestRecipientValueDevice = 0,
    kIOUSBDeviceRequestRecipientValueInterface = 1,
    kIOUSBDeviceRequestRecipientValueEndpoint = 2,
    kIOUSBDeviceRequestRecipientValueOther = 3,
};

/* Standard bRequest codes (USB 3.2 Table 9-4). */
enum {
    kIOUSBDeviceRequestGetStatus = 0,
    kIOUSBDeviceRequestClearFeature = 1,
    kIOUSBDeviceRequestGetState = 2,
    kIOUSBDeviceRequestSetFeature = 3,
    kIOUSBDeviceRequestSetAddress = 5,
    kIOUSBDeviceRequestGetDescriptor = 6,
    kIOUSBDeviceRequestSetDescriptor = 7,
    kIOUSBDeviceRequestGetConfiguration = 8,
    kIOUSBDeviceRequestSetConfiguration = 9,
    kIOUSBDeviceRequestGetInterface = 10,
    kIOUSBDeviceRequestSetInterface = 11,
    kIOUSBDeviceRequestSynchFrame = 12,
    kIOUSBDeviceRequestSetSel = 48,
    kIOUSBDeviceRequestSetIsochronousDelay = 49,
};

/* Endpoint status and feature selector (no k prefix, as Apple spells them). */
enum {
    IOUSBEndpointStatusHalt = IOUSBBit(0),
};
enum {
    IOUSBEndpointFeatureSelectorStall = 0,
};

#endif /* AppleUSBCommon_AppleUSBDefinitions_h */
