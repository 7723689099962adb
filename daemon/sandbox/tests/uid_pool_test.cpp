// UidPool: deterministic per bundle ID, collisions and accounts skipped, leases released.

#include "uid_pool.h"

#include <gtest/gtest.h>

#include <pwd.h>

namespace {

using namespace netdext::sandbox;

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
