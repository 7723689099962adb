// The launcher and the filesystem view, as root: a probe started through them reports its
// confinement; what it forks dies with it and with its parent.

#include "launcher.h"

#include "driver_output.h"
#include "uid_pool.h"

#include "process_list.h"
#include "wait_until.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace {

using namespace netdext;
using namespace netdext::sandbox;
using netdext::testing::wait_until;

std::vector<pid_t> processes_of(uid_t uid) { return netdext::testing::processes_of_uid(uid); }

class Launcher : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0)
            GTEST_SKIP() << "needs root";
        char pattern[] = "/tmp/netdext-launcher-test.XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        m_bundle = pattern;
        std::ofstream(m_bundle + "/Info.plist") << "<plist/>";
        chmod(m_bundle.c_str(), 0755);
        m_pool = UidPool::create(kDefaultFirstUid, kDefaultLastUid).release_value();
    }
    void TearDown() override {
        std::error_code ec;
        if (!m_bundle.empty())
            std::filesystem::remove_all(m_bundle, ec);
    }

    // Starts the probe sandboxed; `m_output` receives its lines.
    Launched start(const std::vector<std::string> &args) {
        auto lease = m_pool->lease("com.example.netdext.probe");
        EXPECT_TRUE(lease);
        m_lease = lease.release_value();
        ViewRequest request;
        request.host_binary = SANDBOX_PROBE;
        request.bundle_path = m_bundle;
        request.executables = {SANDBOX_PROBE};
        request.uid = m_lease.uid();
        request.gid = m_lease.gid();
        auto view = FilesystemView::plan(request);
        EXPECT_TRUE(view) << view.error().describe();
        m_view.emplace(view.release_value());
        int pair[2];
        EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
        m_control_daemon = UniqueFd(pair[0]);
        UniqueFd control_host(pair[1]);
        auto pipe = DriverOutput::create();
        EXPECT_TRUE(pipe);
        m_output.emplace(std::move(pipe.value().first));
        UniqueFd write_end = std::move(pipe.value().second);
        LaunchPlan plan;
        plan.executable = SANDBOX_PROBE;
        plan.argv = {SANDBOX_PROBE};
        plan.argv.insert(plan.argv.end(), args.begin(), args.end());
        setenv("NETDEXT_TEST_SECRET", "hunter2", 1);
        plan.env = host_environment();
        plan.control_fd = control_host.get();
        plan.output_fd = write_end.get();
        plan.uid = m_lease.uid();
        plan.gid = m_lease.gid();
        plan.view = &*m_view;
        auto launched = launch(plan);
        EXPECT_TRUE(launched) << launched.error().describe();
        return launched ? launched.release_value() : Launched{};
    }

    // key=value lines until end of file.
    std::map<std::string, std::string> report() {
        std::map<std::string, std::string> values;
        wait_until(
            [&] {
                m_output->drain([&](const std::string &line) {
                    m_lines += line + "\n";
                    size_t eq = line.find('=');
                    if (eq != std::string::npos)
                        values[line.substr(0, eq)] = line.substr(eq + 1);
                });
                return !m_output->open();
            },
            std::chrono::seconds(10));
        return values;
    }

    std::string m_bundle;
    std::shared_ptr<UidPool> m_pool;
    UidLease m_lease;
    std::optional<FilesystemView> m_view;
    UniqueFd m_control_daemon;
    std::optional<DriverOutput> m_output;
    std::string m_lines;
};

TEST_F(Launcher, TheProbeIsConfined) {
    Launched probe = start({});
    ASSERT_GT(probe.pid, 0);
    auto values = report();
    int status = 0;
    ASSERT_EQ(waitpid(probe.pid, &status, 0), probe.pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << m_lines;
    EXPECT_EQ(values["pid"], "1") << "PID 1 of its own namespace";
    std::string uid = std::to_string(m_lease.uid());
    EXPECT_EQ(values["uid"], uid + " gid=" + uid + " euid=" + uid + " groups=0");
    for (const char *caps : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
        EXPECT_EQ(values[caps], "0000000000000000") << caps;
    EXPECT_EQ(values["NoNewPrivs"], "1");
    EXPECT_EQ(values["SigBlk"], "0000000000000000");
    EXPECT_EQ(values["SigIgn"], "0000000000000000");
    EXPECT_EQ(values["fds"], "0,1,2,3");
    EXPECT_EQ(values["env"].find("NETDEXT_TEST_SECRET"), std::string::npos) << values["env"];
    EXPECT_EQ(values["hostname"], "netdext");
    for (const char *path : {"/etc/passwd", "/bin/sh", "/usr/bin", "/home", "/dev/shm",
                             "/proc/sys/kernel/hostname"})
        EXPECT_EQ(values[std::string("exists ") + path], "no") << path << "\n" << m_lines;
    EXPECT_EQ(values["tmp_writable"], "yes");
    EXPECT_EQ(values["root_writable"], "no");
    EXPECT_EQ(values["self_readable"], "yes");
    EXPECT_NE(access("/tmp/probe", F_OK), 0) << "its /tmp is its own";
}

TEST_F(Launcher, WhatItForksDiesWithIt) {
    Launched probe = start({"fork"});
    ASSERT_GT(probe.pid, 0);
    auto values = report(); // end of file: the probe and its child have both closed the pipe
    EXPECT_EQ(values["forked"], "2") << m_lines;
    int status = 0;
    ASSERT_EQ(waitpid(probe.pid, &status, 0), probe.pid);
    EXPECT_TRUE(wait_until([&] { return processes_of(m_lease.uid()).empty(); },
                           std::chrono::seconds(5)));
}

TEST_F(Launcher, EverythingDiesWithTheDaemon) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    pid_t daemon = fork(); // plays netdextd: launches the probe, then is killed
    if (daemon == 0) {
        close(ready[0]);
        Launched probe = start({"fork", "wait"});
        bool forked = false;
        wait_until([&] {
            m_output->drain([&](const std::string &line) { forked |= line.rfind("forked=", 0) == 0; });
            return forked;
        }, std::chrono::seconds(10));
        (void)!write(ready[1], forked ? "r" : "f", 1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char byte;
    ASSERT_EQ(read(ready[0], &byte, 1), 1);
    ASSERT_EQ(byte, 'r') << "the probe did not fork";
    close(ready[0]);
    uid_t uid = m_pool->preferred_uid("com.example.netdext.probe");
    EXPECT_EQ(processes_of(uid).size(), 2u) << "the probe and its child run";
    kill(daemon, SIGKILL);
    waitpid(daemon, nullptr, 0);
    EXPECT_TRUE(wait_until([&] { return processes_of(uid).empty(); }, std::chrono::seconds(5)))
        << "PR_SET_PDEATHSIG ends the probe, its PID namespace ends the child";
}

} // namespace
