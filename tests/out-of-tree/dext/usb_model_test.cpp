// Out of tree, against the installed package: a USB Ethernet driver in the test bench with the
// cdc-ecm device model as its hardware — matching, frames both ways, a stall, removal.

#include <gtest/gtest.h>

#include <netdext/model/registry.h>
#include <netdext/testing/driver_bench.h>

#include <algorithm>

namespace {

std::vector<uint8_t> frame(uint8_t last_byte_of_dst, uint8_t tag) {
    std::vector<uint8_t> f(64, tag);
    const uint8_t dst[6] = {0x02, 0, 0, 0, 0, last_byte_of_dst}, src[6] = {0x02, 0, 0, 0, 0, 0x33};
    std::copy(dst, dst + 6, f.begin());
    std::copy(src, src + 6, f.begin() + 6);
    f[12] = 0x88;
    f[13] = 0xB5;
    return f;
}

} // namespace

TEST(OutOfTreeUsbDriver, RunsAgainstTheCdcEcmModel) {
    netdext::testing::DriverBench bench;
    std::string error;
    ASSERT_TRUE(bench.load_bundle(USB_DEXT, &error)) << error;
    auto device = netdext::model::create_device("cdc-ecm,mac=02:00:00:00:00:21", error);
    ASSERT_TRUE(device) << error;
    ASSERT_EQ(bench.attach_device(device), kIOReturnSuccess);
    ASSERT_EQ(bench.set_interface_enable(true), kIOReturnSuccess);
    EXPECT_EQ(bench.link_status(), kIOUserNetworkLinkStatusActive);

    ASSERT_TRUE(bench.transmit(frame(0x33, 1)));
    ASSERT_TRUE(bench.send_from_wire(frame(0x21, 2)));
    ASSERT_EQ(bench.take_from_wire().size(), 1u);
    ASSERT_EQ(bench.take_received().size(), 1u);

    ASSERT_TRUE(device->set("stall", "0x82", error)) << error;
    ASSERT_TRUE(bench.send_from_wire(frame(0x21, 3)));
    ASSERT_TRUE(bench.send_from_wire(frame(0x21, 4)));
    EXPECT_EQ(bench.take_received().size(), 2u);
    EXPECT_EQ(device->counters()["stalls"], 1u);

    EXPECT_EQ(bench.detach_device(), kIOReturnSuccess);
    EXPECT_FALSE(bench.running());
    EXPECT_EQ(bench.misuses(), std::vector<std::string>{});
}

TEST(OutOfTreeUsbDriver, IsNotStartedForAPciDevice) {
    netdext::testing::DriverBench bench;
    std::string error;
    ASSERT_TRUE(bench.load_bundle(USB_DEXT, &error)) << error;
    EXPECT_EQ(bench.attach_device(netdext::model::create_device("e1000", error)), kIOReturnUnsupported);
    EXPECT_FALSE(bench.running());
}
