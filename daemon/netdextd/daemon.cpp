// netdextd's start-up, main loop, signals and shutdown (see daemon.h). Drivers are in
// drivers.cpp, control requests in requests.cpp.

#include "daemon.h"

#include "daemon_log.h"
#include "device_state.h"
#include "tap/tap_device.h"

#include <systemd/sd-daemon.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace netdext::daemon {

using daemon_log::Level;
using daemon_log::say;

namespace {

enum Kind : uint64_t {
    kSignals = 1, kWatcher = 2, kControl = 3, kApps = 4, // daemon-wide
    kChannel = 5, kPidfd = 6, kFault = 7, kOutput = 8,   // per session (serial << 8)
    kRegistryTimer = 13,                                 // ioreg_requests.cpp
    kDeviceProbe = 11, kDeviceReserved = 12,             // simulated devices (devices.cpp)
};

// The state directory must be ours alone: root's files are written there.
bool prepare_state_dir(const std::string &dir, std::string &error) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        error = "--state-dir " + dir + ": not a directory";
        return false;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
        error = "--state-dir " + dir + ": must belong to uid " + std::to_string(geteuid()) +
                " and not be writable by group or others";
        return false;
    }
    return true;
}

// One daemon per state directory: an flock on <dir>/netdextd.lock, holding our pid.
UniqueFd lock_state_dir(const std::string &dir, std::string &error) {
    const std::string path = dir + "/netdextd.lock";
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd.is_valid()) {
        error = path + ": " + std::strerror(errno);
        return UniqueFd();
    }
    if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        char text[32] = {};
        ssize_t n = pread(fd.get(), text, sizeof text - 1, 0);
        std::string pid = n > 0 ? std::string(text, size_t(n)) : "?";
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
            pid.pop_back();
        error = "another netdextd (pid " + pid + ") is using the state directory " + dir;
        return UniqueFd();
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd.get(), 0) != 0 || pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
        error = path + ": " + std::strerror(errno);
        return UniqueFd();
    }
    return fd;
}

} // namespace

std::unique_ptr<Daemon> Daemon::create(const DaemonOptions &options, std::string &error) {
    std::unique_ptr<Daemon> daemon(new Daemon(options));
    if (!daemon->start(error))
        return nullptr;
    return daemon;
}

bool Daemon::start(std::string &error) {
    // 1. Everything that can be checked before anything starts.
    if (auto r = tap::TapDevice::validate_name_pattern(m_options.name_prefix + "%d"); !r) {
        error = "--prefix " + m_options.name_prefix + ": not a usable interface name prefix";
        return false;
    }
    if (!m_options.capture_dir.empty() &&
        !FrameCapture::check_directory(m_options.capture_dir, error))
        return false;
    if (m_options.state_dir.empty() && m_options.run_bundles.empty()) {
        error = "nothing to do: give --state-dir (the default is /var/lib/netdext) or --run";
        return false;
    }
    if (!m_options.state_dir.empty()) {
        if (!prepare_state_dir(m_options.state_dir, error))
            return false;
        m_lock = lock_state_dir(m_options.state_dir, error);
        if (!m_lock.is_valid())
            return false;
        m_extensions = extensions::ExtensionSet::open(m_options.state_dir, error);
        if (!m_extensions)
            return false;
        m_apps = extensions::AppWatcher::create(error);
        if (!m_apps)
            return false;
    }
    if (!open_trust(error))
        return false;
    std::vector<std::string> run_identifiers;
    for (const std::string &path : m_options.run_bundles) {
        std::vector<std::string> warnings;
        auto checked = extensions::validate_for_run(path, warnings, m_run_verifier.get());
        if (auto *failure = std::get_if<extensions::RequestError>(&checked)) {
            error = failure->reason.starts_with(path) ? failure->reason
                                                      : path + ": " + failure->reason;
            return false;
        }
        for (const std::string &warning : warnings)
            say(Level::warning, "", "", "%s: %s", path.c_str(), warning.c_str());
        run_identifiers.push_back(std::get<extensions::Candidate>(checked).bundle.bundle_id);
    }

    // 2. The kernel interfaces.
    m_epoll = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE})
        sigaddset(&mask, sig);
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    m_signals = UniqueFd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!m_epoll.is_valid() || !m_signals.is_valid()) {
        error = "creating epoll/signalfd failed";
        return false;
    }
    auto watcher = netlink::LinkWatcher::create();
    if (!watcher) {
        error = "rtnetlink: " + watcher.error().describe();
        return false;
    }
    m_watcher = std::make_unique<netlink::LinkWatcher>(watcher.release_value());
    auto route = netlink::RouteSocket::create();
    if (!route) {
        error = "rtnetlink: " + route.error().describe();
        return false;
    }
    m_route = std::make_unique<netlink::RouteSocket>(route.release_value());
    m_control = control_server::ControlServer::create(m_options.socket_path, error);
    if (!m_control)
        return false;
    m_control->policy().set_admin_group(m_options.admin_group);
    register_requests();
    register_trust_requests();
    register_ioreg_requests();
    m_registry_timer = UniqueFd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!m_registry_timer.is_valid()) {
        error = std::string("timerfd_create: ") + std::strerror(errno);
        return false;
    }
    add_fd(m_registry_timer.get(), kRegistryTimer);
    register_device_requests();
    add_fd(m_signals.get(), kSignals);
    add_fd(m_watcher->fd(), kWatcher);
    add_fd(m_control->fd(), kControl);

    // 3. What was installed, as it was left.
    if (m_extensions) {
        for (const std::string &line : m_extensions->recover())
            say(Level::notice, "", "", "recovery: %s", line.c_str());
        add_fd(m_apps->fd(), kApps);
        for (const extensions::ExtensionRecord &record : m_extensions->db().extensions)
            if (record.state == extensions::State::enabled)
                start_driver(add_driver(record.unique_id, record.identifier,
                                        m_extensions->bundle_path(record), false,
                                        record.interface));
        apps_changed();
        check_apps();
    }
    for (size_t i = 0; i < m_options.run_bundles.size(); ++i) {
        const std::string key = "run-" + std::to_string(i + 1);
        m_run_keys.push_back(key);
        Driver &driver = add_driver(key, run_identifiers[i], m_options.run_bundles[i], true, "");
        driver.boot_args = m_options.boot_args;
        start_driver(driver);
    }
    say(Level::notice, "", "", "serving %s%s%s", m_options.socket_path.c_str(),
        m_options.state_dir.empty() ? "" : ", extensions in ", m_options.state_dir.c_str());
    notify_systemd("READY=1\nSTATUS=" + std::to_string(m_drivers.size()) + " driver(s)");
    return true;
}

Daemon::~Daemon() {
    daemon_log::log().set_listener(nullptr); // it sends to this daemon's log followers
    for (auto &[key, driver] : m_drivers)
        if (driver.session)
            driver.session->kill_host();
    m_drivers.clear(); // stops the movers, closes the TAPs, reaps the hosts
    m_control.reset();  // removes the socket file
}

void Daemon::add_fd(int fd, uint64_t tag) {
    struct epoll_event event {};
    event.events = EPOLLIN;
    event.data.u64 = tag;
    epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event);
}

void Daemon::remove_fd(int fd) {
    if (fd >= 0)
        epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void Daemon::notify_systemd(const std::string &state) {
    // A no-op unless systemd started us with NOTIFY_SOCKET (Type=notify).
    (void)sd_notify(0, state.c_str());
}

int Daemon::run() {
    for (;;) {
        int timeout = -1;
        auto now = std::chrono::steady_clock::now();
        auto soonest = std::chrono::steady_clock::time_point::max();
        for (const auto &[key, driver] : m_drivers)
            if (driver.stopping)
                soonest = std::min(soonest, driver.kill_at);
        if (m_stopping)
            soonest = std::min(soonest, m_shutdown_deadline);
        soonest = std::min(soonest, next_supervision_deadline());
        soonest = std::min(soonest, device_deadline());
        if (m_apps)
            if (auto check = m_apps->next_check())
                soonest = std::min(soonest, *check);
        if (soonest != std::chrono::steady_clock::time_point::max())
            timeout = int(std::clamp<int64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(soonest - now).count() + 1,
                0, 1000));
        struct epoll_event events[32];
        int n = epoll_wait(m_epoll.get(), events, 32, timeout);
        if (n < 0 && errno != EINTR) {
            say(Level::error, "", "", "epoll_wait: %s", std::strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            const uint64_t tag = events[i].data.u64;
            switch (tag & 0xff) {
            case kSignals: {
                struct signalfd_siginfo info;
                while (read(m_signals.get(), &info, sizeof info) == sizeof info) {
                    if (info.ssi_signo == SIGHUP)
                        reload();
                    else if (info.ssi_signo != SIGPIPE)
                        begin_shutdown(strsignal(int(info.ssi_signo)));
                }
                break;
            }
            case kWatcher: {
                auto drained = m_watcher->drain([&](const netlink::LinkEvent &event) {
                    for (auto &[key, driver] : m_drivers)
                        if (driver.session)
                            driver.session->on_link_event(event);
                });
                if (!drained)
                    say(Level::warning, "", "", "rtnetlink: %s",
                        drained.error().describe().c_str());
                break;
            }
            case kControl:
                m_control->drain();
                break;
            case kApps:
                m_apps->drain(std::chrono::steady_clock::now());
                break;
            case kRegistryTimer:
                on_registry_timer();
                break;
            case kDeviceProbe:
            case kDeviceReserved:
                on_device_event(tag >> 8, tag & 0xff);
                break;
            default:
                on_session_event(tag >> 8, tag & 0xff);
                break;
            }
        }
        check_deadlines();
        check_device_deadlines();
        if (m_apps)
            check_apps();
        if (m_stopping) {
            bool all_done = true;
            for (const auto &[key, driver] : m_drivers)
                all_done = all_done && !(driver.session && driver.session->pidfd_running());
            if (all_done || std::chrono::steady_clock::now() >= m_shutdown_deadline)
                break;
        }
    }
    // Every --run driver failed (never ran, crashed, Start failed, stopped): CI relies on this.
    bool any_run = !m_run_keys.empty(), all_failed = true;
    for (const std::string &key : m_run_keys) {
        auto it = m_drivers.find(key);
        const DextSession *s = it == m_drivers.end() ? nullptr : it->second.session.get();
        const bool failed = s == nullptr || s->state() == DextSession::State::crashed ||
                            s->state() == DextSession::State::stopped_for_misbehaviour ||
                            !s->started();
        all_failed = all_failed && failed;
    }
    for (auto &[key, driver] : m_drivers)
        if (driver.session)
            driver.session->kill_host();
    m_drivers.clear();
    say(Level::notice, "", "", "stopped");
    return any_run && all_failed ? 1 : 0;
}

void Daemon::begin_shutdown(const char *why) {
    if (m_stopping)
        return;
    say(Level::notice, "", "", "%s: stopping the drivers", why);
    notify_systemd("STOPPING=1");
    m_stopping = true;
    m_shutdown_deadline = std::chrono::steady_clock::now() + m_options.shutdown_grace;
    for (auto &[key, driver] : m_drivers)
        if (driver.session)
            driver.session->terminate();
}

void Daemon::reload() {
    notify_systemd("RELOADING=1");
    if (!m_reload) {
        notify_systemd("READY=1");
        return;
    }
    std::string error;
    auto fresh = m_reload(error);
    if (!fresh) {
        say(Level::error, "", "", "reload: %s; keeping the running configuration", error.c_str());
        notify_systemd("READY=1");
        return;
    }
    const DaemonOptions &n = *fresh;
    if (n.socket_path != m_options.socket_path || n.state_dir != m_options.state_dir ||
        n.name_prefix != m_options.name_prefix || n.capture_dir != m_options.capture_dir ||
        n.host_binary != m_options.host_binary ||
        n.sandbox.enabled != m_options.sandbox.enabled ||
        n.sandbox.seccomp != m_options.sandbox.seccomp ||
        n.sandbox.seccomp_report != m_options.sandbox.seccomp_report)
        say(Level::warning, "", "", "reload: the socket, state directory, prefix, capture "
                                    "directory, host and sandbox change only at a restart");
    m_options.admin_group = n.admin_group;
    m_options.dext_logs = n.dext_logs;
    m_options.drop_limit = n.drop_limit;
    m_options.supervision = n.supervision;
    for (auto &[key, driver] : m_drivers)
        driver.supervisor.set_settings(m_options.supervision.for_extension(driver.identifier));
    m_options.applications_dir = n.applications_dir;
    m_control->policy().set_admin_group(n.admin_group);
    say(Level::notice, "", "", "reloaded: admin group %s, drop limit %llu, dext logs %s, "
        "applications directory %s, %s", n.admin_group.c_str(), (unsigned long long)n.drop_limit,
        n.dext_logs ? "on" : "off", n.applications_dir.c_str(),
        supervision::describe(n.supervision.defaults).c_str());
    notify_systemd("READY=1");
}

} // namespace netdext::daemon
