// TapDevice: the /dev/net/tun wrapper. See tap_device.h for the contract.
#include "tap/tap_device.h"

#include "netlink/route_socket.h"
#include "tap/tap_uring.h"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace netdext::tap {
namespace {

// Single-writer counter: a plain load and store, no locked read-modify-write on the hot path.
void bump(std::atomic<uint64_t> &counter, uint64_t by = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

// Errors after which the frame is gone but the device is fine (tun_get_user()).
bool is_per_frame_write_error(int code) {
    return code == EINVAL || code == EIO || code == ENOMEM || code == ENOBUFS || code == EMSGSIZE;
}

} // namespace

Result<void> TapDevice::validate_name_pattern(std::string_view pattern) {
    // dev_valid_name() and dev_alloc_name(): < IFNAMSIZ, not "." or "..", no '/', ':' or
    // whitespace, at most one '%' and it must be "%d". We are stricter about the character set.
    if (pattern.empty() || pattern.size() >= IFNAMSIZ)
        return Error::from_errno(EINVAL, "TAP name pattern: empty or longer than IFNAMSIZ - 1");
    if (pattern == "." || pattern == "..")
        return Error::from_errno(EINVAL, "TAP name pattern: \".\" and \"..\" are not names");
    size_t units = 0;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '%') {
            if (i + 1 == pattern.size() || pattern[i + 1] != 'd' || ++units > 1)
                return Error::from_errno(EINVAL, "TAP name pattern: only one \"%d\" allowed");
            ++i;
            continue;
        }
        if (!is_name_char(pattern[i]))
            return Error::from_errno(EINVAL, "TAP name pattern: character outside [A-Za-z0-9_.-]");
    }
    if (units == 1 && pattern.size() == 2)
        return Error::from_errno(EINVAL, "TAP name pattern: \"%d\" needs a prefix");
    return {};
}

TapDevice::TapDevice(UniqueFd tap, UniqueFd control, int ifindex, std::string name)
    : m_tap(std::move(tap)), m_control(std::move(control)), m_ifindex(ifindex),
      m_name(std::move(name)), m_counters(std::make_unique<TapCounters>()) {}

TapDevice::~TapDevice() = default;
TapDevice::TapDevice(TapDevice &&) noexcept = default;
TapDevice &TapDevice::operator=(TapDevice &&) noexcept = default;

namespace {
// MAX_TAP_QUEUES (drivers/net/tun.c).
constexpr uint32_t kMaxTapQueues = 256;
} // namespace

Result<TapDevice> TapDevice::create(std::string_view name_pattern, Options options) {
    NETDEXT_TRY(validate_name_pattern(name_pattern));
    if (options.queues == 0 || options.queues > kMaxTapQueues)
        return Error::from_errno(EINVAL, "TAP queues: 1 to 256");
    const short multi_queue = options.queues > 1 ? IFF_MULTI_QUEUE : 0;
    UniqueFd tap(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!tap.is_valid())
        return Error::from_errno("open(/dev/net/tun)");

    ifreq request{};
    // tun/tap: IFF_NO_PI — no 4-byte packet-information prefix; IFF_TUN_EXCL — fail instead of
    // attaching to an existing interface of that name. IFF_VNET_HDR (an option): a virtio_net_hdr
    // before every frame, which carries the offloads TUNSETOFFLOAD enables (none by default).
    const short flags = static_cast<short>(IFF_TAP | IFF_NO_PI | multi_queue |
                                           (options.vnet_header ? IFF_VNET_HDR : 0));
    request.ifr_flags = static_cast<short>(flags | IFF_TUN_EXCL);
    std::memcpy(request.ifr_name, name_pattern.data(), name_pattern.size());
    if (::ioctl(tap.get(), TUNSETIFF, &request) < 0)
        return Error::from_errno("TUNSETIFF");
    // The kernel wrote back the name it allocated ("en%d" → "en0").
    std::string name(request.ifr_name, ::strnlen(request.ifr_name, IFNAMSIZ));

    if (options.persistent && ::ioctl(tap.get(), TUNSETPERSIST, 1) < 0)
        return Error::from_errno("TUNSETPERSIST");

    UniqueFd control(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!control.is_valid())
        return Error::from_errno("socket(AF_INET) for SIOCSIF*");
    ifreq index{};
    std::memcpy(index.ifr_name, name.data(), name.size());
    if (::ioctl(control.get(), SIOCGIFINDEX, &index) < 0)
        return Error::from_errno("SIOCGIFINDEX");
    TapDevice device(std::move(tap), std::move(control), index.ifr_ifindex, name);
    device.set_up_io(options);
    // The further queues, attached by name now: the interface was made by this call, in this
    // thread's namespace, so the name is certainly ours.
    for (uint32_t q = 1; q < options.queues; ++q) {
        UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
        if (!fd.is_valid())
            return Error::from_errno("open(/dev/net/tun) for a further queue");
        ifreq attach{};
        attach.ifr_flags = flags;
        std::memcpy(attach.ifr_name, name.data(), name.size());
        if (::ioctl(fd.get(), TUNSETIFF, &attach) < 0)
            return Error::from_errno("TUNSETIFF (attaching a further queue)");
        auto queue = std::unique_ptr<TapDevice>(
            new TapDevice(std::move(fd), UniqueFd(), device.m_ifindex, name));
        queue->set_up_io(options);
        device.m_queues.push_back(std::move(queue));
    }
    return device;
}

void TapDevice::set_up_io(const Options &options) {
    m_vnet = options.vnet_header;
    if (!options.batched_io)
        return;
    std::string why;
    m_read_uring = TapUring::create(why);
    if (m_read_uring)
        m_write_uring = TapUring::create(why);
    if (!m_write_uring) {
        m_read_uring.reset();
        m_batched_io_note = "one syscall per frame (" + why + ")";
    }
}

Result<void> TapDevice::set_active_queues(uint32_t count) {
    if (count == 0 || count > queue_count())
        return Error::from_errno(EINVAL, "active queues: 1 to the TAP's queue count");
    for (uint32_t q = 1; q < queue_count(); ++q) {
        TapDevice &queue = *m_queues[q - 1];
        const bool attach = q < count;
        if (queue.m_attached == attach)
            continue;
        ifreq request{};
        request.ifr_flags = static_cast<short>(attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE);
        if (::ioctl(queue.m_tap.get(), TUNSETQUEUE, &request) < 0)
            return Error::from_errno(attach ? "TUNSETQUEUE (attach)" : "TUNSETQUEUE (detach)");
        queue.m_attached = attach;
    }
    return {};
}

Result<void> TapDevice::current_name(char (&name)[IFNAMSIZ]) const {
    ifreq request{};
    if (::ioctl(m_tap.get(), TUNGETIFF, &request) < 0)
        return Error::from_errno("TUNGETIFF");
    std::memcpy(name, request.ifr_name, IFNAMSIZ);
    name[IFNAMSIZ - 1] = '\0';
    return {};
}

Result<void> TapDevice::control_ioctl(unsigned long request, void *ifreq_buffer,
                                      const char *context) const {
    auto *request_data = static_cast<ifreq *>(ifreq_buffer);
    NETDEXT_TRY(current_name(request_data->ifr_name));
    if (::ioctl(m_control.get(), request, request_data) < 0)
        return Error::from_errno(context);
    return {};
}

Result<void> TapDevice::set_mac(const MacAddress &mac) {
    ifreq request{};
    request.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    std::memcpy(request.ifr_hwaddr.sa_data, mac.bytes.data(), mac.bytes.size());
    // tun handles SIOCSIFHWADDR on its own fd (no name lookup involved).
    if (::ioctl(m_tap.get(), SIOCSIFHWADDR, &request) < 0)
        return Error::from_errno("SIOCSIFHWADDR");
    return {};
}

Result<void> TapDevice::set_mtu(uint32_t mtu) {
    ifreq request{};
    if (mtu > INT32_MAX)
        return Error::from_errno(EINVAL, "SIOCSIFMTU");
    request.ifr_mtu = static_cast<int>(mtu);
    return control_ioctl(SIOCSIFMTU, &request, "SIOCSIFMTU");
}

Result<void> TapDevice::set_txqueuelen(uint32_t length) {
    ifreq request{};
    if (length > INT32_MAX)
        return Error::from_errno(EINVAL, "SIOCSIFTXQLEN");
    request.ifr_qlen = static_cast<int>(length);
    return control_ioctl(SIOCSIFTXQLEN, &request, "SIOCSIFTXQLEN");
}

Result<void> TapDevice::set_carrier(bool on) {
    int value = on ? 1 : 0;
    if (::ioctl(m_tap.get(), TUNSETCARRIER, &value) < 0)
        return Error::from_errno("TUNSETCARRIER (Linux 4.20+)");
    return {};
}

Result<void> TapDevice::set_link_settings(uint32_t speed_mbps, std::optional<bool> full_duplex) {
    // struct ethtool_link_settings is followed by three link-mode bitmaps (supported,
    // advertising, lp_advertising) of link_mode_masks_nwords 32-bit words each; the kernel says
    // how many words it wants in answer to a request with 0 (negative: "use this many").
    constexpr size_t kMaxWords = 32;
    alignas(ethtool_link_settings) std::byte buffer[sizeof(ethtool_link_settings) +
                                                    3 * kMaxWords * sizeof(uint32_t)] = {};
    auto *settings = reinterpret_cast<ethtool_link_settings *>(buffer);
    ifreq ifr{};
    ifr.ifr_data = reinterpret_cast<char *>(buffer);
    settings->cmd = ETHTOOL_GLINKSETTINGS;
    NETDEXT_TRY(control_ioctl(SIOCETHTOOL, &ifr, "ETHTOOL_GLINKSETTINGS"));
    const int8_t wanted = settings->link_mode_masks_nwords;
    if (wanted >= 0 || size_t(-wanted) > kMaxWords)
        return Error::from_errno(EPROTO, "ETHTOOL_GLINKSETTINGS handshake");
    std::memset(buffer, 0, sizeof buffer);
    settings->cmd = ETHTOOL_GLINKSETTINGS;
    settings->link_mode_masks_nwords = int8_t(-wanted);
    NETDEXT_TRY(control_ioctl(SIOCETHTOOL, &ifr, "ETHTOOL_GLINKSETTINGS"));
    settings->cmd = ETHTOOL_SLINKSETTINGS;
    settings->speed = speed_mbps != 0 ? speed_mbps : uint32_t(SPEED_UNKNOWN);
    settings->duplex = !full_duplex ? uint8_t(DUPLEX_UNKNOWN)
                       : *full_duplex ? uint8_t(DUPLEX_FULL)
                                      : uint8_t(DUPLEX_HALF);
    settings->autoneg = AUTONEG_DISABLE;
    return control_ioctl(SIOCETHTOOL, &ifr, "ETHTOOL_SLINKSETTINGS");
}

Result<void> TapDevice::set_offload(unsigned tun_flags) {
    if (!m_vnet)
        return Error::from_errno(EOPNOTSUPP, "TUNSETOFFLOAD without IFF_VNET_HDR");
    if (::ioctl(m_tap.get(), TUNSETOFFLOAD, static_cast<unsigned long>(tun_flags)) < 0)
        return Error::from_errno("TUNSETOFFLOAD");
    return {};
}

TapDevice::Vectors TapDevice::read_vectors(VnetBytes &header, std::span<std::byte> buffer,
                                           iovec (&vectors)[3]) {
    // tun copies min(frame, buffer) bytes and drops the rest silently; a one-byte spill iovec
    // tells a frame that fit exactly from one that was cut.
    vectors[0] = {header.bytes, sizeof header.bytes};
    vectors[1] = {buffer.data(), buffer.size()};
    vectors[2] = {&m_overflow, 1};
    return m_vnet ? Vectors{vectors, 3} : Vectors{vectors + 1, 2};
}

TapDevice::Vectors TapDevice::write_vectors(const VnetBytes &header,
                                            std::span<const std::byte> frame,
                                            iovec (&vectors)[2]) const {
    vectors[0] = {const_cast<uint8_t *>(header.bytes), sizeof header.bytes};
    vectors[1] = {const_cast<std::byte *>(frame.data()), frame.size()};
    return m_vnet ? Vectors{vectors, 2} : Vectors{vectors + 1, 1};
}

Result<size_t> TapDevice::frame_length(size_t got, size_t capacity) {
    const size_t skip = m_vnet ? sizeof(VnetBytes::bytes) : 0;
    if (got < skip)
        return Error::from_errno(EPROTO, "read(TAP): shorter than its virtio header");
    if (got - skip > capacity) {
        bump(m_counters->rx_truncated);
        return Error::from_errno(EMSGSIZE, "read(TAP): frame larger than the buffer");
    }
    return got - skip;
}

Result<size_t> TapDevice::read_frame(std::span<std::byte> buffer, VnetBytes *vnet) {
    VnetBytes scratch;
    iovec vectors[3];
    const Vectors v = read_vectors(vnet ? *vnet : scratch, buffer, vectors);
    for (;;) {
        ssize_t got = ::readv(m_tap.get(), v.first, v.count);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("read(TAP)");
        }
        return frame_length(size_t(got), buffer.size());
    }
}

Result<void> TapDevice::write_frame(std::span<const std::byte> frame, const VnetBytes *vnet) {
    static const VnetBytes kNone{};
    iovec vectors[2];
    const Vectors v = write_vectors(vnet ? *vnet : kNone, frame, vectors);
    for (;;) {
        ssize_t put = ::writev(m_tap.get(), v.first, v.count);
        if (put < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("write(TAP)");
        }
        return {}; // tun takes a frame whole or not at all
    }
}

Result<void> TapDevice::set_gso_max_size(uint32_t bytes) {
    auto route = NETDEXT_TRY(netlink::RouteSocket::create());
    return route.set_gso_max_size(m_ifindex, bytes);
}

Result<size_t> TapDevice::read_frames_singly(std::span<FrameSlot> slots) {
    size_t filled = 0;
    while (filled < slots.size()) {
        FrameSlot &slot = slots[filled];
        auto got = read_frame(std::span(slot.data, slot.capacity), &slot.vnet);
        if (got.is_error()) {
            if (got.error().is(EMSGSIZE))
                continue; // counted and dropped; the slot is reused for the next frame
            if (got.error().would_block() || filled > 0)
                break; // a hard error repeats on the next call; report the frames we have
            return got.release_error();
        }
        slot.length = static_cast<uint32_t>(got.value());
        ++filled;
    }
    return filled;
}

Result<size_t> TapDevice::write_frames_singly(std::span<const ConstFrame> frames) {
    size_t consumed = 0;
    for (const ConstFrame &frame : frames) {
        auto put = write_frame(std::span(frame.data, frame.length), &frame.vnet);
        if (put.is_error()) {
            if (put.error().would_block())
                break;
            if (!is_per_frame_write_error(put.error().sys_errno())) {
                if (consumed > 0)
                    break;
                return put.release_error();
            }
            bump(m_counters->tx_rejected);
            bump(m_counters->tx_rejected_bytes, frame.length);
        }
        ++consumed;
    }
    return consumed;
}

void TapDevice::drop_uring(std::unique_ptr<TapUring> &ring, int error) {
    ring.reset();
    m_batched_io_note = std::string("io_uring failed (") + std::strerror(-error) +
                        "): one syscall per frame";
}

Result<size_t> TapDevice::read_frames(std::span<FrameSlot> slots) {
    if (!m_read_uring)
        return read_frames_singly(slots);
    constexpr unsigned kMax = TapUring::kEntries;
    size_t filled = 0;
    std::optional<Error> failure;
    while (filled < slots.size() && m_read_uring) {
        const unsigned want =
            unsigned(std::min<size_t>({slots.size() - filled, m_read_window, kMax}));
        iovec vectors[kMax][3];
        const iovec *starts[kMax];
        unsigned counts[kMax];
        int results[kMax];
        for (unsigned k = 0; k < want; ++k) {
            FrameSlot &slot = slots[filled + k];
            const Vectors v =
                read_vectors(slot.vnet, std::span(slot.data, slot.capacity), vectors[k]);
            starts[k] = v.first;
            counts[k] = unsigned(v.count);
        }
        const int status = m_read_uring->readv(m_tap.get(), std::span(starts, want),
                                               std::span(counts, want), std::span(results, want));
        unsigned got = 0;
        bool drained = false;
        for (unsigned k = 0; k < want; ++k) {
            const int r = results[k];
            if (r < 0) {
                drained = true; // EAGAIN: nothing more pending (ECANCELED: never ran)
                if (r != -EAGAIN && r != -ECANCELED && !failure)
                    failure = Error::from_errno(-r, "read(TAP)");
                continue;
            }
            FrameSlot &from = slots[filled + k];
            auto frame = frame_length(size_t(r), from.capacity);
            if (!frame) { // cut (counted), or not even a virtio header
                if (!frame.error().is(EMSGSIZE) && !failure)
                    failure = frame.release_error();
                continue;
            }
            const size_t length = frame.value();
            FrameSlot &to = slots[filled + got]; // a frame after a gap moves down
            if (&to != &from) {
                std::memcpy(to.data, from.data, length);
                to.vnet = from.vnet;
            }
            to.length = uint32_t(length);
            ++got;
        }
        filled += got;
        if (status < 0)
            drop_uring(m_read_uring, status);
        if (drained || got < want) {
            // What the next call expects: about as many, plus the read that finds none. (Each
            // read finding none costs about a third of a syscall, so a reader faster than the
            // stack must not try many.)
            m_read_window = std::clamp<unsigned>(got + 1, 2, kMax);
            break;
        }
        m_read_window = std::min(2 * m_read_window, kMax);
    }
    if (filled == 0 && failure)
        return *failure;
    return filled;
}

Result<size_t> TapDevice::write_frames(std::span<const ConstFrame> frames) {
    if (!m_write_uring)
        return write_frames_singly(frames);
    constexpr unsigned kMax = TapUring::kEntries;
    size_t consumed = 0;
    while (consumed < frames.size()) {
        if (!m_write_uring) // the ring failed: the rest one by one
            return NETDEXT_TRY(write_frames_singly(frames.subspan(consumed))) + consumed;
        const unsigned n = unsigned(std::min<size_t>(frames.size() - consumed, kMax));
        iovec vectors[kMax][2];
        const iovec *starts[kMax];
        unsigned counts[kMax];
        int results[kMax];
        for (unsigned k = 0; k < n; ++k) {
            const ConstFrame &frame = frames[consumed + k];
            const Vectors v =
                write_vectors(frame.vnet, std::span(frame.data, frame.length), vectors[k]);
            starts[k] = v.first;
            counts[k] = unsigned(v.count);
        }
        const int status = m_write_uring->writev(m_tap.get(), std::span(starts, n),
                                                 std::span(counts, n), std::span(results, n));
        unsigned ran = 0, failed_hard = 0;
        int hard = 0;
        for (unsigned k = 0; k < n && results[k] != -ECANCELED; ++k, ++ran) {
            const int r = results[k];
            if (r >= 0)
                continue;
            if (r != -EAGAIN && !is_per_frame_write_error(-r)) {
                ++failed_hard;
                hard = -r;
            }
        }
        if (ran > 0 && failed_hard == ran && consumed == 0) {
            if (status < 0)
                drop_uring(m_write_uring, status);
            return Error::from_errno(hard, "write(TAP)"); // the device, not a frame: as singly
        }
        for (unsigned k = 0; k < ran; ++k)
            if (results[k] < 0) { // refused (or, through the ring, EAGAIN): dropped and counted
                bump(m_counters->tx_rejected);
                bump(m_counters->tx_rejected_bytes, frames[consumed + k].length);
            }
        consumed += ran;
        if (status < 0)
            drop_uring(m_write_uring, status);
        else if (ran < n)
            break; // cannot happen without a failed ring
    }
    return consumed;
}

Result<netlink::LinkStats> TapDevice::read_stats(netlink::RouteSocket &route) const {
    auto state = NETDEXT_TRY(route.get_link(m_ifindex));
    if (!state.stats)
        return Error::from_errno(ENODATA, "RTM_GETLINK: no IFLA_STATS64");
    return *state.stats;
}

} // namespace netdext::tap
