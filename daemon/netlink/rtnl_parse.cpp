// Checked rtnetlink parsing. libmnl supplies the attribute accessors and per-type validation
// (mnl_attr_validate); the message and attribute walks are written out here because
// mnl_attr_for_each stops silently at a truncated attribute (we reject such a message rather than
// half-read it) and mnl_nlmsg_ok() mishandles huge nlmsg_len values (see for_each_message).
#include "netlink/rtnl_parse.h"

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace netdext::netlink {
namespace {

Error bad_message(const char *context) {
    return Error::from_errno(EBADMSG, context);
}

size_t align4(size_t length) {
    return (length + 3) & ~size_t{3};
}

const std::byte *bytes_of(const nlmsghdr &message) {
    return reinterpret_cast<const std::byte *>(&message);
}

Result<uint32_t> u32_attribute(const nlattr &attribute, const char *context) {
    if (mnl_attr_validate(&attribute, MNL_TYPE_U32) < 0)
        return bad_message(context);
    return mnl_attr_get_u32(&attribute);
}

} // namespace

Result<void> for_each_message(std::span<const std::byte> datagram,
                              FunctionRef<Result<void>(const nlmsghdr &)> visit) {
    if (reinterpret_cast<uintptr_t>(datagram.data()) % NLMSG_ALIGNTO != 0)
        return Error::from_errno(EINVAL, "netlink buffer not 4-byte aligned");
    size_t offset = 0;
    while (offset < datagram.size()) {
        size_t remaining = datagram.size() - offset;
        if (remaining < sizeof(nlmsghdr))
            return bad_message("netlink datagram: trailing bytes shorter than a header");
        const auto *message = reinterpret_cast<const nlmsghdr *>(datagram.data() + offset);
        // Not mnl_nlmsg_ok(): it compares (int)nlmsg_len, so 0xffffffff passes as -1, and
        // NLMSG_ALIGN(0xffffffff) wraps to 0 — an endless walk. All arithmetic here is size_t.
        size_t length = message->nlmsg_len;
        if (length < sizeof(nlmsghdr) || length > remaining)
            return bad_message("netlink datagram: nlmsg_len outside the datagram");
        NETDEXT_TRY(visit(*message));
        // The last message may omit its alignment padding; never step past the datagram.
        offset += std::min(align4(length), remaining);
    }
    return {};
}

Result<void> for_each_attribute(const nlmsghdr &message, size_t fixed_header_size,
                                FunctionRef<Result<void>(const nlattr &)> visit) {
    size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(fixed_header_size);
    size_t end = message.nlmsg_len;
    if (end < NLMSG_HDRLEN + fixed_header_size)
        return bad_message("netlink message shorter than its fixed header");
    while (offset < end) {
        size_t remaining = end - offset;
        if (remaining < sizeof(nlattr))
            return bad_message("netlink attribute: trailing bytes shorter than a header");
        const auto *attribute = reinterpret_cast<const nlattr *>(bytes_of(message) + offset);
        size_t length = attribute->nla_len;
        if (length < sizeof(nlattr) || length > remaining)
            return bad_message("netlink attribute: nla_len outside the message");
        NETDEXT_TRY(visit(*attribute));
        offset += std::min(align4(length), remaining);
    }
    return {};
}

Result<LinkState> parse_link_message(const nlmsghdr &message, unsigned char *family) {
    if (message.nlmsg_type != RTM_NEWLINK && message.nlmsg_type != RTM_DELLINK)
        return bad_message("link message: not RTM_NEWLINK/RTM_DELLINK");
    if (message.nlmsg_len < NLMSG_HDRLEN + sizeof(ifinfomsg))
        return bad_message("link message: shorter than ifinfomsg");
    ifinfomsg info;
    std::memcpy(&info, bytes_of(message) + NLMSG_HDRLEN, sizeof(info));
    if (info.ifi_index <= 0)
        return bad_message("link message: ifindex not positive");
    if (family)
        *family = info.ifi_family;

    LinkState state;
    state.ifindex = info.ifi_index;
    state.flags = info.ifi_flags;
    auto visit = [&](const nlattr &attribute) -> Result<void> {
        switch (mnl_attr_get_type(&attribute)) {
        case IFLA_IFNAME: {
            if (mnl_attr_validate(&attribute, MNL_TYPE_NUL_STRING) < 0 ||
                mnl_attr_get_payload_len(&attribute) > IFNAMSIZ)
                return bad_message("IFLA_IFNAME: not a NUL-terminated name of at most IFNAMSIZ");
            state.name = mnl_attr_get_str(&attribute);
            break;
        }
        case IFLA_MTU:
            state.mtu = NETDEXT_TRY(u32_attribute(attribute, "IFLA_MTU: not a u32"));
            break;
        case IFLA_TXQLEN:
            state.txqueuelen = NETDEXT_TRY(u32_attribute(attribute, "IFLA_TXQLEN: not a u32"));
            break;
        case IFLA_PROMISCUITY:
            state.promiscuity =
                NETDEXT_TRY(u32_attribute(attribute, "IFLA_PROMISCUITY: not a u32"));
            break;
        case IFLA_ALLMULTI:
            state.allmulti = NETDEXT_TRY(u32_attribute(attribute, "IFLA_ALLMULTI: not a u32"));
            break;
        case IFLA_CARRIER:
            if (mnl_attr_validate(&attribute, MNL_TYPE_U8) < 0)
                return bad_message("IFLA_CARRIER: not a u8");
            state.carrier = mnl_attr_get_u8(&attribute) != 0;
            break;
        case IFLA_ADDRESS: {
            // Links that are not Ethernet have other address lengths; they keep mac unset.
            MacAddress mac;
            if (mnl_attr_get_payload_len(&attribute) == mac.bytes.size()) {
                std::memcpy(mac.bytes.data(), mnl_attr_get_payload(&attribute), mac.bytes.size());
                state.mac = mac;
            }
            break;
        }
        case IFLA_STATS64: {
            // struct rtnl_link_stats64 grows at its end across kernel versions; we keep its
            // first ten counters, whose layout has never changed. memcpy: u64s in a netlink
            // attribute are only 4-byte aligned.
            uint64_t counters[10];
            if (mnl_attr_get_payload_len(&attribute) < sizeof(counters))
                return bad_message("IFLA_STATS64: shorter than the ten base counters");
            std::memcpy(counters, mnl_attr_get_payload(&attribute), sizeof(counters));
            state.stats =
                LinkStats{counters[0], counters[1], counters[2], counters[3], counters[4],
                          counters[5], counters[6], counters[7], counters[8], counters[9]};
            break;
        }
        default:
            break; // newer kernels add attributes; ignoring them is forward compatible
        }
        return {};
    };
    NETDEXT_TRY(for_each_attribute(message, sizeof(ifinfomsg), visit));
    return state;
}

Result<int> parse_multicast_message(const nlmsghdr &message) {
    if (message.nlmsg_type != kRtmNewMulticast && message.nlmsg_type != kRtmDelMulticast)
        return bad_message("multicast message: not RTM_NEWMULTICAST/RTM_DELMULTICAST");
    if (message.nlmsg_len < NLMSG_HDRLEN + sizeof(ifaddrmsg))
        return bad_message("multicast message: shorter than ifaddrmsg");
    ifaddrmsg address;
    std::memcpy(&address, bytes_of(message) + NLMSG_HDRLEN, sizeof(address));
    if (address.ifa_index == 0 || address.ifa_index > INT32_MAX)
        return bad_message("multicast message: ifindex out of range");
    // The attributes (IFA_MULTICAST, IFA_CACHEINFO) are not needed, but must be well formed.
    NETDEXT_TRY(for_each_attribute(message, sizeof(ifaddrmsg),
                                   [](const nlattr &) -> Result<void> { return {}; }));
    return static_cast<int>(address.ifa_index);
}

Result<ErrorMessage> parse_error_message(const nlmsghdr &message) {
    if (message.nlmsg_type != NLMSG_ERROR)
        return bad_message("error message: not NLMSG_ERROR");
    if (message.nlmsg_len < NLMSG_HDRLEN + sizeof(nlmsgerr))
        return bad_message("error message: shorter than nlmsgerr");
    nlmsgerr header;
    std::memcpy(&header, bytes_of(message) + NLMSG_HDRLEN, sizeof(header));
    if (header.error > 0 || header.error < -4095)
        return bad_message("error message: error is not 0 or a negative errno");
    ErrorMessage result{header.error, {}};
    if (!(message.nlmsg_flags & NLM_F_ACK_TLVS))
        return result;
    // The TLVs follow the echoed request: its header only when NLM_F_CAPPED, else all of it.
    size_t echoed = sizeof(nlmsgerr);
    if (!(message.nlmsg_flags & NLM_F_CAPPED)) {
        if (header.msg.nlmsg_len < NLMSG_HDRLEN)
            return bad_message("error message: echoed request shorter than a header");
        echoed += header.msg.nlmsg_len - NLMSG_HDRLEN;
    }
    if (echoed > message.nlmsg_len - NLMSG_HDRLEN)
        return bad_message("error message: echoed request longer than the message");
    auto visit = [&](const nlattr &attribute) -> Result<void> {
        if (mnl_attr_get_type(&attribute) == NLMSGERR_ATTR_MSG) {
            if (mnl_attr_validate(&attribute, MNL_TYPE_NUL_STRING) < 0)
                return bad_message("NLMSGERR_ATTR_MSG: not a NUL-terminated string");
            result.text = mnl_attr_get_str(&attribute);
        }
        return {};
    };
    NETDEXT_TRY(for_each_attribute(message, echoed, visit));
    return result;
}

size_t parse_dev_mcast(std::string_view text, FunctionRef<void(int, const MacAddress &)> visit) {
    size_t skipped = 0;
    while (!text.empty()) {
        size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (line.empty())
            continue;
        // Five whitespace-separated fields; interface names cannot contain whitespace.
        std::string_view fields[5];
        size_t count = 0;
        size_t pos = 0;
        while (pos < line.size()) {
            while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
                ++pos;
            if (pos == line.size())
                break;
            size_t end = pos;
            while (end < line.size() && line[end] != ' ' && line[end] != '\t')
                ++end;
            if (count == std::size(fields)) {
                count = std::size(fields) + 1; // too many fields
                break;
            }
            fields[count++] = line.substr(pos, end - pos);
            pos = end;
        }
        int ifindex = 0;
        auto [end, status] =
            std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), ifindex);
        std::optional<MacAddress> mac;
        if (count == std::size(fields))
            mac = MacAddress::parse(fields[4]);
        if (count != std::size(fields) || status != std::errc() ||
            end != fields[0].data() + fields[0].size() || ifindex <= 0 || !mac) {
            ++skipped;
            continue;
        }
        visit(ifindex, *mac);
    }
    return skipped;
}

} // namespace netdext::netlink
