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

#include <plist/plist.h>

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

std::string expand(const BuildSettings &s, std::string_view text,
                   std::vector<std::string> *warnings = nullptr) {
    std::vector<std::string> found;
    std::string out = s.expand(text, found);
    if (warnings != nullptr)
        *warnings = found;
    else
        EXPECT_EQ(found, std::vector<std::string>{}) << text;
    return out;
}

TEST(BuildSettings, ExpandsBothSyntaxesAndModifiers) {
    BuildSettings s = settings();
    EXPECT_EQ(expand(s, "a $(PRODUCT_NAME) b ${PRODUCT_NAME:rfc1034identifier} "
                        "$(PRODUCT_NAME:identifier:upper) $(PRODUCT_BUNDLE_IDENTIFIER:lower) $x $"),
              "a My Driver b My-Driver MY_DRIVER com.example.mydriver $x $");
}

TEST(BuildSettings, IdentifierModifierPrefixesDigits) {
    EXPECT_EQ(*BuildSettings::apply_modifier("identifier", "9lives-x"), "_9lives_x");
    EXPECT_FALSE(BuildSettings::apply_modifier("bogus", "x").has_value());
}

TEST(BuildSettings, PathQuoteAndDefaultModifiers) {
    BuildSettings s;
    s.set("P", "/a/b/../c/./file.tar.gz");
    s.set("Q", "it's a $thing");
    EXPECT_EQ(expand(s, "$(P:standardizepath)"), "/a/c/file.tar.gz");
    EXPECT_EQ(expand(s, "$(P:file)|$(P:base)|$(P:suffix)"), "file.tar.gz|file.tar|.gz");
    EXPECT_EQ(expand(s, "$(P:dir)"), "/a/b/../c/.");
    EXPECT_EQ(expand(s, "$(Q:quote)"), "it\\'s\\ a\\ \\$thing");
    EXPECT_EQ(expand(s, "$(MISSING:default=fallback) $(P:file:default=x)"), "fallback file.tar.gz");
    EXPECT_EQ(*BuildSettings::apply_modifier("dir", "file"), "");
    EXPECT_EQ(*BuildSettings::apply_modifier("suffix", ".hidden"), "");
}

TEST(BuildSettings, SettingsReferToSettingsAndNamesAreComposed) {
    BuildSettings s = settings();
    s.set("PRODUCT_BUNDLE_IDENTIFIER", "com.example.$(PRODUCT_NAME:rfc1034identifier)");
    s.set("CONFIGURATION", "Debug");
    s.set("SUFFIX_Debug", "-dbg");
    EXPECT_EQ(expand(s, "$(PRODUCT_BUNDLE_IDENTIFIER)$(SUFFIX_$(CONFIGURATION))"),
              "com.example.My-Driver-dbg");
    // A setting that refers to itself stops, with a warning, instead of recursing forever.
    s.set("LOOP", "x$(LOOP)");
    std::vector<std::string> warnings;
    expand(s, "$(LOOP)", &warnings);
    ASSERT_FALSE(warnings.empty());
    EXPECT_NE(warnings.back().find("refer to itself"), std::string::npos) << warnings.back();
}

TEST(BuildSettings, UndefinedSettingIsEmptyWithAWarningAsInXcode) {
    std::vector<std::string> warnings;
    EXPECT_EQ(expand(settings(), "[$(NOPE)]", &warnings), "[]");
    EXPECT_EQ(warnings, std::vector<std::string>{"build setting 'NOPE' is not defined: '$(NOPE)' "
                                                 "expands to an empty string (as in Xcode)"});
}

TEST(BuildSettings, MalformedReferencesAreKeptWithAWarning) {
    for (const char *text : {"$(A B)", "$(PRODUCT_NAME", "$()"}) {
        std::vector<std::string> warnings;
        EXPECT_EQ(expand(settings(), text, &warnings), text);
        EXPECT_EQ(warnings.size(), 1u) << text;
    }
    std::vector<std::string> warnings;
    EXPECT_EQ(expand(settings(), "$(PRODUCT_NAME:nope)", &warnings), "My Driver");
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("unknown modifier 'nope'"), std::string::npos);
}

TEST(BuildSettings, DefineParsesAssignments) {
    BuildSettings s;
    EXPECT_TRUE(s.define("A=b=c").ok());
    EXPECT_EQ(*s.find("A"), "b=c");
    EXPECT_TRUE(s.define("EMPTY=").ok());
    EXPECT_FALSE(s.define("=x").ok());
    EXPECT_FALSE(s.define("novalue").ok());
    EXPECT_FALSE(s.define("BAD NAME=1").ok());
    EXPECT_EQ(setting_as_bool("yes"), std::optional<bool>(true));
    EXPECT_EQ(setting_as_bool("NO"), std::optional<bool>(false));
    EXPECT_EQ(setting_as_bool("maybe"), std::nullopt);
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
    Result<bool> assemble(BundleInputs in, std::vector<std::string> *warnings = nullptr) {
        std::vector<std::string> found;
        Result<bool> result = BundleAssembler(std::move(in)).assemble(found);
        if (warnings != nullptr)
            *warnings = found;
        return result;
    }
    std::string info_plist_of(BundleInputs in, std::vector<std::string> *warnings = nullptr) {
        Result<bool> result = assemble(std::move(in), warnings);
        EXPECT_TRUE(result.ok()) << result.error();
        return read(m_dir / "X.dext" / "Info.plist");
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
    auto result = assemble(inputs());
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
    ASSERT_TRUE(assemble(inputs()).ok());
    size_t entries = 0;
    for (auto &entry : fs::directory_iterator(m_dir))
        entries += entry.path().filename().string().rfind("X.dext", 0) == 0;
    EXPECT_EQ(entries, 1u);
}

TEST_F(Assembly, ValuesWithMarkupCharactersStayStrings) {
    BundleInputs in = inputs();
    in.settings.set("PRODUCT_NAME", "Tom & Jerry <NIC>");
    std::string info = info_plist_of(std::move(in));
    EXPECT_NE(info.find("<string>Tom &amp; Jerry &lt;NIC&gt;</string>"), std::string::npos) << info;
}

TEST_F(Assembly, AnInvalidPlistFails) {
    write("Info.plist",
          "<?xml version=\"1.0\"?>\n<plist version=\"1.0\">\n<dict>\n"
          "<key>CFBundleIdentifier</key><string>$(PRODUCT_BUNDLE_IDENTIFIER)</strin>\n"
          "</dict>\n</plist>\n");
    auto result = assemble(inputs());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().rfind((m_dir / "Info.plist").string() +
                                       ": error: not a valid property list: ",
                                   0),
              0u)
        << result.error();
    EXPECT_FALSE(fs::exists(m_dir / "X.dext"));
}

TEST_F(Assembly, MissingKeysFailAndUndefinedSettingsWarn) {
    BundleInputs in = inputs();
    in.settings.set("GENERATE_INFOPLIST_FILE", "NO");
    write("Info.plist", "<plist version=\"1.0\"><dict><key>CFBundleIdentifier</key>"
                        "<string>a.b</string></dict></plist>");
    auto result = assemble(in);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().find("no CFBundleExecutable"), std::string::npos) << result.error();

    write("Info.plist", kInfoPlist);
    write("X.entitlements", "<plist version=\"1.0\"><dict><key>team</key>"
                            "<string>$(TEAM)</string></dict></plist>");
    std::vector<std::string> warnings;
    result = assemble(inputs(), &warnings);
    ASSERT_TRUE(result.ok()) << result.error();
    EXPECT_EQ(warnings, std::vector<std::string>{
                            (m_dir / "X.entitlements").string() +
                            ": warning: team: build setting 'TEAM' is not defined: '$(TEAM)' "
                            "expands to an empty string (as in Xcode)"});
    EXPECT_NE(read(m_dir / "X.dext" / "Entitlements.plist").find("<string></string>"),
              std::string::npos);
}

// A modern Xcode project's Info.plist: only what cannot be generated.
const char kGeneratedStyleInfoPlist[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
	<key>IOKitPersonalities</key>
	<dict>
		<key>MyDriver</key>
		<dict>
			<key>CFBundleIdentifier</key>
			<string>$(PRODUCT_BUNDLE_IDENTIFIER)</string>
			<key>IOUserClass</key>
			<string>MyDriver</string>
			<key>IOUserServerName</key>
			<string>$(PRODUCT_BUNDLE_IDENTIFIER)</string>
		</dict>
	</dict>
	<key>OSBundleUsageDescription</key>
	<string>$(INFOPLIST_KEY_OSBundleUsageDescription)</string>
	<key>UIDeviceFamily</key>
	<array><string>mac</string></array>
</dict>
</plist>
)";

TEST_F(Assembly, GeneratesTheStandardKeysAsXcodeDoes) {
    write("Info.plist", kGeneratedStyleInfoPlist);
    BundleInputs in = inputs();
    in.settings.set("CURRENT_PROJECT_VERSION", "7");
    in.settings.set("PRODUCT_BUNDLE_PACKAGE_TYPE", "DEXT");
    in.settings.set("INFOPLIST_KEY_OSBundleUsageDescription", "Drives $(PRODUCT_NAME).");
    in.settings.set("INFOPLIST_KEY_NSHumanReadableCopyright", "(c) Example");
    in.settings.set("INFOPLIST_KEY_LSUIElement", "YES");
    in.settings.set("INFOPLIST_KEY_UIRequiredDeviceCapabilities", "arm64 metal");
    in.settings.set("INFOPLIST_KEY_NotAnXcodeKey", "x");
    std::vector<std::string> warnings;
    auto result = assemble(in, &warnings);
    ASSERT_TRUE(result.ok()) << result.error();
    auto parsed = PropertyList::parse(read(m_dir / "X.dext" / "Info.plist"));
    ASSERT_TRUE(parsed.ok());
    PropertyList &info = parsed.value();
    EXPECT_EQ(info.string_value("CFBundleIdentifier"), "com.Example.MyDriver");
    EXPECT_EQ(info.string_value("CFBundleExecutable"), "MyDriver");
    EXPECT_EQ(info.string_value("CFBundleName"), "My Driver");
    EXPECT_EQ(info.string_value("CFBundleDevelopmentRegion"), "en");
    EXPECT_EQ(info.string_value("CFBundlePackageType"), "DEXT");
    EXPECT_EQ(info.string_value("CFBundleInfoDictionaryVersion"), "6.0");
    EXPECT_EQ(info.string_value("CFBundleShortVersionString"), "1.2");
    EXPECT_EQ(info.string_value("CFBundleVersion"), "7");
    EXPECT_EQ(info.string_value("OSBundleUsageDescription"), "Drives My Driver.");
    EXPECT_EQ(info.string_value("NSHumanReadableCopyright"), "(c) Example");
    std::string xml = info.to_xml();
    EXPECT_NE(xml.find("<key>LSUIElement</key>\n\t<true/>"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<string>arm64</string>"), std::string::npos);
    EXPECT_NE(xml.find("<string>com.Example.MyDriver</string>"), std::string::npos);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("INFOPLIST_KEY_NotAnXcodeKey is ignored"), std::string::npos)
        << warnings[0];
}

TEST_F(Assembly, GeneratedValuesReplaceTheFilesAndArraysAreMerged) {
    write("Info.plist", R"(<plist version="1.0"><dict>
        <key>CFBundleIdentifier</key><string>com.example.Old</string>
        <key>CFBundleExecutable</key><string>MyDriver</string>
        <key>CFBundleVersion</key><string>1</string>
        <key>UIRequiredDeviceCapabilities</key><array><string>arm64</string></array>
        </dict></plist>)");
    BundleInputs in = inputs();
    in.settings.set("GENERATE_INFOPLIST_FILE", "YES");
    in.settings.set("CURRENT_PROJECT_VERSION", "42");
    in.settings.set("INFOPLIST_KEY_UIRequiredDeviceCapabilities", "arm64 metal");
    std::vector<std::string> warnings;
    std::string info = info_plist_of(in, &warnings);
    EXPECT_NE(info.find("<string>com.Example.MyDriver</string>"), std::string::npos) << info;
    EXPECT_EQ(info.find("com.example.Old"), std::string::npos);
    EXPECT_NE(info.find("<key>CFBundleVersion</key>\n\t<string>42</string>"), std::string::npos);
    EXPECT_NE(info.find("<array>\n\t\t<string>arm64</string>\n\t\t<string>metal</string>\n"
                        "\t</array>"),
              std::string::npos)
        << info;
    EXPECT_EQ(warnings, std::vector<std::string>{});
}

TEST_F(Assembly, ACompleteInfoPlistIsKeptAndEmptyStandardValuesAreRemoved) {
    // GENERATE_INFOPLIST_FILE unset and the plist complete: nothing is generated ...
    BundleInputs in = inputs();
    in.settings.set("CURRENT_PROJECT_VERSION", "9");
    std::vector<std::string> warnings;
    std::string info = info_plist_of(in, &warnings);
    EXPECT_EQ(info.find("CFBundleVersion"), std::string::npos) << info;
    EXPECT_EQ(info.find("CFBundleInfoDictionaryVersion"), std::string::npos);
    EXPECT_EQ(warnings, std::vector<std::string>{});
    // ... and a standard key whose value expanded to "" is dropped, as Xcode does.
    in = inputs();
    in.settings = BuildSettings();
    in.settings.set("EXECUTABLE_NAME", "MyDriver");
    in.settings.set("PRODUCT_BUNDLE_IDENTIFIER", "com.Example.MyDriver");
    in.settings.set("GENERATE_INFOPLIST_FILE", "NO");
    info = info_plist_of(in, &warnings);
    EXPECT_EQ(info.find("CFBundleShortVersionString"), std::string::npos) << info;
    EXPECT_EQ(info.find("CFBundleName"), std::string::npos) << info;
    EXPECT_EQ(warnings.size(), 3u) << "DEVELOPMENT_LANGUAGE, PRODUCT_NAME, MARKETING_VERSION";
}

TEST_F(Assembly, ABinaryInfoPlistIsExpandedToo) {
    auto parsed = PropertyList::parse(kGeneratedStyleInfoPlist);
    ASSERT_TRUE(parsed.ok());
    char *binary = nullptr;
    uint32_t length = 0;
    // Written through the command-line-free path: libplist converts, the assembler reads it back.
    auto xml = parsed.value().to_xml();
    plist_t root = nullptr;
    plist_from_xml(xml.c_str(), uint32_t(xml.size()), &root);
    plist_to_bin(root, &binary, &length);
    write("Info.plist", std::string(binary, length));
    plist_to_bin_free(binary);
    plist_free(root);
    std::string info = info_plist_of(inputs());
    EXPECT_NE(info.find("<string>com.Example.MyDriver</string>"), std::string::npos) << info;
    EXPECT_EQ(info.find("$("), std::string::npos);
}

TEST_F(Assembly, AMismatchedBundleIdentifierIsWarnedAbout) {
    write("Info.plist", R"(<plist version="1.0"><dict>
        <key>CFBundleIdentifier</key><string>com.example.Other</string>
        <key>CFBundleExecutable</key><string>MyDriver</string></dict></plist>)");
    std::vector<std::string> warnings;
    info_plist_of(inputs(), &warnings);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("CFBundleIdentifier 'com.example.Other' differs from "
                               "PRODUCT_BUNDLE_IDENTIFIER 'com.Example.MyDriver'"),
              std::string::npos)
        << warnings[0];
}

TEST_F(Assembly, CommandLineReportsErrorsWithStatusOne) {
    write("Info.plist", "<plist version=\"1.0\"><dict><key>CFBundleExecutable</key>"
                        "<string>$(UNDEFINED_THING)</string></dict></plist>");
    std::string command = std::string(NETDEXT_BUNDLE_EXECUTABLE) + " --info-plist " +
                          (m_dir / "Info.plist").string() + " --entitlements " +
                          (m_dir / "X.entitlements").string() + " --executable " +
                          (m_dir / "X.so").string() + " --output " + (m_dir / "X.dext").string() +
                          " --var EXECUTABLE_NAME=X --var GENERATE_INFOPLIST_FILE=NO 2>&1";
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
    // The undefined setting warns and expands to "" (which is then removed, as Xcode does).
    EXPECT_NE(output.find("build setting 'UNDEFINED_THING' is not defined"), std::string::npos)
        << output;
    EXPECT_NE(output.find("error: Info.plist has no CFBundleIdentifier"), std::string::npos)
        << output;
}

} // namespace
