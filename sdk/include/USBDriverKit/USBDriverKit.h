/*
 * USBDriverKit/USBDriverKit.h — the USBDriverKit umbrella, in Apple's order.
 * AppleUSBDescriptorParsing.h is not part of it: drivers include it themselves.
 */
#ifndef USBDriverKit_h
#define USBDriverKit_h

#include <USBDriverKit/IOUSBHostDevice.h>
#include <USBDriverKit/IOUSBHostInterface.h>
#include <USBDriverKit/IOUSBHostPipe.h>
#include <USBDriverKit/AppleUSBStandard.h>
#include <USBDriverKit/USBDriverKitDefs.h>
#include <USBDriverKit/AppleUSBDefinitions.h>
#include <USBDriverKit/IOUSBHostFamilyDefinitions.h>

#endif /* USBDriverKit_h */
