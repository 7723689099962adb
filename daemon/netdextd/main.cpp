// netdextd: the netdext daemon — plays the macOS kernel for NetworkingDriverKit dexts.
//
//   netdextd --run PATH.dext [--boot-args "k=v …"] [--prefix en] [--status-file F] …
//
// Starts each dext in its own sandboxed netdext-host process; every interface it registers
// becomes a TAP named <prefix><N> driven by the Linux stack. Runs until SIGINT/SIGTERM, then stops
// the dexts and removes their interfaces. Must run as root (it creates TAPs).

#include "daemon.h"

#include <cgroup.h>
#include <uid_pool.h>

#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char **argv) {
    CLI::App app{"netdextd — runs NetworkingDriverKit drivers (.dext bundles) as isolated "
                 "processes whose interfaces the Linux stack drives."};
    netdext::daemon::DaemonOptions options;
    bool no_sandbox = false, no_seccomp = false, seccomp_report = false, quiet = false;
    std::string uid_range = std::to_string(netdext::sandbox::kDefaultFirstUid) + "-" +
                            std::to_string(netdext::sandbox::kDefaultLastUid);
    std::string cgroup_path;
    netdext::sandbox::SandboxLimits &limits = options.sandbox.limits;
    uint64_t memory_mib = limits.memory_bytes >> 20;
    app.add_option("--run", options.run_bundles, "Start this .dext bundle (repeatable)")
        ->required();
    app.add_option("--boot-args", options.boot_args,
                   "Boot-args the dexts read with IOParseBootArgNumber, e.g. \"ndks-debug=1\"");
    app.add_option("--prefix", options.name_prefix,
                   "Interface name prefix; the unit is the lowest free number (default en)");
    app.add_option("--status-file", options.status_file,
                   "Keep a JSON snapshot of every dext and its counters in this file");
    app.add_option("--capture", options.capture_dir,
                   "Write <if>-tx-submission.pcap and <if>-rx-completion.pcap (the frames handed "
                   "to and received from the driver) into this directory");
    app.add_option("--host", options.host_binary,
                   "The netdext-host executable (default: next to netdextd)");
    app.add_option("--drop-limit", options.drop_limit,
                   "Invalid packets a dext may hand back before it is stopped (default 64)");
    app.add_flag("--no-sandbox", no_sandbox,
                 "Run netdext-host without its sandbox (namespaces, own uid, seccomp, limits)");
    app.add_flag("--no-seccomp", no_seccomp,
                 "Run netdext-host without its seccomp filter, every other layer kept (to debug "
                 "a driver the filter stops; docs/sandbox.md)");
    app.add_flag("--seccomp-report", seccomp_report,
                 "Fail and log a dext's system calls outside the seccomp allow-list instead of "
                 "killing it (to find out what a driver needs; never in production)");
    app.add_option("--uid-range", uid_range,
                   "The uids (= gids) the dexts run as, one per running dext, FIRST-LAST "
                   "(default " + uid_range + ")");
    app.add_option("--cgroup", cgroup_path,
                   "The cgroup v2 the dexts' cgroups are made in: absolute in the hierarchy, or "
                   "relative to netdextd's own (default netdext)");
    app.add_option("--dext-memory", memory_mib,
                   "Memory per dext in MiB: cgroup memory.max, else its address space (default " +
                       std::to_string(memory_mib) + ")");
    app.add_option("--dext-tasks", limits.max_tasks,
                   "Processes and threads per dext: pids.max, else RLIMIT_NPROC (default " +
                       std::to_string(limits.max_tasks) + ")");
    app.add_option("--dext-cpu-weight", limits.cpu_weight,
                   "cpu.weight of each dext, 1-10000 (default " +
                       std::to_string(limits.cpu_weight) + ")")
        ->check(CLI::Range(1u, 10000u));
    app.add_option("--dext-open-files", limits.open_files,
                   "RLIMIT_NOFILE of each dext (default " + std::to_string(limits.open_files) +
                       ")");
    app.add_option("--dext-log-rate", limits.log_lines_per_second,
                   "Log lines per second a dext may write; the rest is counted as dropped "
                   "(default " + std::to_string(limits.log_lines_per_second) + ", bursts of " +
                       std::to_string(limits.log_burst) + ")");
    app.add_flag("--quiet-dexts", quiet, "Do not copy the dexts' log lines to standard error");
    CLI11_PARSE(app, argc, argv);
    options.sandbox.enabled = !no_sandbox;
    options.sandbox.seccomp = !no_seccomp;
    options.sandbox.seccomp_report = seccomp_report;
    limits.memory_bytes = memory_mib << 20;
    options.dext_logs = !quiet;
    if (options.host_binary.empty())
        options.host_binary = netdext::daemon::HostProcess::default_host_binary();
    if (options.host_binary.find('/') == std::string::npos ||
        access(options.host_binary.c_str(), X_OK) != 0) {
        std::fprintf(stderr, "netdextd: cannot find netdext-host (%s); pass --host PATH\n",
                     options.host_binary.c_str());
        return 1;
    }
    if (geteuid() != 0)
        std::fprintf(stderr, "netdextd: warning: not running as root; creating TAPs will fail\n");

    if (options.sandbox.enabled) {
        auto uids = netdext::sandbox::UidPool::parse(uid_range);
        if (!uids) {
            std::fprintf(stderr, "netdextd: --uid-range %s: expected FIRST-LAST (0 < FIRST <= "
                                 "LAST < 2^31-1)\n", uid_range.c_str());
            return 1;
        }
        options.sandbox.uids = uids.release_value();
        auto cgroups = netdext::sandbox::CgroupParent::open(cgroup_path);
        if (cgroups) {
            options.sandbox.cgroups = cgroups.release_value();
            std::string controllers;
            for (const std::string &name : options.sandbox.cgroups->controllers())
                controllers += " " + name;
            std::fprintf(stderr, "netdextd: dexts' cgroups in %s (controllers:%s)%s\n",
                         options.sandbox.cgroups->directory().c_str(),
                         controllers.empty() ? " none" : controllers.c_str(),
                         options.sandbox.cgroups->has_controller("memory") &&
                                 options.sandbox.cgroups->has_controller("pids")
                             ? ""
                             : "; rlimits bound memory and tasks");
        } else {
            std::fprintf(stderr, "netdextd: no cgroup for the dexts (%s); rlimits bound memory "
                                 "and tasks\n", cgroups.error().describe().c_str());
        }
    }
    signal(SIGCHLD, SIG_DFL); // netdext-host exit statuses are reaped through their pidfds
    std::string error;
    auto daemon = netdext::daemon::Daemon::create(options, error);
    if (!daemon) {
        std::fprintf(stderr, "netdextd: %s\n", error.c_str());
        return 1;
    }
    return daemon->run();
}
