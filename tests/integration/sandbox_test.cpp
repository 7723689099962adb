// The sandbox of netdext-host under the real netdextd (issue 10, docs/sandbox.md), as root in
// namespaces the tests create: EscapeNic tries each way out that issue 10 measured on the
// unsandboxed daemon — one per run, since a seccomp kill ends a run — and every one must fail;
// a second host cannot reach the first; a process forked in a static constructor dies with its
// host and with the daemon. A failure names the escape that worked.

#include <gtest/gtest.h>

#include "daemon_fixture.h"
#include "support/process_list.h"
#include "support/wait_until.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace std::chrono_literals;
using netdext::testing::DaemonFixture;
using netdext::testing::DaemonRun;
using netdext::testing::processes_of_uid;
using netdext::testing::wait_until;

namespace {

constexpr const char *kSecret = "netdext-escape-secret-7f3a";

// One run of EscapeNic: its log, how its host ended, the status entry.
struct EscapeRun {
    std::string log;
    nlohmann::json dext;
    bool done = false; // EscapeNic logged DONE (the attempt did not kill it)
};

bool host_ended(DaemonFixture &daemon) {
    nlohmann::json d = daemon.dext();
    return d.contains("host_running") && !d["host_running"].get<bool>();
}

EscapeRun run_escape(DaemonFixture &daemon, const std::string &boot_args,
               std::vector<std::string> extra_args = {}) {
    EscapeRun run;
    std::string error;
    setenv("NETDEXT_ESCAPE_SECRET", kSecret, 1); // in netdextd's environment, for escape=8
    // One launch per run: a host the attempt ended stays ended (no relaunch), reason and all.
    extra_args.insert(extra_args.end(), {"--crash-limit", "1"});
    bool started = daemon.start(DaemonRun{ESCAPE_DEXT_PATH, boot_args, extra_args, false}, error);
    EXPECT_TRUE(started) << error;
    if (!started)
        return run;
    wait_until([&] { return daemon.log_contains("EscapeNic: DONE") || host_ended(daemon); }, 20s);
    run.done = daemon.log_contains("EscapeNic: DONE");
    run.dext = daemon.dext();
    daemon.stop();
    run.log = daemon.log();
    return run;
}

// A line of netdextd's log without the "2025-01-31T10:00:00.123Z notice " the daemon puts before
// every line it writes (docs/running.md); a line without it — a forgery that got through — is
// kept whole, so it still starts with what the driver wrote.
std::string unstamped(const std::string &line) {
    if (line.size() > 25 && line[4] == '-' && line[10] == 'T' && line[23] == 'Z' &&
        line[24] == ' ')
        if (size_t level_end = line.find(' ', 25); level_end != std::string::npos)
            return line.substr(level_end + 1);
    return line;
}

// Every line of `log` that starts with `prefix` (after the daemon's time stamp and level).
std::vector<std::string> lines_starting(const std::string &log, const std::string &prefix) {
    std::vector<std::string> found;
    std::stringstream in(log);
    for (std::string line; std::getline(in, line);)
        if (unstamped(line).rfind(prefix, 0) == 0)
            found.push_back(unstamped(line));
    return found;
}

bool killed_by_seccomp(const EscapeRun &run) {
    return run.dext.value("reason", "").find("killed by signal 31") != std::string::npos;
}

// How an attempt was stopped, for the test's own log (docs/sandbox.md keeps the table).
std::string how_blocked(const EscapeRun &run) {
    std::string results;
    if (killed_by_seccomp(run))
        return "seccomp killed the host";
    for (const std::string &line : lines_starting(run.log, "[com.example.netdext.test.EscapeNic] EscapeNic: RESULT"))
        results += "\n    " + line.substr(line.find("RESULT") + 7);
    if (!run.done)
        results += "\n    then the host ended: " + run.dext.value("reason", "?");
    return results.empty() ? "no result (" + run.dext.value("reason", "?") + ")" : results;
}

struct Escape {
    int number;
    const char *name;
};

void PrintTo(const Escape &escape, std::ostream *out) { *out << escape.name; }

const Escape kEscapes[] = {
    {1, "exec /bin/sh"},
    {2, "fork"},
    {3, "allocate and touch 2 GiB"},
    {4, "create a user namespace and mount in it"},
    {5, "open sockets"},
    {6, "write to /tmp and /dev/shm"},
    {7, "connect to a world-writable Unix socket"},
    {8, "read the daemon's environment and its own"},
    {9, "forge the daemon's and another dext's log lines"},
};

class Escapes : public ::testing::TestWithParam<Escape> {};

TEST_P(Escapes, Fails) {
    const Escape escape = GetParam();
    std::string token = "netdext-escape-" + std::to_string(getpid()) + "-" +
                        std::to_string(escape.number);
    std::string socket_path = "/tmp/" + token + ".sock";
    // escape=7: a world-writable Unix socket outside the sandbox, listening.
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    chmod(socket_path.c_str(), 0777);
    ASSERT_EQ(listen(listener, 4), 0);

    DaemonFixture daemon;
    // escape-pid: a process outside the sandbox whose environment holds the secret (this test's;
    // netdextd's holds it too, but its pid is not known before it starts).
    EscapeRun run = run_escape(daemon, "escape=" + std::to_string(escape.number) +
                                           " escape-token=" + token + " escape-socket=" +
                                           socket_path + " escape-pid=" + std::to_string(getpid()));
    std::vector<std::string> escapes;
    for (const std::string &line : lines_starting(run.log, "[com.example.netdext.test.EscapeNic]"))
        if (line.find("ESCAPED") != std::string::npos)
            escapes.push_back(line);
    if (access(("/tmp/" + token).c_str(), F_OK) == 0)
        escapes.push_back("wrote the host's /tmp/" + token);
    if (access(("/dev/shm/" + token).c_str(), F_OK) == 0)
        escapes.push_back("wrote the host's /dev/shm/" + token);
    int accepted = accept(listener, nullptr, nullptr);
    if (accepted >= 0) {
        escapes.push_back("connected to " + socket_path);
        close(accepted);
    }
    if (run.log.find(kSecret) != std::string::npos)
        escapes.push_back("read netdextd's environment");
    for (const char *forged : {"netdextd: FORGED", "[com.example.netdext.victim]"})
        for (const std::string &line : lines_starting(run.log, forged))
            escapes.push_back("forged a line: " + line);
    EXPECT_TRUE(escapes.empty()) << "escape \"" << escape.name << "\" succeeded:\n  "
                                 << ::testing::PrintToString(escapes) << "\nlog:\n" << run.log;
    // Either the attempt failed and EscapeNic went on to DONE, or it ended the host (a seccomp
    // kill; in sanitizer builds the failed 2 GiB malloc is fatal to ASan): both contain it.
    EXPECT_TRUE(run.done || !run.dext.value("host_running", true))
        << escape.name << ": EscapeNic neither finished nor ended:\n" << run.log;
    std::printf("escape %d (%s): %s\n", escape.number, escape.name, how_blocked(run).c_str());
    close(listener);
    unlink(socket_path.c_str());
    unlink(("/tmp/" + token).c_str());
    unlink(("/dev/shm/" + token).c_str());
}

INSTANTIATE_TEST_SUITE_P(EveryAction, Escapes, ::testing::ValuesIn(kEscapes),
                         [](const auto &info) { return "escape" + std::to_string(info.param.number); });

// The sandboxed sample host as the kernel sees it from outside.
TEST(Sandbox, TheHostRunsWithoutPrivilegeInItsOwnNamespaces) {
    DaemonFixture daemon;
    std::string error;
    ASSERT_TRUE(daemon.start(DaemonRun{SAMPLE_DEXT_PATH, "", {}}, error)) << error;
    nlohmann::json dext = daemon.dext();
    pid_t host = dext.value("host_pid", -1);
    ASSERT_GT(host, 0);
    std::ifstream status_file("/proc/" + std::to_string(host) + "/status");
    std::map<std::string, std::string> status;
    for (std::string line; std::getline(status_file, line);) {
        size_t colon = line.find(':');
        size_t value = line.find_first_not_of(" \t", colon + 1);
        if (colon != std::string::npos && value != std::string::npos)
            status[line.substr(0, colon)] = line.substr(value);
    }
    uint32_t uid = dext.value("uid", 0u);
    EXPECT_GE(uid, 131072u);
    EXPECT_EQ(status["Uid"], std::to_string(uid) + "\t" + std::to_string(uid) + "\t" +
                                 std::to_string(uid) + "\t" + std::to_string(uid));
    for (const char *caps : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
        EXPECT_EQ(status[caps], "0000000000000000") << caps;
    EXPECT_EQ(status["NoNewPrivs"], "1");
    EXPECT_EQ(status["Seccomp"], "2");
    EXPECT_EQ(status["SigBlk"], "0000000000000000");
    EXPECT_EQ(status["NSpid"], std::to_string(host) + "\t1") << "PID 1 of its own namespace";
    for (const char *ns : {"pid", "mnt", "net", "ipc", "uts"}) {
        char own[64] = {}, its[64] = {};
        readlink((std::string("/proc/self/ns/") + ns).c_str(), own, sizeof own - 1);
        readlink(("/proc/" + std::to_string(host) + "/ns/" + ns).c_str(), its, sizeof its - 1);
        EXPECT_STRNE(own, its) << ns;
    }
    std::string cgroup = dext.value("cgroup", "");
    if (!cgroup.empty()) {
        std::ifstream procs(cgroup + "/cgroup.procs");
        pid_t first = 0;
        procs >> first;
        EXPECT_EQ(first, host) << "the host runs in its extension's cgroup " << cgroup;
    }
    daemon.stop();
    if (!cgroup.empty()) {
        EXPECT_NE(access(cgroup.c_str(), F_OK), 0) << "the extension's cgroup is removed";
    }
}

// Two extensions, two uids: one tries to reach the other's process, memory and rings.
TEST(Sandbox, AHostCannotReachAnother) {
    DaemonFixture victim;
    std::string error;
    ASSERT_TRUE(victim.start(DaemonRun{SAMPLE_DEXT_PATH, "", {}}, error)) << error;
    pid_t victim_pid = victim.dext().value("host_pid", -1);
    uint32_t victim_uid = victim.dext().value("uid", 0u);
    ASSERT_GT(victim_pid, 0);
    const char *attacks[] = {"", "/proc/PID/{mem,environ,root,fd/*}", "kill", "ptrace",
                             "process_vm_writev", "pidfd_open + pidfd_getfd"};
    for (int attack = 1; attack <= 5; ++attack) {
        DaemonFixture attacker;
        EscapeRun run = run_escape(attacker, "attack=" + std::to_string(attack) +
                                           " victim=" + std::to_string(victim_pid));
        EXPECT_NE(run.dext.value("uid", 0u), victim_uid) << "two extensions share a uid";
        for (const std::string &line : lines_starting(run.log, "[com.example.netdext.test.EscapeNic]"))
            EXPECT_EQ(line.find("ESCAPED"), std::string::npos)
                << "attack \"" << attacks[attack] << "\" succeeded: " << line;
        EXPECT_TRUE(run.done || !run.dext.value("host_running", true)) << attacks[attack] << "\n"
                                                                       << run.log;
        nlohmann::json after = victim.dext();
        EXPECT_TRUE(after.value("host_running", false) && after.value("host_pid", -1) == victim_pid &&
                    after.value("state", "") == "running")
            << "attack \"" << attacks[attack] << "\" hurt the other host: " << after.dump();
        EXPECT_EQ(victim.counter("ring_faults"), 0u);
        std::printf("attack %d (%s): %s\n", attack, attacks[attack], how_blocked(run).c_str());
    }
}

// MisbehavingNic (the bench's rule-breaker) under the sandboxed daemon: correct (bad=0) and
// breaking RX rules (bad=4 past the buffer, bad=11 zero length), its receive timer runs, the
// runtime and the daemon see what it does, and the filter never stops it.
TEST(Sandbox, MisbehavingNicRunsUnderTheFilter) {
    for (int bad : {0, 4, 11}) {
        DaemonFixture daemon;
        std::string error;
        ASSERT_TRUE(daemon.start(DaemonRun{MISBEHAVING_DEXT_PATH, "bad=" + std::to_string(bad), {}},
                                 error)) << error;
        std::string name = daemon.dext()["interface"].value("name", "en0");
        ASSERT_TRUE(daemon.sh("ip link set " + name + " up").ok());
        // Its timer "receives" two frames a second once up: wait for the first of them (or for
        // the daemon to refuse them).
        EXPECT_TRUE(daemon.wait_for([&] {
            return daemon.counter("rx_completed") + daemon.counter("drop_offset_length_out_of_bounds") +
                       daemon.counter("drop_zero_length_rx") + daemon.dext()["misuse"].size() > 0;
        })) << "bad=" << bad << "\n" << daemon.log();
        nlohmann::json dext = daemon.dext();
        EXPECT_TRUE(dext.value("host_running", false)) << "bad=" << bad << ": " << dext.dump();
        EXPECT_EQ(dext.value("reason", "").find("signal 31"), std::string::npos) << dext.dump();
        std::printf("MisbehavingNic bad=%d: rx_completed %llu, misuse %zu, state %s\n", bad,
                    (unsigned long long)daemon.counter("rx_completed"), dext["misuse"].size(),
                    dext.value("state", "?").c_str());
    }
}

// ctor-fork=1: under seccomp the fork itself ends the host; without the filter (netdextd
// --no-seccomp) the child dies with its host, and with the daemon.
TEST(Sandbox, AForkInAStaticConstructorIsContained) {
    {
        DaemonFixture daemon;
        EscapeRun run = run_escape(daemon, "ctor-fork=1");
        EXPECT_TRUE(killed_by_seccomp(run)) << run.log;
        EXPECT_FALSE(run.done);
        uint32_t uid = run.dext.value("uid", 0u);
        EXPECT_TRUE(wait_until([&] { return processes_of_uid(uid).empty(); }, 5s));
    }
    for (bool kill_daemon : {false, true}) {
        DaemonFixture daemon;
        std::string error;
        ASSERT_TRUE(daemon.start(DaemonRun{ESCAPE_DEXT_PATH, "ctor-fork=1",
                                           {"--no-seccomp", "--crash-limit", "1"}, false},
                                 error)) << error;
        ASSERT_TRUE(wait_until([&] { return daemon.log_contains("EscapeNic: DONE"); }, 20s))
            << daemon.log();
        EXPECT_TRUE(daemon.log_contains("EscapeNic: constructor forked: ")) << daemon.log();
        nlohmann::json dext = daemon.dext();
        uint32_t uid = dext.value("uid", 0u);
        pid_t host = dext.value("host_pid", -1);
        std::string cgroup = dext.value("cgroup", "");
        ASSERT_GT(uid, 0u);
        EXPECT_EQ(processes_of_uid(uid).size(), 2u) << "the host and the child it forked";
        if (kill_daemon) {
            kill(daemon.daemon_pid(), SIGKILL);
            daemon.stop(); // reaps it
        } else {
            kill(host, SIGKILL);
        }
        EXPECT_TRUE(wait_until([&] { return processes_of_uid(uid).empty(); }, 5s))
            << (kill_daemon ? "the child outlived the daemon" : "the child outlived its host");
        daemon.stop();
        if (kill_daemon && !cgroup.empty()) { // nobody was left to remove them
            rmdir(cgroup.c_str());
            rmdir(cgroup.substr(0, cgroup.rfind('/')).c_str());
        }
    }
}

} // namespace
