// The rtnetlink parser against well-formed and malformed input: every length is checked, nothing
// is read outside the buffer (run under -DNETDEXT_SANITIZE=ON to have ASan prove the latter).
#include "netlink/rtnl_parse.h"

#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <array>
#include <cstring>
#include <random>
#include <vector>

namespace netdext::netlink {
namespace {

// A 4-byte-aligned datagram under construction.
struct Datagram {
    alignas(8) std::array<std::byte, 8192> bytes{};
    size_t size = 0;

    nlmsghdr *begin(uint16_t type) {
        auto *message = mnl_nlmsg_put_header(bytes.data() + size);
        message->nlmsg_type = type;
        return message;
    }
    void end(const nlmsghdr *message) { size += NLMSG_ALIGN(message->nlmsg_len); }
    [[nodiscard]] std::span<const std::byte> span() const { return {bytes.data(), size}; }
    nlmsghdr *first() { return reinterpret_cast<nlmsghdr *>(bytes.data()); }
};

nlmsghdr *begin_link(Datagram &datagram, int ifindex, unsigned flags = IFF_UP,
                     uint16_t type = RTM_NEWLINK) {
    nlmsghdr *message = datagram.begin(type);
    auto *info = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(message, sizeof(ifinfomsg)));
    info->ifi_family = AF_UNSPEC;
    info->ifi_index = ifindex;
    info->ifi_flags = flags;
    return message;
}

// A message like the kernel's RTM_NEWLINK for a TAP.
void put_full_link(Datagram &datagram, int ifindex) {
    nlmsghdr *message = begin_link(datagram, ifindex, IFF_UP | IFF_BROADCAST | IFF_MULTICAST);
    mnl_attr_put_strz(message, IFLA_IFNAME, "en0");
    mnl_attr_put_u32(message, IFLA_MTU, 1400);
    mnl_attr_put_u32(message, IFLA_TXQLEN, 500);
    const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    mnl_attr_put(message, IFLA_ADDRESS, sizeof(mac), mac);
    mnl_attr_put_u32(message, IFLA_PROMISCUITY, 1);
    mnl_attr_put_u32(message, IFLA_ALLMULTI, 0);
    mnl_attr_put_u8(message, IFLA_CARRIER, 1);
    rtnl_link_stats64 stats{};
    stats.rx_packets = 7;
    stats.tx_packets = 9;
    stats.rx_bytes = 700;
    stats.tx_dropped = 3;
    mnl_attr_put(message, IFLA_STATS64, sizeof(stats), &stats);
    mnl_attr_put_u32(message, 0x3ff0, 42); // an attribute from a future kernel
    datagram.end(message);
}

Result<LinkState> parse_single_link(std::span<const std::byte> bytes) {
    std::optional<Result<LinkState>> parsed;
    auto walked = for_each_message(bytes, [&](const nlmsghdr &message) -> Result<void> {
        parsed = parse_link_message(message);
        return {};
    });
    if (walked.is_error())
        return walked.release_error();
    if (!parsed)
        return Error::from_errno(ENOMSG, "no message");
    return *parsed;
}

void expect_bad_message(const Result<LinkState> &result, const char *what) {
    ASSERT_TRUE(result.is_error()) << what;
    EXPECT_TRUE(result.error().is(EBADMSG)) << what << ": " << result.error().describe();
}

TEST(RtnlParse, FullLinkMessage) {
    Datagram datagram;
    put_full_link(datagram, 5);
    auto state = parse_single_link(datagram.span());
    ASSERT_FALSE(state.is_error()) << state.error().describe();
    EXPECT_EQ(state.value().ifindex, 5);
    EXPECT_EQ(state.value().name, "en0");
    EXPECT_EQ(state.value().mtu, 1400u);
    EXPECT_EQ(state.value().txqueuelen, 500u);
    ASSERT_TRUE(state.value().mac);
    EXPECT_EQ(state.value().mac->to_string(), "02:11:22:33:44:55");
    EXPECT_TRUE(state.value().admin_up());
    // Promiscuous by the counter although IFF_PROMISC is not in ifi_flags (packet socket case).
    EXPECT_TRUE(state.value().promiscuous());
    EXPECT_FALSE(state.value().all_multicast());
    EXPECT_EQ(state.value().carrier, true);
    ASSERT_TRUE(state.value().stats);
    EXPECT_EQ(state.value().stats->rx_packets, 7u);
    EXPECT_EQ(state.value().stats->tx_packets, 9u);
    EXPECT_EQ(state.value().stats->rx_bytes, 700u);
    EXPECT_EQ(state.value().stats->tx_dropped, 3u);
}

TEST(RtnlParse, SeveralMessagesAndAnUnpaddedLastOne) {
    Datagram datagram;
    put_full_link(datagram, 1);
    put_full_link(datagram, 2);
    nlmsghdr *last = begin_link(datagram, 3);
    mnl_attr_put_u8(last, IFLA_CARRIER, 0); // 5-byte attribute, 3 bytes of padding
    datagram.end(last);
    last->nlmsg_len -= 3; // the padding is not counted in nlmsg_len …
    datagram.size -= 3;   // … and not even sent
    std::vector<int> seen;
    auto walked = for_each_message(datagram.span(), [&](const nlmsghdr &message) -> Result<void> {
        seen.push_back(NETDEXT_TRY(parse_link_message(message)).ifindex);
        return {};
    });
    ASSERT_FALSE(walked.is_error()) << walked.error().describe();
    EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST(RtnlParse, RejectsMalformedDatagrams) {
    Datagram good;
    put_full_link(good, 4);
    int visits = 0;
    auto count = [&](const nlmsghdr &) -> Result<void> {
        ++visits;
        return {};
    };
    EXPECT_FALSE(for_each_message({}, count).is_error()); // empty: nothing to do

    auto shorter_than_header = for_each_message(good.span().first(15), count);
    EXPECT_TRUE(shorter_than_header.is_error() && shorter_than_header.error().is(EBADMSG));

    auto cut = for_each_message(good.span().first(good.size - 4), count);
    EXPECT_TRUE(cut.is_error() && cut.error().is(EBADMSG)) << "nlmsg_len beyond the datagram";

    Datagram tiny_length = good;
    tiny_length.first()->nlmsg_len = 8;
    auto tiny = for_each_message(tiny_length.span(), count);
    EXPECT_TRUE(tiny.is_error() && tiny.error().is(EBADMSG)) << "nlmsg_len below a header";

    Datagram huge_length = good;
    huge_length.first()->nlmsg_len = 0xffffffff;
    auto huge = for_each_message(huge_length.span(), count);
    EXPECT_TRUE(huge.is_error() && huge.error().is(EBADMSG));

    auto misaligned = for_each_message(std::span(good.bytes.data() + 1, good.size), count);
    EXPECT_TRUE(misaligned.is_error() && misaligned.error().is(EINVAL));
    EXPECT_EQ(visits, 0);

    Datagram second_cut;
    put_full_link(second_cut, 1);
    put_full_link(second_cut, 2);
    auto half = for_each_message(second_cut.span().first(second_cut.size - 8), count);
    EXPECT_TRUE(half.is_error() && half.error().is(EBADMSG));
    EXPECT_EQ(visits, 1) << "the good first message is still visited";
}

TEST(RtnlParse, RejectsMalformedLinkMessages) {
    {
        Datagram datagram;
        nlmsghdr *message = datagram.begin(RTM_NEWLINK);
        mnl_nlmsg_put_extra_header(message, sizeof(ifinfomsg) - 4);
        datagram.end(message);
        expect_bad_message(parse_single_link(datagram.span()), "payload shorter than ifinfomsg");
    }
    {
        Datagram datagram;
        datagram.end(begin_link(datagram, 0));
        expect_bad_message(parse_single_link(datagram.span()), "ifindex 0");
    }
    {
        Datagram datagram;
        datagram.end(begin_link(datagram, -3));
        expect_bad_message(parse_single_link(datagram.span()), "negative ifindex");
    }
    {
        Datagram datagram;
        datagram.end(begin_link(datagram, 1, 0, RTM_NEWADDR));
        expect_bad_message(parse_single_link(datagram.span()), "not a link message");
    }
    struct Case {
        const char *what;
        uint16_t type;
        std::vector<uint8_t> payload;
    };
    const std::vector<Case> wrong_sizes = {
        {"IFLA_MTU of 2 bytes", IFLA_MTU, {1, 2}},
        {"IFLA_MTU of 8 bytes", IFLA_MTU, {1, 2, 3, 4, 5, 6, 7, 8}},
        {"IFLA_TXQLEN of 0 bytes", IFLA_TXQLEN, {}},
        {"IFLA_PROMISCUITY of 1 byte", IFLA_PROMISCUITY, {1}},
        {"IFLA_ALLMULTI of 3 bytes", IFLA_ALLMULTI, {1, 0, 0}},
        {"IFLA_CARRIER of 4 bytes", IFLA_CARRIER, {1, 0, 0, 0}},
        {"IFLA_IFNAME without NUL", IFLA_IFNAME, {'e', 'n', '0'}},
        {"IFLA_IFNAME empty", IFLA_IFNAME, {}},
        {"IFLA_IFNAME longer than IFNAMSIZ", IFLA_IFNAME,
         std::vector<uint8_t>(std::initializer_list<uint8_t>{'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
                                                             'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
                                                             'a', 'a', 0})},
        {"IFLA_STATS64 of 8 bytes", IFLA_STATS64, {1, 0, 0, 0, 0, 0, 0, 0}},
    };
    for (const Case &bad : wrong_sizes) {
        Datagram datagram;
        nlmsghdr *message = begin_link(datagram, 1);
        mnl_attr_put(message, bad.type, bad.payload.size(), bad.payload.data());
        datagram.end(message);
        expect_bad_message(parse_single_link(datagram.span()), bad.what);
    }
    {
        Datagram datagram;
        nlmsghdr *message = begin_link(datagram, 1);
        mnl_attr_put_u32(message, IFLA_MTU, 1500);
        datagram.end(message);
        auto *attribute =
            reinterpret_cast<nlattr *>(datagram.bytes.data() + NLMSG_HDRLEN + sizeof(ifinfomsg));
        attribute->nla_len = 2;
        expect_bad_message(parse_single_link(datagram.span()), "nla_len below an attribute header");
        attribute->nla_len = 64;
        expect_bad_message(parse_single_link(datagram.span()), "nla_len beyond the message");
    }
    {
        Datagram datagram;
        nlmsghdr *message = begin_link(datagram, 1);
        mnl_attr_put_u32(message, IFLA_MTU, 1500);
        message->nlmsg_len += 2; // two stray bytes after the last attribute
        datagram.end(message);
        expect_bad_message(parse_single_link(datagram.span()), "trailing bytes");
    }
}

TEST(RtnlParse, OddAddressLengthsAreNotEthernetNotErrors) {
    Datagram datagram;
    nlmsghdr *message = begin_link(datagram, 9);
    const uint8_t infiniband[20] = {};
    mnl_attr_put(message, IFLA_ADDRESS, sizeof(infiniband), infiniband);
    datagram.end(message);
    auto state = parse_single_link(datagram.span());
    ASSERT_FALSE(state.is_error()) << state.error().describe();
    EXPECT_FALSE(state.value().mac);
}

TEST(RtnlParse, MulticastMessages) {
    auto parse = [](Datagram &datagram) {
        std::optional<Result<int>> parsed;
        auto walked = for_each_message(datagram.span(), [&](const nlmsghdr &m) -> Result<void> {
            parsed = parse_multicast_message(m);
            return {};
        });
        EXPECT_FALSE(walked.is_error());
        return parsed.value_or(Error::from_errno(ENOMSG, "none"));
    };
    Datagram good;
    nlmsghdr *message = good.begin(kRtmNewMulticast);
    auto *address =
        static_cast<ifaddrmsg *>(mnl_nlmsg_put_extra_header(message, sizeof(ifaddrmsg)));
    address->ifa_family = AF_INET;
    address->ifa_index = 12;
    uint32_t group = 0x030201ef;
    mnl_attr_put_u32(message, IFA_MULTICAST, group);
    good.end(message);
    auto index = parse(good);
    ASSERT_FALSE(index.is_error()) << index.error().describe();
    EXPECT_EQ(index.value(), 12);

    Datagram short_payload;
    nlmsghdr *cut = short_payload.begin(kRtmDelMulticast);
    mnl_nlmsg_put_extra_header(cut, 4);
    short_payload.end(cut);
    EXPECT_TRUE(parse(short_payload).is_error());

    address->ifa_index = 0;
    EXPECT_TRUE(parse(good).is_error());
    address->ifa_index = 0x80000000u;
    EXPECT_TRUE(parse(good).is_error());
}

TEST(RtnlParse, ErrorMessagesWithAndWithoutExtendedAck) {
    auto parse = [](Datagram &datagram) {
        std::optional<Result<ErrorMessage>> parsed;
        auto walked = for_each_message(datagram.span(), [&](const nlmsghdr &m) -> Result<void> {
            parsed = parse_error_message(m);
            return {};
        });
        EXPECT_FALSE(walked.is_error());
        return parsed.value_or(Error::from_errno(ENOMSG, "none"));
    };
    Datagram ack;
    nlmsghdr *message = ack.begin(NLMSG_ERROR);
    auto *error = static_cast<nlmsgerr *>(mnl_nlmsg_put_extra_header(message, sizeof(nlmsgerr)));
    error->error = 0;
    error->msg.nlmsg_len = NLMSG_HDRLEN;
    ack.end(message);
    auto parsed_ack = parse(ack);
    ASSERT_FALSE(parsed_ack.is_error());
    EXPECT_EQ(parsed_ack.value().error, 0);

    Datagram refused;
    message = refused.begin(NLMSG_ERROR);
    message->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
    error = static_cast<nlmsgerr *>(mnl_nlmsg_put_extra_header(message, sizeof(nlmsgerr)));
    error->error = -EINVAL;
    error->msg.nlmsg_len = 64; // capped: the echoed request is only its header
    mnl_attr_put_strz(message, NLMSGERR_ATTR_MSG, "mtu greater than device maximum");
    refused.end(message);
    auto parsed_refusal = parse(refused);
    ASSERT_FALSE(parsed_refusal.is_error()) << parsed_refusal.error().describe();
    EXPECT_EQ(parsed_refusal.value().error, -EINVAL);
    EXPECT_EQ(parsed_refusal.value().text, "mtu greater than device maximum");

    message->nlmsg_flags = NLM_F_ACK_TLVS; // not capped: claims a 64-byte echo that is not there
    EXPECT_TRUE(parse(refused).is_error());
    message->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
    error->error = 5;
    EXPECT_TRUE(parse(refused).is_error()) << "positive error";

    Datagram short_error;
    message = short_error.begin(NLMSG_ERROR);
    mnl_nlmsg_put_extra_header(message, 4);
    short_error.end(message);
    EXPECT_TRUE(parse(short_error).is_error());
}

TEST(RtnlParse, DevMcastLines) {
    const char *text = "2    en0             1     0     333300000001\n"
                       "2    en0             1     1     01005e010203\n"
                       "3    en1             2     0     01005E0000FB\n"
                       "garbage\n"
                       "x    en0             1     0     01005e010204\n"
                       "0    en0             1     0     01005e010205\n"
                       "4    ib0             1     0     00ffffffff12401bffff0000000000000001\n"
                       "2    en0             1     0     01005e01020\n"
                       "2    en0             1     0     01005e0102zz\n"
                       "2    en0             1     0     01005e010206 extra\n"
                       "5    en5             1     0     01005e0000fc"; // no final newline
    std::vector<std::pair<int, std::string>> seen;
    size_t skipped = parse_dev_mcast(text, [&](int ifindex, const MacAddress &mac) {
        seen.emplace_back(ifindex, mac.to_string());
    });
    EXPECT_EQ(skipped, 7u);
    EXPECT_EQ(seen, (std::vector<std::pair<int, std::string>>{{2, "33:33:00:00:00:01"},
                                                              {2, "01:00:5e:01:02:03"},
                                                              {3, "01:00:5e:00:00:fb"},
                                                              {5, "01:00:5e:00:00:fc"}}));
    EXPECT_EQ(parse_dev_mcast("", [](int, const MacAddress &) { FAIL(); }), 0u);
}

// Random corruption of valid datagrams: whatever the bytes say, the parser answers with a value
// or EBADMSG and never reads outside the buffer (ASan checks the latter in sanitizer builds).
TEST(RtnlParse, SurvivesRandomCorruption) {
    std::mt19937 random(20240601);
    Datagram pristine;
    put_full_link(pristine, 1);
    put_full_link(pristine, 2);
    size_t accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        Datagram datagram = pristine;
        int flips = 1 + static_cast<int>(random() % 8);
        for (int i = 0; i < flips; ++i)
            datagram.bytes[random() % pristine.size] = static_cast<std::byte>(random());
        size_t length = (random() % 4 == 0) ? random() % (pristine.size + 1) : pristine.size;
        // Copy exactly `length` bytes to a heap block of that size so ASan sees any overrun.
        std::vector<uint32_t> exact((length + 3) / 4);
        if (length > 0)
            std::memcpy(exact.data(), datagram.bytes.data(), length);
        auto walked =
            for_each_message(std::span(reinterpret_cast<const std::byte *>(exact.data()), length),
                             [&](const nlmsghdr &message) -> Result<void> {
                                 (void)parse_link_message(message);
                                 (void)parse_multicast_message(message);
                                 (void)parse_error_message(message);
                                 return {};
                             });
        accepted += walked.is_error() ? 0 : 1;
    }
    EXPECT_GT(accepted, 0u);
}

} // namespace
} // namespace netdext::netlink
