// ScopedNetns: created iproute2-compatible, code runs inside it, and it is always removed.
#include "netns/scoped_netns.h"

#include <gtest/gtest.h>

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

extern char **environ;

namespace netdext::testing {
namespace {

bool exists(const std::string &path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

ino_t netns_inode_of_this_thread() {
    struct stat info {};
    EXPECT_EQ(::stat("/proc/thread-self/ns/net", &info), 0);
    return info.st_ino;
}

class ScopedNetnsTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (network namespaces)";
    }
};

TEST_F(ScopedNetnsTest, IsVisibleToIpNetnsAndRemovedByDestructor) {
    std::string path;
    {
        auto netns = ScopedNetns::create();
        ASSERT_FALSE(netns.is_error()) << netns.error().describe();
        path = netns.value().path();
        EXPECT_TRUE(exists(path));
        auto listed = netns.value().sh("ip netns list");
        EXPECT_TRUE(listed.ok()) << listed.output;
        auto links = netns.value().sh("ip -o link show");
        ASSERT_TRUE(links.ok()) << links.output;
        // Only the loopback, and it is up.
        EXPECT_EQ(std::count(links.output.begin(), links.output.end(), '\n'), 1) << links.output;
        EXPECT_NE(links.output.find("lo: <LOOPBACK,UP"), std::string::npos) << links.output;
    }
    EXPECT_FALSE(exists(path));
}

TEST_F(ScopedNetnsTest, RunExecutesOnAThreadInsideOnly) {
    auto netns = ScopedNetns::create();
    ASSERT_FALSE(netns.is_error()) << netns.error().describe();
    ino_t outside = netns_inode_of_this_thread();
    ino_t inside = netns.value().run([] { return netns_inode_of_this_thread(); });
    struct stat pinned {};
    ASSERT_EQ(::stat(netns.value().path().c_str(), &pinned), 0);
    EXPECT_EQ(inside, pinned.st_ino);
    EXPECT_NE(inside, outside);
    EXPECT_EQ(netns_inode_of_this_thread(), outside); // the caller never moved

    ino_t spawned = 0;
    std::thread worker = netns.value().spawn([&] { spawned = netns_inode_of_this_thread(); });
    worker.join();
    EXPECT_EQ(spawned, inside);
}

TEST_F(ScopedNetnsTest, RemovedWhenTheTestBodyFails) {
    std::string path;
    try {
        auto netns = ScopedNetns::create();
        ASSERT_FALSE(netns.is_error()) << netns.error().describe();
        path = netns.value().path();
        netns.value().run([] { throw std::runtime_error("failure inside the namespace"); });
        FAIL() << "run() did not rethrow";
    } catch (const std::runtime_error &) {
    }
    ASSERT_FALSE(path.empty());
    EXPECT_FALSE(exists(path));
}

TEST_F(ScopedNetnsTest, RemovesNamespacesOfDeadProcesses) {
    // A pid that no longer exists: a finished child's.
    pid_t dead = -1;
    char true_command[] = "true";
    char *argv[] = {true_command, nullptr};
    ASSERT_EQ(::posix_spawnp(&dead, "true", nullptr, nullptr, argv, environ), 0);
    ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);

    auto helper = ScopedNetns::create("ndxtstale");
    ASSERT_FALSE(helper.is_error()) << helper.error().describe();
    std::string leftover = "ndxtstale-" + std::to_string(dead) + "-0";
    // `ip netns add` it from a shell inside the helper namespace (any namespace would do).
    auto added = helper.value().sh("ip netns add " + leftover);
    ASSERT_TRUE(added.ok()) << added.output;
    ASSERT_TRUE(exists("/run/netns/" + leftover));
    ScopedNetns::remove_stale("ndxtstale");
    EXPECT_FALSE(exists("/run/netns/" + leftover));
    EXPECT_TRUE(exists(helper.value().path())); // ours: the owner (this process) is alive
}

TEST_F(ScopedNetnsTest, ShReportsExitCodeAndOutput) {
    auto netns = ScopedNetns::create();
    ASSERT_FALSE(netns.is_error()) << netns.error().describe();
    auto result = netns.value().sh("echo out; echo err >&2; exit 3");
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_NE(result.output.find("out"), std::string::npos);
    EXPECT_NE(result.output.find("err"), std::string::npos);
}

} // namespace
} // namespace netdext::testing
