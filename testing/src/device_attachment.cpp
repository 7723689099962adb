// DeviceAttachment: providers over a device model, matching and the transport entitlement.

#include "device_attachment.h"

#include <PCIDriverKit/PCIDriverKit.h>
#include <USBDriverKit/USBDriverKit.h>
#include <netdext/pci_backend.h>
#include <netdext/system_calls.h>
#include <netdext/usb_backend.h>

namespace netdext::testing {

namespace {

bundle::Provider usb_description(IOUSBHostDevice *device, IOUSBHostInterface *interface) {
    const IOUSBDeviceDescriptor &dd = device->netdext_device_descriptor();
    bundle::UsbIdentity id;
    id.id_vendor = USBToHost16(dd.idVendor);
    id.id_product = USBToHost16(dd.idProduct);
    id.bcd_device = USBToHost16(dd.bcdDevice);
    id.device_class = dd.bDeviceClass;
    id.device_subclass = dd.bDeviceSubClass;
    id.device_protocol = dd.bDeviceProtocol;
    if (interface == nullptr)
        return bundle::Provider{kIOUSBHostDeviceClassName, id, std::nullopt};
    const IOUSBInterfaceDescriptor *desc = interface->netdext_interface_descriptor();
    const IOUSBConfigurationDescriptor *config = interface->CopyConfigurationDescriptor();
    id.is_interface = true;
    id.configuration_value = config != nullptr ? config->bConfigurationValue : 0;
    IOUSBHostFreeDescriptor(config);
    id.interface_number = desc->bInterfaceNumber;
    id.interface_class = desc->bInterfaceClass;
    id.interface_subclass = desc->bInterfaceSubClass;
    id.interface_protocol = desc->bInterfaceProtocol;
    return bundle::Provider{kIOUSBHostInterfaceClassName, id, std::nullopt};
}

bundle::Provider pci_description(IOPCIDevice *device) {
    auto &backend = *device->netdext_backend();
    bundle::PciIdentity id;
    id.device_vendor = backend.config_read(kIOPCIConfigurationOffsetVendorID, 4);
    id.class_revision = backend.config_read(kIOPCIConfigurationOffsetRevisionID, 4);
    id.subsystem = backend.config_read(kIOPCIConfigurationOffsetSubSystemVendorID, 4);
    return bundle::Provider{"IOPCIDevice", std::nullopt, id};
}

} // namespace

DeviceAttachment::~DeviceAttachment() { teardown(); }

bool DeviceAttachment::choose(const bundle::Bundle &bundle, const bundle::Provider &description,
                              IOService *nub) {
    std::vector<std::string> lines;
    auto best = bundle::best_personality(bundle, description, &lines);
    for (const std::string &line : lines)
        m_log.push_back(description.class_name + ": " + line);
    if (!best || (m_personality != nullptr && best->score <= m_score))
        return false;
    m_personality = best->personality;
    m_score = best->score;
    m_provider = nub;
    std::string why;
    m_verdict = bundle::transport_entitled(bundle, description, why) ? kIOReturnSuccess
                                                                     : kIOReturnNotPermitted;
    if (m_verdict != kIOReturnSuccess)
        m_log.push_back("not entitled: " + why);
    return true;
}

std::unique_ptr<DeviceAttachment> DeviceAttachment::create(std::shared_ptr<model::Device> device,
                                                           const bundle::Bundle *bundle,
                                                           std::string &error) {
    return enumerate(std::move(device), bundle, false, error);
}

std::vector<bundle::Provider> DeviceAttachment::describe(std::shared_ptr<model::Device> device,
                                                         std::string &error) {
    auto a = enumerate(std::move(device), nullptr, true, error);
    return a ? a->m_descriptions : std::vector<bundle::Provider>{};
}

std::unique_ptr<DeviceAttachment> DeviceAttachment::enumerate(
    std::shared_ptr<model::Device> device, const bundle::Bundle *bundle, bool every_provider,
    std::string &error) {
    std::unique_ptr<DeviceAttachment> a(new DeviceAttachment);
    a->m_device = device;
    if (auto usb = device->usb_backend()) {
        kern_return_t kr = IOUSBHostDevice::netdext_create(usb, &a->m_usb);
        if (kr != kIOReturnSuccess) {
            error = device->model() + ": the USB device did not enumerate";
            return nullptr;
        }
        a->m_descriptions.push_back(usb_description(a->m_usb, nullptr));
        if (bundle == nullptr && !every_provider) {
            a->m_provider = a->m_usb;
            a->m_verdict = kIOReturnSuccess;
            return a;
        }
        if (bundle != nullptr && a->choose(*bundle, a->m_descriptions.back(), a->m_usb))
            return a; // a device driver wins the device; no interfaces are matched
        // As AppleUSBHostCompositeDevice: select the first configuration, match each interface.
        const IOUSBConfigurationDescriptor *config = a->m_usb->CopyConfigurationDescriptor(uint8_t(0));
        uint8_t value = config != nullptr ? config->bConfigurationValue : 1;
        IOUSBHostFreeDescriptor(config);
        IOService *composite = netdext::user_resources();
        if (a->m_usb->Open(composite, 0, 0) != kIOReturnSuccess ||
            a->m_usb->SetConfiguration(value, true) != kIOReturnSuccess) {
            error = device->model() + ": SET_CONFIGURATION(" + std::to_string(value) + ") failed";
            a->m_usb->Close(composite, 0);
            return nullptr;
        }
        a->m_usb->Close(composite, 0);
        for (uint32_t i = 0; i < a->m_usb->netdext_interface_count(); ++i) {
            IOUSBHostInterface *interface = a->m_usb->netdext_interface(i);
            interface->retain();
            a->m_interfaces.push_back(interface);
            a->m_descriptions.push_back(usb_description(a->m_usb, interface));
            if (bundle != nullptr)
                a->choose(*bundle, a->m_descriptions.back(), interface);
        }
        return a;
    }
    if (auto pci = device->pci_backend()) {
        kern_return_t kr = IOPCIDevice::netdext_create(pci, 0, 2, 0, &a->m_pci);
        if (kr != kIOReturnSuccess) {
            error = device->model() + ": the PCI function does not answer configuration reads";
            return nullptr;
        }
        a->m_descriptions.push_back(pci_description(a->m_pci));
        if (bundle == nullptr) {
            a->m_provider = a->m_pci;
            a->m_verdict = kIOReturnSuccess;
        } else {
            a->choose(*bundle, a->m_descriptions.back(), a->m_pci);
        }
        return a;
    }
    error = device->model() + ": the model offers neither a USB nor a PCI backend";
    return nullptr;
}

void DeviceAttachment::teardown() {
    m_provider = nullptr;
    for (IOUSBHostInterface *interface : m_interfaces)
        interface->release();
    m_interfaces.clear();
    if (m_usb != nullptr) {
        m_usb->netdext_terminate(); // releases its interfaces: breaks the device <-> interface cycle
        OSSafeReleaseNULL(m_usb);
    }
    if (m_pci != nullptr) {
        m_pci->netdext_terminate();
        OSSafeReleaseNULL(m_pci);
    }
}

} // namespace netdext::testing
