// LinkWatcher against the real kernel, inside a namespace each test creates and removes (root).
#include "netlink/link_watcher.h"

#include "netlink/rtnl_parse.h"
#include "netns/scoped_netns.h"
#include "support/wait_until.h"
#include "tap/tap_device.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <linux/if_tun.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <sstream>

namespace netdext::netlink {
namespace {

using netdext::testing::ScopedNetns;
using netdext::testing::wait_until;
using namespace std::chrono_literals;

// One line per event, e.g. "3 mtu 1500->1400", so expectations read like the events.
std::string describe(const LinkEvent &event) {
    std::ostringstream text;
    text << event.ifindex << ' ';
    std::visit(
        [&](const auto &change) {
            using T = std::decay_t<decltype(change)>;
            if constexpr (std::is_same_v<T, AdminStateChanged>)
                text << (change.up ? "up" : "down");
            else if constexpr (std::is_same_v<T, MtuChanged>)
                text << "mtu " << change.old_mtu << "->" << change.new_mtu;
            else if constexpr (std::is_same_v<T, PromiscuousChanged>)
                text << "promisc " << (change.enabled ? "on" : "off");
            else if constexpr (std::is_same_v<T, AllMulticastChanged>)
                text << "allmulti " << (change.enabled ? "on" : "off");
            else if constexpr (std::is_same_v<T, MulticastListChanged>) {
                text << "mcast";
                for (const MacAddress &address : change.addresses)
                    text << ' ' << address.to_string();
            } else if constexpr (std::is_same_v<T, MacChanged>)
                text << "mac " << change.old_mac.to_string() << "->" << change.new_mac.to_string();
            else if constexpr (std::is_same_v<T, OffloadsChanged>)
                text << "offloads " << describe_offloads(change.old_offloads) << "->"
                     << describe_offloads(change.new_offloads);
            else
                text << "deleted";
        },
        event.change);
    return text.str();
}

bool kernel_at_least(int major, int minor) {
    utsname name{};
    ::uname(&name);
    int have_major = 0, have_minor = 0;
    std::sscanf(name.release, "%d.%d", &have_major, &have_minor);
    return have_major > major || (have_major == major && have_minor >= minor);
}

class LinkWatcherTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (network namespaces, /dev/net/tun)";
        auto netns = ScopedNetns::create();
        ASSERT_FALSE(netns.is_error()) << netns.error().describe();
        m_netns.emplace(netns.release_value());
        // Keep IPv6 from joining groups on its own (33:33:00:00:00:01 as soon as a link is
        // registered), so multicast lists change only when a test says so.
        sh("sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
        auto tap = m_netns->run([] { return tap::TapDevice::create("en%d"); });
        ASSERT_FALSE(tap.is_error()) << tap.error().describe();
        m_tap.emplace(tap.release_value());
        m_ifindex = m_tap->ifindex();
    }

    void start_watcher(LinkWatcher::Options options = {}) {
        auto watcher = m_netns->run([&] { return LinkWatcher::create(options); });
        ASSERT_FALSE(watcher.is_error()) << watcher.error().describe();
        m_watcher.emplace(watcher.release_value());
        auto watched = m_watcher->watch(m_ifindex);
        ASSERT_FALSE(watched.is_error()) << watched.error().describe();
        for (const MacAddress &address : m_watcher->multicast_addresses(m_ifindex))
            m_baseline_multicast.push_back(address.to_string());
    }

    // The event for a multicast list of the baseline (the kernel always puts IPv6's all-nodes
    // 33:33:00:00:00:01 on an Ethernet link, even with IPv6 disabled) plus `added`.
    std::string multicast_event(std::vector<std::string> added) const {
        added.insert(added.end(), m_baseline_multicast.begin(), m_baseline_multicast.end());
        std::sort(added.begin(), added.end()); // fixed-width lowercase hex sorts like the bytes
        std::string line = event("mcast");
        for (const auto &address : added)
            line += " " + address;
        return line;
    }

    std::string sh(const std::string &command) {
        auto result = m_netns->sh(command);
        EXPECT_TRUE(result.ok()) << command << ": " << result.output;
        return result.output;
    }

    void drain() {
        auto drained =
            m_watcher->drain([&](const LinkEvent &event) { m_events.push_back(describe(event)); });
        EXPECT_FALSE(drained.is_error()) << drained.error().describe();
    }

    // Drains until `expected` has been reported (events before it are kept in m_events).
    bool wait_for(const std::string &expected, std::chrono::milliseconds deadline = 5s) {
        return wait_until(
            [&] {
                drain();
                return std::find(m_events.begin(), m_events.end(), expected) != m_events.end();
            },
            deadline);
    }
    std::string event(const std::string &what) const {
        return std::to_string(m_ifindex) + " " + what;
    }
    std::string events() const {
        std::string all;
        for (const auto &line : m_events)
            all += line + "; ";
        return all;
    }

    std::optional<ScopedNetns> m_netns; // first: destroyed last
    std::optional<tap::TapDevice> m_tap;
    std::optional<LinkWatcher> m_watcher;
    int m_ifindex = 0;
    std::vector<std::string> m_events;
    std::vector<std::string> m_baseline_multicast;
};

TEST_F(LinkWatcherTest, ReportsAdminUpAndDownThroughAPollableFd) {
    start_watcher();
    sh("ip link set en0 up");
    // The kernel multicasts before `ip` returns: the fd is readable now, no waiting involved.
    pollfd readable{m_watcher->fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&readable, 1, 5000), 1);
    ASSERT_TRUE(wait_for(event("up"))) << events();
    sh("ip link set en0 down");
    ASSERT_TRUE(wait_for(event("down"))) << events();
    EXPECT_FALSE(m_watcher->state(m_ifindex)->admin_up());
}

TEST_F(LinkWatcherTest, ReportsMtuChanges) {
    start_watcher();
    sh("ip link set en0 mtu 1400");
    ASSERT_TRUE(wait_for(event("mtu 1500->1400"))) << events();
    sh("ip link set en0 mtu 9000");
    ASSERT_TRUE(wait_for(event("mtu 1400->9000"))) << events();
    EXPECT_EQ(m_watcher->state(m_ifindex)->mtu, 9000u);
}

TEST_F(LinkWatcherTest, ReportsMacChanges) {
    sh("ip link set en0 address 02:00:00:00:00:01");
    start_watcher();
    sh("ip link set en0 address 02:00:00:00:00:02");
    ASSERT_TRUE(wait_for(event("mac 02:00:00:00:00:01->02:00:00:00:00:02"))) << events();
}

TEST_F(LinkWatcherTest, ReportsOffloadChangesMadeWithEthtoolAndPutsThemBack) {
    // A TAP offering what a driver declaring TX checksums and TSO gets (net_interface.cpp).
    tap::TapDevice::Options options;
    options.vnet_header = true;
    auto offloading = m_netns->run([&] { return tap::TapDevice::create("en%d", options); });
    ASSERT_FALSE(offloading.is_error()) << offloading.error().describe();
    ASSERT_FALSE(offloading.value().set_offload(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6).is_error());
    const int ifindex = offloading.value().ifindex();
    const std::string name = offloading.value().name();
    start_watcher();
    ASSERT_FALSE(m_watcher->watch(ifindex).is_error());
    ASSERT_TRUE(m_watcher->state(ifindex)->offloads.has_value());
    EXPECT_EQ(*m_watcher->state(ifindex)->offloads, kOffloadAll);
    const std::string prefix = std::to_string(ifindex) + " offloads ";

    sh("ethtool -K " + name + " tso off");
    ASSERT_TRUE(wait_for(prefix + "tx-checksum, tso4, tso6->tx-checksum")) << events();
    // Without TX checksums the kernel cannot segment either.
    sh("ethtool -K " + name + " tso on");
    ASSERT_TRUE(wait_for(prefix + "tx-checksum->tx-checksum, tso4, tso6")) << events();
    sh("ethtool -K " + name + " tx off");
    ASSERT_TRUE(wait_for(prefix + "tx-checksum, tso4, tso6->none")) << events();

    // Putting back what a driver refused to give up (both bits: TSO needs the checksum).
    ASSERT_FALSE(m_watcher->set_offloads(ifindex, kOffloadAll, kOffloadAll).is_error());
    ASSERT_TRUE(wait_for(prefix + "none->tx-checksum, tso4, tso6")) << events();
    EXPECT_EQ(*m_watcher->state(ifindex)->offloads, kOffloadAll);
    // A TAP without IFF_VNET_HDR offers none of them (and ethtool cannot switch them on).
    EXPECT_EQ(m_watcher->state(m_ifindex)->offloads.value_or(99), 0u);
    EXPECT_TRUE(m_watcher->set_offloads(12345, kOffloadAll, 0).error().is(ENODEV));
}

TEST_F(LinkWatcherTest, ReportsPromiscuousModeSetWithIpLink) {
    start_watcher();
    sh("ip link set en0 promisc on");
    ASSERT_TRUE(wait_for(event("promisc on"))) << events();
    EXPECT_TRUE(m_watcher->state(m_ifindex)->flags & IFF_PROMISC);
    sh("ip link set en0 promisc off");
    ASSERT_TRUE(wait_for(event("promisc off"))) << events();
}

TEST_F(LinkWatcherTest, ReportsPromiscuousModeOfAPacketSocket) {
    start_watcher();
    // What tcpdump does: PACKET_MR_PROMISC on a packet socket.
    UniqueFd packet = m_netns->run(
        [] { return UniqueFd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL))); });
    ASSERT_TRUE(packet.is_valid());
    packet_mreq membership{};
    membership.mr_ifindex = m_ifindex;
    membership.mr_type = PACKET_MR_PROMISC;
    ASSERT_EQ(::setsockopt(packet.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership,
                           sizeof(membership)),
              0);
    ASSERT_TRUE(wait_for(event("promisc on"))) << events();
    // Observed kernel behaviour: ifi_flags stays without IFF_PROMISC (it reports only what user
    // space set with SIOCSIFFLAGS); only IFLA_PROMISCUITY shows the packet socket.
    const LinkState *state = m_watcher->state(m_ifindex);
    EXPECT_FALSE(state->flags & IFF_PROMISC);
    EXPECT_EQ(state->promiscuity, 1u);
    EXPECT_EQ(sh("ip link show en0").find("PROMISC"), std::string::npos);
    packet.reset();
    ASSERT_TRUE(wait_for(event("promisc off"))) << events();
}

TEST_F(LinkWatcherTest, ReportsAllMulticastMode) {
    start_watcher();
    sh("ip link set en0 allmulticast on");
    ASSERT_TRUE(wait_for(event("allmulti on"))) << events();
    sh("ip link set en0 allmulticast off");
    ASSERT_TRUE(wait_for(event("allmulti off"))) << events();
}

TEST_F(LinkWatcherTest, ReportsLinkLayerMulticastListChanges) {
    start_watcher({.multicast_poll_interval = 100ms});
    sh("ip maddr add 01:00:5e:01:02:03 dev en0");
    ASSERT_TRUE(wait_for(multicast_event({"01:00:5e:01:02:03"}))) << events();
    sh("ip maddr add 33:33:00:00:00:fb dev en0");
    ASSERT_TRUE(wait_for(multicast_event({"01:00:5e:01:02:03", "33:33:00:00:00:fb"}))) << events();
    sh("ip maddr del 01:00:5e:01:02:03 dev en0");
    ASSERT_TRUE(wait_for(multicast_event({"33:33:00:00:00:fb"}))) << events();
    EXPECT_GE(m_watcher->counters().multicast_reads, 3u);
}

TEST_F(LinkWatcherTest, ReportsIpGroupJoinsWithoutPolling) {
    if (!kernel_at_least(6, 13))
        GTEST_SKIP() << "RTNLGRP_IPV4_MCADDR needs Linux 6.13; the poll covers older kernels";
    start_watcher({.multicast_poll_interval = 0ms}); // no poll: only notifications can tell
    sh("ip link set en0 up && ip addr add 10.214.0.1/24 dev en0");
    ASSERT_TRUE(wait_for(multicast_event({"01:00:5e:00:00:01"}))) << events(); // all-hosts
    UniqueFd udp = m_netns->run([] { return UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0)); });
    ip_mreqn join{};
    join.imr_multiaddr.s_addr = htonl(0xef010203); // 239.1.2.3 → 01:00:5e:01:02:03
    join.imr_ifindex = m_ifindex;
    ASSERT_EQ(::setsockopt(udp.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof(join)), 0);
    ASSERT_TRUE(wait_for(multicast_event({"01:00:5e:00:00:01", "01:00:5e:01:02:03"}))) << events();
    udp.reset(); // closing the socket leaves the group
    ASSERT_TRUE(wait_for(multicast_event({"01:00:5e:00:00:01"}))) << events();
    EXPECT_EQ(m_events.back(), multicast_event({"01:00:5e:00:00:01"}));
}

TEST_F(LinkWatcherTest, ReportsDeletionWithTheRightIfindex) {
    start_watcher();
    m_tap.reset(); // closing the TAP deletes en0
    ASSERT_TRUE(wait_for(event("deleted"))) << events();
    EXPECT_FALSE(m_watcher->is_watched(m_ifindex));
    EXPECT_EQ(m_watcher->state(m_ifindex), nullptr);
}

TEST_F(LinkWatcherTest, ReportsOnlyWatchedLinks) {
    start_watcher();
    auto other = m_netns->run([] { return tap::TapDevice::create("en%d"); });
    ASSERT_FALSE(other.is_error());
    int other_index = other.value().ifindex();
    sh("ip link set en1 mtu 1280 && ip link set en0 mtu 1400");
    ASSERT_TRUE(wait_for(event("mtu 1500->1400"))) << events();
    ASSERT_FALSE(m_watcher->watch(other_index).is_error());
    sh("ip link set en1 up");
    ASSERT_TRUE(wait_for(std::to_string(other_index) + " up")) << events();
    for (const auto &line : m_events)
        EXPECT_EQ(line.find("1280"), std::string::npos) << "unwatched change reported: " << line;
    m_watcher->unwatch(other_index);
    sh("ip link set en1 down");
    sh("ip link set en0 up");
    ASSERT_TRUE(wait_for(event("up"))) << events();
    EXPECT_EQ(std::count(m_events.begin(), m_events.end(), std::to_string(other_index) + " down"),
              0);
}

TEST_F(LinkWatcherTest, ResynchronisesAfterAnOverrun) {
    // A receive buffer too small for even two notifications: the kernel drops them and tells us
    // with ENOBUFS; the watcher re-reads every watched link.
    start_watcher({.receive_buffer_bytes = 1});
    auto route = m_netns->run([] { return RouteSocket::create(); });
    ASSERT_FALSE(route.is_error());
    for (uint32_t mtu = 1300; mtu < 1320; ++mtu)
        ASSERT_FALSE(route.value().set_mtu(m_ifindex, mtu).is_error());
    ASSERT_FALSE(route.value().set_admin_up(m_ifindex, true).is_error());
    ASSERT_TRUE(wait_for(event("mtu 1500->1319"))) << events();
    EXPECT_GE(m_watcher->counters().resyncs, 1u);
    ASSERT_TRUE(wait_for(event("up"))) << events();
    // Level-triggered: whatever was lost, the last report is the kernel's state.
    EXPECT_EQ(m_watcher->state(m_ifindex)->mtu, 1319u);
}

TEST_F(LinkWatcherTest, IgnoresForgedMessagesFromOtherProcesses) {
    start_watcher();
    // A user-space socket unicasts a fake RTM_DELLINK for en0 straight to the watcher's port.
    UniqueFd forger = m_netns->run(
        [] { return UniqueFd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)); });
    ASSERT_TRUE(forger.is_valid());
    alignas(nlmsghdr) char buffer[256] = {};
    nlmsghdr *message = mnl_nlmsg_put_header(buffer);
    message->nlmsg_type = RTM_DELLINK;
    auto *info = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(message, sizeof(ifinfomsg)));
    info->ifi_index = m_ifindex;
    sockaddr_nl target{};
    target.nl_family = AF_NETLINK;
    target.nl_pid = m_watcher->notification_port_id();
    ASSERT_EQ(::sendto(forger.get(), buffer, message->nlmsg_len, 0,
                       reinterpret_cast<sockaddr *>(&target), sizeof(target)),
              static_cast<ssize_t>(message->nlmsg_len));
    ASSERT_TRUE(wait_until(
        [&] {
            drain();
            return m_watcher->counters().foreign_senders == 1;
        },
        5s));
    EXPECT_TRUE(m_watcher->is_watched(m_ifindex));
    EXPECT_TRUE(m_events.empty()) << events();
}

} // namespace
} // namespace netdext::netlink
