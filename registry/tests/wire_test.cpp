// The registry as bytes: typed JSON round trips, ioreg -a archives read back with libplist, and
// the readers' refusals.

#include <netdext/registry/ioreg.h>
#include <netdext/registry/wire.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <plist/plist.h>

#include "tree_fixture.h"

using namespace netdext::registry;
using registry_fixture::sample_tree;

namespace {

Value every_kind() {
    return Value::dictionary(
        {{"s", Value::string("text with \"quotes\" and ünïcode")},
         {"n8", Value::number(255, 8)},
         {"n64", Value::number(UINT64_MAX)},
         {"yes", Value::boolean(true)},
         {"mac", Value::data(std::string_view("\x00\x0c\x29\x69\x17\x26", 6))},
         {"text-like-data", Value::data(std::string_view("abc\0", 4))},
         {"list", Value::array({Value::string("a"), Value::array(), Value::dictionary()})},
         {"nested", Value::dictionary({{"z", Value::number(1)}, {"a", Value::number(2)}})}});
}

TEST(RegistryJson, ValueRoundTripKeepsTypesAndOrder) {
    const Value original = every_kind();
    WireError error;
    auto back = value_from_json(to_json(original), error);
    ASSERT_TRUE(back) << error.message;
    EXPECT_EQ(*back, original);
    EXPECT_TRUE(back->find("mac")->is(Value::Type::data)) << "data must stay data";
    EXPECT_EQ(back->find("nested")->members().front().key, "z") << "key order is kept";
    // The tagged form, as documented in wire.h.
    auto json = nlohmann::json::parse(to_json(original));
    EXPECT_EQ(json["dict"]["mac"]["data"], "000c29691726");
    EXPECT_EQ(json["dict"]["n8"]["bits"], 8);
    EXPECT_EQ(json["dict"]["yes"]["bool"], true);
}

TEST(RegistryJson, EntryRoundTrip) {
    Entry tree = sample_tree();
    tree.children[1].children[0].properties.set("every", every_kind());
    WireError error;
    auto back = entry_from_json(to_json(tree, true), error);
    ASSERT_TRUE(back) << error.message;
    EXPECT_EQ(to_json(*back), to_json(tree));
    const Entry *nic = back->find_by_name("NetworkingDriverKitSample");
    ASSERT_NE(nic, nullptr);
    EXPECT_EQ(nic->id, 0x100028ceeu);
    EXPECT_EQ(nic->retain_count, 16u);
    EXPECT_EQ(nic->busy_time_ns, 4200000u);
    EXPECT_EQ(nic->inheritance(), "IORegistryEntry:IOService:IOUserNetworkEthernet");
    EXPECT_FALSE(back->is_service);
    // Formatting the parsed tree prints what the original prints.
    IoregOptions options;
    options.list = true;
    EXPECT_EQ(format_text(*back, options), format_text(tree, options));
}

TEST(RegistryJson, FormatJsonFollowsTheSelection) {
    IoregOptions options;
    options.root = true;
    options.class_name = "IOUserNetworkEthernet";
    const std::string text = format_json(sample_tree(), options);
    WireError error;
    auto roots = entries_from_json(text, error);
    ASSERT_TRUE(roots) << error.message;
    ASSERT_EQ(roots->size(), 1u);
    EXPECT_EQ(roots->front().name, "NetworkingDriverKitSample");
    EXPECT_NE(roots->front().properties.find("IOMACAddress"), nullptr) << "it matched";
    EXPECT_TRUE(roots->front().children[0].properties.members().empty()) << "not listed";
    EXPECT_TRUE(nlohmann::json::parse(text).is_array());
}

TEST(RegistryJson, RefusesWithTheLocation) {
    struct Case {
        const char *json;
        const char *message;
    };
    const Case cases[] = {
        {"", "not valid JSON"},
        {"[", "not valid JSON"},
        {R"({"number": -1})", "not an integer"},
        {R"({"number": 1.5})", "not an integer"},
        {R"({"number": 256, "bits": 8})", "wider than its bits"},
        {R"({"number": 1, "bits": 12})", "not 8, 16, 32 or 64"},
        {R"({"data": "0g"})", "not hexadecimal"},
        {R"({"data": "abc"})", "odd number"},
        {R"({"string": "a", "extra": 1})", "unknown key"},
        {R"({"date": 1})", "unknown value type"},
        {R"({"dict": {"k": {"bool": 1}}})", ".k.bool: not true or false"},
        {R"({"array": [{"string": "\u0000"}]})", "[0].string: a string with a NUL"},
        {R"("plain")", "not a typed value"},
    };
    for (const Case &c : cases) {
        WireError error;
        EXPECT_FALSE(value_from_json(c.json, error)) << c.json;
        EXPECT_NE(error.message.find(c.message), std::string::npos)
            << c.json << " → " << error.message;
    }
    std::string deep;
    for (int i = 0; i < 100; ++i)
        deep += R"({"array": [)";
    deep += R"({"bool": true})";
    for (int i = 0; i < 100; ++i)
        deep += "]}";
    WireError error;
    EXPECT_FALSE(value_from_json(deep, error));
    EXPECT_NE(error.message.find("deep"), std::string::npos) << error.message;
}

TEST(RegistryJson, EntryRefusals) {
    WireError error;
    EXPECT_FALSE(entry_from_json(R"({"name": "x"})", error));
    EXPECT_NE(error.message.find("\"class\" is missing"), std::string::npos) << error.message;
    EXPECT_FALSE(entry_from_json(
        R"({"name":"x","class":"C","id":1,"retain":1,"service":true,"state":0,"busy":0,)"
        R"("busy_time_ns":0,"children":[{"name":"y"}]})",
        error));
    EXPECT_NE(error.message.find("children[0]"), std::string::npos) << error.message;
    EXPECT_FALSE(entry_from_json(
        R"({"name":"x","class":"C","id":1,"retain":4294967296,"service":false})", error));
    EXPECT_NE(error.message.find("retain"), std::string::npos) << error.message;
}

// ---- ioreg -a ----

struct PlistFree {
    void operator()(void *p) const { plist_free(static_cast<plist_t>(p)); }
};

std::unique_ptr<void, PlistFree> parse_with_libplist(const std::string &xml) {
    plist_t root = nullptr;
    plist_from_xml(xml.data(), uint32_t(xml.size()), &root);
    return std::unique_ptr<void, PlistFree>(root);
}

uint64_t uint_of(plist_t dict, const char *key) {
    plist_t node = plist_dict_get_item(dict, key);
    EXPECT_NE(node, nullptr) << key;
    EXPECT_EQ(plist_get_node_type(node), PLIST_UINT) << key;
    uint64_t v = 0;
    if (node != nullptr)
        plist_get_uint_val(node, &v);
    return v;
}

std::string string_of(plist_t dict, const char *key) {
    plist_t node = plist_dict_get_item(dict, key);
    if (node == nullptr || plist_get_node_type(node) != PLIST_STRING)
        return "<missing>";
    char *text = nullptr;
    plist_get_string_val(node, &text);
    std::string out = text;
    free(text);
    return out;
}

TEST(IoregArchive, ParsedBackWithLibplist) {
    IoregOptions options;
    options.archive = true;
    options.list = true;
    const std::string xml = format(sample_tree(), options);
    ASSERT_EQ(xml.rfind("<?xml", 0), 0u) << xml;
    auto root = parse_with_libplist(xml);
    ASSERT_NE(root, nullptr);
    plist_t r = root.get();
    ASSERT_EQ(plist_get_node_type(r), PLIST_DICT);
    EXPECT_EQ(string_of(r, "IORegistryEntryName"), "Root");
    EXPECT_EQ(string_of(r, "IOObjectClass"), "IORegistryEntry");
    EXPECT_EQ(uint_of(r, "IORegistryEntryID"), 0x100000100u);
    EXPECT_EQ(plist_dict_get_item(r, "IOServiceState"), nullptr) << "the root is no IOService";
    plist_t children = plist_dict_get_item(r, "IORegistryEntryChildren");
    ASSERT_NE(children, nullptr);
    plist_t user = plist_array_get_item(children, 1);
    plist_t nic = plist_array_get_item(plist_dict_get_item(user, "IORegistryEntryChildren"), 0);
    EXPECT_EQ(string_of(nic, "IORegistryEntryName"), "NetworkingDriverKitSample");
    EXPECT_EQ(uint_of(nic, "IOServiceState"), 6u) << "registered (2) | matched (4)";
    EXPECT_EQ(uint_of(nic, "IOServiceBusyState"), 0u);
    EXPECT_EQ(uint_of(nic, "IOServiceBusyTime"), 4200000u);
    EXPECT_EQ(uint_of(nic, "IOObjectRetainCount"), 16u);
    plist_t mac = plist_dict_get_item(nic, "IOMACAddress");
    ASSERT_NE(mac, nullptr);
    EXPECT_EQ(plist_get_node_type(mac), PLIST_DATA);
    plist_t client = plist_array_get_item(plist_dict_get_item(nic, "IORegistryEntryChildren"), 1);
    EXPECT_EQ(string_of(client, "IORegistryEntryLocation"), "1");
}

TEST(IoregArchive, ReadBackIntoEntries) {
    IoregOptions options;
    options.archive = true;
    options.list = true;
    WireError error;
    auto entries = entries_from_archive(format(sample_tree(), options), error);
    ASSERT_TRUE(entries) << error.message;
    ASSERT_EQ(entries->size(), 1u);
    // The archive carries no class chains and no number widths; the text it prints agrees.
    IoregOptions text;
    text.list = true;
    EXPECT_EQ(format_text(entries->front(), text), format_text(sample_tree(), text));
}

TEST(IoregArchive, DashRIsAnArray) {
    IoregOptions options;
    options.archive = true;
    options.root = true;
    options.class_name = "IOService";
    auto root = parse_with_libplist(format(sample_tree(), options));
    ASSERT_NE(root, nullptr);
    ASSERT_EQ(plist_get_node_type(root.get()), PLIST_ARRAY);
    // IOResources and IOUserResources are the topmost services; matches are not searched below.
    EXPECT_EQ(plist_array_get_size(root.get()), 2u);
    // Matching entries list their properties; the archive of an unmatched one does not.
    options.class_name = "IOUserNetworkEthernet";
    WireError error;
    auto entries = entries_from_archive(format(sample_tree(), options), error);
    ASSERT_TRUE(entries) << error.message;
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_NE(entries->front().properties.find("IOProbeScore"), nullptr);
    EXPECT_EQ(entries->front().children[0].children[0].properties.find("BSD Name"), nullptr);
}

TEST(IoregArchive, ReaderRefusals) {
    WireError error;
    EXPECT_FALSE(entries_from_archive("not xml", error));
    EXPECT_FALSE(entries_from_archive("bplist00garbage", error));
    EXPECT_NE(error.message.find("not an XML"), std::string::npos) << error.message;
    const std::string no_id =
        "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>IORegistryEntryName</key>"
        "<string>x</string><key>IOObjectClass</key><string>C</string></dict></plist>";
    EXPECT_FALSE(entries_from_archive(no_id, error));
    EXPECT_NE(error.message.find("IORegistryEntryID is missing"), std::string::npos)
        << error.message;
    const std::string real =
        "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>r</key><real>1.5</real>"
        "</dict></plist>";
    EXPECT_FALSE(value_from_plist(real, error));
    EXPECT_NE(error.message.find("r: a real number"), std::string::npos) << error.message;
}

} // namespace
