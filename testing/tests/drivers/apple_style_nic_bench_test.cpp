// AppleStyleNic (a driver written the way macOS drivers are) under the driver test bench: link
// down until enabled, every transmitted frame echoed on the next timer tick with the MACs
// swapped, the MAC filter, media selection, MTU, the QUEUENAME'd TX queue, the Start failure
// path at every step, and determinism across runs. Everything happens in virtual time.

#include <gtest/gtest.h>

#include <DriverKit/IOMemoryMap.h>
#include <netdext/runtime.h>
#include <netdext/testing/driver_bench.h>
#include <netdext/testing/user_client.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using netdext::QueueKind;
using netdext::testing::BenchOptions;
using netdext::testing::CallRecord;
using netdext::testing::DriverBench;
using netdext::testing::Frame;
using netdext::testing::UserClientConnection;

namespace {

using Mac = std::array<uint8_t, 6>;

constexpr Mac kNicMac = {0x02, 0x00, 0x4e, 0x44, 0x58, 0x01};
constexpr Mac kPeerMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
constexpr Mac kOtherMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x77};
constexpr Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr Mac kMdns = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
constexpr uint64_t kTick = 10'000'000; // the default echo period, ns
constexpr uint32_t kLinkActive = kIOUserNetworkLinkStatusActive;
constexpr uint32_t kLinkInactive = kIOUserNetworkLinkStatusInactive;
constexpr uint32_t kFdx = kIOUserNetworkMediaOptionFullDuplex;

// An Ethernet frame dst/src/0x88b5 with `length` bytes in all, the payload counting up from
// `seed`.
std::vector<uint8_t> make_frame(const Mac &dst, const Mac &src, size_t length, uint8_t seed = 0) {
    std::vector<uint8_t> frame(length);
    std::copy(dst.begin(), dst.end(), frame.begin());
    std::copy(src.begin(), src.end(), frame.begin() + 6);
    frame[12] = 0x88;
    frame[13] = 0xb5;
    for (size_t i = 14; i < length; ++i)
        frame[i] = uint8_t(seed + i);
    return frame;
}

// What the NIC delivers for `sent`: the same frame with source and destination swapped.
std::vector<uint8_t> echo_of(const std::vector<uint8_t> &sent) {
    std::vector<uint8_t> echo = sent;
    std::swap_ranges(echo.begin(), echo.begin() + 6, echo.begin() + 6);
    return echo;
}

bool contains(const std::vector<std::string> &lines, const std::string &text) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string &line) {
        return line.find(text) != std::string::npos;
    });
}

size_t count_containing(const std::vector<std::string> &lines, const std::string &text) {
    return size_t(std::count_if(lines.begin(), lines.end(), [&](const std::string &line) {
        return line.find(text) != std::string::npos;
    }));
}

std::vector<std::string> call_names(const std::vector<CallRecord> &calls) {
    std::vector<std::string> out;
    for (const CallRecord &call : calls)
        out.push_back(call.call);
    return out;
}

struct AppleStyleNicBench : public ::testing::Test {
    std::unique_ptr<DriverBench> bench;
    uint64_t live_objects_before = 0;
    uint64_t live_queues_before = 0;

    void make(BenchOptions options = {}) {
        bench.reset(); // one bench at a time
        bench = std::make_unique<DriverBench>(std::move(options));
        std::string error;
        ASSERT_TRUE(bench->load_bundle(APPLE_STYLE_NIC_DEXT, &error)) << error;
        ASSERT_TRUE(netdext::wait_until_idle());
        live_objects_before = netdext::runtime_stats().live_objects.load();
        live_queues_before = netdext::runtime_stats().live_queues.load();
    }
    void start_and_enable() {
        ASSERT_EQ(bench->start(), kIOReturnSuccess);
        ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    }
    // Transmits, and checks the driver completed the frame at once.
    void send(const std::vector<uint8_t> &frame) {
        uint64_t completed = bench->tx_completed();
        ASSERT_TRUE(bench->transmit(frame));
        EXPECT_EQ(bench->tx_completed(), completed + 1);
    }
    void TearDown() override {
        if (!bench)
            return;
        if (bench->running()) {
            EXPECT_EQ(bench->stop(), kIOReturnSuccess);
        }
        EXPECT_EQ(bench->misuses(), std::vector<std::string>{});
        bench.reset();
    }
};

} // namespace

TEST_F(AppleStyleNicBench, LoadsFromItsBundle) {
    make();
    EXPECT_EQ(bench->bundle_id(), "com.example.netdext.AppleStyleNic");
    EXPECT_EQ(bench->class_name(), "AppleStyleNic"); // IOUserClass was $(PRODUCT_NAME)
}

TEST_F(AppleStyleNicBench, LinkIsDownUntilTheInterfaceIsEnabled) {
    make();
    ASSERT_EQ(bench->start(), kIOReturnSuccess);
    ASSERT_TRUE(bench->registered());
    ether_addr_t mac = bench->mac();
    EXPECT_TRUE(std::equal(kNicMac.begin(), kNicMac.end(), mac.octet));
    EXPECT_EQ(bench->media_types(),
              (std::vector<uint32_t>{kIOUserNetworkMediaEthernetAuto,
                                     kIOUserNetworkMediaEthernet10BaseT | kFdx,
                                     kIOUserNetworkMediaEthernet100BaseTX | kFdx,
                                     kIOUserNetworkMediaEthernet1000BaseT | kFdx}));
    EXPECT_EQ(bench->link_status(), kLinkInactive);
    for (auto kind : {QueueKind::tx_submission, QueueKind::tx_completion, QueueKind::rx_submission,
                      QueueKind::rx_completion})
        EXPECT_FALSE(bench->queue_enabled(kind));

    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    EXPECT_EQ(bench->link_status(), kLinkActive);
    EXPECT_EQ(bench->active_media(), uint32_t(kIOUserNetworkMediaEthernetAuto));
    for (auto kind : {QueueKind::tx_submission, QueueKind::tx_completion, QueueKind::rx_submission,
                      QueueKind::rx_completion})
        EXPECT_TRUE(bench->queue_enabled(kind));
    auto calls = call_names(bench->calls());
    EXPECT_TRUE(contains(calls, "ReportDataBandwidths(1000000000, 1000000000, 1000000000, "
                                "1000000000)"));

    ASSERT_EQ(bench->set_interface_enable(false), kIOReturnSuccess);
    EXPECT_EQ(bench->link_status(), kLinkInactive);
    EXPECT_FALSE(bench->queue_enabled(QueueKind::tx_submission));
}

TEST_F(AppleStyleNicBench, RegistersWithItsFeaturesAndQueuesInAnyOrder) {
    make();
    ASSERT_EQ(bench->start(), kIOReturnSuccess);
    // WOMP (0x04000000) and software VLAN (0x00020000); the queues were passed RX first.
    EXPECT_TRUE(contains(call_names(bench->calls()),
                         "RegisterEthernetInterface(en0, 02:00:4e:44:58:01, features 0x4020000"));
    EXPECT_EQ(bench->max_transfer_unit(), 4000u);
}

TEST_F(AppleStyleNicBench, EchoesATransmittedFrameOnTheNextTick) {
    make();
    start_and_enable();
    const uint64_t up = bench->now_ns();
    bench->advance(3ms);
    auto frame = make_frame(kPeerMac, kNicMac, 100);
    send(frame);
    EXPECT_TRUE(bench->take_received().empty()) << "echoed before the tick";
    bench->advance(6ms);
    EXPECT_TRUE(bench->take_received().empty()) << "echoed before the tick";
    bench->advance(1ms);
    std::vector<Frame> got = bench->take_received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].time_ns - up, kTick);
    EXPECT_EQ(got[0].bytes, echo_of(frame));
    // Nothing more on later ticks.
    bench->advance(100ms);
    EXPECT_TRUE(bench->take_received().empty());
}

TEST_F(AppleStyleNicBench, FramesSentBetweenTicksArriveTogetherInOrder) {
    make();
    start_and_enable();
    const uint64_t up = bench->now_ns();
    std::vector<std::vector<uint8_t>> sent;
    for (uint8_t i = 0; i < 5; ++i) {
        sent.push_back(make_frame(kPeerMac, kNicMac, 60 + i * 100, i));
        send(sent.back());
    }
    bench->advance(25ms); // ticks at 10 ms and 20 ms
    std::vector<Frame> got = bench->take_received();
    ASSERT_EQ(got.size(), 5u);
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].time_ns - up, kTick) << i;
        EXPECT_EQ(got[i].bytes, echo_of(sent[i])) << i;
    }
    // A frame sent now comes back at 30 ms: the timer keeps its period from the deadline.
    send(make_frame(kPeerMac, kNicMac, 64));
    bench->advance(5ms);
    got = bench->take_received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].time_ns - up, 3 * kTick);
}

TEST_F(AppleStyleNicBench, AnEchoPeriodFromTheBootArgs) {
    make(BenchOptions{.boot_args = "asn-echo-ms=25"});
    start_and_enable();
    const uint64_t up = bench->now_ns();
    send(make_frame(kPeerMac, kNicMac, 64));
    bench->advance(24ms);
    EXPECT_TRUE(bench->take_received().empty());
    bench->advance(1ms);
    std::vector<Frame> got = bench->take_received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].time_ns - up, 25'000'000u);
    EXPECT_TRUE(contains(bench->logs(), "echo every 25 ms"));
}

TEST_F(AppleStyleNicBench, TheMacFilterDecidesWhatIsReceived) {
    make();
    start_and_enable();
    // Echoes are addressed to the original sender.
    send(make_frame(kPeerMac, kNicMac, 64, 1));   // → to the NIC: passes
    send(make_frame(kNicMac, kBroadcast, 64, 2)); // → broadcast: passes
    send(make_frame(kNicMac, kOtherMac, 64, 3));  // → another station: filtered
    send(make_frame(kNicMac, kMdns, 64, 4));      // → a multicast group not joined: filtered
    bench->advance(10ms);
    std::vector<Frame> got = bench->take_received();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].bytes[14], uint8_t(1 + 14));
    EXPECT_EQ(got[1].bytes[14], uint8_t(2 + 14));
    EXPECT_TRUE(contains(bench->logs(), "echo tick: 2 frame(s) delivered, 2 filtered"));

    // Join the group: the multicast echo passes, the other station's still does not.
    ASSERT_EQ(bench->set_multicast_list({ether_addr_t{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}}}),
              kIOReturnSuccess);
    send(make_frame(kNicMac, kMdns, 64, 5));
    send(make_frame(kNicMac, kOtherMac, 64, 6));
    bench->advance(10ms);
    got = bench->take_received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].bytes[14], uint8_t(5 + 14));

    // Promiscuous: everything passes.
    ASSERT_EQ(bench->set_promiscuous(true), kIOReturnSuccess);
    send(make_frame(kNicMac, kOtherMac, 64, 7));
    bench->advance(10ms);
    EXPECT_EQ(bench->take_received().size(), 1u);
    ASSERT_EQ(bench->set_promiscuous(false), kIOReturnSuccess);

    // All-multicast: any group passes; unicast to others still does not.
    ASSERT_EQ(bench->set_multicast_list({}), kIOReturnSuccess);
    ASSERT_EQ(bench->set_all_multicast(true), kIOReturnSuccess);
    const Mac other_group = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};
    send(make_frame(kNicMac, other_group, 64, 8));
    send(make_frame(kNicMac, kOtherMac, 64, 9));
    bench->advance(10ms);
    got = bench->take_received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].bytes[14], uint8_t(8 + 14));
}

TEST_F(AppleStyleNicBench, TooManyMulticastAddressesMeansAllMulticast) {
    make();
    start_and_enable();
    std::vector<ether_addr_t> groups(33);
    for (size_t i = 0; i < groups.size(); ++i)
        groups[i] = ether_addr_t{{0x01, 0x00, 0x5e, 0x00, 0x01, uint8_t(i)}};
    ASSERT_EQ(bench->set_multicast_list(groups), kIOReturnSuccess);
    EXPECT_TRUE(contains(bench->logs(), "multicast filter: 33 address(es), overflow"));
    send(make_frame(kNicMac, kMdns, 64));
    bench->advance(10ms);
    EXPECT_EQ(bench->take_received().size(), 1u);
}

TEST_F(AppleStyleNicBench, ABacklogOfSixteenAndTheRestDropped) {
    make();
    start_and_enable();
    std::vector<std::vector<uint8_t>> sent;
    for (uint8_t i = 0; i < 20; ++i) {
        sent.push_back(make_frame(kPeerMac, kNicMac, 80, i));
        send(sent.back()); // every frame is completed, echoed or not
    }
    EXPECT_EQ(count_containing(bench->logs(), "dropped: echo backlog full"), 4u);
    bench->advance(10ms);
    std::vector<Frame> got = bench->take_received();
    ASSERT_EQ(got.size(), 16u);
    for (size_t i = 0; i < got.size(); ++i)
        EXPECT_EQ(got[i].bytes, echo_of(sent[i])) << i;
    EXPECT_EQ(bench->tx_submitted(), 20u);
    EXPECT_EQ(bench->tx_completed(), 20u);
}

TEST_F(AppleStyleNicBench, FramesLongerThanTheMtuAreDroppedButCompleted) {
    make();
    start_and_enable();
    auto big = make_frame(kPeerMac, kNicMac, 1600);
    send(big);
    bench->advance(10ms);
    EXPECT_TRUE(bench->take_received().empty());
    EXPECT_TRUE(contains(bench->logs(), "TX frame of 1600 bytes dropped: bad length"));

    ASSERT_EQ(bench->set_mtu(4000), kIOReturnSuccess);
    send(big);
    send(make_frame(kPeerMac, kNicMac, 4000 + 14 + 4)); // a VLAN-tagged full-size frame
    bench->advance(10ms);
    std::vector<Frame> got = bench->take_received();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].bytes, echo_of(big));
    EXPECT_EQ(got[1].bytes.size(), 4018u);

    EXPECT_NE(bench->set_mtu(4001), kIOReturnSuccess); // above GetMaxTransferUnit
    EXPECT_EQ(bench->mtu(), 4000u);
    EXPECT_NE(bench->set_mtu(20), kIOReturnSuccess);
}

TEST_F(AppleStyleNicBench, TheStackChoosesTheMedium) {
    make();
    ASSERT_EQ(bench->start(), kIOReturnSuccess);
    const uint32_t fast_ethernet = kIOUserNetworkMediaEthernet100BaseTX | kFdx;
    // While down the choice is remembered; the link stays down.
    ASSERT_EQ(bench->select_media(fast_ethernet), kIOReturnSuccess);
    EXPECT_EQ(bench->link_status(), kLinkInactive);
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    EXPECT_EQ(bench->link_status(), kLinkActive);
    EXPECT_EQ(bench->active_media(), fast_ethernet);
    EXPECT_TRUE(contains(call_names(bench->calls()),
                         "ReportDataBandwidths(100000000, 100000000, 100000000, 100000000)"));
    // While up it is reported at once.
    const uint32_t gigabit = kIOUserNetworkMediaEthernet1000BaseT | kFdx;
    ASSERT_EQ(bench->select_media(gigabit), kIOReturnSuccess);
    EXPECT_EQ(bench->active_media(), gigabit);
    EXPECT_TRUE(contains(call_names(bench->calls()), "ReportLinkStatus(0x3, 0x100030)"));
    // A medium it does not offer.
    EXPECT_EQ(bench->select_media(kIOUserNetworkMediaEthernet10GBaseT), kIOReturnUnsupported);
    EXPECT_EQ(bench->active_media(), gigabit);
}

TEST_F(AppleStyleNicBench, InterfaceDownDiscardsTheBacklogAndStopsTheTimer) {
    make();
    start_and_enable();
    send(make_frame(kPeerMac, kNicMac, 64));
    send(make_frame(kPeerMac, kNicMac, 64));
    ASSERT_EQ(bench->set_interface_enable(false), kIOReturnSuccess);
    EXPECT_TRUE(contains(bench->logs(), "discarded 2 frame(s) waiting to be echoed"));
    EXPECT_EQ(bench->advance(1s), 0u) << "the echo timer still fires while down";
    EXPECT_TRUE(bench->take_received().empty());
    EXPECT_FALSE(bench->transmit(make_frame(kPeerMac, kNicMac, 64))); // TX queue disabled

    // Up again: the ticks restart from the new enable time.
    const uint64_t up = bench->now_ns();
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    send(make_frame(kPeerMac, kNicMac, 64));
    bench->advance(10ms);
    std::vector<Frame> got = bench->take_received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].time_ns - up, kTick);
}

TEST_F(AppleStyleNicBench, TxReadyRunsOnItsOwnQueue) {
    make(BenchOptions{.boot_args = "asn-debug=1"});
    start_and_enable();
    send(make_frame(kPeerMac, kNicMac, 64));
    auto logs = bench->logs();
    EXPECT_TRUE(contains(logs, "TxReady on TxQueue: 1")) << "QUEUENAME(TxQueue) not honoured";
    EXPECT_FALSE(contains(logs, "TxReady on TxQueue: 0"));
}

TEST_F(AppleStyleNicBench, HardwareAssistsAndWakeOnLan) {
    make();
    start_and_enable();
    EXPECT_EQ(bench->set_hardware_assists(kIOUserNetworkHWAssistSoftwareVlan), kIOReturnSuccess);
    EXPECT_EQ(bench->set_hardware_assists(kIOUserNetworkHWAssistTSO4), kIOReturnUnsupported);
    uint32_t assists = 0;
    ASSERT_EQ(bench->ethernet()->GetHardwareAssists(&assists), kIOReturnSuccess);
    EXPECT_EQ(assists, uint32_t(kIOUserNetworkHWAssistSoftwareVlan));
    EXPECT_EQ(bench->set_wake_on_magic_packet(true), kIOReturnSuccess);
    EXPECT_TRUE(contains(bench->logs(), "wake on magic packet on"));
}

TEST_F(AppleStyleNicBench, SetPowerStateReachesTheDriverAndItsSuper) {
    make();
    ASSERT_EQ(bench->start(), kIOReturnSuccess);
    EXPECT_EQ(bench->ethernet()->SetPowerState(kIOServicePowerCapabilityLow), kIOReturnSuccess);
    EXPECT_TRUE(contains(bench->logs(), "power state 0x10000"));
    EXPECT_EQ(bench->ethernet()->netdext_power_state(), uint32_t(kIOServicePowerCapabilityLow));
}

TEST_F(AppleStyleNicBench, StartFailsCleanlyAfterEveryStep) {
    for (int step = 1; step <= 7; ++step) {
        SCOPED_TRACE("asn-fail-start=" + std::to_string(step));
        make(BenchOptions{.boot_args = "asn-fail-start=" + std::to_string(step)});
        EXPECT_EQ(bench->start(), kIOReturnError);
        EXPECT_FALSE(bench->running());
        EXPECT_FALSE(bench->registered());
        EXPECT_TRUE(contains(bench->logs(), "failing Start after step " + std::to_string(step)));
        ASSERT_TRUE(netdext::wait_until_idle());
        EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_objects_before);
        EXPECT_EQ(netdext::runtime_stats().live_queues.load(), live_queues_before);
        EXPECT_EQ(bench->misuses(), std::vector<std::string>{});
        bench.reset();
    }
}

TEST_F(AppleStyleNicBench, StopReleasesEverything) {
    make();
    start_and_enable();
    send(make_frame(kPeerMac, kNicMac, 64)); // one frame still waiting to be echoed
    bench->advance(5ms);
    ASSERT_EQ(bench->stop(), kIOReturnSuccess);
    EXPECT_FALSE(bench->registered());
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_objects_before);
    EXPECT_EQ(netdext::runtime_stats().live_queues.load(), live_queues_before);
}

// The same script twice gives the same frames at the same virtual times and the same calls.
TEST_F(AppleStyleNicBench, RunsAreDeterministic) {
    auto run = [this](std::vector<Frame> &frames, std::vector<std::string> &calls) {
        make();
        start_and_enable();
        for (uint8_t i = 0; i < 12; ++i) {
            ASSERT_TRUE(
                bench->transmit(make_frame(i % 3 ? kPeerMac : kBroadcast, kNicMac, 64 + i, i)));
            bench->advance(std::chrono::milliseconds(1 + i * 3));
        }
        ASSERT_EQ(bench->select_media(kIOUserNetworkMediaEthernet10BaseT | kFdx), kIOReturnSuccess);
        bench->advance(50ms);
        frames = bench->take_received();
        ASSERT_EQ(bench->stop(), kIOReturnSuccess);
        for (const CallRecord &call : bench->calls())
            calls.push_back(std::to_string(call.time_ns) + " " + call.call);
        EXPECT_EQ(bench->misuses(), std::vector<std::string>{});
        bench.reset();
    };
    std::vector<Frame> first_frames, second_frames;
    std::vector<std::string> first_calls, second_calls;
    run(first_frames, first_calls);
    run(second_frames, second_calls);
    ASSERT_EQ(first_frames.size(), 12u);
    ASSERT_EQ(second_frames.size(), first_frames.size());
    for (size_t i = 0; i < first_frames.size(); ++i) {
        EXPECT_EQ(first_frames[i].time_ns, second_frames[i].time_ns) << i;
        EXPECT_EQ(first_frames[i].bytes, second_frames[i].bytes) << i;
    }
    EXPECT_EQ(first_calls, second_calls);
}

// The personality's entries are the service's registry properties, as on macOS.
TEST_F(AppleStyleNicBench, ThePersonalityIsTheServicesRegistryProperties) {
    make();
    ASSERT_EQ(bench->start(), kIOReturnSuccess);
    OSDictionary *properties = nullptr;
    ASSERT_EQ(bench->service()->CopyProperties(&properties), kIOReturnSuccess);
    ASSERT_NE(properties, nullptr);
    auto *user_class = OSDynamicCast(OSString, properties->getObject(kIOUserClassKey));
    ASSERT_NE(user_class, nullptr);
    EXPECT_TRUE(user_class->isEqualTo("AppleStyleNic"));
    auto *bundle_id = OSDynamicCast(OSString, properties->getObject("CFBundleIdentifier"));
    ASSERT_NE(bundle_id, nullptr);
    EXPECT_TRUE(bundle_id->isEqualTo("com.example.netdext.AppleStyleNic"));
    auto *score = OSDynamicCast(OSNumber, properties->getObject("IOProbeScore"));
    ASSERT_NE(score, nullptr);
    EXPECT_EQ(score->unsigned64BitValue(), 100000u);
    auto *user_client = OSDynamicCast(OSDictionary, properties->getObject("UserClientProperties"));
    ASSERT_NE(user_client, nullptr);
    auto *client_class = OSDynamicCast(OSString, user_client->getObject(kIOUserClassKey));
    ASSERT_NE(client_class, nullptr);
    EXPECT_TRUE(client_class->isEqualTo("AppleStyleNicUserClient"));
    OSSafeReleaseNULL(properties);
}

// An application's connection: NewUserClient -> Create(this, "UserClientProperties"), the
// dispatch table's checks in super::ExternalMethod, scalars, structures, shared memory and an
// async completion.
TEST_F(AppleStyleNicBench, AUserClientAnswersCallsAndCompletesAsynchronously) {
    make();
    start_and_enable();
    for (uint8_t seed = 0; seed < 3; ++seed)
        send(make_frame(kPeerMac, kNicMac, 64, seed));
    bench->advance(std::chrono::nanoseconds(kTick));
    ASSERT_EQ(bench->take_received().size(), 3u);

    EXPECT_EQ(UserClientConnection(bench->service(), 7).status(), kIOReturnBadArgument)
        << "the driver only offers type 0";
    UserClientConnection connection(bench->service(), 0);
    ASSERT_EQ(connection.status(), kIOReturnSuccess);
    ASSERT_NE(connection.client(), nullptr);
    EXPECT_STREQ(connection.client()->GetClassName(), "AppleStyleNicUserClient");
    EXPECT_EQ(connection.client()->GetProvider(), bench->service());
    EXPECT_TRUE(contains(bench->logs(), "AppleStyleNicUserClient: started for AppleStyleNic"));

    // GetCounters: 2 scalars out.
    auto counters = connection.call({.selector = 0, .scalar_output_count = 2});
    EXPECT_EQ(counters.status, kIOReturnSuccess);
    EXPECT_EQ(counters.scalar_output, (std::vector<uint64_t>{3, 3}));
    EXPECT_EQ(connection.call({.selector = 0, .scalar_output_count = 1}).status,
              kIOReturnBadArgument)
        << "the dispatch entry wants exactly 2 output scalars";
    EXPECT_EQ(connection.call({.selector = 0, .scalar_input = {1}, .scalar_output_count = 2}).status,
              kIOReturnBadArgument);

    // The shared page (IOConnectMapMemory64) holds the counters of the last GetCounters.
    IOMemoryDescriptor *shared = nullptr;
    uint64_t map_options = 0;
    ASSERT_EQ(connection.map_memory(0, &shared, &map_options), kIOReturnSuccess);
    EXPECT_EQ(map_options, uint64_t(kIOUserClientMemoryReadOnly));
    IOMemoryMap *map = nullptr;
    ASSERT_EQ(shared->CreateMapping(0, 0, 0, 0, 0, &map), kIOReturnSuccess);
    const auto *words = reinterpret_cast<const uint64_t *>(map->GetAddress());
    EXPECT_EQ(words[0], 3u);
    EXPECT_EQ(words[1], 3u);
    OSSafeReleaseNULL(map);
    OSSafeReleaseNULL(shared);
    EXPECT_EQ(connection.map_memory(1, &shared), kIOReturnBadArgument);
    EXPECT_EQ(shared, nullptr);

    // Ping: needs a completion; answers from the queue with value + 1.
    EXPECT_EQ(connection.call({.selector = 1, .scalar_input = {41}}).status, kIOReturnBadArgument);
    auto ping = connection.call({.selector = 1, .scalar_input = {41}, .with_completion = true});
    EXPECT_EQ(ping.status, kIOReturnSuccess);
    ASSERT_TRUE(connection.wait_for_async(1));
    auto async = connection.async_results();
    ASSERT_EQ(async.size(), 1u);
    EXPECT_EQ(async[0].status, kIOReturnSuccess);
    EXPECT_EQ(async[0].data, std::vector<uint64_t>{42});

    // Reverse: any structure in, the same size out.
    auto reversed = connection.call(
        {.selector = 2, .structure_input = {1, 2, 3, 4, 5}, .structure_output_size = 16});
    EXPECT_EQ(reversed.status, kIOReturnSuccess);
    EXPECT_EQ(reversed.structure_output, (std::vector<uint8_t>{5, 4, 3, 2, 1}));
    EXPECT_EQ(connection
                  .call({.selector = 2, .structure_input = {1, 2, 3}, .structure_output_size = 2})
                  .status,
              kIOReturnNoSpace);
    EXPECT_EQ(connection.call({.selector = 2, .structure_output_size = 2}).status,
              kIOReturnBadArgument);
    EXPECT_EQ(connection.call({.selector = 3}).status, kIOReturnBadArgument);

    EXPECT_EQ(connection.close(), kIOReturnSuccess);
    EXPECT_TRUE(contains(bench->logs(), "AppleStyleNicUserClient: stopped"));
    EXPECT_EQ(connection.call({.selector = 0, .scalar_output_count = 2}).status, kIOReturnNotOpen);
    EXPECT_EQ(connection.map_memory(0, &shared), kIOReturnNotOpen);
    EXPECT_EQ(connection.close(), kIOReturnNotOpen);

    ASSERT_EQ(bench->stop(), kIOReturnSuccess);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_objects_before);
}
