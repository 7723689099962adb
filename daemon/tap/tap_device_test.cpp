// TapDevice against the real kernel, inside a namespace each test creates and removes (root).
#include "tap/tap_device.h"

#include "netlink/route_socket.h"
#include "netns/scoped_netns.h"
#include "support/wait_until.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

namespace netdext::tap {
namespace {

using netdext::testing::ScopedNetns;
using netdext::testing::wait_until;
using namespace std::chrono_literals;

constexpr uint16_t kTestEtherType = 0x88b5; // IEEE 802 "local experimental" EtherType
const MacAddress kPeerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

// An Ethernet frame of kTestEtherType whose payload starts with `sequence`.
std::vector<std::byte> make_frame(const MacAddress &destination, uint32_t sequence,
                                  size_t length = 60) {
    std::vector<std::byte> frame(length);
    std::memcpy(frame.data(), destination.bytes.data(), 6);
    std::memcpy(frame.data() + 6, kPeerMac.bytes.data(), 6);
    uint16_t type = htons(kTestEtherType);
    std::memcpy(frame.data() + 12, &type, 2);
    std::memcpy(frame.data() + 14, &sequence, sizeof(sequence));
    return frame;
}

size_t count_of(const Result<size_t> &result) {
    return result.is_error() ? 0 : result.value();
}

uint16_t ether_type_of(std::span<const std::byte> frame) {
    uint16_t type = 0;
    if (frame.size() >= 14)
        std::memcpy(&type, frame.data() + 12, 2);
    return ntohs(type);
}

// An AF_PACKET socket on one interface, for kTestEtherType: sees what the stack receives, and
// sends frames out through the interface (i.e. into the TAP).
struct PacketSocket {
    UniqueFd fd;
    int ifindex = 0;

    static PacketSocket open(int ifindex) {
        PacketSocket socket_;
        socket_.ifindex = ifindex;
        socket_.fd.reset(
            ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(kTestEtherType)));
        EXPECT_TRUE(socket_.fd.is_valid()) << std::strerror(errno);
        sockaddr_ll address{};
        address.sll_family = AF_PACKET;
        address.sll_protocol = htons(kTestEtherType);
        address.sll_ifindex = ifindex;
        EXPECT_EQ(::bind(socket_.fd.get(), reinterpret_cast<sockaddr *>(&address), sizeof(address)),
                  0)
            << std::strerror(errno);
        return socket_;
    }
    // Appends the sequence numbers of received frames.
    void receive(std::vector<uint32_t> &sequences) {
        std::array<std::byte, 2048> buffer;
        sockaddr_ll from{};
        socklen_t from_length = sizeof(from);
        for (;;) {
            ssize_t got = ::recvfrom(fd.get(), buffer.data(), buffer.size(), 0,
                                     reinterpret_cast<sockaddr *>(&from), &from_length);
            if (got < 0)
                return;
            if (from.sll_pkttype == PACKET_OUTGOING || got < 18)
                continue;
            uint32_t sequence = 0;
            std::memcpy(&sequence, buffer.data() + 14, sizeof(sequence));
            sequences.push_back(sequence);
        }
    }
    bool send(std::span<const std::byte> frame) {
        return ::send(fd.get(), frame.data(), frame.size(), 0) ==
               static_cast<ssize_t>(frame.size());
    }
};

class TapDeviceTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (network namespaces, /dev/net/tun)";
        auto netns = ScopedNetns::create();
        ASSERT_FALSE(netns.is_error()) << netns.error().describe();
        m_netns.emplace(netns.release_value());
    }

    Result<TapDevice> create_tap(const char *pattern) {
        return m_netns->run([&] { return TapDevice::create(pattern); });
    }
    TapDevice must_create_tap(const char *pattern) {
        auto tap = create_tap(pattern);
        if (tap.is_error())
            ADD_FAILURE() << tap.error().describe();
        return tap.release_value();
    }
    netlink::RouteSocket route() {
        return m_netns->run([] { return netlink::RouteSocket::create(); }).release_value();
    }
    std::string sh(const std::string &command) {
        auto result = m_netns->sh(command);
        EXPECT_TRUE(result.ok()) << command << ": " << result.output;
        return result.output;
    }
    bool link_exists(const std::string &name) { return m_netns->sh("ip link show " + name).ok(); }

    std::optional<ScopedNetns> m_netns; // declared first: outlives every TAP of the test
};

// The frame paths, one frame per syscall and in io_uring batches (Options::batched_io).
class TapFramesTest : public TapDeviceTest, public ::testing::WithParamInterface<bool> {
protected:
    TapDevice must_create_tap(const char *pattern) {
        TapDevice::Options options;
        options.batched_io = GetParam();
        auto tap = m_netns->run([&] { return TapDevice::create(pattern, options); });
        if (tap.is_error())
            ADD_FAILURE() << tap.error().describe();
        return tap.release_value();
    }
    // False (the test is skipped) where the kernel refuses io_uring.
    bool io_as_asked(const TapDevice &tap) {
        if (GetParam() && !tap.batched_io()) {
            std::printf("skipped: %s\n", tap.batched_io_note().c_str());
            return false;
        }
        EXPECT_EQ(tap.batched_io(), GetParam());
        return true;
    }
};

TEST_F(TapDeviceTest, PicksTheLowestFreeUnit) {
    std::optional<TapDevice> first(must_create_tap("en%d"));
    TapDevice second = must_create_tap("en%d");
    EXPECT_EQ(first->name(), "en0");
    EXPECT_EQ(second.name(), "en1");
    EXPECT_NE(first->ifindex(), second.ifindex());
    EXPECT_TRUE(link_exists("en0"));

    first.reset(); // closing a non-persistent TAP deletes its interface
    ASSERT_TRUE(wait_until([&] { return !link_exists("en0"); }, 5s));
    TapDevice third = must_create_tap("en%d");
    EXPECT_EQ(third.name(), "en0");
    TapDevice fourth = must_create_tap("en%d");
    EXPECT_EQ(fourth.name(), "en2");
}

TEST_F(TapDeviceTest, PrefixIsConfigurableAndFullNamesAreExclusive) {
    TapDevice custom = must_create_tap("dext%d");
    EXPECT_EQ(custom.name(), "dext0");
    TapDevice fixed = must_create_tap("nd7");
    EXPECT_EQ(fixed.name(), "nd7");
    auto taken = create_tap("nd7");
    ASSERT_TRUE(taken.is_error());
    EXPECT_TRUE(taken.error().is(EBUSY)) << taken.error().describe();
    // The interface really is a TAP: Ethernet link type, no packet-information header.
    EXPECT_NE(sh("ip -d link show dext0").find("tun type tap"), std::string::npos);
}

TEST_F(TapDeviceTest, MacMtuQueueLengthAndCarrierAreVisibleToTheStack) {
    TapDevice tap = must_create_tap("en%d");
    const MacAddress mac{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}};
    ASSERT_FALSE(tap.set_mac(mac).is_error());
    ASSERT_FALSE(tap.set_mtu(1400).is_error());
    ASSERT_FALSE(tap.set_txqueuelen(321).is_error());
    sh("ip link set en0 up");
    ASSERT_FALSE(tap.set_carrier(false).is_error());

    EXPECT_EQ(sh("cat /sys/class/net/en0/address"), "02:aa:bb:cc:dd:01\n");
    EXPECT_EQ(sh("cat /sys/class/net/en0/mtu"), "1400\n");
    EXPECT_EQ(sh("cat /sys/class/net/en0/tx_queue_len"), "321\n");
    EXPECT_EQ(sh("cat /sys/class/net/en0/carrier"), "0\n");
    EXPECT_NE(sh("ip link show en0").find("NO-CARRIER"), std::string::npos);

    ASSERT_FALSE(tap.set_carrier(true).is_error());
    EXPECT_EQ(sh("cat /sys/class/net/en0/carrier"), "1\n");
    EXPECT_NE(sh("ip link show en0").find("LOWER_UP"), std::string::npos);

    auto rtnl = route();
    auto state = rtnl.get_link(tap.ifindex());
    ASSERT_FALSE(state.is_error()) << state.error().describe();
    EXPECT_EQ(state.value().name, "en0");
    EXPECT_EQ(state.value().mtu, 1400u);
    EXPECT_EQ(state.value().txqueuelen, 321u);
    EXPECT_EQ(state.value().mac, mac);
    EXPECT_EQ(state.value().carrier, true);

    // Ioctls follow the interface across a rename by the administrator.
    sh("ip link set en0 down && ip link set en0 name renamed0");
    ASSERT_FALSE(tap.set_mtu(1300).is_error());
    EXPECT_EQ(sh("cat /sys/class/net/renamed0/mtu"), "1300\n");

    auto too_big = tap.set_mtu(70000);
    ASSERT_TRUE(too_big.is_error());
    EXPECT_TRUE(too_big.error().is(EINVAL));
    auto multicast = tap.set_mac(MacAddress{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}});
    ASSERT_TRUE(multicast.is_error());
    EXPECT_TRUE(multicast.error().is(EADDRNOTAVAIL)) << multicast.error().describe();
}

TEST_P(TapFramesTest, FramesWrittenToTheTapReachTheStack) {
    TapDevice tap = must_create_tap("en%d");
    if (!io_as_asked(tap))
        GTEST_SKIP() << tap.batched_io_note();
    const MacAddress mac{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02}};
    ASSERT_FALSE(tap.set_mac(mac).is_error());
    sh("sysctl -qw net.ipv6.conf.en0.disable_ipv6=1 && ip link set en0 up");
    PacketSocket capture = m_netns->run([&] { return PacketSocket::open(tap.ifindex()); });
    auto rtnl = route();
    auto before = tap.read_stats(rtnl);
    ASSERT_FALSE(before.is_error()) << before.error().describe();

    ASSERT_FALSE(tap.write_frame(make_frame(mac, 0)).is_error());
    std::vector<std::vector<std::byte>> storage;
    std::vector<ConstFrame> batch;
    for (uint32_t i = 1; i <= 32; ++i)
        storage.push_back(make_frame(i % 2 ? mac : MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
                                     i, 60 + i * 40));
    for (auto &frame : storage)
        batch.push_back({frame.data(), static_cast<uint32_t>(frame.size())});
    auto written = tap.write_frames(batch);
    ASSERT_FALSE(written.is_error()) << written.error().describe();
    EXPECT_EQ(written.value(), 32u);

    std::vector<uint32_t> received;
    ASSERT_TRUE(wait_until(
        [&] {
            capture.receive(received);
            return received.size() >= 33;
        },
        5s))
        << received.size();
    std::vector<uint32_t> expected(33);
    for (uint32_t i = 0; i < 33; ++i)
        expected[i] = i;
    EXPECT_EQ(received, expected);

    auto after = tap.read_stats(rtnl);
    ASSERT_FALSE(after.is_error());
    EXPECT_EQ(after.value().rx_packets - before.value().rx_packets, 33u); // `ip -s link` agrees
    EXPECT_EQ(tap.counters().tx_rejected.load(), 0u);

    // A runt is refused by the kernel: dropped and counted, the batch goes on.
    std::array<std::byte, 5> runt{};
    auto good = make_frame(mac, 99);
    std::array<ConstFrame, 2> mixed{
        {{runt.data(), runt.size()}, {good.data(), static_cast<uint32_t>(good.size())}}};
    auto consumed = tap.write_frames(mixed);
    ASSERT_FALSE(consumed.is_error());
    EXPECT_EQ(consumed.value(), 2u);
    EXPECT_EQ(tap.counters().tx_rejected.load(), 1u);
    auto single_runt = tap.write_frame(runt);
    ASSERT_TRUE(single_runt.is_error());
    EXPECT_TRUE(single_runt.error().is(EINVAL));

    // A down interface refuses frames (EIO).
    sh("ip link set en0 down");
    auto while_down = tap.write_frame(good);
    ASSERT_TRUE(while_down.is_error());
    EXPECT_TRUE(while_down.error().is(EIO)) << while_down.error().describe();
}

TEST_P(TapFramesTest, FramesTheStackSendsAreReadFromTheTap) {
    TapDevice tap = must_create_tap("en%d");
    if (!io_as_asked(tap))
        GTEST_SKIP() << tap.batched_io_note();
    sh("sysctl -qw net.ipv6.conf.en0.disable_ipv6=1 && ip link set en0 up && "
       "ip addr add 10.213.0.1/24 dev en0 && "
       "ip neigh add 10.213.0.2 lladdr 02:00:00:00:00:02 dev en0 nud permanent");

    std::array<std::byte, 8> empty{};
    auto nothing = tap.read_frame(empty);
    ASSERT_TRUE(nothing.is_error());
    EXPECT_TRUE(nothing.error().would_block());

    // 1) Raw frames sent out of en0 by a packet socket.
    PacketSocket sender = m_netns->run([&] { return PacketSocket::open(tap.ifindex()); });
    for (uint32_t i = 0; i < 64; ++i)
        ASSERT_TRUE(sender.send(make_frame(kPeerMac, i)));
    // 2) A UDP datagram to the static neighbour.
    UniqueFd udp = m_netns->run([] { return UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0)); });
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(9999);
    peer.sin_addr.s_addr = htonl(0x0ad50002);
    const char payload[] = "netdext";
    ASSERT_EQ(::sendto(udp.get(), payload, sizeof(payload), 0, reinterpret_cast<sockaddr *>(&peer),
                       sizeof(peer)),
              static_cast<ssize_t>(sizeof(payload)));

    std::vector<std::array<std::byte, 2048>> buffers(16);
    std::vector<FrameSlot> slots;
    for (auto &buffer : buffers)
        slots.push_back({buffer.data(), static_cast<uint32_t>(buffer.size()), 0});
    std::vector<uint32_t> sequences;
    bool saw_udp = false;
    uint64_t frames_read = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            pollfd readable{tap.fd(), POLLIN, 0};
            if (::poll(&readable, 1, 0) != 1)
                return false;
            auto got = tap.read_frames(slots);
            EXPECT_FALSE(got.is_error());
            for (size_t i = 0; i < count_of(got); ++i) {
                std::span<const std::byte> frame(slots[i].data, slots[i].length);
                ++frames_read;
                if (ether_type_of(frame) == kTestEtherType) {
                    uint32_t sequence = 0;
                    std::memcpy(&sequence, frame.data() + 14, sizeof(sequence));
                    sequences.push_back(sequence);
                } else if (ether_type_of(frame) == ETH_P_IP && frame.size() >= 42 &&
                           std::memcmp(frame.data(), kPeerMac.bytes.data(), 6) == 0 &&
                           static_cast<uint8_t>(frame[23]) == IPPROTO_UDP &&
                           static_cast<uint8_t>(frame[36]) == 9999 >> 8 &&
                           static_cast<uint8_t>(frame[37]) == (9999 & 0xff)) {
                    saw_udp = true;
                }
            }
            return sequences.size() >= 64 && saw_udp;
        },
        5s))
        << sequences.size() << " raw frames, udp " << saw_udp;
    for (uint32_t i = 0; i < 64; ++i)
        EXPECT_EQ(sequences[i], i);

    // Every frame read is one tx_packet in `ip -s link`.
    auto rtnl = route();
    auto stats = tap.read_stats(rtnl);
    ASSERT_FALSE(stats.is_error());
    EXPECT_EQ(stats.value().tx_packets, frames_read);
}

// IFF_MULTI_QUEUE: the stack spreads flows over the attached queues, a frame written to any
// queue reaches it, and detached queues get nothing.
TEST_F(TapDeviceTest, AMultiQueueTapSpreadsFlowsOverItsAttachedQueues) {
    TapDevice::Options options;
    options.queues = 4;
    auto created = m_netns->run([&] { return TapDevice::create("en%d", options); });
    ASSERT_FALSE(created.is_error()) << created.error().describe();
    TapDevice tap = created.release_value();
    ASSERT_EQ(tap.queue_count(), 4u);
    const MacAddress mac{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02}};
    ASSERT_FALSE(tap.set_mac(mac).is_error());
    sh("sysctl -qw net.ipv6.conf.en0.disable_ipv6=1 && ip link set en0 up && "
       "ip addr add 10.213.0.1/24 dev en0 && "
       "ip neigh add 10.213.0.2 lladdr 02:00:00:00:00:02 dev en0 nud permanent");
    auto tx_queues = [&] {
        std::string listing = sh("ls /sys/class/net/en0/queues");
        size_t n = 0;
        for (size_t at = listing.find("tx-"); at != std::string::npos;
             at = listing.find("tx-", at + 1))
            ++n;
        return n;
    };
    EXPECT_EQ(tx_queues(), 4u);

    UniqueFd udp = m_netns->run([] { return UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0)); });
    // One datagram from each of `flows` source ports; returns how many frames each queue read.
    auto send_flows = [&](uint16_t first_port, uint32_t flows) {
        for (uint32_t f = 0; f < flows; ++f) {
            UniqueFd sender =
                m_netns->run([] { return UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0)); });
            sockaddr_in source{};
            source.sin_family = AF_INET;
            source.sin_port = htons(uint16_t(first_port + f));
            source.sin_addr.s_addr = htonl(0x0ad50001);
            EXPECT_EQ(::bind(sender.get(), reinterpret_cast<sockaddr *>(&source), sizeof source),
                      0);
            sockaddr_in peer{};
            peer.sin_family = AF_INET;
            peer.sin_port = htons(9999);
            peer.sin_addr.s_addr = htonl(0x0ad50002);
            const char payload[] = "flow";
            EXPECT_EQ(::sendto(sender.get(), payload, sizeof payload, 0,
                               reinterpret_cast<sockaddr *>(&peer), sizeof peer),
                      ssize_t(sizeof payload));
        }
        std::vector<uint32_t> per_queue(tap.queue_count(), 0);
        std::array<std::byte, 2048> buffer;
        EXPECT_TRUE(wait_until(
            [&] {
                for (uint32_t q = 0; q < tap.queue_count(); ++q) {
                    auto &queue = static_cast<TapDevice &>(tap.queue(q));
                    while (queue.read_frame(buffer))
                        ++per_queue[q];
                }
                uint32_t total = 0;
                for (uint32_t n : per_queue)
                    total += n;
                return total >= flows;
            },
            5s));
        return per_queue;
    };
    std::vector<uint32_t> spread = send_flows(20000, 32);
    uint32_t used = 0;
    for (uint32_t n : spread)
        used += n > 0 ? 1 : 0;
    EXPECT_GT(used, 1u) << "32 flows all went through one queue";

    // A frame written to queue 2 is received by the stack.
    PacketSocket receiver = m_netns->run([&] { return PacketSocket::open(tap.ifindex()); });
    auto &queue2 = static_cast<TapDevice &>(tap.queue(2));
    ASSERT_FALSE(queue2.write_frame(make_frame(mac, 77)).is_error());
    std::vector<uint32_t> sequences;
    ASSERT_TRUE(wait_until([&] {
        receiver.receive(sequences);
        return !sequences.empty();
    }));
    EXPECT_EQ(sequences, std::vector<uint32_t>{77});

    // Only queue 0 attached: every flow goes through it.
    ASSERT_FALSE(tap.set_active_queues(1).is_error());
    EXPECT_FALSE(static_cast<TapDevice &>(tap.queue(3)).attached());
    EXPECT_EQ(tx_queues(), 1u);
    std::vector<uint32_t> single = send_flows(21000, 16);
    EXPECT_EQ(single[0], 16u);
    // Attached again.
    ASSERT_FALSE(tap.set_active_queues(3).is_error());
    EXPECT_EQ(tx_queues(), 3u);
    EXPECT_TRUE(tap.set_active_queues(5).is_error());
    EXPECT_TRUE(tap.set_active_queues(0).is_error());
}

TEST_P(TapFramesTest, OversizedFramesAreDroppedAndCounted) {
    TapDevice tap = must_create_tap("en%d");
    if (!io_as_asked(tap))
        GTEST_SKIP() << tap.batched_io_note();
    sh("sysctl -qw net.ipv6.conf.en0.disable_ipv6=1 && ip link set en0 up");
    PacketSocket sender = m_netns->run([&] { return PacketSocket::open(tap.ifindex()); });
    ASSERT_TRUE(sender.send(make_frame(kPeerMac, 1, 200)));
    ASSERT_TRUE(sender.send(make_frame(kPeerMac, 2, 60)));

    std::array<std::byte, 100> small;
    std::array<FrameSlot, 1> slot{{{small.data(), small.size(), 0}}};
    size_t got_frames = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            auto got = tap.read_frames(slot);
            EXPECT_FALSE(got.is_error());
            got_frames += count_of(got);
            return got_frames == 1;
        },
        5s));
    EXPECT_EQ(slot[0].length, 60u);
    EXPECT_EQ(tap.counters().rx_truncated.load(), 1u);

    // Exactly filling the buffer is not truncation.
    ASSERT_TRUE(sender.send(make_frame(kPeerMac, 3, small.size())));
    ASSERT_TRUE(wait_until(
        [&] {
            auto got = tap.read_frame(small);
            return !got.is_error() && got.value() == small.size();
        },
        5s));
    EXPECT_EQ(tap.counters().rx_truncated.load(), 1u);

    // In a batch: the frame that does not fit is dropped and the ones after it move down, so the
    // filled slots are the first ones, in order.
    std::array<std::array<std::byte, 100>, 4> smalls;
    std::array<FrameSlot, 4> four;
    for (size_t i = 0; i < four.size(); ++i)
        four[i] = {smalls[i].data(), uint32_t(smalls[i].size()), 0};
    for (uint32_t sequence : {10u, 11u, 12u, 13u})
        ASSERT_TRUE(sender.send(make_frame(kPeerMac, sequence, sequence == 11 ? 300 : 64)));
    std::vector<uint32_t> sequences;
    ASSERT_TRUE(wait_until(
        [&] {
            auto got = tap.read_frames(four);
            EXPECT_FALSE(got.is_error());
            for (size_t i = 0; i < count_of(got); ++i) {
                EXPECT_EQ(four[i].length, 64u);
                uint32_t sequence = 0;
                std::memcpy(&sequence, four[i].data + 14, sizeof(sequence));
                sequences.push_back(sequence);
            }
            return sequences.size() >= 3;
        },
        5s));
    EXPECT_EQ(sequences, (std::vector<uint32_t>{10, 12, 13}));
    EXPECT_EQ(tap.counters().rx_truncated.load(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Io, TapFramesTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool> &info) {
                             return info.param ? "IoUring" : "Syscalls";
                         });

} // namespace
} // namespace netdext::tap
