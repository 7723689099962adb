// What rtnetlink says about one network interface (an RTM_NEWLINK message, parsed and checked).
// Plain values: no pointers into the message they were parsed from.
#pragma once

#include "common/mac_address.h"

#include <net/if.h>

#include <cstdint>
#include <optional>
#include <string>

namespace netdext::netlink {

// The counters `ip -s link` prints, from IFLA_STATS64 (struct rtnl_link_stats64). "rx" is what
// the interface received — for a TAP, frames user space wrote into the fd — and "tx" what the
// stack sent out of it, i.e. frames user space reads from the fd.
struct LinkStats {
    uint64_t rx_packets = 0;
    uint64_t tx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_bytes = 0;
    uint64_t rx_errors = 0;
    uint64_t tx_errors = 0;
    uint64_t rx_dropped = 0;
    uint64_t tx_dropped = 0;
    uint64_t multicast = 0;
    uint64_t collisions = 0;
};

struct LinkState {
    int ifindex = 0;
    std::string name;        // IFLA_IFNAME
    unsigned flags = 0;      // ifi_flags: IFF_UP, IFF_RUNNING, IFF_PROMISC as user space set it…
    uint32_t mtu = 0;        // IFLA_MTU
    uint32_t txqueuelen = 0; // IFLA_TXQLEN
    std::optional<MacAddress> mac;       // IFLA_ADDRESS when it is 6 bytes long
    std::optional<uint32_t> promiscuity; // IFLA_PROMISCUITY: every promisc user, counted
    std::optional<uint32_t> allmulti;    // IFLA_ALLMULTI (Linux 6.0+): every allmulti user
    std::optional<bool> carrier;         // IFLA_CARRIER
    std::optional<LinkStats> stats;      // IFLA_STATS64
    // Not rtnetlink's: the kOffload* features active (ethtool_features.h), which LinkWatcher
    // reads for the links it watches; nullopt when unknown.
    std::optional<uint32_t> offloads;

    [[nodiscard]] bool admin_up() const { return (flags & IFF_UP) != 0; }

    // The state the hardware filter must be in. ifi_flags carries IFF_PROMISC only when user
    // space set it (`ip link set promisc on`, SIOCSIFFLAGS): the kernel reports dev->gflags there.
    // A packet socket's PACKET_MR_PROMISC (tcpdump), a bridge or a bond raise only the counter,
    // which IFLA_PROMISCUITY reports. A real NIC filters by the counter, so we do too.
    [[nodiscard]] bool promiscuous() const {
        return promiscuity ? *promiscuity > 0 : (flags & IFF_PROMISC) != 0;
    }
    // Same split for IFF_ALLMULTI: IFLA_ALLMULTI counts multicast routers, PACKET_MR_ALLMULTI…;
    // before Linux 6.0 only the user-set flag is visible.
    [[nodiscard]] bool all_multicast() const {
        return allmulti ? *allmulti > 0 : (flags & IFF_ALLMULTI) != 0;
    }
};

} // namespace netdext::netlink
