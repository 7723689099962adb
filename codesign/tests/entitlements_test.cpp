// DriverKit's entitlement rules (entitlements.h).

#include <netdext/codesign/entitlements.h>

#include <gtest/gtest.h>

#include "support/bundle_fixture.h"

using namespace netdext::entitlements;
using codesign_fixture::entitlements_plist;
using codesign_fixture::plist_true;

namespace {

Entitlements parse(const std::string &entries) {
    std::string error;
    auto out = Entitlements::parse(entitlements_plist(entries), error);
    EXPECT_TRUE(out) << error;
    return out ? *out : Entitlements();
}

TEST(Entitlements, WhatCountsAsGranted) {
    Entitlements e = parse(plist_true(kDriverKit) +
                           "<key>off</key><false/>"
                           "<key>" + std::string(kTransportUSB) +
                           "</key><array><dict><key>idVendor</key><string>*</string></dict>"
                           "</array><key>empty</key><array/>");
    EXPECT_TRUE(e.granted(kDriverKit));
    EXPECT_FALSE(e.granted("off"));
    EXPECT_TRUE(e.granted(kTransportUSB)) << "a transport's matching array grants it";
    EXPECT_FALSE(e.granted("empty"));
    EXPECT_FALSE(e.granted(kFamilyNetworking));
    EXPECT_EQ(e.granted_keys(), (std::vector<std::string>{kDriverKit, kTransportUSB}));
    std::string error;
    EXPECT_FALSE(Entitlements::parse("<plist><array/></plist>", error));
    EXPECT_NE(error.find("not a dictionary"), std::string::npos);
}

TEST(Entitlements, LaunchRules) {
    const Entitlements none;
    auto denial = check_launch(none, "com.example.X", "IOUserResources");
    ASSERT_TRUE(denial);
    EXPECT_EQ(denial->entitlement, kDriverKit);
    EXPECT_NE(denial->message.find("com.example.X: the entitlement com.apple.developer.driverkit "
                                   "is missing"),
              std::string::npos);
    const Entitlements nic = Entitlements::network_driver();
    EXPECT_FALSE(check_launch(nic, "x", "IOUserResources"));
    denial = check_launch(nic, "x", "IOPCIDevice");
    ASSERT_TRUE(denial);
    EXPECT_EQ(denial->entitlement, kTransportPCI);
    denial = check_launch(nic, "x", "IOUSBHostInterface");
    ASSERT_TRUE(denial);
    EXPECT_EQ(denial->entitlement, kTransportUSB);
    EXPECT_FALSE(check_launch(parse(plist_true(kDriverKit) + plist_true(kTransportPCI)), "x",
                              "IOPCIDevice"));
    EXPECT_EQ(transport_for_provider("IOUSBHostDevice"), std::string(kTransportUSB));
    EXPECT_EQ(transport_for_provider("IOSerialStreamSync"), nullptr);
}

TEST(Entitlements, RegisterEthernetRule) {
    EXPECT_FALSE(check_register_ethernet(Entitlements::network_driver(), "x"));
    auto denial = check_register_ethernet(parse(plist_true(kDriverKit)), "com.example.X");
    ASSERT_TRUE(denial);
    EXPECT_EQ(denial->entitlement, kFamilyNetworking);
    EXPECT_NE(denial->message.find("RegisterEthernetInterface is not permitted"),
              std::string::npos);
}

} // namespace
