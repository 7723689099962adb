// Offload metadata: frame parsing, checksum verification, the virtio header mapping (offload.h),
// and the daemon's validation of a driver's RX offload claims (validation.h rules 7-8).
#include <gtest/gtest.h>

#include <netdext/shm/offload.h>

#include "test_support.h"

#include <cstring>
#include <vector>

namespace netdext::shm {
namespace {

using offload::FrameHeaders;
using offload::VnetHeader;
using testing::make_plumbing;
using testing::uniform_capacities;

// Ones' complement sum of big-endian words.
uint32_t sum16(const std::vector<uint8_t> &bytes, size_t from, size_t to, uint32_t sum = 0) {
    for (size_t i = from; i < to; i += 2)
        sum += uint32_t(bytes[i]) << 8 | (i + 1 < to ? bytes[i + 1] : 0);
    return sum;
}
uint16_t fold(uint32_t sum) {
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(sum);
}

// An Ethernet + IPv4 + TCP frame with `payload` bytes; the TCP checksum is complete, or (partial)
// only the pseudo-header sum, as the stack hands it over with CHECKSUM_PARTIAL.
std::vector<uint8_t> tcp4_frame(size_t payload, bool partial = false) {
    std::vector<uint8_t> f(14 + 20 + 20 + payload, 0);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f.data() + 14;
    ip[0] = 0x45;
    const uint16_t total = uint16_t(20 + 20 + payload);
    ip[2] = uint8_t(total >> 8);
    ip[3] = uint8_t(total);
    ip[8] = 64;
    ip[9] = 6;
    const uint8_t addresses[8] = {10, 0, 0, 1, 10, 0, 0, 2};
    std::memcpy(ip + 12, addresses, 8);
    const uint16_t ip_check = uint16_t(~fold(sum16(f, 14, 34)));
    ip[10] = uint8_t(ip_check >> 8);
    ip[11] = uint8_t(ip_check);
    uint8_t *tcp = f.data() + 34;
    tcp[0] = 0x30;
    tcp[2] = 0x14;
    tcp[12] = 5 << 4;
    tcp[13] = 0x18;
    for (size_t i = 0; i < payload; ++i)
        f[54 + i] = uint8_t(i * 7);
    uint32_t pseudo = sum16(f, 26, 34) + 6 + (20 + payload);
    uint16_t check = partial ? fold(pseudo) : uint16_t(~fold(sum16(f, 34, f.size(), pseudo)));
    tcp[16] = uint8_t(check >> 8);
    tcp[17] = uint8_t(check);
    return f;
}

std::span<const std::byte> bytes(const std::vector<uint8_t> &f) {
    return std::as_bytes(std::span(f));
}

TEST(Offload, ParsesIpv4TcpAndChecksCompleteChecksums) {
    std::vector<uint8_t> f = tcp4_frame(100);
    std::optional<FrameHeaders> h = offload::parse_headers(bytes(f));
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->ipv6);
    EXPECT_EQ(h->protocol, 6);
    EXPECT_EQ(h->l3_offset, 14);
    EXPECT_EQ(h->l4_offset, 34);
    EXPECT_EQ(h->l4_header_length, 20);
    EXPECT_EQ(h->l4_length, 120u);
    EXPECT_TRUE(offload::l4_checksum_correct(bytes(f), *h));
    f[60] ^= 0x40; // one payload bit
    EXPECT_FALSE(offload::l4_checksum_correct(bytes(f), *h));
    EXPECT_FALSE(offload::l4_checksum_correct(bytes(tcp4_frame(100, true)), *h));
}

TEST(Offload, RefusesFramesWhoseHeadersDoNotFit) {
    std::vector<uint8_t> f = tcp4_frame(10);
    EXPECT_FALSE(offload::parse_headers(bytes(f).first(40))); // cut inside TCP
    std::vector<uint8_t> arp(60, 0);
    arp[12] = 0x08;
    arp[13] = 0x06;
    EXPECT_FALSE(offload::parse_headers(bytes(arp)));
    std::vector<uint8_t> fragment = tcp4_frame(10);
    fragment[20] = 0x20; // more fragments
    EXPECT_FALSE(offload::parse_headers(bytes(fragment)));
    std::vector<uint8_t> long_ip = tcp4_frame(10);
    long_ip[17] = 200; // IP total length past the frame
    EXPECT_FALSE(offload::parse_headers(bytes(long_ip)));
}

TEST(Offload, VirtioHeadersBecomeTsoAndChecksumMetadata) {
    std::vector<uint8_t> f = tcp4_frame(4000, true);
    VnetHeader header{};
    header.flags = offload::kVnetNeedsCsum;
    header.gso_type = offload::kVnetGsoTcpV4 | offload::kVnetGsoEcn;
    header.gso_size = 1448;
    header.hdr_len = 54;
    header.csum_start = 34;
    header.csum_offset = 16;
    auto tx = offload::to_descriptor(header, bytes(f));
    ASSERT_TRUE(tx);
    EXPECT_EQ(tx->flags, offload::kTxCsumPartial | offload::kTxCsumTCPv4 | offload::kTsoIPv4);
    EXPECT_EQ(tx->gso_size, 1448);
    EXPECT_EQ(tx->csum_start, 34);
    EXPECT_EQ(tx->csum_stuff, 50);
    // Offsets outside the frame, or a GSO type the interface never offered, are refused.
    header.csum_start = uint16_t(f.size());
    EXPECT_FALSE(offload::to_descriptor(header, bytes(f)));
    header.csum_start = 34;
    header.gso_type = 3; // UDP fragmentation offload
    EXPECT_FALSE(offload::to_descriptor(header, bytes(f)));
    // Nothing asked: nothing set.
    auto none = offload::to_descriptor(VnetHeader{}, bytes(f));
    ASSERT_TRUE(none);
    EXPECT_EQ(none->flags, 0u);
}

// The driver's end hands back RX frames with offload claims; the daemon's end validates them.
struct RxClaims : public ::testing::Test {
    std::unique_ptr<testing::Plumbing> p =
        make_plumbing(16, 16, 65536, uniform_capacities(8));
    DaemonEndpoint &daemon() { return *p->daemon; }
    DriverEndpoint &driver() { return *p->driver; }

    // One frame through RX submission and completion with `flags` and `segments`.
    std::optional<RxFrame> receive(const std::vector<uint8_t> &frame, uint32_t flags,
                                   uint8_t segments = 0) {
        EXPECT_EQ(daemon().restock_rx(1), 1u);
        uint32_t id = 0;
        EXPECT_EQ(driver().dequeue(RingId::RxSubmission, std::span(&id, 1)), 1u);
        std::memcpy(driver().buffer(id), frame.data(), frame.size());
        PacketDescriptor &d = driver().descriptor(id);
        d.data_length = uint32_t(frame.size());
        d.flags = flags;
        d.lro_segments = segments;
        EXPECT_EQ(driver().enqueue(RingId::RxCompletion, std::span<const uint32_t>(&id, 1)), 1u);
        RxFrame out[1];
        if (daemon().poll_rx_completions(out) != 1)
            return std::nullopt;
        daemon().release(std::span<const uint32_t>(&out[0].packet, 1));
        return out[0];
    }
};

TEST_F(RxClaims, ClaimsAreIgnoredUnlessTheDriverDeclaredTheAssist) {
    auto frame = receive(tcp4_frame(100, /*partial=*/true), offload::kRxCsumDataValid);
    ASSERT_TRUE(frame);
    EXPECT_FALSE(frame->data_valid) << "the frame goes up as it would without the claim";
    EXPECT_EQ(daemon().drops().dropped(), 0u);
}

TEST_F(RxClaims, ATrueChecksumClaimGoesUpAsVerified) {
    daemon().set_rx_offloads(true, false);
    auto frame = receive(tcp4_frame(100), offload::kRxCsumDataValid | offload::kRxCsumPseudoHdr);
    ASSERT_TRUE(frame);
    EXPECT_TRUE(frame->data_valid);
    VnetHeader header = offload::from_descriptor({frame->data_valid, frame->gso_type,
                                                  frame->gso_size, frame->hdr_len,
                                                  frame->csum_start});
    EXPECT_EQ(header.flags, offload::kVnetDataValid);
    EXPECT_EQ(header.gso_type, offload::kVnetGsoNone);
}

TEST_F(RxClaims, ALyingDriverIsCaughtWithinTheSampleInterval) {
    daemon().set_rx_offloads(true, false);
    std::vector<uint8_t> bad = tcp4_frame(100);
    bad[70] ^= 1; // corrupt the payload: the checksum no longer matches
    uint32_t caught = 0;
    for (uint32_t i = 0; i < DaemonEndpoint::kChecksumSampleInterval; ++i)
        caught += receive(bad, offload::kRxCsumDataValid) ? 0 : 1;
    EXPECT_EQ(caught, 1u);
    EXPECT_EQ(daemon().drops().rx_checksum_wrong, 1u);
    EXPECT_EQ(daemon().drops().of(DropReason::ChecksumWrong), 1u);
}

TEST_F(RxClaims, ClaimsOnFramesTheyCannotApplyToAreBadMetadata) {
    daemon().set_rx_offloads(true, true);
    std::vector<uint8_t> arp(60, 0);
    arp[12] = 0x08;
    arp[13] = 0x06;
    EXPECT_FALSE(receive(arp, offload::kRxCsumDataValid));
    const uint32_t lro4 = 1u << offload::kLroShift, lro6 = 2u << offload::kLroShift;
    EXPECT_FALSE(receive(tcp4_frame(3000), lro4, 0)) << "LRO without segments";
    EXPECT_FALSE(receive(tcp4_frame(3000), lro6, 3)) << "IPv6 LRO on an IPv4 frame";
    EXPECT_FALSE(receive(tcp4_frame(0), lro4, 2)) << "LRO without payload";
    EXPECT_EQ(daemon().drops().bad_offload_metadata, 4u);
    EXPECT_EQ(daemon().drops().dropped(), 4u);
}

TEST_F(RxClaims, AnLroFrameGoesUpAsAGsoFrameWithAPartialChecksum) {
    daemon().set_rx_offloads(true, true);
    std::vector<uint8_t> big = tcp4_frame(3 * 1448 + 100);
    auto frame = receive(big, (1u << offload::kLroShift) | offload::kRxCsumDataValid, 4);
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->gso_type, offload::kVnetGsoTcpV4);
    EXPECT_EQ(frame->gso_size, (3 * 1448 + 100 + 3) / 4);
    EXPECT_EQ(frame->hdr_len, 54);
    VnetHeader header = offload::from_descriptor({frame->data_valid, frame->gso_type,
                                                  frame->gso_size, frame->hdr_len,
                                                  frame->csum_start});
    EXPECT_EQ(header.flags, offload::kVnetNeedsCsum);
    EXPECT_EQ(header.csum_start, 34);
    EXPECT_EQ(header.csum_offset, 16);
    // The checksum field now holds the pseudo-header sum, as after the kernel's own GRO.
    const auto *data = reinterpret_cast<const uint8_t *>(driver().buffer(frame->packet));
    std::vector<uint8_t> up(data, data + frame->data_length);
    EXPECT_EQ(up, tcp4_frame(3 * 1448 + 100, /*partial=*/true));
}

} // namespace
} // namespace netdext::shm
