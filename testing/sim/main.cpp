// netdext-sim: run a .dext in the driver test bench, without root, in virtual time.
//
//   netdext-sim BUNDLE.dext [--boot-args "k=v …"] [--run 11s] [--rx-pcap OUT] [--tx-pcap IN]
//               [--json]
//
// Starts the driver, brings its interface up (virtual time 0), transmits the frames of IN at
// their relative times, advances virtual time to the end of the run, writes every frame the
// driver delivered to the stack into OUT (timestamps are virtual seconds since interface-up), and
// prints a summary. Exit status: 0 on success, 1 for bad arguments or files, 2 when the driver
// fails to start, 3 when it misused the API.

#include <netdext/runtime.h>
#include <netdext/testing/driver_bench.h>

#include <netdext/version.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pcap/pcap.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <regex>
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
    std::string bundle, boot_args, run_text = "11s", rx_pcap, tx_pcap;
    bool json = false, verbose = false;
    app.add_option("bundle", bundle, "The driver bundle (NAME.dext directory)")->required();
    app.add_option("--boot-args", boot_args, "Boot-args the driver reads, e.g. \"ndks-debug=1\"");
    app.add_option("--run", run_text, "Virtual time to run after interface-up (default 11s; "
                                      "units ns, us, ms, s, m, h)");
    app.add_option("--rx-pcap", rx_pcap, "Write the frames the driver delivered to this pcap");
    app.add_option("--tx-pcap", tx_pcap, "Transmit the frames of this pcap through the driver");
    app.add_flag("--json", json, "Print the summary as JSON");
    app.add_flag("-v,--verbose", verbose, "Echo the driver's log lines");
    app.set_version_flag("--version", netdext::version_text("netdext-sim"));
    CLI11_PARSE(app, argc, argv);

    auto run = parse_duration(run_text);
    if (!run) {
        std::fprintf(stderr, "netdext-sim: --run %s: not a duration (e.g. 11s, 500ms)\n",
                     run_text.c_str());
        return 1;
    }
    std::vector<TxFrame> tx_frames;
    std::string error;
    if (!tx_pcap.empty() && !read_pcap(tx_pcap, tx_frames, error)) {
        std::fprintf(stderr, "netdext-sim: %s\n", error.c_str());
        return 1;
    }

    netdext::testing::DriverBench bench({.boot_args = boot_args, .echo_logs = verbose});
    if (!bench.load_bundle(bundle, &error)) {
        std::fprintf(stderr, "netdext-sim: %s\n", error.c_str());
        return 1;
    }
    kern_return_t start = bench.start();
    kern_return_t up = kIOReturnNotReady;
    uint64_t origin = bench.now_ns();
    size_t transmitted = 0, refused = 0;
    if (start == kIOReturnSuccess) {
        up = bench.set_interface_enable(true);
        origin = bench.now_ns();
        for (const TxFrame &frame : tx_frames) {
            if (frame.offset_ns > uint64_t(run->count()))
                break;
            bench.advance(std::chrono::nanoseconds(origin + frame.offset_ns - bench.now_ns()));
            if (bench.transmit(frame.bytes))
                ++transmitted;
            else
                ++refused;
        }
        bench.advance(std::chrono::nanoseconds(origin + uint64_t(run->count()) - bench.now_ns()));
    }
    std::vector<netdext::testing::Frame> received = bench.take_received();
    const uint32_t link = bench.link_status(), media = bench.active_media();
    const bool registered = bench.registered();
    const std::string name = bench.interface_name();
    std::vector<netdext::testing::CallRecord> calls = bench.calls();
    auto drops = bench.drops(); // before Stop: the counters go with the interface
    if (bench.running())
        bench.stop();
    std::vector<std::string> misuses = bench.misuses();

    if (!rx_pcap.empty() && !write_pcap(rx_pcap, received, origin, error)) {
        std::fprintf(stderr, "netdext-sim: %s\n", error.c_str());
        return 1;
    }

    if (json) {
        nlohmann::json out;
        out["bundle_id"] = bench.bundle_id();
        out["class"] = bench.class_name();
        out["start"] = hex32(uint32_t(start));
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
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("netdext-sim: %s (%s)\n", bench.bundle_id().c_str(),
                    bench.class_name().c_str());
        std::printf("  Start: %s; interface %s %s; link status %s, media %s\n",
                    start == kIOReturnSuccess ? "ok" : hex32(uint32_t(start)).c_str(),
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
    }
    if (start != kIOReturnSuccess) {
        std::fprintf(stderr, "netdext-sim: the driver failed to start (0x%08x)\n",
                     unsigned(start));
        return 2;
    }
    return misuses.empty() ? 0 : 3;
}
