// netdextd: the netdext daemon — plays the macOS kernel (and sysextd) for NetworkingDriverKit
// dexts.
//
//   netdextd [--state-dir /var/lib/netdext] [--socket /run/netdext/netdextd.sock] …
//   netdextd --run PATH.dext [--boot-args "k=v …"] [--socket S] …     (development)
//
// As a service it keeps the installed extensions in its state directory and serves the control
// socket netdextctl talks to; every enabled extension's driver runs in its own sandboxed
// netdext-host process and every interface it registers becomes a TAP named <prefix><N>. With
// --run it runs the given bundles as ephemeral extensions (never recorded), with no database
// unless --state-dir is also given. Runs until SIGINT/SIGTERM; SIGHUP re-reads the configuration.
// Must run as root (it creates TAPs).

#include "daemon.h"
#include "daemon_log.h"
#include "supervision_options.h"

#include <netdext/control/protocol.h>
#include <netdext/version.h>

#include <cgroup.h>
#include <uid_pool.h>

#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace {

using netdext::daemon::DaemonOptions;

constexpr const char *kDefaultStateDir = "/var/lib/netdext";
constexpr const char *kDefaultConfig = "/etc/netdext/netdextd.conf";
// The flocks that keep the dexts' uids apart across daemons (docs/sandbox.md).
constexpr const char *kUidLockDir = "/run/netdext/uids";

// netdext-host: installed in <prefix>/libexec/netdext/, else beside netdextd or in the build tree.
std::string find_host_binary() {
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto installed = self.parent_path() / NETDEXT_LIBEXEC_FROM_BIN / "netdext-host";
        if (access(installed.c_str(), X_OK) == 0)
            return installed.lexically_normal().string();
    }
    return netdext::daemon::HostProcess::default_host_binary();
}

struct Parsed {
    DaemonOptions options;
    std::string log_target = "auto";
    std::string log_level = "info";
    std::string uid_range;   // --uid-range FIRST-LAST
    std::string cgroup_path; // --cgroup
    int exit_code = -1; // ≥ 0: exit now with it (--help, --version, a bad command line)
};

Parsed parse(int argc, char **argv, bool quiet) {
    Parsed parsed;
    DaemonOptions &o = parsed.options;
    CLI::App app{"netdextd — runs NetworkingDriverKit drivers (.dext bundles) as isolated "
                 "processes whose interfaces the Linux stack drives, and keeps the installed "
                 "system extensions (netdextctl activate / list / uninstall …).",
                 "netdextd"};
    std::string state_dir;
    bool no_sandbox = false, no_seccomp = false, seccomp_report = false, quiet_dexts = false;
    netdext::sandbox::SandboxLimits &limits = o.sandbox.limits;
    uint64_t memory_mib = limits.memory_bytes >> 20;
    parsed.uid_range = std::to_string(netdext::sandbox::kDefaultFirstUid) + "-" +
                       std::to_string(netdext::sandbox::kDefaultLastUid);
    app.set_version_flag("--version", netdext::version_text("netdextd"));
    app.set_config("--config", kDefaultConfig,
                   "Configuration file (TOML/INI: option = value); SIGHUP re-reads it");
    app.add_option("--state-dir", state_dir,
                   std::string("Where installed extensions and their database live (default ") +
                       kDefaultStateDir + "; none with --run unless given)");
    o.socket_path = netdext::control::kDefaultSocket;
    app.add_option("--socket", o.socket_path, "The control socket netdextctl talks to")
        ->capture_default_str();
    app.add_option("--run", o.run_bundles,
                   "Run this .dext as an ephemeral extension (repeatable; development, tests)");
    app.add_option("--boot-args", o.boot_args,
                   "Boot-args for the --run dexts (IOParseBootArgNumber), e.g. \"ndks-debug=1\"");
    app.add_option("--prefix", o.name_prefix,
                   "Interface name prefix; the unit is the lowest free number")
        ->capture_default_str();
    app.add_option("--capture", o.capture_dir,
                   "Write <if>-tx-submission.pcap and <if>-rx-completion.pcap (the frames handed "
                   "to and received from the driver) into this directory (root's, not writable "
                   "by others)");
    app.add_option("--host", o.host_binary,
                   "The netdext-host executable (default: <prefix>/libexec/netdext/netdext-host "
                   "or beside netdextd)");
    app.add_option("--drop-limit", o.drop_limit,
                   "Invalid packets a dext may hand back before it is stopped")
        ->capture_default_str();
    app.add_option("--admin-group", o.admin_group,
                   "Members of this group may activate, uninstall… (besides root)")
        ->capture_default_str();
    app.add_option("--log", parsed.log_target, "Where log lines go: auto (the journal under "
                                               "systemd), journal, stderr")
        ->check(CLI::IsMember({"auto", "journal", "stderr"}))
        ->capture_default_str();
    app.add_option("--log-level", parsed.log_level, "The least important level logged")
        ->check(CLI::IsMember({"error", "warning", "notice", "info", "debug"}))
        ->capture_default_str();
    app.add_flag("--no-sandbox", no_sandbox,
                 "Run netdext-host without its sandbox (namespaces, own uid, seccomp, limits)");
    app.add_flag("--no-seccomp", no_seccomp,
                 "Run netdext-host without its seccomp filter, every other layer kept (to debug "
                 "a driver the filter stops; docs/sandbox.md)");
    app.add_flag("--seccomp-report", seccomp_report,
                 "Fail and log a dext's system calls outside the seccomp allow-list instead of "
                 "killing it (to find out what a driver needs; never in production)");
    app.add_option("--uid-range", parsed.uid_range,
                   "The uids (= gids) the dexts run as, one per running dext, FIRST-LAST "
                   "(default " + parsed.uid_range + ")");
    app.add_option("--cgroup", parsed.cgroup_path,
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
    app.add_flag("--quiet-dexts", quiet_dexts, "Do not copy the dexts' log lines into the log");
    std::string tap_io = "io_uring";
    app.add_option("--tap-io", tap_io,
                   "How frames cross the interfaces' TAPs: io_uring (batches of up to 64 frames "
                   "per system call; one call per frame where the kernel offers no io_uring) or "
                   "syscalls (one read or write per frame)")
        ->check(CLI::IsMember({"io_uring", "syscalls"}))
        ->capture_default_str();
    // More movers than CPUs only add switches between them.
    o.max_movers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    app.add_option("--movers", o.max_movers,
                   "Frame mover threads (and TAP queues) per interface at most: a driver with "
                   "more queue sets than this shares them out (default: the CPUs, at most 8)")
        ->check(CLI::Range(1, 8))
        ->capture_default_str();
    netdext::daemon::SupervisionOptions supervision;
    supervision.add_to(app);
    app.add_option("--applications-dir", o.applications_dir,
                   "Apps that activate system extensions must live beneath this directory "
                   "(root's, not writable by others; developer mode skips the check)")
        ->capture_default_str();
    app.footer("Exit status: 0 stopped by a signal; 1 could not start (another netdextd holds the "
               "state directory or the socket, a bad bundle, a bad option), or every --run "
               "driver failed.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &error) {
        parsed.exit_code = quiet ? 1 : app.exit(error);
        return parsed;
    }
    if (std::string error; !supervision.apply(o.supervision, error)) {
        if (!quiet)
            std::fprintf(stderr, "netdextd: %s\n", error.c_str());
        parsed.exit_code = 1;
        return parsed;
    }
    o.sandbox.enabled = !no_sandbox;
    o.sandbox.seccomp = !no_seccomp;
    o.sandbox.seccomp_report = seccomp_report;
    limits.memory_bytes = memory_mib << 20;
    o.dext_logs = !quiet_dexts;
    o.tap_io_uring = tap_io == "io_uring";
    o.state_dir = !state_dir.empty() ? state_dir : o.run_bundles.empty() ? kDefaultStateDir : "";
    if (o.host_binary.empty())
        o.host_binary = find_host_binary();
    return parsed;
}

netdext::daemon_log::Level level_of(const std::string &name) {
    using L = netdext::daemon_log::Level;
    return name == "error" ? L::error : name == "warning" ? L::warning : name == "notice" ? L::notice
           : name == "debug" ? L::debug : L::info;
}

} // namespace

int main(int argc, char **argv) {
    Parsed parsed = parse(argc, argv, false);
    if (parsed.exit_code >= 0)
        return parsed.exit_code;
    auto &log = netdext::daemon_log::log();
    log.set_target(parsed.log_target == "journal"  ? netdext::daemon_log::Target::journal
                   : parsed.log_target == "stderr" ? netdext::daemon_log::Target::standard_error
                                                   : netdext::daemon_log::Log::detect_target());
    log.set_minimum(level_of(parsed.log_level));
    DaemonOptions &options = parsed.options;
    if (options.host_binary.find('/') == std::string::npos ||
        access(options.host_binary.c_str(), X_OK) != 0) {
        std::fprintf(stderr, "netdextd: cannot find netdext-host (%s); pass --host PATH\n",
                     options.host_binary.c_str());
        return 1;
    }
    if (geteuid() != 0)
        std::fprintf(stderr, "netdextd: warning: not running as root; creating TAPs will fail\n");
    std::string sandbox_note, sandbox_warning;
    if (options.sandbox.enabled) {
        // Leases are exclusive machine-wide (one netdextd per state directory may run beside
        // another): a uid's flock lives in kUidLockDir.
        if (!netdext::sandbox::UidPool::parse(parsed.uid_range)) {
            std::fprintf(stderr, "netdextd: --uid-range %s: expected FIRST-LAST (0 < FIRST <= "
                                 "LAST < 2^31-1)\n", parsed.uid_range.c_str());
            return 1;
        }
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(kUidLockDir).parent_path(), ec);
        auto uids = netdext::sandbox::UidPool::parse(parsed.uid_range, kUidLockDir);
        if (!uids) {
            std::fprintf(stderr, "netdextd: %s: %s\n", kUidLockDir,
                         uids.error().describe().c_str());
            return 1;
        }
        options.sandbox.uids = uids.release_value();
        // Said once netdextd has started: a refused start prints only why it was refused.
        auto cgroups = netdext::sandbox::CgroupParent::open(parsed.cgroup_path);
        if (cgroups) {
            options.sandbox.cgroups = cgroups.release_value();
            std::string controllers;
            for (const std::string &name : options.sandbox.cgroups->controllers())
                controllers += " " + name;
            sandbox_note = "dexts' cgroups in " + options.sandbox.cgroups->directory() +
                           " (controllers:" + (controllers.empty() ? " none" : controllers) + ")" +
                           (options.sandbox.cgroups->has_controller("memory") &&
                                    options.sandbox.cgroups->has_controller("pids")
                                ? ""
                                : "; rlimits bound memory and tasks");
        } else {
            sandbox_warning = "no cgroup for the dexts (" + cgroups.error().describe() +
                              "); rlimits bound memory and tasks";
        }
    }
    signal(SIGCHLD, SIG_DFL); // netdext-host exit statuses are reaped through their pidfds
    std::string error;
    auto daemon = netdext::daemon::Daemon::create(options, error);
    if (!daemon) {
        std::fprintf(stderr, "netdextd: %s\n", error.c_str());
        return 1;
    }
    using netdext::daemon_log::Level;
    if (!sandbox_note.empty())
        netdext::daemon_log::say(Level::info, "", "", "%s", sandbox_note.c_str());
    if (!sandbox_warning.empty())
        netdext::daemon_log::say(Level::warning, "", "", "%s", sandbox_warning.c_str());
    daemon->set_reload([argc, argv](std::string &why) -> std::optional<DaemonOptions> {
        Parsed again = parse(argc, argv, true);
        if (again.exit_code >= 0) {
            why = "the configuration no longer parses";
            return std::nullopt;
        }
        netdext::daemon_log::log().set_minimum(level_of(again.log_level));
        return again.options;
    });
    return daemon->run();
}
