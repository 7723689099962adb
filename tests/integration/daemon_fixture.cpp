#include "daemon_fixture.h"

#include "support/wait_until.h"

#include <netdext/control/client.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace netdext::testing {

std::string netdextd_path() { return NETDEXT_NETDEXTD_PATH; }
std::string host_path() { return NETDEXT_HOST_PATH; }
std::string netdextctl_path() { return NETDEXT_NETDEXTCTL_PATH; }

DaemonFixture::DaemonFixture() {
    auto ns = ScopedNetns::create("ndxd");
    if (ns)
        m_netns.emplace(ns.release_value());
    char pattern[] = "/tmp/netdext-daemon-test.XXXXXX";
    if (char *dir = mkdtemp(pattern)) {
        m_dir = dir;
        chmod(m_dir.c_str(), 0755); // the capture files are written by netdextd (root)
        // An empty configuration: the host's /etc/netdext/netdextd.conf must not matter here.
        std::ofstream(m_dir + "/netdextd.conf").flush();
    }
    if (m_netns) // exact frame counts: no IPv6 chatter on new interfaces
        (void)m_netns->sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                          "net.ipv6.conf.default.disable_ipv6=1");
}

namespace {

// The directory of cgroup `name` below this process's own cgroup in the cgroup v2 hierarchy (where
// netdextd, started by this process, makes its --cgroup parent), or "" without cgroup v2.
std::string cgroup_dir_of(const std::string &name) {
    std::string mount, own;
    std::ifstream mountinfo("/proc/self/mountinfo");
    for (std::string line; mount.empty() && std::getline(mountinfo, line);) {
        const size_t dash = line.find(" - cgroup2 ");
        if (dash == std::string::npos)
            continue;
        std::istringstream fields(line.substr(0, dash));
        std::string id, parent, device, root, point;
        if (fields >> id >> parent >> device >> root >> point && root == "/")
            mount = point;
    }
    std::ifstream cgroup("/proc/self/cgroup");
    for (std::string line; std::getline(cgroup, line);)
        if (line.rfind("0::", 0) == 0)
            own = line.substr(3);
    if (mount.empty() || own.empty())
        return {};
    return mount + (own == "/" ? std::string() : own) + "/" + name;
}

} // namespace

DaemonFixture::~DaemonFixture() {
    stop();
    // A netdextd that was killed (the crash-point tests) leaves its cgroup parent behind, and one
    // restarted on it does not remove what it did not make: the test made it, the test removes it
    // (empty by now: the dexts died with their daemon).
    if (!m_cgroup.empty())
        if (const std::string dir = cgroup_dir_of(m_cgroup); !dir.empty()) {
            std::error_code ec;
            for (const auto &entry : std::filesystem::directory_iterator(dir, ec))
                if (entry.is_directory(ec))
                    ::rmdir(entry.path().c_str());
            ::rmdir(dir.c_str());
        }
    if (!m_dir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec);
    }
}

bool DaemonFixture::spawn(const std::vector<std::string> &daemon_args,
                          const std::vector<std::string> &environment, std::string &error) {
    if (!m_netns || m_dir.empty()) {
        error = "the namespace or the temporary directory could not be created";
        return false;
    }
    if (m_pid > 0) {
        error = "a netdextd of this fixture is still running";
        return false;
    }
    // nsenter --net (not `ip netns exec`, which remounts /sys and with it the cgroup v2
    // hierarchy): netdextd sees the system's cgroups and makes the dexts' in one of the test's.
    m_cgroup = "netdext-test-" + m_netns->name();
    std::vector<std::string> args = {"/usr/bin/nsenter", "--net=" + m_netns->path(),
                                     netdextd_path(), "--host", host_path(),
                                     "--socket", socket_path(), "--log", "stderr",
                                     "--config", m_dir + "/netdextd.conf",
                                     "--cgroup", m_cgroup};
    args.insert(args.end(), daemon_args.begin(), daemon_args.end());
    std::vector<char *> argv;
    for (auto &arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::string log_path = m_dir + "/netdextd.log";
    m_exit_status.reset();
    const pid_t test = getpid();
    m_pid = fork();
    if (m_pid == 0) {
        // A test process that dies without its destructors (an ASan report, a crash) takes the
        // daemon with it, and the daemon its drivers, cgroups and TAPs.
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != test)
            _exit(127);
        int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        for (const std::string &variable : environment)
            putenv(const_cast<char *>(variable.c_str()));
        execv(argv[0], argv.data());
        _exit(127);
    }
    if (m_pid < 0) {
        error = std::string("fork: ") + strerror(errno);
        return false;
    }
    return true;
}

bool DaemonFixture::start(const DaemonRun &run, std::string &error) {
    std::vector<std::string> args = {"--run", run.dext};
    if (run.capture) {
        args.push_back("--capture");
        args.push_back(m_dir);
    }
    if (!run.boot_args.empty()) {
        args.push_back("--boot-args");
        args.push_back(run.boot_args);
    }
    args.insert(args.end(), run.extra_args.begin(), run.extra_args.end());
    if (!spawn(args, {}, error))
        return false;
    if (!run.wait_for_interface) {
        if (wait_for([&] { return request({{"request", "version"}}).value("event", "") == "result"; }))
            return true;
        error = "netdextd did not come up; its log:\n" + log();
        return false;
    }
    // Up means: the dext's interface is registered and Start returned.
    if (!wait_for([&] {
            nlohmann::json d = dext();
            return d.value("state", "") != "starting" && d.contains("interface");
        })) {
        error = "netdextd did not register an interface; its log:\n" + log();
        return false;
    }
    return true;
}

bool DaemonFixture::start_service(std::string &error, const std::vector<std::string> &extra_args,
                                  const std::vector<std::string> &environment) {
    std::vector<std::string> args = {"--state-dir", state_dir()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    if (!spawn(args, environment, error))
        return false;
    if (!wait_for([&] { return request({{"request", "version"}}).value("event", "") == "result" ||
                               !daemon_alive(); }) ||
        !daemon_alive()) {
        error = "netdextd did not come up; its log:\n" + log();
        return false;
    }
    return true;
}

void DaemonFixture::stop() {
    if (m_pid <= 0)
        return;
    kill(m_pid, SIGTERM);
    if (!wait_exit(std::chrono::seconds(10))) {
        kill(m_pid, SIGKILL);
        int status = 0;
        waitpid(m_pid, &status, 0);
        m_exit_status = status;
        m_pid = -1;
    }
}

std::optional<int> DaemonFixture::wait_exit(std::chrono::milliseconds deadline) {
    if (m_pid <= 0)
        return m_exit_status;
    int status = 0;
    bool exited = wait_until([&] { return waitpid(m_pid, &status, WNOHANG) == m_pid; }, deadline);
    if (!exited)
        return std::nullopt;
    m_pid = -1;
    m_exit_status = status;
    return status;
}

bool DaemonFixture::daemon_alive() {
    if (m_pid <= 0)
        return false;
    int status;
    if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        m_exit_status = status;
        return false;
    }
    return true;
}

nlohmann::json DaemonFixture::request(const nlohmann::json &message,
                                      std::chrono::milliseconds deadline) {
    std::string error;
    auto client = control::Client::connect(socket_path(), error);
    if (!client)
        return nlohmann::json::object();
    auto answer = client->call(message, error, {}, deadline);
    return answer.value_or(nlohmann::json::object());
}

nlohmann::json DaemonFixture::status() {
    nlohmann::json answer = request({{"request", "status"}});
    if (answer.value("event", "") != "result")
        return nlohmann::json::object();
    answer.erase("event");
    answer.erase("final");
    answer.erase("id");
    answer.erase("protocol");
    return answer;
}

nlohmann::json DaemonFixture::dext() {
    nlohmann::json s = status();
    if (!s.contains("dexts") || s["dexts"].empty())
        return nlohmann::json::object();
    return s["dexts"][0];
}

uint64_t DaemonFixture::counter(const std::string &name) {
    nlohmann::json d = dext();
    if (!d.contains("interface"))
        return 0;
    return d["interface"]["counters"].value(name, uint64_t(0));
}

std::string DaemonFixture::log() {
    std::ifstream in(m_dir + "/netdextd.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

ScopedNetns::CommandResult DaemonFixture::sh(const std::string &command) const {
    return m_netns->sh(command);
}

ScopedNetns::CommandResult DaemonFixture::ctl(const std::string &arguments) const {
    return m_netns->sh(netdextctl_path() + " --socket " + socket_path() + " " + arguments);
}

bool DaemonFixture::wait_for(const std::function<bool()> &condition,
                             std::chrono::milliseconds deadline) {
    return wait_until(condition, deadline);
}

} // namespace netdext::testing
