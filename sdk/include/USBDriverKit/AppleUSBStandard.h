/*
 * USBDriverKit/AppleUSBStandard.h — included by USBDriverKit.h in Apple's SDK.
 * netdext: the contents of Apple's file are not known to netdext; the standard definitions
 * drivers need are in AppleUSBDefinitions.h, which this includes.
 */
#ifndef AppleUSBStandard_h
#define AppleUSBStandard_h

#include <USBDriverKit/AppleUSBDefinitions.h>

#endif /* AppleUSBStandard_h */
