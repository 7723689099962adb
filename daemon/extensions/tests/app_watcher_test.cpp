// AppWatcher: an app that is deleted or moved away is reported after the grace period; one
// replaced in place is not; unrelated changes are not.

#include <gtest/gtest.h>

#include "app_watcher.h"
#include "temp_dir.h"

#include <filesystem>

namespace fs = std::filesystem;
using netdext::extensions::AppWatcher;

namespace {

struct Apps : public ::testing::Test {
    netdext::testing::TempDir temp{"netdext-apps"};
    fs::path dir = temp.path() / "Applications";
    std::string app = (dir / "Installer.app").string();
    std::optional<AppWatcher> watcher;
    AppWatcher::Clock::time_point now = AppWatcher::Clock::now();

    void SetUp() override {
        fs::create_directories(fs::path(app) / "Contents/Library/SystemExtensions");
        std::string error;
        watcher = AppWatcher::create(error);
        ASSERT_TRUE(watcher) << error;
        watcher->watch({app});
    }
    // What is gone once the grace period after now has passed (inotify queues events as the
    // change happens, so draining right after it sees them).
    std::vector<std::string> settle() {
        watcher->drain(now);
        EXPECT_TRUE(watcher->gone(now).empty()); // not before the grace period
        return watcher->gone(now + AppWatcher::kGrace);
    }
};

} // namespace

TEST_F(Apps, NothingHappensNothingIsGone) {
    EXPECT_FALSE(watcher->next_check());
    EXPECT_TRUE(settle().empty());
}

TEST_F(Apps, ADeletedAppIsGone) {
    fs::remove_all(app);
    EXPECT_EQ(settle(), std::vector<std::string>{app});
    EXPECT_FALSE(watcher->next_check());
}

TEST_F(Apps, AMovedAppIsGone) {
    fs::rename(app, temp.path() / "Trash.app");
    EXPECT_EQ(settle(), std::vector<std::string>{app});
}

TEST_F(Apps, ADeletedFolderTakesItsAppsWithIt) {
    fs::remove_all(dir);
    EXPECT_EQ(settle(), std::vector<std::string>{app});
}

TEST_F(Apps, AnAppReplacedInPlaceStays) {
    fs::remove_all(app);
    fs::create_directories(fs::path(app) / "Contents");
    watcher->drain(now);
    EXPECT_TRUE(watcher->next_check().has_value());
    EXPECT_TRUE(watcher->gone(now + AppWatcher::kGrace).empty());
}

TEST_F(Apps, AnotherAppBesideItDoesNotMatter) {
    fs::create_directories(dir / "Other.app");
    fs::remove_all(dir / "Other.app");
    EXPECT_TRUE(settle().empty());
}

TEST_F(Apps, AnAppAlreadyGoneWhenWatchedIsReported) {
    fs::remove_all(app);
    watcher->watch({app});
    EXPECT_EQ(watcher->gone(now + AppWatcher::kGrace), std::vector<std::string>{app});
}
