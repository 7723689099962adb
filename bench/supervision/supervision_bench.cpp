// How fast a crash is noticed: the time from SIGKILL of netdext-host to the carrier of its
// interface reading "off" over rtnetlink, against a reference measured in the same run — a
// minimal supervisor (one thread in poll() on the child's pidfd, then TUNSETCARRIER off on a bare
// TAP). Both are observed the same way (RTM_GETLINK in a tight loop), so the ratio is what
// netdextd's event loop and session add to the kernel's own path. The integration test
// (SampleDaemon.KilledHostIsNoticedAndCarrierDrops) only waits for the event; the speed is here.
//
// Run as root: supervision_bench [--rounds N]. Prints every round, then the medians.

#include "daemon_fixture.h"
#include "supervision_support.h"
#include "netlink/route_socket.h"
#include "support/wait_until.h"
#include "tap/tap_device.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace netdext;
using namespace std::chrono;

namespace {

// Spins until `probe` reads the carrier off; the time from `since`, or a negative value after
// 10 s.
double milliseconds_until_off(testing::CarrierProbe &probe, steady_clock::time_point since) {
    while (probe.carrier() != false)
        if (steady_clock::now() - since > seconds(10))
            return -1;
    return duration<double, std::milli>(steady_clock::now() - since).count();
}

// The reference: a bare TAP, a child that only waits to be killed, and one thread in poll() on
// the child's pidfd that turns the carrier off when it exits.
double minimal_supervisor(std::string &error) {
    auto netns = testing::ScopedNetns::create("ndxs");
    if (!netns) {
        error = "netns: " + netns.error().describe();
        return -1;
    }
    auto tap = netns.value().run([] { return tap::TapDevice::create("ref%d"); });
    if (!tap || !tap.value().set_carrier(true)) {
        error = "TAP: " + (tap ? std::string("TUNSETCARRIER") : tap.error().describe());
        return -1;
    }
    testing::CarrierProbe probe(netns.value(), tap.value().ifindex());
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    int pidfd = int(syscall(SYS_pidfd_open, child, 0));
    if (child < 0 || pidfd < 0) {
        error = "fork/pidfd_open failed";
        return -1;
    }
    std::thread supervisor([&] {
        struct pollfd fd = {pidfd, POLLIN, 0};
        while (poll(&fd, 1, -1) != 1) {
        }
        (void)tap.value().set_carrier(false);
    });
    if (!testing::wait_until([&] { return probe.carrier() == true; })) {
        error = "the reference TAP's carrier never read on";
        kill(child, SIGKILL);
    }
    auto killed = steady_clock::now();
    kill(child, SIGKILL);
    double ms = milliseconds_until_off(probe, killed);
    supervisor.join();
    waitpid(child, nullptr, 0);
    close(pidfd);
    return error.empty() ? ms : -1;
}

// netdextd with the sample driver: SIGKILL of netdext-host until en0's carrier reads off.
double netdextd_supervisor(std::string &error) {
    testing::DaemonFixture daemon;
    if (!daemon.start(testing::DaemonRun{SAMPLE_DEXT_PATH, "", {"--quiet-dexts"}}, error))
        return -1;
    int ifindex = daemon.dext()["interface"].value("ifindex", 0);
    if (!daemon.sh("ip link set en0 up").ok()) {
        error = "ip link set en0 up failed";
        return -1;
    }
    testing::CarrierProbe probe(daemon.netns(), ifindex);
    pid_t host = daemon.dext().value("host_pid", -1);
    if (host <= 0 || !testing::wait_until([&] { return probe.carrier() == true; })) {
        error = "the sample's carrier never read on";
        return -1;
    }
    auto killed = steady_clock::now();
    kill(host, SIGKILL);
    return milliseconds_until_off(probe, killed);
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

} // namespace

int main(int argc, char **argv) {
    int rounds = 5;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--version") == 0) {
            std::printf("supervision_bench %s\n", NETDEXT_VERSION);
            return 0;
        }
        if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = std::atoi(argv[++i]);
            continue;
        }
        bool help = std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0;
        std::fprintf(help ? stdout : stderr,
                     "usage: supervision_bench [--rounds N] [--version]\n"
                     "  Times SIGKILL of netdext-host -> carrier off (rtnetlink), against a\n"
                     "  minimal pidfd supervisor measured in the same run. Needs root.\n");
        return help ? 0 : 2;
    }
    if (rounds <= 0) {
        std::fprintf(stderr, "supervision_bench: --rounds must be positive\n");
        return 2;
    }
    if (geteuid() != 0) {
        std::fprintf(stderr, "supervision_bench: needs root (namespaces, TAPs, netdextd)\n");
        return 1;
    }
    std::printf("crash noticed: SIGKILL of the host -> carrier off, %d round(s)\n", rounds);
    std::vector<double> raws, frameworks, ratios;
    for (int round = 0; round < rounds; ++round) {
        std::string error;
        double raw = minimal_supervisor(error);
        double framework = raw < 0 ? -1 : netdextd_supervisor(error);
        if (raw <= 0 || framework < 0) {
            std::fprintf(stderr, "supervision_bench: round %d: %s\n", round + 1,
                         error.empty() ? "timed out" : error.c_str());
            return 1;
        }
        raws.push_back(raw);
        frameworks.push_back(framework);
        ratios.push_back(framework / raw);
        std::printf("  round %d: minimal supervisor %.3f ms, netdextd %.3f ms, ratio %.2f\n",
                    round + 1, raw, framework, framework / raw);
    }
    std::printf("median: minimal supervisor %.3f ms, netdextd %.3f ms, ratio %.2f\n",
                median(raws), median(frameworks), median(ratios));
    return 0;
}
