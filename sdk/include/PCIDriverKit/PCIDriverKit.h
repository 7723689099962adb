/*
 * PCIDriverKit/PCIDriverKit.h — the PCIDriverKit umbrella, in Apple's order.
 */
#ifndef PCIDriverKit_h
#define PCIDriverKit_h

#include <PCIDriverKit/IOPCIFamilyDefinitions.h>
#include <PCIDriverKit/IOPCIDevice.h>

#endif /* PCIDriverKit_h */
