// LinkWatcher: rtnetlink notifications → typed link events. Design notes in link_watcher.h.
#include "netlink/link_watcher.h"

#include "netlink/rtnl_parse.h"

#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>

namespace netdext::netlink {
namespace {

// Linux 6.13 added these groups (include/uapi/linux/rtnetlink.h); older headers lack them.
constexpr unsigned kGroupIpv4MulticastAddress = 37; // RTNLGRP_IPV4_MCADDR
constexpr unsigned kGroupIpv6MulticastAddress = 38; // RTNLGRP_IPV6_MCADDR
#ifdef RTNLGRP_IPV4_MCADDR
static_assert(RTNLGRP_IPV4_MCADDR == kGroupIpv4MulticastAddress);
static_assert(RTNLGRP_IPV6_MCADDR == kGroupIpv6MulticastAddress);
#endif

constexpr size_t kReceiveBufferWords = 8192; // 32 KiB: the kernel's largest notification skb

Result<void> add_to_epoll(int epoll, int fd) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) < 0)
        return Error::from_errno("epoll_ctl(EPOLL_CTL_ADD)");
    return {};
}

} // namespace

LinkWatcher::LinkWatcher(Options options, UniqueFd epoll, UniqueFd events, UniqueFd timer,
                         UniqueFd dev_mcast, RouteSocket route, EthtoolFeatures ethtool)
    : m_options(options), m_epoll(std::move(epoll)), m_events(std::move(events)),
      m_timer(std::move(timer)), m_dev_mcast(std::move(dev_mcast)), m_route(std::move(route)),
      m_ethtool(std::move(ethtool)), m_receive_buffer(kReceiveBufferWords) {}

Result<LinkWatcher> LinkWatcher::create(Options options) {
    UniqueFd events(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
    if (!events.is_valid())
        return Error::from_errno("socket(NETLINK_ROUTE)");
    int size = options.receive_buffer_bytes;
    // SO_RCVBUFFORCE (CAP_NET_ADMIN) may exceed net.core.rmem_max; SO_RCVBUF is capped by it.
    if (::setsockopt(events.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
        ::setsockopt(events.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
        return Error::from_errno("setsockopt(SO_RCVBUF)");
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    local.nl_groups = RTMGRP_LINK;
    if (::bind(events.get(), reinterpret_cast<sockaddr *>(&local), sizeof(local)) < 0)
        return Error::from_errno("bind(NETLINK_ROUTE, RTMGRP_LINK)");
    for (unsigned group : {kGroupIpv4MulticastAddress, kGroupIpv6MulticastAddress}) {
        // Before Linux 6.13 these groups do not exist (EINVAL); the poll covers for them.
        (void)::setsockopt(events.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
                           sizeof(group));
    }

    UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timer.is_valid())
        return Error::from_errno("timerfd_create");
    // thread-self, not self: /proc/self/net is the namespace of the main thread, and create()
    // may run on a thread that entered another namespace with setns().
    UniqueFd dev_mcast(::open("/proc/thread-self/net/dev_mcast", O_RDONLY | O_CLOEXEC));
    if (!dev_mcast.is_valid())
        return Error::from_errno("open(/proc/thread-self/net/dev_mcast)");
    UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll.is_valid())
        return Error::from_errno("epoll_create1");
    NETDEXT_TRY(add_to_epoll(epoll.get(), events.get()));
    NETDEXT_TRY(add_to_epoll(epoll.get(), timer.get()));
    auto route = NETDEXT_TRY(RouteSocket::create());
    auto ethtool = NETDEXT_TRY(EthtoolFeatures::create());
    return LinkWatcher(options, std::move(epoll), std::move(events), std::move(timer),
                       std::move(dev_mcast), std::move(route), std::move(ethtool));
}

Result<LinkState> LinkWatcher::read_link(int ifindex) {
    LinkState state = NETDEXT_TRY(m_route.get_link(ifindex));
    // A link without ethtool support, or renamed in between: offloads unknown, no event.
    if (auto offloads = m_ethtool.read(state.name); offloads)
        state.offloads = offloads.value();
    return state;
}

Result<void> LinkWatcher::set_offloads(int ifindex, uint32_t mask, uint32_t offloads) {
    auto it = m_links.find(ifindex);
    if (it == m_links.end())
        return Error::from_errno(ENODEV, "set_offloads");
    return m_ethtool.write(it->second.state.name, mask, offloads);
}

Result<void> LinkWatcher::watch(int ifindex) {
    NETDEXT_VERIFY(!m_in_drain);
    if (m_links.contains(ifindex))
        return {};
    Watched link;
    link.state = NETDEXT_TRY(read_link(ifindex));
    m_links.emplace(ifindex, std::move(link));
    auto baseline = read_multicast_lists();
    if (baseline.is_error()) {
        m_links.erase(ifindex);
        return baseline.release_error();
    }
    for (auto &[index, watched] : m_links) {
        if (index == ifindex)
            watched.multicast.swap(watched.scratch);
    }
    return arm_timer(true);
}

void LinkWatcher::unwatch(int ifindex) {
    NETDEXT_VERIFY(!m_in_drain);
    m_links.erase(ifindex);
    if (m_links.empty())
        (void)arm_timer(false); // a stray expiry only causes one harmless re-read
}

const LinkState *LinkWatcher::state(int ifindex) const {
    auto it = m_links.find(ifindex);
    return it == m_links.end() ? nullptr : &it->second.state;
}

std::span<const MacAddress> LinkWatcher::multicast_addresses(int ifindex) const {
    auto it = m_links.find(ifindex);
    if (it == m_links.end())
        return {};
    return it->second.multicast;
}

uint32_t LinkWatcher::notification_port_id() const {
    sockaddr_nl local{};
    socklen_t length = sizeof(local);
    if (::getsockname(m_events.get(), reinterpret_cast<sockaddr *>(&local), &length) < 0)
        return 0;
    return local.nl_pid;
}

Result<void> LinkWatcher::arm_timer(bool armed) {
    itimerspec spec{};
    if (armed && m_options.multicast_poll_interval.count() > 0) {
        auto ms = m_options.multicast_poll_interval.count();
        spec.it_interval.tv_sec = ms / 1000;
        spec.it_interval.tv_nsec = (ms % 1000) * 1'000'000;
        spec.it_value = spec.it_interval;
    }
    if (::timerfd_settime(m_timer.get(), 0, &spec, nullptr) < 0)
        return Error::from_errno("timerfd_settime");
    return {};
}

Result<void> LinkWatcher::receive_notifications(bool &resync, bool &reread_multicast) {
    for (;;) {
        sockaddr_nl sender{};
        iovec vector{m_receive_buffer.data(), m_receive_buffer.size() * sizeof(uint32_t)};
        msghdr header{};
        header.msg_name = &sender;
        header.msg_namelen = sizeof(sender);
        header.msg_iov = &vector;
        header.msg_iovlen = 1;
        ssize_t received = ::recvmsg(m_events.get(), &header, MSG_DONTWAIT);
        if (received < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return {};
            if (errno == ENOBUFS) {
                // The socket overflowed and notifications were lost; what is still queued is
                // read below, and every watched link is re-read afterwards.
                resync = true;
                continue;
            }
            return Error::from_errno("recvmsg(NETLINK_ROUTE)");
        }
        if (header.msg_flags & MSG_TRUNC) {
            resync = true; // a notification did not fit: we do not know what it said
            continue;
        }
        // Any process may unicast to our port id; only the kernel speaks for the links.
        if (header.msg_namelen != sizeof(sender) || sender.nl_pid != 0) {
            ++m_counters.foreign_senders;
            continue;
        }
        auto visit = [&](const nlmsghdr &message) -> Result<void> {
            switch (message.nlmsg_type) {
            case RTM_NEWLINK:
            case RTM_DELLINK: {
                unsigned char family = AF_UNSPEC;
                auto link = NETDEXT_TRY(parse_link_message(message, &family));
                // AF_BRIDGE messages describe a bridge port; an AF_BRIDGE RTM_DELLINK means
                // the link left a bridge, not that it was deleted.
                if (family != AF_UNSPEC)
                    return {};
                auto it = m_links.find(link.ifindex);
                if (it == m_links.end())
                    return {};
                if (message.nlmsg_type == RTM_DELLINK) {
                    it->second.deleted = true;
                } else {
                    it->second.dirty = true;
                    reread_multicast = true;
                }
                return {};
            }
            case kRtmNewMulticast:
            case kRtmDelMulticast: {
                int ifindex = NETDEXT_TRY(parse_multicast_message(message));
                if (m_links.contains(ifindex))
                    reread_multicast = true;
                return {};
            }
            default:
                return {}; // NLMSG_NOOP, other groups' messages: nothing to do
            }
        };
        auto walked =
            for_each_message(std::span(reinterpret_cast<const std::byte *>(m_receive_buffer.data()),
                                       static_cast<size_t>(received)),
                             visit);
        if (walked.is_error()) {
            // The kernel does not send malformed messages; if it ever does, do not guess what
            // the rest of the datagram meant: re-read everything.
            ++m_counters.malformed_messages;
            resync = true;
        }
    }
}

Result<void> LinkWatcher::refresh_link(int ifindex, Watched &link,
                                       FunctionRef<void(const LinkEvent &)> sink) {
    auto fresh = read_link(ifindex);
    if (fresh.is_error()) {
        if (fresh.error().is(ENODEV)) {
            link.deleted = true; // RTM_DELLINK is on its way, or was lost in an overrun
            return {};
        }
        return fresh.release_error();
    }
    LinkState next = fresh.release_value();
    const LinkState &last = link.state;
    if (next.admin_up() != last.admin_up())
        sink({ifindex, AdminStateChanged{next.admin_up()}});
    if (next.mtu != last.mtu)
        sink({ifindex, MtuChanged{last.mtu, next.mtu}});
    if (next.mac && last.mac && *next.mac != *last.mac)
        sink({ifindex, MacChanged{*last.mac, *next.mac}});
    if (next.promiscuous() != last.promiscuous())
        sink({ifindex, PromiscuousChanged{next.promiscuous()}});
    if (next.all_multicast() != last.all_multicast())
        sink({ifindex, AllMulticastChanged{next.all_multicast()}});
    if (next.offloads && last.offloads && *next.offloads != *last.offloads)
        sink({ifindex, OffloadsChanged{*last.offloads, *next.offloads}});
    link.state = std::move(next);
    link.dirty = false;
    return {};
}

Result<void> LinkWatcher::read_multicast_lists() {
    ++m_counters.multicast_reads;
    if (m_text.size() < 4096)
        m_text.resize(4096);
    size_t length = 0;
    for (;;) {
        if (m_text.size() - length < 1024)
            m_text.resize(m_text.size() * 2);
        // pread from 0 restarts the seq_file, so each read is a fresh snapshot.
        ssize_t got = ::pread(m_dev_mcast.get(), m_text.data() + length, m_text.size() - length,
                              static_cast<off_t>(length));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("read(/proc/net/dev_mcast)");
        }
        if (got == 0)
            break;
        length += static_cast<size_t>(got);
    }
    for (auto &[index, link] : m_links)
        link.scratch.clear();
    (void)parse_dev_mcast(std::string_view(m_text.data(), length),
                          [&](int ifindex, const MacAddress &address) {
                              auto it = m_links.find(ifindex);
                              if (it != m_links.end())
                                  it->second.scratch.push_back(address);
                          });
    for (auto &[index, link] : m_links) {
        std::sort(link.scratch.begin(), link.scratch.end());
        link.scratch.erase(std::unique(link.scratch.begin(), link.scratch.end()),
                           link.scratch.end());
    }
    return {};
}

Result<void> LinkWatcher::drain(FunctionRef<void(const LinkEvent &)> sink) {
    NETDEXT_VERIFY(!m_in_drain);
    m_in_drain = true;
    struct Reset {
        bool &flag;
        ~Reset() { flag = false; }
    } reset{m_in_drain};

    bool resync = false;
    bool reread_multicast = false;
    uint64_t expirations = 0;
    if (::read(m_timer.get(), &expirations, sizeof(expirations)) == sizeof(expirations))
        reread_multicast = true;
    NETDEXT_TRY(receive_notifications(resync, reread_multicast));
    if (resync) {
        ++m_counters.resyncs;
        for (auto &[index, link] : m_links)
            link.dirty = true;
        reread_multicast = true;
    }

    for (auto it = m_links.begin(); it != m_links.end();) {
        auto &[ifindex, link] = *it;
        if (!link.deleted && link.dirty)
            NETDEXT_TRY(refresh_link(ifindex, link, sink));
        if (link.deleted) {
            sink({ifindex, LinkDeleted{}});
            it = m_links.erase(it);
            continue;
        }
        ++it;
    }

    if (m_links.empty())
        return arm_timer(false);
    if (reread_multicast) {
        NETDEXT_TRY(read_multicast_lists());
        for (auto &[ifindex, link] : m_links) {
            if (link.scratch == link.multicast)
                continue;
            link.multicast.swap(link.scratch);
            sink({ifindex, MulticastListChanged{link.multicast}});
        }
    }
    return {};
}

} // namespace netdext::netlink
