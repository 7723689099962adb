#include <netdext/shm/offload.h>

#include <cstring>

namespace netdext::shm::offload {

namespace {

uint16_t be16(std::span<const std::byte> bytes, size_t at) {
    return uint16_t(uint16_t(bytes[at]) << 8 | uint16_t(bytes[at + 1]));
}

// Ones' complement sum of 16-bit big-endian words (an odd last byte padded with zero).
uint64_t sum_words(std::span<const std::byte> bytes, uint64_t sum = 0) {
    size_t i = 0;
    for (; i + 1 < bytes.size(); i += 2)
        sum += be16(bytes, i);
    if (i < bytes.size())
        sum += uint16_t(uint16_t(bytes[i]) << 8);
    return sum;
}

uint16_t fold(uint64_t sum) {
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(sum);
}

} // namespace

std::optional<FrameHeaders> parse_headers(std::span<const std::byte> frame) {
    FrameHeaders h;
    size_t at = 12;
    if (frame.size() < 14)
        return std::nullopt;
    uint16_t type = be16(frame, at);
    at += 2;
    if (type == 0x8100) { // one 802.1Q tag
        if (frame.size() < at + 4)
            return std::nullopt;
        type = be16(frame, at + 2);
        at += 4;
    }
    h.l3_offset = uint16_t(at);
    if (type == 0x0800) {
        if (frame.size() < at + 20)
            return std::nullopt;
        const size_t ihl = size_t(uint8_t(frame[at]) & 0x0f) * 4;
        const uint16_t total = be16(frame, at + 2);
        const uint16_t fragment = be16(frame, at + 6);
        if ((uint8_t(frame[at]) >> 4) != 4 || ihl < 20 || total < ihl ||
            at + total > frame.size() || (fragment & 0x3fff) != 0)
            return std::nullopt;
        h.protocol = uint8_t(frame[at + 9]);
        h.l4_offset = uint16_t(at + ihl);
        h.l4_length = total - uint32_t(ihl);
    } else if (type == 0x86dd) {
        if (frame.size() < at + 40 || (uint8_t(frame[at]) >> 4) != 6)
            return std::nullopt;
        const uint16_t payload = be16(frame, at + 4);
        if (at + 40 + payload > frame.size())
            return std::nullopt;
        h.ipv6 = true;
        h.protocol = uint8_t(frame[at + 6]);
        h.l4_offset = uint16_t(at + 40);
        h.l4_length = payload;
    } else {
        return std::nullopt;
    }
    if (h.protocol == 6) {
        if (h.l4_length < 20)
            return std::nullopt;
        h.l4_header_length = uint16_t((uint8_t(frame[h.l4_offset + 12]) >> 4) * 4);
        if (h.l4_header_length < 20 || h.l4_header_length > h.l4_length)
            return std::nullopt;
    } else if (h.protocol == 17) {
        if (h.l4_length < 8)
            return std::nullopt;
        h.l4_header_length = 8;
    } else {
        return std::nullopt;
    }
    return h;
}

bool l4_checksum_correct(std::span<const std::byte> frame, const FrameHeaders &h) {
    std::span<const std::byte> segment = frame.subspan(h.l4_offset, h.l4_length);
    if (h.protocol == 17 && !h.ipv6 && be16(segment, 6) == 0)
        return true; // UDP over IPv4 without a checksum
    uint64_t sum = 0;
    if (h.ipv6)
        sum = sum_words(frame.subspan(h.l3_offset + 8, 32));
    else
        sum = sum_words(frame.subspan(h.l3_offset + 12, 8));
    sum += h.protocol;
    sum += h.l4_length;
    sum = sum_words(segment, sum);
    return fold(sum) == 0xffff;
}

std::optional<TxOffload> to_descriptor(const VnetHeader &header, std::span<const std::byte> frame) {
    TxOffload out;
    if (header.flags & kVnetNeedsCsum) {
        const uint32_t stuff = uint32_t(header.csum_start) + header.csum_offset;
        if (stuff + 2 > frame.size())
            return std::nullopt;
        out.csum_start = header.csum_start;
        out.csum_stuff = uint16_t(stuff);
        out.flags |= kTxCsumPartial;
        // Which checksum: the offset of its field in the L4 header (TCP 16, UDP 6).
        const bool v6 = frame.size() >= 14 && be16(frame, 12) == 0x86dd;
        if (header.csum_offset == 16)
            out.flags |= v6 ? kTxCsumTCPv6 : kTxCsumTCPv4;
        else if (header.csum_offset == 6)
            out.flags |= v6 ? kTxCsumUDPv6 : kTxCsumUDPv4;
    }
    const uint8_t gso = header.gso_type & uint8_t(~kVnetGsoEcn);
    if (gso == kVnetGsoNone)
        return out;
    if ((gso != kVnetGsoTcpV4 && gso != kVnetGsoTcpV6) || header.gso_size == 0)
        return std::nullopt;
    out.flags |= gso == kVnetGsoTcpV4 ? kTsoIPv4 : kTsoIPv6;
    out.gso_size = header.gso_size;
    return out;
}

void set_pseudo_header_checksum(std::span<std::byte> frame, const FrameHeaders &h) {
    uint64_t sum = h.ipv6 ? sum_words(frame.subspan(h.l3_offset + 8, 32))
                          : sum_words(frame.subspan(h.l3_offset + 12, 8));
    sum += h.protocol;
    sum += h.l4_length;
    const uint16_t value = fold(sum);
    const size_t at = size_t(h.l4_offset) + 16;
    frame[at] = std::byte(value >> 8);
    frame[at + 1] = std::byte(value & 0xff);
}

VnetHeader from_descriptor(const RxOffload &offload) {
    VnetHeader header{};
    if (offload.data_valid)
        header.flags = kVnetDataValid;
    if (offload.gso_type != kVnetGsoNone) {
        header.flags = kVnetNeedsCsum;
        header.gso_type = offload.gso_type;
        header.gso_size = offload.gso_size;
        header.hdr_len = offload.hdr_len;
        header.csum_start = offload.csum_start;
        header.csum_offset = 16; // offsetof(struct tcphdr, check)
    }
    return header;
}

} // namespace netdext::shm::offload
