/*
 * USBDriverKit/AppleUSBDescriptorParsing.h — walking configuration and BOS descriptors, and
 * reading endpoint descriptor fields.
 *
 * netdext: Apple's functions and their contracts. Every "next" function starts after
 * currentDescriptor (NULL: at the first descriptor after the parent/configuration header),
 * checks that what it returns lies wholly inside the parent's wTotalLength, and returns NULL at
 * the end or on a malformed descriptor (bLength below 2 or running past the end).
 */
#ifndef AppleUSBDescriptorParsing_h
#define AppleUSBDescriptorParsing_h

#include <USBDriverKit/AppleUSBDefinitions.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration descriptors ---- */
const IOUSBDescriptorHeader *IOUSBGetNextDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                    const IOUSBDescriptorHeader *currentDescriptor);
const IOUSBDescriptorHeader *IOUSBGetNextDescriptorWithType(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                            const IOUSBDescriptorHeader *currentDescriptor,
                                                            const uint8_t type);
/* Descriptors that belong to parentDescriptor: those after it up to the next descriptor of the
 * parent's type or of a "higher" one (an interface association ends at the next association, an
 * interface at the next interface or association, an endpoint at the next endpoint, interface or
 * association). */
const IOUSBDescriptorHeader *IOUSBGetNextAssociatedDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                              const IOUSBDescriptorHeader *parentDescriptor,
                                                              const IOUSBDescriptorHeader *currentDescriptor);
const IOUSBDescriptorHeader *IOUSBGetNextAssociatedDescriptorWithType(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                                      const IOUSBDescriptorHeader *parentDescriptor,
                                                                      const IOUSBDescriptorHeader *currentDescriptor,
                                                                      const uint8_t type);
const IOUSBInterfaceAssociationDescriptor *IOUSBGetNextInterfaceAssociationDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                                                     const IOUSBDescriptorHeader *currentDescriptor);
const IOUSBInterfaceDescriptor *IOUSBGetNextInterfaceDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                                const IOUSBDescriptorHeader *currentDescriptor);
/* The endpoints of interfaceDescriptor (one alternate setting). */
const IOUSBEndpointDescriptor *IOUSBGetNextEndpointDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                              const IOUSBInterfaceDescriptor *interfaceDescriptor,
                                                              const IOUSBDescriptorHeader *currentDescriptor);

/* ---- BOS descriptors ---- */
const IOUSBDeviceCapabilityDescriptorHeader *IOUSBGetNextCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor,
                                                                              const IOUSBDeviceCapabilityDescriptorHeader *currentDescriptor);
const IOUSBDeviceCapabilityDescriptorHeader *IOUSBGetNextCapabilityDescriptorWithType(const IOUSBBOSDescriptor *bosDescriptor,
                                                                                      const IOUSBDeviceCapabilityDescriptorHeader *currentDescriptor,
                                                                                      const uint8_t type);
const IOUSBDeviceCapabilityUSB2Extension *IOUSBGetUSB20ExtensionDeviceCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor);
const IOUSBDeviceCapabilitySuperSpeedUSB *IOUSBGetSuperSpeedDeviceCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor);
const IOUSBDeviceCapabilitySuperSpeedPlusUSB *IOUSBGetSuperSpeedPlusDeviceCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor);
const IOUSBDeviceCapabilityContainerID *IOUSBGetContainerIDDescriptor(const IOUSBBOSDescriptor *bosDescriptor);
const IOUSBPlatformCapabilityDescriptor *IOUSBGetPlatformCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor);
const IOUSBDeviceCapabilityBillboard *IOUSBGetBillboardDescriptor(const IOUSBBOSDescriptor *bosDescriptor);

/* ---- endpoint descriptors ---- */
/* tIOUSBEndpointDirection; control endpoints give kIOUSBEndpointDirectionUnknown. */
uint8_t IOUSBGetEndpointDirection(const IOUSBEndpointDescriptor *descriptor);
uint8_t IOUSBGetEndpointAddress(const IOUSBEndpointDescriptor *descriptor);
uint8_t IOUSBGetEndpointNumber(const IOUSBEndpointDescriptor *descriptor);
/* tIOUSBEndpointType */
uint8_t IOUSBGetEndpointType(const IOUSBEndpointDescriptor *descriptor);
/* wMaxPacketSize's size field (mult and burst not applied). usbDeviceSpeed:
 * tIOUSBHostConnectionSpeed. */
uint16_t IOUSBGetEndpointMaxPacketSize(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor);
/* Bytes per service interval, mult and burst applied. */
uint32_t IOUSBGetEndpointBurstSize(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor,
                                   const IOUSBSuperSpeedEndpointCompanionDescriptor *companionDescriptor,
                                   const IOUSBSuperSpeedPlusIsochronousEndpointCompanionDescriptor *sspCompanionDescriptor);
uint8_t IOUSBGetEndpointMult(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor,
                             const IOUSBSuperSpeedEndpointCompanionDescriptor *companionDescriptor,
                             const IOUSBSuperSpeedPlusIsochronousEndpointCompanionDescriptor *sspCompanionDescriptor);
/* The service interval as n in 2^(n-1) microframes, in microframes, and in frames. */
uint32_t IOUSBGetEndpointIntervalEncodedMicroframes(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor);
uint32_t IOUSBGetEndpointIntervalMicroframes(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor);
uint32_t IOUSBGetEndpointIntervalFrames(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor);
/* Bulk streams: n in 2^n, and the count. */
uint32_t IOUSBGetEndpointMaxStreamsEncoded(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor,
                                           const IOUSBSuperSpeedEndpointCompanionDescriptor *companionDescriptor);
uint32_t IOUSBGetEndpointMaxStreams(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor,
                                    const IOUSBSuperSpeedEndpointCompanionDescriptor *companionDescriptor);
/* bMaxPower in milliamps: units of 2 mA up to high speed, 8 mA at SuperSpeed and above. */
uint32_t IOUSBGetConfigurationMaxPowerMilliAmps(uint32_t usbDeviceSpeed, const IOUSBConfigurationDescriptor *descriptor);

#ifdef __cplusplus
}
#endif

#endif /* AppleUSBDescriptorParsing_h */
