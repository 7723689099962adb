/*
 * USBDriverKit/IOUSBHostFamilyDefinitions.h — IOUSBHostFamily's names: matching and registry
 * property keys, connection speeds, its IOReturn codes and open options.
 *
 * netdext: names and values are Apple's. The matching keys are what netdext's matching
 * (netdext/bundle/matching.h) reads from a personality and what the provider nubs carry as
 * registry properties.
 */
#ifndef IOUSBHostFamily_IOUSBHostFamilyDefinitions_h
#define IOUSBHostFamily_IOUSBHostFamilyDefinitions_h

#include <USBDriverKit/AppleUSBDefinitions.h>

/* ---- class names ---- */
#define kIOUSBHostDeviceClassName "IOUSBHostDevice"
#define kIOUSBHostInterfaceClassName "IOUSBHostInterface"

/* ---- matching and registry property keys ---- */
#define kUSBHostMatchingPropertyVendorID "idVendor"
#define kUSBHostMatchingPropertyProductID "idProduct"
#define kUSBHostMatchingPropertyProductIDMask "idProductMask"
#define kUSBHostMatchingPropertyProductIDArray "idProductArray"
#define kUSBHostMatchingPropertyDeviceClass "bDeviceClass"
#define kUSBHostMatchingPropertyDeviceSubClass "bDeviceSubClass"
#define kUSBHostMatchingPropertyDeviceProtocol "bDeviceProtocol"
#define kUSBHostMatchingPropertyDeviceReleaseNumber "bcdDevice"
#define kUSBHostMatchingPropertyConfigurationValue "bConfigurationValue"
#define kUSBHostMatchingPropertyInterfaceClass "bInterfaceClass"
#define kUSBHostMatchingPropertyInterfaceSubClass "bInterfaceSubClass"
#define kUSBHostMatchingPropertyInterfaceProtocol "bInterfaceProtocol"
#define kUSBHostMatchingPropertyInterfaceNumber "bInterfaceNumber"
#define kUSBHostMatchingPropertySpeed "USBSpeed"
#define kUSBHostMatchingPropertyPortType "USBPortType"
#define kUSBHostPropertyLocationID "locationID"
#define kUSBHostInterfacePropertyAlternateSetting "bAlternateSetting"

/* ---- connection speeds (GetSpeed; the XHCI order: Full < Low) ---- */
enum tIOUSBHostConnectionSpeed {
    kIOUSBHostConnectionSpeedNone = 0,
    kIOUSBHostConnectionSpeedFull = 1,
    kIOUSBHostConnectionSpeedLow = 2,
    kIOUSBHostConnectionSpeedHigh = 3,
    kIOUSBHostConnectionSpeedSuper = 4,
    kIOUSBHostConnectionSpeedSuperPlus = 5,
    kIOUSBHostConnectionSpeedSuperPlusBy2 = 6,
    kIOUSBHostConnectionSpeedCount = 7,
};

/* ---- IOReturn codes of the family ---- */
#define iokit_usbhost_err(message) ((IOReturn)(iokit_family_err(sub_iokit_usb, 0x1000 | ((message) & 0xFFF))))
/* The endpoint halted (a STALL handshake): the pipe refuses I/O until ClearStall. */
#define kUSBHostReturnPipeStalled iokit_usbhost_err(0x0)
#define kUSBHostReturnNoPower iokit_usbhost_err(0x1)

/* ---- options and defaults ---- */
#define StandardUSBBit(bit) IOUSBBit(bit)
enum {
    /* IOUSBHostInterface::Open: select the alternate setting *arg while opening. */
    kUSBHostOpenOptionSelectAlternateSetting = StandardUSBBit(16),
};
enum {
    kUSBHostDefaultControlCompletionTimeoutMS = 5000,
};

/* bmRequestType from its three fields (tIOUSBDeviceRequest*Value). */
#define USBmakebmRequestType(direction, type, recipient)                                          \
    ((uint8_t)((((direction) << kIOUSBDeviceRequestDirectionPhase) & kIOUSBDeviceRequestDirectionMask) | \
               (((type) << kIOUSBDeviceRequestTypePhase) & kIOUSBDeviceRequestTypeMask) |          \
               (((recipient) << kIOUSBDeviceRequestRecipientPhase) & kIOUSBDeviceRequestRecipientMask)))

#endif /* IOUSBHostFamily_IOUSBHostFamilyDefinitions_h */
