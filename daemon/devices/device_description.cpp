// Checking a device probe's description (see device_description.h).

#include "device_description.h"

#include <cstddef>
#include <cstdio>

namespace netdext::devices {

using protocol::DeviceProvider;

std::optional<DeviceDescription> check_description(const protocol::DeviceDescription &message,
                                                   size_t payload_length, std::string &error) {
    if (message.status != 0) {
        error = printable_text(message.error);
        if (error.empty())
            error = "the device could not be created";
        return std::nullopt;
    }
    const size_t needed = offsetof(protocol::DeviceDescription, providers) +
                          size_t(message.count) * sizeof(DeviceProvider);
    if (message.count == 0 || message.count > protocol::DeviceDescription::kMaxProviders ||
        payload_length < needed) {
        error = "the device probe reported " + std::to_string(message.count) +
                " providers in " + std::to_string(payload_length) + " bytes";
        return std::nullopt;
    }
    DeviceDescription out;
    out.model = printable_text(message.model);
    for (uint32_t i = 0; i < message.count; ++i) {
        const DeviceProvider &p = message.providers[i];
        bundle::Provider provider;
        switch (p.kind) {
        case DeviceProvider::kUsbDevice:
        case DeviceProvider::kUsbInterface: {
            const bool interface = p.kind == DeviceProvider::kUsbInterface;
            if (interface != (i != 0) || (i > 0 && out.bus != "usb")) {
                error = "the device probe's providers are out of order (a USB device first, "
                        "then its interfaces)";
                return std::nullopt;
            }
            bundle::UsbIdentity usb;
            usb.id_vendor = p.id_vendor;
            usb.id_product = p.id_product;
            usb.bcd_device = p.bcd_device;
            usb.device_class = p.device_class;
            usb.device_subclass = p.device_subclass;
            usb.device_protocol = p.device_protocol;
            usb.is_interface = interface;
            if (interface) {
                usb.configuration_value = p.configuration_value;
                usb.interface_number = p.interface_number;
                usb.interface_class = p.interface_class;
                usb.interface_subclass = p.interface_subclass;
                usb.interface_protocol = p.interface_protocol;
            }
            provider.class_name = interface ? "IOUSBHostInterface" : "IOUSBHostDevice";
            provider.usb = usb;
            out.bus = "usb";
            break;
        }
        case DeviceProvider::kPci:
            if (i != 0 || message.count != 1) {
                error = "the device probe reported a PCI function beside other providers";
                return std::nullopt;
            }
            provider.class_name = "IOPCIDevice";
            provider.pci = bundle::PciIdentity{p.pci_device_vendor, p.pci_class_revision,
                                               p.pci_subsystem, false};
            out.bus = "pci";
            break;
        default:
            error = "the device probe reported a provider of unknown kind " +
                    std::to_string(unsigned(p.kind));
            return std::nullopt;
        }
        out.providers.push_back(std::move(provider));
    }
    return out;
}

std::string describe_provider(const bundle::Provider &provider) {
    char text[160];
    if (provider.usb && provider.usb->is_interface) {
        const bundle::UsbIdentity &u = *provider.usb;
        std::snprintf(text, sizeof text, "%s %u of configuration %u (class %u/%u/%u)",
                      provider.class_name.c_str(), unsigned(u.interface_number),
                      unsigned(u.configuration_value), unsigned(u.interface_class),
                      unsigned(u.interface_subclass), unsigned(u.interface_protocol));
    } else if (provider.usb) {
        const bundle::UsbIdentity &u = *provider.usb;
        std::snprintf(text, sizeof text, "%s %04x:%04x (class %u/%u/%u)",
                      provider.class_name.c_str(), unsigned(u.id_vendor), unsigned(u.id_product),
                      unsigned(u.device_class), unsigned(u.device_subclass),
                      unsigned(u.device_protocol));
    } else if (provider.pci) {
        std::snprintf(text, sizeof text, "%s 0x%08x (class 0x%06x)", provider.class_name.c_str(),
                      unsigned(provider.pci->device_vendor),
                      unsigned(provider.pci->class_revision >> 8));
    } else {
        return provider.class_name;
    }
    return text;
}

} // namespace netdext::devices
