// DriverBench lifecycle and records: start/stop as the system runs them, what the bench refuses,
// calls() (every call between the driver and "the system", in order, with virtual times),
// logs(), and DispatchSync-onto-self accounting.

#include <gtest/gtest.h>

#include <DriverKit/IOLib.h>
#include <netdext/runtime.h>
#include <netdext/testing/driver_bench.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "support/bench_probe_nic.h"

using namespace std::chrono_literals;
using netdext::testing::BenchOptions;
using netdext::testing::CallRecord;
using netdext::testing::DriverBench;

namespace {

bool has(const std::vector<std::string> &lines, const std::string &text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string &l) { return l.find(text) != std::string::npos; });
}

std::vector<std::string> names(const std::vector<CallRecord> &calls, size_t from = 0) {
    std::vector<std::string> out;
    for (size_t i = from; i < calls.size(); ++i)
        out.push_back(calls[i].call);
    return out;
}

struct BenchLifecycle : public ::testing::Test {
    void SetUp() override { bench_probe::reset(); }
};

} // namespace

TEST_F(BenchLifecycle, StartCreatesInitsAndStartsTheClass) {
    DriverBench bench;
    bench.use_class("BenchProbeNic");
    EXPECT_EQ(bench.class_name(), "BenchProbeNic");
    EXPECT_FALSE(bench.running());
    EXPECT_EQ(bench.service(), nullptr);
    ASSERT_EQ(bench.start(), kIOReturnSuccess);
    EXPECT_TRUE(bench.running());
    ASSERT_NE(bench.service(), nullptr);
    EXPECT_STREQ(bench.service()->GetClassName(), "BenchProbeNic");
    EXPECT_EQ(bench.ethernet(), OSDynamicCast(IOUserNetworkEthernet, bench.service()));
    EXPECT_TRUE(bench.service()->netdext_registered()); // RegisterService
    EXPECT_EQ(bench.start(), kIOReturnBusy) << "a second start while running";
    EXPECT_EQ(bench.stop(), kIOReturnSuccess);
    EXPECT_FALSE(bench.running());
    EXPECT_EQ(bench.stop(), kIOReturnNotReady) << "stop when not running";
    EXPECT_EQ(bench.misuses(), std::vector<std::string>{});
}

TEST_F(BenchLifecycle, AnUnknownClassIsAMisuseAndStartFails) {
    DriverBench bench;
    bench.use_class("NoSuchClass");
    EXPECT_EQ(bench.start(), kIOReturnNotFound);
    EXPECT_FALSE(bench.running());
    const std::string reason = "no class named \"NoSuchClass\" is registered: the personality's "
                               "IOUserClass must name a class declared in the driver's .iig";
    EXPECT_EQ(bench.misuses(), std::vector<std::string>{reason});
    EXPECT_EQ(bench.start_failure(), reason);
    EXPECT_TRUE(has(bench.logs(), reason)) << "the reason is logged too (netdext-sim -v shows it)";
}

TEST_F(BenchLifecycle, AClassNameInTheWrongCaseGetsASuggestion) {
    DriverBench bench;
    bench.use_class("ioservice");
    EXPECT_EQ(bench.start(), kIOReturnNotFound);
    EXPECT_NE(bench.start_failure().find("did you mean \"IOService\"?"), std::string::npos)
        << bench.start_failure();
}

TEST_F(BenchLifecycle, AClassThatIsNotAServiceIsRefusedWithItsChain) {
    DriverBench bench;
    bench.use_class("OSAction");
    EXPECT_EQ(bench.start(), kIOReturnUnsupported);
    EXPECT_FALSE(bench.running());
    EXPECT_EQ(bench.start_failure(), "class \"OSAction\" (OSAction : OSObject : OSMetaClassBase) "
                                     "is not an IOService: IOUserClass must name an IOService "
                                     "subclass");
}

TEST_F(BenchLifecycle, AnAbstractClassIsRefusedAsAbstract) {
    DriverBench bench;
    bench.use_class("IODispatchSource"); // the SDK's own abstract class (pure Cancel)
    EXPECT_EQ(bench.start(), kIOReturnUnsupported);
    EXPECT_EQ(bench.start_failure(), "class \"IODispatchSource\" is abstract (it has pure virtual "
                                     "methods) and cannot be created");
}

TEST_F(BenchLifecycle, AStartFailureIsReturnedAndNothingIsKept) {
    ASSERT_TRUE(netdext::wait_until_idle());
    const uint64_t objects = netdext::runtime_stats().live_objects.load();
    bench_probe::config().start_result = kIOReturnNoResources;
    DriverBench bench;
    bench.use_class("BenchProbeNic");
    EXPECT_EQ(bench.start(), kIOReturnNoResources);
    EXPECT_FALSE(bench.running());
    EXPECT_FALSE(bench.registered());
    EXPECT_TRUE(has(names(bench.calls()), "Start -> " + std::to_string(kIOReturnNoResources)));
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), objects);
}

TEST_F(BenchLifecycle, WithoutAnEthernetDriverTheStackCallsAreNotReady) {
    DriverBench bench;
    bench.use_class("IOService"); // a service, but not a NIC
    ASSERT_EQ(bench.start(), kIOReturnSuccess);
    EXPECT_EQ(bench.ethernet(), nullptr);
    EXPECT_EQ(bench.set_interface_enable(true), kIOReturnNotReady);
    EXPECT_EQ(bench.select_media(kIOUserNetworkMediaEthernetAuto), kIOReturnNotReady);
    EXPECT_EQ(bench.max_transfer_unit(), 0u);
    EXPECT_FALSE(bench.registered());
    EXPECT_FALSE(bench.transmit(std::vector<uint8_t>(60, 0)));
    EXPECT_EQ(bench.stop(), kIOReturnSuccess);
}

TEST_F(BenchLifecycle, DestroyingARunningBenchStopsTheDriver) {
    ASSERT_TRUE(netdext::wait_until_idle());
    const uint64_t objects = netdext::runtime_stats().live_objects.load();
    const uint64_t queues = netdext::runtime_stats().live_queues.load();
    {
        DriverBench bench;
        bench.use_class("BenchProbeNic");
        ASSERT_EQ(bench.start(), kIOReturnSuccess);
        ASSERT_EQ(bench.set_interface_enable(true), kIOReturnSuccess);
    }
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), objects);
    EXPECT_EQ(netdext::runtime_stats().live_queues.load(), queues);
}

TEST_F(BenchLifecycle, CallsRecordEverySystemCallInOrderAtItsVirtualTime) {
    DriverBench bench;
    bench.use_class("BenchProbeNic");
    const uint64_t t0 = bench.now_ns();
    ASSERT_EQ(bench.start(), kIOReturnSuccess);
    const std::vector<std::string> start_calls = {
        "CreatePool(BenchProbeNic, packets 32, buffers 32 x 2048)",
        "RegisterEthernetInterface(en0, 02:00:00:00:be:01, features 0x0, headroom 0, tailroom 0)",
        "ReportAvailableMediaTypes(0x20)", // reported before registering: passed on with it
        "ReportLinkStatus(0x3, 0x20)",
        "Start -> 0",
    };
    EXPECT_EQ(names(bench.calls()), start_calls);

    bench.advance(5ms);
    size_t mark = bench.calls().size();
    ASSERT_EQ(bench.set_interface_enable(true), kIOReturnSuccess);
    EXPECT_EQ(names(bench.calls(), mark), (std::vector<std::string>{
                                              "TxSubmission.SetEnable(true)",
                                              "TxCompletion.SetEnable(true)",
                                              "RxSubmission.SetEnable(true)",
                                              "RxCompletion.SetEnable(true)",
                                              "SetInterfaceEnable(true) -> 0x0",
                                          }));
    mark = bench.calls().size();
    EXPECT_EQ(bench.set_mtu(1400), kIOReturnSuccess);
    EXPECT_EQ(bench.select_media(kIOUserNetworkMediaEthernet10BaseT), kIOReturnUnsupported);
    EXPECT_EQ(bench.set_promiscuous(true), kIOReturnSuccess);
    EXPECT_EQ(bench.set_all_multicast(false), kIOReturnSuccess);
    EXPECT_EQ(bench.set_wake_on_magic_packet(true), kIOReturnUnsupported);
    EXPECT_EQ(bench.set_hardware_assists(0), kIOReturnSuccess);
    EXPECT_EQ(bench.set_multicast_list({}), kIOReturnSuccess);
    EXPECT_EQ(names(bench.calls(), mark), (std::vector<std::string>{
                                              "GetMaxTransferUnit -> 0x0",
                                              "SetMTU -> 0x0",
                                              "SelectMediaType -> 0xe00002c7",
                                              "SetPromiscuousModeEnable(true) -> 0x0",
                                              "SetAllMulticastModeEnable(false) -> 0x0",
                                              "SetWakeOnMagicPacketEnable -> 0xe00002c7",
                                              "SetHardwareAssists -> 0x0",
                                              "SetMulticastAddresses -> 0x0",
                                          }));
    mark = bench.calls().size();
    ASSERT_EQ(bench.stop(), kIOReturnSuccess);
    std::vector<std::string> stop_calls = names(bench.calls(), mark);
    ASSERT_FALSE(stop_calls.empty());
    EXPECT_EQ(stop_calls.front(), "TxSubmission.SetEnable(false)");
    EXPECT_TRUE(has(stop_calls, "SetInterfaceEnable(false) -> 0x0"));
    EXPECT_EQ(stop_calls.back(), "UnregisterInterface(en0)");

    // Times: the start calls at t0, everything later at t0 + 5 ms.
    std::vector<CallRecord> calls = bench.calls();
    for (size_t i = 0; i < calls.size(); ++i)
        EXPECT_EQ(calls[i].time_ns - t0, i < start_calls.size() ? 0u : 5'000'000u) << calls[i].call;
    EXPECT_EQ(bench.misuses(), std::vector<std::string>{});
}

TEST_F(BenchLifecycle, TheMtuIsCheckedBeforeTheDriverSeesIt) {
    bench_probe::config().max_mtu = 9000;
    DriverBench bench;
    bench.use_class("BenchProbeNic");
    ASSERT_EQ(bench.start(), kIOReturnSuccess);
    EXPECT_EQ(bench.mtu(), 1500u);
    EXPECT_EQ(bench.max_transfer_unit(), 9000u);
    size_t mark = bench.calls().size();
    EXPECT_EQ(bench.set_mtu(67), kIOReturnBadArgument); // below Ethernet's minimum
    EXPECT_EQ(bench.set_mtu(9001), kIOReturnBadArgument);
    EXPECT_FALSE(has(names(bench.calls(), mark), "SetMTU")) << "the driver saw a refused MTU";
    EXPECT_EQ(bench.mtu(), 1500u);
    EXPECT_EQ(bench.set_mtu(9000), kIOReturnSuccess);
    EXPECT_EQ(bench.mtu(), 9000u);
    EXPECT_EQ(bench.stop(), kIOReturnSuccess);
}

TEST_F(BenchLifecycle, LogsCollectWhatIsLoggedWhileTheBenchExists) {
    DriverBench bench;
    IOLog("probe log line %d", 42);
    EXPECT_TRUE(has(bench.logs(), "probe log line 42"));
}

TEST_F(BenchLifecycle, DispatchSyncOntoTheCallersOwnQueueIsCountedAndAMisuse) {
    DriverBench bench;
    bench.use_class("BenchProbeNic");
    ASSERT_EQ(bench.start(), kIOReturnSuccess);
    EXPECT_EQ(bench.sync_onto_self(), 0u);
    IODispatchQueue *queue = nullptr;
    ASSERT_EQ(bench.service()->CopyDispatchQueue(kIOServiceDefaultQueueName, &queue),
              kIOReturnSuccess);
    bool ran = false;
    queue->DispatchAsync([queue, &ran] { queue->DispatchSync([&ran] { ran = true; }); });
    bench.settle();
    EXPECT_TRUE(ran) << "netdext runs the block inline instead of deadlocking";
    EXPECT_EQ(bench.sync_onto_self(), 1u);
    EXPECT_TRUE(has(bench.misuses(), "1 DispatchSync onto the caller's own queue"));
    queue->release();
    EXPECT_EQ(bench.stop(), kIOReturnSuccess);
}
