// USBCDCEthernetSample against the cdc-ecm device model in the driver test bench: matching and
// entitlements, frames both ways through the bulk pipes, link notifications, and every fault knob
// (stall, short and failed transfers, lost notifications, link flaps, surprise removal).

#include <gtest/gtest.h>

#include <netdext/model/cdc_ecm.h>
#include <netdext/model/e1000.h>
#include <netdext/runtime.h>
#include <netdext/system_calls.h>
#include <netdext/testing/driver_bench.h>

#include "device_test_support.h"

#include <algorithm>
#include <memory>

using netdext::model::CdcEcmDevice;
using netdext::testing::DriverBench;
using netdext::testing::Frame;

namespace {

const uint8_t kDeviceMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
const uint8_t kPeerMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
constexpr uint8_t kBulkIn = 0x82, kBulkOut = 0x01;

using netdext::samples::ethernet_frame;
const auto &frame = ethernet_frame;

std::vector<uint8_t> to_device(uint8_t tag, size_t length = 60) {
    return frame(kDeviceMac, kPeerMac, length, tag);
}

std::vector<uint8_t> from_stack(uint8_t tag, size_t length = 60) {
    return frame(kPeerMac, kDeviceMac, length, tag);
}

uint64_t counter(const std::shared_ptr<CdcEcmDevice> &device, const std::string &name) {
    return netdext::samples::counter(*device, name);
}

struct UsbSampleBench : public netdext::samples::DeviceBenchTest {
    std::shared_ptr<CdcEcmDevice> device;

    void SetUp() override { load(USB_SAMPLE_DEXT_PATH); }
    void attach(std::vector<std::pair<std::string, std::string>> knobs = {}) {
        std::string error;
        device = CdcEcmDevice::create(knobs, error);
        ASSERT_TRUE(device) << error;
        ASSERT_EQ(netdext::samples::attach_or_explain(*bench, device), kIOReturnSuccess);
    }
    void attach_and_enable() {
        attach();
        ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    }
    void set(const std::string &knob, const std::string &value) {
        std::string error;
        ASSERT_TRUE(device->set(knob, value, error)) << error;
        bench->settle();
    }
    std::vector<Frame> wire() { return bench->take_from_wire(); }
};

} // namespace

TEST_F(UsbSampleBench, MatchesTheCommunicationsInterfaceAndReadsTheDevice) {
    attach();
    EXPECT_TRUE(bench->running());
    EXPECT_EQ(bench->class_name(), "USBCDCEthernetSample");
    auto log = bench->match_log();
    EXPECT_NE(std::find(log.begin(), log.end(),
                        "IOUSBHostInterface: USBCDCEthernetSample: matched, score 60000 "
                        "(bInterfaceClass+bInterfaceSubClass+bInterfaceProtocol (60000))"),
              log.end());
    EXPECT_EQ(std::string(bench->provider()->GetClassName()), "IOUSBHostInterface");
    ASSERT_TRUE(bench->registered());
    ether_addr_t mac = bench->mac();
    EXPECT_TRUE(std::equal(kDeviceMac, kDeviceMac + 6, mac.octet)); // from the iMACAddress string
    EXPECT_TRUE(device->data_interface_active());                     // alternate setting 1
    // NETWORK_CONNECTION and CONNECTION_SPEED_CHANGE arrived on the interrupt pipe.
    EXPECT_EQ(bench->link_status(), kIOUserNetworkLinkStatusActive);
    EXPECT_EQ(bench->active_media(),
              kIOUserNetworkMediaEthernet100BaseTX | kIOUserNetworkMediaOptionFullDuplex);
    EXPECT_EQ(bench->max_transfer_unit(), 1500u);
}

TEST_F(UsbSampleBench, FramesFlowBothWaysThroughTheBulkPipes) {
    attach_and_enable();
    EXPECT_EQ(device->packet_filter(), 0x0E); // DIRECTED | BROADCAST | ALL_MULTICAST
    for (uint8_t i = 0; i < 40; ++i) {
        ASSERT_TRUE(bench->transmit(from_stack(i, 60 + i)));
        ASSERT_TRUE(bench->send_from_wire(to_device(i, 1514 - i)));
    }
    auto sent = wire();
    auto received = bench->take_received();
    ASSERT_EQ(sent.size(), 40u);
    ASSERT_EQ(received.size(), 40u);
    for (uint8_t i = 0; i < 40; ++i) {
        EXPECT_EQ(sent[i].bytes, from_stack(i, 60 + i)) << int(i);
        EXPECT_EQ(received[i].bytes, to_device(i, 1514 - i)) << int(i);
    }
    EXPECT_EQ(bench->tx_completed(), 40u);
    EXPECT_EQ(counter(device, "tx_frames"), 40u);
    EXPECT_EQ(counter(device, "rx_frames"), 40u);
}

TEST_F(UsbSampleBench, ThePacketFilterFollowsPromiscuousMode) {
    attach_and_enable();
    const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x42}, broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    EXPECT_FALSE(bench->send_from_wire(frame(other, kPeerMac, 60, 1)));
    EXPECT_TRUE(bench->send_from_wire(frame(broadcast, kPeerMac, 60, 2)));
    ASSERT_EQ(bench->set_promiscuous(true), kIOReturnSuccess);
    EXPECT_EQ(device->packet_filter() & 0x01, 0x01);
    EXPECT_TRUE(bench->send_from_wire(frame(other, kPeerMac, 60, 3)));
    EXPECT_EQ(bench->take_received().size(), 2u);
    EXPECT_EQ(counter(device, "rx_filtered"), 1u);
}

TEST_F(UsbSampleBench, AStalledBulkInPipeIsClearedAndReceiveGoesOn) {
    attach_and_enable();
    set("stall", "0x82"); // the next bulk IN transfer halts the endpoint
    ASSERT_TRUE(bench->send_from_wire(to_device(1)));
    // The driver resubmitted, got the stall, cleared it (CLEAR_FEATURE) and resubmitted.
    EXPECT_EQ(counter(device, "stalls"), 1u);
    EXPECT_FALSE(device->halted(kBulkIn));
    EXPECT_EQ(device->queued(kBulkIn), 8u);
    for (uint8_t i = 2; i < 6; ++i)
        ASSERT_TRUE(bench->send_from_wire(to_device(i)));
    EXPECT_EQ(bench->take_received().size(), 5u);
}

TEST_F(UsbSampleBench, AStalledBulkOutPipeLosesOneFrameAndIsCleared) {
    attach_and_enable();
    set("stall", "0x01");
    ASSERT_TRUE(bench->transmit(from_stack(1)));
    ASSERT_TRUE(bench->transmit(from_stack(2)));
    auto sent = wire();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].bytes, from_stack(2));
    EXPECT_EQ(counter(device, "stalls"), 1u);
    EXPECT_FALSE(device->halted(kBulkOut));
    EXPECT_EQ(bench->tx_completed(), 2u); // both packets went back to the stack
}

TEST_F(UsbSampleBench, AShortTransferIsDroppedAsARunt) {
    attach_and_enable();
    set("short", "1");
    ASSERT_TRUE(bench->send_from_wire(to_device(1))); // arrives as 10 bytes
    ASSERT_TRUE(bench->send_from_wire(to_device(2)));
    auto received = bench->take_received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].bytes, to_device(2));
    EXPECT_EQ(counter(device, "short_transfers"), 1u);
    EXPECT_TRUE(netdext::samples::logged(*bench, "dropped a 10-byte runt"));
}

TEST_F(UsbSampleBench, FailedTransfersLoseTheirFramesAndTrafficGoesOn) {
    attach_and_enable();
    set("fail", "2");
    for (uint8_t i = 1; i <= 3; ++i)
        ASSERT_TRUE(bench->transmit(from_stack(i)));
    auto sent = wire();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].bytes, from_stack(3));
    EXPECT_EQ(counter(device, "failed_transfers"), 2u);
    // A failed bulk IN transfer: the driver resubmits; the frames still arrive.
    set("fail", "1");
    ASSERT_TRUE(bench->send_from_wire(to_device(1))); // completes a queued read; its resubmit fails
    ASSERT_TRUE(bench->send_from_wire(to_device(2)));
    EXPECT_EQ(bench->take_received().size(), 2u);
    EXPECT_EQ(device->queued(kBulkIn), 8u);
}

TEST_F(UsbSampleBench, LinkFlapsReachTheStack) {
    attach_and_enable();
    set("link", "down");
    EXPECT_EQ(bench->link_status(), kIOUserNetworkLinkStatusInactive);
    EXPECT_FALSE(bench->send_from_wire(to_device(1)));
    ASSERT_TRUE(bench->transmit(from_stack(1)));
    EXPECT_TRUE(wire().empty()); // no carrier
    set("link", "up");
    EXPECT_EQ(bench->link_status(), kIOUserNetworkLinkStatusActive);
    EXPECT_TRUE(bench->send_from_wire(to_device(2)));
    EXPECT_EQ(bench->take_received().size(), 1u);
    int reports = 0;
    for (const auto &call : bench->calls())
        reports += call.call.rfind("ReportLinkStatus", 0) == 0 ? 1 : 0;
    EXPECT_GE(reports, 4); // inactive at start, active, inactive, active
}

TEST_F(UsbSampleBench, ALostNotificationLeavesTheLinkAsTheDriverLastHeard) {
    attach_and_enable();
    set("lost-notifications", "1");
    set("link", "down"); // NETWORK_CONNECTION(0) is lost: the driver cannot know
    EXPECT_EQ(counter(device, "lost_notifications"), 1u);
    EXPECT_EQ(bench->link_status(), kIOUserNetworkLinkStatusActive);
    set("link", "up");
    set("link", "down");
    EXPECT_EQ(bench->link_status(), kIOUserNetworkLinkStatusInactive);
}

TEST_F(UsbSampleBench, SurpriseRemovalIsSurvivedAndLeavesNothingBehind) {
    attach_and_enable();
    ASSERT_TRUE(bench->transmit(from_stack(1)));
    ASSERT_TRUE(bench->send_from_wire(to_device(1)));
    EXPECT_EQ(bench->detach_device(), kIOReturnSuccess);
    EXPECT_FALSE(bench->running());
    EXPECT_EQ(counter(device, "removals"), 1u);
    EXPECT_EQ(bench->misuses(), std::vector<std::string>{});
    bench.reset();
    device.reset();
    netdext::wait_until_idle();
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_before);
}

TEST_F(UsbSampleBench, StopsAndStartsAgainOnTheSameDevice) {
    attach_and_enable();
    ASSERT_EQ(bench->stop(), kIOReturnSuccess);
    EXPECT_EQ(device->queued(kBulkIn), 0u);
    ASSERT_EQ(bench->start(), kIOReturnSuccess);
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    ASSERT_TRUE(bench->send_from_wire(to_device(7)));
    EXPECT_EQ(bench->take_received().size(), 1u);
}

TEST_F(UsbSampleBench, ADeviceThePersonalityDoesNotMatchIsNotStarted) {
    std::string error;
    auto nic = netdext::model::E1000Device::create();
    EXPECT_EQ(bench->attach_device(nic), kIOReturnUnsupported);
    EXPECT_FALSE(bench->running());
    EXPECT_FALSE(bench->registered());
    EXPECT_EQ(bench->start(), kIOReturnUnsupported); // not on a device it does not drive
    auto log = bench->match_log();
    ASSERT_FALSE(log.empty());
    EXPECT_NE(log[0].find("IOProviderClass IOUSBHostInterface is not IOPCIDevice"), std::string::npos)
        << log[0];
}

TEST_F(UsbSampleBench, ADeviceTheTransportEntitlementDoesNotCoverIsNotStarted) {
    std::string error;
    device = CdcEcmDevice::create({{"vid", "0x1234"}}, error);
    ASSERT_TRUE(device) << error;
    EXPECT_EQ(bench->attach_device(device), kIOReturnNotPermitted);
    EXPECT_FALSE(bench->running());
    auto log = bench->match_log();
    EXPECT_NE(std::find_if(log.begin(), log.end(), [](const std::string &line) {
                  return line.find("not entitled: com.apple.developer.driverkit.transport.usb "
                                   "does not cover this device") != std::string::npos;
              }),
              log.end());
}
