// Offload metadata between a TAP's virtio-net header and a packet descriptor, and the frame
// parsing the daemon validates a driver's offload claims with (validation.h rules 7-8).
//
// netdextd opens every TAP with IFF_VNET_HDR. Frames the stack sends come with a virtio_net_hdr;
// to_descriptor() turns it into the descriptor's TSO and TX checksum fields (getTSOInfo,
// getTxChecksumInfo). Frames a driver receives go up with a header from_descriptor() builds from
// its RX checksum and LRO claims (setRxChecksumInfo, setLROInfo), after validation. A driver that
// declares no assists gets TUNSETOFFLOAD 0: the stack sends no GSO or partial-checksum frames, the
// headers are all zero and the frames are what they were without IFF_VNET_HDR.
#pragma once

#include <netdext/shm/pool_layout.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace netdext::shm::offload {

// struct virtio_net_hdr (linux/virtio_net.h), little-endian on this machine's TAP.
struct VnetHeader {
    uint8_t flags;       // VIRTIO_NET_HDR_F_NEEDS_CSUM 1, _DATA_VALID 2
    uint8_t gso_type;    // VIRTIO_NET_HDR_GSO_NONE 0, _TCPV4 1, _UDP 3, _TCPV6 4, | _ECN 0x80
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
};
static_assert(sizeof(VnetHeader) == 10);

inline constexpr uint8_t kVnetNeedsCsum = 1;
inline constexpr uint8_t kVnetDataValid = 2;
inline constexpr uint8_t kVnetGsoNone = 0;
inline constexpr uint8_t kVnetGsoTcpV4 = 1;
inline constexpr uint8_t kVnetGsoTcpV6 = 4;
inline constexpr uint8_t kVnetGsoEcn = 0x80;

// Where a frame's L3 and L4 headers are (Ethernet, one optional 802.1Q tag, IPv4 without
// fragments or IPv6 without extension headers, TCP or UDP).
struct FrameHeaders {
    bool ipv6 = false;
    uint8_t protocol = 0; // 6 TCP, 17 UDP
    uint16_t l3_offset = 0;
    uint16_t l4_offset = 0;
    uint16_t l4_header_length = 0; // TCP: data offset; UDP: 8
    uint32_t l4_length = 0;        // L4 header + payload, as the IP header says
};
[[nodiscard]] std::optional<FrameHeaders> parse_headers(std::span<const std::byte> frame);
// The ones' complement sum over the L4 segment and pseudo-header is 0xffff (a correct checksum;
// a UDP checksum of 0 over IPv4 counts as correct: none).
[[nodiscard]] bool l4_checksum_correct(std::span<const std::byte> frame, const FrameHeaders &h);

// TX metadata for a descriptor (TxFrame).
struct TxOffload {
    uint32_t flags = 0; // kTxCsum* / kTso*
    uint16_t gso_size = 0;
    uint16_t csum_start = 0;
    uint16_t csum_stuff = 0;
};
// From the virtio header of a frame the stack sent; nullopt when it asks for something the
// interface did not offer (a GSO type other than TCP, offsets outside the frame).
[[nodiscard]] std::optional<TxOffload> to_descriptor(const VnetHeader &header,
                                                     std::span<const std::byte> frame);

// Writes the TCP pseudo-header sum (not inverted) into the TCP checksum field of a coalesced
// frame, as the kernel's own GRO does (tcp_gro_complete): the frame then goes up as
// CHECKSUM_PARTIAL with csum_start at the TCP header, like a TSO segment on a veth.
void set_pseudo_header_checksum(std::span<std::byte> frame, const FrameHeaders &h);

// RX metadata the daemon validated (RxFrame), as the virtio header for the TAP. An LRO frame goes
// up as a GSO frame with a partial checksum (NEEDS_CSUM at csum_start, TCP's field).
struct RxOffload {
    bool data_valid = false;
    uint8_t gso_type = kVnetGsoNone; // kVnetGsoTcpV4/V6 for an LRO frame
    uint16_t gso_size = 0;
    uint16_t hdr_len = 0;
    uint16_t csum_start = 0; // LRO: the TCP header
};
[[nodiscard]] VnetHeader from_descriptor(const RxOffload &offload);

} // namespace netdext::shm::offload
