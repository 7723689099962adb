// netdextd's supervision under the real daemon (issue 10, docs/running.md "Supervision"), as root
// in namespaces the tests create: a crash loop relaunches the driver in its kept interface until
// the crash limit quarantines it — a real ping answered after every relaunch, nothing leaked — and
// `netdextctl restart` releases it; a Start that never returns, a driver that never registers, a
// SIGSTOPped or wedged driver, a log flood next to a crashing neighbour and a fork in a static
// constructor are each detected and contained, with the reason shown.
//
// Policies are scaled down (milliseconds, not minutes) so the whole file runs in seconds; how fast
// a relaunch brings the carrier back is measured by bench/supervision/crash_loop_bench.

#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "supervision_support.h"
#include "support/process_list.h"
#include "support/wait_until.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;
using namespace netdext::testing;

namespace {

// In the sanitizer build netdextd runs under ASan too: its freed memory sits in ASan's quarantine
// (up to 256 MiB), so resident memory says nothing there; LeakSanitizer's verdict at its exit does.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

constexpr const char *kResponderId = "com.example.netdext.test.ResponderNic";
constexpr const char *kSampleId = "com.example.netdext.NetworkingDriverKitSample";
constexpr const char *kPeer = "10.77.0.2"; // ResponderNic answers for every address but ours

double ms_since(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
        .count();
}

// The status entry of one bundle ({} when there is none).
nlohmann::json dext_of(DaemonFixture &daemon, const std::string &bundle_id) {
    nlohmann::json status = daemon.status();
    for (const nlohmann::json &d : status.value("dexts", nlohmann::json::array()))
        if (d.value("bundle_id", "") == bundle_id)
            return d;
    return nlohmann::json::object();
}

// Interfaces in the namespace besides lo.
size_t interfaces(const DaemonFixture &daemon) {
    auto r = daemon.sh("ls /sys/class/net");
    size_t count = 0;
    for (size_t at = 0; (at = r.output.find_first_not_of(" \n", at)) != std::string::npos;) {
        size_t end = r.output.find_first_of(" \n", at);
        if (r.output.substr(at, end - at) != "lo")
            ++count;
        at = end;
    }
    return count;
}

struct Responder : public ::testing::Test {
    DaemonFixture daemon;

    void start(const std::string &boot_args, std::vector<std::string> args, bool wait = true) {
        std::string error;
        ASSERT_TRUE(daemon.start(DaemonRun{RESPONDER_DEXT_PATH, boot_args, std::move(args), wait},
                                 error))
            << error;
    }
    // 10.77.0.1/24 on en0, up: ResponderNic then answers for 10.77.0.2.
    void configure() {
        ASSERT_TRUE(daemon.sh("ip addr add 10.77.0.1/24 dev en0 && ip link set en0 up").ok());
    }
    nlohmann::json supervision() { return daemon.dext().value("supervision", nlohmann::json::object()); }
    bool quarantined() { return daemon.dext().value("quarantined", false); }
    // A new host (not `old`) runs, checked in, with the carrier up.
    bool relaunched(pid_t old, CarrierProbe &probe) {
        return daemon.wait_for([&] {
            nlohmann::json d = daemon.dext();
            return d.value("host_running", false) && d.value("host_pid", -1) != old &&
                   d["supervision"].value("phase", "") == "running" && probe.carrier() == true;
        });
    }
    void TearDown() override {
        if (HasFailure())
            std::fprintf(stderr, "--- netdextd log (tail) ---\n%s\n",
                         daemon.log().substr(daemon.log().size() > 20000 ? daemon.log().size() - 20000 : 0).c_str());
    }
};

// Kill the host over and over: each crash is relaunched (the first at once, the rest after a
// short backoff) in the same interface, with fresh shared memory, and answers a ping; at the
// crash limit the extension is quarantined — exactly then — and nothing is left behind: no
// process, cgroup, TAP, memfd or descriptor more than the one driver needs; the new host alone under its uid.
// `netdextctl restart` releases it.
TEST_F(Responder, CrashLoopIsRelaunchedUntilQuarantinedLeakingNothingAndRestartReleasesIt) {
    constexpr int kLimit = 40;
    start("", {"--quiet-dexts", "--crash-limit", std::to_string(kLimit), "--crash-window", "10min",
               "--relaunch-backoff", "10ms", "--relaunch-backoff-max", "40ms",
               "--relaunch-stable", "10min"});
    configure();
    Pinger pinger(daemon.netns());
    ASSERT_TRUE(pinger.is_open());
    ASSERT_TRUE(pinger.ping(kPeer, 10s)) << "the first launch answers";
    const nlohmann::json first = daemon.dext();
    const int ifindex = first["interface"].value("ifindex", 0);
    uint32_t uid = first.value("uid", 0u);
    const std::string cgroup = first.value("cgroup", "");
    const std::string cgroup_parent = cgroup.substr(0, cgroup.rfind('/'));
    const pid_t daemon_pid = daemon.status().value("daemon_pid", -1);
    ASSERT_GT(ifindex, 0);
    ASSERT_GT(daemon_pid, 0);
    CarrierProbe probe(daemon.netns(), ifindex);

    std::vector<double> to_carrier, to_ping;
    std::optional<ProcessResources> baseline;
    size_t most_fds = 0;
    uint64_t most_rss = 0;
    std::set<ino_t> previous_memfds = ProcessResources::of(daemon_pid).memfd_inodes;
    for (int crash = 1; crash <= kLimit; ++crash) {
        const pid_t host = daemon.dext().value("host_pid", -1);
        ASSERT_GT(host, 0) << crash;
        const auto killed = std::chrono::steady_clock::now();
        ASSERT_EQ(kill(host, SIGKILL), 0) << crash;
        if (crash == kLimit)
            break;
        ASSERT_TRUE(daemon.wait_for([&] { return daemon.dext().value("crashes", 0) == crash; }))
            << "crash " << crash << " was not counted";
        ASSERT_TRUE(relaunched(host, probe)) << "crash " << crash << " was not relaunched";
        to_carrier.push_back(ms_since(killed));
        ASSERT_TRUE(pinger.ping(kPeer, 10s)) << "no answer after relaunch " << crash;
        to_ping.push_back(ms_since(killed));

        const nlohmann::json d = daemon.dext();
        EXPECT_FALSE(d.value("quarantined", true)) << crash;
        EXPECT_EQ(d["supervision"].value("launches", 0), crash + 1);
        EXPECT_EQ(d["interface"].value("ifindex", 0), ifindex) << "the same interface";
        // The lease goes with the host and the relaunch takes the bundle's preferred uid again;
        // only another daemon's extension of the same bundle ID (a test running in parallel) can
        // have taken it in between. Either way the new host is alone under its uid.
        uid = d.value("uid", 0u);
        EXPECT_EQ(interfaces(daemon), 1u) << "one TAP, kept";
        // Only the new host runs as the extension's uid: the killed one and all it had are gone.
        EXPECT_TRUE(wait_until([&] {
            return processes_of_uid(uid) == std::vector<pid_t>{d.value("host_pid", -1)};
        })) << crash;
        if (!cgroup.empty()) {
            EXPECT_EQ(child_cgroups(cgroup_parent).size(), 1u) << "the dead host's cgroup went";
        }
        const ProcessResources now = ProcessResources::of(daemon_pid);
        for (ino_t inode : now.memfd_inodes)
            EXPECT_FALSE(previous_memfds.count(inode)) << "relaunch " << crash
                                                       << " reused a memfd: fresh shared memory";
        previous_memfds = now.memfd_inodes;
        if (crash == 3)
            baseline = now;
        if (baseline) {
            EXPECT_EQ(now.memfds, baseline->memfds) << crash;
            most_fds = std::max(most_fds, now.fds);
            most_rss = std::max(most_rss, now.rss_kib);
        }
    }
    // The kLimit-th crash: quarantined, not relaunched.
    ASSERT_TRUE(daemon.wait_for([&] { return quarantined(); })) << daemon.dext().dump();
    nlohmann::json d = daemon.dext();
    EXPECT_FALSE(d.value("host_running", true));
    EXPECT_EQ(d.value("crashes", 0), kLimit);
    EXPECT_EQ(d["supervision"].value("launches", 0), kLimit);
    EXPECT_EQ(d["supervision"].value("crashes_in_window", 0), kLimit);
    EXPECT_EQ(d["supervision"].value("quarantine_reason", ""),
              "crashed 40 time(s) within 10min (crash limit 40); last: netdext-host killed by "
              "signal 9 (Killed)");
    EXPECT_TRUE(daemon.log_contains("Driver com.example.netdext.test.ResponderNic has crashed 40 "
                                    "time(s); quarantined"));
    EXPECT_TRUE(wait_until([&] { return processes_of_uid(uid).empty(); }));
    if (!cgroup.empty()) {
        EXPECT_TRUE(wait_until([&] { return child_cgroups(cgroup_parent).empty(); }));
    }
    EXPECT_EQ(probe.carrier(), false);
    EXPECT_TRUE(daemon.sh("ip addr show en0 | grep -q 10.77.0.1/24").ok()) << "the interface stays";
    auto list = daemon.ctl("list");
    EXPECT_NE(list.output.find("quarantined (crashed 40 time(s) within 10min"), std::string::npos)
        << list.output;
    auto status = daemon.ctl("status");
    EXPECT_NE(status.output.find("quarantined: crashed 40 time(s)"), std::string::npos)
        << status.output;

    // The daemon's descriptors and memory stayed flat over the loop (measured with a driver
    // running, from the third relaunch on).
    ASSERT_TRUE(baseline);
    EXPECT_LE(most_fds, baseline->fds + 1) << "descriptors grew over " << kLimit << " relaunches";
    if (!kAddressSanitizer) {
        EXPECT_LE(most_rss, baseline->rss_kib + 2048) << "resident memory grew (KiB)";
    }

    // An administrator's restart releases the quarantine.
    auto restarted = daemon.ctl(std::string("restart ") + kResponderId);
    ASSERT_TRUE(restarted.ok()) << restarted.output;
    ASSERT_TRUE(relaunched(-1, probe));
    EXPECT_TRUE(pinger.ping(kPeer, 10s));
    d = daemon.dext();
    EXPECT_FALSE(d.value("quarantined", true));
    EXPECT_EQ(d["supervision"].value("crashes_in_window", -1), 0);
    EXPECT_TRUE(daemon.log_contains("released from quarantine"));

    daemon.stop();
    // 0: stopped by SIGTERM with a driver that ran (and, under ASan, no leak at its exit).
    ASSERT_TRUE(daemon.exit_status());
    EXPECT_TRUE(WIFEXITED(*daemon.exit_status()) && WEXITSTATUS(*daemon.exit_status()) == 0)
        << "netdextd's exit status " << *daemon.exit_status();
    EXPECT_TRUE(wait_until([&] { return processes_of_uid(uid).empty(); }));
    if (!cgroup.empty()) {
        EXPECT_NE(access(cgroup_parent.c_str(), F_OK), 0) << "the daemon's cgroups went with it";
    }
    std::printf("crash loop: %d crashes, %zu relaunches answered a ping; kill -> carrier up p50 "
                "%.1f ms p95 %.1f ms, kill -> ping answered p95 %.1f ms; netdextd %zu fds (max "
                "%zu), RSS %llu KiB (max %llu)\n",
                kLimit, to_ping.size(), percentile(to_carrier, 50), percentile(to_carrier, 95),
                percentile(to_ping, 95), baseline->fds, most_fds,
                (unsigned long long)baseline->rss_kib, (unsigned long long)most_rss);
}

// rsp-start-hang: every launch hangs in Start; the check-in watchdog kills each one when its
// time is up (never before), and the second such crash quarantines the extension.
TEST_F(Responder, AStartThatNeverReturnsIsKilledAtTheCheckInTimeout) {
    const auto began = std::chrono::steady_clock::now();
    start("rsp-start-hang=1", {"--check-in-timeout", "500ms", "--crash-limit", "2",
                               "--relaunch-backoff", "50ms"},
          false);
    ASSERT_TRUE(daemon.wait_for([&] { return quarantined(); }, 30s)) << daemon.dext().dump();
    EXPECT_GE(ms_since(began), 1000.0) << "two launches, each given its 500 ms";
    nlohmann::json d = daemon.dext();
    EXPECT_EQ(d["supervision"].value("launches", 0), 2);
    EXPECT_NE(d["supervision"].value("quarantine_reason", "").find(
                  "check-in timeout: Start did not return within 500ms"),
              std::string::npos)
        << d.dump();
    EXPECT_TRUE(daemon.log_contains("ResponderNic: rsp-start-hang"));
    EXPECT_EQ(interfaces(daemon), 0u) << "it never registered";
    uint32_t uid = d.value("uid", 0u);
    EXPECT_TRUE(wait_until([&] { return processes_of_uid(uid).empty(); }));
    EXPECT_NE(daemon.ctl("status").output.find("check-in timeout"), std::string::npos);
}

// rsp-no-register: Start returns, but a network personality must also register its interface.
TEST_F(Responder, ANetworkDriverThatNeverRegistersIsKilledAtTheCheckInTimeout) {
    start("rsp-no-register=1", {"--check-in-timeout", "500ms", "--crash-limit", "1"}, false);
    ASSERT_TRUE(daemon.wait_for([&] { return quarantined(); }, 30s)) << daemon.dext().dump();
    nlohmann::json d = daemon.dext();
    EXPECT_NE(d.value("reason", "").find("check-in timeout: Start returned but registered no "
                                         "interface within 500ms"),
              std::string::npos)
        << d.dump();
    EXPECT_TRUE(daemon.log_contains("netdextd: Start succeeded"));
    EXPECT_FALSE(d.value("host_running", true));
    EXPECT_EQ(interfaces(daemon), 0u);
}

// SIGSTOP: the stack's frames wait on TX submission; liveness calls it wedged, the carrier drops,
// the stopped host is killed and a new one answers. Stopped again, a call from the stack (SetMTU)
// goes unanswered: the same.
TEST_F(Responder, AStoppedDriverIsFoundByLivenessKilledAndRelaunched) {
    start("", {"--liveness-timeout", "500ms"});
    configure();
    Pinger pinger(daemon.netns());
    ASSERT_TRUE(pinger.ping(kPeer, 10s));
    CarrierProbe probe(daemon.netns(), daemon.dext()["interface"].value("ifindex", 0));

    const pid_t stopped = daemon.dext().value("host_pid", -1);
    ASSERT_EQ(kill(stopped, SIGSTOP), 0);
    ASSERT_TRUE(wait_until([&] { return all_threads_stopped(stopped); }));
    EXPECT_FALSE(pinger.ping(kPeer, 300ms)) << "a stopped driver answered";
    ASSERT_TRUE(daemon.wait_for([&] { return daemon.dext().value("crashes", 0) == 1; }, 20s));
    const std::string reason = supervision().value("last_reason", "");
    EXPECT_NE(reason.find("wedged: "), std::string::npos) << reason;
    EXPECT_NE(reason.find("TX submission queue for 500ms"), std::string::npos) << reason;
    ASSERT_TRUE(relaunched(stopped, probe));
    EXPECT_TRUE(wait_until([&] { return kill(stopped, 0) != 0; })) << "the stopped host is gone";
    EXPECT_TRUE(pinger.ping(kPeer, 10s)) << "the relaunched driver answers";

    const pid_t second = daemon.dext().value("host_pid", -1);
    ASSERT_EQ(kill(second, SIGSTOP), 0);
    ASSERT_TRUE(wait_until([&] { return all_threads_stopped(second); }));
    ASSERT_TRUE(daemon.sh("ip link set en0 mtu 1400").ok()); // SetMTU, never answered
    ASSERT_TRUE(daemon.wait_for([&] { return daemon.dext().value("crashes", 0) == 2; }, 20s));
    EXPECT_NE(supervision().value("last_reason", "").find("a call from the network stack went "
                                                         "unanswered for 500ms"),
              std::string::npos)
        << supervision().dump();
    ASSERT_TRUE(relaunched(second, probe));
    EXPECT_TRUE(pinger.ping(kPeer, 10s));
    EXPECT_TRUE(daemon.wait_for([&] { return daemon.dext()["interface"].value("mtu", 0) == 1400; }))
        << "the new driver was told the MTU";
}

// rsp-wedge=2: after two answers its TX handler never returns; the next frames are never taken.
TEST_F(Responder, AWedgedDriverIsFoundByLiveness) {
    start("rsp-wedge=2", {"--liveness-timeout", "500ms", "--crash-limit", "1"});
    configure();
    Pinger pinger(daemon.netns());
    ASSERT_TRUE(pinger.ping(kPeer, 10s)); // the ARP reply and the echo reply: two answers
    ASSERT_TRUE(daemon.wait_for([&] { return daemon.log_contains("rsp-wedge: answered 2"); }));
    EXPECT_FALSE(pinger.ping(kPeer, 300ms));
    ASSERT_TRUE(daemon.wait_for([&] { return quarantined(); }, 20s));
    EXPECT_NE(daemon.dext().value("reason", "").find("without being taken"), std::string::npos)
        << daemon.dext().dump();
    EXPECT_FALSE(daemon.dext()["interface"].value("carrier", true));
}

// A driver flooding the log (rsp-flood: thousands of lines a second through os_log and stderr)
// next to the sample driver: the sample's crash is noticed as fast as without the flood, within
// its normal range, and the flood is cut to the rate limit and counted.
TEST(Supervision, ALogFloodDoesNotSlowTheNeighboursCrashDetection) {
    auto noticed_ms = [](bool flood, uint64_t &dropped) -> double {
        DaemonFixture daemon;
        std::string error;
        // The sample first (the fixture waits for its interface), the responder beside it.
        if (!daemon.start(DaemonRun{SAMPLE_DEXT_PATH, flood ? "rsp-flood=1" : "",
                                    {"--run", RESPONDER_DEXT_PATH, "--crash-limit", "1"}},
                          error)) {
            ADD_FAILURE() << error;
            return -1;
        }
        if (!daemon.wait_for([&] { return dext_of(daemon, kResponderId).contains("interface"); }) ||
            (flood && !daemon.wait_for([&] {
                return dext_of(daemon, kResponderId).value("log_lines_dropped", 0) > 1000;
            }))) {
            ADD_FAILURE() << "the responder did not come up (flooding)\n" << daemon.log();
            return -1;
        }
        nlohmann::json sample = dext_of(daemon, kSampleId);
        const std::string name = sample["interface"].value("name", "");
        CarrierProbe probe(daemon.netns(), sample["interface"].value("ifindex", 0));
        EXPECT_TRUE(daemon.sh("ip link set " + name + " up").ok());
        EXPECT_TRUE(wait_until([&] { return probe.carrier() == true; }));
        const auto killed = std::chrono::steady_clock::now();
        EXPECT_EQ(kill(sample.value("host_pid", -1), SIGKILL), 0);
        EXPECT_TRUE(wait_until([&] { return probe.carrier() == false; }, 20s));
        const double ms = ms_since(killed);
        EXPECT_TRUE(daemon.wait_for([&] { return dext_of(daemon, kSampleId).value("quarantined", false); }));
        dropped = dext_of(daemon, kResponderId).value("log_lines_dropped", uint64_t(0));
        EXPECT_TRUE(dext_of(daemon, kResponderId).value("host_running", false)) << "the flooder runs on";
        return ms;
    };
    uint64_t quiet_dropped = 0, flood_dropped = 0;
    const double quiet = noticed_ms(false, quiet_dropped);
    const double flooded = noticed_ms(true, flood_dropped);
    ASSERT_GE(quiet, 0);
    ASSERT_GE(flooded, 0);
    EXPECT_EQ(quiet_dropped, 0u);
    EXPECT_GT(flood_dropped, 1000u) << "the flood is cut to the rate limit and counted";
    // Within the normal range: the flood adds no more than scheduling noise (the bound is loose
    // on purpose; the figure is printed).
    EXPECT_LT(flooded, quiet + 1000.0) << "quiet " << quiet << " ms, flooded " << flooded << " ms";
    std::printf("neighbour's crash noticed (kill -> carrier off): %.2f ms quiet, %.2f ms next to a "
                "flood (%llu lines dropped)\n",
                quiet, flooded, (unsigned long long)flood_dropped);
}

// ctor-fork=1 (EscapeNic): under seccomp the fork kills every launch — relaunched until the crash
// limit, with the reason, nothing left; without the filter the forked child dies with each host
// and each relaunch has only its own.
TEST(Supervision, AForkInAStaticConstructorIsContainedAcrossRelaunches) {
    {
        DaemonFixture daemon;
        std::string error;
        ASSERT_TRUE(daemon.start(DaemonRun{ESCAPE_DEXT_PATH, "ctor-fork=1",
                                           {"--crash-limit", "3", "--relaunch-backoff", "10ms"},
                                           false},
                                 error))
            << error;
        ASSERT_TRUE(daemon.wait_for([&] { return daemon.dext().value("quarantined", false); }, 30s))
            << daemon.log();
        nlohmann::json d = daemon.dext();
        EXPECT_EQ(d["supervision"].value("launches", 0), 3);
        EXPECT_NE(d["supervision"].value("quarantine_reason", "").find("killed by signal 31"),
                  std::string::npos)
            << d.dump();
        const uint32_t uid = d.value("uid", 0u);
        EXPECT_TRUE(wait_until([&] { return processes_of_uid(uid).empty(); }));
    }
    DaemonFixture daemon;
    std::string error;
    ASSERT_TRUE(daemon.start(DaemonRun{ESCAPE_DEXT_PATH, "ctor-fork=1", {"--no-seccomp"}, false},
                             error))
        << error;
    ASSERT_TRUE(wait_until([&] { return daemon.log_contains("EscapeNic: DONE"); }, 20s))
        << daemon.log();
    nlohmann::json d = daemon.dext();
    const uint32_t uid = d.value("uid", 0u);
    const pid_t host = d.value("host_pid", -1);
    ASSERT_TRUE(wait_until([&] { return processes_of_uid(uid).size() == 2; }))
        << "the host and the child it forked";
    const std::vector<pid_t> before = processes_of_uid(uid);
    ASSERT_EQ(kill(host, SIGKILL), 0);
    ASSERT_TRUE(daemon.wait_for([&] {
        nlohmann::json now = daemon.dext();
        return now.value("crashes", 0) == 1 && now.value("host_running", false) &&
               now.value("host_pid", -1) != host;
    }));
    ASSERT_TRUE(wait_until([&] {
        std::vector<pid_t> after = processes_of_uid(uid);
        return after.size() == 2 && std::find_first_of(after.begin(), after.end(), before.begin(),
                                                       before.end()) == after.end();
    })) << "the old child outlived its host, or the new host has no child";
}

} // namespace
