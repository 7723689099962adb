// The bench playing the stack: transmit() only into an enabled TX queue, completions counted,
// RX buffers restocked (or not), received()/take_received(), the interface observations, and
// drops(): what the bench's validation throws away, by reason, reported as misuse.

#include <gtest/gtest.h>

#include <netdext/testing/driver_bench.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/bench_probe_nic.h"

using namespace std::chrono_literals;
using netdext::QueueKind;
using netdext::testing::BenchOptions;
using netdext::testing::DriverBench;
using netdext::testing::Frame;

namespace {

constexpr uint64_t kMs = 1'000'000;

bool has(const std::vector<std::string> &lines, const std::string &text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string &l) { return l.find(text) != std::string::npos; });
}

const std::map<std::string, uint64_t> kNoDrops = {
    {"buffer_mismatch", 0},     {"index_out_of_range", 0},
    {"not_owned_by_driver", 0}, {"offset_length_out_of_bounds", 0},
    {"ring_faults", 0},         {"wrong_queue", 0},
    {"zero_length_rx", 0},      {"bad_offload_metadata", 0},
    {"rx_checksum_wrong", 0},
};

struct BenchTraffic : public ::testing::Test {
    std::unique_ptr<DriverBench> bench;
    // Exactly the misuse reported by the end of the test, stop() included (none by default).
    std::vector<std::string> expected_misuses;

    void SetUp() override { bench_probe::reset(); }
    void start(BenchOptions options = {}) {
        bench = std::make_unique<DriverBench>(std::move(options));
        bench->use_class("BenchProbeNic");
        ASSERT_EQ(bench->start(), kIOReturnSuccess);
    }
    void TearDown() override {
        if (!bench)
            return;
        if (bench->running()) {
            EXPECT_EQ(bench->stop(), kIOReturnSuccess);
        }
        EXPECT_EQ(bench->misuses(), expected_misuses);
        bench.reset();
    }
};

} // namespace

TEST_F(BenchTraffic, TheInterfaceAsTheStackSeesIt) {
    DriverBench idle;
    EXPECT_FALSE(idle.registered());
    EXPECT_EQ(idle.interface_name(), "");
    EXPECT_EQ(idle.link_status(), 0u);
    EXPECT_TRUE(idle.media_types().empty());
    EXPECT_TRUE(idle.drops().empty()) << "no interface, no counters";
    EXPECT_FALSE(idle.transmit(std::vector<uint8_t>(60, 0))) << "nothing to transmit to";
}

TEST_F(BenchTraffic, ARegisteredInterface) {
    start();
    EXPECT_TRUE(bench->registered());
    EXPECT_EQ(bench->interface_name(), "en0");
    ether_addr_t mac = bench->mac();
    EXPECT_TRUE(std::equal(bench_probe::kMac, bench_probe::kMac + 6, mac.octet));
    EXPECT_EQ(bench->link_status(), uint32_t(kIOUserNetworkLinkStatusActive));
    EXPECT_EQ(bench->active_media(), uint32_t(kIOUserNetworkMediaEthernetAuto));
    EXPECT_EQ(bench->media_types(), std::vector<uint32_t>{kIOUserNetworkMediaEthernetAuto});
    EXPECT_EQ(bench->drops(), kNoDrops);
    for (auto kind : {QueueKind::tx_submission, QueueKind::tx_completion, QueueKind::rx_submission,
                      QueueKind::rx_completion})
        EXPECT_FALSE(bench->queue_enabled(kind)) << int(kind);
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    for (auto kind : {QueueKind::tx_submission, QueueKind::tx_completion, QueueKind::rx_submission,
                      QueueKind::rx_completion})
        EXPECT_TRUE(bench->queue_enabled(kind)) << int(kind);
}

TEST_F(BenchTraffic, TransmitNeedsAnEnabledTxQueue) {
    start();
    std::vector<uint8_t> frame(100, 0x42);
    EXPECT_FALSE(bench->transmit(frame)) << "the interface is down";
    EXPECT_EQ(bench->tx_submitted(), 0u);
    EXPECT_TRUE(bench_probe::transmitted_lengths().empty());

    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    EXPECT_TRUE(bench->transmit(frame));
    EXPECT_EQ(bench->tx_submitted(), 1u);
    EXPECT_EQ(bench->tx_completed(), 1u) << "transmit() returns after the driver handled it";
    EXPECT_EQ(bench_probe::transmitted_lengths(), std::vector<uint32_t>{100});

    ASSERT_EQ(bench->set_interface_enable(false), kIOReturnSuccess);
    EXPECT_FALSE(bench->transmit(frame));
    EXPECT_EQ(bench->tx_submitted(), 1u);
}

TEST_F(BenchTraffic, AFrameLargerThanABufferIsRefusedWithoutLosingThePacket) {
    start();
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    EXPECT_FALSE(bench->transmit(std::vector<uint8_t>(2049, 0)));
    EXPECT_TRUE(bench->transmit(std::vector<uint8_t>(2048, 0)));
    // The pool has 32 packets: many more transmits only work if every one came back.
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(bench->transmit(std::vector<uint8_t>(64, uint8_t(i)))) << i;
    EXPECT_EQ(bench->tx_submitted(), 101u);
    EXPECT_EQ(bench->tx_completed(), 101u);
}

TEST_F(BenchTraffic, PacketsTheDriverKeepsAreNotCompleted) {
    bench_probe::config().tx_mode = bench_probe::TxMode::hold;
    start();
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(bench->transmit(std::vector<uint8_t>(64, 0)));
    EXPECT_EQ(bench->tx_submitted(), 3u);
    EXPECT_EQ(bench->tx_completed(), 0u);
    EXPECT_EQ(bench->misuses(), std::vector<std::string>{}) << "holding is no misuse yet";
    // Stopping with them is: the leak check at stop names all three.
    EXPECT_EQ(bench->stop(), kIOReturnSuccess);
    EXPECT_EQ(bench->misuses(),
              std::vector<std::string>{"BenchProbeNic: 3 packet(s) still held by the driver when "
                                       "its interface was unregistered (leaked: never enqueued or "
                                       "deallocated)"});
    expected_misuses = bench->misuses();
}

TEST_F(BenchTraffic, RxBuffersAreRestockedAsTheStackDoes) {
    // Twenty frames through an eight-entry RX submission queue.
    bench_probe::config().timers = {{.first_ns = 1 * kMs, .period_ns = 1 * kMs, .firings = 20}};
    start();
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    bench->advance(20ms);
    EXPECT_EQ(bench->received().size(), 20u);
    EXPECT_EQ(bench->received().size(), 20u) << "received() does not consume";
    std::vector<Frame> got = bench->take_received();
    EXPECT_EQ(got.size(), 20u);
    EXPECT_TRUE(bench->received().empty()) << "take_received() does";
    EXPECT_TRUE(bench->take_received().empty());
    for (const bench_probe::Event &e : bench_probe::events())
        EXPECT_TRUE(e.delivered);
}

TEST_F(BenchTraffic, WithoutRestockingTheDriverGetsNoBuffers) {
    bench_probe::config().timers = {{.first_ns = 1 * kMs, .period_ns = 1 * kMs, .firings = 3}};
    BenchOptions options;
    options.auto_restock_rx = false;
    start(options);
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    bench->advance(10ms);
    EXPECT_EQ(bench_probe::events().size(), 3u);
    for (const bench_probe::Event &e : bench_probe::events())
        EXPECT_FALSE(e.delivered);
    EXPECT_TRUE(bench->take_received().empty());
}

TEST_F(BenchTraffic, AZeroLengthFrameIsDroppedCountedAndReported) {
    bench_probe::config().rx_zero_length = true;
    bench_probe::config().timers = {{.first_ns = 1 * kMs, .period_ns = 1 * kMs, .firings = 3}};
    start();
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    bench->advance(10ms);
    EXPECT_TRUE(bench->take_received().empty()) << "a dropped frame reached the stack";
    std::map<std::string, uint64_t> drops = kNoDrops;
    drops["zero_length_rx"] = 3;
    EXPECT_EQ(bench->drops(), drops);
    // One report per batch the stack processed (one per timer firing here).
    std::vector<std::string> misuses = bench->misuses();
    EXPECT_EQ(misuses, std::vector<std::string>(
                           3, "the stack dropped 1 packet(s) the driver handed back: zero_length_rx"));
    expected_misuses = misuses; // and nothing more by the end: stop() finds no leak
}

TEST_F(BenchTraffic, ATxPacketCompletedAsReceivedIsDroppedAsTheWrongQueue) {
    bench_probe::config().tx_mode = bench_probe::TxMode::rx_completion;
    start();
    ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
    ASSERT_TRUE(bench->transmit(std::vector<uint8_t>(80, 7)));
    ASSERT_TRUE(bench->transmit(std::vector<uint8_t>(80, 8)));
    EXPECT_TRUE(bench->take_received().empty()) << "a TX frame came back as received";
    EXPECT_EQ(bench->tx_completed(), 0u);
    EXPECT_EQ(bench->drops().at("wrong_queue"), 2u);
    EXPECT_TRUE(has(bench->misuses(), "the driver handed back: wrong_queue"));
    // The dropped packets went back to the stack's free list: transmitting still works.
    bench_probe::config().tx_mode = bench_probe::TxMode::complete; // (read at Start only)
    for (int i = 0; i < 40; ++i)
        ASSERT_TRUE(bench->transmit(std::vector<uint8_t>(64, 0))) << i;
    EXPECT_EQ(bench->drops().at("wrong_queue"), 42u);
    // One report per batch the stack processed: one per transmit here.
    expected_misuses.assign(
        42, "the stack dropped 1 packet(s) the driver handed back: wrong_queue");
}
