// TapDevice: one TAP interface (drivers/net/tun.c in IFF_TAP mode) — the Linux end of a dext's
// Ethernet interface (DESIGN.md §5). Frames the stack sends out of the interface are read from
// the fd; frames written to the fd are received by the stack as if from the wire.
//
// Emulates: DriverKit's IOUserNetworkEthernet registration → a TAP named en<N>, MAC and MTU set,
// carrier from ReportLinkStatus (TUNSETCARRIER). The network family sees it as a FrameDevice
// (frame_device.h, where FrameSlot, ConstFrame and TapCounters live), which tests fake.
//
// Setup: IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL, no IFF_VNET_HDR (no offloads: one frame per
// read/write, exactly as on the wire), non-blocking, close-on-exec, not persistent unless asked:
// closing the device deletes the interface.
//
// Namespaces: the interface is created in the network namespace of the thread calling create(),
// together with the control socket used for SIOCSIF* ioctls. Afterwards any thread may use the
// object. Ioctls go by the interface's *current* name (asked from the fd), so a rename by the
// administrator does not break them.
//
// Threads: one reader thread may call read_frame()/read_frames() while one writer thread calls
// write_frame()/write_frames(); the configuration calls (set_*) belong to one control thread.
// counters() may be read from any thread (relaxed atomics, single writer each).
//
// Hot path: read_frames()/write_frames() take caller-owned buffers, allocate nothing and take no
// lock. The TAP character device has no batched read or write of its own, so by default a batch
// goes through an io_uring per direction (tap_uring.h): one io_uring_enter for up to 64 frames
// instead of one read or write each. Where the kernel offers no io_uring, or with
// Options::batched_io off, each frame is one syscall (batched_io() says which is in use).
//
// Queues: with Options::queues > 1 the TAP is made with IFF_MULTI_QUEUE and that many fds are
// attached at creation, while the name is certainly ours (attaching later by name could reach
// another namespace's device of the same name). Each further queue is a TapDevice of its own
// (queue(i)), with its own fd, io_uring and counters; the stack picks a queue per flow
// (tun_select_queue: a flow's frames go out through the queue its last received frame came in
// on). set_active_queues() detaches the queues nobody reads (TUNSETQUEUE), so none fills up.
#pragma once

#include "common/mac_address.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "netlink/link_state.h"
#include "tap/frame_device.h"

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace netdext::netlink {
class RouteSocket;
}

namespace netdext::tap {

class TapUring;

class TapDevice final : public FrameDevice {
public:
    struct Options {
        bool persistent = false; // TUNSETPERSIST: the interface outlives the fd
        bool vnet_header = false; // IFF_VNET_HDR: a virtio_net_hdr before every frame (offloads)
        bool batched_io = true;   // read_frames/write_frames through io_uring when available
        uint32_t queues = 1;      // > 1: IFF_MULTI_QUEUE with that many queues (at most 256)
    };

    // `name_pattern` is a full name ("en3") or a name with one "%d" ("en%d"), for which the
    // kernel (dev_alloc_name) picks the lowest unit not in use in the namespace. The prefix is
    // free (letters, digits, '_', '-', '.'); the expanded name must fit IFNAMSIZ - 1. EINVAL for a
    // bad pattern, EBUSY if a full name is already taken (IFF_TUN_EXCL: never attach to someone
    // else's persistent TAP).
    static Result<TapDevice> create(std::string_view name_pattern, Options options);
    static Result<TapDevice> create(std::string_view name_pattern) {
        return create(name_pattern, Options{});
    }
    // The checks create() applies to a pattern before asking the kernel.
    static Result<void> validate_name_pattern(std::string_view name_pattern);

    TapDevice(TapDevice &&) noexcept;
    TapDevice &operator=(TapDevice &&) noexcept;
    TapDevice(const TapDevice &) = delete;
    TapDevice &operator=(const TapDevice &) = delete;
    ~TapDevice() override;

    [[nodiscard]] int fd() const override { return m_tap.get(); } // poll for EPOLLIN / EPOLLOUT
    [[nodiscard]] int ifindex() const override { return m_ifindex; }
    // The name the kernel gave at creation.
    [[nodiscard]] const std::string &name() const override { return m_name; }

    // SIOCSIFHWADDR (sa_family ARPHRD_ETHER) on the TAP fd. EADDRNOTAVAIL for a multicast or
    // all-zero address.
    Result<void> set_mac(const MacAddress &mac) override;
    Result<void> set_mtu(uint32_t mtu) override;         // SIOCSIFMTU; TAP accepts 68…65535
    Result<void> set_txqueuelen(uint32_t length) override; // SIOCSIFTXQLEN
    // TUNSETCARRIER (Linux 4.20+; older kernels answer EINVAL). A freshly attached TAP has
    // carrier on; the family sets it from the driver's ReportLinkStatus.
    Result<void> set_carrier(bool on) override;
    // SIOCETHTOOL ETHTOOL_GLINKSETTINGS (the size handshake) then ETHTOOL_SLINKSETTINGS with
    // autonegotiation off: tun keeps the settings it is given and reports them to `ethtool`
    // (drivers/net/tun.c tun_set_link_ksettings) instead of its 10 Gb/s default.
    Result<void> set_link_settings(uint32_t speed_mbps, std::optional<bool> full_duplex) override;

    // One frame the stack sent out of the interface, into `buffer`. Returns its length;
    // EAGAIN when none is pending; EMSGSIZE (frame dropped, rx_truncated counted) when it did
    // not fit — a buffer of MTU + 18 bytes (Ethernet header + one VLAN tag) always fits.
    Result<size_t> read_frame(std::span<std::byte> buffer, VnetBytes *vnet = nullptr);
    // One frame for the stack to receive. EAGAIN, EINVAL (shorter than 14 bytes), EIO (down).
    Result<void> write_frame(std::span<const std::byte> frame, const VnetBytes *vnet = nullptr);
    Result<void> set_offload(unsigned tun_flags) override;
    // RTM_NEWLINK IFLA_GSO_MAX_SIZE through a netlink socket made for the call: the calling
    // thread must be in the TAP's namespace (as for create()).
    Result<void> set_gso_max_size(uint32_t bytes) override;
    [[nodiscard]] bool has_vnet_header() const override { return m_vnet; }

    // Reads frames into `slots` in order until all are filled or none is pending. Returns how
    // many slots were filled (0: nothing pending). Truncated frames are dropped and counted,
    // not returned. (Through io_uring a frame may land in a later slot; it is moved down, so the
    // filled slots are still the first ones.)
    Result<size_t> read_frames(std::span<FrameSlot> slots) override;
    // Writes `frames` in order. Frames the kernel refuses are dropped and counted (tx_rejected).
    // One frame per syscall, it stops early on EAGAIN; through io_uring the whole batch is
    // tried and an EAGAIN frame is a refused one. Returns how many frames were consumed
    // (written or dropped), so the caller may retry the rest when the fd is writable.
    Result<size_t> write_frames(std::span<const ConstFrame> frames) override;
    // Whether read_frames/write_frames use io_uring, and why not ("" when they do, or when
    // Options::batched_io was off).
    [[nodiscard]] bool batched_io() const override { return m_read_uring != nullptr; }
    [[nodiscard]] const std::string &batched_io_note() const { return m_batched_io_note; }

    [[nodiscard]] const TapCounters &counters() const override { return *m_counters; }

    [[nodiscard]] uint32_t queue_count() const override {
        return 1 + static_cast<uint32_t>(m_queues.size());
    }
    [[nodiscard]] FrameDevice &queue(uint32_t index) override {
        return index == 0 || index > m_queues.size() ? *this : *m_queues[index - 1];
    }
    // Queues 0 … count-1 attached, the rest detached (TUNSETQUEUE). EINVAL for 0 or more than
    // queue_count().
    Result<void> set_active_queues(uint32_t count) override;
    // Whether the stack may send through this queue (TUNSETQUEUE's state, as last set).
    [[nodiscard]] bool attached() const { return m_attached; }

    // The interface's `ip -s link` counters (rtnetlink IFLA_STATS64), through a RouteSocket of
    // the TAP's namespace. For tests and diagnostics.
    Result<netlink::LinkStats> read_stats(netlink::RouteSocket &route) const;

private:
    TapDevice(UniqueFd tap, UniqueFd control, int ifindex, std::string name);

    // Fills ifr_name with the interface's current name (TUNGETIFF).
    Result<void> current_name(char (&name)[IFNAMSIZ]) const;
    Result<void> control_ioctl(unsigned long request, void *ifreq, const char *context) const;
    // One frame's iovecs, the same for a readv/writev and an io_uring batch: the virtio header
    // (with IFF_VNET_HDR), the frame, and for a read the spill byte that tells a cut frame.
    struct Vectors {
        iovec *first;
        int count;
    };
    Vectors read_vectors(VnetBytes &header, std::span<std::byte> buffer, iovec (&vectors)[3]);
    Vectors write_vectors(const VnetBytes &header, std::span<const std::byte> frame,
                          iovec (&vectors)[2]) const;
    // The frame's length from what a read returned: EPROTO (shorter than the virtio header) or
    // EMSGSIZE (it did not fit `capacity`: dropped, rx_truncated counted).
    Result<size_t> frame_length(size_t got, size_t capacity);
    Result<size_t> read_frames_singly(std::span<FrameSlot> slots);
    Result<size_t> write_frames_singly(std::span<const ConstFrame> frames);
    void drop_uring(std::unique_ptr<TapUring> &ring, int error);
    void set_up_io(const Options &options); // virtio headers and the io_urings of one queue

    UniqueFd m_tap;
    UniqueFd m_control; // AF_INET datagram socket in the TAP's namespace, for SIOCSIF*
    int m_ifindex = 0;
    std::string m_name;
    // Heap-held so the device stays movable while counters are atomics.
    std::unique_ptr<TapCounters> m_counters;
    std::byte m_overflow{}; // readv's spill byte: a frame reaching it did not fit its buffer
    bool m_vnet = false;    // IFF_VNET_HDR
    std::unique_ptr<TapUring> m_read_uring;  // the reader's
    std::unique_ptr<TapUring> m_write_uring; // the writer's
    unsigned m_read_window = 2; // reads per submission: grows while frames keep coming
    std::string m_batched_io_note;
    std::vector<std::unique_ptr<TapDevice>> m_queues; // queues 1 …: IFF_MULTI_QUEUE
    bool m_attached = true;
};

} // namespace netdext::tap
