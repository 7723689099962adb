// PCIEthernetSample against the e1000 (82540EM) device model in the driver test bench: matching,
// the EEPROM, DMA through the simulated IOMMU, MSI, frames both ways with ring wrap-around, and
// every fault knob (DMA errors, lost interrupts, link flaps, surprise removal).

#include <gtest/gtest.h>

#include <netdext/iommu.h>
#include <netdext/model/cdc_ecm.h>
#include <netdext/model/e1000.h>
#include <netdext/runtime.h>
#include <netdext/system_calls.h>
#include <netdext/testing/driver_bench.h>

#include <PCIDriverKit/IOPCIFamilyDefinitions.h>

#include "device_test_support.h"

#include <algorithm>
#include <chrono>
#include <memory>

using namespace std::chrono_literals;
using netdext::model::E1000Device;
using netdext::testing::DriverBench;
using netdext::testing::Frame;

namespace {

const uint8_t kDeviceMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x07};
const uint8_t kPeerMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};

const auto &frame = netdext::samples::ethernet_frame;
std::vector<uint8_t> to_device(uint8_t tag, size_t length = 60) { return frame(kDeviceMac, kPeerMac, length, tag); }
std::vector<uint8_t> from_stack(uint8_t tag, size_t length = 60) { return frame(kPeerMac, kDeviceMac, length, tag); }

uint64_t counter(const std::shared_ptr<E1000Device> &device, const std::string &name) {
    return netdext::samples::counter(*device, name);
}

struct PciSampleBench : public netdext::samples::DeviceBenchTest {
    std::shared_ptr<E1000Device> device;

    void SetUp() override { load(PCI_SAMPLE_DEXT_PATH); }
    void attach() {
        std::string error;
        device = E1000Device::create({{"mac", "02:00:00:00:00:07"}}, error);
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
    bool logged(const std::string &text) { return netdext::samples::logged(*bench, text); }
};

} // namespace

TEST_F(PciSampleBench, MatchesTheControllerAndSetsItUp) {
    attach();
    EXPECT_TRUE(bench->running());
    auto log = bench->match_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0], "IOPCIDevice: PCIEthernetSample: matched, score 1000 (IOPCIPrimaryMatch)");
    ether_addr_t mac = bench->mac();
    EXPECT_TRUE(std::equal(kDeviceMac, kDeviceMac + 6, mac.octet)); // from the EEPROM, checksum checked
    EXPECT_EQ(device->command() & (kIOPCICommandMemorySpace | kIOPCICommandBusLead),
              kIOPCICommandMemorySpace | kIOPCICommandBusLead);
    EXPECT_TRUE(device->msi_enabled());
    EXPECT_EQ(bench->link_status(), kIOUserNetworkLinkStatusActive); // the LSC interrupt arrived
    // The rings are at an IOVA the IOMMU handed out, not at the driver's pointer.
    auto iommu = netdext::iommu_for(bench->provider());
    ASSERT_TRUE(iommu);
    EXPECT_EQ(iommu->mapping_count(), 1u);
    EXPECT_GE(device->register_value(0x2800), netdext::Iommu::kBase); // RDBAL
    EXPECT_EQ(device->register_value(0x2804), 0u);                    // RDBAH
}

TEST_F(PciSampleBench, FramesFlowBothWaysAndTheRingsWrap) {
    attach_and_enable();
    for (int round = 0; round < 3; ++round) {
        for (uint8_t i = 0; i < 50; ++i) // 150 frames: more than the 64-descriptor rings
            ASSERT_TRUE(bench->transmit(from_stack(i, 60 + i)));
        for (uint8_t i = 0; i < 50; ++i)
            ASSERT_TRUE(bench->send_from_wire(to_device(i, 1514 - i))) << int(i);
        auto sent = bench->take_from_wire();
        auto received = bench->take_received();
        ASSERT_EQ(sent.size(), 50u);
        ASSERT_EQ(received.size(), 50u);
        for (uint8_t i = 0; i < 50; ++i) {
            EXPECT_EQ(sent[i].bytes, from_stack(i, 60 + i));
            EXPECT_EQ(received[i].bytes, to_device(i, 1514 - i));
        }
    }
    EXPECT_EQ(counter(device, "tx_frames"), 150u);
    EXPECT_EQ(counter(device, "rx_frames"), 150u);
    EXPECT_EQ(counter(device, "rx_missed"), 0u);
    EXPECT_GT(counter(device, "msi_messages"), 0u);
}

TEST_F(PciSampleBench, ReceiveFiltersFollowTheStack) {
    attach_and_enable();
    const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x42}, group[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
    EXPECT_FALSE(bench->send_from_wire(frame(other, kPeerMac, 60, 1)));
    EXPECT_FALSE(bench->send_from_wire(frame(group, kPeerMac, 60, 2)));
    ether_addr_t mdns{};
    std::copy(group, group + 6, mdns.octet);
    ASSERT_EQ(bench->set_multicast_list({mdns}), kIOReturnSuccess); // the multicast table
    EXPECT_TRUE(bench->send_from_wire(frame(group, kPeerMac, 60, 3)));
    ASSERT_EQ(bench->set_promiscuous(true), kIOReturnSuccess);
    EXPECT_TRUE(bench->send_from_wire(frame(other, kPeerMac, 60, 4)));
    EXPECT_EQ(bench->take_received().size(), 2u);
}

TEST_F(PciSampleBench, ALostInterruptIsRecoveredByTheWatchdog) {
    attach_and_enable();
    const uint64_t enabled_at = bench->now_ns();
    set("lost-interrupts", "1");
    ASSERT_TRUE(bench->send_from_wire(to_device(1))); // in the ring; its MSI is lost
    EXPECT_TRUE(bench->take_received().empty());
    ASSERT_TRUE(bench->send_from_wire(to_device(2))); // no new message until ICR is read
    EXPECT_TRUE(bench->take_received().empty());
    bench->advance(1s);
    auto received = bench->take_received();
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[0].time_ns, enabled_at + 1'000'000'000u); // the watchdog's first run
    EXPECT_EQ(counter(device, "lost_interrupts"), 1u);
    ASSERT_TRUE(bench->send_from_wire(to_device(3))); // interrupts work again
    EXPECT_EQ(bench->take_received().size(), 1u);
}

TEST_F(PciSampleBench, ADMAErrorOnTransmitLosesOneFrameAndIsReported) {
    attach_and_enable();
    set("dma-errors", "1");
    ASSERT_TRUE(bench->transmit(from_stack(1)));
    ASSERT_TRUE(bench->transmit(from_stack(2)));
    auto sent = bench->take_from_wire();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].bytes, from_stack(2));
    EXPECT_EQ(counter(device, "dma_errors"), 1u);
    EXPECT_EQ(bench->tx_completed(), 2u);
    bench->advance(1s); // the watchdog sees the master abort in the PCI status
    EXPECT_TRUE(logged("DMA error (master abort); 1 so far"));
    ASSERT_TRUE(bench->transmit(from_stack(3)));
    EXPECT_EQ(bench->take_from_wire().size(), 1u);
}

TEST_F(PciSampleBench, ADMAErrorOnReceiveMissesOneFrame) {
    attach_and_enable();
    set("dma-errors", "1");
    EXPECT_FALSE(bench->send_from_wire(to_device(1))); // the descriptor fetch fails: missed
    EXPECT_TRUE(bench->send_from_wire(to_device(2)));
    auto received = bench->take_received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].bytes, to_device(2));
    EXPECT_EQ(counter(device, "rx_missed"), 1u);
}

TEST_F(PciSampleBench, LinkFlapsReachTheStack) {
    attach_and_enable();
    set("link", "down");
    EXPECT_EQ(bench->link_status(), kIOUserNetworkLinkStatusInactive);
    EXPECT_FALSE(bench->send_from_wire(to_device(1)));
    ASSERT_TRUE(bench->transmit(from_stack(1)));
    EXPECT_TRUE(bench->take_from_wire().empty());
    EXPECT_EQ(counter(device, "tx_dropped_link"), 1u);
    set("link", "up");
    EXPECT_EQ(bench->link_status(), kIOUserNetworkLinkStatusActive);
    EXPECT_TRUE(bench->send_from_wire(to_device(2)));
    EXPECT_EQ(bench->take_received().size(), 1u);
}

TEST_F(PciSampleBench, StopUnmapsItsDMAMemory) {
    attach_and_enable();
    auto iommu = netdext::iommu_for(bench->provider());
    ASSERT_TRUE(iommu);
    ASSERT_EQ(bench->stop(), kIOReturnSuccess);
    EXPECT_EQ(iommu->mapping_count(), 0u);
    EXPECT_EQ(iommu->fault_count(), 0u);
    EXPECT_EQ(device->command() & kIOPCICommandBusLead, 0); // Close cleared bus mastering
}

TEST_F(PciSampleBench, SurpriseRemovalIsSurvivedAndLeavesNothingBehind) {
    attach_and_enable();
    ASSERT_TRUE(bench->transmit(from_stack(1)));
    ASSERT_TRUE(bench->send_from_wire(to_device(1)));
    EXPECT_EQ(bench->detach_device(), kIOReturnSuccess);
    EXPECT_FALSE(bench->running());
    EXPECT_TRUE(logged("the controller does not answer: removed?") || logged("stopped"));
    EXPECT_EQ(bench->misuses(), std::vector<std::string>{});
    bench.reset();
    device.reset();
    netdext::wait_until_idle();
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_before);
}

TEST_F(PciSampleBench, AUSBDeviceIsNotStarted) {
    EXPECT_EQ(bench->attach_device(netdext::model::CdcEcmDevice::create()), kIOReturnUnsupported);
    EXPECT_FALSE(bench->running());
    auto log = bench->match_log();
    ASSERT_FALSE(log.empty());
    EXPECT_NE(log[0].find("IOProviderClass IOPCIDevice is not IOUSBHostDevice"), std::string::npos) << log[0];
}
