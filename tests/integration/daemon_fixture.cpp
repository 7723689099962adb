#include "daemon_fixture.h"

#include "support/wait_until.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
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

DaemonFixture::DaemonFixture() {
    auto ns = ScopedNetns::create("ndxd");
    if (ns)
        m_netns.emplace(ns.release_value());
    char pattern[] = "/tmp/netdext-daemon-test.XXXXXX";
    if (char *dir = mkdtemp(pattern)) {
        m_dir = dir;
        chmod(m_dir.c_str(), 0755); // the capture files are written by netdextd (root)
    }
    if (m_netns) // exact frame counts: no IPv6 chatter on new interfaces
        (void)m_netns->sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                          "net.ipv6.conf.default.disable_ipv6=1");
}

DaemonFixture::~DaemonFixture() {
    stop();
    if (!m_dir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec);
    }
}

bool DaemonFixture::start(const DaemonRun &run, std::string &error) {
    if (!m_netns || m_dir.empty()) {
        error = "the namespace or the temporary directory could not be created";
        return false;
    }
    // nsenter --net (not `ip netns exec`, which remounts /sys and with it the cgroup v2
    // hierarchy): netdextd sees the system's cgroups and makes the dexts' in one of the test's.
    m_cgroup = "netdext-test-" + m_netns->name();
    std::vector<std::string> args = {"/usr/bin/nsenter", "--net=" + m_netns->path(),
                                     netdextd_path(),    "--run",
                                     run.dext,           "--host",
                                     host_path(),        "--status-file",
                                     m_dir + "/status.json", "--capture",
                                     m_dir,              "--cgroup",
                                     m_cgroup};
    if (!run.boot_args.empty()) {
        args.push_back("--boot-args");
        args.push_back(run.boot_args);
    }
    args.insert(args.end(), run.extra_args.begin(), run.extra_args.end());
    std::vector<char *> argv;
    for (auto &arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::string log_path = m_dir + "/netdextd.log";
    m_pid = fork();
    if (m_pid == 0) {
        int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], argv.data());
        _exit(127);
    }
    if (m_pid < 0) {
        error = std::string("fork: ") + strerror(errno);
        return false;
    }
    if (!run.wait_for_interface) {
        if (!wait_for([&] { return status().contains("dexts"); })) {
            error = "netdextd did not start; its log:\n" + log();
            return false;
        }
        return true;
    }
    // Up means: the dext's interface is registered and Start returned.
    if (!wait_for([&] { return dext().value("state", "") != "starting" && dext().contains("interface"); })) {
        error = "netdextd did not register an interface; its log:\n" + log();
        return false;
    }
    return true;
}

void DaemonFixture::stop() {
    if (m_pid <= 0)
        return;
    kill(m_pid, SIGTERM);
    bool exited = wait_until(
        [&] {
            int status;
            return waitpid(m_pid, &status, WNOHANG) == m_pid;
        },
        std::chrono::seconds(10));
    if (!exited) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
    }
    m_pid = -1;
}

bool DaemonFixture::daemon_alive() {
    if (m_pid <= 0)
        return false;
    int status;
    return waitpid(m_pid, &status, WNOHANG) == 0;
}

nlohmann::json DaemonFixture::status() {
    std::ifstream in(m_dir + "/status.json");
    if (!in)
        return nlohmann::json::object();
    auto parsed = nlohmann::json::parse(in, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json::object() : parsed;
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

bool DaemonFixture::wait_for(const std::function<bool()> &condition,
                             std::chrono::milliseconds deadline) {
    return wait_until(condition, deadline);
}

} // namespace netdext::testing
