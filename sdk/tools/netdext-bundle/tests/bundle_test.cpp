/* netdext-bundle: build-setting expansion, plist validation and bundle assembly. */
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "build_settings.h"
#include "bundle_assembler.h"
#include "property_list.h"

namespace fs = std::filesystem;
using namespace netdext::bundle;

namespace {

const char kInfoPlist[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleDevelopmentRegion</key>
	<string>$(DEVELOPMENT_LANGUAGE)</string>
	<key>CFBundleExecutable</key>
	<string>$(EXECUTABLE_NAME)</string>
	<key>CFBundleIdentifier</key>
	<string>$(PRODUCT_BUNDLE_IDENTIFIER)</string>
	<key>CFBundleName</key>
	<string>${PRODUCT_NAME}</string>
	<key>CFBundleShortVersionString</key>
	<string>$(MARKETING_VERSION)</string>
	<key>IOUserServerName</key>
	<string>$(PRODUCT_BUNDLE_IDENTIFIER:lower)</string>
</dict>
</plist>
)";

const char kEntitlements[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
	<key>com.apple.developer.driverkit</key>
	<true/>
</dict>
</plist>
)";

BuildSettings settings() {
    BuildSettings s;
    s.set("DEVELOPMENT_LANGUAGE", "en");
    s.set("EXECUTABLE_NAME", "MyDriver");
    s.set("PRODUCT_NAME", "My Driver");
    s.set("PRODUCT_BUNDLE_IDENTIFIER", "com.Example.MyDriver");
    s.set("MARKETING_VERSION", "1.2");
    return s;
}

TEST(BuildSettings, ExpandsBothSyntaxesAndModifiers) {
    BuildSettings s = settings();
    auto out = s.expand("a $(PRODUCT_NAME) b ${PRODUCT_NAME:rfc1034identifier} "
                        "$(PRODUCT_NAME:identifier:upper) $(PRODUCT_BUNDLE_IDENTIFIER:lower) $x $",
                        "f", false);
    ASSERT_TRUE(out.ok()) << out.error();
    EXPECT_EQ(out.value(), "a My Driver b My-Driver MY_DRIVER com.example.mydriver $x $");
}

TEST(BuildSettings, IdentifierModifierPrefixesDigits) {
    EXPECT_EQ(*BuildSettings::apply_modifier("identifier", "9lives-x"), "_9lives_x");
    EXPECT_FALSE(BuildSettings::apply_modifier("bogus", "x").has_value());
}

TEST(BuildSettings, UndefinedSettingNamesTheSettingFileAndLine) {
    auto out = settings().expand("one\ntwo $(NOPE) three\n", "Info.plist", false);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error(), "Info.plist:2: error: undefined build setting 'NOPE' in '$(NOPE)'");
}

TEST(BuildSettings, MalformedReferences) {
    EXPECT_FALSE(settings().expand("$(A B)", "f", false).ok());
    EXPECT_FALSE(settings().expand("$(PRODUCT_NAME", "f", false).ok());
    EXPECT_FALSE(settings().expand("$()", "f", false).ok());
    EXPECT_FALSE(settings().expand("$(PRODUCT_NAME:nope)", "f", false).ok());
}

TEST(BuildSettings, XmlEscapesValues) {
    BuildSettings s;
    s.set("V", "a&b<c>");
    auto out = s.expand("<string>$(V)</string>", "f", true);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out.value(), "<string>a&amp;b&lt;c&gt;</string>");
}

TEST(BuildSettings, DefineParsesAssignments) {
    BuildSettings s;
    EXPECT_TRUE(s.define("A=b=c").ok());
    EXPECT_EQ(*s.find("A"), "b=c");
    EXPECT_TRUE(s.define("EMPTY=").ok());
    EXPECT_FALSE(s.define("=x").ok());
    EXPECT_FALSE(s.define("novalue").ok());
    EXPECT_FALSE(s.define("BAD NAME=1").ok());
}

TEST(PropertyList, ParsesAndReadsStrings) {
    auto plist = PropertyList::parse(kEntitlements);
    ASSERT_TRUE(plist.ok()) << plist.error();
    EXPECT_TRUE(plist.value().is_dictionary());
    EXPECT_TRUE(plist.value().has_key("com.apple.developer.driverkit"));
    EXPECT_EQ(plist.value().string_value("com.apple.developer.driverkit"), "");
    EXPECT_NE(plist.value().to_xml().find("<true/>"), std::string::npos);
}

TEST(PropertyList, RejectsBrokenDocuments) {
    EXPECT_FALSE(PropertyList::parse("").ok());
    EXPECT_FALSE(PropertyList::parse("not a plist").ok());
    EXPECT_FALSE(PropertyList::parse("<plist><dict><key>a</key><string>b</dict></plist>").ok());
    EXPECT_FALSE(PropertyList::parse("<plist version=\"1.0\"><dict><key>a</key>").ok());
}

class Assembly : public testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() /
                ("netdext-bundle-" + std::to_string(getpid()) + "-" +
                 testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
        write("Info.plist", kInfoPlist);
        write("X.entitlements", kEntitlements);
        write("X.so", "\x7f"
                      "ELF fake");
    }
    void TearDown() override { fs::remove_all(m_dir); }
    void write(const std::string &name, const std::string &text) {
        std::ofstream(m_dir / name, std::ios::binary) << text;
    }
    std::string read(const fs::path &path) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    BundleInputs inputs() {
        BundleInputs in;
        in.info_plist = (m_dir / "Info.plist").string();
        in.entitlements = (m_dir / "X.entitlements").string();
        in.executable = (m_dir / "X.so").string();
        in.output = (m_dir / "X.dext").string();
        in.settings = settings();
        return in;
    }
    fs::path m_dir;
};

TEST_F(Assembly, WritesTheBundle) {
    auto result = BundleAssembler(inputs()).assemble();
    ASSERT_TRUE(result.ok()) << result.error();
    fs::path bundle = m_dir / "X.dext";
    std::string info = read(bundle / "Info.plist");
    EXPECT_NE(info.find("<string>com.Example.MyDriver</string>"), std::string::npos) << info;
    EXPECT_NE(info.find("<string>com.example.mydriver</string>"), std::string::npos);
    EXPECT_NE(info.find("<string>My Driver</string>"), std::string::npos);
    EXPECT_EQ(info.find("$("), std::string::npos);
    EXPECT_EQ(read(bundle / "MyDriver"), "\x7f"
                                         "ELF fake");
    EXPECT_TRUE((fs::status(bundle / "MyDriver").permissions() & fs::perms::owner_exec) !=
                fs::perms::none);
    EXPECT_NE(read(bundle / "Entitlements.plist").find("com.apple.developer.driverkit"),
              std::string::npos);
    // Assembling again replaces the bundle, leaving no staging directory behind.
    ASSERT_TRUE(BundleAssembler(inputs()).assemble().ok());
    size_t entries = 0;
    for (auto &entry : fs::directory_iterator(m_dir))
        entries += entry.path().filename().string().rfind("X.dext", 0) == 0;
    EXPECT_EQ(entries, 1u);
}

TEST_F(Assembly, InvalidPlistAfterSubstitutionFails) {
    write("Info.plist",
          "<?xml version=\"1.0\"?>\n<plist version=\"1.0\">\n<dict>\n"
          "<key>CFBundleIdentifier</key><string>$(PRODUCT_BUNDLE_IDENTIFIER)</strin>\n"
          "</dict>\n</plist>\n");
    auto result = BundleAssembler(inputs()).assemble();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().rfind((m_dir / "Info.plist").string() +
                                       ": error: not a valid property list after substitution: ",
                                   0),
              0u)
        << result.error();
    EXPECT_FALSE(fs::exists(m_dir / "X.dext"));
}

TEST_F(Assembly, MissingKeysAndUndefinedSettingsFail) {
    write("Info.plist", "<plist version=\"1.0\"><dict><key>CFBundleIdentifier</key>"
                        "<string>a.b</string></dict></plist>");
    auto result = BundleAssembler(inputs()).assemble();
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find("no CFBundleExecutable"), std::string::npos) << result.error();

    write("Info.plist", kInfoPlist);
    write("X.entitlements", "<plist version=\"1.0\"><dict><key>team</key>"
                            "<string>$(TEAM)</string></dict></plist>");
    result = BundleAssembler(inputs()).assemble();
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find("X.entitlements:1: error: undefined build setting 'TEAM'"),
              std::string::npos)
        << result.error();
}

TEST_F(Assembly, CommandLineReportsErrorsWithStatusOne) {
    write("Info.plist", "<plist version=\"1.0\"><dict><key>CFBundleExecutable</key>"
                        "<string>$(UNDEFINED_THING)</string></dict></plist>");
    std::string command = std::string(NETDEXT_BUNDLE_EXECUTABLE) + " --info-plist " +
                          (m_dir / "Info.plist").string() + " --entitlements " +
                          (m_dir / "X.entitlements").string() + " --executable " +
                          (m_dir / "X.so").string() + " --output " + (m_dir / "X.dext").string() +
                          " --var EXECUTABLE_NAME=X 2>&1";
    FILE *pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::array<char, 4096> buffer{};
    std::string output;
    size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        output.append(buffer.data(), n);
    int status = pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1);
    EXPECT_NE(output.find("undefined build setting 'UNDEFINED_THING'"), std::string::npos)
        << output;
}

} // namespace
