// Matching a device across every driver that waits for one: device personalities first, then the
// interfaces of the first configuration; busy drivers; the transport entitlement; the reasons.

#include <gtest/gtest.h>

#include "device_match.h"

using namespace netdext::devices;
using netdext::bundle::Bundle;
using netdext::bundle::Personality;
using netdext::bundle::Provider;
using netdext::bundle::Value;

namespace {

Value integer(uint64_t v) {
    Value out;
    out.kind = Value::Kind::integer;
    out.integer = v;
    return out;
}
Value text(const std::string &s) {
    Value out;
    out.text = s;
    return out;
}
Value dictionary(std::vector<Value::Entry> entries) {
    Value out;
    out.kind = Value::Kind::dictionary;
    out.entries = std::move(entries);
    return out;
}

Personality personality(const std::string &name, const std::string &provider,
                        std::vector<Value::Entry> keys) {
    Personality p;
    p.name = p.user_class = name;
    p.provider_class = provider;
    keys.push_back({"IOProviderClass", text(provider)});
    p.dictionary = dictionary(std::move(keys));
    return p;
}

// A driver with one personality and a transport entitlement of one dictionary.
Bundle driver(const std::string &id, Personality p, const char *transport,
              std::vector<Value::Entry> entitled) {
    Bundle b;
    b.bundle_id = id;
    b.personalities.push_back(std::move(p));
    Value list;
    list.kind = Value::Kind::array;
    list.items.push_back(dictionary(std::move(entitled)));
    b.entitlement_values = dictionary({{transport, list}});
    return b;
}

constexpr const char *kUsb = "com.apple.developer.driverkit.transport.usb";
constexpr const char *kPci = "com.apple.developer.driverkit.transport.pci";

Bundle ecm_driver(uint64_t entitled_vendor = 0x0525) {
    return driver("com.example.Ecm",
                  personality("Ecm", "IOUSBHostInterface",
                              {{"bInterfaceClass", integer(2)},
                               {"bInterfaceSubClass", integer(6)},
                               {"bInterfaceProtocol", integer(0)}}),
                  kUsb, {{"idVendor", integer(entitled_vendor)}});
}
Bundle e1000_driver() {
    return driver("com.example.E1000",
                  personality("E1000", "IOPCIDevice", {{"IOPCIPrimaryMatch", text("0x100e8086")}}),
                  kPci, {{"IOPCIPrimaryMatch", text("0x100e8086")}});
}
Bundle vendor_device_driver() { // matches the whole USB device by vendor and product
    return driver("com.example.Whole",
                  personality("Whole", "IOUSBHostDevice",
                              {{"idVendor", integer(0x0525)}, {"idProduct", integer(0xa4a1)}}),
                  kUsb, {{"idVendor", integer(0x0525)}});
}

std::vector<Provider> ecm_providers(uint16_t vendor = 0x0525) {
    netdext::bundle::UsbIdentity device;
    device.id_vendor = vendor;
    device.id_product = 0xa4a1;
    device.device_class = 2;
    auto control = device, data = device;
    control.is_interface = data.is_interface = true;
    control.configuration_value = data.configuration_value = 1;
    control.interface_class = 2;
    control.interface_subclass = 6;
    data.interface_number = 1;
    data.interface_class = 10;
    return {Provider{"IOUSBHostDevice", device, std::nullopt},
            Provider{"IOUSBHostInterface", control, std::nullopt},
            Provider{"IOUSBHostInterface", data, std::nullopt}};
}
std::vector<Provider> e1000_providers() {
    return {Provider{"IOPCIDevice", std::nullopt,
                     netdext::bundle::PciIdentity{0x100e8086, 0x02000000, 0x001e8086, false}}};
}

} // namespace

TEST(DeviceMatch, AnInterfaceDriverGetsTheCompositeDevice) {
    Bundle ecm = ecm_driver(), e1000 = e1000_driver();
    std::vector<DriverCandidate> candidates = {{"k1", "com.example.E1000", &e1000, ""},
                                               {"k2", "com.example.Ecm", &ecm, ""}};
    MatchDecision d = choose_driver(ecm_providers(), candidates, "cdc-ecm");
    ASSERT_TRUE(d.matched) << d.reason;
    EXPECT_TRUE(d.entitled) << d.reason;
    EXPECT_EQ(d.candidate, 1u);
    EXPECT_EQ(d.provider, 1u); // the control interface
    EXPECT_EQ(d.personality->name, "Ecm");
    EXPECT_EQ(d.score, 60000);
    EXPECT_FALSE(d.log.empty());
}

TEST(DeviceMatch, ADevicePersonalityWinsBeforeInterfacesAreLookedAt) {
    Bundle ecm = ecm_driver(), whole = vendor_device_driver();
    std::vector<DriverCandidate> candidates = {{"k1", "com.example.Ecm", &ecm, ""},
                                               {"k2", "com.example.Whole", &whole, ""}};
    MatchDecision d = choose_driver(ecm_providers(), candidates, "cdc-ecm");
    ASSERT_TRUE(d.matched);
    EXPECT_EQ(d.candidate, 1u);
    EXPECT_EQ(d.provider, 0u);
    EXPECT_EQ(d.score, 90000);
}

TEST(DeviceMatch, AnUnmatchedDeviceStartsNothingAndSaysWhy) {
    Bundle ecm = ecm_driver();
    std::vector<DriverCandidate> candidates = {{"k1", "com.example.Ecm", &ecm, ""}};
    MatchDecision d = choose_driver(e1000_providers(), candidates, "e1000");
    EXPECT_FALSE(d.matched);
    EXPECT_FALSE(d.entitled);
    EXPECT_NE(d.reason.find("no personality of the 1 waiting driver(s) matches the e1000 device"),
              std::string::npos)
        << d.reason;
    EXPECT_NE(d.reason.find("IOPCIDevice 0x100e8086"), std::string::npos) << d.reason;
    ASSERT_FALSE(d.log.empty());
    EXPECT_NE(d.log[0].find("com.example.Ecm on IOPCIDevice"), std::string::npos) << d.log[0];

    d = choose_driver(e1000_providers(), {}, "e1000");
    EXPECT_NE(d.reason.find("no driver waits for a device"), std::string::npos) << d.reason;
}

TEST(DeviceMatch, AMatchWithoutTheTransportEntitlementIsNotStarted) {
    Bundle ecm = ecm_driver(/*entitled_vendor=*/0x1234);
    std::vector<DriverCandidate> candidates = {{"k1", "com.example.Ecm", &ecm, ""}};
    MatchDecision d = choose_driver(ecm_providers(), candidates, "cdc-ecm");
    EXPECT_TRUE(d.matched);
    EXPECT_FALSE(d.entitled);
    EXPECT_NE(d.reason.find("com.example.Ecm matches (personality Ecm) but is not entitled"),
              std::string::npos)
        << d.reason;
}

TEST(DeviceMatch, ABusyDriverIsNamedButNeverChosen) {
    Bundle ecm = ecm_driver(), other = ecm_driver();
    other.bundle_id = "com.example.Other";
    std::vector<DriverCandidate> candidates = {
        {"k1", "com.example.Ecm", &ecm, "already drives device 1"}};
    MatchDecision d = choose_driver(ecm_providers(), candidates, "cdc-ecm");
    EXPECT_FALSE(d.matched);
    EXPECT_NE(d.reason.find("com.example.Ecm matches it but already drives device 1"),
              std::string::npos)
        << d.reason;
    candidates.push_back({"k2", "com.example.Other", &other, ""});
    d = choose_driver(ecm_providers(), candidates, "cdc-ecm");
    ASSERT_TRUE(d.matched);
    EXPECT_EQ(d.candidate, 1u);
}

TEST(DeviceMatch, TiesGoToTheEarlierCandidate) {
    Bundle a = e1000_driver(), b = e1000_driver();
    std::vector<DriverCandidate> candidates = {{"k1", "A", &a, ""}, {"k2", "B", &b, ""}};
    MatchDecision d = choose_driver(e1000_providers(), candidates, "e1000");
    ASSERT_TRUE(d.matched);
    EXPECT_EQ(d.candidate, 0u);
    EXPECT_TRUE(d.entitled);
}
