// AppleUSBDescriptorParsing.h: walking configuration and BOS descriptors (USB 2.0 §9.6,
// USB 3.2 §9.6.2) and reading endpoint descriptor fields. Every pointer returned lies wholly
// inside the parent's wTotalLength; a descriptor with bLength < 2 ends the walk.

#include <USBDriverKit/AppleUSBDescriptorParsing.h>
#include <USBDriverKit/IOUSBHostFamilyDefinitions.h>

namespace {

// The descriptor after `current` (or the first after the header `start`) inside [start, end).
const IOUSBDescriptorHeader *next_in(const uint8_t *start, const uint8_t *end,
                                     const IOUSBDescriptorHeader *current) {
    const uint8_t *at;
    if (current == nullptr) {
        at = start + start[0];
    } else {
        const uint8_t *cur = reinterpret_cast<const uint8_t *>(current);
        if (cur < start || cur >= end || current->bLength < kIOUSBDescriptorHeaderSize)
            return nullptr;
        at = cur + current->bLength;
    }
    if (at < start || end - at < kIOUSBDescriptorHeaderSize)
        return nullptr;
    const auto *header = reinterpret_cast<const IOUSBDescriptorHeader *>(at);
    if (header->bLength < kIOUSBDescriptorHeaderSize || header->bLength > end - at)
        return nullptr;
    return header;
}

const uint8_t *config_end(const IOUSBConfigurationDescriptor *configuration) {
    return reinterpret_cast<const uint8_t *>(configuration) + USBToHost16(configuration->wTotalLength);
}

bool valid_config(const IOUSBConfigurationDescriptor *configuration) {
    return configuration != nullptr &&
           configuration->bLength >= kIOUSBDescriptorSizeConfiguration &&
           USBToHost16(configuration->wTotalLength) >= configuration->bLength;
}

// Whether `type` ends the descriptors that belong to a parent of `parent_type`.
bool ends_association(uint8_t parent_type, uint8_t type) {
    switch (parent_type) {
    case kIOUSBDescriptorTypeInterfaceAssociation:
        return type == kIOUSBDescriptorTypeInterfaceAssociation;
    case kIOUSBDescriptorTypeInterface:
        return type == kIOUSBDescriptorTypeInterface ||
               type == kIOUSBDescriptorTypeInterfaceAssociation;
    case kIOUSBDescriptorTypeEndpoint:
        return type == kIOUSBDescriptorTypeEndpoint || type == kIOUSBDescriptorTypeInterface ||
               type == kIOUSBDescriptorTypeInterfaceAssociation;
    default:
        return type == parent_type;
    }
}

bool periodic(const IOUSBEndpointDescriptor *descriptor) {
    uint8_t type = IOUSBGetEndpointType(descriptor);
    return type == kIOUSBEndpointTypeIsochronous || type == kIOUSBEndpointTypeInterrupt;
}

} // namespace

extern "C" {

const IOUSBDescriptorHeader *IOUSBGetNextDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                    const IOUSBDescriptorHeader *currentDescriptor) {
    if (!valid_config(configurationDescriptor))
        return nullptr;
    return next_in(reinterpret_cast<const uint8_t *>(configurationDescriptor),
                   config_end(configurationDescriptor), currentDescriptor);
}

const IOUSBDescriptorHeader *IOUSBGetNextDescriptorWithType(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                            const IOUSBDescriptorHeader *currentDescriptor,
                                                            const uint8_t type) {
    const IOUSBDescriptorHeader *at = currentDescriptor;
    while ((at = IOUSBGetNextDescriptor(configurationDescriptor, at)) != nullptr)
        if (at->bDescriptorType == type)
            return at;
    return nullptr;
}

const IOUSBDescriptorHeader *IOUSBGetNextAssociatedDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                              const IOUSBDescriptorHeader *parentDescriptor,
                                                              const IOUSBDescriptorHeader *currentDescriptor) {
    if (parentDescriptor == nullptr)
        return nullptr;
    const IOUSBDescriptorHeader *from = currentDescriptor != nullptr ? currentDescriptor : parentDescriptor;
    const IOUSBDescriptorHeader *next = IOUSBGetNextDescriptor(configurationDescriptor, from);
    if (next == nullptr || ends_association(parentDescriptor->bDescriptorType, next->bDescriptorType))
        return nullptr;
    return next;
}

const IOUSBDescriptorHeader *IOUSBGetNextAssociatedDescriptorWithType(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                                      const IOUSBDescriptorHeader *parentDescriptor,
                                                                      const IOUSBDescriptorHeader *currentDescriptor,
                                                                      const uint8_t type) {
    const IOUSBDescriptorHeader *at = currentDescriptor;
    while ((at = IOUSBGetNextAssociatedDescriptor(configurationDescriptor, parentDescriptor, at)) != nullptr)
        if (at->bDescriptorType == type)
            return at;
    return nullptr;
}

const IOUSBInterfaceAssociationDescriptor *IOUSBGetNextInterfaceAssociationDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                                                     const IOUSBDescriptorHeader *currentDescriptor) {
    const IOUSBDescriptorHeader *at = IOUSBGetNextDescriptorWithType(
        configurationDescriptor, currentDescriptor, kIOUSBDescriptorTypeInterfaceAssociation);
    if (at == nullptr || at->bLength < sizeof(IOUSBInterfaceAssociationDescriptor))
        return nullptr;
    return reinterpret_cast<const IOUSBInterfaceAssociationDescriptor *>(at);
}

const IOUSBInterfaceDescriptor *IOUSBGetNextInterfaceDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                                const IOUSBDescriptorHeader *currentDescriptor) {
    const IOUSBDescriptorHeader *at = currentDescriptor;
    while ((at = IOUSBGetNextDescriptorWithType(configurationDescriptor, at,
                                                kIOUSBDescriptorTypeInterface)) != nullptr)
        if (at->bLength >= kIOUSBDescriptorSizeInterface)
            return reinterpret_cast<const IOUSBInterfaceDescriptor *>(at);
    return nullptr;
}

const IOUSBEndpointDescriptor *IOUSBGetNextEndpointDescriptor(const IOUSBConfigurationDescriptor *configurationDescriptor,
                                                              const IOUSBInterfaceDescriptor *interfaceDescriptor,
                                                              const IOUSBDescriptorHeader *currentDescriptor) {
    const auto *parent = reinterpret_cast<const IOUSBDescriptorHeader *>(interfaceDescriptor);
    const IOUSBDescriptorHeader *at = currentDescriptor;
    while ((at = IOUSBGetNextAssociatedDescriptorWithType(configurationDescriptor, parent, at,
                                                          kIOUSBDescriptorTypeEndpoint)) != nullptr)
        if (at->bLength >= kIOUSBDescriptorSizeEndpoint)
            return reinterpret_cast<const IOUSBEndpointDescriptor *>(at);
    return nullptr;
}

const IOUSBDeviceCapabilityDescriptorHeader *IOUSBGetNextCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor,
                                                                              const IOUSBDeviceCapabilityDescriptorHeader *currentDescriptor) {
    if (bosDescriptor == nullptr || bosDescriptor->bLength < sizeof(IOUSBBOSDescriptor) ||
        USBToHost16(bosDescriptor->wTotalLength) < bosDescriptor->bLength)
        return nullptr;
    const auto *start = reinterpret_cast<const uint8_t *>(bosDescriptor);
    const IOUSBDescriptorHeader *next =
        next_in(start, start + USBToHost16(bosDescriptor->wTotalLength),
                reinterpret_cast<const IOUSBDescriptorHeader *>(currentDescriptor));
    if (next == nullptr || next->bLength < sizeof(IOUSBDeviceCapabilityDescriptorHeader) ||
        next->bDescriptorType != kIOUSBDescriptorTypeDeviceCapability)
        return nullptr;
    return reinterpret_cast<const IOUSBDeviceCapabilityDescriptorHeader *>(next);
}

const IOUSBDeviceCapabilityDescriptorHeader *IOUSBGetNextCapabilityDescriptorWithType(const IOUSBBOSDescriptor *bosDescriptor,
                                                                                      const IOUSBDeviceCapabilityDescriptorHeader *currentDescriptor,
                                                                                      const uint8_t type) {
    const IOUSBDeviceCapabilityDescriptorHeader *at = currentDescriptor;
    while ((at = IOUSBGetNextCapabilityDescriptor(bosDescriptor, at)) != nullptr)
        if (at->bDevCapabilityType == type)
            return at;
    return nullptr;
}

// The first capability of `type` if it is at least `size` bytes long.
#define NETDEXT_FIRST_CAPABILITY(T, type)                                                        \
    const IOUSBDeviceCapabilityDescriptorHeader *at =                                             \
        IOUSBGetNextCapabilityDescriptorWithType(bosDescriptor, nullptr, type);                   \
    return at != nullptr && at->bLength >= sizeof(T) ? reinterpret_cast<const T *>(at) : nullptr

const IOUSBDeviceCapabilityUSB2Extension *IOUSBGetUSB20ExtensionDeviceCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor) {
    NETDEXT_FIRST_CAPABILITY(IOUSBDeviceCapabilityUSB2Extension, kIOUSBDeviceCapabilityTypeUSB20Extension);
}
const IOUSBDeviceCapabilitySuperSpeedUSB *IOUSBGetSuperSpeedDeviceCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor) {
    NETDEXT_FIRST_CAPABILITY(IOUSBDeviceCapabilitySuperSpeedUSB, kIOUSBDeviceCapabilityTypeSuperSpeed);
}
const IOUSBDeviceCapabilitySuperSpeedPlusUSB *IOUSBGetSuperSpeedPlusDeviceCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor) {
    NETDEXT_FIRST_CAPABILITY(IOUSBDeviceCapabilitySuperSpeedPlusUSB, kIOUSBDeviceCapabilityTypeSuperSpeedPlus);
}
const IOUSBDeviceCapabilityContainerID *IOUSBGetContainerIDDescriptor(const IOUSBBOSDescriptor *bosDescriptor) {
    NETDEXT_FIRST_CAPABILITY(IOUSBDeviceCapabilityContainerID, kIOUSBDeviceCapabilityTypeContainerID);
}
const IOUSBPlatformCapabilityDescriptor *IOUSBGetPlatformCapabilityDescriptor(const IOUSBBOSDescriptor *bosDescriptor) {
    NETDEXT_FIRST_CAPABILITY(IOUSBPlatformCapabilityDescriptor, kIOUSBDeviceCapabilityTypePlatform);
}
const IOUSBDeviceCapabilityBillboard *IOUSBGetBillboardDescriptor(const IOUSBBOSDescriptor *bosDescriptor) {
    NETDEXT_FIRST_CAPABILITY(IOUSBDeviceCapabilityBillboard, kIOUSBDeviceCapabilityTypeBillboard);
}
#undef NETDEXT_FIRST_CAPABILITY

uint8_t IOUSBGetEndpointDirection(const IOUSBEndpointDescriptor *descriptor) {
    if (IOUSBGetEndpointType(descriptor) == kIOUSBEndpointTypeControl)
        return kIOUSBEndpointDirectionUnknown;
    return (descriptor->bEndpointAddress & kIOUSBEndpointDescriptorDirection) != 0
               ? kIOUSBEndpointDirectionIn
               : kIOUSBEndpointDirectionOut;
}

uint8_t IOUSBGetEndpointAddress(const IOUSBEndpointDescriptor *descriptor) {
    return descriptor->bEndpointAddress &
           (kIOUSBEndpointDescriptorNumber | kIOUSBEndpointDescriptorDirection);
}

uint8_t IOUSBGetEndpointNumber(const IOUSBEndpointDescriptor *descriptor) {
    return descriptor->bEndpointAddress & kIOUSBEndpointDescriptorNumber;
}

uint8_t IOUSBGetEndpointType(const IOUSBEndpointDescriptor *descriptor) {
    return descriptor->bmAttributes & kIOUSBEndpointDescriptorTransferType;
}

uint16_t IOUSBGetEndpointMaxPacketSize(uint32_t, const IOUSBEndpointDescriptor *descriptor) {
    return USBToHost16(descriptor->wMaxPacketSize) & kIOUSBEndpointDescriptorPacketSize;
}

uint8_t IOUSBGetEndpointMult(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor,
                             const IOUSBSuperSpeedEndpointCompanionDescriptor *companionDescriptor,
                             const IOUSBSuperSpeedPlusIsochronousEndpointCompanionDescriptor *) {
    if (!periodic(descriptor))
        return 1;
    if (usbDeviceSpeed == kIOUSBHostConnectionSpeedHigh)
        return uint8_t(((USBToHost16(descriptor->wMaxPacketSize) & kIOUSBEndpointDescriptorPacketSizeMult) >>
                        kIOUSBEndpointDescriptorPacketSizeMultPhase) + 1);
    if (usbDeviceSpeed >= kIOUSBHostConnectionSpeedSuper && companionDescriptor != nullptr &&
        IOUSBGetEndpointType(descriptor) == kIOUSBEndpointTypeIsochronous)
        return uint8_t((companionDescriptor->bmAttributes & 0x3) + 1);
    return 1;
}

uint32_t IOUSBGetEndpointBurstSize(uint32_t usbDeviceSpeed, const IOUSBEndpointDescriptor *descriptor,
                                   const IOUSBSuperSpeedEndpointCompanionDescriptor *companionDescriptor,
                                   const IOUSBSuperSpeedPlusIsochronousEndpointCompanionDescriptor *sspCompanionDescriptor) {
    uint32_t packet = IOUSBGetEndpointMaxPacketSize(usbDeviceSpeed, descriptor);
    uint32_t mult = IOUSBGetEndpointMult(usbDeviceSpeed, descriptor, companionDescriptor,
                                         sspCompanionDescriptor);
    if (usbDeviceSpeed >= kIOUSBHostConnectionSpeedSuperPlus && sspCompanionDescriptor != nullptr &&
        IOUSBGetEndpointType(descriptor) == kIOUSBEndpointTypeIsochronous)
        return USBToHost32(sspCompanionDescriptor->dwBytesPerInterval);
    if (usbDeviceSpeed >= kIOUSBHostConnectionSpeedSuper && companionDescriptor != nullptr)
        return packet * (uint32_t(companionDescriptor->bMaxBurst) + 1) * mult;
    return packet * mult;
}

uint32_t IOUSBGetEndpointIntervalEncodedMicroframes(uint32_t usbDeviceSpeed,
                                                    const IOUSBEndpointDescriptor *descriptor) {
    uint32_t interval = descriptor->bInterval;
    bool slow = usbDeviceSpeed == kIOUSBHostConnectionSpeedFull ||
                usbDeviceSpeed == kIOUSBHostConnectionSpeedLow;
    if (!periodic(descriptor) || interval == 0)
        return 0;
    if (!slow)
        return interval > 16 ? 16 : interval;
    if (IOUSBGetEndpointType(descriptor) == kIOUSBEndpointTypeIsochronous)
        return (interval > 16 ? 16 : interval) + 3; // 2^(b-1) frames = 2^(b+2) microframes
    // Full/low-speed interrupt: bInterval frames, rounded down to a power of two.
    uint32_t encoded = 1;
    while ((2u << (encoded - 1)) <= interval * 8)
        ++encoded;
    return encoded;
}

uint32_t IOUSBGetEndpointIntervalMicroframes(uint32_t usbDeviceSpeed,
                                             const IOUSBEndpointDescriptor *descriptor) {
    uint32_t encoded = IOUSBGetEndpointIntervalEncodedMicroframes(usbDeviceSpeed, descriptor);
    return encoded == 0 ? 0 : 1u << (encoded - 1);
}

uint32_t IOUSBGetEndpointIntervalFrames(uint32_t usbDeviceSpeed,
                                        const IOUSBEndpointDescriptor *descriptor) {
    uint32_t microframes = IOUSBGetEndpointIntervalMicroframes(usbDeviceSpeed, descriptor);
    if (microframes == 0)
        return 0;
    return microframes < 8 ? 1 : microframes / 8;
}

uint32_t IOUSBGetEndpointMaxStreamsEncoded(uint32_t usbDeviceSpeed,
                                           const IOUSBEndpointDescriptor *descriptor,
                                           const IOUSBSuperSpeedEndpointCompanionDescriptor *companionDescriptor) {
    if (usbDeviceSpeed < kIOUSBHostConnectionSpeedSuper || companionDescriptor == nullptr ||
        IOUSBGetEndpointType(descriptor) != kIOUSBEndpointTypeBulk)
        return 0;
    return companionDescriptor->bmAttributes & 0x1F;
}

uint32_t IOUSBGetEndpointMaxStreams(uint32_t usbDeviceSpeed,
                                    const IOUSBEndpointDescriptor *descriptor,
                                    const IOUSBSuperSpeedEndpointCompanionDescriptor *companionDescriptor) {
    uint32_t encoded = IOUSBGetEndpointMaxStreamsEncoded(usbDeviceSpeed, descriptor, companionDescriptor);
    return encoded == 0 ? 0 : 1u << encoded;
}

uint32_t IOUSBGetConfigurationMaxPowerMilliAmps(uint32_t usbDeviceSpeed,
                                                const IOUSBConfigurationDescriptor *descriptor) {
    uint32_t unit = usbDeviceSpeed >= kIOUSBHostConnectionSpeedSuper ? 8 : 2;
    return uint32_t(descriptor->MaxPower) * unit;
}

} // extern "C"
