// netdextd: the netdext daemon — plays the macOS kernel for NetworkingDriverKit dexts.
//
//   netdextd --run PATH.dext [--boot-args "k=v …"] [--prefix en] [--status-file F] …
//
// Starts each dext in its own sandboxed netdext-host process; every interface it registers
// becomes a TAP named <prefix><N> driven by the Linux stack. Runs until SIGINT/SIGTERM, then stops
// the dexts and removes their interfaces. Must run as root (it creates TAPs).

#include "daemon.h"

#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char **argv) {
    CLI::App app{"netdextd — runs NetworkingDriverKit drivers (.dext bundles) as isolated "
                 "processes whose interfaces the Linux stack drives."};
    netdext::daemon::DaemonOptions options;
    bool no_sandbox = false, quiet = false;
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
                 "Run netdext-host without its own network namespace and credentials");
    app.add_flag("--quiet-dexts", quiet, "Do not copy the dexts' log lines to standard error");
    CLI11_PARSE(app, argc, argv);
    options.sandbox = !no_sandbox;
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

    signal(SIGCHLD, SIG_DFL); // netdext-host exit statuses are reaped through their pidfds
    std::string error;
    auto daemon = netdext::daemon::Daemon::create(options, error);
    if (!daemon) {
        std::fprintf(stderr, "netdextd: %s\n", error.c_str());
        return 1;
    }
    return daemon->run();
}
