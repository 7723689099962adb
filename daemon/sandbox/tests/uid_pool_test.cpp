// UidPool: deterministic per bundle ID, collisions and accounts skipped, leases released.

#include "uid_pool.h"

#include <gtest/gtest.h>

#include <pwd.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>

namespace {

using namespace netdext::sandbox;

uid_t pool_uid_other_than(uid_t uid) { return uid == 200000 ? 200001 : 200000; }

TEST(UidPool, SameBundleSameUidWhileFree) {
    auto pool = UidPool::create(kDefaultFirstUid, kDefaultLastUid).release_value();
    uid_t first;
    {
        auto lease = pool->lease("com.example.A");
        ASSERT_TRUE(lease);
        first = lease.value().uid();
        EXPECT_EQ(first, pool->preferred_uid("com.example.A"));
        EXPECT_EQ(lease.value().gid(), gid_t(first));
        EXPECT_EQ(pool->leased(), 1u);
    }
    EXPECT_EQ(pool->leased(), 0u);
    EXPECT_EQ(pool->lease("com.example.A").value().uid(), first);
}

TEST(UidPool, TwoRunningExtensionsNeverShareAUid) {
    auto pool = UidPool::create(200000, 200001).release_value();
    auto a = pool->lease("com.example.A");
    auto b = pool->lease("com.example.A"); // the same bundle twice still gets two uids
    ASSERT_TRUE(a && b);
    EXPECT_NE(a.value().uid(), b.value().uid());
    auto c = pool->lease("com.example.C");
    EXPECT_FALSE(c) << "a range of two holds two leases";
}

TEST(UidPool, TwoDaemonsSharingALockDirectoryNeverShareAUid) {
    char pattern[] = "/tmp/netdext-uid-locks.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    const std::string dir = std::string(pattern) + "/uids";
    auto first_daemon = UidPool::create(200000, 200001, dir).release_value();
    auto second_daemon = UidPool::create(200000, 200001, dir).release_value();
    std::optional<UidLease> a(first_daemon->lease("com.example.A").release_value());
    auto b = second_daemon->lease("com.example.A"); // the same bundle in another daemon
    ASSERT_TRUE(b);
    EXPECT_NE(a->uid(), b.value().uid());
    EXPECT_FALSE(second_daemon->lease("com.example.C")) << "both uids are held";
    a.reset(); // the first daemon's extension stops: its uid is free for the second daemon
    auto c = second_daemon->lease("com.example.C");
    ASSERT_TRUE(c);
    EXPECT_EQ(c.value().uid(), pool_uid_other_than(b.value().uid()));
    std::filesystem::remove_all(pattern);
}

TEST(UidPool, SkipsUidsOfAccounts) {
    // uid 0..2 belong to root, daemon, bin on Debian: a range over them yields none of those
    // that exist in the user database.
    auto pool = UidPool::create(1, 3).release_value();
    for (int i = 0; i < 3; ++i) {
        auto lease = pool->lease("com.example." + std::to_string(i));
        if (!lease)
            break;
        EXPECT_EQ(getpwuid(lease.value().uid()), nullptr) << lease.value().uid();
    }
}

TEST(UidPool, ParsesRanges) {
    EXPECT_TRUE(UidPool::parse("131072-196607"));
    EXPECT_FALSE(UidPool::parse("0-10"));
    EXPECT_FALSE(UidPool::parse("10-5"));
    EXPECT_FALSE(UidPool::parse("10"));
    EXPECT_FALSE(UidPool::parse("a-b"));
    EXPECT_FALSE(UidPool::parse("1-4294967295"));
}

} // namespace
