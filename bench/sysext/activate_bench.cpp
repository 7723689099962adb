// activate_bench: what installing a driver costs, against the cheapest way to get an interface.
//
//   activate → interface exists / carrier up   a control-socket activation of BenchNic (developer
//                                               mode: no approval) until its en<N> exists and has
//                                               carrier, then an uninstall; --rounds times
//   reference                                   `ip tuntap add` of a TAP, in the same namespace
//                                               and run; --rounds times
//   memory                                      netdextd's RSS with no extension and with
//                                               --extensions BenchNics running, per extension;
//                                               each netdext-host's RSS
//   stop                                        SIGTERM → netdextd gone, with them all running
//
// Medians; the ratio is activation / reference. Root; a namespace of its own.
//
//   activate_bench [--rounds N] [--extensions M]

#include "daemon_fixture.h"
#include "dext_variant.h"
#include "netlink/route_socket.h"
#include "temp_dir.h"
#include "wait_until.h"

#include <netdext/codesign/signature.h>
#include <netdext/control/client.h>

#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace netdext;
using namespace std::chrono;

namespace {

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

double ms_since(steady_clock::time_point start) {
    return duration<double, std::milli>(steady_clock::now() - start).count();
}

// VmRSS of a process, in KiB.
long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::atol(line.c_str() + 6);
    return 0;
}

// Inside the namespace (the calling thread must be in it): waits for `name` to exist, then for
// its carrier; returns the two times since `start` in ms (negative if it never came).
std::pair<double, double> wait_for_link(const std::string &name, steady_clock::time_point start) {
    double exists = -1, carrier = -1;
    auto route = netlink::RouteSocket::create();
    auto deadline = start + seconds(20);
    while (steady_clock::now() < deadline) {
        unsigned index = if_nametoindex(name.c_str());
        if (index != 0 && exists < 0)
            exists = ms_since(start);
        if (index != 0 && route) {
            auto link = route.value().get_link(int(index));
            if (link && link.value().carrier.value_or(false)) {
                carrier = ms_since(start);
                break;
            }
        }
        usleep(20);
    }
    return {exists, carrier};
}

bool final_ok(const std::optional<nlohmann::json> &answer) {
    return answer && (*answer)["event"] == "completed";
}

} // namespace

int main(int argc, char **argv) {
    int rounds = 20, extensions = 8;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = std::max(1, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--extensions") == 0 && i + 1 < argc)
            extensions = std::clamp(std::atoi(argv[++i]), 1, 200);
        else {
            std::fprintf(stderr, "usage: activate_bench [--rounds N] [--extensions M]\n");
            return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (geteuid() != 0) {
        std::fprintf(stderr, "activate_bench: needs root (namespaces, TAPs)\n");
        return 1;
    }
    testing::TempDir work("netdext-activate-bench");
    std::filesystem::permissions(work.path(), std::filesystem::perms(0755));
    testing::DaemonFixture daemon;
    std::string error;
    if (!daemon.start_service(error)) {
        std::fprintf(stderr, "activate_bench: %s\n", error.c_str());
        return 1;
    }
    daemon.request({{"request", "developer"}, {"enable", true}});
    // Outside developer mode (the memory part) extensions must be signed by a trusted team.
    auto identity = codesign::Identity::generate("BENCH00001", "activate_bench", error);
    const std::string public_key = (work.path() / "bench.identity.pub").string();
    if (!identity || !codesign::write_public_identity(identity->public_identity(), public_key,
                                                      true, error) ||
        !daemon.ctl("trust add " + public_key).ok()) {
        std::fprintf(stderr, "activate_bench: a signing identity: %s\n", error.c_str());
        return 1;
    }
    std::vector<std::string> bundles;
    for (int i = 0; i <= extensions; ++i) {
        auto path = work.path() / ("b" + std::to_string(i)) / "BenchNic.dext";
        testing::DextVariant(BENCH_DEXT_PATH, path)
            .identifier("com.example.netdext.bench.BenchNic" + std::to_string(i));
        codesign::Failure failure;
        if (!codesign::sign_bundle(path.string(), *identity, {}, failure)) {
            std::fprintf(stderr, "activate_bench: signing: %s\n", failure.message.c_str());
            return 1;
        }
        bundles.push_back(path.string());
    }

    // The reference: `ip tuntap add` (a process, like netdextctl, and the kernel's TAP).
    std::vector<double> reference;
    for (int r = 0; r < rounds; ++r) {
        auto start = steady_clock::now();
        if (!daemon.sh("ip tuntap add dev ndxref mode tap").ok()) {
            std::fprintf(stderr, "activate_bench: ip tuntap add failed\n");
            return 1;
        }
        reference.push_back(ms_since(start));
        (void)daemon.sh("ip link del ndxref");
    }

    // Activation → interface, then uninstall; the same bundle every round.
    std::vector<double> exists, carrier, command;
    for (int r = 0; r < rounds; ++r) {
        auto times = daemon.netns().run([&] {
            auto client = control::Client::connect(daemon.socket_path(), error);
            auto start = steady_clock::now();
            auto done = client ? client->call({{"request", "activate"}, {"path", bundles[0]}}, error)
                               : std::nullopt;
            return final_ok(done) ? wait_for_link("en0", start) : std::pair<double, double>{-1, -1};
        });
        if (times.second < 0) {
            std::fprintf(stderr, "activate_bench: round %d: no interface (%s)\n", r, error.c_str());
            return 1;
        }
        exists.push_back(times.first);
        carrier.push_back(times.second);
        daemon.request({{"request", "deactivate"}, {"identifier", "com.example.netdext.bench.BenchNic0"}});
    }
    // The same through the command line (process start included, as for ip tuntap add).
    for (int r = 0; r < rounds; ++r) {
        auto start = steady_clock::now();
        if (!daemon.ctl("activate " + bundles[0]).ok())
            return 1;
        command.push_back(ms_since(start));
        daemon.ctl("deactivate com.example.netdext.bench.BenchNic0");
    }

    // Memory: extensions side by side (each its own MAC through its own boot-args).
    const pid_t pid = daemon.daemon_pid();
    const long base = rss_kib(pid);
    daemon.request({{"request", "developer"}, {"enable", false}});
    for (int i = 1; i <= extensions; ++i) {
        const std::string id = "com.example.netdext.bench.BenchNic" + std::to_string(i);
        // Installed, waiting for approval: time to give it its own boot-args. The approval
        // comes from another process (the one that asked may not approve itself).
        auto client = control::Client::connect(daemon.socket_path(), error);
        if (client)
            client->send({{"request", "activate"}, {"path", bundles[size_t(i)]}}, error);
        auto waiting = client ? client->receive(seconds(10), error) : std::nullopt;
        daemon.request({{"request", "boot_args"}, {"identifier", id},
                        {"set", "benchmac=" + std::to_string(2 + i)}});
        if (!waiting || (*waiting)["event"] != "needs_user_approval" ||
            !daemon.ctl("approve " + id).ok()) {
            std::fprintf(stderr, "activate_bench: activating %s failed (%s)\n", id.c_str(),
                         error.c_str());
            return 1;
        }
    }
    bool all_up = daemon.wait_for([&] {
        auto status = daemon.status();
        int up = 0;
        for (const auto &d : status["dexts"])
            up += d.contains("interface") && d["interface"].value("carrier", false) ? 1 : 0;
        return up == extensions;
    });
    if (!all_up) {
        std::fprintf(stderr, "activate_bench: not every extension came up\n");
        return 1;
    }
    const long loaded = rss_kib(pid);
    long hosts = 0;
    const nlohmann::json status = daemon.status();
    for (const auto &d : status["dexts"])
        hosts += rss_kib(d.value("host_pid", 0));
    auto stopping = steady_clock::now();
    kill(pid, SIGTERM);
    daemon.wait_exit(seconds(10));
    const double stop_ms = ms_since(stopping);

    const double ref = median(reference);
    std::printf("activate → interface exists   %7.2f ms (median of %d)\n", median(exists), rounds);
    std::printf("activate → carrier up         %7.2f ms\n", median(carrier));
    std::printf("netdextctl activate (process) %7.2f ms\n", median(command));
    std::printf("ip tuntap add (reference)     %7.2f ms\n", ref);
    std::printf("ratio: carrier up / ip tuntap add = %.2f; netdextctl activate / ip tuntap add = %.2f\n",
                median(carrier) / ref, median(command) / ref);
    std::printf("netdextd RSS: %ld KiB idle, %ld KiB with %d extensions: %.0f KiB per extension\n",
                base, loaded, extensions, double(loaded - base) / extensions);
    std::printf("netdext-host RSS: %.0f KiB per extension (its own process)\n",
                double(hosts) / extensions);
    std::printf("SIGTERM → netdextd gone with %d extensions: %.0f ms\n", extensions, stop_ms);
    return 0;
}
