// Requests from an app: who counts as an app (its executable in NAME.app/Contents/MacOS), and the
// app rules of activation — the install entitlement (2), the applications directory (3, not in
// developer mode), the app's own bundle only (4).

#include <gtest/gtest.h>

#include "app_request.h"
#include "dext_variant.h"
#include "temp_dir.h"
#include "validation.h"
#include "wait_until.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace netdext::extensions;
using netdext::testing::DextVariant;

namespace {

const std::string kId = "com.example.netdext.NetworkingDriverKitSample";

std::string entitlements(bool install) {
    return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
                       "<key>com.apple.developer.system-extension.install</key>") +
           (install ? "<true/>" : "<false/>") + "</dict></plist>\n";
}

struct AppRequests : public ::testing::Test {
    netdext::testing::TempDir temp{"netdext-app-request"};
    fs::path root = fs::canonical(temp.path());

    // NAME.app under `dir` holding the sample dext, with the install entitlement or not
    // (std::nullopt: no Entitlements.plist at all).
    fs::path make_app(const fs::path &dir, const std::string &name, std::optional<bool> install) {
        fs::path app = dir / (name + ".app");
        DextVariant(SAMPLE_DEXT_PATH, app / "Contents/Library/SystemExtensions" / (kId + ".dext"));
        fs::create_directories(app / "Contents/MacOS");
        if (install)
            std::ofstream(app / "Contents/Entitlements.plist") << entitlements(*install);
        return app;
    }
    // The applications directory "/" is root's and not writable by others on every machine, so
    // these tests need no root; everything is beneath it.
    ValidationOptions options(const fs::path &app, const std::string &applications = "/") {
        ValidationOptions o;
        o.app = AppRequest{app.string(), applications};
        return o;
    }
    static std::optional<RequestError>
    error_of(const std::variant<Candidate, RequestError> &result) {
        if (auto *e = std::get_if<RequestError>(&result))
            return *e;
        return std::nullopt;
    }
};

} // namespace

TEST(AppOfExecutable, OnlyAnExecutableInContentsMacOS) {
    EXPECT_EQ(app_of_executable("/opt/Applications/X.app/Contents/MacOS/X"),
              "/opt/Applications/X.app");
    EXPECT_EQ(app_of_executable("/X.app/Contents/MacOS/tool"), "/X.app");
    EXPECT_EQ(app_of_executable("/opt/X.app/Contents/MacOS/sub/X"), std::nullopt);
    EXPECT_EQ(app_of_executable("/opt/X.app/Contents/MacOS/"), std::nullopt);
    EXPECT_EQ(app_of_executable("/opt/X.app/Contents/Resources/X"), std::nullopt);
    EXPECT_EQ(app_of_executable("/opt/X/Contents/MacOS/X"), std::nullopt);
    EXPECT_EQ(app_of_executable("/.app/Contents/MacOS/X"), std::nullopt);
    EXPECT_EQ(app_of_executable("/usr/bin/netdextctl"), std::nullopt);
    EXPECT_EQ(app_of_executable("X.app/Contents/MacOS/X"), std::nullopt);
}

TEST_F(AppRequests, AProcessIsAnAppByItsExecutable) {
    EXPECT_EQ(app_of_process(getpid()), std::nullopt); // this test program is no app
    fs::path app = make_app(root, "Sleeper", true);
    fs::copy_file("/bin/sleep", app / "Contents/MacOS/Sleeper");
    pid_t child = fork();
    if (child == 0) {
        const std::string exe = (app / "Contents/MacOS/Sleeper").string();
        execl(exe.c_str(), "Sleeper", "30", static_cast<char *>(nullptr));
        _exit(127);
    }
    ASSERT_GT(child, 0);
    EXPECT_TRUE(netdext::testing::wait_until([&] { return app_of_process(child).has_value(); }));
    EXPECT_EQ(app_of_process(child), app.string());
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
}

TEST_F(AppRequests, AnEntitledAppInTheApplicationsDirectory) {
    fs::path app = make_app(root / "Applications", "Installer", true);
    auto result = validate_activation(app.string(), kId, options(app));
    ASSERT_FALSE(error_of(result)) << error_of(result)->reason;
    EXPECT_EQ(std::get<Candidate>(result).app_path, app.string());
    EXPECT_EQ(std::get<Candidate>(result).bundle.bundle_id, kId);
}

TEST_F(AppRequests, WithoutTheInstallEntitlement) {
    for (std::optional<bool> install : {std::optional<bool>(), std::optional<bool>(false)}) {
        fs::path app = make_app(root / (install ? "false" : "none"), "Installer", install);
        auto error = error_of(validate_activation(app.string(), kId, options(app)));
        ASSERT_TRUE(error);
        EXPECT_EQ(error->code, ErrorCode::MissingEntitlement);
        EXPECT_NE(error->reason.find("com.apple.developer.system-extension.install"),
                  std::string::npos)
            << error->reason;
    }
    fs::path garbled = make_app(root / "garbled", "Installer", true);
    std::ofstream(garbled / "Contents/Entitlements.plist") << "<<not a plist";
    auto error = error_of(validate_activation(garbled.string(), kId, options(garbled)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::MissingEntitlement);
}

TEST_F(AppRequests, OutsideTheApplicationsDirectory) {
    fs::path applications = root / "Applications";
    fs::create_directories(applications);
    fs::path app = make_app(root / "Downloads", "Installer", true);
    // Not beneath the applications directory (which, without root, is not root's either).
    auto error = error_of(validate_activation(app.string(), kId, options(app, applications)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::UnsupportedParentBundleLocation);
    // "/usr/share" is root's and not writable by others, and the app is not beneath it.
    error = error_of(validate_activation(app.string(), kId, options(app, "/usr/share")));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::UnsupportedParentBundleLocation);
    EXPECT_NE(error->reason.find("must be in /usr/share"), std::string::npos) << error->reason;
    EXPECT_NE(error->reason.find("file://" + app.string()), std::string::npos) << error->reason;
    error = error_of(validate_activation(app.string(), kId, options(app, "/nonexistent-apps")));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::UnsupportedParentBundleLocation);
    EXPECT_NE(error->reason.find("does not exist"), std::string::npos) << error->reason;
    // Developer mode skips the location check, as on macOS.
    ValidationOptions developer = options(app, "/usr/share");
    developer.developer_mode = true;
    auto result = validate_activation(app.string(), kId, developer);
    EXPECT_FALSE(error_of(result)) << error_of(result)->reason;
    // …but not the entitlement.
    fs::path plain = make_app(root / "Plain", "Installer", std::nullopt);
    developer.app->app = plain.string();
    error = error_of(validate_activation(plain.string(), kId, developer));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::MissingEntitlement);
}

TEST_F(AppRequests, AnApplicationsDirectoryOthersMayWriteIsRefused) {
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root to own a directory as root";
    fs::path applications = root / "Shared";
    fs::create_directories(applications);
    fs::permissions(applications, fs::perms(0777));
    fs::path app = make_app(applications, "Installer", true);
    auto error = error_of(validate_activation(app.string(), kId, options(app, applications)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::UnsupportedParentBundleLocation);
    EXPECT_NE(error->reason.find("not writable by others"), std::string::npos) << error->reason;
    fs::permissions(applications, fs::perms(0755));
    EXPECT_FALSE(error_of(validate_activation(app.string(), kId, options(app, applications))));
}

TEST_F(AppRequests, OnlyTheAppsOwnBundle) {
    fs::path app = make_app(root / "A", "Installer", true);
    fs::path other = make_app(root / "B", "Other", true);
    auto error = error_of(validate_activation(other.string(), kId, options(app)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::ExtensionNotFound);
    const std::string inner =
        (app / "Contents/Library/SystemExtensions" / (kId + ".dext")).string();
    error = error_of(validate_activation(inner, "", options(app)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::ExtensionNotFound);
    // The extension's file must be named after its identifier, as for any app.
    fs::rename(app / "Contents/Library/SystemExtensions" / (kId + ".dext"),
               app / "Contents/Library/SystemExtensions/Driver.dext");
    error = error_of(validate_activation(app.string(), kId, options(app)));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::ExtensionNotFound);
    EXPECT_NE(error->reason.find("must be named"), std::string::npos) << error->reason;
}
