// The device probe's DeviceDescription is untrusted: every field is checked before matching.

#include <gtest/gtest.h>

#include "device_description.h"

#include <cstring>

using namespace netdext::devices;
using netdext::protocol::DeviceProvider;
using Message = netdext::protocol::DeviceDescription;

namespace {

Message usb_device(uint32_t interfaces) {
    Message m{};
    std::strcpy(m.model, "cdc-ecm");
    m.count = 1 + interfaces;
    m.providers[0].kind = DeviceProvider::kUsbDevice;
    m.providers[0].id_vendor = 0x0525;
    m.providers[0].id_product = 0xa4a1;
    m.providers[0].device_class = 2;
    for (uint32_t i = 1; i <= interfaces; ++i) {
        DeviceProvider &p = m.providers[i];
        p = m.providers[0];
        p.kind = DeviceProvider::kUsbInterface;
        p.configuration_value = 1;
        p.interface_number = uint8_t(i - 1);
        p.interface_class = i == 1 ? 2 : 10;
        p.interface_subclass = i == 1 ? 6 : 0;
    }
    return m;
}

} // namespace

TEST(DeviceDescription, UsbDeviceThenItsInterfaces) {
    Message m = usb_device(2);
    std::string error;
    auto d = check_description(m, sizeof m, error);
    ASSERT_TRUE(d) << error;
    EXPECT_EQ(d->model, "cdc-ecm");
    EXPECT_EQ(d->bus, "usb");
    ASSERT_EQ(d->providers.size(), 3u);
    EXPECT_EQ(d->providers[0].class_name, "IOUSBHostDevice");
    EXPECT_FALSE(d->providers[0].usb->is_interface);
    EXPECT_EQ(d->providers[1].class_name, "IOUSBHostInterface");
    EXPECT_EQ(d->providers[1].usb->interface_class, 2);
    EXPECT_EQ(d->providers[2].usb->interface_number, 1);
    EXPECT_EQ(describe_provider(d->providers[0]), "IOUSBHostDevice 0525:a4a1 (class 2/0/0)");
    EXPECT_EQ(describe_provider(d->providers[1]),
              "IOUSBHostInterface 0 of configuration 1 (class 2/6/0)");
}

TEST(DeviceDescription, PciFunction) {
    Message m{};
    m.count = 1;
    m.providers[0].kind = DeviceProvider::kPci;
    m.providers[0].pci_device_vendor = 0x100e8086;
    m.providers[0].pci_class_revision = 0x02000003;
    std::string error;
    auto d = check_description(m, sizeof m, error);
    ASSERT_TRUE(d) << error;
    EXPECT_EQ(d->bus, "pci");
    EXPECT_EQ(d->providers[0].pci->device_vendor, 0x100e8086u);
    EXPECT_EQ(describe_provider(d->providers[0]), "IOPCIDevice 0x100e8086 (class 0x020000)");
}

TEST(DeviceDescription, TheProbesOwnReasonIsPassedOnPrintable) {
    Message m{};
    m.status = -536870206; // kIOReturnBadArgument
    std::strcpy(m.error, "cdc-ecm: no knob named \"stal\"\x1b[2J");
    std::string error;
    EXPECT_FALSE(check_description(m, sizeof m, error));
    EXPECT_EQ(error, "cdc-ecm: no knob named \"stal\"?[2J");
    // An error text without its NUL is read up to the array's end, not past it.
    std::memset(m.error, 'x', sizeof m.error);
    EXPECT_FALSE(check_description(m, sizeof m, error));
    EXPECT_EQ(error.size(), sizeof m.error);
}

TEST(DeviceDescription, RefusesMalformedDescriptions) {
    std::string error;
    Message m = usb_device(1);
    m.count = 0;
    EXPECT_FALSE(check_description(m, sizeof m, error));
    m.count = Message::kMaxProviders + 1;
    EXPECT_FALSE(check_description(m, sizeof m, error));
    m = usb_device(2); // the payload ends before the third provider
    EXPECT_FALSE(check_description(m, offsetof(Message, providers) + 2 * sizeof(DeviceProvider),
                                   error));
    EXPECT_NE(error.find("3 providers"), std::string::npos) << error;
    m = usb_device(1);
    std::swap(m.providers[0], m.providers[1]); // an interface first
    EXPECT_FALSE(check_description(m, sizeof m, error));
    m = usb_device(1);
    m.providers[1].kind = DeviceProvider::kUsbDevice; // two devices
    EXPECT_FALSE(check_description(m, sizeof m, error));
    m = usb_device(1);
    m.providers[1].kind = DeviceProvider::kPci;
    EXPECT_FALSE(check_description(m, sizeof m, error));
    m = usb_device(0);
    m.providers[0].kind = 9;
    EXPECT_FALSE(check_description(m, sizeof m, error));
    EXPECT_NE(error.find("unknown kind 9"), std::string::npos);
}
