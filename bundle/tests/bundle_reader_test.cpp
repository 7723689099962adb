// netdext::bundle::read_bundle on fixture bundles written to a temporary directory: a good
// bundle, defaults, missing keys, wrong types, bad plists, path traversal in
// CFBundleExecutable, and entitlements true / false / missing / malformed. Every refusal must name
// the file and the key.

#include <gtest/gtest.h>

#include <netdext/bundle/bundle.h>

#include <plist/plist.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;
using netdext::bundle::Bundle;
using netdext::bundle::LoadError;
using netdext::bundle::read_bundle;

namespace {

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "netdext-bundle-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    const fs::path &path() const { return m_path; }

private:
    fs::path m_path;
};

void write_file(const fs::path &path, const std::string &contents) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << contents;
}

std::string xml_plist(const std::string &body) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
           "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
           "<plist version=\"1.0\">\n" +
           body + "\n</plist>\n";
}

// <key>k</key><string>v</string>
std::string entry(const std::string &key, const std::string &value_xml) {
    return "<key>" + key + "</key>" + value_xml + "\n";
}
std::string str(const std::string &value) {
    return "<string>" + value + "</string>";
}

const std::string kPersonality = entry(
    "IOKitPersonalities",
    "<dict>" +
        entry("MyNic", "<dict>" + entry("CFBundleIdentifier", str("com.example.MyNic")) +
                           entry("IOClass", str("IOUserNetworkEthernet")) +
                           entry("IOUserClass", str("MyNic")) +
                           entry("IOUserServerName", str("com.example.MyNic")) +
                           entry("IOProviderClass", str("IOUserResources")) +
                           entry("IOResourceMatch", str("IOKit")) +
                           entry("IOProbeScore", "<integer>100000</integer>") +
                           entry("IOMatchDefer", "<true/>") +
                           entry("IOUserClientClass", str("MyNicUserClient")) +
                           entry("SomeArray", "<array><string>x</string></array>") + "</dict>") +
        "</dict>");

struct BundleReader : public ::testing::Test {
    TempDir dir;
    fs::path dext = dir.path() / "MyNic.dext";

    // An Info.plist dictionary made of `entries`.
    void info(const std::string &entries) {
        write_file(dext / "Info.plist", xml_plist("<dict>\n" + entries + "</dict>"));
    }
    void executable(const std::string &name = "MyNic") {
        write_file(dext / name, "\x7f"
                                "ELF (not really)");
    }
    void entitlements(const std::string &entries) {
        write_file(dext / "Entitlements.plist", xml_plist("<dict>\n" + entries + "</dict>"));
    }
    std::string standard_keys(const std::string &executable_name = "MyNic") {
        return entry("CFBundleIdentifier", str("com.example.MyNic")) +
               entry("CFBundleExecutable", str(executable_name));
    }
    // Reads the bundle, expecting a refusal; returns its message.
    std::string refusal(const std::string &path = "") {
        LoadError error;
        auto bundle = read_bundle(path.empty() ? dext.string() : path, error);
        EXPECT_FALSE(bundle.has_value()) << "accepted";
        EXPECT_FALSE(error.message.empty());
        return error.message;
    }
    Bundle accepted() {
        LoadError error;
        auto bundle = read_bundle(dext.string(), error);
        EXPECT_TRUE(bundle.has_value()) << error.message;
        return bundle.value_or(Bundle{});
    }
};

::testing::AssertionResult Contains(const std::string &haystack, const std::string &needle) {
    if (haystack.find(needle) != std::string::npos)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "\"" << haystack << "\" does not contain \"" << needle << "\"";
}
#define EXPECT_CONTAINS(haystack, needle) EXPECT_TRUE(Contains((haystack), (needle)))

class ExecutableName : public BundleReader, public ::testing::WithParamInterface<const char *> {};

} // namespace

// ---- good bundles ----------------------------------------------------------------------------

TEST_F(BundleReader, AGoodBundle) {
    info(standard_keys() + entry("CFBundleName", str("My NIC")) +
         entry("CFBundleVersion", str("42")) + entry("CFBundleShortVersionString", str("4.2")) +
         kPersonality);
    executable();
    entitlements(entry("com.apple.developer.driverkit", "<true/>") +
                 entry("com.apple.developer.driverkit.family.networking", "<true/>"));
    Bundle bundle = accepted();
    EXPECT_EQ(bundle.path, dext.string());
    EXPECT_EQ(bundle.bundle_id, "com.example.MyNic");
    EXPECT_EQ(bundle.executable, "MyNic");
    EXPECT_EQ(bundle.executable_path, (dext / "MyNic").string());
    EXPECT_EQ(bundle.name, "My NIC");
    EXPECT_EQ(bundle.version, "42");
    EXPECT_EQ(bundle.short_version, "4.2");
    ASSERT_EQ(bundle.personalities.size(), 1u);
    const auto &p = bundle.personalities[0];
    EXPECT_EQ(p.name, "MyNic");
    EXPECT_EQ(p.io_class, "IOUserNetworkEthernet");
    EXPECT_EQ(p.user_class, "MyNic");
    EXPECT_EQ(p.server_name, "com.example.MyNic");
    EXPECT_EQ(p.provider_class, "IOUserResources");
    EXPECT_EQ(p.resource_match, "IOKit");
    EXPECT_EQ(p.probe_score, 100000);
    // Other scalar keys are kept as text; containers are not.
    EXPECT_EQ(p.properties.at("IOMatchDefer"), "true");
    EXPECT_EQ(p.properties.at("IOProbeScore"), "100000");
    EXPECT_EQ(p.properties.at("IOUserClientClass"), "MyNicUserClient");
    EXPECT_EQ(p.properties.count("SomeArray"), 0u);
    EXPECT_TRUE(netdext::bundle::has_entitlement(bundle, netdext::bundle::kDriverKitEntitlement));
    EXPECT_TRUE(netdext::bundle::has_entitlement(bundle, netdext::bundle::kNetworkingEntitlement));
}

TEST_F(BundleReader, ThePersonalityIsKeptWholeWithNestedValues) {
    std::string personality = entry(
        "IOKitPersonalities",
        "<dict>" +
            entry("Nic",
                  "<dict>" + entry("IOUserClass", str("Nic")) +
                      entry("UserClientProperties",
                            "<dict>" + entry("IOClass", str("IOUserUserClient")) +
                                entry("IOUserClass", str("NicUserClient")) + "</dict>") +
                      entry("Numbers", "<array><integer>1</integer><integer>-2</integer>"
                                       "<real>2.5</real><false/></array>") +
                      entry("Blob", "<data>AAEC/w==</data>") +
                      entry("When", "<date>2026-11-24T00:00:00Z</date>") + "</dict>") +
            "</dict>");
    info(standard_keys() + personality);
    executable();
    Bundle bundle = accepted();
    ASSERT_EQ(bundle.personalities.size(), 1u);
    using Kind = netdext::bundle::Value::Kind;
    const auto &dict = bundle.personalities[0].dictionary;
    ASSERT_EQ(dict.kind, Kind::dictionary);
    // Dates have no registry type: left out. The rest in the file's order.
    ASSERT_EQ(dict.entries.size(), 4u);
    EXPECT_EQ(dict.entries[0].key, "IOUserClass");
    EXPECT_EQ(dict.entries[0].value.text, "Nic");
    const auto &user_client = dict.entries[1].value;
    EXPECT_EQ(dict.entries[1].key, "UserClientProperties");
    ASSERT_EQ(user_client.kind, Kind::dictionary);
    ASSERT_EQ(user_client.entries.size(), 2u);
    EXPECT_EQ(user_client.entries[1].key, "IOUserClass");
    EXPECT_EQ(user_client.entries[1].value.text, "NicUserClient");
    const auto &numbers = dict.entries[2].value;
    ASSERT_EQ(numbers.kind, Kind::array);
    ASSERT_EQ(numbers.items.size(), 4u);
    EXPECT_EQ(numbers.items[0].integer, 1u);
    EXPECT_EQ(int64_t(numbers.items[1].integer), -2);
    EXPECT_EQ(numbers.items[2].kind, Kind::real);
    EXPECT_DOUBLE_EQ(numbers.items[2].real, 2.5);
    EXPECT_EQ(numbers.items[3].kind, Kind::boolean);
    EXPECT_EQ(numbers.items[3].integer, 0u);
    const auto &blob = dict.entries[3].value;
    EXPECT_EQ(blob.kind, Kind::data);
    EXPECT_EQ(blob.text, std::string("\x00\x01\x02\xff", 4));
}

TEST_F(BundleReader, DefaultsForOptionalKeys) {
    info(standard_keys() + kPersonality);
    executable();
    Bundle bundle = accepted();
    EXPECT_EQ(bundle.name, "MyNic") << "CFBundleName defaults to the directory without .dext";
    EXPECT_EQ(bundle.version, "1");
    EXPECT_EQ(bundle.short_version, "1.0");
    EXPECT_TRUE(bundle.entitlements.empty());
}

TEST_F(BundleReader, TrailingSlashesAreIgnored) {
    info(standard_keys() + kPersonality);
    executable();
    LoadError error;
    auto bundle = read_bundle(dext.string() + "//", error);
    ASSERT_TRUE(bundle) << error.message;
    EXPECT_EQ(bundle->path, dext.string());
    EXPECT_EQ(bundle->executable_path, (dext / "MyNic").string());
}

TEST_F(BundleReader, ABundleWithoutPersonalitiesIsALibrary) {
    info(standard_keys());
    executable();
    EXPECT_TRUE(accepted().personalities.empty());
}

TEST_F(BundleReader, SeveralPersonalities) {
    std::string two =
        entry("IOKitPersonalities",
              "<dict>" + entry("A", "<dict>" + entry("IOUserClass", str("DriverA")) + "</dict>") +
                  entry("B", "<dict>" + entry("IOUserClass", str("DriverB")) +
                                 entry("IOProbeScore", "<integer>7</integer>") + "</dict>") +
                  "</dict>");
    info(standard_keys() + two);
    executable();
    Bundle bundle = accepted();
    ASSERT_EQ(bundle.personalities.size(), 2u);
    std::map<std::string, std::string> classes;
    for (const auto &p : bundle.personalities)
        classes[p.name] = p.user_class;
    EXPECT_EQ(classes, (std::map<std::string, std::string>{{"A", "DriverA"}, {"B", "DriverB"}}));
}

TEST_F(BundleReader, ABinaryInfoPlist) {
    plist_t root = plist_new_dict();
    plist_dict_set_item(root, "CFBundleIdentifier", plist_new_string("com.example.Binary"));
    plist_dict_set_item(root, "CFBundleExecutable", plist_new_string("MyNic"));
    char *data = nullptr;
    uint32_t length = 0;
    plist_to_bin(root, &data, &length);
    plist_free(root);
    ASSERT_NE(data, nullptr);
    write_file(dext / "Info.plist", std::string(data, length));
    plist_to_bin_free(data);
    executable();
    EXPECT_EQ(accepted().bundle_id, "com.example.Binary");
}

// ---- not a bundle ----------------------------------------------------------------------------

TEST_F(BundleReader, AMissingDirectory) {
    std::string message = refusal((dir.path() / "Nothing.dext").string());
    EXPECT_CONTAINS(message, "Nothing.dext: not a bundle directory");
}

TEST_F(BundleReader, AFileIsNotABundle) {
    write_file(dext, "plain file");
    EXPECT_CONTAINS(refusal(), "MyNic.dext: not a bundle directory");
}

TEST_F(BundleReader, AMissingInfoPlist) {
    fs::create_directories(dext);
    EXPECT_CONTAINS(refusal(), (dext / "Info.plist").string() + ": cannot read");
}

// ---- bad plists ------------------------------------------------------------------------------

TEST_F(BundleReader, GarbageIsNotAPropertyList) {
    write_file(dext / "Info.plist", "this is not a plist\n");
    EXPECT_CONTAINS(refusal(), "Info.plist: not a valid property list");
}

TEST_F(BundleReader, TruncatedXmlIsNotAPropertyList) {
    std::string whole = xml_plist("<dict>\n" + standard_keys() + "</dict>");
    write_file(dext / "Info.plist", whole.substr(0, whole.size() / 2));
    EXPECT_CONTAINS(refusal(), "Info.plist: not a valid property list");
}

TEST_F(BundleReader, AnEmptyFileIsNotAPropertyList) {
    write_file(dext / "Info.plist", "");
    EXPECT_CONTAINS(refusal(), "Info.plist: not a valid property list");
}

TEST_F(BundleReader, TheTopLevelMustBeADictionary) {
    write_file(dext / "Info.plist", xml_plist("<array><string>a</string></array>"));
    EXPECT_CONTAINS(refusal(), "Info.plist: the top level is not a dictionary");
}

TEST_F(BundleReader, AHugeInfoPlistIsRefusedUnread) {
    write_file(dext / "Info.plist", "");
    fs::resize_file(dext / "Info.plist", (1u << 20) + 1); // sparse: nothing is written or read
    EXPECT_CONTAINS(refusal(), "Info.plist: larger than 1048576 bytes");
}

// ---- missing keys ----------------------------------------------------------------------------

TEST_F(BundleReader, NoBundleIdentifier) {
    info(entry("CFBundleExecutable", str("MyNic")));
    executable();
    std::string message = refusal();
    EXPECT_CONTAINS(message, (dext / "Info.plist").string());
    EXPECT_CONTAINS(message, "CFBundleIdentifier is missing or not a non-empty string");
}

TEST_F(BundleReader, NoExecutableKey) {
    info(entry("CFBundleIdentifier", str("com.example.MyNic")));
    EXPECT_CONTAINS(refusal(), "CFBundleExecutable is missing or not a non-empty string");
}

TEST_F(BundleReader, AnEmptyBundleIdentifier) {
    info(entry("CFBundleIdentifier", str("")) + entry("CFBundleExecutable", str("MyNic")));
    executable();
    EXPECT_CONTAINS(refusal(), "CFBundleIdentifier is missing or not a non-empty string");
}

TEST_F(BundleReader, APersonalityWithoutIOUserClass) {
    info(standard_keys() +
         entry("IOKitPersonalities",
               "<dict>" + entry("Broken", "<dict>" + entry("IOClass", str("X")) + "</dict>") +
                   "</dict>"));
    executable();
    EXPECT_CONTAINS(refusal(), "Info.plist: personality Broken has no IOUserClass");
}

TEST_F(BundleReader, TheExecutableFileIsMissing) {
    info(standard_keys() + kPersonality);
    EXPECT_CONTAINS(refusal(), (dext / "MyNic").string() + ": the bundle's executable is missing");
}

TEST_F(BundleReader, TheExecutableIsADirectory) {
    info(standard_keys() + kPersonality);
    fs::create_directories(dext / "MyNic");
    EXPECT_CONTAINS(refusal(), "the bundle's executable is not a regular file");
}

// ---- wrong types -----------------------------------------------------------------------------

TEST_F(BundleReader, ABundleIdentifierThatIsANumber) {
    info(entry("CFBundleIdentifier", "<integer>7</integer>") +
         entry("CFBundleExecutable", str("MyNic")));
    executable();
    EXPECT_CONTAINS(refusal(), "CFBundleIdentifier is missing or not a non-empty string");
}

TEST_F(BundleReader, AnExecutableThatIsADictionary) {
    info(entry("CFBundleIdentifier", str("com.example.MyNic")) +
         entry("CFBundleExecutable", "<dict/>"));
    EXPECT_CONTAINS(refusal(), "CFBundleExecutable is missing or not a non-empty string");
}

TEST_F(BundleReader, PersonalitiesThatAreAnArray) {
    info(standard_keys() + entry("IOKitPersonalities", "<array/>"));
    executable();
    EXPECT_CONTAINS(refusal(), "Info.plist: IOKitPersonalities is not a dictionary");
}

TEST_F(BundleReader, APersonalityThatIsAString) {
    info(standard_keys() +
         entry("IOKitPersonalities", "<dict>" + entry("P", str("x")) + "</dict>"));
    executable();
    EXPECT_CONTAINS(refusal(), "Info.plist: personality P is not a dictionary");
}

TEST_F(BundleReader, AnIOUserClassThatIsANumberCountsAsMissing) {
    info(standard_keys() +
         entry("IOKitPersonalities",
               "<dict>" +
                   entry("P", "<dict>" + entry("IOUserClass", "<integer>1</integer>") + "</dict>") +
                   "</dict>"));
    executable();
    EXPECT_CONTAINS(refusal(), "personality P has no IOUserClass");
}

TEST_F(BundleReader, OptionalKeysOfTheWrongTypeFallBackToTheirDefaults) {
    info(standard_keys() + entry("CFBundleName", "<integer>3</integer>") +
         entry("CFBundleVersion", "<true/>") +
         entry("IOKitPersonalities",
               "<dict>" +
                   entry("P", "<dict>" + entry("IOUserClass", str("MyNic")) +
                                  entry("IOClass", "<integer>5</integer>") +
                                  entry("IOProbeScore", str("high")) + "</dict>") +
                   "</dict>"));
    executable();
    Bundle bundle = accepted();
    EXPECT_EQ(bundle.name, "MyNic");
    EXPECT_EQ(bundle.version, "1");
    ASSERT_EQ(bundle.personalities.size(), 1u);
    EXPECT_EQ(bundle.personalities[0].io_class, "");
    EXPECT_EQ(bundle.personalities[0].probe_score, 0);
}

// ---- path traversal in CFBundleExecutable ----------------------------------------------------

TEST_P(ExecutableName, MustBeAFileNameInsideTheBundle) {
    // Put something loadable where the traversal would lead, so only the name check can refuse.
    write_file(dir.path() / "evil", "x");
    write_file(dext / "sub" / "MyNic", "x");
    info(standard_keys(GetParam()));
    std::string message = refusal();
    EXPECT_CONTAINS(message, (dext / "Info.plist").string());
    EXPECT_CONTAINS(message, "CFBundleExecutable must be a file name");
}

INSTANTIATE_TEST_SUITE_P(Traversal, ExecutableName,
                         ::testing::Values("../evil", "sub/MyNic", "/etc/passwd", ".", "..",
                                           "./MyNic", "MyNic/"));

// ---- entitlements ----------------------------------------------------------------------------

TEST_F(BundleReader, EntitlementsTrueFalseAndMissing) {
    info(standard_keys());
    executable();
    entitlements(entry("com.apple.developer.driverkit", "<true/>") +
                 entry("com.apple.developer.driverkit.family.networking", "<false/>"));
    Bundle bundle = accepted();
    EXPECT_TRUE(netdext::bundle::has_entitlement(bundle, "com.apple.developer.driverkit"));
    EXPECT_FALSE(netdext::bundle::has_entitlement(
        bundle, "com.apple.developer.driverkit.family.networking"));
    EXPECT_EQ(bundle.entitlements.count("com.apple.developer.driverkit.family.networking"), 1u)
        << "a false entitlement is still recorded";
    EXPECT_FALSE(netdext::bundle::has_entitlement(bundle, "com.apple.developer.driverkit.usb"));
}

TEST_F(BundleReader, NoEntitlementsFileMeansNoEntitlements) {
    info(standard_keys());
    executable();
    Bundle bundle = accepted();
    EXPECT_TRUE(bundle.entitlements.empty());
    EXPECT_FALSE(netdext::bundle::has_entitlement(bundle, netdext::bundle::kDriverKitEntitlement));
}

TEST_F(BundleReader, ANonBooleanEntitlementCountsAsPresent) {
    info(standard_keys());
    executable();
    entitlements(entry("com.apple.developer.driverkit.transport.usb",
                       "<array><dict>" + entry("idVendorNumber", "<integer>1452</integer>") +
                           "</dict></array>") +
                 entry("com.apple.developer.team-identifier", str("ABCDE12345")));
    Bundle bundle = accepted();
    EXPECT_TRUE(
        netdext::bundle::has_entitlement(bundle, "com.apple.developer.driverkit.transport.usb"));
    EXPECT_TRUE(netdext::bundle::has_entitlement(bundle, "com.apple.developer.team-identifier"));
}

TEST_F(BundleReader, AnEntitlementsFileThatIsNotAPropertyListIsRefused) {
    info(standard_keys());
    executable();
    write_file(dext / "Entitlements.plist", "<plist><dict><key>x</key>");
    EXPECT_CONTAINS(refusal(), "Entitlements.plist: not a valid property list");
}

TEST_F(BundleReader, EntitlementsMustBeADictionary) {
    info(standard_keys());
    executable();
    write_file(dext / "Entitlements.plist", xml_plist("<array><true/></array>"));
    EXPECT_CONTAINS(refusal(), "Entitlements.plist: the top level is not a dictionary");
}
