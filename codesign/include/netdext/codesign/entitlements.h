// netdext/codesign/entitlements.h — a dext's entitlements and the rules DriverKit enforces with
// them before driver code runs (API-SYSEXT §4.1, seed "Configure the Sample Code Project"):
//   com.apple.developer.driverkit                    to launch at all
//   com.apple.developer.driverkit.family.networking  to register an Ethernet interface
//   com.apple.developer.driverkit.transport.usb/pci  to match a USB / PCI provider
// One small library for every place that enforces them: netdextd, netdext-host's family,
// netdext-sim and the driver test bench. Plain values; thread-compatible.
#pragma once

#include <netdext/registry/value.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netdext::entitlements {

inline constexpr const char *kDriverKit = "com.apple.developer.driverkit";
inline constexpr const char *kFamilyNetworking = "com.apple.developer.driverkit.family.networking";
inline constexpr const char *kTransportUSB = "com.apple.developer.driverkit.transport.usb";
inline constexpr const char *kTransportPCI = "com.apple.developer.driverkit.transport.pci";

class Entitlements {
public:
    Entitlements() = default; // none
    // The entitlements of an XML property list whose top level is a dictionary (what an
    // .entitlements file and a bundle's Entitlements.plist hold). nullopt with `error` set
    // otherwise.
    static std::optional<Entitlements> parse(std::string_view xml, std::string &error);
    // Entitlements from a dictionary value (keys → values).
    static Entitlements from_dictionary(registry::Value dictionary);
    // The usual set of a NetworkingDriverKit dext: driverkit and family.networking.
    static Entitlements network_driver();

    // Granted: the value is true, or a non-empty value of another type (a transport's
    // matching array such as ({idVendor="*"}), a string); false, empty and missing are not.
    bool granted(std::string_view key) const;
    std::vector<std::string> granted_keys() const;
    const registry::Value &values() const { return m_values; }

private:
    registry::Value m_values = registry::Value::dictionary();
};

// A refusal: the entitlement that is missing and a sentence that names it.
struct Denial {
    std::string entitlement;
    std::string message;
};

// The transport entitlement a personality's IOProviderClass needs: USB for IOUSBHostDevice and
// IOUSBHostInterface, PCI for IOPCIDevice; nullptr for providers without one (IOUserResources,
// IOResources, other families').
const char *transport_for_provider(std::string_view provider_class);

// Before the dext's process starts: driverkit, then the transport its personality's provider
// needs. `who` names the dext in the message (its bundle ID).
std::optional<Denial> check_launch(const Entitlements &entitlements, std::string_view who,
                                   std::string_view provider_class);
// The family entitlement a personality's IOClass (the kernel class its service attaches as)
// needs: family.networking for NetworkingDriverKit's IOUserNetworkEthernet; nullptr otherwise.
const char *family_for_class(std::string_view io_class);
// At activation, per personality: the family entitlement its IOClass needs (netdextd refuses
// the bundle before anything runs; RegisterEthernetInterface checks again for what slips by).
std::optional<Denial> check_family(const Entitlements &entitlements, std::string_view who,
                                   std::string_view io_class);
// At RegisterEthernetInterface (refused with kIOReturnNotPermitted, as macOS does).
std::optional<Denial> check_register_ethernet(const Entitlements &entitlements,
                                              std::string_view who);

} // namespace netdext::entitlements
