// The seed's sample in the I/O Registry (issue 9): its ioreg line compared with the seed's field
// by field (the ID, busy time and retain count are this run's own; the shape must match), its
// properties, `-a` read back with libplist, --json read back, and the sample signed with a
// throwaway key.

#include <gtest/gtest.h>

#include <netdext/codesign/signature.h>
#include <netdext/registry/network.h>
#include <netdext/registry/wire.h>
#include <netdext/testing/driver_bench.h>

#include <plist/plist.h>

#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

using netdext::registry::Entry;
using netdext::registry::format_value;
using netdext::registry::IoregOptions;
using netdext::testing::BenchOptions;
using netdext::testing::DriverBench;
namespace fs = std::filesystem;

namespace {

// "Connecting a network driver" (the seed): the sample's entry in `ioreg`.
constexpr const char *kSeedLine =
    "    | +-o NetworkingDriverKitSample  <class IOUserNetworkEthernet, id 0x100028cee, "
    "registered, matched, active, busy 0 (4 ms), retain 16>";

struct Fields {
    std::string name, class_name, id, registered, matched, active, busy, busy_ms, retain;
};

// The fields of an ioreg entry line (API-SYSEXT §3.2).
std::optional<Fields> parse_line(const std::string &line) {
    static const std::regex grammar(
        R"(^[ |]*\+-o (\S+)  <class (\S+), id (0x[0-9a-f]+), (!?registered), (!?matched), )"
        R"((active|inactive), busy (\d+)(?: \((\d+) ms\))?, retain (\d+)>$)");
    std::smatch m;
    if (!std::regex_match(line, m, grammar))
        return std::nullopt;
    return Fields{m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9]};
}

std::string line_of(const std::string &text, const std::string &name) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.find("+-o " + name + " ") != std::string::npos)
            return line;
    return "";
}

struct SampleRegistry : public ::testing::Test {
    std::unique_ptr<DriverBench> bench;

    void run(const std::string &dext = SAMPLE_DEXT_PATH, BenchOptions options = {}) {
        bench = std::make_unique<DriverBench>(options);
        std::string error;
        ASSERT_TRUE(bench->load_bundle(dext, &error)) << error;
        ASSERT_EQ(bench->start(), kIOReturnSuccess);
        ASSERT_EQ(bench->set_interface_enable(true), kIOReturnSuccess);
        bench->advance(std::chrono::seconds(3));
    }
    void TearDown() override {
        if (bench && bench->running()) {
            EXPECT_EQ(bench->stop(), kIOReturnSuccess);
        }
    }
};

TEST_F(SampleRegistry, TheSeedsLineFieldByField) {
    run();
    const auto seed = parse_line(kSeedLine);
    ASSERT_TRUE(seed) << "the seed's line parses with the same grammar";
    const std::string line = line_of(bench->ioreg(), "NetworkingDriverKitSample");
    const auto ours = parse_line(line);
    ASSERT_TRUE(ours) << line;
    EXPECT_EQ(ours->name, seed->name);
    EXPECT_EQ(ours->class_name, seed->class_name);
    EXPECT_EQ(ours->registered, seed->registered);
    EXPECT_EQ(ours->matched, seed->matched);
    EXPECT_EQ(ours->active, seed->active);
    EXPECT_EQ(ours->busy, seed->busy);
    EXPECT_FALSE(ours->busy_ms.empty()) << "the busy time is shown, as in the seed";
    // This run's own: a registry ID from the same sequence, and the object's real retain count.
    uint64_t id = 0;
    ASSERT_EQ(bench->service()->GetRegistryEntryID(&id), kIOReturnSuccess);
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(id));
    EXPECT_EQ(ours->id, hex);
    EXPECT_EQ(std::stoul(ours->retain), unsigned(bench->service()->getRetainCount()));
    // The seed's entry sits two levels down with a sibling branch beside it; ours sits under
    // IOUserResources, the sample's IOProviderClass.
    const Entry root = bench->registry();
    const Entry *resources = root.find_by_name("IOUserResources");
    ASSERT_NE(resources, nullptr);
    ASSERT_EQ(resources->children.size(), 1u);
    EXPECT_EQ(resources->children[0].name, "NetworkingDriverKitSample");
}

TEST_F(SampleRegistry, PropertiesOfTheServiceAndItsInterface) {
    run();
    const Entry root = bench->registry();
    const Entry *service = root.find_by_name("NetworkingDriverKitSample");
    ASSERT_NE(service, nullptr);
    auto prop = [](const Entry &e, const char *key) {
        const auto *v = e.properties.find(key);
        return v ? format_value(*v) : std::string("<none>");
    };
    // The matched personality.
    EXPECT_EQ(prop(*service, "IOUserClass"), "\"NetworkingDriverKitSample\"");
    EXPECT_EQ(prop(*service, "IOProviderClass"), "\"IOUserResources\"");
    EXPECT_EQ(prop(*service, "IOProbeScore"), "100000");
    EXPECT_NE(service->properties.find("IOMatchedPersonality"), nullptr);
    ASSERT_EQ(service->children.size(), 1u);
    const Entry &controller = service->children[0];
    EXPECT_EQ(prop(controller, "IOMACAddress"), "<102233445566>");
    EXPECT_EQ(prop(controller, "IOLinkStatus"), "3");
    ASSERT_EQ(controller.children.size(), 1u);
    const Entry &en0 = controller.children[0];
    EXPECT_EQ(en0.name, "en0");
    EXPECT_EQ(prop(en0, "BSD Name"), "\"en0\"");
    EXPECT_EQ(prop(en0, "IOInterfaceType"), "6");
    EXPECT_EQ(prop(en0, "IOMediaAddressLength"), "6");
    EXPECT_EQ(prop(en0, "IOMediaHeaderLength"), "14");
    EXPECT_EQ(prop(en0, "IOMaxTransferUnit"), "1500");
    // The sample's receive timer has filled RX completion: the counters say so.
    const auto &rxc = controller.properties.find("NetDextQueues")->items().at(3);
    EXPECT_EQ(format_value(*rxc.find("Queue")), "\"RxCompletion\"");
    EXPECT_NE(format_value(*rxc.find("Packets")), "0");
}

TEST_F(SampleRegistry, ArchiveReadBackWithLibplist) {
    run();
    IoregOptions options;
    options.archive = true;
    options.root = true;
    options.class_name = "IOUserNetworkEthernet";
    const std::string xml = bench->ioreg(options);
    plist_t root = nullptr;
    plist_from_xml(xml.data(), uint32_t(xml.size()), &root);
    ASSERT_NE(root, nullptr) << xml;
    ASSERT_EQ(plist_get_node_type(root), PLIST_ARRAY) << "-r: an array of subtrees";
    ASSERT_EQ(plist_array_get_size(root), 1u);
    plist_t node = plist_array_get_item(root, 0);
    char *name = nullptr;
    plist_get_string_val(plist_dict_get_item(node, "IORegistryEntryName"), &name);
    EXPECT_STREQ(name, "NetworkingDriverKitSample");
    free(name);
    uint64_t state = 0;
    plist_get_uint_val(plist_dict_get_item(node, "IOServiceState"), &state);
    EXPECT_EQ(state, 6u);
    EXPECT_NE(plist_dict_get_item(node, "IOUserClass"), nullptr) << "it matched: properties";
    plist_free(root);
    // And --json, read back.
    options.archive = false;
    options.json = true;
    netdext::registry::WireError error;
    auto entries = netdext::registry::entries_from_json(bench->ioreg(options), error);
    ASSERT_TRUE(entries) << error.message;
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ(entries->front().children.at(0).children.at(0).name, "en0");
}

// The build signs the sample (NETDEXT_SIGN_IDENTITY, or a throwaway identity in test builds):
// it verifies, runs from a trust store that trusts that key with developer mode off, and its
// CDHash is in the registry.
TEST_F(SampleRegistry, SignedAtBuildTime) {
    const std::string identity = SAMPLE_IDENTITY;
    if (identity.empty())
        GTEST_SKIP() << "built without a signing identity";
    netdext::codesign::Failure failure;
    auto code = netdext::codesign::verify_bundle(SAMPLE_DEXT_PATH, {}, failure);
    ASSERT_TRUE(code) << failure.describe(SAMPLE_DEXT_PATH);
    EXPECT_EQ(code->signature.identifier, "com.example.netdext.NetworkingDriverKitSample");
    EXPECT_TRUE(code->entitlements.granted("com.apple.developer.driverkit.family.networking"));

    const fs::path trust =
        fs::temp_directory_path() / ("netdext-sample-trust-" + std::to_string(getpid()));
    fs::remove_all(trust);
    std::string error;
    auto store = netdext::codesign::TrustStore::open(trust.string(), true, error);
    ASSERT_TRUE(store) << error;
    auto key = netdext::codesign::read_public_identity(identity + ".pub", error);
    ASSERT_TRUE(key) << error;
    ASSERT_TRUE(store->add(*key, std::nullopt, error)) << error;
    BenchOptions options;
    options.trust_dir = store->directory();
    options.allow_unsigned = false;
    run(SAMPLE_DEXT_PATH, options);
    EXPECT_EQ(bench->team_id(), code->signature.team_id);
    const Entry root = bench->registry();
    const Entry *service = root.find_by_name("NetworkingDriverKitSample");
    ASSERT_NE(service, nullptr);
    const auto *cdhash = service->properties.find("IOUserServerCDHash");
    ASSERT_NE(cdhash, nullptr);
    EXPECT_EQ(cdhash->text(), code->signature.cdhash);
    fs::remove_all(trust);
}

} // namespace
