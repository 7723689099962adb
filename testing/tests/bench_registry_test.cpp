// DriverBench::registry(): the driver's entries as ioreg shows them — the tree's shape, the
// service's real ID and retain count, and the family's view of the interface.

#include <gtest/gtest.h>

#include <netdext/registry/network.h>
#include <netdext/testing/driver_bench.h>

#include "support/bench_probe_nic.h"

using netdext::registry::Entry;
using netdext::registry::format_value;
using netdext::registry::IoregOptions;
using netdext::testing::DriverBench;

namespace {

struct BenchRegistry : public ::testing::Test {
    void SetUp() override { bench_probe::reset(); }
};

const Entry &child(const Entry &entry, const char *name) {
    const Entry *found = entry.find_by_name(name);
    if (found == nullptr)
        throw std::runtime_error(std::string("no entry ") + name);
    return *found;
}

std::string property(const Entry &entry, const char *key) {
    const auto *value = entry.properties.find(key);
    return value != nullptr ? format_value(*value) : "<none>";
}

TEST_F(BenchRegistry, BeforeStartOnlyTheRoots) {
    DriverBench bench;
    Entry root = bench.registry();
    EXPECT_EQ(root.name, "Root");
    ASSERT_EQ(root.children.size(), 2u);
    EXPECT_TRUE(root.children[1].children.empty());
    EXPECT_EQ(bench.registry().id, root.id) << "IDs are stable";
}

TEST_F(BenchRegistry, TheServiceAndItsInterface) {
    DriverBench bench;
    bench.use_class("BenchProbeNic");
    ASSERT_EQ(bench.start(), kIOReturnSuccess);
    ASSERT_EQ(bench.set_interface_enable(true), kIOReturnSuccess);
    ASSERT_EQ(bench.set_promiscuous(true), kIOReturnSuccess);
    ASSERT_TRUE(bench.transmit(std::vector<uint8_t>(60, 0xab)));
    Entry root = bench.registry();

    const Entry &service = child(root, "BenchProbeNic");
    uint64_t id = 0;
    ASSERT_EQ(bench.service()->GetRegistryEntryID(&id), kIOReturnSuccess);
    EXPECT_EQ(service.id, id) << "the driver's own GetRegistryEntryID";
    EXPECT_EQ(service.class_name, "IOUserNetworkEthernet");
    EXPECT_TRUE(service.registered() && service.matched() && service.active());
    EXPECT_GT(service.busy_time_ns, 0u) << "Start took some time";
    // The real retain count: it moves when the object is retained.
    const uint32_t retains = service.retain_count;
    EXPECT_EQ(retains, uint32_t(bench.service()->getRetainCount()));
    bench.service()->retain();
    EXPECT_EQ(child(bench.registry(), "BenchProbeNic").retain_count, retains + 1);
    bench.service()->release();

    const Entry &controller = child(root, "IOSkywalkLegacyEthernet");
    EXPECT_FALSE(controller.registered());
    EXPECT_EQ(property(controller, "IOMACAddress"), "<020000" "00be01>");
    EXPECT_EQ(property(controller, "IOLinkStatus"), "3");
    EXPECT_EQ(property(controller, "IOMaxPacketSize"), "1518");
    const auto &queues = controller.properties.find("NetDextQueues")->items();
    ASSERT_EQ(queues.size(), 4u);
    EXPECT_EQ(format_value(*queues[0].find("Queue")), "\"TxSubmission\"");
    EXPECT_EQ(format_value(*queues[0].find("Capacity")), "8");
    EXPECT_EQ(format_value(*queues[0].find("Enabled")), "Yes");
    EXPECT_EQ(format_value(*queues[0].find("Packets")), "1") << "the frame we sent";

    const Entry &en0 = child(root, "en0");
    EXPECT_EQ(en0.class_name, "IOSkywalkLegacyEthernetInterface");
    EXPECT_EQ(property(en0, "BSD Name"), "\"en0\"");
    EXPECT_EQ(property(en0, "IOInterfaceUnit"), "0");
    EXPECT_EQ(property(en0, "IOMaxTransferUnit"), "1500");
    EXPECT_EQ(property(en0, "IOInterfaceFlags"), std::to_string(0x8863 | 0x100))
        << "up, running, promiscuous";
    EXPECT_EQ(child(bench.registry(), "en0").id, en0.id) << "stable while registered";

    // ioreg's text, as netdext-sim --ioreg prints it.
    IoregOptions options;
    options.name = "en0";
    EXPECT_NE(bench.ioreg(options).find("\"BSD Name\" = \"en0\""), std::string::npos);
    ASSERT_EQ(bench.stop(), kIOReturnSuccess);
    EXPECT_EQ(bench.registry().find_by_name("BenchProbeNic"), nullptr);
}

} // namespace
