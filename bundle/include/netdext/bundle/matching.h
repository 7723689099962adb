// Matching a dext's IOKitPersonalities against a provider, with IOKit's keys and probe scores,
// and the transport entitlements a USB or PCI driver needs. For every process that decides which
// driver a device gets: the driver test bench, netdext-sim and netdextd. It needs no
// DriverKit runtime: a provider is described by plain identity structures.
//
// Rules (docs/devices.md has the tables):
//   - IOProviderClass must name the provider's class (IOService matches any provider).
//   - USB (IOUSBHostFamily; QA1076): every USB key the personality has must equal the device's
//     (idProductArray: contains it; idProductMask: compared under the mask), and the keys must
//     include one of the scored combinations: 100000 idVendor+idProduct+bcdDevice (interfaces:
//     +bConfigurationValue+bInterfaceNumber) … 50000 class+subclass. The match score is that
//     value plus IOProbeScore. idProductArray / idProductMask stand in for idProduct (netdext's
//     reading: Apple does not document their score).
//   - PCI (IOPCIFamily, IOPCIBridge.cpp): every present IOPCIMatch / IOPCIPrimaryMatch /
//     IOPCISecondaryMatch / IOPCIClassMatch key must hit ("0xVALUE[&0xMASK]" entries separated by
//     spaces; IOPCIMatch tries the device and then the subsystem ID). A hit on a non-class key
//     adds 1000 (IOPCIFamily's rule on Apple silicon). A tunnelled function needs
//     IOPCITunnelCompatible.
//   - The best score wins; on a tie the personality that comes first in Info.plist.
#pragma once

#include <netdext/bundle/bundle.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netdext::bundle {

// A USB device, or one of its interfaces (is_interface), as its descriptors describe it.
struct UsbIdentity {
    uint16_t id_vendor = 0;
    uint16_t id_product = 0;
    uint16_t bcd_device = 0;
    uint8_t device_class = 0;
    uint8_t device_subclass = 0;
    uint8_t device_protocol = 0;
    bool is_interface = false;
    uint8_t configuration_value = 0;
    uint8_t interface_number = 0;
    uint8_t interface_class = 0;
    uint8_t interface_subclass = 0;
    uint8_t interface_protocol = 0;
};

// A PCI function: the configuration dwords IOPCIFamily matches against.
struct PciIdentity {
    uint32_t device_vendor = 0;  // config 0x00: device ID << 16 | vendor ID
    uint32_t class_revision = 0; // config 0x08: class code << 8 | revision ID
    uint32_t subsystem = 0;      // config 0x2C: subsystem ID << 16 | subsystem vendor ID
    bool tunnelled = false;      // behind Thunderbolt (IOPCITunnelled)
};

struct Provider {
    std::string class_name; // "IOUSBHostDevice", "IOUSBHostInterface", "IOPCIDevice", "IOUserResources"
    std::optional<UsbIdentity> usb;
    std::optional<PciIdentity> pci;
};

struct MatchResult {
    bool matched = false;
    int64_t score = 0;  // when matched: the family's score + IOProbeScore
    std::string reason; // why it matched (the keys) or why not
};

MatchResult match_personality(const Personality &personality, const Provider &provider);

struct Candidate {
    const Personality *personality = nullptr;
    int64_t score = 0;
};

// The personality of `bundle` that wins `provider`, or nullopt. `log` (optional) gets one line per
// personality: its name, and the score or why it did not match.
std::optional<Candidate> best_personality(const Bundle &bundle, const Provider &provider,
                                          std::vector<std::string> *log = nullptr);

inline constexpr const char *kTransportUsbEntitlement = "com.apple.developer.driverkit.transport.usb";
inline constexpr const char *kTransportPciEntitlement = "com.apple.developer.driverkit.transport.pci";

// Whether the bundle's entitlements let its driver use `provider`: a USB provider needs a
// transport.usb dictionary whose keys all equal the device's (a value "*" allows any), a PCI
// provider a transport.pci dictionary whose match keys all hit; other providers need none.
// False with the reason in `why`.
bool transport_entitled(const Bundle &bundle, const Provider &provider, std::string &why);

// "0x100e8086&0xffffffff 0x15288086" against `value`: any entry hits.
bool pci_match_text(const std::string &text, uint32_t value, uint32_t default_mask);

} // namespace netdext::bundle
