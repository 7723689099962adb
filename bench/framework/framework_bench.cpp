// The framework path against the raw TAP floor, measured in one run (issue 5's benchmark):
//
//   stack → driver: UDP frames sent in the namespace out of en0 → netdextd → TX submission →
//                   completed by BenchNic, against a raw TAP read loop;
//   driver → stack: BenchNic filling RX buffers as fast as the queues allow → netdextd → en0 →
//                   a UDP socket, against a raw TAP write loop.
// The rings alone (daemon ↔ host without a TAP) are measured by bench/ring.
//
// Run as root: framework_bench [--seconds S] [--rounds N] [--direction tx|rx|both]. Prints
// frames/s and the ratio of every round, then the medians.

#include "daemon_fixture.h"
#include "netlink/route_socket.h"
#include "tap/tap_floor.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <string>
#include <vector>

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

const MacAddress kDriverMac{{0x02, 0x00, 0x00, 0x00, 0xbe, 0x02}}; // BenchNic's MAC

// The floor's set-up: a bare TAP with the driver's MAC in a namespace of its own, prepared by the
// harness; runs `measure` on it.
template <class Measure> double raw_floor(Measure measure, std::string &error) {
    auto netns = testing::ScopedNetns::create("ndxb");
    if (!netns) {
        error = "netns: " + netns.error().describe();
        return 0;
    }
    auto tap = netns.value().run([] { return tap::TapDevice::create("bench%d"); });
    if (!tap) {
        error = "tap: " + tap.error().describe();
        return 0;
    }
    (void)tap.value().set_mac(kDriverMac);
    bench::FloorLink link{&netns.value(), tap.value().name(), kDriverMac};
    if (auto r = bench::prepare_link(link); !r) {
        error = "prepare: " + r.error().describe();
        return 0;
    }
    return measure(link, tap.value());
}

// netdextd running BenchNic (with `boot_args`) in a namespace, en0 prepared by the harness.
bool framework_link(testing::DaemonFixture &daemon, const std::string &boot_args,
                    bench::FloorLink &link, int &ifindex, std::string &error) {
    if (!daemon.start(testing::DaemonRun{BENCH_DEXT_PATH, boot_args, {"--quiet-dexts"}}, error))
        return false;
    ifindex = daemon.dext()["interface"].value("ifindex", 0);
    link = bench::FloorLink{&daemon.netns(), "en0", kDriverMac};
    if (auto r = bench::prepare_link(link); !r) {
        error = "prepare en0: " + r.error().describe();
        return false;
    }
    return true;
}

// The floor for stack -> driver: a tight read loop on a bare TAP.
double stack_to_driver_raw(milliseconds duration, std::string &error) {
    return raw_floor(
        [&](const bench::FloorLink &link, tap::TapDevice &tap) {
            std::vector<std::byte> storage(64 * 2048);
            std::vector<tap::FrameSlot> slots(64);
            for (size_t i = 0; i < slots.size(); ++i)
                slots[i] = tap::FrameSlot{storage.data() + i * 2048, 2048, 0};
            return bench::measure_stack_to_tap(link, 18, duration, [&] {
                       return bench::raw_tap_read_batch(tap, slots);
                   }).frames_per_second();
        },
        error);
}

// The framework: netdextd + BenchNic completing every frame. The sink only reads the kernel's
// count of frames sent into en0 (netdextd takes them off the TAP).
double stack_to_driver_framework(milliseconds duration, std::string &error) {
    testing::DaemonFixture daemon;
    bench::FloorLink link;
    int ifindex = 0;
    if (!framework_link(daemon, "", link, ifindex, error))
        return 0;
    LinkCounters counters(daemon.netns(), ifindex);
    uint64_t last = counters.read().tx_packets;
    auto measured = bench::measure_stack_to_tap(link, 18, duration, [&]() -> uint64_t {
        usleep(5000);
        uint64_t now = counters.read().tx_packets;
        uint64_t delta = now - last;
        last = now;
        return delta;
    });
    std::printf("  (framework: %llu frames sent by the stack, netdextd counted %llu completed by "
                "the driver)\n",
                (unsigned long long)measured.frames,
                (unsigned long long)daemon.counter("tx_completed"));
    return measured.frames_per_second();
}

// The floor for driver -> stack: a tight write loop on a bare TAP.
double driver_to_stack_raw(milliseconds duration, std::string &error) {
    return raw_floor(
        [&](const bench::FloorLink &link, tap::TapDevice &tap) {
            std::vector<std::byte> frame = bench::make_inbound_udp_frame(link, 18);
            std::vector<tap::ConstFrame> batch(64,
                                               tap::ConstFrame{frame.data(), uint32_t(frame.size())});
            return bench::measure_tap_to_stack(link, duration, [&] {
                       return bench::raw_tap_write_batch(tap, batch);
                   }).frames_per_second();
        },
        error);
}

// The framework: BenchNic fills every RX buffer it gets; the source only reads the kernel's count
// of frames en0 received, the harness counts the datagrams that reach the socket.
double driver_to_stack_framework(milliseconds duration, std::string &error) {
    testing::DaemonFixture daemon;
    bench::FloorLink link;
    int ifindex = 0;
    if (!framework_link(daemon, "benchrx=1", link, ifindex, error))
        return 0;
    LinkCounters counters(daemon.netns(), ifindex);
    uint64_t last = counters.read().rx_packets;
    return bench::measure_tap_to_stack(link, duration, [&]() -> uint64_t {
               usleep(5000);
               uint64_t now = counters.read().rx_packets;
               uint64_t delta = now - last;
               last = now;
               return delta;
           }).frames_per_second();
}

using Measure = double (*)(milliseconds, std::string &);

double median(std::vector<double> values) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    size_t mid = values.size() / 2;
    return values.size() % 2 != 0 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// One direction over `rounds` rounds: each round measures the floor and the framework back to
// back (in alternating order, so that a drift in the machine's load does not favour either), and
// the summary is the median of the per-round ratios.
bool run_direction(const char *label, const char *floor_name, int rounds, milliseconds duration,
                   Measure raw, Measure framework) {
    std::vector<double> raws, frameworks, ratios;
    for (int round = 0; round < rounds; ++round) {
        std::string error;
        double raw_fps = 0, framework_fps = 0;
        if (round % 2 == 0) {
            raw_fps = raw(duration, error);
            if (error.empty())
                framework_fps = framework(duration, error);
        } else {
            framework_fps = framework(duration, error);
            if (error.empty())
                raw_fps = raw(duration, error);
        }
        if (!error.empty()) {
            std::fprintf(stderr, "framework_bench: %s\n", error.c_str());
            return false;
        }
        double ratio = raw_fps > 0 ? framework_fps / raw_fps : 0;
        std::printf("  %s round %d: %s %.0f frames/s, framework %.0f frames/s, ratio %.2f\n",
                    label, round + 1, floor_name, raw_fps, framework_fps, ratio);
        raws.push_back(raw_fps);
        frameworks.push_back(framework_fps);
        ratios.push_back(ratio);
    }
    std::printf("%s: %s %10.0f frames/s, framework %10.0f frames/s, ratio %.2f (median of %d)\n",
                label, floor_name, median(raws), median(frameworks), median(ratios), rounds);
    return true;
}

} // namespace

int main(int argc, char **argv) {
    double seconds = 2;
    int rounds = 5;
    std::string direction = "both";
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--seconds") == 0)
            seconds = std::atof(argv[i + 1]);
        else if (std::strcmp(argv[i], "--rounds") == 0)
            rounds = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--direction") == 0)
            direction = argv[i + 1];
    }
    if (seconds <= 0 || rounds <= 0 ||
        (direction != "both" && direction != "tx" && direction != "rx")) {
        std::fprintf(stderr, "usage: framework_bench [--seconds S] [--rounds N] "
                             "[--direction tx|rx|both]\n"
                             "  tx: stack -> driver, rx: driver -> stack\n");
        return 2;
    }
    if (geteuid() != 0) {
        std::fprintf(stderr, "framework_bench: needs root (namespaces, TAPs, netdextd)\n");
        return 1;
    }
    auto duration = milliseconds(int64_t(seconds * 1000));
    std::printf("framework path vs raw TAP loop, %d round(s) of %.1f s per measurement, 60-byte "
                "frames\n",
                rounds, seconds);
    if (direction != "rx" && !run_direction("stack -> driver", "raw TAP read loop", rounds,
                                            duration, stack_to_driver_raw,
                                            stack_to_driver_framework))
        return 1;
    if (direction != "tx" && !run_direction("driver -> stack", "raw TAP write loop", rounds,
                                            duration, driver_to_stack_raw,
                                            driver_to_stack_framework))
        return 1;
    return 0;
}
