// The framework path against the raw TAP floor, measured in one run (issue 5's benchmark):
//
//   stack → driver: UDP frames sent in the namespace out of en0 → netdextd → TX submission →
//                   completed by BenchNic, against a raw TAP read loop;
//   driver → stack: BenchNic filling RX buffers as fast as the queues allow → netdextd → en0 →
//                   a UDP socket, against a raw TAP write loop.
// The rings alone (daemon ↔ host without a TAP) are measured by bench/ring.
//
// Run as root: framework_bench [--seconds S] [--rounds N] [--direction tx|rx|both]
// [--frame-size 60,1514] [--queues 1,2] [--json] (--help for all). Prints frames/s and the ratio
// of every round, then the medians and min–max; --json prints one document instead. --queues adds
// the multi-queue scaling: BenchNic with each number of queue pairs (a TAP queue and a frame
// mover each), against the first, in the same rounds.

#include "common/summary.h"
#include "daemon_fixture.h"
#include "netlink/route_socket.h"
#include "tap/tap_floor.h"

#include <netdext/version.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
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

// netdextd's --tap-io: how the framework's TAP is read and written (the floor always makes one
// syscall per frame).
std::string g_tap_io = "io_uring";

const MacAddress kDriverMac{{0x02, 0x00, 0x00, 0x00, 0xbe, 0x02}}; // BenchNic's MAC
constexpr uint32_t kHeaders = 42;                                  // Ethernet + IPv4 + UDP

// One measurement's parameters: how long, and the size of every frame (Ethernet header to the
// end of the UDP payload, without FCS).
struct Run {
    milliseconds duration;
    uint32_t frame;
    [[nodiscard]] size_t payload() const { return frame - kHeaders; }
};

// The floor's set-up: a bare TAP with the driver's MAC in a namespace of its own, prepared by the
// harness; runs `measure` on it.
template <class Measure> double raw_floor(Measure measure, std::string &error) {
    auto netns = testing::ScopedNetns::create("ndxb");
    if (!netns) {
        error = "netns: " + netns.error().describe();
        return 0;
    }
    // The floor: one read or write per frame, as a program on a bare TAP does.
    tap::TapDevice::Options options;
    options.batched_io = false;
    auto tap = netns.value().run([&] { return tap::TapDevice::create("bench%d", options); });
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
                    bench::FloorLink &link, int &ifindex, std::string &error, uint32_t movers = 1) {
    testing::DaemonRun how{
        BENCH_DEXT_PATH,
        boot_args,
        {"--quiet-dexts", "--tap-io", g_tap_io, "--movers", std::to_string(movers)}};
    how.capture = false; // the pcap capture would write every frame
    if (!daemon.start(how, error))
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
double stack_to_driver_raw(const Run &run, std::string &error) {
    return raw_floor(
        [&](const bench::FloorLink &link, tap::TapDevice &tap) {
            std::vector<std::byte> storage(64 * 2048);
            std::vector<tap::FrameSlot> slots(64);
            for (size_t i = 0; i < slots.size(); ++i)
                slots[i] = tap::FrameSlot{storage.data() + i * 2048, 2048, 0};
            return bench::measure_stack_to_tap(
                       link, run.payload(), run.duration,
                       [&] { return bench::raw_tap_read_batch(tap, slots); })
                .frames_per_second();
        },
        error);
}

// The framework: netdextd + BenchNic completing every frame. The sink only reads the kernel's
// count of frames sent into en0 (netdextd takes them off the TAP).
double stack_to_driver_framework(const Run &run, std::string &error, bool quiet,
                                 uint32_t queues = 1, unsigned senders = 1) {
    testing::DaemonFixture daemon;
    bench::FloorLink link;
    int ifindex = 0;
    if (!framework_link(daemon, "benchqueues=" + std::to_string(queues), link, ifindex, error,
                        queues))
        return 0;
    LinkCounters counters(daemon.netns(), ifindex);
    uint64_t last = counters.read().tx_packets;
    auto measured = bench::measure_stack_to_tap(
        link, run.payload(), run.duration,
        [&]() -> uint64_t {
            usleep(5000);
            uint64_t now = counters.read().tx_packets;
            uint64_t delta = now - last;
            last = now;
            return delta;
        },
        senders);
    if (!quiet)
        std::printf("  (framework: %llu frames sent by the stack, netdextd counted %llu completed "
                    "by the driver)\n",
                    (unsigned long long)measured.frames,
                    (unsigned long long)daemon.counter("tx_completed"));
    return measured.frames_per_second();
}

// The floor for driver -> stack: a tight write loop on a bare TAP.
double driver_to_stack_raw(const Run &run, std::string &error) {
    return raw_floor(
        [&](const bench::FloorLink &link, tap::TapDevice &tap) {
            std::vector<std::byte> frame = bench::make_inbound_udp_frame(link, run.payload());
            std::vector<tap::ConstFrame> batch(
                64, tap::ConstFrame{frame.data(), uint32_t(frame.size())});
            return bench::measure_tap_to_stack(
                       link, run.duration, [&] { return bench::raw_tap_write_batch(tap, batch); })
                .frames_per_second();
        },
        error);
}

// The framework: BenchNic fills every RX buffer it gets; the source only reads the kernel's count
// of frames en0 received, the harness counts the datagrams that reach the socket.
double driver_to_stack_framework(const Run &run, std::string &error, bool, uint32_t queues = 1) {
    testing::DaemonFixture daemon;
    bench::FloorLink link;
    int ifindex = 0;
    if (!framework_link(daemon,
                        "benchrx=1 benchsize=" + std::to_string(run.frame) +
                            " benchqueues=" + std::to_string(queues),
                        link, ifindex, error, queues))
        return 0;
    LinkCounters counters(daemon.netns(), ifindex);
    uint64_t last = counters.read().rx_packets;
    return bench::measure_tap_to_stack(link, run.duration,
                                       [&]() -> uint64_t {
                                           usleep(5000);
                                           uint64_t now = counters.read().rx_packets;
                                           uint64_t delta = now - last;
                                           last = now;
                                           return delta;
                                       })
        .frames_per_second();
}

using RawMeasure = double (*)(const Run &, std::string &);
using FrameworkMeasure = double (*)(const Run &, std::string &, bool);

using bench::summarize;
using bench::Summary;
using bench::to_json;

// One direction at one frame size over `rounds` rounds: each round measures the floor and the
// framework back to back (in alternating order, so that a drift in the machine's load does not
// favour either); the summary is the median and range of the per-round figures and ratios.
bool run_direction(const char *label, const char *floor_name, int rounds, const Run &run,
                   RawMeasure raw, FrameworkMeasure framework, bool json, nlohmann::json &out) {
    std::vector<double> raws, frameworks, ratios;
    for (int round = 0; round < rounds; ++round) {
        std::string error;
        double raw_fps = 0, framework_fps = 0;
        if (round % 2 == 0) {
            raw_fps = raw(run, error);
            if (error.empty())
                framework_fps = framework(run, error, json);
        } else {
            framework_fps = framework(run, error, json);
            if (error.empty())
                raw_fps = raw(run, error);
        }
        if (!error.empty()) {
            std::fprintf(stderr, "framework_bench: %s\n", error.c_str());
            return false;
        }
        double ratio = raw_fps > 0 ? framework_fps / raw_fps : 0;
        if (!json)
            std::printf("  %s, %u-byte frames, round %d: %s %.0f frames/s, framework %.0f "
                        "frames/s, ratio %.2f\n",
                        label, run.frame, round + 1, floor_name, raw_fps, framework_fps, ratio);
        std::fflush(stdout);
        raws.push_back(raw_fps);
        frameworks.push_back(framework_fps);
        ratios.push_back(ratio);
    }
    Summary r = summarize(raws), f = summarize(frameworks), q = summarize(ratios);
    if (!json)
        std::printf("%s, %u-byte frames: %s %.0f frames/s (%.0f–%.0f), framework %.0f frames/s "
                    "(%.0f–%.0f, %.2f Gbit/s), ratio %.2f (%.2f–%.2f), median (min–max) of %d\n",
                    label, run.frame, floor_name, r.median, r.min, r.max, f.median, f.min, f.max,
                    f.median * run.frame * 8 / 1e9, q.median, q.min, q.max, rounds);
    out.push_back({{"direction", label},
                   {"frame_bytes", run.frame},
                   {"floor", floor_name},
                   {"floor_frames_per_second", to_json(r)},
                   {"framework_frames_per_second", to_json(f)},
                   {"ratio", to_json(q)},
                   {"rounds", rounds}});
    return true;
}

// Multi-queue scaling: the framework with each number of queue pairs in `queues` (BenchNic's
// pairs, so as many TAP queues and frame movers), in an order that alternates from round to
// round; ratios against queues[0] in the same round. Stack → driver sends from as many flows as
// the largest count, for every count.
bool run_scaling(const char *label, bool tx, int rounds, const Run &run,
                 const std::vector<uint32_t> &queues, bool json, nlohmann::json &out) {
    const unsigned senders = *std::max_element(queues.begin(), queues.end());
    std::vector<std::vector<double>> fps(queues.size()), ratios(queues.size());
    for (int round = 0; round < rounds; ++round) {
        std::vector<double> measured(queues.size(), 0);
        for (size_t k = 0; k < queues.size(); ++k) {
            const size_t i = round % 2 == 0 ? k : queues.size() - 1 - k;
            std::string error;
            measured[i] = tx ? stack_to_driver_framework(run, error, true, queues[i], senders)
                             : driver_to_stack_framework(run, error, true, queues[i]);
            if (error.empty() && measured[i] <= 0)
                error = std::to_string(queues[i]) + " queue pair(s) moved no frames";
            if (!error.empty()) {
                std::fprintf(stderr, "framework_bench: %s\n", error.c_str());
                return false;
            }
        }
        for (size_t i = 0; i < queues.size(); ++i) {
            fps[i].push_back(measured[i]);
            ratios[i].push_back(measured[0] > 0 ? measured[i] / measured[0] : 0);
            if (!json)
                std::printf("  %s, %u-byte frames, round %d: %u queue pair(s) %.0f frames/s, "
                            "%.2f of %u\n",
                            label, run.frame, round + 1, queues[i], measured[i], ratios[i].back(),
                            queues[0]);
        }
        std::fflush(stdout);
    }
    for (size_t i = 0; i < queues.size(); ++i) {
        Summary f = summarize(fps[i]), q = summarize(ratios[i]);
        if (!json)
            std::printf("%s, %u-byte frames, %u queue pair(s)%s: %.0f frames/s (%.0f–%.0f), "
                        "%.2f (%.2f–%.2f) of %u, median (min–max) of %d\n",
                        label, run.frame, queues[i],
                        tx ? (", " + std::to_string(senders) + " flows").c_str() : "", f.median,
                        f.min, f.max, q.median, q.min, q.max, queues[0], rounds);
        out.push_back({{"direction", label},
                       {"frame_bytes", run.frame},
                       {"queue_pairs", queues[i]},
                       {"reference_queue_pairs", queues[0]},
                       {"flows", tx ? senders : 1u},
                       {"framework_frames_per_second", to_json(f)},
                       {"ratio", to_json(q)},
                       {"rounds", rounds}});
    }
    return true;
}

} // namespace

int main(int argc, char **argv) {
    double seconds = 2;
    int rounds = 5;
    std::string direction = "both";
    std::vector<uint32_t> frames = {60, 1514};
    bool json = false;
    std::vector<uint32_t> queues;
    CLI::App app{"framework_bench — netdextd's frame path (TAP → rings → BenchNic and back) "
                 "against a raw TAP loop measured in the same rounds: stack → driver (tx) and "
                 "driver → stack (rx), frames/s and ratios. Needs root; creates and removes its "
                 "namespaces, TAPs and netdextd.",
                 "framework_bench"};
    app.set_version_flag("--version", version_text("framework_bench"));
    app.add_option("--seconds", seconds, "Seconds per measurement")
        ->check(CLI::Range(0.05, 600.0))
        ->capture_default_str();
    app.add_option("--rounds", rounds, "Rounds (each measures the floor and the framework)")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    app.add_option("--direction", direction, "tx: stack -> driver, rx: driver -> stack, or both")
        ->check(CLI::IsMember({"tx", "rx", "both"}))
        ->capture_default_str();
    app.add_option("--frame-size", frames,
                   "Frame sizes in bytes (Ethernet header to the end of the payload), one "
                   "measurement each")
        ->delimiter(',')
        ->check(CLI::Range(60, 1514))
        ->capture_default_str();
    app.add_option("--tap-io", g_tap_io,
                   "netdextd's --tap-io for the framework: io_uring (batched) or syscalls (one "
                   "per frame, like the floor)")
        ->check(CLI::IsMember({"io_uring", "syscalls"}))
        ->capture_default_str();
    app.add_option("--queues", queues,
                   "Also measure multi-queue scaling: BenchNic with each of these numbers of "
                   "queue pairs (1-8; a TAP queue and a frame mover each), against the first")
        ->delimiter(',')
        ->check(CLI::Range(1, 8));
    app.add_flag("--json", json, "Print one JSON document instead of text");
    CLI11_PARSE(app, argc, argv);

    if (geteuid() != 0) {
        std::fprintf(stderr, "framework_bench: needs root (namespaces, TAPs, netdextd)\n");
        return 1;
    }
    auto duration = milliseconds(int64_t(seconds * 1000));
    if (!json)
        std::printf("framework path (netdextd --tap-io %s) vs raw TAP loop (one syscall per "
                    "frame), %d round(s) of %.2f s per measurement\n",
                    g_tap_io.c_str(), rounds, seconds);
    nlohmann::json results = nlohmann::json::array();
    nlohmann::json scaling = nlohmann::json::array();
    for (uint32_t frame : frames) {
        Run run{duration, frame};
        if (direction != "rx" &&
            !run_direction(
                "stack -> driver", "raw TAP read loop", rounds, run, stack_to_driver_raw,
                [](const Run &r, std::string &e, bool quiet) {
                    return stack_to_driver_framework(r, e, quiet);
                },
                json, results))
            return 1;
        if (direction != "tx" &&
            !run_direction(
                "driver -> stack", "raw TAP write loop", rounds, run, driver_to_stack_raw,
                [](const Run &r, std::string &e, bool quiet) {
                    return driver_to_stack_framework(r, e, quiet);
                },
                json, results))
            return 1;
    }
    for (uint32_t frame : frames) {
        if (queues.size() < 2)
            break;
        Run run{duration, frame};
        if (direction != "rx" &&
            !run_scaling("stack -> driver", true, rounds, run, queues, json, scaling))
            return 1;
        if (direction != "tx" &&
            !run_scaling("driver -> stack", false, rounds, run, queues, json, scaling))
            return 1;
    }
    if (json)
        std::printf("%s\n", nlohmann::json{{"seconds", seconds},
                                           {"rounds", rounds},
                                           {"tap_io", g_tap_io},
                                           {"results", results},
                                           {"scaling", scaling}}
                                .dump(2)
                                .c_str());
    return 0;
}
