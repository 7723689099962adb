// tap_floor_bench: prints the raw TAP floor, frames per second, both directions, for minimum-size
// and full-size frames. Run as root; it creates a network namespace and removes it on exit.
//
//   tap_floor_bench [--seconds S]
#include "tap/tap_floor.h"

#include "netlink/route_socket.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include <array>
#include <thread>
#include <vector>

using namespace netdext;

namespace {

int fail(const char *what, const Error &error) {
    std::fprintf(stderr, "tap_floor_bench: %s: %s\n", what, error.describe().c_str());
    return 1;
}

} // namespace

int main(int argc, char **argv) {
    double seconds = 2.0;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: %s [--seconds S]\n", argv[0]);
            return 2;
        }
    }
    if (::geteuid() != 0) {
        std::fprintf(stderr, "tap_floor_bench: needs root (network namespace, /dev/net/tun)\n");
        return 1;
    }
    auto duration = std::chrono::milliseconds(static_cast<long>(seconds * 1000));

    auto netns = testing::ScopedNetns::create("ndxtbench");
    if (netns.is_error())
        return fail("namespace", netns.error());
    // The floor: one read or write per frame, as a program on a bare TAP does.
    tap::TapDevice::Options options;
    options.batched_io = false;
    auto created = netns.value().run([&] { return tap::TapDevice::create("en%d", options); });
    if (created.is_error())
        return fail("TAP", created.error());
    tap::TapDevice device = created.release_value();
    const MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0xbe, 0x00}};
    if (auto set = device.set_mac(mac); set.is_error())
        return fail("set_mac", set.error());
    bench::FloorLink link{&netns.value(), device.name(), mac};
    if (auto prepared = bench::prepare_link(link); prepared.is_error())
        return fail("prepare_link", prepared.error());

    std::printf("raw TAP floor: namespace %s, interface %s, %.1f s per case, %u cores\n",
                netns.value().name().c_str(), device.name().c_str(), seconds,
                std::thread::hardware_concurrency());

    // Caller-owned buffers, allocated once: the loops allocate nothing per frame.
    constexpr size_t kBatch = 64;
    std::vector<std::array<std::byte, 2048>> buffers(kBatch);
    std::vector<tap::FrameSlot> slots;
    for (auto &buffer : buffers)
        slots.push_back({buffer.data(), static_cast<uint32_t>(buffer.size()), 0});

    for (size_t payload : {size_t{18}, size_t{1472}}) {
        size_t frame_bytes = 14 + 20 + 8 + payload;
        auto out = bench::measure_stack_to_tap(
            link, payload, duration, [&] { return bench::raw_tap_read_batch(device, slots); });
        std::printf("stack -> TAP  %4zu-byte frames: %10.0f frames/s read   (UDP sender offered "
                    "%.0f/s)\n",
                    frame_bytes, out.frames_per_second(), out.offered_per_second());

        std::vector<std::byte> frame = bench::make_inbound_udp_frame(link, payload);
        std::vector<tap::ConstFrame> batch(kBatch,
                                           {frame.data(), static_cast<uint32_t>(frame.size())});
        auto in = bench::measure_tap_to_stack(
            link, duration, [&] { return bench::raw_tap_write_batch(device, batch); });
        std::printf("TAP -> stack  %4zu-byte frames: %10.0f frames/s received (written "
                    "%.0f/s)\n",
                    frame_bytes, in.frames_per_second(), in.offered_per_second());
    }

    auto route = netns.value().run([] { return netlink::RouteSocket::create(); });
    if (!route.is_error()) {
        if (auto stats = device.read_stats(route.value()); !stats.is_error()) {
            std::printf("ip -s link %s: rx %llu packets (%llu dropped), tx %llu packets (%llu "
                        "dropped); TAP counters: rx_truncated %llu, tx_rejected %llu\n",
                        device.name().c_str(),
                        static_cast<unsigned long long>(stats.value().rx_packets),
                        static_cast<unsigned long long>(stats.value().rx_dropped),
                        static_cast<unsigned long long>(stats.value().tx_packets),
                        static_cast<unsigned long long>(stats.value().tx_dropped),
                        static_cast<unsigned long long>(device.counters().rx_truncated.load()),
                        static_cast<unsigned long long>(device.counters().tx_rejected.load()));
        }
    }
    return 0;
}
