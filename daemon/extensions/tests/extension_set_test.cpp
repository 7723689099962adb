// ExtensionSet: install, approve, replace, uninstall and recovery on a temporary state directory,
// with the staged copies checked on disk. No drivers run here.

#include <gtest/gtest.h>

#include "dext_variant.h"
#include "temp_dir.h"
#include "extension_set.h"

#include <filesystem>

namespace fs = std::filesystem;
using namespace netdext::extensions;
using netdext::testing::DextVariant;

namespace {

struct Extensions : public ::testing::Test {
    netdext::testing::TempDir temp{"netdext-extset"};
    fs::path root = temp.path(), state = root / "state";
    std::optional<ExtensionSet> set;
    Extensions() {
        fs::create_directories(state);
        reopen();
    }
    void reopen() {
        set.reset();
        std::string error;
        set = ExtensionSet::open(state.string(), error);
        ASSERT_TRUE(set) << error;
    }
    Candidate candidate(const std::string &path) {
        auto result = validate_activation(path, "", ValidationOptions{});
        if (auto *e = std::get_if<RequestError>(&result))
            ADD_FAILURE() << e->reason;
        return std::get<Candidate>(std::move(result));
    }
    ExtensionRecord install(const std::string &path) {
        auto result = set->install(candidate(path), ValidationOptions{});
        if (auto *e = std::get_if<RequestError>(&result))
            ADD_FAILURE() << e->reason;
        return std::get<ExtensionRecord>(result);
    }
    std::string v2() {
        if (!fs::exists(root / "v2.dext"))
            DextVariant(SAMPLE_DEXT_PATH, root / "v2.dext").version("2", "2.0");
        return (root / "v2.dext").string();
    }
    std::set<std::string> staged() {
        std::set<std::string> names;
        for (const auto &entry : fs::directory_iterator(state / "extensions"))
            names.insert(entry.path().filename().string());
        return names;
    }
    const char *kId = "com.example.netdext.NetworkingDriverKitSample";
};

} // namespace

TEST_F(Extensions, InstallWaitsForTheUserThenApprovalEnables) {
    ExtensionRecord r = install(SAMPLE_DEXT_PATH);
    EXPECT_EQ(r.state, State::waiting_for_user);
    EXPECT_EQ(r.team_id, "-");
    EXPECT_EQ(staged(), std::set<std::string>{r.unique_id});
    EXPECT_TRUE(fs::is_regular_file(set->bundle_path(r) + "/Info.plist"));
    auto approved = set->approve(kId);
    ASSERT_TRUE(std::holds_alternative<ExtensionRecord>(approved));
    EXPECT_EQ(std::get<ExtensionRecord>(approved).state, State::enabled);
    reopen();
    ASSERT_EQ(set->db().extensions.size(), 1u);
    EXPECT_EQ(set->db().extensions[0].state, State::enabled);
    EXPECT_TRUE(std::holds_alternative<RequestError>(set->approve(kId))); // already enabled
}

TEST_F(Extensions, DeveloperModeEnablesAtOnce) {
    std::string error;
    ASSERT_TRUE(set->set_developer_mode(true, error));
    EXPECT_EQ(install(SAMPLE_DEXT_PATH).state, State::enabled);
}

TEST_F(Extensions, TheSourceMayBeDeletedAfterActivation) {
    DextVariant copy(SAMPLE_DEXT_PATH, root / "src/Sample.dext");
    ExtensionRecord r = install(copy.str());
    fs::remove_all(root / "src");
    EXPECT_TRUE(fs::exists(set->bundle_path(r) + "/NetworkingDriverKitSample"));
    EXPECT_EQ(r.origin_path, fs::weakly_canonical(root / "src/Sample.dext").string());
}

TEST_F(Extensions, Plans) {
    auto plan = set->plan(candidate(SAMPLE_DEXT_PATH));
    EXPECT_EQ(std::get<ExtensionSet::Plan>(plan).kind, ExtensionSet::Plan::Kind::install);
    install(SAMPLE_DEXT_PATH);
    plan = set->plan(candidate(SAMPLE_DEXT_PATH));
    EXPECT_EQ(std::get<ExtensionSet::Plan>(plan).kind, ExtensionSet::Plan::Kind::same_version);
    plan = set->plan(candidate(v2()));
    EXPECT_EQ(std::get<ExtensionSet::Plan>(plan).kind, ExtensionSet::Plan::Kind::replace);
    // Only the short version differs: still another version.
    DextVariant short_only(SAMPLE_DEXT_PATH, root / "short.dext");
    short_only.set("CFBundleShortVersionString", "1.0.1");
    plan = set->plan(candidate(short_only.str()));
    EXPECT_EQ(std::get<ExtensionSet::Plan>(plan).kind, ExtensionSet::Plan::Kind::replace);
    // Another team's bundle with the same identifier is a duplicate.
    Candidate other = candidate(v2());
    other.team_id = "B987654321";
    plan = set->plan(other);
    ASSERT_TRUE(std::holds_alternative<RequestError>(plan));
    EXPECT_EQ(std::get<RequestError>(plan).code, ErrorCode::DuplicateExtensionIdentifer);
}

TEST_F(Extensions, ReplacingAnEnabledExtensionKeepsItsInterfaceAndBootArgs) {
    std::string error;
    ASSERT_TRUE(set->set_developer_mode(true, error));
    ExtensionRecord v1 = install(SAMPLE_DEXT_PATH);
    ASSERT_TRUE(set->set_interface(v1.unique_id, "en3", error));
    ASSERT_TRUE(set->set_extension_boot_args(kId, "x=1", error));
    auto result = set->replace(candidate(v2()), v1.unique_id, ValidationOptions{});
    ASSERT_TRUE(std::holds_alternative<ExtensionSet::Replacement>(result));
    auto replacement = std::get<ExtensionSet::Replacement>(result);
    EXPECT_TRUE(replacement.old_running);
    EXPECT_EQ(replacement.added.state, State::enabled);
    EXPECT_EQ(replacement.added.interface, "en3");
    EXPECT_EQ(replacement.added.boot_args, "x=1");
    EXPECT_EQ(set->find_unique(v1.unique_id)->state, State::terminating_for_upgrade);
    EXPECT_EQ(set->find_installed(kId)->version, "2");
    EXPECT_EQ(staged().size(), 2u);
    // A third version must wait for the second replacement to finish.
    DextVariant v3(SAMPLE_DEXT_PATH, root / "v3.dext");
    v3.version("3", "3.0");
    EXPECT_TRUE(std::holds_alternative<RequestError>(set->plan(candidate(v3.str()))));
    ASSERT_TRUE(set->stopped(v1.unique_id, error)) << error;
    EXPECT_EQ(set->find_unique(v1.unique_id), nullptr);
    EXPECT_EQ(staged(), std::set<std::string>{replacement.added.unique_id});
}

TEST_F(Extensions, ReplacingAWaitingExtensionDropsItAtOnce) {
    ExtensionRecord v1 = install(SAMPLE_DEXT_PATH);
    auto result = set->replace(candidate(v2()), v1.unique_id, ValidationOptions{});
    auto replacement = std::get<ExtensionSet::Replacement>(result);
    EXPECT_FALSE(replacement.old_running);
    EXPECT_EQ(replacement.added.state, State::waiting_for_user);
    EXPECT_EQ(set->db().extensions.size(), 1u);
    EXPECT_EQ(staged(), std::set<std::string>{replacement.added.unique_id});
}

TEST_F(Extensions, UninstallingAWaitingExtensionRemovesItAtOnce) {
    install(SAMPLE_DEXT_PATH);
    auto removal = set->uninstall(kId);
    ASSERT_TRUE(std::holds_alternative<ExtensionSet::Removal>(removal));
    EXPECT_FALSE(std::get<ExtensionSet::Removal>(removal).running);
    EXPECT_TRUE(set->db().extensions.empty());
    EXPECT_TRUE(staged().empty());
}

TEST_F(Extensions, UninstallingAnEnabledExtensionWaitsForItsDriver) {
    std::string error;
    ASSERT_TRUE(set->set_developer_mode(true, error));
    ExtensionRecord r = install(SAMPLE_DEXT_PATH);
    auto wrong_team = set->uninstall(kId, "A123456789");
    ASSERT_TRUE(std::holds_alternative<RequestError>(wrong_team));
    auto removal = set->uninstall(kId, "-");
    ASSERT_TRUE(std::holds_alternative<ExtensionSet::Removal>(removal));
    EXPECT_TRUE(std::get<ExtensionSet::Removal>(removal).running);
    EXPECT_EQ(set->find_unique(r.unique_id)->state, State::terminating_for_uninstall);
    EXPECT_EQ(set->find_installed(kId), nullptr);
    // While it stops, activating it again is refused rather than raced.
    auto plan = set->plan(candidate(SAMPLE_DEXT_PATH));
    ASSERT_TRUE(std::holds_alternative<RequestError>(plan));
    EXPECT_EQ(std::get<RequestError>(plan).code, ErrorCode::RequestSuperseded);
    ASSERT_TRUE(set->stopped(r.unique_id, error));
    EXPECT_TRUE(set->db().extensions.empty());
    EXPECT_TRUE(staged().empty());
    EXPECT_TRUE(std::holds_alternative<RequestError>(set->uninstall(kId)));
}

TEST_F(Extensions, RecoveryFinishesTerminatingRecordsAndSweepsOrphans) {
    std::string error;
    ASSERT_TRUE(set->set_developer_mode(true, error));
    ExtensionRecord v1 = install(SAMPLE_DEXT_PATH);
    auto replacement = std::get<ExtensionSet::Replacement>(
        set->replace(candidate(v2()), v1.unique_id, ValidationOptions{}));
    fs::create_directories(state / "extensions/deadbeef-0000-4000-8000-000000000000.partial/x");
    fs::create_directories(state / "extensions/junk");
    reopen(); // as after a crash at replace-committed
    auto done = set->recover();
    EXPECT_EQ(done.size(), 4u); // the old record, its copy, the partial copy, the junk
    ASSERT_EQ(set->db().extensions.size(), 1u);
    EXPECT_EQ(set->db().extensions[0].unique_id, replacement.added.unique_id);
    EXPECT_EQ(staged(), std::set<std::string>{replacement.added.unique_id});
    // A record whose copy vanished is dropped.
    fs::remove_all(state / "extensions" / replacement.added.unique_id);
    reopen();
    done = set->recover();
    EXPECT_EQ(done.size(), 1u);
    EXPECT_TRUE(set->db().extensions.empty());
}

TEST_F(Extensions, ABundleWithAFifoInsideIsNotCopied) {
    DextVariant v(SAMPLE_DEXT_PATH, root / "fifo.dext");
    fs::create_directories(v.path() / "Resources");
    ASSERT_EQ(mkfifo((v.path() / "Resources/pipe").c_str(), 0644), 0);
    auto result = set->install(candidate(v.str()), ValidationOptions{});
    ASSERT_TRUE(std::holds_alternative<RequestError>(result));
    EXPECT_EQ(std::get<RequestError>(result).code, ErrorCode::ValidationFailed);
    EXPECT_NE(std::get<RequestError>(result).reason.find("Resources/pipe: a FIFO"),
              std::string::npos);
    EXPECT_TRUE(set->db().extensions.empty());
    EXPECT_TRUE(staged().empty());
    EXPECT_FALSE(fs::exists(state / "db.json"));
}
