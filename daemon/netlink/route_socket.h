// RouteSocket: the daemon's synchronous rtnetlink requests — read a link (RTM_GETLINK) and change
// its MTU, admin state or queue length (RTM_NEWLINK). LinkWatcher (link_watcher.h) is the
// asynchronous, event side.
//
// Why libmnl: it is the smallest library that does netlink properly — a few KB, no allocation,
// no hidden state, no object cache, no threads — so buffers and sockets stay ours (UniqueFd,
// fixed buffers) while message building (mnl_nlmsg_put_*, mnl_attr_put_*) and per-attribute
// validation (mnl_attr_validate) are not hand-rolled NLMSG_*/RTA_* arithmetic. libnl-3 would bring
// a caching object model and per-message allocation we would only have to work around; iproute2's
// libnetlink is not a public library.
//
// Namespaces: a netlink socket belongs to the network namespace of the thread that creates it.
// create() must run on a thread inside the namespace whose links it will touch; afterwards any
// one thread at a time may use the socket, from any namespace.
// Threads: not thread-safe; one caller at a time.
#pragma once

#include "common/result.h"
#include "common/unique_fd.h"
#include "netlink/link_state.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

struct nlmsghdr;

namespace netdext::netlink {

class RouteSocket {
public:
    static Result<RouteSocket> create();

    // RTM_GETLINK: flags, MTU, MAC, promiscuity, IFLA_STATS64 counters… ENODEV if no such link.
    Result<LinkState> get_link(int ifindex);
    // RTM_NEWLINK with IFLA_MTU. The kernel refuses values outside [min_mtu, max_mtu] (EINVAL).
    Result<void> set_mtu(int ifindex, uint32_t mtu);
    // RTM_NEWLINK changing IFF_UP only (`ip link set … up|down`).
    Result<void> set_admin_up(int ifindex, bool up);
    // RTM_NEWLINK with IFLA_GSO_MAX_SIZE: the largest GSO packet the stack hands the link
    // (`ip link set … gso_max_size`; EINVAL above its tso_max_size, 64 KiB for a TAP).
    Result<void> set_gso_max_size(int ifindex, uint32_t bytes);
    // RTM_NEWLINK with IFLA_TXQLEN.
    Result<void> set_txqueuelen(int ifindex, uint32_t length);
    // RTM_NEWLINK with IFLA_IFALIAS: the text `ip -d link` shows as "alias" (at most
    // IFALIASZ - 1 bytes; ERANGE beyond). An empty text removes it.
    Result<void> set_alias(int ifindex, const std::string &alias);

    // The kernel's extended-ack text for the last refused request ("" when it gave none), e.g.
    // "mtu greater than device maximum". Valid until the next request.
    [[nodiscard]] const std::string &last_error_text() const { return m_error_text; }

private:
    RouteSocket(UniqueFd fd, uint32_t port_id)
        : m_fd(std::move(fd)), m_port_id(port_id), m_buffer(kBufferWords) {}

    // Sends `request` (NLM_F_REQUEST|NLM_F_ACK are added) and reads until its ACK or error.
    // If `reply` is given, the RTM_NEWLINK answering the request is parsed into it.
    Result<void> transact(nlmsghdr &request, const char *context, LinkState *reply);
    Result<void> change_link(int ifindex, unsigned flags, unsigned change, uint16_t attribute,
                             uint32_t value, const char *context);

    // 32 KiB holds any single RTM_NEWLINK; a longer datagram is reported, not half-parsed.
    static constexpr size_t kBufferWords = 8192;

    UniqueFd m_fd;
    uint32_t m_port_id = 0;
    uint32_t m_sequence = 0;
    std::vector<uint32_t> m_buffer; // uint32_t: netlink messages need 4-byte alignment
    std::string m_error_text;
};

} // namespace netdext::netlink
