// netdext::bundle matching: IOUSBHostFamily's scored key combinations (QA1076), IOPCIFamily's
// match strings, the winner among several personalities, and the transport entitlements.

#include <gtest/gtest.h>

#include <netdext/bundle/matching.h>

#include <utility>

using namespace netdext::bundle;

namespace {

Value num(uint64_t v) {
    Value out;
    out.kind = Value::Kind::integer;
    out.integer = v;
    return out;
}
Value str(const std::string &text) {
    Value out;
    out.text = text;
    return out;
}
Value boolean(bool b) {
    Value out;
    out.kind = Value::Kind::boolean;
    out.integer = b ? 1 : 0;
    return out;
}
Value array(std::vector<Value> items) {
    Value out;
    out.kind = Value::Kind::array;
    out.items = std::move(items);
    return out;
}
Value dict(std::vector<std::pair<std::string, Value>> entries) {
    Value out;
    out.kind = Value::Kind::dictionary;
    for (auto &[key, value] : entries)
        out.entries.push_back({key, std::move(value)});
    return out;
}

Personality personality(const std::string &name, const std::string &provider,
                        std::vector<std::pair<std::string, Value>> keys, int64_t probe = 0) {
    Personality p;
    p.name = name;
    p.user_class = name;
    p.provider_class = provider;
    p.probe_score = probe;
    keys.emplace_back("IOProviderClass", str(provider));
    p.dictionary = dict(std::move(keys));
    return p;
}

// The CDC-ECM model's control interface.
Provider ecm_interface() {
    UsbIdentity id;
    id.id_vendor = 0x0525;
    id.id_product = 0xa4a1;
    id.bcd_device = 0x0100;
    id.device_class = 2;
    id.is_interface = true;
    id.configuration_value = 1;
    id.interface_number = 0;
    id.interface_class = 2;
    id.interface_subclass = 6;
    return Provider{"IOUSBHostInterface", id, std::nullopt};
}

Provider e1000() {
    PciIdentity id;
    id.device_vendor = 0x100E8086;
    id.class_revision = 0x02000002;
    id.subsystem = 0x001E8086;
    return Provider{"IOPCIDevice", std::nullopt, id};
}

} // namespace

TEST(UsbMatching, ScoresTheKeyCombinationsOfQA1076) {
    struct Case {
        std::vector<std::pair<std::string, Value>> keys;
        int64_t score;
    } cases[] = {
        {{{"bInterfaceClass", num(2)}, {"bInterfaceSubClass", num(6)}}, 50000},
        {{{"bInterfaceClass", num(2)}, {"bInterfaceSubClass", num(6)}, {"bInterfaceProtocol", num(0)}}, 60000},
        {{{"idVendor", num(0x525)}, {"idProduct", num(0xa4a1)}, {"bInterfaceNumber", num(0)},
          {"bConfigurationValue", num(1)}}, 90000},
        {{{"idVendor", num(0x525)}, {"idProduct", num(0xa4a1)}, {"bInterfaceNumber", num(0)},
          {"bConfigurationValue", num(1)}, {"bcdDevice", num(0x100)}}, 100000},
        // Hex text, as some Info.plists write numbers.
        {{{"bInterfaceClass", str("0x02")}, {"bInterfaceSubClass", str("6")}}, 50000},
    };
    for (const Case &c : cases) {
        MatchResult m = match_personality(personality("P", "IOUSBHostInterface", c.keys, 7), ecm_interface());
        EXPECT_TRUE(m.matched) << m.reason;
        EXPECT_EQ(m.score, c.score + 7) << m.reason;
    }
}

TEST(UsbMatching, EveryKeyMustHoldAndTheSetMustBeScored) {
    auto m = match_personality(personality("P", "IOUSBHostInterface",
                                            {{"bInterfaceClass", num(2)}, {"bInterfaceSubClass", num(0x0d)}}),
                               ecm_interface());
    EXPECT_FALSE(m.matched);
    EXPECT_NE(m.reason.find("bInterfaceSubClass 0xd != the device's 0x6"), std::string::npos) << m.reason;
    m = match_personality(personality("P", "IOUSBHostInterface", {{"idVendor", num(0x525)}}), ecm_interface());
    EXPECT_FALSE(m.matched);
    EXPECT_NE(m.reason.find("not one of the combinations"), std::string::npos) << m.reason;
    m = match_personality(personality("P", "IOUSBHostInterface", {}), ecm_interface());
    EXPECT_FALSE(m.matched);
    // Vendor-specific rows need class 0xFF.
    m = match_personality(personality("P", "IOUSBHostInterface",
                                      {{"idVendor", num(0x525)}, {"bInterfaceSubClass", num(6)}}),
                          ecm_interface());
    EXPECT_FALSE(m.matched) << m.reason;
    Provider vendor = ecm_interface();
    vendor.usb->interface_class = 0xFF;
    m = match_personality(personality("P", "IOUSBHostInterface",
                                      {{"idVendor", num(0x525)}, {"bInterfaceSubClass", num(6)}}),
                          vendor);
    EXPECT_TRUE(m.matched) << m.reason;
    EXPECT_EQ(m.score, 70000);
}

TEST(UsbMatching, ProductArraysMasksAndProviderClasses) {
    auto m = match_personality(personality("P", "IOUSBHostInterface",
                                           {{"idVendor", num(0x525)}, {"idProductArray", array({num(1), num(0xa4a1)})},
                                            {"bInterfaceNumber", num(0)}, {"bConfigurationValue", num(1)}}),
                               ecm_interface());
    EXPECT_TRUE(m.matched) << m.reason;
    m = match_personality(personality("P", "IOUSBHostInterface",
                                      {{"idVendor", num(0x525)}, {"idProductArray", array({num(1)})},
                                       {"bInterfaceNumber", num(0)}, {"bConfigurationValue", num(1)}}),
                          ecm_interface());
    EXPECT_FALSE(m.matched);
    m = match_personality(personality("P", "IOUSBHostInterface",
                                      {{"idVendor", num(0x525)}, {"idProduct", num(0xa400)},
                                       {"idProductMask", num(0xff00)}, {"bInterfaceNumber", num(0)},
                                       {"bConfigurationValue", num(1)}}),
                          ecm_interface());
    EXPECT_TRUE(m.matched) << m.reason;
    // A device personality cannot use interface keys; a PCI personality never sees a USB device.
    Provider device = ecm_interface();
    device.class_name = "IOUSBHostDevice";
    device.usb->is_interface = false;
    m = match_personality(personality("P", "IOUSBHostDevice",
                                      {{"bInterfaceClass", num(2)}, {"bInterfaceSubClass", num(6)}}),
                          device);
    EXPECT_FALSE(m.matched);
    m = match_personality(personality("P", "IOUSBHostDevice", {{"idVendor", num(0x525)}, {"idProduct", num(0xa4a1)}}),
                          device);
    EXPECT_TRUE(m.matched);
    EXPECT_EQ(m.score, 90000);
    m = match_personality(personality("P", "IOPCIDevice", {{"IOPCIPrimaryMatch", str("0x100e8086")}}),
                          ecm_interface());
    EXPECT_FALSE(m.matched);
    EXPECT_NE(m.reason.find("IOProviderClass IOPCIDevice is not IOUSBHostInterface"), std::string::npos);
}

TEST(PciMatching, MatchStringsMasksAndScores) {
    EXPECT_TRUE(pci_match_text("0x100e8086", 0x100E8086, 0xFFFFFFFF));
    EXPECT_TRUE(pci_match_text("0x10fb8086 0x100e8086", 0x100E8086, 0xFFFFFFFF));
    EXPECT_TRUE(pci_match_text("0x00008086&0x0000FFFF", 0x100E8086, 0xFFFFFFFF));
    EXPECT_FALSE(pci_match_text("0x10fb8086", 0x100E8086, 0xFFFFFFFF));
    EXPECT_FALSE(pci_match_text("", 0x100E8086, 0xFFFFFFFF));
    EXPECT_FALSE(pci_match_text("intel", 0x100E8086, 0xFFFFFFFF));

    auto m = match_personality(personality("P", "IOPCIDevice", {{"IOPCIPrimaryMatch", str("0x100e8086")}}, 5), e1000());
    EXPECT_TRUE(m.matched);
    EXPECT_EQ(m.score, 1005); // a device-ID hit adds 1000
    m = match_personality(personality("P", "IOPCIDevice", {{"IOPCIClassMatch", str("0x02000000&0xffff0000")}}, 5), e1000());
    EXPECT_TRUE(m.matched);
    EXPECT_EQ(m.score, 5);
    m = match_personality(personality("P", "IOPCIDevice", {{"IOPCIMatch", str("0x001e8086")}}), e1000());
    EXPECT_TRUE(m.matched) << "IOPCIMatch also tries the subsystem ID";
    m = match_personality(personality("P", "IOPCIDevice", {{"IOPCIPrimaryMatch", str("0x100e8086")},
                                                          {"IOPCIClassMatch", str("0x03000000&0xff000000")}}),
                          e1000());
    EXPECT_FALSE(m.matched);
    EXPECT_NE(m.reason.find("IOPCIClassMatch"), std::string::npos);
    Provider tunnelled = e1000();
    tunnelled.pci->tunnelled = true;
    EXPECT_FALSE(match_personality(personality("P", "IOPCIDevice", {{"IOPCIPrimaryMatch", str("0x100e8086")}}), tunnelled).matched);
    EXPECT_TRUE(match_personality(personality("P", "IOPCIDevice", {{"IOPCIPrimaryMatch", str("0x100e8086")},
                                                                   {"IOPCITunnelCompatible", boolean(true)}}),
                                  tunnelled).matched);
}

TEST(Matching, TheBestScoreWinsAndTiesGoToTheFirst) {
    Bundle bundle;
    bundle.personalities.push_back(personality("Class", "IOUSBHostInterface",
                                               {{"bInterfaceClass", num(2)}, {"bInterfaceSubClass", num(6)}}));
    bundle.personalities.push_back(personality("Product", "IOUSBHostInterface",
                                               {{"idVendor", num(0x525)}, {"idProduct", num(0xa4a1)},
                                                {"bInterfaceNumber", num(0)}, {"bConfigurationValue", num(1)}}));
    bundle.personalities.push_back(personality("Same", "IOUSBHostInterface",
                                               {{"idVendor", num(0x525)}, {"idProduct", num(0xa4a1)},
                                                {"bInterfaceNumber", num(0)}, {"bConfigurationValue", num(1)}}));
    std::vector<std::string> log;
    auto best = best_personality(bundle, ecm_interface(), &log);
    ASSERT_TRUE(best);
    EXPECT_EQ(best->personality->name, "Product");
    EXPECT_EQ(best->score, 90000);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0], "Class: matched, score 50000 (bInterfaceClass+bInterfaceSubClass (50000))");
    EXPECT_FALSE(best_personality(bundle, e1000(), &log));
}

TEST(TransportEntitlements, UsbAndPciDictionaries) {
    Bundle bundle;
    std::string why;
    EXPECT_FALSE(transport_entitled(bundle, ecm_interface(), why));
    EXPECT_EQ(why, "the bundle has no com.apple.developer.driverkit.transport.usb entitlement");
    EXPECT_TRUE(transport_entitled(bundle, Provider{"IOUserResources", {}, {}}, why));

    bundle.entitlement_values = dict({{kTransportUsbEntitlement, array({dict({{"idVendor", num(0x05ac)}})})}});
    EXPECT_FALSE(transport_entitled(bundle, ecm_interface(), why));
    EXPECT_NE(why.find("does not cover this device"), std::string::npos) << why;
    bundle.entitlement_values = dict({{kTransportUsbEntitlement,
                                       array({dict({{"idVendor", num(0x05ac)}}),
                                              dict({{"idVendor", num(0x0525)}, {"bInterfaceClass", num(2)}})})}});
    EXPECT_TRUE(transport_entitled(bundle, ecm_interface(), why)) << why;
    bundle.entitlement_values = dict({{kTransportUsbEntitlement, array({dict({{"idVendor", str("*")}})})}});
    EXPECT_TRUE(transport_entitled(bundle, ecm_interface(), why)) << why;
    bundle.entitlement_values = dict({{kTransportUsbEntitlement, boolean(true)}});
    EXPECT_FALSE(transport_entitled(bundle, ecm_interface(), why));
    EXPECT_NE(why.find("not an array"), std::string::npos);

    EXPECT_FALSE(transport_entitled(bundle, e1000(), why));
    bundle.entitlement_values = dict({{kTransportPciEntitlement,
                                       array({dict({{"IOPCIPrimaryMatch", str("0x00008086&0x0000FFFF")}})})}});
    EXPECT_TRUE(transport_entitled(bundle, e1000(), why)) << why;
    bundle.entitlement_values = dict({{kTransportPciEntitlement,
                                       array({dict({{"IOPCIPrimaryMatch", str("0x000010b5&0x0000FFFF")}})})}});
    EXPECT_FALSE(transport_entitled(bundle, e1000(), why));
}
