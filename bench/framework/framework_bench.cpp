// The framework path against the raw TAP floor, measured in one run (issue 5's benchmark):
//
//   stack → driver: UDP frames sent in the namespace out of en0 → netdextd → TX submission →
//                   completed by BenchNic, against a raw TAP read loop;
//   driver → stack: BenchNic filling RX buffers as fast as the queues allow → netdextd → en0 →
//                   a UDP socket, against a raw TAP write loop.
// The rings alone (daemon ↔ host without a TAP) are measured by bench/ring.
//
// Run as root: framework_bench [--seconds S]. Prints frames/s and the ratios.

#include "daemon_fixture.h"
#include "netlink/route_socket.h"
#include "tap/tap_floor.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

using namespace netdext;
using namespace std::chrono;

namespace {

// Kernel counters of a link inside a namespace, read through a RouteSocket made there.
class LinkCounters {
public:
    LinkCounters(const testing::ScopedNetns &netns, int ifindex) : m_ifindex(ifindex) {
        auto route = netns.run([] { return netlink::RouteSocket::create(); });
        if (route)
            m_route.emplace(route.release_value());
    }
    netlink::LinkStats read() {
        if (!m_route)
            return {};
        auto link = m_route->get_link(m_ifindex);
        return link && link.value().stats ? *link.value().stats : netlink::LinkStats{};
    }

private:
    int m_ifindex;
    std::optional<netlink::RouteSocket> m_route;
};

struct Pair {
    double raw = 0, framework = 0;
};

Pair stack_to_driver(milliseconds duration, std::string &error) {
    Pair result;
    // The floor: a bare TAP and a tight read loop.
    {
        auto netns = testing::ScopedNetns::create("ndxb");
        if (!netns) {
            error = "netns: " + netns.error().describe();
            return result;
        }
        auto tap = netns.value().run([] { return tap::TapDevice::create("bench%d"); });
        if (!tap) {
            error = "tap: " + tap.error().describe();
            return result;
        }
        MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0xbe, 0x02}};
        (void)tap.value().set_mac(mac);
        bench::FloorLink link{&netns.value(), tap.value().name(), mac};
        if (auto r = bench::prepare_link(link); !r) {
            error = "prepare: " + r.error().describe();
            return result;
        }
        std::vector<std::byte> storage(64 * 2048);
        std::vector<tap::FrameSlot> slots(64);
        for (size_t i = 0; i < slots.size(); ++i)
            slots[i] = tap::FrameSlot{storage.data() + i * 2048, 2048, 0};
        result.raw = bench::measure_stack_to_tap(link, 18, duration, [&] {
                         return bench::raw_tap_read_batch(tap.value(), slots);
                     }).frames_per_second();
    }
    // The framework: netdextd + BenchNic completing every frame.
    testing::DaemonFixture daemon;
    if (!daemon.start(testing::DaemonRun{BENCH_DEXT_PATH, "", {"--quiet-dexts"}}, error))
        return result;
    int ifindex = daemon.dext()["interface"].value("ifindex", 0);
    bench::FloorLink link{&daemon.netns(), "en0", MacAddress{{0x02, 0x00, 0x00, 0x00, 0xbe, 0x02}}};
    if (auto r = bench::prepare_link(link); !r) {
        error = "prepare en0: " + r.error().describe();
        return result;
    }
    LinkCounters counters(daemon.netns(), ifindex);
    uint64_t last = counters.read().tx_packets;
    auto measured = bench::measure_stack_to_tap(link, 18, duration, [&]() -> uint64_t {
        usleep(5000); // the frames are taken by netdextd; this only reads the kernel's count
        uint64_t now = counters.read().tx_packets;
        uint64_t delta = now - last;
        last = now;
        return delta;
    });
    result.framework = measured.frames_per_second();
    std::printf("  (framework: %llu frames sent by the stack, netdextd counted %llu completed by "
                "the driver)\n",
                (unsigned long long)measured.frames,
                (unsigned long long)daemon.counter("tx_completed"));
    return result;
}

Pair driver_to_stack(milliseconds duration, std::string &error) {
    Pair result;
    {
        auto netns = testing::ScopedNetns::create("ndxb");
        if (!netns) {
            error = "netns: " + netns.error().describe();
            return result;
        }
        auto tap = netns.value().run([] { return tap::TapDevice::create("bench%d"); });
        if (!tap) {
            error = "tap: " + tap.error().describe();
            return result;
        }
        MacAddress mac{{0x02, 0x00, 0x00, 0x00, 0xbe, 0x02}};
        (void)tap.value().set_mac(mac);
        bench::FloorLink link{&netns.value(), tap.value().name(), mac};
        if (auto r = bench::prepare_link(link); !r) {
            error = "prepare: " + r.error().describe();
            return result;
        }
        std::vector<std::byte> frame = bench::make_inbound_udp_frame(link, 18);
        std::vector<tap::ConstFrame> batch(64, tap::ConstFrame{frame.data(), uint32_t(frame.size())});
        result.raw = bench::measure_tap_to_stack(link, duration, [&] {
                         return bench::raw_tap_write_batch(tap.value(), batch);
                     }).frames_per_second();
    }
    testing::DaemonFixture daemon;
    if (!daemon.start(testing::DaemonRun{BENCH_DEXT_PATH, "benchrx=1", {"--quiet-dexts"}}, error))
        return result;
    int ifindex = daemon.dext()["interface"].value("ifindex", 0);
    bench::FloorLink link{&daemon.netns(), "en0", MacAddress{{0x02, 0x00, 0x00, 0x00, 0xbe, 0x02}}};
    if (auto r = bench::prepare_link(link); !r) {
        error = "prepare en0: " + r.error().describe();
        return result;
    }
    LinkCounters counters(daemon.netns(), ifindex);
    uint64_t last = counters.read().rx_packets;
    result.framework = bench::measure_tap_to_stack(link, duration, [&]() -> uint64_t {
                           usleep(5000); // BenchNic produces on its own; count what arrived
                           uint64_t now = counters.read().rx_packets;
                           uint64_t delta = now - last;
                           last = now;
                           return delta;
                       }).frames_per_second();
    return result;
}

} // namespace

int main(int argc, char **argv) {
    double seconds = 3;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--seconds") == 0)
            seconds = std::atof(argv[i + 1]);
    if (geteuid() != 0) {
        std::fprintf(stderr, "framework_bench: needs root (namespaces, TAPs, netdextd)\n");
        return 1;
    }
    auto duration = milliseconds(int64_t(seconds * 1000));
    std::string error;
    std::printf("framework path vs raw TAP loop, %.1f s per measurement, 60-byte frames\n", seconds);
    Pair tx = stack_to_driver(duration, error);
    if (!error.empty()) {
        std::fprintf(stderr, "framework_bench: %s\n", error.c_str());
        return 1;
    }
    std::printf("stack -> driver: raw TAP read loop %10.0f frames/s, framework %10.0f frames/s, "
                "ratio %.2f\n",
                tx.raw, tx.framework, tx.raw > 0 ? tx.framework / tx.raw : 0);
    Pair rx = driver_to_stack(duration, error);
    if (!error.empty()) {
        std::fprintf(stderr, "framework_bench: %s\n", error.c_str());
        return 1;
    }
    std::printf("driver -> stack: raw TAP write loop %9.0f frames/s, framework %10.0f frames/s, "
                "ratio %.2f\n",
                rx.raw, rx.framework, rx.raw > 0 ? rx.framework / rx.raw : 0);
    return 0;
}
