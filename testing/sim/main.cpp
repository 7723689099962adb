// netdext-sim: run a .dext in the driver test bench, without root, in virtual time.
//
//   netdext-sim BUNDLE.dext [--boot-args "k=v …"] [--run 11s] [--rx-pcap OUT] [--tx-pcap IN]
//               [--device MODEL[,knob=value…] [--wire-in IN] [--wire-out OUT]
//                [--event TIME:KNOB=VALUE|TIME:remove …]] [--json] [--ioreg] [--ioreg-args "-l …"]
//               [--no-entitlement-check] [--require-signature] [--trust-dir DIR]
//   netdext-sim --list-devices
//
// Checks the bundle as netdextd would (a signed bundle must verify; an unsigned one runs in
// developer mode unless --require-signature; DriverKit's entitlement rules unless
// --no-entitlement-check), starts the driver (with --device: plugs the simulated device in, and
// the driver starts only if one of its personalities matches it), brings its interface up
// (virtual time 0), transmits the frames of IN at their relative times (and sends the --wire-in
// frames into the device's cable, and applies the --event knobs, at theirs), advances virtual
// time to the end of the run, writes every frame the driver delivered to the stack into OUT
// (timestamps are virtual seconds since interface-up) and, with --wire-out, what the device put
// on its cable, and prints a summary — and with --ioreg the I/O Registry as ioreg prints it at
// the end of the run.
// Exit status: 0 on success, 1 for bad arguments or files or a bundle refused (signature,
// entitlements), 2 when the driver fails to start, 3 when it misused the API, 4 when no
// personality matches the device (or its transport entitlement does not cover it).

#include <netdext/registry/ioreg.h>
#include <netdext/registry/wire.h>
#include <netdext/runtime.h>
#include <netdext/testing/driver_bench.h>

#include <netdext/model/registry.h>

#include "sim_devices.h"
#include <netdext/version.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pcap/pcap.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <functional>
#include <cstdio>
#include <optional>
#include <regex>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

// "11s", "500ms", "1.5s", "2m", "250us", "100ns"; a bare number is seconds.
std::optional<std::chrono::nanoseconds> parse_duration(const std::string &text) {
    static const std::regex pattern(R"(^\s*([0-9]+(?:\.[0-9]+)?)\s*(ns|us|ms|s|m|h)?\s*$)");
    std::smatch match;
    if (!std::regex_match(text, match, pattern))
        return std::nullopt;
    double value = std::stod(match[1].str());
    std::string unit = match[2].matched ? match[2].str() : "s";
    double scale = unit == "ns" ? 1 : unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9
                                      : unit == "m"  ? 60e9 : 3600e9;
    double ns = value * scale;
    if (ns > 1e18)
        return std::nullopt;
    return std::chrono::nanoseconds(int64_t(ns));
}

struct TxFrame {
    uint64_t offset_ns;
    std::vector<uint8_t> bytes;
};

bool read_pcap(const std::string &path, std::vector<TxFrame> &frames, std::string &error) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t *pcap = pcap_open_offline_with_tstamp_precision(path.c_str(),
                                                           PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (pcap == nullptr) {
        error = path + ": " + errbuf;
        return false;
    }
    if (pcap_datalink(pcap) != DLT_EN10MB) {
        error = path + ": not an Ethernet capture (link type " +
                std::to_string(pcap_datalink(pcap)) + ")";
        pcap_close(pcap);
        return false;
    }
    struct pcap_pkthdr *header = nullptr;
    const u_char *data = nullptr;
    std::optional<uint64_t> first;
    int rc;
    while ((rc = pcap_next_ex(pcap, &header, &data)) == 1) {
        uint64_t ts = uint64_t(header->ts.tv_sec) * 1000000000ull + uint64_t(header->ts.tv_usec);
        if (!first)
            first = ts;
        frames.push_back(TxFrame{ts >= *first ? ts - *first : 0,
                                 std::vector<uint8_t>(data, data + header->caplen)});
    }
    if (rc == -1) {
        error = path + ": " + pcap_geterr(pcap);
        pcap_close(pcap);
        return false;
    }
    pcap_close(pcap);
    return true;
}

bool write_pcap(const std::string &path, const std::vector<netdext::testing::Frame> &frames,
                uint64_t origin_ns, std::string &error) {
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
                                                        PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *dumper = pcap_dump_open(dead, path.c_str());
    if (dumper == nullptr) {
        error = path + ": " + pcap_geterr(dead);
        pcap_close(dead);
        return false;
    }
    for (const auto &frame : frames) {
        uint64_t t = frame.time_ns - origin_ns;
        struct pcap_pkthdr header {};
        header.ts.tv_sec = time_t(t / 1000000000ull);
        header.ts.tv_usec = suseconds_t(t % 1000000000ull); // nanoseconds with NANO precision
        header.caplen = header.len = uint32_t(frame.bytes.size());
        pcap_dump(reinterpret_cast<u_char *>(dumper), &header, frame.bytes.data());
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
    return true;
}

std::string hex32(uint32_t v) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%x", v);
    return text;
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app{"Run a NetworkingDriverKit .dext in the driver test bench, in virtual time, "
                 "without root."};
    std::string bundle, boot_args, run_text = "11s", rx_pcap, tx_pcap, ioreg_args, trust_dir;
    bool json = false, verbose = false, ioreg = false, no_entitlement_check = false,
         require_signature = false;
    app.add_option("bundle", bundle, "The driver bundle (NAME.dext directory)");
    app.add_option("--boot-args", boot_args, "Boot-args the driver reads, e.g. \"ndks-debug=1\"");
    app.add_option("--run", run_text, "Virtual time to run after interface-up (default 11s; "
                                      "units ns, us, ms, s, m, h)");
    app.add_option("--rx-pcap", rx_pcap, "Write the frames the driver delivered to this pcap");
    app.add_option("--tx-pcap", tx_pcap, "Transmit the frames of this pcap through the driver");
    app.add_flag("--json", json, "Print the summary as JSON");
    app.add_flag("-v,--verbose", verbose, "Echo the driver's log lines");
    netdext::sim::DeviceOptions device_options;
    netdext::sim::add_device_options(app, device_options);
    app.add_flag("--ioreg", ioreg,
                 "Print the I/O Registry at the end of the run, as `ioreg -l` prints it");
    app.add_option("--ioreg-args", ioreg_args,
                   "ioreg's options for --ioreg (implies it), e.g. \"-r -c IOUserNetworkEthernet "
                   "-w 0\", \"-a\" or \"--json\"");
    app.add_flag("--no-entitlement-check", no_entitlement_check,
                 "Skip DriverKit's entitlement rules (driverkit to launch, family.networking to "
                 "register an interface, the provider's transport)");
    app.add_flag("--require-signature", require_signature,
                 "Refuse unsigned bundles (developer mode off); signed ones are always verified");
    app.add_option("--trust-dir", trust_dir,
                   "Trusted team keys (a netdextd trust store): a signed bundle's team must be "
                   "trusted");
    app.set_version_flag("--version", netdext::version_text("netdext-sim"));
    CLI11_PARSE(app, argc, argv);
    if (device_options.list) {
        netdext::sim::print_device_models();
        return 0;
    }
    if (bundle.empty()) {
        std::fprintf(stderr, "netdext-sim: the bundle argument is required (see --help)\n");
        return 1;
    }

    netdext::registry::IoregOptions ioreg_options;
    ioreg_options.list = ioreg_args.empty();
    if (!ioreg_args.empty()) {
        ioreg = true;
        std::istringstream words(ioreg_args);
        std::vector<std::string> arguments{std::istream_iterator<std::string>(words), {}};
        std::string error;
        if (!netdext::registry::parse_ioreg_arguments(arguments, ioreg_options, error)) {
            std::fprintf(stderr, "netdext-sim: --ioreg-args: %s\n%s", error.c_str(),
                         netdext::registry::usage_text("--ioreg-args").c_str());
            return 1;
        }
    }

    auto run = parse_duration(run_text);
    if (!run) {
        std::fprintf(stderr, "netdext-sim: --run %s: not a duration (e.g. 11s, 500ms)\n",
                     run_text.c_str());
        return 1;
    }
    std::vector<TxFrame> tx_frames, wire_frames;
    std::vector<netdext::sim::DeviceEvent> events;
    std::string error;
    if ((!tx_pcap.empty() && !read_pcap(tx_pcap, tx_frames, error)) ||
        (!device_options.wire_in.empty() && !read_pcap(device_options.wire_in, wire_frames, error)) ||
        !netdext::sim::parse_events(device_options.events, events, error)) {
        std::fprintf(stderr, "netdext-sim: %s\n", error.c_str());
        return 1;
    }
    if (device_options.spec.empty() &&
        (!wire_frames.empty() || !events.empty() || !device_options.wire_out.empty())) {
        std::fprintf(stderr, "netdext-sim: --wire-in, --wire-out and --event need --device\n");
        return 1;
    }
    std::shared_ptr<netdext::model::Device> device;
    if (!device_options.spec.empty()) {
        device = netdext::model::create_device(device_options.spec, error);
        if (!device) {
            std::fprintf(stderr, "netdext-sim: --device %s: %s\n", device_options.spec.c_str(),
                         error.c_str());
            return 1;
        }
    }

    netdext::testing::BenchOptions options;
    options.boot_args = boot_args;
    options.echo_logs = verbose;
    options.check_entitlements = !no_entitlement_check;
    options.allow_unsigned = !require_signature;
    options.trust_dir = trust_dir;
    netdext::testing::DriverBench bench(options);
    if (!bench.load_bundle(bundle, &error)) {
        std::fprintf(stderr, "netdext-sim: %s\n", error.c_str());
        return 1;
    }
    kern_return_t start = device ? bench.attach_device(device) : bench.start();
    const bool unmatched = device && (start == kIOReturnUnsupported || start == kIOReturnNotPermitted);
    kern_return_t up = kIOReturnNotReady;
    uint64_t origin = bench.now_ns();
    size_t transmitted = 0, refused = 0, wire_taken = 0, wire_refused = 0;
    std::vector<std::string> event_errors;
    if (start == kIOReturnSuccess) {
        up = bench.set_interface_enable(true);
        origin = bench.now_ns();
        // Everything that happens at a time, in time order (at equal times: events, the cable,
        // then the stack).
        struct Timed {
            uint64_t offset_ns;
            std::function<void()> run;
        };
        std::vector<Timed> schedule;
        for (const auto &event : events)
            schedule.push_back({event.offset_ns, [&bench, &event, &event_errors] {
                                    std::string why;
                                    if (!netdext::sim::apply_event(bench, event, why))
                                        event_errors.push_back(why);
                                }});
        for (const TxFrame &frame : wire_frames)
            schedule.push_back({frame.offset_ns, [&bench, &frame, &wire_taken, &wire_refused] {
                                    ++(bench.send_from_wire(frame.bytes) ? wire_taken : wire_refused);
                                }});
        for (const TxFrame &frame : tx_frames)
            schedule.push_back({frame.offset_ns, [&bench, &frame, &transmitted, &refused] {
                                    ++(bench.transmit(frame.bytes) ? transmitted : refused);
                                }});
        std::stable_sort(schedule.begin(), schedule.end(),
                         [](const Timed &a, const Timed &b) { return a.offset_ns < b.offset_ns; });
        for (const Timed &item : schedule) {
            if (item.offset_ns > uint64_t(run->count()))
                break;
            bench.advance(std::chrono::nanoseconds(origin + item.offset_ns - bench.now_ns()));
            item.run();
        }
        bench.advance(std::chrono::nanoseconds(origin + uint64_t(run->count()) - bench.now_ns()));
    }
    std::vector<netdext::testing::Frame> received = bench.take_received();
    std::vector<netdext::testing::Frame> wire_out = bench.take_from_wire();
    std::map<std::string, uint64_t> device_counters;
    if (device)
        device_counters = device->counters();
    std::vector<std::string> match_log = bench.match_log();
    const uint32_t link = bench.link_status(), media = bench.active_media();
    const bool registered = bench.registered();
    const std::string name = bench.interface_name();
    std::vector<netdext::testing::CallRecord> calls = bench.calls();
    netdext::registry::Entry registry = bench.registry(); // before Stop: it shows the interface
    if (bench.running())
        bench.stop();
    std::vector<std::string> misuses = bench.misuses();
    auto drops = bench.drops();

    if ((!rx_pcap.empty() && !write_pcap(rx_pcap, received, origin, error)) ||
        (!device_options.wire_out.empty() &&
         !write_pcap(device_options.wire_out, wire_out, origin, error))) {
        std::fprintf(stderr, "netdext-sim: %s\n", error.c_str());
        return 1;
    }

    if (json) {
        nlohmann::json out;
        out["bundle_id"] = bench.bundle_id();
        out["class"] = bench.class_name();
        out["start"] = hex32(uint32_t(start));
        out["start_failure"] = bench.start_failure();
        out["interface"] = registered ? name : "";
        out["interface_up"] = hex32(uint32_t(up));
        out["link_status"] = hex32(link);
        out["active_media"] = hex32(media);
        out["run_ns"] = run->count();
        out["frames"]["rx_delivered"] = received.size();
        out["frames"]["tx_transmitted"] = transmitted;
        out["frames"]["tx_refused"] = refused;
        out["frames"]["tx_completed"] = bench.tx_completed();
        nlohmann::json times = nlohmann::json::array();
        for (const auto &frame : received)
            times.push_back(frame.time_ns - origin);
        out["rx_times_ns"] = times;
        nlohmann::json call_list = nlohmann::json::array();
        for (const auto &call : calls)
            call_list.push_back({{"time_ns", int64_t(call.time_ns) - int64_t(origin)},
                                 {"call", call.call}});
        out["calls"] = call_list;
        out["misuse"] = misuses;
        out["drops"] = drops;
        if (device) {
            out["device"]["model"] = device->model();
            out["device"]["matched"] = !unmatched;
            out["device"]["match_log"] = match_log;
            out["device"]["counters"] = device_counters;
            out["device"]["wire"]["in_taken"] = wire_taken;
            out["device"]["wire"]["in_refused"] = wire_refused;
            out["device"]["wire"]["out"] = wire_out.size();
            out["device"]["event_errors"] = event_errors;
        }
        out["team_id"] = bench.team_id();
        if (ioreg)
            out["registry"] = nlohmann::json::parse(netdext::registry::to_json(registry));
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("netdext-sim: %s (%s), team %s\n", bench.bundle_id().c_str(),
                    bench.class_name().c_str(), bench.team_id().c_str());
        std::printf("  Start: %s; interface %s %s; link status %s, media %s\n",
                    start == kIOReturnSuccess ? "ok" : netdext::describe_return(start).c_str(),
                    registered ? name.c_str() : "(none)",
                    up == kIOReturnSuccess ? "up" : "not up", hex32(link).c_str(),
                    hex32(media).c_str());
        std::printf("  ran %.3f s of virtual time\n", double(run->count()) / 1e9);
        std::printf("  frames: %zu delivered to the stack; %zu transmitted (%zu refused), "
                    "%" PRIu64 " completed\n",
                    received.size(), transmitted, refused, bench.tx_completed());
        std::printf("  calls:\n");
        for (const auto &call : calls)
            std::printf("    %+10.3f s  %s\n", (double(call.time_ns) - double(origin)) / 1e9,
                        call.call.c_str());
        for (const auto &misuse : misuses)
            std::printf("  MISUSE: %s\n", misuse.c_str());
        if (device) {
            std::printf("  device %s: %s\n", device->model().c_str(),
                        unmatched ? "no driver started" : "driver matched");
            for (const auto &line : match_log)
                std::printf("    match: %s\n", line.c_str());
            std::printf("    cable: %zu frames in (%zu refused), %zu out\n", wire_taken,
                        wire_refused, wire_out.size());
            for (const auto &[name, value] : device_counters)
                std::printf("    %-24s %" PRIu64 "\n", name.c_str(), value);
            for (const auto &why : event_errors)
                std::printf("  EVENT FAILED: %s\n", why.c_str());
        }
        if (ioreg)
            std::fputs(netdext::registry::format(registry, ioreg_options).c_str(), stdout);
    }
    if (unmatched) {
        std::fprintf(stderr, "netdext-sim: no personality of %s drives the %s device%s\n",
                     bench.bundle_id().c_str(), device->model().c_str(),
                     start == kIOReturnNotPermitted ? " (transport entitlement)" : "");
        return 4;
    }
    if (!event_errors.empty())
        return 1;
    if (start != kIOReturnSuccess) {
        std::fprintf(stderr, "netdext-sim: the driver failed to start: %s\n",
                     bench.start_failure().c_str());
        return 2;
    }
    return misuses.empty() ? 0 : 3;
}
