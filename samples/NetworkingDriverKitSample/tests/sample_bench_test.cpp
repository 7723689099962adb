// The seed's sample driver under the driver test bench: exact timing in virtual time, the frames
// it delivers, TX completion, interface down/up, Stop, and boot-args.

#include "inet_checksum.h"
#include <gtest/gtest.h>

#include <netdext/runtime.h>
#include <netdext/testing/driver_bench.h>

#include <algorithm>
#include <chrono>
#include <numeric>

using namespace std::chrono_literals;
using netdext::testing::BenchOptions;
using netdext::testing::DriverBench;
using netdext::testing::Frame;

namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;

using netdext::testing::inet_checksum;

// An Ethernet/IPv4/ICMP echo request 17.192.170.19 → 17.192.170.17 with valid checksums.
void expect_echo_request(const Frame &frame) {
    ASSERT_EQ(frame.bytes.size(), 98u);
    const uint8_t *f = frame.bytes.data();
    const uint8_t mac[6] = {0x10, 0x22, 0x33, 0x44, 0x55, 0x66};
    EXPECT_TRUE(std::equal(mac, mac + 6, f));
    EXPECT_EQ(f[12], 0x08);
    EXPECT_EQ(f[13], 0x00);
    const uint8_t *ip = f + 14;
    EXPECT_EQ(ip[9], 1); // ICMP
    EXPECT_EQ(inet_checksum(ip, 20), 0) << "IPv4 header checksum";
    const uint8_t src[4] = {17, 192, 170, 19}, dst[4] = {17, 192, 170, 17};
    EXPECT_TRUE(std::equal(src, src + 4, ip + 12));
    EXPECT_TRUE(std::equal(dst, dst + 4, ip + 16));
    const uint8_t *icmp = ip + 20;
    EXPECT_EQ(icmp[0], 8); // echo request
    EXPECT_EQ(inet_checksum(icmp, 98 - 34), 0) << "ICMP checksum";
}

struct SampleBench : public ::testing::Test {
    std::unique_ptr<DriverBench> bench;
    uint64_t live_objects_before = 0;
    uint64_t live_queues_before = 0;

    void SetUp() override { live_objects_before = netdext::runtime_stats().live_objects.load(); }

    void make(BenchOptions options = {}) {
        bench = std::make_unique<DriverBench>(options);
        std::string error;
        ASSERT_TRUE(bench->load_bundle(SAMPLE_DEXT_PATH, &error)) << error;
        live_objects_before = netdext::runtime_stats().live_objects.load();
        live_queues_before = netdext::runtime_stats().live_queues.load();
    }
    void start_and_enable() {
        ASSERT_EQ(bench->start(), kIOReturnSuccess);
        ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    }
    void TearDown() override {
        if (bench) {
            if (bench->running()) {
                EXPECT_EQ(bench->stop(), kIOReturnSuccess);
            }
            EXPECT_EQ(bench->misuses(), std::vector<std::string>{});
            bench.reset();
        }
    }
};

} // namespace

TEST_F(SampleBench, StartsAndRegistersTheInterface) {
    make();
    EXPECT_EQ(bench->bundle_id(), "com.example.netdext.NetworkingDriverKitSample");
    EXPECT_EQ(bench->class_name(), "NetworkingDriverKitSample");
    ASSERT_EQ(bench->start(), kIOReturnSuccess);
    EXPECT_TRUE(bench->registered());
    EXPECT_EQ(bench->interface_name(), "en0");
    ether_addr_t mac = bench->mac();
    const uint8_t expected[6] = {0x10, 0x22, 0x33, 0x44, 0x55, 0x66};
    EXPECT_TRUE(std::equal(expected, expected + 6, mac.octet));
    EXPECT_EQ(bench->media_types(),
              (std::vector<uint32_t>{kIOUserNetworkMediaEthernetAuto,
                                     kIOUserNetworkMediaEthernet100BaseTX,
                                     kIOUserNetworkMediaEthernet1000BaseT}));
    EXPECT_EQ(bench->link_status(), uint32_t(kIOUserNetworkLinkStatusActive));
    EXPECT_EQ(bench->max_transfer_unit(), 9000u);
    EXPECT_TRUE(bench->ethernet()->netdext_registered());
}

TEST_F(SampleBench, TimerFiresAtOneSecondThenEveryFiveWithEightEchoRequests) {
    make();
    start_and_enable();
    const uint64_t t0 = bench->now_ns();
    bench->advance(999ms);
    EXPECT_TRUE(bench->take_received().empty());
    bench->advance(1ms);
    std::vector<Frame> burst = bench->take_received();
    ASSERT_EQ(burst.size(), 8u);
    for (const Frame &frame : burst) {
        EXPECT_EQ(frame.time_ns - t0, 1 * kSecond);
        expect_echo_request(frame);
    }
    bench->advance(4999ms);
    EXPECT_TRUE(bench->take_received().empty());
    bench->advance(1ms);
    burst = bench->take_received();
    ASSERT_EQ(burst.size(), 8u);
    EXPECT_EQ(burst[0].time_ns - t0, 6 * kSecond);
    bench->advance(5s);
    burst = bench->take_received();
    ASSERT_EQ(burst.size(), 8u);
    EXPECT_EQ(burst[7].time_ns - t0, 11 * kSecond);
}

TEST_F(SampleBench, TransmittedFramesAreCompleted) {
    make();
    start_and_enable();
    std::vector<uint8_t> frame(60, 0xab);
    for (int i = 0; i < 20; ++i)
        ASSERT_TRUE(bench->transmit(frame)) << i;
    bench->settle();
    EXPECT_EQ(bench->tx_submitted(), 20u);
    EXPECT_EQ(bench->tx_completed(), 20u);
}

TEST_F(SampleBench, InterfaceDownCancelsTheTimerAndDisablesTheQueues) {
    make();
    start_and_enable();
    bench->advance(1s);
    EXPECT_EQ(bench->take_received().size(), 8u);
    ASSERT_EQ(bench->set_interface_enable(false), kIOReturnSuccess);
    for (auto kind : {netdext::QueueKind::tx_submission, netdext::QueueKind::tx_completion,
                      netdext::QueueKind::rx_submission, netdext::QueueKind::rx_completion})
        EXPECT_FALSE(bench->queue_enabled(kind));
    bench->advance(30s);
    EXPECT_TRUE(bench->take_received().empty());
    std::vector<uint8_t> frame(60, 0x11);
    EXPECT_FALSE(bench->transmit(frame)); // TX submission is disabled
    // Up again: the first burst comes one second later.
    const uint64_t up = bench->now_ns();
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    bench->advance(1s);
    std::vector<Frame> burst = bench->take_received();
    ASSERT_EQ(burst.size(), 8u);
    EXPECT_EQ(burst[0].time_ns - up, 1 * kSecond);
}

TEST_F(SampleBench, MtuUpToNineThousand) {
    make();
    start_and_enable();
    EXPECT_EQ(bench->set_mtu(9000), kIOReturnSuccess);
    EXPECT_EQ(bench->mtu(), 9000u);
    EXPECT_NE(bench->set_mtu(9001), kIOReturnSuccess);
    EXPECT_EQ(bench->mtu(), 9000u);
}

TEST_F(SampleBench, StackRequestsReachTheDriver) {
    make();
    start_and_enable();
    EXPECT_EQ(bench->set_promiscuous(true), kIOReturnSuccess);
    EXPECT_EQ(bench->set_all_multicast(true), kIOReturnSuccess);
    EXPECT_EQ(bench->set_multicast_list({ether_addr_t{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}}}),
              kIOReturnSuccess);
    EXPECT_EQ(bench->select_media(kIOUserNetworkMediaEthernet100BaseTX), kIOReturnSuccess);
    EXPECT_EQ(bench->active_media(), uint32_t(kIOUserNetworkMediaEthernet100BaseTX));
    EXPECT_NE(bench->select_media(kIOUserNetworkMediaEthernet10GBaseT), kIOReturnSuccess);
    auto logs = bench->logs();
    auto has = [&](const std::string &text) {
        return std::any_of(logs.begin(), logs.end(),
                           [&](const std::string &l) { return l.find(text) != std::string::npos; });
    };
    EXPECT_TRUE(has("promiscuous mode on"));
    EXPECT_TRUE(has("all-multicast mode on"));
    EXPECT_TRUE(has("1 multicast address(es)"));
}

TEST_F(SampleBench, StopReleasesEverything) {
    make();
    start_and_enable();
    bench->advance(6s);
    std::vector<uint8_t> frame(60, 0x22);
    ASSERT_TRUE(bench->transmit(frame));
    ASSERT_EQ(bench->stop(), kIOReturnSuccess);
    EXPECT_FALSE(bench->registered());
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_objects_before);
    EXPECT_EQ(netdext::runtime_stats().live_queues.load(), live_queues_before);
}

TEST_F(SampleBench, BootArgDisablesStart) {
    make(BenchOptions{.boot_args = "ndks-enable=0"});
    EXPECT_NE(bench->start(), kIOReturnSuccess);
    EXPECT_FALSE(bench->running());
    EXPECT_FALSE(bench->registered());
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_objects_before);
}

TEST_F(SampleBench, DebugBootArgEnablesDebugLogging) {
    make(BenchOptions{.boot_args = "ndks-debug=1"});
    start_and_enable();
    bench->advance(1s);
    auto logs = bench->logs();
    EXPECT_TRUE(std::any_of(logs.begin(), logs.end(), [](const std::string &l) {
        return l.find("received 8 echo request(s)") != std::string::npos;
    }));
}
