// The raw TAP floor harness. See tap_floor.h.
#include "tap/tap_floor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

namespace netdext::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kLocalAddress = 0x0ad70001; // 10.215.0.1, the interface
constexpr uint32_t kPeerAddress = 0x0ad70002;  // 10.215.0.2, the static neighbour
constexpr uint16_t kPort = 5555;
constexpr auto kWarmUp = std::chrono::milliseconds(200);

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

void put16(std::byte *at, uint16_t host_value) {
    uint16_t value = htons(host_value);
    std::memcpy(at, &value, 2);
}

void put32(std::byte *at, uint32_t host_value) {
    uint32_t value = htonl(host_value);
    std::memcpy(at, &value, 4);
}

uint16_t ipv4_header_checksum(const std::byte *header) {
    uint32_t sum = 0;
    for (size_t i = 0; i < 20; i += 2)
        sum += static_cast<uint32_t>(static_cast<uint8_t>(header[i])) << 8 |
               static_cast<uint8_t>(header[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

sockaddr_in udp_address(uint32_t address) {
    sockaddr_in result{};
    result.sin_family = AF_INET;
    result.sin_port = htons(kPort);
    result.sin_addr.s_addr = htonl(address);
    return result;
}

struct Window {
    uint64_t callback_total = 0; // what the measured callback returned, summed
    uint64_t counter_delta = 0;  // progress of the traffic thread
    double seconds = 0;
};

// Runs `measured` on the calling thread for kWarmUp (uncounted) and then for `duration`, and
// samples `counter` (the traffic thread's progress) at the start and end of the counted window.
Window run_window(std::chrono::milliseconds duration, FunctionRef<uint64_t()> measured,
                  const std::atomic<uint64_t> &counter) {
    auto warm_until = Clock::now() + kWarmUp;
    while (Clock::now() < warm_until)
        (void)measured();
    Window window;
    uint64_t counter_start = counter.load(std::memory_order_relaxed);
    auto start = Clock::now();
    auto end = start + duration;
    auto now = start;
    while (now < end) {
        window.callback_total += measured();
        now = Clock::now();
    }
    window.counter_delta = counter.load(std::memory_order_relaxed) - counter_start;
    window.seconds = seconds_between(start, now);
    return window;
}

} // namespace

Result<void> prepare_link(const FloorLink &link) {
    std::string command = "sysctl -qw net.ipv6.conf." + link.ifname + ".disable_ipv6=1" +
                          " && ip addr add 10.215.0.1/24 dev " + link.ifname +
                          " && ip neigh replace 10.215.0.2 lladdr " + kPeerMac.to_string() +
                          " dev " + link.ifname + " nud permanent && ip link set " + link.ifname +
                          " up";
    auto result = link.netns->sh(command);
    if (!result.ok())
        return Error::from_errno(EIO, "prepare_link: ip/sysctl failed");
    return {};
}

std::vector<std::byte> make_inbound_udp_frame(const FloorLink &link, size_t payload_bytes) {
    std::vector<std::byte> frame(14 + 20 + 8 + payload_bytes);
    std::memcpy(frame.data(), link.mac.bytes.data(), 6);
    std::memcpy(frame.data() + 6, kPeerMac.bytes.data(), 6);
    put16(frame.data() + 12, 0x0800);
    std::byte *ip = frame.data() + 14;
    ip[0] = std::byte{0x45}; // IPv4, 20-byte header
    put16(ip + 2, static_cast<uint16_t>(20 + 8 + payload_bytes));
    put16(ip + 6, 0x4000); // don't fragment
    ip[8] = std::byte{64}; // TTL
    ip[9] = std::byte{IPPROTO_UDP};
    put32(ip + 12, kPeerAddress);
    put32(ip + 16, kLocalAddress);
    put16(ip + 10, ipv4_header_checksum(ip));
    std::byte *udp = ip + 20;
    put16(udp, kPort);
    put16(udp + 2, kPort);
    put16(udp + 4, static_cast<uint16_t>(8 + payload_bytes)); // checksum 0: none (IPv4)
    return frame;
}

FloorResult measure_stack_to_tap(const FloorLink &link, size_t payload_bytes,
                                 std::chrono::milliseconds duration, FunctionRef<uint64_t()> sink,
                                 unsigned senders) {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> sent{0};
    std::vector<std::thread> threads;
    for (unsigned s = 0; s < std::max(1u, senders); ++s)
        threads.push_back(link.netns->spawn([&] {
            UniqueFd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            sockaddr_in peer = udp_address(kPeerAddress);
            if (::connect(udp.get(), reinterpret_cast<sockaddr *>(&peer), sizeof(peer)) < 0)
                return;
            std::vector<std::byte> payload(payload_bytes);
            while (!stop.load(std::memory_order_relaxed)) {
                // A full qdisc or TAP ring drops silently (no IP_RECVERR): that is the point,
                // the senders offer more than the reader takes.
                if (::send(udp.get(), payload.data(), payload.size(), 0) >= 0)
                    sent.fetch_add(1, std::memory_order_relaxed);
            }
        }));
    Window window = run_window(duration, sink, sent);
    stop = true;
    for (std::thread &sender : threads)
        sender.join();
    return {window.callback_total, window.counter_delta, window.seconds};
}

FloorResult measure_tap_to_stack(const FloorLink &link, std::chrono::milliseconds duration,
                                 FunctionRef<uint64_t()> source) {
    std::atomic<bool> stop{false};
    std::atomic<bool> ready{false};
    std::atomic<uint64_t> received{0};
    std::thread receiver = link.netns->spawn([&] {
        UniqueFd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        int buffer_bytes = 8 << 20;
        (void)::setsockopt(udp.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes,
                           sizeof(buffer_bytes));
        timeval timeout{0, 50'000};
        (void)::setsockopt(udp.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        sockaddr_in local = udp_address(kLocalAddress);
        if (::bind(udp.get(), reinterpret_cast<sockaddr *>(&local), sizeof(local)) < 0)
            return;
        ready = true;
        constexpr size_t kBatch = 64;
        std::vector<std::array<std::byte, 2048>> buffers(kBatch);
        std::array<iovec, kBatch> vectors;
        std::array<mmsghdr, kBatch> messages{};
        for (size_t i = 0; i < kBatch; ++i) {
            vectors[i] = {buffers[i].data(), buffers[i].size()};
            messages[i].msg_hdr.msg_iov = &vectors[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }
        uint64_t count = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            int got = ::recvmmsg(udp.get(), messages.data(), kBatch, MSG_WAITFORONE, nullptr);
            if (got > 0)
                received.store(count += static_cast<uint64_t>(got), std::memory_order_relaxed);
        }
    });
    while (!ready.load())
        std::this_thread::yield();
    Window window = run_window(duration, source, received);
    stop = true;
    receiver.join();
    return {window.counter_delta, window.callback_total, window.seconds};
}

uint64_t raw_tap_read_batch(tap::TapDevice &tap, std::span<tap::FrameSlot> slots) {
    auto got = tap.read_frames(slots);
    if (!got.is_error() && got.value() > 0)
        return got.value();
    pollfd readable{tap.fd(), POLLIN, 0};
    (void)::poll(&readable, 1, 10);
    return 0;
}

uint64_t raw_tap_write_batch(tap::TapDevice &tap, std::span<const tap::ConstFrame> frames) {
    auto put = tap.write_frames(frames);
    uint64_t consumed = put.is_error() ? 0 : put.value();
    if (consumed < frames.size()) {
        pollfd writable{tap.fd(), POLLOUT, 0};
        (void)::poll(&writable, 1, 10);
    }
    return consumed;
}

} // namespace netdext::bench
