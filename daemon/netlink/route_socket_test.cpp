// RouteSocket against the real kernel, inside a namespace each test creates and removes (root).
#include "netlink/route_socket.h"

#include "netns/scoped_netns.h"
#include "tap/tap_device.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <optional>

namespace netdext::netlink {
namespace {

using netdext::testing::ScopedNetns;

class RouteSocketTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (network namespaces, /dev/net/tun)";
        auto netns = ScopedNetns::create();
        ASSERT_FALSE(netns.is_error()) << netns.error().describe();
        m_netns.emplace(netns.release_value());
        auto tap = m_netns->run([] { return tap::TapDevice::create("en%d"); });
        ASSERT_FALSE(tap.is_error()) << tap.error().describe();
        m_tap.emplace(tap.release_value());
        auto route = m_netns->run([] { return RouteSocket::create(); });
        ASSERT_FALSE(route.is_error()) << route.error().describe();
        m_route.emplace(route.release_value());
    }
    std::string sh(const std::string &command) {
        auto result = m_netns->sh(command);
        EXPECT_TRUE(result.ok()) << command << ": " << result.output;
        return result.output;
    }

    std::optional<ScopedNetns> m_netns;
    std::optional<tap::TapDevice> m_tap;
    std::optional<RouteSocket> m_route;
};

TEST_F(RouteSocketTest, ReadsWhatIpLinkShows) {
    sh("ip link set en0 address 02:12:34:56:78:9a mtu 1492 txqueuelen 77");
    auto state = m_route->get_link(m_tap->ifindex());
    ASSERT_FALSE(state.is_error()) << state.error().describe();
    EXPECT_EQ(state.value().ifindex, m_tap->ifindex());
    EXPECT_EQ(state.value().name, "en0");
    EXPECT_EQ(state.value().mtu, 1492u);
    EXPECT_EQ(state.value().txqueuelen, 77u);
    ASSERT_TRUE(state.value().mac);
    EXPECT_EQ(state.value().mac->to_string(), "02:12:34:56:78:9a");
    EXPECT_FALSE(state.value().admin_up());
    EXPECT_TRUE(state.value().stats);
}

TEST_F(RouteSocketTest, ChangesMtuAdminStateAndQueueLength) {
    int ifindex = m_tap->ifindex();
    ASSERT_FALSE(m_route->set_mtu(ifindex, 1280).is_error());
    ASSERT_FALSE(m_route->set_admin_up(ifindex, true).is_error());
    ASSERT_FALSE(m_route->set_txqueuelen(ifindex, 4096).is_error());
    EXPECT_EQ(sh("cat /sys/class/net/en0/mtu"), "1280\n");
    EXPECT_EQ(sh("cat /sys/class/net/en0/tx_queue_len"), "4096\n");
    EXPECT_NE(sh("ip link show en0").find(",UP"), std::string::npos);
    ASSERT_FALSE(m_route->set_admin_up(ifindex, false).is_error());
    EXPECT_EQ(sh("ip link show en0").find(",UP"), std::string::npos);
}

TEST_F(RouteSocketTest, ReportsKernelRefusals) {
    auto missing = m_route->get_link(999999);
    ASSERT_TRUE(missing.is_error());
    EXPECT_TRUE(missing.error().is(ENODEV)) << missing.error().describe();

    auto too_big = m_route->set_mtu(m_tap->ifindex(), 70000);
    ASSERT_TRUE(too_big.is_error());
    EXPECT_TRUE(too_big.error().is(EINVAL)) << too_big.error().describe();
    EXPECT_FALSE(m_route->last_error_text().empty()); // extended ack: the kernel says why
    EXPECT_EQ(sh("cat /sys/class/net/en0/mtu"), "1500\n");

    // The socket stays usable after a refusal.
    ASSERT_FALSE(m_route->set_mtu(m_tap->ifindex(), 1400).is_error());
    EXPECT_TRUE(m_route->last_error_text().empty());
}

} // namespace
} // namespace netdext::netlink
