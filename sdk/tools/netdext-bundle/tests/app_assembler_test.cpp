/* netdext-bundle --app: an app bundle around its executable, with its extensions and resources. */
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app_assembler.h"
#include "property_list.h"

namespace fs = std::filesystem;
using namespace netdext::bundle;

namespace {

std::string plist(const std::string &body) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>" + body +
           "</dict></plist>\n";
}

std::string read(const fs::path &path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

struct AppBundle : public ::testing::Test {
    fs::path root = fs::temp_directory_path() /
                    ("netdext-app-assembler-" + std::to_string(getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::path app = root / "Installer.app";

    void SetUp() override {
        fs::remove_all(root);
        fs::create_directories(app / "Contents/MacOS");
        std::ofstream(app / "Contents/MacOS/Installer") << "#!/bin/sh\n";
        std::ofstream(root / "Info.plist") << plist(
            "<key>CFBundleIdentifier</key><string>$(PRODUCT_BUNDLE_IDENTIFIER)</string>"
            "<key>CFBundleExecutable</key><string>$(EXECUTABLE_NAME)</string>"
            "<key>CFBundlePackageType</key><string>$(PRODUCT_BUNDLE_PACKAGE_TYPE)</string>");
        std::ofstream(root / "Installer.entitlements")
            << plist("<key>com.apple.developer.system-extension.install</key><true/>");
        std::ofstream(root / "index.html") << "<h1>Driver Manager</h1>";
    }
    void TearDown() override { fs::remove_all(root); }

    fs::path dext(const std::string &dir, const std::string &id) {
        fs::path d = root / dir;
        fs::create_directories(d);
        std::ofstream(d / "Info.plist")
            << plist("<key>CFBundleIdentifier</key><string>" + id + "</string>");
        std::ofstream(d / "Driver") << "elf";
        return d;
    }
    AppInputs inputs(std::vector<std::string> extensions) {
        AppInputs in;
        in.bundle.info_plist = (root / "Info.plist").string();
        in.bundle.entitlements = (root / "Installer.entitlements").string();
        in.bundle.output = app.string();
        EXPECT_TRUE(
            in.bundle.settings.define("PRODUCT_BUNDLE_IDENTIFIER=com.example.Installer").ok());
        EXPECT_TRUE(in.bundle.settings.define("EXECUTABLE_NAME=Installer").ok());
        EXPECT_TRUE(in.bundle.settings.define("PRODUCT_BUNDLE_PACKAGE_TYPE=APPL").ok());
        in.extensions = std::move(extensions);
        in.resources = {(root / "index.html").string()};
        return in;
    }
};

} // namespace

TEST_F(AppBundle, TheLayoutOfAMacApp) {
    std::vector<std::string> warnings;
    // The build directory's name is not the extension's: the copy is named by its identifier.
    Result<bool> done =
        AppAssembler(inputs({dext("MyDriver.dext", "com.example.MyDriver").string()}))
            .assemble(warnings);
    ASSERT_TRUE(done.ok()) << done.error();
    Result<PropertyList> info = PropertyList::parse(read(app / "Contents/Info.plist"));
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info.value().string_value("CFBundleIdentifier"), "com.example.Installer");
    EXPECT_EQ(info.value().string_value("CFBundlePackageType"), "APPL");
    EXPECT_NE(read(app / "Contents/Entitlements.plist").find("system-extension.install"),
              std::string::npos);
    EXPECT_TRUE(fs::is_regular_file(
        app / "Contents/Library/SystemExtensions/com.example.MyDriver.dext/Driver"));
    EXPECT_EQ(read(app / "Contents/Resources/index.html"), "<h1>Driver Manager</h1>");
    EXPECT_TRUE(warnings.empty());
}

TEST_F(AppBundle, AssemblingAgainReplacesTheExtensions) {
    std::vector<std::string> warnings;
    ASSERT_TRUE(
        AppAssembler(inputs({dext("A.dext", "com.example.A").string()})).assemble(warnings).ok());
    ASSERT_TRUE(
        AppAssembler(inputs({dext("B.dext", "com.example.B").string()})).assemble(warnings).ok());
    EXPECT_FALSE(fs::exists(app / "Contents/Library/SystemExtensions/com.example.A.dext"));
    EXPECT_TRUE(fs::exists(app / "Contents/Library/SystemExtensions/com.example.B.dext"));
}

TEST_F(AppBundle, RefusesWhatMacOSWouldRefuse) {
    std::vector<std::string> warnings;
    Result<bool> twice = AppAssembler(inputs({dext("A.dext", "com.example.Same").string(),
                                              dext("B.dext", "com.example.Same").string()}))
                             .assemble(warnings);
    ASSERT_FALSE(twice.ok());
    EXPECT_NE(twice.error().find("a second extension with the identifier com.example.Same"),
              std::string::npos);
    fs::path broken = root / "Broken.dext";
    fs::create_directories(broken);
    Result<bool> unbuilt = AppAssembler(inputs({broken.string()})).assemble(warnings);
    ASSERT_FALSE(unbuilt.ok());
    EXPECT_NE(unbuilt.error().find("Info.plist: error"), std::string::npos) << unbuilt.error();
    fs::remove(app / "Contents/MacOS/Installer");
    Result<bool> no_executable = AppAssembler(inputs({})).assemble(warnings);
    ASSERT_FALSE(no_executable.ok());
    EXPECT_NE(no_executable.error().find("Contents/MacOS/Installer, which does not exist"),
              std::string::npos)
        << no_executable.error();
}
