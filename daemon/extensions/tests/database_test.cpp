// The database file: round trip, atomic replacement, and refusal of damaged files.

#include <gtest/gtest.h>

#include "atomic_file.h"
#include "database.h"
#include "temp_dir.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace netdext::extensions;

namespace {

struct TempState : public ::testing::Test {
    netdext::testing::TempDir temp{"netdext-db"};
    fs::path dir = temp.path();
    void write(const std::string &text) { std::ofstream(dir / kDatabaseFile) << text; }
    std::string load_error() {
        std::string error;
        EXPECT_FALSE(Database::load(dir.string(), error));
        return error;
    }
};

ExtensionRecord record(const std::string &id, const std::string &unique_id) {
    ExtensionRecord r;
    r.identifier = id;
    r.unique_id = unique_id;
    r.version = "3";
    r.short_version = "1.2";
    r.name = "Name";
    r.state = State::enabled;
    r.origin_path = "/src/" + id + ".dext";
    r.app_path = "/opt/Apps/X.app";
    r.interface = "en4";
    r.boot_args = "a=1";
    r.activated_at = 1700000000;
    return r;
}

} // namespace

TEST_F(TempState, AnAbsentFileIsAnEmptyDatabase) {
    std::string error;
    auto db = Database::load(dir.string(), error);
    ASSERT_TRUE(db) << error;
    EXPECT_TRUE(db->extensions.empty());
    EXPECT_FALSE(db->developer_mode);
}

TEST_F(TempState, RoundTrip) {
    Database db;
    db.developer_mode = true;
    db.boot_args = "ndks-debug=1";
    db.extensions.push_back(record("com.example.A", "00000000-0000-4000-8000-000000000001"));
    db.extensions.push_back(record("com.example.B", "00000000-0000-4000-8000-000000000002"));
    db.extensions[1].state = State::waiting_for_user;
    std::string error;
    ASSERT_TRUE(db.save(dir.string(), error)) << error;
    EXPECT_FALSE(fs::exists(dir / "db.json.tmp"));
    auto loaded = Database::load(dir.string(), error);
    ASSERT_TRUE(loaded) << error;
    EXPECT_EQ(loaded->to_json(), db.to_json());
    EXPECT_EQ(loaded->extensions[1].state, State::waiting_for_user);
    EXPECT_EQ(loaded->extensions[0].interface, "en4");
    EXPECT_EQ(loaded->find_installed("com.example.B"), &loaded->extensions[1]);
}

TEST_F(TempState, SysextdKeys) {
    Database db;
    db.extensions.push_back(record("com.example.A", "00000000-0000-4000-8000-000000000001"));
    auto json = nlohmann::json::parse(db.to_json());
    const auto &e = json["extensions"][0];
    EXPECT_EQ(e["identifier"], "com.example.A");
    EXPECT_EQ(e["teamID"], "-");
    EXPECT_EQ(e["state"], "activated_enabled");
    EXPECT_EQ(e["categories"][0], "com.apple.system_extension.driver_extension");
    EXPECT_EQ(e["bundleVersion"]["CFBundleVersion"], "3");
    EXPECT_EQ(e["bundleVersion"]["CFBundleShortVersionString"], "1.2");
    EXPECT_EQ(e["container"]["bundlePath"], "/opt/Apps/X.app");
}

TEST_F(TempState, DamagedFilesAreRefusedWithAWayOut) {
    write("{ not json");
    EXPECT_NE(load_error().find("move it away"), std::string::npos);
    write(R"({"format": 2})");
    EXPECT_NE(load_error().find("unknown format"), std::string::npos);
    write(R"({"format": 1, "developerMode": false, "bootArgs": "", "extensions": [{}]})");
    EXPECT_NE(load_error().find("damaged"), std::string::npos);
    Database db;
    db.extensions.push_back(record("com.example.A", "00000000-0000-4000-8000-000000000001"));
    std::string text = db.to_json();
    write(std::string(text).replace(text.find("activated_enabled"), 17, "activated_dancing"));
    EXPECT_NE(load_error().find("unknown state"), std::string::npos);
    write(std::string(text).replace(text.find("com.example.A"), 13, "../../etc/pwd"));
    EXPECT_NE(load_error().find("malformed"), std::string::npos);
    db.extensions.push_back(db.extensions[0]);
    write(db.to_json());
    EXPECT_NE(load_error().find("appears twice"), std::string::npos);
}

TEST_F(TempState, ASymlinkedDatabaseIsRefused) {
    std::ofstream(dir / "elsewhere") << "{}";
    fs::create_symlink(dir / "elsewhere", dir / kDatabaseFile);
    EXPECT_NE(load_error().find("not a regular file"), std::string::npos);
}

TEST_F(TempState, AtomicWriteNeverFollowsAPlantedTemporary) {
    std::ofstream(dir / "victim") << "keep";
    fs::create_symlink(dir / "victim", dir / "file.tmp");
    std::string error;
    ASSERT_TRUE(write_file_atomically(dir.string(), "file", "new", error)) << error;
    std::ifstream victim(dir / "victim");
    std::string text((std::istreambuf_iterator<char>(victim)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "keep");
    EXPECT_TRUE(fs::is_regular_file(dir / "file"));
}

TEST(BundleIdentifiers, Syntax) {
    for (const char *good : {"com.example.Driver", "a", "x-y_z.1"})
        EXPECT_TRUE(valid_bundle_identifier(good)) << good;
    for (const char *bad : {"", ".hidden", "-x", "com/example", "a b", "a\nb", "..", "é"})
        EXPECT_FALSE(valid_bundle_identifier(bad)) << bad;
    EXPECT_FALSE(valid_bundle_identifier(std::string(256, 'a')));
    EXPECT_TRUE(valid_unique_id("0123abcd-0000-4000-8000-00000000beef"));
    EXPECT_FALSE(valid_unique_id("0123ABCD-0000-4000-8000-00000000beef"));
    EXPECT_FALSE(valid_unique_id("../../../../../../../../../etc/passwd"));
}

TEST(BootArgs, ExtensionArgumentsComeLastAndWin) {
    Database db;
    ExtensionRecord r;
    EXPECT_EQ(effective_boot_args(db, r), "");
    db.boot_args = "a=1 b=2";
    EXPECT_EQ(effective_boot_args(db, r), "a=1 b=2");
    r.boot_args = "b=3";
    EXPECT_EQ(effective_boot_args(db, r), "a=1 b=2 b=3");
    std::string error;
    EXPECT_TRUE(valid_boot_args("ndks-debug=1 -v", error));
    EXPECT_FALSE(valid_boot_args("a=1\nb=2", error));
    EXPECT_FALSE(valid_boot_args(std::string(1025, 'a'), error));
}
