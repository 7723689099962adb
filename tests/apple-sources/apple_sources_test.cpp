// The Apple-style drivers of tests/apple-sources, built unchanged into .dext bundles, run in the
// driver test bench as the system would run them.
#include <gtest/gtest.h>

#include <DriverKit/OSBoolean.h>
#include <DriverKit/OSMetaClass.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <netdext/file_io.h>
#include <netdext/runtime.h>
#include <netdext/testing/driver_bench.h>
#include <netdext/testing/kern_return.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using netdext::QueueKind;
using netdext::testing::DriverBench;

namespace {

constexpr uint32_t kMedium1000 = kIOUserNetworkMediaEthernet1000BaseT | kIOUserNetworkMediaOptionFullDuplex;

size_t count_containing(const std::vector<std::string> &lines, const std::string &text) {
    return size_t(std::count_if(lines.begin(), lines.end(), [&text](const std::string &line) {
        return line.find(text) != std::string::npos;
    }));
}

bool has_line(const std::vector<std::string> &lines, const std::string &text) {
    return count_containing(lines, text) > 0;
}

std::vector<uint8_t> frame(size_t length, uint8_t fill) {
    std::vector<uint8_t> bytes(length, fill);
    for (size_t i = 0; i < 6; ++i)
        bytes[i] = 0xff; // broadcast
    return bytes;
}

// Loads a bundle into a fresh bench; every test checks at the end that nothing was misused.
class AppleSources : public testing::Test {
protected:
    void load(const char *dext) {
        bench = std::make_unique<DriverBench>();
        std::string error;
        ASSERT_TRUE(bench->load_bundle(dext, &error)) << error;
        // The OSBooleans are created on first use and never freed: not the driver's objects.
        (void)kOSBooleanTrue->getValue();
        (void)kOSBooleanFalse->getValue();
        live_before = netdext::runtime_stats().live_objects.load();
    }
    void TearDown() override {
        if (bench) {
            if (bench->running()) {
                EXPECT_KERN_SUCCESS(bench->stop());
            }
            EXPECT_EQ(bench->misuses(), std::vector<std::string>{});
            EXPECT_TRUE(netdext::wait_until_idle());
            EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_before)
                << "the driver left objects behind after Stop (a retain cycle?)";
        }
        bench.reset();
    }
    std::unique_ptr<DriverBench> bench;
    uint64_t live_before = 0;
};

// ---- LowerCaseNic: current-SDK style, lower-case overrides only ----------------------------

using LowerCaseNic = AppleSources;

TEST_F(LowerCaseNic, StartsThroughItsLowerCaseStartAndRegisters) {
    load(LOWER_CASE_NIC_DEXT);
    ASSERT_KERN_SUCCESS(bench->start());
    EXPECT_TRUE(bench->registered());
    EXPECT_EQ(bench->interface_name(), "en0");
    EXPECT_TRUE(has_line(bench->logs(), "LowerCaseNic: started as en0"));
    // The family asked getSupportedMediaArray for the media (NDK 2.x drivers are not told them).
    EXPECT_EQ(bench->media_types(),
              (std::vector<uint32_t>{kIOUserNetworkMediaEthernetAuto, kMedium1000}));
    EXPECT_EQ(bench->link_status(), uint32_t(kIOUserNetworkLinkStatusInactive));
}

TEST_F(LowerCaseNic, InterfaceUpReachesSetInterfaceEnableAndTheFamilyEnablesTheQueues) {
    load(LOWER_CASE_NIC_DEXT);
    ASSERT_KERN_SUCCESS(bench->start());
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(true));
    for (QueueKind kind : {QueueKind::tx_submission, QueueKind::tx_completion,
                           QueueKind::rx_submission, QueueKind::rx_completion})
        EXPECT_TRUE(bench->queue_enabled(kind)) << "super::setInterfaceEnable enables the queues";
    EXPECT_EQ(bench->link_status(), uint32_t(kIOUserNetworkLinkStatusActive));
    EXPECT_EQ(bench->active_media(), kMedium1000);
    EXPECT_TRUE(has_line(bench->logs(), "LowerCaseNic: interface up"));
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(false));
    EXPECT_FALSE(bench->queue_enabled(QueueKind::tx_submission));
}

TEST_F(LowerCaseNic, EchoesWhatIsTransmittedThroughItsDequeueActions) {
    load(LOWER_CASE_NIC_DEXT);
    ASSERT_KERN_SUCCESS(bench->start());
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(true));
    std::vector<uint8_t> sent = frame(98, 0x5a);
    ASSERT_TRUE(bench->transmit(sent));
    ASSERT_TRUE(bench->transmit(frame(64, 0x11)));
    std::vector<netdext::testing::Frame> received = bench->take_received();
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[0].bytes, sent);
    EXPECT_EQ(bench->tx_completed(), 2u);
    ASSERT_KERN_SUCCESS(bench->stop());
    EXPECT_TRUE(has_line(bench->logs(), "LowerCaseNic: 2 frames echoed, 0 dropped"));
    EXPECT_EQ(bench->drops().at("wrong_queue"), 0u) << "the counters outlive the interface";
}

TEST_F(LowerCaseNic, MtuMediaAssistsAndFiltersReachTheLowerCaseMethods) {
    load(LOWER_CASE_NIC_DEXT);
    ASSERT_KERN_SUCCESS(bench->start());
    EXPECT_EQ(bench->max_transfer_unit(), 9000u) << "GetMaxTransferUnit → getMaxTransferUnit";
    EXPECT_KERN_SUCCESS(bench->set_mtu(9000));
    EXPECT_KERN_EQ(kIOReturnBadArgument, bench->set_mtu(9001));
    EXPECT_TRUE(has_line(bench->logs(), "LowerCaseNic: MTU 9000"));
    EXPECT_KERN_SUCCESS(bench->select_media(kIOUserNetworkMediaEthernetAuto));
    EXPECT_EQ(bench->active_media(), uint32_t(kIOUserNetworkMediaEthernetAuto));
    EXPECT_KERN_EQ(kIOReturnUnsupported, bench->select_media(kIOUserNetworkMediaEthernet2500BaseT));
    EXPECT_KERN_SUCCESS(bench->set_hardware_assists(0x1));
    EXPECT_KERN_EQ(kIOReturnUnsupported, bench->set_hardware_assists(0x4));
    EXPECT_TRUE(has_line(bench->logs(), "LowerCaseNic: hardware assists 0x1"));
    ether_addr_t group1 = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
    ether_addr_t group2 = {{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}};
    EXPECT_KERN_SUCCESS(bench->set_multicast_list({group1, group2}));
    EXPECT_TRUE(has_line(bench->logs(), "LowerCaseNic: 2 multicast addresses"));
    EXPECT_KERN_SUCCESS(bench->set_promiscuous(true));
    EXPECT_KERN_SUCCESS(bench->set_all_multicast(true));
    EXPECT_TRUE(has_line(bench->logs(), "LowerCaseNic: promiscuous true"));
    EXPECT_TRUE(has_line(bench->logs(), "LowerCaseNic: all-multicast true"));
}

// ---- GeneratedPlistNic: a generated Info.plist, capital-letter API -------------------------

using GeneratedPlistNic = AppleSources;

// The string value of the first `<key>key</key>` in an XML plist ("" if none).
std::string plist_string(const std::string &xml, const std::string &key) {
    size_t at = xml.find("<key>" + key + "</key>");
    if (at == std::string::npos)
        return "";
    size_t open = xml.find("<string>", at);
    size_t close = xml.find("</string>", open);
    if (open == std::string::npos || close == std::string::npos)
        return "";
    return xml.substr(open + 8, close - open - 8);
}

TEST_F(GeneratedPlistNic, TheBundleHasTheKeysXcodeGenerates) {
    std::string xml;
    ASSERT_TRUE(netdext::read_file(std::string(GENERATED_PLIST_NIC_DEXT) + "/Info.plist", xml));
    EXPECT_EQ(plist_string(xml, "CFBundleIdentifier"), "org.netdext.test.GeneratedPlistNic");
    EXPECT_EQ(plist_string(xml, "CFBundleExecutable"), "GeneratedPlistNic");
    EXPECT_EQ(plist_string(xml, "CFBundleName"), "GeneratedPlistNic");
    EXPECT_EQ(plist_string(xml, "CFBundlePackageType"), "DEXT");
    EXPECT_EQ(plist_string(xml, "CFBundleInfoDictionaryVersion"), "6.0");
    EXPECT_EQ(plist_string(xml, "CFBundleShortVersionString"), "2.1");
    EXPECT_EQ(plist_string(xml, "CFBundleVersion"), "7");
    EXPECT_EQ(plist_string(xml, "CFBundleDevelopmentRegion"), "en");
    EXPECT_EQ(plist_string(xml, "CFBundleDisplayName"), "Generated Plist NIC");
    EXPECT_EQ(plist_string(xml, "NSHumanReadableCopyright"), "Copyright netdext");
    EXPECT_EQ(plist_string(xml, "OSBundleUsageDescription"),
              "Counts the frames GeneratedPlistNic is given.");
    EXPECT_EQ(plist_string(xml, "IOUserClass"), "GeneratedPlistNic");
    EXPECT_EQ(xml.find("$("), std::string::npos);
}

TEST_F(GeneratedPlistNic, RunsInTheBench) {
    load(GENERATED_PLIST_NIC_DEXT);
    EXPECT_EQ(bench->bundle_id(), "org.netdext.test.GeneratedPlistNic");
    ASSERT_KERN_SUCCESS(bench->start());
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(true));
    EXPECT_EQ(bench->link_status(), uint32_t(kIOUserNetworkLinkStatusActive));
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(bench->transmit(frame(60, uint8_t(i))));
    EXPECT_EQ(bench->tx_completed(), 3u);
    ether_addr_t group = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}};
    EXPECT_KERN_SUCCESS(bench->set_multicast_list({group}));
    EXPECT_TRUE(has_line(bench->logs(), "GeneratedPlistNic: 1 multicast addresses"))
        << "the family's multicast list reaches a SetMulticastAddresses_Impl override";
    EXPECT_EQ(bench->max_transfer_unit(), 1500u);
    ASSERT_KERN_SUCCESS(bench->stop());
    EXPECT_TRUE(has_line(bench->logs(), "GeneratedPlistNic: 3 frames, 180 bytes sent"));
}

// ---- ConditionalNic: #if'd classes (Clang builds only: it uses a block literal) ------------

#ifdef CONDITIONAL_NIC_DEXT

using ConditionalNic = AppleSources;

TEST_F(ConditionalNic, OnlyTheClassesOfTheBranchesTakenExist) {
    load(CONDITIONAL_NIC_DEXT);
    EXPECT_NE(OSMetaClass::find("ConditionalNic"), nullptr);
    EXPECT_NE(OSMetaClass::find("ConditionalNicUserClient"), nullptr)
        << "enabled by the target's compile definition, which iig sees as -D";
    EXPECT_EQ(OSMetaClass::find("ConditionalNicDebugClient"), nullptr);
    EXPECT_NE(OSMetaClass::find("OSAction_ConditionalNic_StatsTimerFired"), nullptr)
        << "CONDITIONAL_NIC_HAS_STATS comes from the header the .iig includes";
    EXPECT_EQ(OSMetaClass::find("OSAction_ConditionalNic_StatsUnavailable"), nullptr);
}

TEST_F(ConditionalNic, RunsItsTimerAndStopsAfterTheCancelBlock) {
    load(CONDITIONAL_NIC_DEXT);
    ASSERT_KERN_SUCCESS(bench->start());
    EXPECT_TRUE(has_line(bench->logs(), "ConditionalNic: generation 2 started"));
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(true));
    bench->advance(3s);
    EXPECT_EQ(count_containing(bench->logs(), "ConditionalNic: stats tick"), 3u);
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(false));
    ASSERT_KERN_SUCCESS(bench->stop());
    EXPECT_TRUE(has_line(bench->logs(), "ConditionalNic: stopped after 3 ticks"));
}

#endif

// ---- MultiQueueNic: separate TX and RX pools, two queues per direction ---------------------

using MultiQueueNic = AppleSources;

// A frame whose IPv4 addresses and ports differ per flow (so flows spread over the queues).
std::vector<uint8_t> flow_frame(uint8_t flow) {
    std::vector<uint8_t> bytes = frame(60, flow);
    bytes[12] = 0x08;
    bytes[13] = 0x00;
    bytes[26] = 10;
    bytes[29] = flow;
    return bytes;
}

TEST_F(MultiQueueNic, RegistersTwoPoolsAndTwoQueuesPerDirection) {
    load(MULTI_QUEUE_NIC_DEXT);
    ASSERT_KERN_SUCCESS(bench->start());
    ASSERT_TRUE(bench->registered());
    EXPECT_EQ(bench->pool_count(), 2u);
    for (QueueKind kind : {QueueKind::tx_submission, QueueKind::tx_completion,
                           QueueKind::rx_submission, QueueKind::rx_completion})
        EXPECT_EQ(bench->queue_count(kind), 2u);
    EXPECT_TRUE(has_line(bench->logs(), "started as en0 with 2 queue pairs"));
}

TEST_F(MultiQueueNic, EchoesFramesSentOnEitherTxQueueOnTheMatchingRxQueue) {
    load(MULTI_QUEUE_NIC_DEXT);
    ASSERT_KERN_SUCCESS(bench->start());
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(true));
    EXPECT_TRUE(bench->queue_enabled(QueueKind::tx_submission));
    EXPECT_TRUE(bench->queue_enabled(QueueKind::rx_submission));
    for (uint8_t i = 0; i < 20; ++i)
        ASSERT_TRUE(bench->transmit(flow_frame(i), 0, i % 2)) << int(i);
    bench->settle();
    std::vector<netdext::testing::Frame> got = bench->take_received();
    ASSERT_EQ(got.size(), 20u);
    std::vector<uint8_t> flows;
    for (const auto &f : got)
        flows.push_back(f.bytes[29]);
    std::sort(flows.begin(), flows.end());
    for (uint8_t i = 0; i < 20; ++i)
        EXPECT_EQ(flows[i], i);
    EXPECT_EQ(bench->tx_completed(), 20u);
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(false));
    for (const auto &[reason, count] : bench->drops())
        EXPECT_EQ(count, 0u) << reason;
}

// ---- TwoPortCable: one service, two interfaces ---------------------------------------------

using TwoPortCable = AppleSources;

TEST_F(TwoPortCable, CreatesTwoPortsEachWithItsOwnInterface) {
    load(TWO_PORT_CABLE_DEXT);
    ASSERT_KERN_SUCCESS(bench->start());
    ASSERT_EQ(bench->interface_count(), 2u);
    EXPECT_EQ(bench->interface_name(0), "en0");
    EXPECT_EQ(bench->interface_name(1), "en1");
    EXPECT_EQ(bench->mac(0).octet[5], 0x0a);
    EXPECT_EQ(bench->mac(1).octet[5], 0x0b);
    EXPECT_EQ(bench->ethernet(), bench->ethernet(0));
    EXPECT_NE(bench->ethernet(0), bench->ethernet(1));
    EXPECT_TRUE(has_line(bench->logs(), "plugged in: en0 <-> en1"));

    // The I/O Registry: each port below the service that made it, its interface below it.
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(true, 1));
    netdext::registry::Entry root = bench->registry();
    const netdext::registry::Entry *cable = root.find_by_name("TwoPortCable");
    ASSERT_NE(cable, nullptr);
    EXPECT_EQ(cable->class_name, "IOUserService");
    ASSERT_EQ(cable->children.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        const netdext::registry::Entry &port = cable->children[i];
        EXPECT_EQ(port.name, "TwoPortCablePort");
        EXPECT_EQ(port.class_name, "IOUserNetworkEthernet");
        uint64_t id = 0;
        ASSERT_KERN_SUCCESS(bench->ethernet(i)->GetRegistryEntryID(&id));
        EXPECT_EQ(port.id, id);
        const netdext::registry::Value *index = port.properties.find("CablePortIndex");
        ASSERT_NE(index, nullptr);
        EXPECT_EQ(index->number_value(), i);
        ASSERT_EQ(port.children.size(), 1u);
        ASSERT_EQ(port.children[0].children.size(), 1u);
        const netdext::registry::Entry &iface = port.children[0].children[0];
        EXPECT_EQ(iface.name, "en" + std::to_string(i));
        EXPECT_EQ(iface.properties.find("IOControllerEnabled")->boolean_value(), i == 1)
            << "en1 was enabled, en0 not";
    }
}

TEST_F(TwoPortCable, AFrameSentOnOneEndIsReceivedOnTheOther) {
    load(TWO_PORT_CABLE_DEXT);
    ASSERT_KERN_SUCCESS(bench->start());
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(true, 0));
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(true, 1));
    EXPECT_EQ(bench->link_status(0), uint32_t(kIOUserNetworkLinkStatusActive));
    EXPECT_EQ(bench->link_status(1), uint32_t(kIOUserNetworkLinkStatusActive));
    ASSERT_TRUE(bench->transmit(frame(60, 0xa0), 0));
    ASSERT_TRUE(bench->transmit(frame(1514, 0xb1), 1));
    ASSERT_TRUE(bench->transmit(frame(100, 0xa2), 0));
    bench->settle();
    std::vector<netdext::testing::Frame> at_b = bench->take_received(1);
    std::vector<netdext::testing::Frame> at_a = bench->take_received(0);
    ASSERT_EQ(at_b.size(), 2u);
    ASSERT_EQ(at_a.size(), 1u);
    EXPECT_EQ(at_b[0].bytes, frame(60, 0xa0));
    EXPECT_EQ(at_b[1].bytes, frame(100, 0xa2));
    EXPECT_EQ(at_a[0].bytes, frame(1514, 0xb1));
    // Down at one end: what the other sends is lost on the cable, nothing leaks.
    ASSERT_KERN_SUCCESS(bench->set_interface_enable(false, 1));
    ASSERT_TRUE(bench->transmit(frame(60, 0xa3), 0));
    bench->settle();
    EXPECT_TRUE(bench->take_received().empty());
    EXPECT_EQ(bench->tx_completed(), 4u);
}

} // namespace
