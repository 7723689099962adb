// The permission policy: anyone reads; root or the admin group changes state; only root approves.

#include <gtest/gtest.h>

#include "policy.h"

using namespace netdext::control_server;

namespace {
Peer user(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
    return Peer{1234, uid, gid, std::move(groups)};
}
} // namespace

TEST(Policy, AnyoneReads) {
    EXPECT_FALSE(Policy::check(user(1000, 1000), Need::anyone, "list", "netdext", 990));
}

TEST(Policy, RootDoesEverything) {
    for (Need need : {Need::anyone, Need::admin, Need::root})
        EXPECT_FALSE(Policy::check(user(0, 0), need, "x", "netdext", std::nullopt));
}

TEST(Policy, TheAdminGroupChangesState) {
    EXPECT_FALSE(Policy::check(user(1000, 1000, {27, 990}), Need::admin, "activate", "netdext", 990));
    EXPECT_FALSE(Policy::check(user(1000, 990), Need::admin, "activate", "netdext", 990));
    auto refusal = Policy::check(user(1000, 1000, {27}), Need::admin, "activate", "netdext", 990);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(*refusal,
              "activate needs root or membership of the group netdext (you are uid 1000, not in "
              "netdext)");
}

TEST(Policy, AMissingGroupIsNamed) {
    auto refusal = Policy::check(user(1000, 1000), Need::admin, "uninstall", "drivers", std::nullopt);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(*refusal, "uninstall needs root or membership of the group drivers, which does not "
                        "exist (you are uid 1000)");
}

TEST(Policy, OnlyRootApproves) {
    auto refusal = Policy::check(user(1000, 990, {990}), Need::root, "approve", "netdext", 990);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(*refusal, "approve needs root: it is the user's Allow in System Settings (you are "
                        "uid 1000)");
}

TEST(Policy, GroupsAreLookedUpByName) {
    Policy policy("root"); // every system has group 0 named root
    EXPECT_FALSE(policy.check(user(1000, 0), Need::admin, "activate"));
    policy.set_admin_group("netdext-no-such-group-here");
    EXPECT_TRUE(policy.check(user(1000, 0), Need::admin, "activate"));
}
