// The packet pool region: one sealed memfd per IOUserNetworkPacketBufferPool.
//
//   0                   PoolHeader (64 B)                written once by the daemon
//   descriptor_offset   PacketDescriptor[packet_count]   64 B each, one cache line per packet
//   buffer_offset       buffer[buffer_count]             buffer_stride bytes each, 4 KiB aligned
//   total_size          rounded up to 4 KiB
//
// A packet is named by its index. Packet i uses buffer i; packets at or beyond buffer_count have no
// buffer and never circulate (see usable_packet_count()). Who writes what:
//   - PoolHeader: the daemon, at creation; afterwards nobody. The host checks it on attach; the
//     daemon never reads it back (it keeps its own PoolLayout).
//   - PacketDescriptor: whoever currently owns the packet (the daemon's ownership table decides);
//     the daemon reads driver-written fields exactly once, when the packet comes back.
//   - buffers: likewise the owner of the packet.
// DriverKit: IOUserNetworkPacketBufferPool::CreateWithOptions sizes the pool from packetCount,
// bufferCount and bufferSize; maxBuffersPerPacket must be 1.
#pragma once

#include <netdext/shm/result.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace netdext::shm {

inline constexpr uint32_t kPoolMagic = 0x5058444e; // "NDXP" in memory order
inline constexpr uint16_t kPoolLayoutVersion = 1;

// Limits every pool is checked against (both sides compute the same layout from the same inputs).
inline constexpr uint32_t kMaxPackets = 65536;
inline constexpr uint32_t kMaxBuffers = 65536;
inline constexpr uint32_t kMinBufferSize = 64;    // an Ethernet header plus a little
inline constexpr uint32_t kMaxBufferSize = 65536; // data_offset is 16 bits; lengths stay in range
inline constexpr uint64_t kMaxPoolBytes = uint64_t{1} << 30; // 1 GiB per pool
inline constexpr uint64_t kRegionAlignment = 4096;           // every region is whole pages
inline constexpr uint64_t kBufferAlignment = 64;             // each buffer starts on a cache line
inline constexpr uint32_t kNoBuffer = 0xffffffff;            // descriptor of a bufferless packet

// DriverKit: IOUserNetworkPacketDirection (kIOUserNetworkPacketDirectionNone/Tx/Rx).
enum class PacketDirection : uint8_t { None = 0, Tx = 1, Rx = 2 };

// Offload metadata in a descriptor's flags word (NDK 2.x; the SDK's kIOUserNetworkPacket* values,
// which follow xnu skywalk's PACKET_CSUM_* / PACKET_TSO_*): bits 0-15 checksum flags, 20-21 TSO,
// 28-29 LRO (kIOUserNetworkPacketLRO* << 28), 30 timestamp requested, 31 link multicast.
namespace offload {
inline constexpr uint32_t kCsumMask = 0x0000ffff;
inline constexpr uint32_t kTxCsumPartial = 0x0001;
inline constexpr uint32_t kTxCsumIPHdr = 0x0004;
inline constexpr uint32_t kTxCsumTCPv4 = 0x0008;
inline constexpr uint32_t kTxCsumUDPv4 = 0x0010;
inline constexpr uint32_t kTxCsumTCPv6 = 0x0020;
inline constexpr uint32_t kTxCsumUDPv6 = 0x0040;
inline constexpr uint32_t kRxCsumIPChecked = 0x0100;
inline constexpr uint32_t kRxCsumIPValid = 0x0200;
inline constexpr uint32_t kRxCsumDataValid = 0x0400;
inline constexpr uint32_t kRxCsumPseudoHdr = 0x0800;
inline constexpr uint32_t kTsoMask = 0x00300000;
inline constexpr uint32_t kTsoIPv4 = 0x00100000;
inline constexpr uint32_t kTsoIPv6 = 0x00200000;
inline constexpr uint32_t kLroShift = 28;
inline constexpr uint32_t kLroMask = 0x30000000;
inline constexpr uint32_t kTimestampRequested = 0x40000000;
inline constexpr uint32_t kLinkMulticast = 0x80000000;
// The largest TSO/LRO segment (an IP packet's 16-bit length).
inline constexpr uint32_t kMaxSegmentBytes = 65535;
} // namespace offload

// What the driver can set on a packet (IOUserNetworkPacket accessors), one cache line per packet
// so two driver threads never share a line. Reserved bytes are zero and ignored by the daemon.
struct alignas(64) PacketDescriptor {
    uint32_t buffer_index; // daemon-assigned; the driver must leave it alone (checked on return)
    uint32_t data_length;  // setDataLength / getDataLength
    uint16_t data_offset;  // setDataOffset / getDataOffset, from the buffer base
    uint8_t link_header_length; // SetLinkHeaderLength / GetLinkHeaderLength
    uint8_t direction;          // PacketDirection
    uint32_t flags;             // offload:: bits (checksum, TSO, LRO, timestamp, multicast)
    uint64_t timestamp;         // NDK 2.x setTimestamp; not interpreted by the daemon
    uint32_t completion_status; // NDK 2.x setCompletionStatus; not interpreted by the daemon
    uint16_t gso_size;          // TX: getTSOInfo segment size (0: not TSO)
    uint8_t lro_segments;       // RX: setLROInfo segment count
    uint8_t reserved0;
    uint16_t csum_start;        // TX: getTxChecksumInfo start, from the frame's first byte
    uint16_t csum_stuff;        // TX: where the checksum goes, from the frame's first byte
    uint16_t rx_csum_value;     // RX: setRxChecksumInfo value; not interpreted by the daemon
    uint8_t reserved[26];
};
static_assert(sizeof(PacketDescriptor) == 64 && alignof(PacketDescriptor) == 64);
static_assert(offsetof(PacketDescriptor, buffer_index) == 0);
static_assert(offsetof(PacketDescriptor, data_length) == 4);
static_assert(offsetof(PacketDescriptor, data_offset) == 8);
static_assert(offsetof(PacketDescriptor, link_header_length) == 10);
static_assert(offsetof(PacketDescriptor, direction) == 11);
static_assert(offsetof(PacketDescriptor, flags) == 12);
static_assert(offsetof(PacketDescriptor, timestamp) == 16);
static_assert(offsetof(PacketDescriptor, completion_status) == 24);
static_assert(offsetof(PacketDescriptor, gso_size) == 28);
static_assert(offsetof(PacketDescriptor, lro_segments) == 30);
static_assert(offsetof(PacketDescriptor, csum_start) == 32);
static_assert(offsetof(PacketDescriptor, csum_stuff) == 34);
static_assert(offsetof(PacketDescriptor, rx_csum_value) == 36);
static_assert(offsetof(PacketDescriptor, reserved) == 38);

struct alignas(64) PoolHeader {
    uint32_t magic;           // kPoolMagic
    uint16_t version;         // kPoolLayoutVersion
    uint16_t header_size;     // sizeof(PoolHeader)
    uint32_t descriptor_size; // sizeof(PacketDescriptor)
    uint32_t packet_count;
    uint32_t buffer_count;
    uint32_t buffer_size;   // bytes the driver may use per buffer
    uint32_t buffer_stride; // distance between buffers (buffer_size rounded up to 64)
    uint32_t reserved0;
    uint64_t descriptor_offset;
    uint64_t buffer_offset;
    uint64_t total_size;
    uint64_t reserved1;
};
static_assert(sizeof(PoolHeader) == 64 && alignof(PoolHeader) == 64);
static_assert(offsetof(PoolHeader, descriptor_offset) == 32);
static_assert(offsetof(PoolHeader, total_size) == 48);

// The layout both sides compute from (packet_count, buffer_count, buffer_size). Daemon-private
// copies of these numbers, never the shared header, bound every access the daemon makes.
struct PoolLayout {
    uint32_t packet_count = 0;
    uint32_t buffer_count = 0;
    uint32_t buffer_size = 0;
    uint32_t buffer_stride = 0;
    uint64_t descriptor_offset = 0;
    uint64_t buffer_offset = 0;
    uint64_t total_size = 0;

    // Rejects (InvalidArgument) zero counts, counts above kMaxPackets/kMaxBuffers, buffer sizes
    // outside [kMinBufferSize, kMaxBufferSize] and totals above kMaxPoolBytes; all arithmetic is
    // overflow-checked in 64 bits.
    [[nodiscard]] static Result<PoolLayout> compute(uint32_t packet_count, uint32_t buffer_count,
                                                    uint32_t buffer_size);

    // Packets that have a buffer and may circulate: min(packet_count, buffer_count).
    [[nodiscard]] uint32_t usable_packet_count() const {
        return packet_count < buffer_count ? packet_count : buffer_count;
    }
    [[nodiscard]] uint64_t descriptor_offset_of(uint32_t packet) const {
        return descriptor_offset + uint64_t{packet} * sizeof(PacketDescriptor);
    }
    [[nodiscard]] uint64_t buffer_offset_of(uint32_t buffer) const {
        return buffer_offset + uint64_t{buffer} * buffer_stride;
    }

    // Creator (daemon): writes the header and every descriptor (buffer_index = i or kNoBuffer) into
    // a region of exactly total_size bytes.
    void initialize(std::span<std::byte> region) const;
    // Receiver (host): LayoutMismatch unless the region is total_size bytes and its header says
    // exactly this layout.
    [[nodiscard]] Result<void> check(std::span<const std::byte> region) const;

    friend bool operator==(const PoolLayout &, const PoolLayout &) = default;
};

} // namespace netdext::shm
