// FrameDevice: what the network family needs of the Linux end of an interface — an fd to poll,
// batched frame reads and writes, the link settings netdextd sets, and the TAP's drop counters.
// TapDevice is the production implementation; tests substitute a fake (no root, no /dev/net/tun)
// so the frame mover and DextSession run anywhere (CONVENTIONS 5: syscalls in thin wrappers,
// everything above them tested against fakes).
//
// The contract of each call is TapDevice's (tap_device.h); a fake must keep it, in particular:
// read_frames() fills slots in order and returns 0 when nothing is pending; write_frames()
// returns how many frames it consumed (written or dropped and counted) and stops early only when
// the stack's backlog is full; fd() is readable (POLLIN) while a frame is pending.
#pragma once

#include "common/mac_address.h"
#include "common/result.h"

#include <atomic>
#include <cstddef>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace netdext::tap {

// A TAP opened with IFF_VNET_HDR puts a virtio_net_hdr (10 bytes, linux/virtio_net.h) before
// every frame; the device strips it into / adds it from these bytes (all zero without offloads).
struct VnetBytes {
    uint8_t bytes[10] = {};
};

// One caller-owned receive buffer. read_frames() sets `length` (and `vnet`); `data` stays the
// caller's.
struct FrameSlot {
    std::byte *data = nullptr;
    uint32_t capacity = 0;
    uint32_t length = 0;
    VnetBytes vnet{}; // the frame's offload header (zero without IFF_VNET_HDR)
};

// One caller-owned frame to transmit into the stack: a complete Ethernet frame, no FCS.
struct ConstFrame {
    const std::byte *data = nullptr;
    uint32_t length = 0;
    VnetBytes vnet{}; // written before the frame when the device has virtio headers
};

// Named drop counters (DESIGN.md §5: every drop has a named counter). Each is written only by the
// reader or only by the writer thread.
struct TapCounters {
    std::atomic<uint64_t> rx_truncated{0}; // reader: frame larger than its slot, dropped
    std::atomic<uint64_t> tx_rejected{0};  // writer: kernel refused the frame (EINVAL: shorter
                                           // than an Ethernet header; EIO: interface down…)
    std::atomic<uint64_t> tx_rejected_bytes{0}; // writer: the bytes of those frames
};

class FrameDevice {
public:
    virtual ~FrameDevice() = default;

    [[nodiscard]] virtual int fd() const = 0;
    [[nodiscard]] virtual int ifindex() const = 0;
    [[nodiscard]] virtual const std::string &name() const = 0;

    virtual Result<void> set_mac(const MacAddress &mac) = 0;
    virtual Result<void> set_mtu(uint32_t mtu) = 0;
    virtual Result<void> set_txqueuelen(uint32_t length) = 0;
    virtual Result<void> set_carrier(bool on) = 0;
    // The speed and duplex `ethtool` shows (what the driver reported through its media): speed
    // in Mb/s, 0 for unknown; duplex unknown when unset. EOPNOTSUPP where the device keeps none.
    virtual Result<void> set_link_settings(uint32_t speed_mbps, std::optional<bool> full_duplex) {
        (void)speed_mbps;
        (void)full_duplex;
        return Error::from_errno(EOPNOTSUPP, "link settings");
    }
    // TUNSETOFFLOAD (TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 …): what the stack may hand over
    // unfinished. EOPNOTSUPP on a device without virtio headers.
    virtual Result<void> set_offload(unsigned tun_flags) = 0;
    [[nodiscard]] virtual bool has_vnet_header() const = 0;
    // The largest GSO (TSO) frame the stack may hand over (IFLA_GSO_MAX_SIZE; 65536 by default).
    virtual Result<void> set_gso_max_size(uint32_t bytes) {
        (void)bytes;
        return Error::from_errno(EOPNOTSUPP, "gso_max_size");
    }

    // IFF_MULTI_QUEUE: the device's queues (1: only this one). Queue `index` (0: this device)
    // is read and written through its own fd by one thread of its own, and shares everything
    // else (name, settings) with queue 0. The stack sends only through the first
    // set_active_queues() queues; the others are detached until a later call attaches them.
    [[nodiscard]] virtual uint32_t queue_count() const { return 1; }
    [[nodiscard]] virtual FrameDevice &queue(uint32_t index) {
        (void)index;
        return *this;
    }
    virtual Result<void> set_active_queues(uint32_t count) {
        return count == 1 ? Result<void>{} : Error::from_errno(EINVAL, "active queues");
    }

    // Whether read_frames/write_frames batch their syscalls (TapDevice: io_uring).
    [[nodiscard]] virtual bool batched_io() const { return false; }
    virtual Result<size_t> read_frames(std::span<FrameSlot> slots) = 0;
    virtual Result<size_t> write_frames(std::span<const ConstFrame> frames) = 0;

    [[nodiscard]] virtual const TapCounters &counters() const = 0;
};

} // namespace netdext::tap
