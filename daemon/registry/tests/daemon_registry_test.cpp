// netdextd's registry IDs and tree (daemon_registry.h).

#include <gtest/gtest.h>

#include "registry/daemon_registry.h"

#include <netdext/registry/ioreg.h>

namespace netdext::daemon::registry {
namespace {

namespace reg = netdext::registry;

TEST(DaemonRegistry, HandsOutUniqueIdsAndBlocks) {
    DaemonRegistry r;
    EXPECT_EQ(r.root_id(), reg::kFirstRegistryID);
    const IdBlock a = r.reserve_host_block();
    const IdBlock b = r.reserve_host_block();
    const uint64_t own = r.allocate_id();
    EXPECT_EQ(a.first, reg::kFirstRegistryID + 3); // after Root, IOResources, IOUserResources
    EXPECT_EQ(b.first, a.first + kHostIdBlock);
    EXPECT_EQ(own, b.first + kHostIdBlock);
    EXPECT_FALSE(a.contains(b.first));
    EXPECT_TRUE(a.contains(a.first + kHostIdBlock - 1));
}

TEST(DaemonRegistry, TheTreeHasEveryServiceBelowIOUserResources) {
    DaemonRegistry r;
    const IdBlock block = r.reserve_host_block();
    reg::DriverServiceDescription service;
    service.id = block.first;
    service.user_class = "NetworkingDriverKitSample";
    service.retain_count = 16;
    service.started = true;
    reg::EthernetDescription eth;
    eth.controller_id = r.allocate_id();
    eth.interface_id = r.allocate_id();
    eth.bsd_name = "en0";
    service.ethernet = eth;
    reg::Entry tree = r.tree({service});
    EXPECT_EQ(tree.id, r.root_id());
    ASSERT_EQ(tree.children.size(), 2u);
    EXPECT_EQ(tree.children[0].name, "IOResources");
    const reg::Entry &user = tree.children[1];
    ASSERT_EQ(user.children.size(), 1u);
    EXPECT_EQ(user.children[0].retain_count, 16u); // the object's own, kept
    EXPECT_EQ(user.retain_count, 3u);               // registry + parent + one child
    const std::string text = reg::format_text(tree, {});
    EXPECT_NE(text.find("+-o NetworkingDriverKitSample  <class IOUserNetworkEthernet, id 0x" +
                        [&] {
                            char hex[32];
                            std::snprintf(hex, sizeof hex, "%llx",
                                          static_cast<unsigned long long>(block.first));
                            return std::string(hex);
                        }() + ", registered, matched, active, busy 0, retain 16>"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("+-o en0  <class IOSkywalkLegacyEthernetInterface"), std::string::npos);
    // The same tree again: the same IDs.
    EXPECT_EQ(r.tree({service}).children[1].id, user.id);
}

} // namespace
} // namespace netdext::daemon::registry
