// netdext-host against an in-process netdextd (FakeDaemon): the sample driver starts, registers
// its interface, receives and transmits through the shared rings, answers the stack's calls and
// stops — and every way the host can end (Stop, Terminate, the daemon going away, a failed Start,
// a malformed message) ends with the documented exit status.

#include "fake_daemon.h"

#include <DriverKit/IOReturn.h>
#include <NetworkingDriverKit/IOUserNetworkTypes.h>

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>

using namespace std::chrono_literals;
using netdext::host::testing::FakeDaemon;
using netdext::host::testing::HostArgs;
using netdext::host::testing::sample_args;
using netdext::protocol::Call;
using netdext::shm::ipc::MessageHeader;

namespace {

constexpr uint8_t kSampleMac[6] = {0x10, 0x22, 0x33, 0x44, 0x55, 0x66};

std::string describe(std::optional<int> status) {
    if (!status)
        return "still running";
    if (WIFEXITED(*status))
        return "exit " + std::to_string(WEXITSTATUS(*status));
    if (WIFSIGNALED(*status))
        return "signal " + std::to_string(WTERMSIG(*status));
    return "status " + std::to_string(*status);
}

// An Ethernet/IPv4/ICMP echo request 17.192.170.19 → 17.192.170.17 (the sample's frame).
void expect_echo_request(const std::vector<uint8_t> &frame) {
    ASSERT_EQ(frame.size(), 98u);
    EXPECT_TRUE(std::equal(kSampleMac, kSampleMac + 6, frame.begin()));
    EXPECT_EQ(frame[12], 0x08);
    EXPECT_EQ(frame[13], 0x00);
    EXPECT_EQ(frame[14], 0x45);
    EXPECT_EQ(frame[14 + 9], 1); // ICMP
    const uint8_t dst[4] = {17, 192, 170, 17};
    EXPECT_TRUE(std::equal(dst, dst + 4, frame.begin() + 14 + 16));
    EXPECT_EQ(frame[34], 8); // echo request
}

class HostTest : public ::testing::Test {
protected:
    FakeDaemon daemon;

    void spawn(const HostArgs &args) {
        std::string error;
        ASSERT_TRUE(daemon.spawn(args, error)) << error;
    }
    // Spawns the sample and waits until Start succeeded.
    void start_sample(const std::string &boot_args = {}) {
        ASSERT_NO_FATAL_FAILURE(spawn(sample_args(boot_args)));
        ASSERT_TRUE(daemon.pump_until([&] { return daemon.start_result.has_value(); }))
            << describe(daemon.exit_status) << "\n"
            << daemon.log_text();
        ASSERT_EQ(*daemon.start_result, kIOReturnSuccess) << daemon.log_text();
    }
    void expect_exit(int code) {
        std::optional<int> status = daemon.wait_exit();
        ASSERT_TRUE(status.has_value()) << "netdext-host did not exit\n" << daemon.log_text();
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == code)
            << describe(status) << ", expected exit " << code << "\n"
            << daemon.log_text();
    }
    void stop_sample() {
        auto reply = daemon.call(Call::Stop);
        ASSERT_TRUE(reply.has_value()) << daemon.log_text();
        EXPECT_EQ(reply->status, kIOReturnSuccess);
        expect_exit(0);
    }
    void TearDown() override {
        if (HasFailure())
            std::fprintf(stderr, "log lines from netdext-host:\n%s", daemon.log_text().c_str());
        EXPECT_EQ(daemon.misuses, std::vector<std::string>{});
    }
};

} // namespace

// (a) + (h): Hello, pool and interface registration, link status and media types, log lines.
TEST_F(HostTest, StartsTheSampleAndRegistersItsInterface) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    ASSERT_TRUE(daemon.hello.has_value());
    EXPECT_EQ(daemon.hello->protocol_version, netdext::protocol::kProtocolVersion);
    EXPECT_EQ(pid_t(daemon.hello->pid), daemon.pid());
    EXPECT_STREQ(daemon.hello->bundle_id, "com.example.netdext.NetworkingDriverKitSample");
    EXPECT_STREQ(daemon.hello->class_name, "NetworkingDriverKitSample");

    ASSERT_TRUE(daemon.registered());
    ASSERT_TRUE(daemon.registration.has_value());
    EXPECT_TRUE(std::equal(kSampleMac, kSampleMac + 6, daemon.registration->mac));
    EXPECT_EQ(daemon.registration->lanes[0].pool_id, 1u);
    EXPECT_EQ(daemon.registration->lane_count, 1u);
    EXPECT_EQ(daemon.registration->lanes[0].capacities[0], 8u); // TX submission: the sample's
    EXPECT_EQ(daemon.registration->interface_id, 0u);

    ASSERT_FALSE(daemon.link_statuses.empty());
    EXPECT_EQ(daemon.link_statuses.back().status, uint32_t(kIOUserNetworkLinkStatusActive));
    EXPECT_EQ(daemon.link_statuses.back().media, uint32_t(kIOUserNetworkMediaEthernetAuto));
    EXPECT_EQ(daemon.media_types, (std::vector<uint32_t>{kIOUserNetworkMediaEthernetAuto,
                                                         kIOUserNetworkMediaEthernet100BaseTX,
                                                         kIOUserNetworkMediaEthernet1000BaseT}));
    EXPECT_TRUE(daemon.logged("started, MAC 10:22:33:44:55:66")) << daemon.log_text();
    ASSERT_NO_FATAL_FAILURE(stop_sample());
}

// (b): interface up, RX submission stocked, eight echo requests within about a second.
TEST_F(HostTest, ReceivesEchoRequestsThroughTheRings) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    auto reply = daemon.call(Call::SetInterfaceEnable, 1);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, kIOReturnSuccess);
    daemon.restock_rx = true;
    // The sample's timer fires one second after interface-up (real time outside the bench).
    ASSERT_TRUE(daemon.pump_until([&] { return daemon.rx_frames.size() >= 8; }, 10s))
        << daemon.rx_frames.size() << " frames";
    for (const auto &frame : daemon.rx_frames)
        expect_echo_request(frame);
    int enabled = 0;
    for (const auto &change : daemon.queue_enables)
        enabled += change.enabled ? 1 : 0;
    EXPECT_EQ(enabled, 4) << "all four queues enabled";
    ASSERT_NE(daemon.drops(), nullptr);
    EXPECT_EQ(daemon.drops()->dropped() + daemon.drops()->ring_faults, 0u);
    ASSERT_NO_FATAL_FAILURE(stop_sample());
}

// (c): TX frames reach the driver through the host doorbell and come back on TX completion.
TEST_F(HostTest, TransmittedFramesComeBackOnTxCompletion) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    ASSERT_EQ(daemon.call(Call::SetInterfaceEnable, 1)->status, kIOReturnSuccess);
    std::vector<std::vector<uint8_t>> frames;
    for (uint8_t i = 0; i < 4; ++i) {
        std::vector<uint8_t> frame(60, i);
        std::copy(kSampleMac, kSampleMac + 6, frame.begin());
        frames.push_back(frame);
    }
    ASSERT_EQ(daemon.transmit(frames), 4u);
    EXPECT_GE(daemon.host_doorbell_rings(), 1u) << "the driver was waiting: the doorbell rang";
    ASSERT_TRUE(daemon.pump_until([&] { return daemon.tx_completed >= 4; }))
        << daemon.tx_completed << " completed";
    // A second batch after the first was drained: the driver asked to be woken again.
    ASSERT_EQ(daemon.transmit(frames), 4u);
    ASSERT_TRUE(daemon.pump_until([&] { return daemon.tx_completed >= 8; }))
        << daemon.tx_completed << " completed";
    EXPECT_EQ(daemon.drops()->dropped() + daemon.drops()->ring_faults, 0u);
    ASSERT_NO_FATAL_FAILURE(stop_sample());
}

// (d): the stack's calls reach the driver and their results come back.
TEST_F(HostTest, DriverCallsAreAnswered) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    auto mtu = daemon.call(Call::GetMaxTransferUnit);
    ASSERT_TRUE(mtu.has_value());
    EXPECT_EQ(mtu->status, kIOReturnSuccess);
    EXPECT_EQ(mtu->value, 9000u);
    EXPECT_EQ(daemon.call(Call::SetMTU, 9001)->status, kIOReturnBadArgument);
    EXPECT_EQ(daemon.call(Call::SetMTU, 9000)->status, kIOReturnSuccess);
    EXPECT_EQ(daemon.call(Call::SetPromiscuousModeEnable, 1)->status, kIOReturnSuccess);
    EXPECT_EQ(daemon.call(Call::SetAllMulticastModeEnable, 1)->status, kIOReturnSuccess);
    EXPECT_EQ(daemon.call(Call::SetWakeOnMagicPacketEnable, 1)->status, kIOReturnSuccess);
    EXPECT_EQ(daemon.call(Call::SetHardwareAssists, 0x5)->status, kIOReturnSuccess);
    auto assists = daemon.call(Call::GetHardwareAssists);
    ASSERT_TRUE(assists.has_value());
    EXPECT_EQ(assists->value, 0x5u);
    EXPECT_EQ(daemon.call(Call::SelectMediaType, kIOUserNetworkMediaEthernet1000BaseT)->status,
              kIOReturnSuccess);
    EXPECT_EQ(daemon.link_statuses.back().media, uint32_t(kIOUserNetworkMediaEthernet1000BaseT));
    auto multicast = daemon.set_multicast_list(
        {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, {0x33, 0x33, 0x00, 0x00, 0x00, 0x01}});
    ASSERT_TRUE(multicast.has_value());
    EXPECT_EQ(multicast->status, kIOReturnSuccess);
    EXPECT_TRUE(daemon.logged("2 multicast address(es)")) << daemon.log_text();
    ASSERT_NO_FATAL_FAILURE(stop_sample());
}

// (e): Stop answers, gives back the interface and the pool, and the host exits 0.
TEST_F(HostTest, StopRepliesUnregistersAndExitsZero) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    ASSERT_EQ(daemon.call(Call::SetInterfaceEnable, 1)->status, kIOReturnSuccess);
    ASSERT_NO_FATAL_FAILURE(stop_sample());
    EXPECT_EQ(daemon.unregistrations, 1);
    EXPECT_EQ(daemon.released_pools, std::vector<uint64_t>{1});
}

TEST_F(HostTest, TerminateStopsTheDriverAndExitsZero) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    ASSERT_TRUE(daemon.send_terminate());
    ASSERT_NO_FATAL_FAILURE(expect_exit(0));
    EXPECT_EQ(daemon.unregistrations, 1);
    EXPECT_TRUE(daemon.replies.empty());
}

// (f): the daemon going away stops the driver and ends the host.
TEST_F(HostTest, ClosingTheChannelEndsTheHost) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    ASSERT_EQ(daemon.call(Call::SetInterfaceEnable, 1)->status, kIOReturnSuccess);
    daemon.close_channel();
    ASSERT_NO_FATAL_FAILURE(expect_exit(0));
}

// (g) + (h): a Start that fails is reported, with the driver's own log line, and exits 2.
TEST_F(HostTest, BootArgThatDisablesTheDriverFailsStart) {
    ASSERT_NO_FATAL_FAILURE(spawn(sample_args("ndks-enable=0")));
    ASSERT_TRUE(daemon.pump_until([&] { return daemon.start_result.has_value(); }));
    EXPECT_NE(*daemon.start_result, kIOReturnSuccess);
    ASSERT_NO_FATAL_FAILURE(expect_exit(2));
    EXPECT_TRUE(daemon.logged("disabled by boot-arg ndks-enable=0")) << daemon.log_text();
    EXPECT_FALSE(daemon.registration.has_value());
}

TEST_F(HostTest, RefusedPoolFailsStart) {
    daemon.refuse_pools_with = kIOReturnNoMemory;
    ASSERT_NO_FATAL_FAILURE(spawn(sample_args()));
    ASSERT_TRUE(daemon.pump_until([&] { return daemon.start_result.has_value(); }));
    EXPECT_EQ(*daemon.start_result, kIOReturnNoMemory);
    ASSERT_NO_FATAL_FAILURE(expect_exit(2));
}

TEST_F(HostTest, MissingBundleFailsStart) {
    ASSERT_NO_FATAL_FAILURE(spawn(HostArgs{{"--bundle", "/nonexistent/Nothing.dext"}}));
    ASSERT_TRUE(daemon.pump_until([&] { return daemon.start_result.has_value(); }));
    EXPECT_EQ(*daemon.start_result, kIOReturnNotFound);
    ASSERT_NO_FATAL_FAILURE(expect_exit(2));
    ASSERT_TRUE(daemon.hello.has_value());
    EXPECT_STREQ(daemon.hello->bundle_id, "");
    EXPECT_TRUE(daemon.logged("Nothing.dext")) << daemon.log_text();
}

TEST_F(HostTest, UnknownClassFailsStart) {
    HostArgs args = sample_args();
    args.args.insert(args.args.end(), {"--class", "NoSuchDriver"});
    ASSERT_NO_FATAL_FAILURE(spawn(args));
    ASSERT_TRUE(daemon.pump_until([&] { return daemon.start_result.has_value(); }));
    EXPECT_EQ(*daemon.start_result, kIOReturnNotFound);
    EXPECT_STREQ(daemon.hello->class_name, "NoSuchDriver");
    ASSERT_NO_FATAL_FAILURE(expect_exit(2));
}

// The daemon is trusted: anything malformed is a bug and ends the host with status 1.
TEST_F(HostTest, MalformedDatagramExitsOne) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    std::vector<std::byte> garbage(sizeof(MessageHeader), std::byte{0x5a});
    ASSERT_TRUE(daemon.send_raw(garbage));
    ASSERT_NO_FATAL_FAILURE(expect_exit(1));
    EXPECT_TRUE(daemon.logged("protocol error")) << daemon.log_text();
}

TEST_F(HostTest, UnknownDriverCallExitsOne) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    ASSERT_NE(daemon.send_call(Call(99)), 0u);
    ASSERT_NO_FATAL_FAILURE(expect_exit(1));
}

TEST_F(HostTest, MulticastCountPastItsArrayExitsOne) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    netdext::protocol::SetMulticastList list{};
    list.count = netdext::protocol::SetMulticastList::kMaxAddresses + 1;
    ASSERT_TRUE(daemon.send_message(list));
    ASSERT_NO_FATAL_FAILURE(expect_exit(1));
}

TEST_F(HostTest, HostOnlyMessageFromTheDaemonExitsOne) {
    ASSERT_NO_FATAL_FAILURE(start_sample());
    ASSERT_TRUE(daemon.send_message(netdext::protocol::LinkStatus{1, 2, 0}));
    ASSERT_NO_FATAL_FAILURE(expect_exit(1));
}

TEST_F(HostTest, WithoutAControlSocketItRefusesToRun) {
    HostArgs args = sample_args();
    args.with_channel = false;
    ASSERT_NO_FATAL_FAILURE(spawn(args));
    ASSERT_NO_FATAL_FAILURE(expect_exit(64));
}
