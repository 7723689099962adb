// netdextd's main loop (see daemon.h).

#include "daemon.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <fstream>

namespace netdext::daemon {

namespace {

enum Kind : uint64_t {
    kSignals = 1, kTimer = 2, kWatcher = 3, kChannel = 4, kPidfd = 5, kFault = 6, kOutput = 7
};
uint64_t tag(Kind kind, size_t session = 0) { return (uint64_t(session) << 8) | kind; }

void say(const char *format, ...) __attribute__((format(printf, 1, 2)));
void say(const char *format, ...) {
    char text[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    std::string line = std::string("netdextd: ") + text + "\n";
    (void)!write(STDERR_FILENO, line.data(), line.size());
}

} // namespace

Daemon::Daemon(const DaemonOptions &options) : m_options(options) {}

Daemon::~Daemon() { shutdown(); }

std::unique_ptr<Daemon> Daemon::create(const DaemonOptions &options, std::string &error) {
    std::unique_ptr<Daemon> daemon(new Daemon(options));
    daemon->m_epoll = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    daemon->m_signals = UniqueFd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
    daemon->m_timer = UniqueFd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!daemon->m_epoll.is_valid() || !daemon->m_signals.is_valid() ||
        !daemon->m_timer.is_valid()) {
        error = "creating epoll/signalfd/timerfd failed";
        return nullptr;
    }
    auto watcher = netlink::LinkWatcher::create();
    if (!watcher) {
        error = "rtnetlink: " + watcher.error().describe();
        return nullptr;
    }
    daemon->m_watcher = std::make_unique<netlink::LinkWatcher>(watcher.release_value());
    auto route = netlink::RouteSocket::create();
    if (!route) {
        error = "rtnetlink: " + route.error().describe();
        return nullptr;
    }
    daemon->m_route = std::make_unique<netlink::RouteSocket>(route.release_value());
    struct itimerspec period {};
    period.it_interval.tv_nsec = 200'000'000;
    period.it_value.tv_nsec = 200'000'000;
    timerfd_settime(daemon->m_timer.get(), 0, &period, nullptr);
    daemon->add_fd(daemon->m_signals.get(), tag(kSignals));
    daemon->add_fd(daemon->m_timer.get(), tag(kTimer));
    daemon->add_fd(daemon->m_watcher->fd(), tag(kWatcher));
    for (const std::string &bundle : options.run_bundles)
        if (!daemon->launch(bundle, error))
            return nullptr;
    return daemon;
}

void Daemon::add_fd(int fd, uint64_t data) {
    struct epoll_event event {};
    event.events = EPOLLIN;
    event.data.u64 = data;
    epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event);
}

void Daemon::remove_fd(int fd) {
    if (fd >= 0)
        epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
}

bool Daemon::launch(const std::string &bundle_path, std::string &error) {
    bundle::LoadError load_error;
    auto bundle = bundle::read_bundle(bundle_path, load_error);
    if (!bundle) {
        error = load_error.message;
        return false;
    }
    // DESIGN §6: every dext needs com.apple.developer.driverkit.
    if (!bundle::has_entitlement(*bundle, bundle::kDriverKitEntitlement)) {
        error = bundle_path + ": missing the entitlement " +
                std::string(bundle::kDriverKitEntitlement);
        return false;
    }
    if (bundle->personalities.empty()) {
        error = bundle_path + ": Info.plist has no IOKitPersonalities to match";
        return false;
    }
    SessionOptions options;
    options.bundle_path = bundle->path;
    options.boot_args = m_options.boot_args;
    options.host_binary = m_options.host_binary;
    options.name_pattern = m_options.name_prefix + "%d";
    options.capture_dir = m_options.capture_dir;
    options.sandbox = m_options.sandbox;
    options.dext_logs = m_options.dext_logs;
    options.drop_limit = m_options.drop_limit;
    auto session = DextSession::launch(options, *bundle, *m_watcher, *m_route, error);
    if (!session)
        return false;
    size_t index = m_sessions.size();
    add_fd(session->channel_fd(), tag(kChannel, index));
    add_fd(session->pidfd(), tag(kPidfd, index));
    add_fd(session->fault_fd(), tag(kFault, index));
    add_fd(session->output_fd(), tag(kOutput, index)); // the driver's stdout/stderr pipe
    m_watched_pidfds.push_back(session->pidfd());
    m_sessions.push_back(std::move(session));
    return true;
}

int Daemon::run() {
    write_status();
    bool stopping = false;
    auto stop_deadline = std::chrono::steady_clock::time_point::max();
    for (;;) {
        struct epoll_event events[32];
        int n = epoll_wait(m_epoll.get(), events, 32, 100);
        if (n < 0 && errno != EINTR) {
            say("epoll_wait: %s", strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            uint64_t data = events[i].data.u64;
            Kind kind = Kind(data & 0xff);
            size_t index = size_t(data >> 8);
            DextSession *session = index < m_sessions.size() ? m_sessions[index].get() : nullptr;
            switch (kind) {
            case kSignals: {
                struct signalfd_siginfo info;
                while (read(m_signals.get(), &info, sizeof info) == sizeof info) {
                    if (info.ssi_signo == SIGPIPE)
                        continue;
                    if (!stopping) {
                        say("signal %u: stopping the dexts", info.ssi_signo);
                        stopping = true;
                        stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
                        for (auto &s : m_sessions)
                            s->terminate();
                    }
                }
                break;
            }
            case kTimer: {
                uint64_t ticks;
                (void)!read(m_timer.get(), &ticks, sizeof ticks);
                write_status();
                break;
            }
            case kWatcher: {
                auto drained = m_watcher->drain([&](const netlink::LinkEvent &event) {
                    for (auto &s : m_sessions)
                        s->on_link_event(event);
                });
                if (!drained)
                    say("rtnetlink: %s", drained.error().describe().c_str());
                break;
            }
            case kChannel:
                if (session)
                    session->on_channel_readable();
                break;
            case kPidfd:
                if (session) {
                    session->on_host_exit();
                    if (!session->pidfd_running()) {
                        remove_fd(m_watched_pidfds[index]);
                        m_watched_pidfds[index] = -1;
                    }
                    write_status();
                }
                break;
            case kOutput:
                if (session)
                    session->on_output_readable();
                break;
            case kFault:
                if (session) {
                    session->on_fault();
                    write_status();
                }
                break;
            }
        }
        if (stopping) {
            bool all_done = true;
            for (auto &s : m_sessions)
                all_done = all_done && !s->pidfd_running();
            if (all_done || std::chrono::steady_clock::now() > stop_deadline) {
                shutdown();
                return 0;
            }
        }
    }
}

void Daemon::shutdown() {
    for (auto &session : m_sessions)
        session->kill_host();
    m_sessions.clear(); // stops movers, deletes the TAPs, reaps the hosts
    if (!m_options.status_file.empty())
        std::remove(m_options.status_file.c_str());
}

void Daemon::write_status() {
    if (m_options.status_file.empty())
        return;
    nlohmann::json status;
    status["daemon_pid"] = getpid();
    status["dexts"] = nlohmann::json::array();
    for (auto &session : m_sessions) {
        nlohmann::json dext;
        dext["bundle_id"] = session->bundle_id();
        dext["state"] = session->state_name();
        dext["reason"] = session->state_reason();
        dext["host_pid"] = session->host_pid();
        dext["host_running"] = session->pidfd_running();
        dext["protocol_errors"] = session->protocol_errors();
        dext["misuse"] = session->misuses();
        dext["uid"] = session->host_uid();
        dext["cgroup"] = session->host_cgroup();
        dext["log_lines_dropped"] = session->log_lines_dropped();
        if (NetInterface *iface = session->interface()) {
            nlohmann::json net;
            net["name"] = iface->name();
            net["ifindex"] = iface->ifindex();
            net["carrier"] = session->carrier();
            net["mtu"] = session->driver_mtu();
            net["max_mtu"] = session->max_mtu();
            nlohmann::json queues = nlohmann::json::array();
            for (size_t k = 0; k < 4; ++k)
                queues.push_back(iface->queue_enabled(k));
            net["queues_enabled"] = queues;
            nlohmann::json counters;
            iface->counters().for_each([&](const char *name, uint64_t value) {
                counters[name] = value;
            });
            net["counters"] = counters;
            dext["interface"] = net;
        }
        status["dexts"].push_back(dext);
    }
    std::string text = status.dump(2);
    if (text == m_last_status)
        return;
    m_last_status = text;
    std::string tmp = m_options.status_file + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    (void)!write(fd, text.data(), text.size());
    fsync(fd);
    close(fd);
    rename(tmp.c_str(), m_options.status_file.c_str());
}

} // namespace netdext::daemon
