// TCP through a netdext interface against a veth pair (issue 14's benchmark), measured in one run:
//
//   veth            two namespaces joined by a veth pair (the reference);
//   cable           two namespaces joined by TwoPortCable under netdextd: the dext's two
//                   interfaces en0/en1 stay in netdextd's namespace (netdextd stops a dext whose
//                   interface leaves it), each end reaches its namespace through a macvlan on it;
//                   the cable declares TSO and checksum assists and passes the metadata through;
//   cable-noassist  the same cable started with boot-arg twoportcable-assists=0: no assists, MTU
//                   frames, software checksums;
//   vxlan-veth,     a VXLAN overlay (the kernel's tunnel) between the same two namespaces, over
//   vxlan-cable     the veth pair and over the cable.
//
// iperf3 in the namespaces, single stream and 4 streams. Every round measures every path once, in
// an order that rotates from round to round, so a drift in the machine's load favours none; the
// summary gives medians and min–max of the rates and of the per-round ratios.
//
// Run as root: tcp_bench [--rounds N] [--seconds S] [--streams 1,4] [--no-vxlan] [--json]
// (--help for all).

#include "common/summary.h"
#include "daemon_fixture.h"
#include "support/wait_until.h"

#include <netdext/version.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace netdext;
using namespace std::chrono;
using testing::ScopedNetns;

namespace {

constexpr int kPort = 5201;
constexpr milliseconds kWait{10000}; // for iperf3's server to listen, and to exit

// Where iperf3 runs: the client in `client`, the server in `server` listening on `address`.
struct Path {
    std::string name;
    std::string description;
    const ScopedNetns *client = nullptr;
    const ScopedNetns *server = nullptr;
    std::string address;
};

// Two namespaces, the ends of one link.
struct Ends {
    std::optional<ScopedNetns> a, b;
};

bool run(const ScopedNetns &netns, const std::string &command, std::string &error) {
    auto result = netns.sh(command);
    if (!result.ok())
        error = "in " + netns.name() + ": " + command + ": " + result.output;
    return result.ok();
}

bool make_ends(Ends &ends, std::string &error) {
    for (auto *slot : {&ends.a, &ends.b}) {
        auto netns = ScopedNetns::create("ndxtcp");
        if (!netns) {
            error = "netns: " + netns.error().describe();
            return false;
        }
        slot->emplace(netns.release_value());
        // No IPv6: no router solicitations or MLD reports in the measurements.
        if (!run(**slot,
                 "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                 "net.ipv6.conf.default.disable_ipv6=1",
                 error))
            return false;
    }
    return true;
}

// Addresses `prefix`.1 on a's `a_if` and `prefix`.2 on b's `b_if`, both up; waits for ping.
bool address_ends(const Ends &ends, const std::string &a_if, const std::string &b_if,
                  const std::string &prefix, std::string &error) {
    if (!run(*ends.a,
             "ip addr add " + prefix + ".1/24 dev " + a_if + " && ip link set " + a_if + " up",
             error) ||
        !run(*ends.b,
             "ip addr add " + prefix + ".2/24 dev " + b_if + " && ip link set " + b_if + " up",
             error))
        return false;
    if (!testing::wait_until([&] { return ends.a->sh("ping -c 1 -W 1 " + prefix + ".2").ok(); },
                             seconds(15))) {
        error = "no ping from " + ends.a->name() + " to " + prefix + ".2 over " + a_if;
        return false;
    }
    return true;
}

bool make_veth(Ends &ends, std::string &error) {
    return make_ends(ends, error) &&
           run(*ends.a, "ip link add tcpv0 type veth peer name tcpv1 netns " + ends.b->name(),
               error) &&
           address_ends(ends, "tcpv0", "tcpv1", "10.218.0", error);
}

// netdextd's --tap-io for the cable's interfaces.
std::string g_tap_io = "io_uring";

// netdextd running the cable in its namespace; a macvlan on each end, moved into the ends'.
bool make_cable(testing::DaemonFixture &daemon, const std::string &boot_args, Ends &ends,
                const std::string &prefix, std::string &error) {
    testing::DaemonRun how{
        TWO_PORT_CABLE_DEXT_PATH, boot_args, {"--quiet-dexts", "--tap-io", g_tap_io}};
    how.capture = false;
    if (!daemon.start(how, error))
        return false;
    if (!daemon.wait_for([&] { return daemon.dext()["interfaces"].size() == 2; })) {
        error = "the cable did not register two interfaces:\n" + daemon.log();
        return false;
    }
    if (!make_ends(ends, error))
        return false;
    auto &d = daemon.netns();
    return run(d,
               "ip link add link en0 name tcpm0 type macvlan mode bridge && "
               "ip link add link en1 name tcpm1 type macvlan mode bridge && "
               "ip link set tcpm0 netns " +
                   ends.a->name() + " && ip link set tcpm1 netns " + ends.b->name() +
                   " && ip link set en0 up && ip link set en1 up",
               error) &&
           address_ends(ends, "tcpm0", "tcpm1", prefix, error);
}

// A VXLAN between the ends over the link addressed `underlay`.1/.2, addressed `overlay`.1/.2.
bool add_vxlan(Ends &ends, const std::string &underlay, const std::string &overlay,
               std::string &error) {
    auto make = [&](const ScopedNetns &netns, const char *local, const char *remote) {
        return run(netns,
                   "ip link add tcpx0 type vxlan id 42 dstport 4789 local " + underlay + local +
                       " remote " + underlay + remote,
                   error);
    };
    return make(*ends.a, ".1", ".2") && make(*ends.b, ".2", ".1") &&
           address_ends(ends, "tcpx0", "tcpx0", overlay, error);
}

// A process inside a namespace (nsenter execs the command: the pid is the command's).
pid_t spawn_in(const ScopedNetns &netns, const std::vector<std::string> &command) {
    std::vector<std::string> args = {"/usr/bin/nsenter", "--net=" + netns.path()};
    args.insert(args.end(), command.begin(), command.end());
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        std::vector<char *> argv;
        for (auto &arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

// Waits for `pid` until the deadline, then kills it; always reaps it.
void finish(pid_t pid, milliseconds deadline) {
    int status = 0;
    if (!testing::wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, deadline)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
}

struct Sample {
    double gbits = 0;
    uint64_t retransmits = 0;
};

// One iperf3 test over `path`; nullopt (with a message) when it fails.
std::optional<Sample> measure(const Path &path, int streams, int test_seconds, int omit,
                              std::string &error) {
    pid_t server = spawn_in(*path.server, {"iperf3", "--server", "--one-off", "--bind",
                                           path.address, "--port", std::to_string(kPort)});
    if (server < 0) {
        error = "fork failed";
        return std::nullopt;
    }
    const std::string listening = "ss -Hltn 'sport = :" + std::to_string(kPort) + "'";
    if (!testing::wait_until(
            [&] { return path.server->sh(listening).output.find("LISTEN") != std::string::npos; },
            kWait)) {
        finish(server, milliseconds(0));
        error = "iperf3 did not start listening in " + path.server->name();
        return std::nullopt;
    }
    auto client = path.client->sh("timeout " + std::to_string(test_seconds + omit + 30) +
                                  " iperf3 --json --client " + path.address + " --port " +
                                  std::to_string(kPort) + " --time " +
                                  std::to_string(test_seconds) + " --omit " + std::to_string(omit) +
                                  " --parallel " + std::to_string(streams) + " 2>/dev/null");
    finish(server, kWait);
    nlohmann::json report = nlohmann::json::parse(client.output, nullptr, false);
    if (!client.ok() || report.is_discarded() || !report.contains("end")) {
        error = path.name + ": iperf3 failed: " + client.output.substr(0, 2000);
        return std::nullopt;
    }
    Sample sample;
    sample.gbits = report["end"]["sum_received"].value("bits_per_second", 0.0) / 1e9;
    sample.retransmits = report["end"]["sum_sent"].value("retransmits", uint64_t(0));
    return sample;
}

using bench::summarize;
using bench::Summary;
using bench::to_json;

// A ratio reported in the summary: numerator path over denominator path, per round.
struct Comparison {
    const char *numerator;
    const char *denominator;
    const char *meaning;
};
const Comparison kComparisons[] = {
    {"cable", "veth", "netdext cable (TSO + checksum assists) vs veth"},
    {"cable-noassist", "veth", "netdext cable without assists vs veth"},
    {"cable-noassist", "cable", "without assists vs with"},
    {"vxlan-veth", "veth", "VXLAN cost on veth (overlay / plain)"},
    {"vxlan-cable", "cable", "VXLAN cost on the cable (overlay / plain)"},
    {"vxlan-cable", "vxlan-veth", "VXLAN over the cable vs VXLAN over veth"},
};

} // namespace

int main(int argc, char **argv) {
    int rounds = 5;
    int test_seconds = 3;
    int omit = 1;
    std::vector<int> streams = {1, 4};
    bool no_vxlan = false, json = false;
    std::vector<std::string> only;
    CLI::App app{"tcp_bench — iperf3 TCP between two network namespaces through netdext's "
                 "software cable (TwoPortCable under netdextd, with and without hardware "
                 "assists) against a veth pair, plus a VXLAN overlay over each, in alternating "
                 "rounds in one run. Needs root and iperf3; creates and removes its namespaces.",
                 "tcp_bench"};
    app.set_version_flag("--version", version_text("tcp_bench"));
    app.add_option("--rounds", rounds, "Rounds (each measures every path once)")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    app.add_option("--seconds", test_seconds, "Seconds measured per iperf3 test (whole seconds)")
        ->check(CLI::Range(1, 600))
        ->capture_default_str();
    app.add_option("--omit", omit, "Seconds of each test left out first (TCP's slow start)")
        ->check(CLI::Range(0, 60))
        ->capture_default_str();
    app.add_option("--streams", streams, "Parallel TCP streams, one test per value")
        ->delimiter(',')
        ->check(CLI::Range(1, 128))
        ->capture_default_str();
    app.add_flag("--no-vxlan", no_vxlan, "Leave out the VXLAN paths");
    app.add_option("--paths", only,
                   "Measure only these paths (e.g. to profile one); ratios need both of their "
                   "paths")
        ->delimiter(',')
        ->check(CLI::IsMember({"veth", "cable", "cable-noassist", "vxlan-veth", "vxlan-cable"}));
    app.add_option("--tap-io", g_tap_io,
                   "netdextd's --tap-io for the cable: io_uring (batched) or syscalls (one per "
                   "frame)")
        ->check(CLI::IsMember({"io_uring", "syscalls"}))
        ->capture_default_str();
    app.add_flag("--json", json, "Print one JSON document instead of text");
    CLI11_PARSE(app, argc, argv);

    if (geteuid() != 0) {
        std::fprintf(stderr, "tcp_bench: needs root (namespaces, netdextd)\n");
        return 1;
    }
    if (access("/usr/bin/iperf3", X_OK) != 0) {
        std::fprintf(stderr, "tcp_bench: needs iperf3 (scripts/install-deps.sh installs it)\n");
        return 1;
    }

    std::string error;
    Ends veth, cable, plain;
    testing::DaemonFixture cable_daemon, plain_daemon;
    bool ok = make_veth(veth, error) && make_cable(cable_daemon, "", cable, "10.218.1", error) &&
              make_cable(plain_daemon, "twoportcable-assists=0", plain, "10.218.2", error);
    if (ok && !no_vxlan)
        ok = add_vxlan(veth, "10.218.0", "10.219.0", error) &&
             add_vxlan(cable, "10.218.1", "10.219.1", error);
    if (!ok) {
        std::fprintf(stderr, "tcp_bench: set-up failed: %s\n", error.c_str());
        return 1;
    }
    std::vector<Path> paths = {
        {"veth", "veth pair", &*veth.a, &*veth.b, "10.218.0.2"},
        {"cable", "netdext TwoPortCable, TSO + checksum assists (macvlan on each end)", &*cable.a,
         &*cable.b, "10.218.1.2"},
        {"cable-noassist", "netdext TwoPortCable, no assists (macvlan on each end)", &*plain.a,
         &*plain.b, "10.218.2.2"},
    };
    if (!no_vxlan) {
        paths.push_back(
            {"vxlan-veth", "VXLAN over the veth pair", &*veth.a, &*veth.b, "10.219.0.2"});
        paths.push_back({"vxlan-cable", "VXLAN over the cable with assists", &*cable.a, &*cable.b,
                         "10.219.1.2"});
    }

    if (!only.empty())
        std::erase_if(paths, [&](const Path &path) {
            return std::find(only.begin(), only.end(), path.name) == only.end();
        });
    if (paths.empty()) {
        std::fprintf(stderr, "tcp_bench: --paths names only VXLAN paths, and --no-vxlan leaves "
                             "them out\n");
        return 1;
    }

    // results[streams][path] = one sample per round
    std::map<int, std::map<std::string, std::vector<Sample>>> results;
    if (!json)
        std::printf("TCP through netdext vs veth: %d round(s), %d s per test (+%d s omitted), "
                    "streams",
                    rounds, test_seconds, omit);
    if (!json) {
        for (int s : streams)
            std::printf(" %d", s);
        std::printf("\n");
    }
    for (int round = 0; round < rounds; ++round) {
        for (size_t k = 0; k < paths.size(); ++k) {
            const Path &path = paths[(k + size_t(round)) % paths.size()];
            for (int s : streams) {
                auto sample = measure(path, s, test_seconds, omit, error);
                if (!sample) {
                    std::fprintf(stderr, "tcp_bench: %s\n", error.c_str());
                    return 1;
                }
                results[s][path.name].push_back(*sample);
                if (!json)
                    std::printf("  round %d %-15s %d stream(s): %6.2f Gbit/s, %llu retransmits\n",
                                round + 1, path.name.c_str(), s, sample->gbits,
                                (unsigned long long)sample->retransmits);
                std::fflush(stdout);
            }
        }
    }

    nlohmann::json out = {{"rounds", rounds},
                          {"seconds", test_seconds},
                          {"omitted_seconds", omit},
                          {"paths", nlohmann::json::array()},
                          {"results", nlohmann::json::array()}};
    for (const Path &path : paths)
        out["paths"].push_back({{"name", path.name}, {"description", path.description}});
    for (int s : streams) {
        auto &by_path = results[s];
        auto gbits = [&](const std::string &name) {
            std::vector<double> v;
            for (const Sample &sample : by_path[name])
                v.push_back(sample.gbits);
            return v;
        };
        nlohmann::json entry = {{"streams", s},
                                {"rates_gbit_s", nlohmann::json::object()},
                                {"ratios", nlohmann::json::array()}};
        if (!json)
            std::printf("%d stream(s):\n", s);
        for (const Path &path : paths) {
            Summary st = summarize(gbits(path.name));
            entry["rates_gbit_s"][path.name] = to_json(st);
            if (!json)
                std::printf("  %-15s median %6.2f Gbit/s (min %.2f, max %.2f)\n", path.name.c_str(),
                            st.median, st.min, st.max);
        }
        for (const Comparison &c : kComparisons) {
            if (!by_path.contains(c.numerator) || !by_path.contains(c.denominator))
                continue;
            std::vector<double> numerator = gbits(c.numerator), denominator = gbits(c.denominator);
            std::vector<double> ratios;
            for (size_t i = 0; i < numerator.size() && i < denominator.size(); ++i)
                ratios.push_back(denominator[i] > 0 ? numerator[i] / denominator[i] : 0);
            Summary st = summarize(ratios);
            entry["ratios"].push_back({{"numerator", c.numerator},
                                       {"denominator", c.denominator},
                                       {"meaning", c.meaning},
                                       {"ratio", to_json(st)}});
            if (!json)
                std::printf("  %-15s / %-11s %.2f (min %.2f, max %.2f)  %s\n", c.numerator,
                            c.denominator, st.median, st.min, st.max, c.meaning);
        }
        out["results"].push_back(entry);
    }
    if (json)
        std::printf("%s\n", out.dump(2).c_str());
    return 0;
}
