// The host protocol's device messages (types 80–99): a simulated USB or PCI device under
// netdextd (docs/devices.md, "Devices under netdextd"). Part of host_protocol.h's table.
//
// A device model runs inside the netdext-host of the driver that matched it, with no more
// privilege than that driver; the daemon validates everything that comes back (descriptions,
// counters, error texts, and every frame on the cable).
//
//   daemon → host                                host → daemon
//   AttachDevice + [cable socket] ─── reply ──── DeviceAttached
//   DetachDevice (surprise removal; the host then stops its driver and exits)
//   SetDeviceKnob ─────────────────── reply ──── DeviceKnobSet
//   QueryDevice ───────────────────── reply ──── DeviceCounters
//                                                DeviceDescription (netdext-host
//                                                --describe-device: the probe's only message)
//
// The cable socket is one end of a SOCK_SEQPACKET pair: one Ethernet frame per datagram, the
// daemon pumps the other end to the device's TAP.
#pragma once

#include <cstdint>

namespace netdext::protocol {

// Starts the driver on the device `spec` describes ("MODEL[,knob=value…]", the models' registry
// syntax); `personality` is the one the daemon matched, which the host checks it would choose
// too. netdext-host was started with --wait-for-device and does nothing before this.
struct AttachDevice {
    static constexpr uint16_t kType = 80;
    static constexpr const char *kName = "AttachDevice";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 1; // the cable (none: unplugged)
    char spec[512];
    char personality[128];
};

struct DeviceAttached { // reply to AttachDevice; StartResult follows when status is 0
    static constexpr uint16_t kType = 81;
    static constexpr const char *kName = "DeviceAttached";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    int32_t status; // kIOReturn…
    uint32_t reserved;
    char reason[256];
};

struct DetachDevice { // no reply: the host exits once its driver has stopped
    static constexpr uint16_t kType = 82;
    static constexpr const char *kName = "DetachDevice";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t reserved;
};

struct SetDeviceKnob {
    static constexpr uint16_t kType = 83;
    static constexpr const char *kName = "SetDeviceKnob";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    char name[64];
    char value[192];
};

struct DeviceKnobSet { // reply to SetDeviceKnob
    static constexpr uint16_t kType = 84;
    static constexpr const char *kName = "DeviceKnobSet";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    int32_t status; // 0, or kIOReturnBadArgument with `error`
    uint32_t reserved;
    char error[256];
};

struct QueryDevice {
    static constexpr uint16_t kType = 85;
    static constexpr const char *kName = "QueryDevice";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t reserved;
};

struct DeviceCounters { // reply to QueryDevice: the model's counters and its cable's
    static constexpr uint16_t kType = 86;
    static constexpr const char *kName = "DeviceCounters";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    static constexpr uint32_t kMaxEntries = 48;
    static constexpr uint32_t kMinPayload = 8;
    uint32_t count; // entries in use (the receiver checks ≤ kMaxEntries and the payload length)
    uint32_t removed;
    struct Entry {
        char name[40];
        uint64_t value;
    } entries[kMaxEntries];
};

// One provider the device offers, as matching sees it (netdext/bundle/matching.h).
struct DeviceProvider {
    enum Kind : uint8_t { kUsbDevice = 1, kUsbInterface = 2, kPci = 3 };
    uint8_t kind;
    uint8_t device_class, device_subclass, device_protocol;
    uint16_t id_vendor, id_product, bcd_device;
    uint8_t configuration_value, interface_number;
    uint8_t interface_class, interface_subclass, interface_protocol;
    uint8_t reserved;
    uint32_t pci_device_vendor, pci_class_revision, pci_subsystem;
};

// What netdext-host --describe-device SPEC reports before it exits: the device's providers (a
// USB device first, then the interfaces of its first configuration; or one PCI function), or
// why the device could not be created.
struct DeviceDescription {
    static constexpr uint16_t kType = 87;
    static constexpr const char *kName = "DeviceDescription";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    static constexpr uint32_t kMaxProviders = 32;
    int32_t status; // 0, or kIOReturnBadArgument / kIOReturnNoDevice with `error`
    uint32_t count;
    char model[32];
    char error[256];
    DeviceProvider providers[kMaxProviders];
};

static_assert(sizeof(AttachDevice) == 640);
static_assert(sizeof(DeviceAttached) == 264);
static_assert(sizeof(SetDeviceKnob) == 256);
static_assert(sizeof(DeviceKnobSet) == 264);
static_assert(sizeof(DeviceCounters) == 8 + 48 * 48);
static_assert(sizeof(DeviceProvider) == 28);
static_assert(sizeof(DeviceDescription) == 296 + 32 * 28);

} // namespace netdext::protocol
