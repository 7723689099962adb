/*
 * USBDriverKit/USBDriverKitDefs.h — abort options and the function that frees the descriptors
 * the family hands out (CopyDeviceDescriptor, CopyConfigurationDescriptor, …).
 * netdext: Apple's names and values.
 */
#ifndef USBDriverKitDefs_h
#define USBDriverKitDefs_h

#include <USBDriverKit/AppleUSBDefinitions.h>

enum IOUSBAbortOptions {
    kIOUSBAbortAsynchronous = 0x0,
    kIOUSBAbortSynchronous = 0x1,
};

/* Frees a descriptor returned by a Copy…Descriptor method; NULL is ignored. */
void IOUSBHostFreeDescriptor(const IOUSBDeviceDescriptor *descriptor);
void IOUSBHostFreeDescriptor(const IOUSBConfigurationDescriptor *descriptor);
void IOUSBHostFreeDescriptor(const IOUSBBOSDescriptor *descriptor);
void IOUSBHostFreeDescriptor(const IOUSBStringDescriptor *descriptor);

#endif /* USBDriverKitDefs_h */
