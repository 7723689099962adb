// TCP through TwoPortCable under netdextd, end to end (issue 14's "Done when"): the stack hands
// the driver TSO segments and partial checksums, the cable passes them to its other end as LRO
// frames and completed, checksum-valid frames, and the receiving stack accepts every segment —
// the bytes arrive intact and no namespace counts a TCP checksum error. Without assists the same
// transfer carries no offload metadata at all. (What the daemon does with a driver that lies about
// checksums is shm/tests/offload_test.cpp's and the shm fuzzer's.)
#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "support/wait_until.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using netdext::testing::DaemonFixture;
using netdext::testing::DaemonRun;
using netdext::testing::ScopedNetns;

namespace {

constexpr size_t kBytes = 8 << 20;
constexpr uint16_t kPort = 5599;

// The byte at `offset` of the stream: no two 64 KiB segments alike, so a misplaced or repeated
// segment changes the digest.
uint8_t pattern(uint64_t offset) {
    uint64_t x = offset / 251 * 0x9e3779b97f4a7c15ull + offset % 251;
    return uint8_t(x ^ (x >> 29) ^ (x >> 47));
}

uint64_t fnv1a(uint64_t hash, const uint8_t *data, size_t size) {
    for (size_t i = 0; i < size; ++i)
        hash = (hash ^ data[i]) * 0x100000001b3ull;
    return hash;
}

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;

uint64_t expected_digest() {
    std::vector<uint8_t> all(kBytes);
    for (size_t i = 0; i < kBytes; ++i)
        all[i] = pattern(i);
    return fnv1a(kFnvOffset, all.data(), all.size());
}

// TcpInCsumErrors of the namespace (/proc/net/snmp, "Tcp:" lines: names, then values).
std::optional<uint64_t> tcp_checksum_errors(const ScopedNetns &netns) {
    auto out = netns.sh("awk '/^Tcp:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "
                        "\"InCsumErrors\") c = i; n = 1 } else print $c }' /proc/net/snmp");
    if (!out.ok() || out.output.empty())
        return std::nullopt;
    return std::stoull(out.output);
}

// What the cable declares: no assists, TSO and checksums, or those with a 16 KiB TSO limit (its
// buffers shrink to match; netdextd lowers the TAP's gso_max_size).
enum Assists { kNone, kDeclared, kLimited };

class CableTcp : public ::testing::TestWithParam<int> {
protected:
    // netdextd with the cable (assists on or off), a macvlan on each end moved into a namespace
    // of its own, 10.221.0.1 on a's and 10.221.0.2 on b's.
    void SetUp() override {
        std::string error;
        const char *boot_args = GetParam() == kNone      ? "twoportcable-assists=0"
                                : GetParam() == kLimited ? "twoportcable-tso-bytes=16384"
                                                         : "";
        DaemonRun run{TWO_PORT_CABLE_DEXT_PATH, boot_args, {}};
        run.capture = false;
        ASSERT_TRUE(daemon.start(run, error)) << error;
        ASSERT_TRUE(daemon.wait_for([&] { return daemon.dext()["interfaces"].size() == 2; }))
            << daemon.log();
        for (auto *slot : {&a, &b}) {
            auto netns = ScopedNetns::create("ndxct");
            ASSERT_TRUE(netns) << netns.error().describe();
            slot->emplace(netns.release_value());
        }
        auto wired = daemon.sh("ip link add link en0 name ctm0 type macvlan mode bridge && "
                               "ip link add link en1 name ctm1 type macvlan mode bridge && "
                               "ip link set ctm0 netns " +
                               a->name() + " && ip link set ctm1 netns " + b->name() +
                               " && ip link set en0 up && ip link set en1 up");
        ASSERT_TRUE(wired.ok()) << wired.output;
        ASSERT_TRUE(a->sh("ip addr add 10.221.0.1/24 dev ctm0 && ip link set ctm0 up").ok());
        ASSERT_TRUE(b->sh("ip addr add 10.221.0.2/24 dev ctm1 && ip link set ctm1 up").ok());
        ASSERT_TRUE(netdext::testing::wait_until(
            [&] { return a->sh("ping -c 1 -W 1 10.221.0.2").ok(); }, 20s))
            << daemon.status().dump(2);
    }

    uint64_t counter(size_t interface, const char *name) {
        return daemon.dext()["interfaces"][interface]["counters"].value(name, uint64_t(0));
    }

    // Whether `ethtool -k en0` shows `feature` ("tx-tcp-segmentation: off"); its output if not.
    ::testing::AssertionResult en0_shows(const std::string &feature) {
        auto features = daemon.sh("ethtool -k en0");
        if (features.output.find(feature) != std::string::npos)
            return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << "no \"" << feature << "\" in:\n" << features.output;
    }

    // kBytes from a to b over one connection; false if it could not connect.
    bool transfer(size_t &sent, uint64_t &received_bytes, uint64_t &digest_out) {
        // The receiver, in b: one connection, every byte digested.
        int listener = b->run([] { return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); });
        if (listener < 0)
            return false;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(kPort);
        inet_pton(AF_INET, "10.221.0.2", &address.sin_addr);
        if (bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
            listen(listener, 1) != 0) {
            close(listener);
            return false;
        }
        std::atomic<uint64_t> received{0};
        uint64_t digest = kFnvOffset;
        std::thread receiver([&] {
            int connection = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection < 0)
                return;
            timeval timeout{30, 0};
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            std::vector<uint8_t> buffer(256 << 10);
            for (;;) {
                ssize_t n = read(connection, buffer.data(), buffer.size());
                if (n <= 0)
                    break;
                digest = fnv1a(digest, buffer.data(), size_t(n));
                received += uint64_t(n);
            }
            close(connection);
        });

        // The sender, in a.
        int sender = a->run([] { return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); });
        if (sender < 0) {
            close(listener);
            return false;
        }
        timeval timeout{30, 0};
        setsockopt(sender, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        bool connected =
            connect(sender, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
        sent = 0;
        if (connected) {
            std::vector<uint8_t> chunk(1 << 20);
            while (sent < kBytes) {
                size_t size = std::min(chunk.size(), kBytes - sent);
                for (size_t i = 0; i < size; ++i)
                    chunk[i] = pattern(sent + i);
                ssize_t n = write(sender, chunk.data(), size);
                if (n <= 0)
                    break;
                sent += size_t(n); // after a partial write the chunk is made again from `sent`
            }
        }
        close(sender);
        if (!connected)
            shutdown(listener, SHUT_RDWR); // lets accept4 return
        receiver.join();
        close(listener);
        received_bytes = received.load();
        digest_out = digest;
        return connected;
    }

    DaemonFixture daemon;
    std::optional<ScopedNetns> a, b;
};

TEST_P(CableTcp, BytesArriveIntactAndTheReceivingStackAcceptsEveryChecksum) {
    const bool assists = GetParam() != kNone;
    auto errors_before = tcp_checksum_errors(*b);
    ASSERT_TRUE(errors_before);

    size_t sent = 0;
    uint64_t received = 0, digest = 0;
    const bool connected = transfer(sent, received, digest);
    ASSERT_TRUE(connected) << daemon.status().dump(2);
    ASSERT_EQ(sent, kBytes);
    EXPECT_EQ(received, kBytes) << daemon.status().dump(2);
    EXPECT_EQ(digest, expected_digest());

    auto errors_after = tcp_checksum_errors(*b);
    ASSERT_TRUE(errors_after);
    EXPECT_EQ(*errors_after, *errors_before) << "the receiving stack refused TCP checksums";

    // What the metadata did on the way (en0 sends, en1 receives).
    EXPECT_EQ(counter(0, "drop_tx_offload"), 0u);
    EXPECT_EQ(counter(1, "drop_bad_offload_metadata"), 0u);
    EXPECT_EQ(counter(1, "drop_rx_checksum_wrong"), 0u);
    EXPECT_EQ(counter(0, "drop_tap_truncated"), 0u) << "a frame larger than the buffers";
    // What `netdextctl status --json` shows of it.
    const auto en0 = daemon.dext()["interfaces"][0];
    EXPECT_EQ(en0.value("tap_io", ""), "io_uring") << en0.dump(2);
    EXPECT_EQ(en0["offloads"].value("tso_frame_bytes", 1u), GetParam() == kNone      ? 0u
                                                            : GetParam() == kLimited ? 16384u
                                                                                     : 65536u - 18)
        << en0.dump(2);
    if (GetParam() == kLimited) {
        // The driver's limit became the TAP's: no segment beyond it, none cut.
        EXPECT_TRUE(daemon.log_contains("TSO frames up to 16384 bytes")) << daemon.log();
        auto link = daemon.sh("ip -d link show en0");
        EXPECT_NE(link.output.find("gso_max_size 16384"), std::string::npos) << link.output;
    }
    if (assists) {
        EXPECT_GT(counter(0, "tx_tso_frames"), 0u) << "the stack sent no TSO segment";
        EXPECT_GT(counter(0, "tx_csum_partial"), 0u);
        EXPECT_GT(counter(1, "rx_lro_frames"), 0u) << "no segment went up coalesced";
        EXPECT_GT(counter(1, "rx_checksum_valid"), 0u);
    } else {
        EXPECT_EQ(counter(0, "tx_tso_frames"), 0u);
        EXPECT_EQ(counter(0, "tx_csum_partial"), 0u);
        EXPECT_EQ(counter(1, "rx_lro_frames"), 0u);
        EXPECT_EQ(counter(1, "rx_checksum_valid"), 0u);
    }
}

// `ethtool -K en0 tso off` on a driver that declared TSO: the driver is told
// (SetHardwareAssists without TSO, which TwoPortCable logs), the stack stops handing en0 TSO
// segments but still leaves checksums to it, and the bytes still arrive intact; `tso on` gives
// the driver TSO back and the segments return.
TEST_P(CableTcp, EthtoolTsoOffTellsTheDriverAndTheStackSegmentsItself) {
    if (GetParam() == kNone) {
        // The driver declares no assists: the TAP offers none, ethtool cannot switch one on and
        // the driver hears nothing.
        (void)daemon.sh("ethtool -K en0 tso on tx on");
        EXPECT_TRUE(en0_shows("tx-tcp-segmentation: off"));
        EXPECT_TRUE(en0_shows("tx-checksum-ip-generic: off"));
        EXPECT_FALSE(daemon.log_contains("SetHardwareAssists")) << daemon.log();
        return;
    }
    // TwoPortCable's assists: TX checksums TCP/UDP (0x6), TSO4/6 (0x600000), LRO, RX checksums.
    ASSERT_TRUE(daemon.sh("ethtool -K en0 tso off").ok());
    ASSERT_TRUE(daemon.wait_for([&] {
        return daemon.log_contains(
                   "en0 offloads now tx-checksum → SetHardwareAssists(0x30000006)") &&
               daemon.log_contains("SetHardwareAssists(0x30000006) accepted") &&
               daemon.log_contains("port 0: hardware assists 0x30000006");
    })) << daemon.log();
    EXPECT_TRUE(en0_shows("tx-tcp-segmentation: off"));

    const uint64_t tso_before = counter(0, "tx_tso_frames");
    const uint64_t partial_before = counter(0, "tx_csum_partial");
    size_t sent = 0;
    uint64_t received = 0, digest = 0;
    ASSERT_TRUE(transfer(sent, received, digest)) << daemon.status().dump(2);
    EXPECT_EQ(received, kBytes);
    EXPECT_EQ(digest, expected_digest());
    EXPECT_EQ(counter(0, "tx_tso_frames"), tso_before) << "a TSO segment after tso off";
    EXPECT_GT(counter(0, "tx_csum_partial"), partial_before) << "checksums are still the driver's";

    ASSERT_TRUE(daemon.sh("ethtool -K en0 tso on").ok());
    ASSERT_TRUE(daemon.wait_for([&] {
        return daemon.log_contains("SetHardwareAssists(0x30600006) accepted") &&
               daemon.log_contains("port 0: hardware assists 0x30600006");
    })) << daemon.log();
    ASSERT_TRUE(transfer(sent, received, digest)) << daemon.status().dump(2);
    EXPECT_EQ(digest, expected_digest());
    EXPECT_GT(counter(0, "tx_tso_frames"), tso_before) << "no TSO segment after tso on";
    EXPECT_EQ(counter(0, "drop_tx_offload"), 0u);
}

// What the user switched off stays off for the next driver on the kept interface: a relaunched
// (or restarted, or replaced) driver's TUNSETOFFLOAD offers its assists afresh, and netdextd
// switches the same features off again and tells the driver.
// (The cable with its declared assists only: the other variants have nothing to switch off.)
using CableTcpRelaunch = CableTcp;

TEST_P(CableTcpRelaunch, OffloadsSwitchedOffStayOffWhenTheDriverIsRelaunched) {
    ASSERT_TRUE(daemon.sh("ethtool -K en0 tso off").ok());
    ASSERT_TRUE(daemon.wait_for([&] {
        return daemon.log_contains("port 0: hardware assists 0x30000006");
    })) << daemon.log();
    const pid_t host = daemon.dext().value("host_pid", -1);
    ASSERT_GT(host, 0);
    ASSERT_EQ(kill(host, SIGKILL), 0);
    ASSERT_TRUE(daemon.wait_for([&] {
        nlohmann::json dext = daemon.dext();
        return dext.value("crashes", 0) == 1 && dext.value("host_pid", -1) != host &&
               dext["interfaces"].size() == 2 && dext["interfaces"][0].value("carrier", false);
    })) << daemon.status().dump(2);
    ASSERT_TRUE(daemon.wait_for([&] {
        return daemon.log_contains("en0 keeps tso4, tso6 off") &&
               daemon.log_count("port 0: hardware assists 0x30000006") == 2;
    })) << daemon.log();
    EXPECT_TRUE(en0_shows("tx-tcp-segmentation: off"));
    EXPECT_TRUE(en0_shows("tx-checksum-ip-generic: on"));
    // en1 was left alone: the driver's second port keeps everything.
    EXPECT_FALSE(daemon.log_contains("en1 keeps")) << daemon.log();
    size_t sent = 0;
    uint64_t received = 0, digest = 0;
    const uint64_t tso_before = counter(0, "tx_tso_frames");
    ASSERT_TRUE(transfer(sent, received, digest)) << daemon.status().dump(2);
    EXPECT_EQ(digest, expected_digest());
    EXPECT_EQ(counter(0, "tx_tso_frames"), tso_before) << "a TSO segment after the relaunch";
}

INSTANTIATE_TEST_SUITE_P(Assists, CableTcpRelaunch, ::testing::Values(kDeclared),
                         [](const ::testing::TestParamInfo<int> &) { return "Declared"; });

INSTANTIATE_TEST_SUITE_P(Assists, CableTcp, ::testing::Values(kNone, kDeclared, kLimited),
                         [](const ::testing::TestParamInfo<int> &info) {
                             return info.param == kNone       ? "None"
                                    : info.param == kDeclared ? "Declared"
                                                              : "LimitedTso";
                         });

} // namespace
