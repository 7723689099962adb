// LinkWatcher: what the Linux stack does to the links the daemon watches, as typed events —
// the rtnetlink half of the network family (DESIGN.md §5: `ip link set … up` becomes
// SetInterfaceEnable, `… mtu` SetMTU, `… promisc` SetPromiscuousModeEnable, `… allmulticast`
// SetAllMulticastModeEnable, `ip maddr` SetMulticastAddresses; a MAC change is refused).
//
// How changes are learned:
//  - RTNLGRP_LINK: RTM_NEWLINK / RTM_DELLINK for admin state, MTU, promiscuity, allmulti,
//    deletion. Immediate (the kernel multicasts before the `ip link` request returns).
//  - Offloads (`ethtool -K`): a feature change is an RTM_NEWLINK too (IFLA_EVENT_FEATURES), but
//    the message does not carry the features; the re-read asks SIOCETHTOOL
//    (ethtool_features.h) alongside RTM_GETLINK.
//  - The link-layer multicast list has no rtnetlink notification on Linux: dev_mc_add() (reached
//    from `ip maddr add` via SIOCADDMULTI, PACKET_ADD_MEMBERSHIP, IGMP/MLD joins, bonding…)
//    tells only the driver's ndo_set_rx_mode, and tun's is empty. The list is only readable from
//    /proc/net/dev_mcast. So the watcher re-reads that file
//      * at once when an IPv4/IPv6 group is joined or left on a watched link: Linux 6.13+
//        multicasts RTM_NEWMULTICAST/RTM_DELMULTICAST on RTNLGRP_IPV4_MCADDR/IPV6_MCADDR
//        after updating the link-layer list (older kernels refuse the subscription; we go on);
//      * at once on every RTM_NEWLINK of a watched link (up/down joins and leaves groups);
//      * every `multicast_poll_interval` (default 250 ms), for link-layer-only changes
//        (`ip maddr add`, packet sockets), which nothing announces.
//    Latency: IP-level joins and leaves ≈ one drain; link-layer-only changes ≤ one poll
//    interval. Each poll is one read of /proc/net/dev_mcast (one line per address in the
//    namespace): microseconds.
//
// The watcher is level-triggered: a notification only says *which* link changed; the watcher
// re-reads that link (RTM_GETLINK) and reports the difference from what it reported before. So
// stale or coalesced notifications never produce a flip-flop, an ENOBUFS overrun (messages lost)
// is repaired by re-reading every watched link ("resync"), and the last event for a link always
// matches the kernel's state.
//
// Namespaces: create() must run on a thread inside the namespace whose links are watched (the
// sockets and /proc/thread-self/net/dev_mcast bind to it); the object may then be used from any
// thread. Threads: not thread-safe; one thread at a time calls everything.
#pragma once

#include "common/function_ref.h"
#include "common/mac_address.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "netlink/ethtool_features.h"
#include "netlink/link_state.h"
#include "netlink/route_socket.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace netdext::netlink {

struct AdminStateChanged {
    bool up; // IFF_UP
};
struct MtuChanged {
    uint32_t old_mtu;
    uint32_t new_mtu;
};
struct PromiscuousChanged {
    bool enabled; // see LinkState::promiscuous()
};
struct AllMulticastChanged {
    bool enabled; // see LinkState::all_multicast()
};
struct MulticastListChanged {
    // The whole list after the change, sorted, duplicates removed (what SetMulticastAddresses
    // takes). Points into the watcher: valid only during the callback.
    std::span<const MacAddress> addresses;
};
struct LinkDeleted {}; // the link is gone (or left the namespace); it is no longer watched
struct MacChanged {   // IFLA_ADDRESS (`ip link set … address`)
    MacAddress old_mac;
    MacAddress new_mac;
};
struct OffloadsChanged { // `ethtool -K … tso|tx off|on`, or TUNSETOFFLOAD (kOffload* bits)
    uint32_t old_offloads;
    uint32_t new_offloads;
};

using LinkChange = std::variant<AdminStateChanged, MtuChanged, PromiscuousChanged,
                                AllMulticastChanged, MulticastListChanged, LinkDeleted,
                                MacChanged, OffloadsChanged>;

struct LinkEvent {
    int ifindex;
    LinkChange change;
};

class LinkWatcher {
public:
    struct Options {
        // 0 disables the poll (then only IP-level joins and link messages trigger a re-read).
        std::chrono::milliseconds multicast_poll_interval{250};
        // SO_RCVBUF of the notification socket. Small values provoke ENOBUFS (tests do this).
        int receive_buffer_bytes = 1 << 20;
    };

    // Counters for `netdextctl` and tests.
    struct Counters {
        uint64_t resyncs = 0;            // ENOBUFS / truncated datagram: all links re-read
        uint64_t malformed_messages = 0; // rejected by the parser (a resync follows)
        uint64_t foreign_senders = 0;    // datagrams not from the kernel, dropped unread
        uint64_t multicast_reads = 0;    // reads of /proc/net/dev_mcast
    };

    static Result<LinkWatcher> create(Options options);
    static Result<LinkWatcher> create() { return create(Options{}); }

    // Readable (EPOLLIN) when drain() has something to do: an epoll fd holding the netlink socket
    // and the multicast poll timer. Add it to the daemon's own epoll set or poll() it.
    [[nodiscard]] int fd() const { return m_epoll.get(); }

    // Starts reporting changes of `ifindex`. Its current state is the baseline: no event is
    // reported for it. ENODEV if there is no such link. Watching a watched link is a no-op.
    Result<void> watch(int ifindex);
    void unwatch(int ifindex);
    [[nodiscard]] bool is_watched(int ifindex) const { return m_links.contains(ifindex); }
    // The last state reported for a watched link, or nullptr.
    [[nodiscard]] const LinkState *state(int ifindex) const;
    [[nodiscard]] std::span<const MacAddress> multicast_addresses(int ifindex) const;
    // Puts the kOffload* features in `mask` of a watched link to `offloads` (ETHTOOL_SFEATURES);
    // the change comes back as an event like any other. ENODEV for a link not watched.
    Result<void> set_offloads(int ifindex, uint32_t mask, uint32_t offloads);

    // Non-blocking: handles everything pending and reports each change through `sink`, per link
    // in the order deleted, admin state, MTU, MAC, promiscuous, all-multicast, offloads, multicast
    // list. `sink`
    // must not call back into this watcher. Errors are unexpected syscall failures only; work
    // left undone (a link to re-read) is retried by the next drain().
    Result<void> drain(FunctionRef<void(const LinkEvent &)> sink);

    [[nodiscard]] const Counters &counters() const { return m_counters; }
    // The notification socket's netlink port id (tests send it forged messages).
    [[nodiscard]] uint32_t notification_port_id() const;

private:
    struct Watched {
        LinkState state;
        std::vector<MacAddress> multicast;
        std::vector<MacAddress> scratch; // next multicast list while re-reading
        bool dirty = false;              // re-read with RTM_GETLINK in this drain
        bool deleted = false;
    };

    LinkWatcher(Options options, UniqueFd epoll, UniqueFd events, UniqueFd timer,
                UniqueFd dev_mcast, RouteSocket route, EthtoolFeatures ethtool);
    // RTM_GETLINK and the offloads.
    Result<LinkState> read_link(int ifindex);

    Result<void> receive_notifications(bool &resync, bool &reread_multicast);
    Result<void> refresh_link(int ifindex, Watched &link,
                              FunctionRef<void(const LinkEvent &)> sink);
    Result<void> read_multicast_lists();
    Result<void> arm_timer(bool armed);

    Options m_options;
    UniqueFd m_epoll;
    UniqueFd m_events;    // NETLINK_ROUTE, subscribed to link and multicast-address groups
    UniqueFd m_timer;     // timerfd for the multicast poll
    UniqueFd m_dev_mcast; // /proc/thread-self/net/dev_mcast of the creating thread's namespace
    RouteSocket m_route;  // RTM_GETLINK for refreshes and resyncs
    EthtoolFeatures m_ethtool;
    std::map<int, Watched> m_links;
    std::vector<uint32_t> m_receive_buffer; // uint32_t: netlink needs 4-byte alignment
    std::string m_text;                     // last read of dev_mcast; keeps its capacity
    Counters m_counters;
    bool m_in_drain = false;
};

} // namespace netdext::netlink
