// The trust store: adding, listing, removing, expiry, and what it makes of a signature's key.

#include <netdext/codesign/trust_store.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/bundle_fixture.h"

using namespace netdext::codesign;

namespace {

TEST(TrustStore, AddListEvaluateRemove) {
    codesign_fixture::TempBundle temp;
    std::string error;
    const std::string dir = (temp.dir() / "trust").string();
    EXPECT_FALSE(TrustStore::open(dir, false, error)) << "no directory, no create";
    auto store = TrustStore::open(dir, true, error);
    ASSERT_TRUE(store) << error;
    Identity a = codesign_fixture::identity("A123456789");
    Identity a2 = codesign_fixture::identity("A123456789");
    Identity b = codesign_fixture::identity("B987654321");
    const UnixTime now = 1700000000;
    EXPECT_EQ(store->evaluate("A123456789", a.public_identity().public_key, now),
              Trust::untrusted_team);
    ASSERT_TRUE(store->add(a.public_identity(), std::nullopt, error, now)) << error;
    ASSERT_TRUE(store->add(b.public_identity(), now + 100, error, now)) << error;
    EXPECT_EQ(store->evaluate("A123456789", a.public_identity().public_key, now), Trust::trusted);
    EXPECT_EQ(store->evaluate("A123456789", a2.public_identity().public_key, now),
              Trust::wrong_key);
    EXPECT_EQ(store->evaluate("B987654321", b.public_identity().public_key, now + 99),
              Trust::trusted);
    EXPECT_EQ(store->evaluate("B987654321", b.public_identity().public_key, now + 100),
              Trust::expired);
    EXPECT_EQ(store->evaluate("A123456789", b.public_identity().public_key, now),
              Trust::wrong_key)
        << "a key trusted for one team does not speak for another";

    auto keys = store->list();
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0].identity.team_id, "A123456789");
    EXPECT_EQ(keys[0].added, now);
    EXPECT_FALSE(keys[0].expires);
    EXPECT_EQ(keys[1].expires, now + 100);
    EXPECT_EQ(keys[1].identity.name, "Example Corp (B987654321)");

    // Adding the same key again replaces its entry (a new expiry).
    ASSERT_TRUE(store->add(b.public_identity(), now + 1000, error, now));
    EXPECT_EQ(store->list().size(), 2u);
    EXPECT_EQ(store->evaluate("B987654321", b.public_identity().public_key, now + 100),
              Trust::trusted);

    EXPECT_EQ(store->remove("A123456789", "0000000000000000", error), 0u);
    EXPECT_NE(error.find("no trusted key"), std::string::npos);
    EXPECT_EQ(store->remove("A123456789", a.public_identity().fingerprint(), error), 1u);
    EXPECT_EQ(store->remove("B987654321", "", error), 1u);
    EXPECT_TRUE(store->list().empty());
}

TEST(TrustStore, IgnoresWhatItCannotTrust) {
    codesign_fixture::TempBundle temp;
    std::string error;
    auto store = TrustStore::open((temp.dir() / "trust").string(), true, error);
    ASSERT_TRUE(store) << error;
    Identity a = codesign_fixture::identity("A123456789");
    ASSERT_TRUE(store->add(a.public_identity(), std::nullopt, error));
    const std::string good = store->list().at(0).path;
    // A copy under another team's name is not trusted for that team.
    std::filesystem::copy_file(good, store->directory() + "/B987654321." +
                                         a.public_identity().fingerprint() + ".plist");
    { std::ofstream(store->directory() + "/garbage.plist") << "not a plist"; }
    std::vector<std::string> problems;
    EXPECT_EQ(store->list(&problems).size(), 1u);
    EXPECT_EQ(problems.size(), 2u);
    EXPECT_EQ(store->evaluate("B987654321", a.public_identity().public_key, now_unix()),
              Trust::untrusted_team);
}

TEST(TrustStore, Dates) {
    EXPECT_EQ(parse_date("1970-01-01"), 0);
    EXPECT_EQ(parse_date("2024-02-29T12:00:00Z"), 1709208000);
    EXPECT_EQ(format_date(1709208000), "2024-02-29T12:00:00Z");
    for (const char *bad : {"", "2024-02-30", "2023-02-29", "2024-13-01", "24-01-01",
                            "2024-01-01T25:00:00Z", "2024-01-01 00:00:00", "2024-01-01T00:00:00"})
        EXPECT_FALSE(parse_date(bad)) << bad;
}

TEST(Identity, WriteReadAndRefusals) {
    codesign_fixture::TempBundle temp;
    std::string error;
    EXPECT_FALSE(Identity::generate("a123456789", "", error)) << "lower case";
    EXPECT_FALSE(Identity::generate("A12345678", "", error)) << "9 characters";
    EXPECT_TRUE(valid_team_id("A123456789"));
    Identity key = codesign_fixture::identity();
    const std::string path = (temp.dir() / "team.identity").string();
    ASSERT_TRUE(key.write(path, false, error)) << error;
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_FALSE(key.write(path, false, error)) << "no silent replacement";
    auto back = Identity::read(path, error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->public_identity().public_key, key.public_identity().public_key);
    EXPECT_EQ(back->sign("message"), key.sign("message"));
    auto pub = read_public_identity(path + ".pub", error);
    ASSERT_TRUE(pub) << error;
    EXPECT_EQ(pub->team_id, "A123456789");
    EXPECT_EQ(pub->fingerprint(), key.public_identity().fingerprint());
    EXPECT_EQ(pub->fingerprint().size(), 16u);
    EXPECT_FALSE(Identity::read(path + ".pub", error)) << "a public file is no identity";
    EXPECT_NE(error.find("not a netdext signing identity"), std::string::npos) << error;
}

} // namespace
