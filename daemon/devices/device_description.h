// A device as netdext-host --describe-device reports it (protocol::DeviceDescription), checked by
// netdextd before matching sees it. The probe runs model code in a sandbox, so its message is
// untrusted like any host's: every count, kind and text is bounded and checked here.
#pragma once

#include <netdext/bundle/matching.h>
#include <netdext/protocol/device_protocol.h>

#include <optional>
#include <string>
#include <vector>

namespace netdext::devices {

struct DeviceDescription {
    std::string model; // printable, as the probe named it
    std::string bus;   // "usb" or "pci"
    // USB: the device, then the interfaces of its first configuration; PCI: the function.
    std::vector<bundle::Provider> providers;
};

// The description, or nullopt with `error`: the probe's own reason when it could not create the
// device (an unknown model or knob, a bad value), or what is wrong with the message — a count
// past the array or the payload, an unknown provider kind, a USB device that is not first or
// appears twice, interfaces without a device, a PCI function beside anything else.
// `payload_length` is what arrived (shorter payloads are zero-filled by the channel).
std::optional<DeviceDescription> check_description(const protocol::DeviceDescription &message,
                                                   size_t payload_length, std::string &error);

// Printable ASCII of a fixed protocol array (tabs and anything else become '?'), never reading
// past it.
template <size_t N> std::string printable_text(const char (&text)[N]) {
    std::string out;
    for (size_t i = 0; i < N && text[i] != '\0'; ++i)
        out += (text[i] >= ' ' && text[i] <= '~') ? text[i] : '?';
    return out;
}

// "IOUSBHostInterface 0 (class 2/6/0)", "IOPCIDevice 0x100e8086": one line for logs and lists.
std::string describe_provider(const bundle::Provider &provider);

} // namespace netdext::devices
