// Kext versions (CFBundleVersion of a dext) and version comparison.

#include <gtest/gtest.h>

#include "kext_version.h"

using netdext::extensions::compare_versions;
using netdext::extensions::KextVersion;

TEST(KextVersion, AcceptsTheGrammar) {
    for (const char *text : {"1", "1.0", "1.0.0", "65535.99.99", "2.10.3", "1.0d3", "1.0a1",
                             "1.2b12", "1.2fc1", "0", "1.0.1fc255", "007"})
        EXPECT_TRUE(KextVersion::parse(text).has_value()) << text;
}

TEST(KextVersion, RefusesEverythingElse) {
    for (const char *text : {"", "x", "1.x", "1.", ".1", "1..0", "1.0.0.0", "1.100", "1.0.100",
                             "65536", "123456", "1.0b", "1.0fc", "1.0e1", "1.0b256", "1.0b1x",
                             "1.0 ", " 1", "-1", "1.0-beta", "v1"})
        EXPECT_FALSE(KextVersion::parse(text).has_value()) << text;
}

TEST(KextVersion, ParsesTheParts) {
    auto v = KextVersion::parse("12.3.4b5");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->major, 12u);
    EXPECT_EQ(v->minor, 3u);
    EXPECT_EQ(v->revision, 4u);
    EXPECT_EQ(v->stage, KextVersion::Stage::beta);
    EXPECT_EQ(v->level, 5u);
}

TEST(KextVersion, StagesSortBeforeTheRelease) {
    const char *ordered[] = {"1.0d1", "1.0d2", "1.0a1", "1.0b1", "1.0b10", "1.0fc1", "1.0",
                             "1.0.1", "1.1", "1.10", "2"};
    for (size_t i = 0; i + 1 < std::size(ordered); ++i) {
        EXPECT_EQ(compare_versions(ordered[i], ordered[i + 1]), -1) << ordered[i];
        EXPECT_EQ(compare_versions(ordered[i + 1], ordered[i]), 1) << ordered[i];
    }
    EXPECT_EQ(compare_versions("1.0", "1.0.0"), 0);
    EXPECT_EQ(compare_versions("1", "1.0"), 0);
}

TEST(KextVersion, FreeFormVersionsCompareNumbersAsNumbers) {
    EXPECT_EQ(compare_versions("1.10-beta", "1.9-beta"), 1);
    EXPECT_EQ(compare_versions("5.1.5-20", "5.1.5-3"), 1);
    EXPECT_EQ(compare_versions("2.0.0-rc1", "2.0.0-rc1"), 0);
    EXPECT_EQ(compare_versions("1.02x", "1.2x"), 0);
    EXPECT_EQ(compare_versions("1.0-a", "1.0-b"), -1);
    EXPECT_EQ(compare_versions("1.0", "1.0-b"), -1);
}
