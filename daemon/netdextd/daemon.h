// Daemon: netdextd's main loop — one epoll over every dext's control channel, host pidfd and
// fault eventfd, the rtnetlink watcher, signals, and a status timer (DESIGN.md §1).
//
// Threads: run() on the main thread; frame movers run on their own threads inside NetInterface.
#pragma once

#include "dext_session.h"

#include <memory>
#include <string>
#include <vector>

namespace netdext::daemon {

struct DaemonOptions {
    std::vector<std::string> run_bundles; // netdextd --run PATH.dext …
    std::string boot_args;
    std::string host_binary;
    std::string name_prefix = "en";
    std::string status_file; // JSON snapshot, rewritten atomically while running
    std::string capture_dir; // pcaps of TX submission / RX completion per interface
    sandbox::SandboxSettings sandbox; // docs/sandbox.md
    bool dext_logs = true;   // copy dext log lines to standard error
    uint64_t drop_limit = 64;
};

class Daemon {
public:
    static std::unique_ptr<Daemon> create(const DaemonOptions &options, std::string &error);
    ~Daemon();
    // Runs until SIGINT/SIGTERM; returns the process exit status.
    int run();

private:
    explicit Daemon(const DaemonOptions &options);
    bool launch(const std::string &bundle_path, std::string &error);
    void add_fd(int fd, uint64_t tag);
    void remove_fd(int fd);
    void write_status();
    void shutdown();

    DaemonOptions m_options;
    UniqueFd m_epoll;
    UniqueFd m_signals;
    UniqueFd m_timer;
    std::unique_ptr<netlink::LinkWatcher> m_watcher;
    std::unique_ptr<netlink::RouteSocket> m_route;
    std::vector<std::unique_ptr<DextSession>> m_sessions;
    std::vector<int> m_watched_pidfds; // per session: the pidfd still in epoll, or -1
    std::string m_last_status;
};

} // namespace netdext::daemon
