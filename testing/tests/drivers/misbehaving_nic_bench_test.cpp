// MisbehavingNic under the driver test bench: each rule it breaks (boot-arg bad=N, the list in
// MisbehavingNic/Misbehaviour.h) must show up in bench.misuses() with a message that names the
// mistake, a correct run (bad=0) must show none, and the bench must survive all of them -- in
// one process, one after another.

#include <gtest/gtest.h>

#include <netdext/runtime.h>
#include <netdext/testing/driver_bench.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "Misbehaviour.h"

using namespace std::chrono_literals;
using netdext::testing::BenchOptions;
using netdext::testing::DriverBench;
using netdext::testing::Frame;

namespace {

std::vector<uint8_t> broadcast_frame() {
    std::vector<uint8_t> frame(60, 0x33);
    std::fill(frame.begin(), frame.begin() + 6, 0xff);
    frame[12] = 0x88;
    frame[13] = 0xb5;
    return frame;
}

std::string join(const std::vector<std::string> &lines) {
    std::string out;
    for (const std::string &line : lines)
        out += "  " + line + "\n";
    return out.empty() ? "  (none)\n" : out;
}

// Drops the bench counted, without the zero entries.
std::map<std::string, uint64_t> nonzero(const std::map<std::string, uint64_t> &drops) {
    std::map<std::string, uint64_t> out;
    for (const auto &[reason, count] : drops)
        if (count != 0)
            out[reason] = count;
    return out;
}

struct Outcome {
    kern_return_t start = kIOReturnError;
    std::vector<std::string> misuses;
    std::map<std::string, uint64_t> drops; // non-zero counters, read before Stop
    std::vector<Frame> received;
    std::vector<std::string> logs;
    uint64_t tx_completed = 0;
};

// The same script for every misbehaviour: start, up, transmit two frames (TX triggers), let the
// receive timer fire twice (RX triggers), then stop (the leak check).
Outcome run(uint32_t bad) {
    Outcome outcome;
    DriverBench bench(BenchOptions{.boot_args = "bad=" + std::to_string(bad)});
    std::string error;
    EXPECT_TRUE(bench.load_bundle(MISBEHAVING_NIC_DEXT, &error)) << error;
    outcome.start = bench.start();
    if (outcome.start != kIOReturnSuccess)
        return outcome;
    EXPECT_EQ(bench.set_interface_enable(true), kIOReturnSuccess);
    EXPECT_TRUE(bench.transmit(broadcast_frame()));
    EXPECT_TRUE(bench.transmit(broadcast_frame()));
    bench.advance(2s);
    outcome.drops = nonzero(bench.drops());
    outcome.received = bench.take_received();
    outcome.tx_completed = bench.tx_completed();
    EXPECT_EQ(bench.stop(), kIOReturnSuccess);
    outcome.misuses = bench.misuses();
    outcome.logs = bench.logs();
    return outcome;
}

struct Case {
    uint32_t bad;
    const char *name;
    std::vector<std::string> expected; // a misuse containing each of these
    std::map<std::string, uint64_t> drops;
};

void PrintTo(const Case &c, std::ostream *os) {
    *os << "bad=" << c.bad << " (" << c.name << ")";
}

class MisbehavingNicBench : public ::testing::TestWithParam<Case> {};

} // namespace

TEST(MisbehavingNicCorrectRun, ReportsNoMisuseAndDropsNothing) {
    Outcome outcome = run(kMisbehaviourNone);
    ASSERT_EQ(outcome.start, kIOReturnSuccess);
    EXPECT_EQ(outcome.misuses, std::vector<std::string>{});
    EXPECT_EQ(outcome.drops, (std::map<std::string, uint64_t>{}));
    EXPECT_EQ(outcome.tx_completed, 2u);
    // Two frames per tick, at 1 s and 2 s.
    ASSERT_EQ(outcome.received.size(), 4u);
    EXPECT_EQ(outcome.received[0].bytes.size(), 60u);
}

TEST_P(MisbehavingNicBench, TheMisuseIsReportedClearly) {
    const Case &c = GetParam();
    Outcome outcome = run(c.bad);
    ASSERT_EQ(outcome.start, kIOReturnSuccess);
    ASSERT_TRUE(std::any_of(outcome.logs.begin(), outcome.logs.end(), [](const std::string &l) {
        return l.find("misbehaving now") != std::string::npos;
    })) << "the driver never reached its misbehaviour";
    for (const std::string &text : c.expected) {
        EXPECT_TRUE(
            std::any_of(outcome.misuses.begin(), outcome.misuses.end(),
                        [&](const std::string &m) { return m.find(text) != std::string::npos; }))
            << "bad=" << c.bad << " (" << c.name << "): no misuse mentions \"" << text
            << "\"; misuses were:\n"
            << join(outcome.misuses);
    }
    EXPECT_EQ(outcome.drops, c.drops) << "bad=" << c.bad << " (" << c.name << ")";
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(EveryRule, MisbehavingNicBench, ::testing::Values(
    Case{kMisbehaviourEnqueueTwice, "EnqueueTwice",
         {"IOUserNetworkPacket: EnqueuePacket of packet", "which the driver does not hold"}, {}},
    Case{kMisbehaviourEnqueueAfterFree, "EnqueueAfterFree",
         {"EnqueuePacket of packet", "which the driver does not hold (already enqueued or deallocated"}, {}},
    Case{kMisbehaviourEnqueueNeverDequeued, "EnqueueNeverDequeued",
         {"EnqueuePacket of packet 31 which the driver does not hold", "never dequeued"}, {}},
    Case{kMisbehaviourPastBuffer, "PastBuffer",
         {"setDataOffsetAndLength: offset 16 + length 2048 is past the end of packet",
          "2048-byte buffer"}, {}},
    Case{kMisbehaviourDequeueCompletion, "DequeueCompletion",
         {"IOUserNetworkTxCompletionQueue: DequeuePackets on the TX completion queue "
          "(only submission queues are dequeued)"}, {}},
    Case{kMisbehaviourSyncOntoSelf, "SyncOntoSelf",
         {"1 DispatchSync onto the caller's own queue (deadlocks on macOS)"}, {}},
    Case{kMisbehaviourWrongPool, "WrongPool",
         {"IOUserNetworkPacketBufferPool: DeallocatePacket of a packet from another pool"}, {}},
    Case{kMisbehaviourEnqueueSubmission, "EnqueueSubmission",
         {"EnqueuePacket on the RX submission queue (only completion queues are enqueued)"}, {}},
    Case{kMisbehaviourRxOnTxCompletion, "RxOnTxCompletion",
         {"the stack dropped 1 packet(s) the driver handed back: wrong_queue"},
         {{"wrong_queue", 1}}},
    Case{kMisbehaviourZeroLengthRx, "ZeroLengthRx",
         {"the stack dropped 1 packet(s) the driver handed back: zero_length_rx"},
         {{"zero_length_rx", 1}}},
    Case{kMisbehaviourOtherPoolPacket, "OtherPoolPacket",
         {"EnqueuePacket of a packet from another pool"}, {}},
    Case{kMisbehaviourDeallocateTwice, "DeallocateTwice",
         {"DeallocatePacket of packet", "which the driver does not hold"}, {}},
    Case{kMisbehaviourLeakAtStop, "LeakAtStop",
         {"2 packet(s) still held by the driver when its interface was unregistered"}, {}},
    Case{kMisbehaviourTouchAfterEnqueue, "TouchAfterEnqueue",
         {"setDataLength on packet", "which the driver does not hold"}, {}}),
    [](const ::testing::TestParamInfo<Case> &info) { return std::string(info.param.name); });

// clang-format on

// Every misbehaviour, one bench after another in one process, then a correct run: the bench
// neither crashes nor carries anything over from one run to the next.
TEST(MisbehavingNicSurvival, TheBenchSurvivesEveryMisbehaviourInARow) {
    for (uint32_t bad = 1; bad < kMisbehaviourCount; ++bad) {
        SCOPED_TRACE("bad=" + std::to_string(bad));
        Outcome outcome = run(bad);
        EXPECT_EQ(outcome.start, kIOReturnSuccess);
    }
    Outcome clean = run(kMisbehaviourNone);
    EXPECT_EQ(clean.misuses, std::vector<std::string>{});
    EXPECT_EQ(clean.drops, (std::map<std::string, uint64_t>{}));
    EXPECT_EQ(clean.received.size(), 4u);
    ASSERT_TRUE(netdext::wait_until_idle());
}
