// Checked parsing of rtnetlink messages and of /proc/net/dev_mcast. Pure functions over byte
// buffers: no sockets, so the unit tests feed them hand-made and malformed input.
//
// Trust: everything parsed here comes from outside the daemon. Every length is checked before
// the bytes it covers are read; a message that breaks a rule is rejected whole with EBADMSG.
// A `const nlmsghdr &` handed out by for_each_message() is guaranteed to have nlmsg_len readable,
// 4-byte-aligned bytes; the parse_* functions rely on that and check everything inside.
#pragma once

#include "common/function_ref.h"
#include "common/mac_address.h"
#include "common/result.h"
#include "netlink/link_state.h"

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace netdext::netlink {

// Linux 6.13 uapi (RTM_GETMULTICAST - 2 and - 1); older headers lack them.
inline constexpr uint16_t kRtmNewMulticast = 56; // RTM_NEWMULTICAST
inline constexpr uint16_t kRtmDelMulticast = 57; // RTM_DELMULTICAST

// Calls `visit` for each message in a datagram read from a netlink socket. The buffer must start
// on a 4-byte boundary (NLMSG_ALIGNTO); a misaligned buffer, a header that does not fit, or a
// nlmsg_len outside [header, remaining bytes] is EBADMSG. Messages before the bad one have
// already been visited. A visitor error stops the walk and is returned.
Result<void> for_each_message(std::span<const std::byte> datagram,
                              FunctionRef<Result<void>(const nlmsghdr &)> visit);

// Calls `visit` for each attribute after the message's fixed header of `fixed_header_size` bytes
// (ifinfomsg, ifaddrmsg…). Every attribute must lie inside nlmsg_len; trailing bytes that do not
// form an attribute are EBADMSG (as the kernel's own NL_VALIDATE_TRAILING).
Result<void> for_each_attribute(const nlmsghdr &message, size_t fixed_header_size,
                                FunctionRef<Result<void>(const nlattr &)> visit);

// RTM_NEWLINK / RTM_DELLINK. Known attributes must have their documented size (IFLA_MTU is a
// u32, IFLA_IFNAME a NUL-terminated string shorter than IFNAMSIZ, IFLA_STATS64 at least the ten
// counters LinkStats keeps…); unknown attributes are skipped. `family` receives ifi_family:
// AF_BRIDGE messages describe bridge ports, not the link itself.
Result<LinkState> parse_link_message(const nlmsghdr &message, unsigned char *family = nullptr);

// kRtmNewMulticast / kRtmDelMulticast (IPv4/IPv6 group joins, Linux 6.13+): the ifindex.
Result<int> parse_multicast_message(const nlmsghdr &message);

// NLMSG_ERROR: the (negative errno or 0) error field, and the extended-ack text if the message
// carries one (NETLINK_EXT_ACK). `text` points into `message`.
struct ErrorMessage {
    int error = 0;
    std::string_view text;
};
Result<ErrorMessage> parse_error_message(const nlmsghdr &message);

// /proc/net/dev_mcast: one line per link-layer multicast address,
// "ifindex name users global hexaddr" (net/core/dev_addr_lists.c, dev_mc_seq_show()).
// Calls `visit` for each well-formed line with a 6-byte address; returns how many lines were
// skipped as malformed or not Ethernet.
size_t parse_dev_mcast(std::string_view text, FunctionRef<void(int, const MacAddress &)> visit);

} // namespace netdext::netlink
