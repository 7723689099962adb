// cgroup v2, as root, in a parent of the test's own: processes go in, cgroup.kill ends them all,
// the directories go away.

#include "cgroup.h"
#include "launcher.h"

#include "wait_until.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace netdext;
using namespace netdext::sandbox;
using netdext::testing::wait_until;

TEST(Cgroup, KillEndsEveryProcessAndTheDirectoriesGo) {
    if (geteuid() != 0 || CgroupParent::find_mount().empty())
        GTEST_SKIP() << "needs root and a cgroup v2 mount";
    std::string name = "/netdext-cgroup-test-" + std::to_string(getpid());
    auto parent = CgroupParent::open(name);
    ASSERT_TRUE(parent) << parent.error().describe();
    std::string parent_dir = parent.value()->directory();
    auto cgroup = parent.value()->create("com.example/odd name", SandboxLimits{});
    ASSERT_TRUE(cgroup) << cgroup.error().describe();
    std::string dir = cgroup.value()->directory();
    EXPECT_EQ(dir, parent_dir + "/com.example_odd_name");

    int pair[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    LaunchPlan plan;
    plan.executable = "/bin/sh";
    plan.argv = {"/bin/sh", "-c", "sleep 100 & sleep 100"};
    plan.control_fd = pair[1];
    plan.sandbox = false;
    plan.cgroup_fd = cgroup.value()->fd();
    auto launched = launch(plan);
    ASSERT_TRUE(launched) << launched.error().describe();
    EXPECT_TRUE(launched.value().in_cgroup);
    EXPECT_TRUE(wait_until([&] { return cgroup.value()->processes().size() >= 3; },
                           std::chrono::seconds(5)))
        << "sh and its two sleeps";
    ASSERT_TRUE(cgroup.value()->kill());
    int status = 0;
    ASSERT_EQ(waitpid(launched.value().pid, &status, 0), launched.value().pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_TRUE(wait_until([&] { return cgroup.value()->processes().empty(); },
                           std::chrono::seconds(5)));
    cgroup.value().reset();
    EXPECT_NE(access(dir.c_str(), F_OK), 0);
    parent.value().reset();
    EXPECT_NE(access(parent_dir.c_str(), F_OK), 0);
    close(pair[0]);
    close(pair[1]);
}

TEST(Cgroup, NamesAreSafeDirectoryNames) {
    EXPECT_EQ(cgroup_name("com.example.Nic"), "com.example.Nic");
    EXPECT_EQ(cgroup_name("../../etc"), "_._.._etc"); // no "..", no "/"
    EXPECT_EQ(cgroup_name(""), "unnamed");
}

} // namespace
