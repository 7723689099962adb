// RouteSocket: synchronous rtnetlink requests. See route_socket.h for why libmnl.
#include "netlink/route_socket.h"

#include "netlink/rtnl_parse.h"

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstring>
#include <span>

namespace netdext::netlink {
namespace {
// Requests carry one ifinfomsg and at most one u32 attribute.
constexpr size_t kRequestBytes = 256;
constexpr size_t kAliasBytes = 256; // IFALIASZ (<linux/if.h>, which clashes with <net/if.h>)
} // namespace

Result<RouteSocket> RouteSocket::create() {
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd.is_valid())
        return Error::from_errno("socket(NETLINK_ROUTE)");
    // The kernel answers synchronously, so a reply is queued before sendto() returns; the timeout
    // only keeps a bug from hanging the daemon.
    timeval timeout{2, 0};
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0)
        return Error::from_errno("setsockopt(SO_RCVTIMEO)");
    int on = 1;
    // Extended acks give the reason for a refusal; capped acks keep the echo to a header.
    // Both are best effort (Linux 4.12+ / 4.3+).
    (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
    (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&local), sizeof(local)) < 0)
        return Error::from_errno("bind(NETLINK_ROUTE)");
    socklen_t length = sizeof(local);
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&local), &length) < 0)
        return Error::from_errno("getsockname(NETLINK_ROUTE)");
    return RouteSocket(std::move(fd), local.nl_pid);
}

Result<void> RouteSocket::transact(nlmsghdr &request, const char *context, LinkState *reply) {
    m_error_text.clear();
    request.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    request.nlmsg_seq = ++m_sequence;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(m_fd.get(), &request, request.nlmsg_len, 0, reinterpret_cast<sockaddr *>(&kernel),
                 sizeof(kernel)) < 0)
        return Error::from_errno(context);

    bool got_reply = false;
    for (;;) {
        sockaddr_nl sender{};
        iovec vector{m_buffer.data(), m_buffer.size() * sizeof(uint32_t)};
        msghdr header{};
        header.msg_name = &sender;
        header.msg_namelen = sizeof(sender);
        header.msg_iov = &vector;
        header.msg_iovlen = 1;
        ssize_t received = ::recvmsg(m_fd.get(), &header, 0);
        if (received < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno(context);
        }
        if (header.msg_flags & MSG_TRUNC)
            return Error::from_errno(EMSGSIZE, "rtnetlink reply longer than the buffer");
        if (sender.nl_pid != 0)
            continue; // only the kernel answers requests; ignore anything else
        bool done = false;
        Result<void> outcome;
        auto visit = [&](const nlmsghdr &message) -> Result<void> {
            if (message.nlmsg_seq != request.nlmsg_seq || message.nlmsg_pid != m_port_id)
                return {}; // a late answer to an earlier request that timed out
            if (message.nlmsg_type == NLMSG_ERROR) {
                auto error = NETDEXT_TRY(parse_error_message(message));
                done = true;
                if (error.error != 0) {
                    m_error_text.assign(error.text);
                    outcome = Error::from_errno(-error.error, context);
                } else if (reply && !got_reply) {
                    outcome = Error::from_errno(EPROTO, "RTM_GETLINK acked without a reply");
                }
                return {};
            }
            if (reply && message.nlmsg_type == RTM_NEWLINK) {
                *reply = NETDEXT_TRY(parse_link_message(message));
                got_reply = true;
            }
            return {};
        };
        auto walked =
            for_each_message(std::span(reinterpret_cast<const std::byte *>(m_buffer.data()),
                                       static_cast<size_t>(received)),
                             visit);
        if (walked.is_error())
            return walked.release_error();
        if (done)
            return outcome;
    }
}

Result<LinkState> RouteSocket::get_link(int ifindex) {
    alignas(nlmsghdr) std::array<char, kRequestBytes> buffer{};
    nlmsghdr *request = mnl_nlmsg_put_header(buffer.data());
    request->nlmsg_type = RTM_GETLINK;
    auto *info = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(request, sizeof(ifinfomsg)));
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = ifindex;
    LinkState state;
    NETDEXT_TRY(transact(*request, "RTM_GETLINK", &state));
    if (state.ifindex != ifindex)
        return Error::from_errno(EPROTO, "RTM_GETLINK answered for another link");
    return state;
}

Result<void> RouteSocket::change_link(int ifindex, unsigned flags, unsigned change,
                                      uint16_t attribute, uint32_t value, const char *context) {
    alignas(nlmsghdr) std::array<char, kRequestBytes> buffer{};
    nlmsghdr *request = mnl_nlmsg_put_header(buffer.data());
    request->nlmsg_type = RTM_NEWLINK;
    auto *info = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(request, sizeof(ifinfomsg)));
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = ifindex;
    info->ifi_flags = flags;
    info->ifi_change = change;
    if (attribute != IFLA_UNSPEC)
        mnl_attr_put_u32(request, attribute, value);
    return transact(*request, context, nullptr);
}

Result<void> RouteSocket::set_mtu(int ifindex, uint32_t mtu) {
    return change_link(ifindex, 0, 0, IFLA_MTU, mtu, "RTM_NEWLINK IFLA_MTU");
}

Result<void> RouteSocket::set_admin_up(int ifindex, bool up) {
    return change_link(ifindex, up ? IFF_UP : 0, IFF_UP, IFLA_UNSPEC, 0, "RTM_NEWLINK IFF_UP");
}

Result<void> RouteSocket::set_gso_max_size(int ifindex, uint32_t bytes) {
    return change_link(ifindex, 0, 0, IFLA_GSO_MAX_SIZE, bytes, "RTM_NEWLINK IFLA_GSO_MAX_SIZE");
}

Result<void> RouteSocket::set_txqueuelen(int ifindex, uint32_t length) {
    return change_link(ifindex, 0, 0, IFLA_TXQLEN, length, "RTM_NEWLINK IFLA_TXQLEN");
}

Result<void> RouteSocket::set_alias(int ifindex, const std::string &alias) {
    // The kernel keeps at most IFALIASZ - 1 bytes (net/core/dev.c dev_set_alias: ERANGE beyond).
    if (alias.size() >= kAliasBytes)
        return Error::from_errno(ERANGE, "RTM_NEWLINK IFLA_IFALIAS");
    alignas(nlmsghdr) std::array<char, kRequestBytes + kAliasBytes> buffer{};
    nlmsghdr *request = mnl_nlmsg_put_header(buffer.data());
    request->nlmsg_type = RTM_NEWLINK;
    auto *info = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(request, sizeof(ifinfomsg)));
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = ifindex;
    mnl_attr_put_strz(request, IFLA_IFALIAS, alias.c_str());
    return transact(*request, "RTM_NEWLINK IFLA_IFALIAS", nullptr);
}

} // namespace netdext::netlink
