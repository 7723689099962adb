// ioreg's text output: tree drawing, entry lines, property blocks, value formats and the flags
// (API-SYSEXT §3.1–3.3), against hand-derived expectations.

#include <netdext/registry/ioreg.h>

#include <gtest/gtest.h>

#include "tree_fixture.h"

using namespace netdext::registry;
using registry_fixture::sample_tree;

namespace {

std::string ioreg(const std::vector<std::string> &args) {
    IoregOptions options;
    std::string error;
    EXPECT_TRUE(parse_ioreg_arguments(args, options, error)) << error;
    return format(sample_tree(), options);
}

TEST(IoregText, TreeWithoutProperties) {
    EXPECT_EQ(ioreg({}),
              "+-o Root  <class IORegistryEntry, id 0x100000100, retain 3>\n"
              "  +-o IOResources  <class IOResources, id 0x100000101, registered, matched, "
              "active, busy 0, retain 2>\n"
              "  +-o IOUserResources  <class IOUserResources, id 0x100000102, registered, "
              "matched, active, busy 0 (1025 ms), retain 3>\n"
              "    +-o NetworkingDriverKitSample  <class IOUserNetworkEthernet, id 0x100028cee, "
              "registered, matched, active, busy 0 (4 ms), retain 16>\n"
              "      +-o IOSkywalkLegacyEthernet  <class IOSkywalkLegacyEthernet, id 0x100028cf0, "
              "!registered, !matched, active, busy 0, retain 8>\n"
              "      | +-o en0  <class IOSkywalkLegacyEthernetInterface, id 0x100028cf2, "
              "registered, matched, active, busy 0, retain 10>\n"
              "      +-o UserClient@1  <class IOUserUserClient, id 0x100028cf4, registered, "
              "matched, active, busy 0, retain 5>\n");
}

TEST(IoregText, PropertyBlocksFollowTheBranches) {
    // -n: only the named entry lists its properties; its block is drawn with a branch for its
    // children ("| ") and none for its siblings (it is the only child).
    const std::string out = ioreg({"-n", "NetworkingDriverKitSample"});
    EXPECT_NE(out.find("    +-o NetworkingDriverKitSample  <class IOUserNetworkEthernet, id "
                       "0x100028cee, registered, matched, active, busy 0 (4 ms), retain 16>\n"
                       "      | {\n"
                       "      |   \"IOClass\" = \"IOUserNetworkEthernet\"\n"
                       "      |   \"IOProbeScore\" = 100000\n"
                       "      |   \"IOMACAddress\" = <000c29691726>\n"
                       "      | }\n"
                       "      | \n"
                       "      +-o IOSkywalkLegacyEthernet"),
              std::string::npos)
        << out;
}

TEST(IoregText, EveryEntryListsWithDashL) {
    const std::string out = ioreg({"-l"});
    // The root: no siblings, has children.
    EXPECT_NE(out.find("+-o Root  <class IORegistryEntry, id 0x100000100, retain 3>\n"
                       "  | {\n"
                       "  | }\n"
                       "  | \n"
                       "  +-o IOResources"),
              std::string::npos)
        << out;
    // IOResources: a later sibling, no children.
    EXPECT_NE(out.find("busy 0, retain 2>\n"
                       "  |   {\n"
                       "  |     \"IOKit\" = \"IOService\"\n"
                       "  |   }\n"
                       "  |   \n"),
              std::string::npos)
        << out;
    // en0: under a controller that has a later sibling; en0 is the last child, no children.
    EXPECT_NE(out.find("      | +-o en0  <class IOSkywalkLegacyEthernetInterface, id "
                       "0x100028cf2, registered, matched, active, busy 0, retain 10>\n"
                       "      |     {\n"
                       "      |       \"BSD Name\" = \"en0\"\n"
                       "      |     }\n"
                       "      |     \n"),
              std::string::npos)
        << out;
}

TEST(IoregText, ClassMatchesTheChain) {
    // -c matches the class and its superclasses: every service conforms to IOService.
    const std::string out = ioreg({"-c", "IOService"});
    EXPECT_EQ(out.find("retain 3>\n  | {\n"), std::string::npos) << "Root is no IOService\n" << out;
    EXPECT_NE(out.find("\"BSD Name\" = \"en0\""), std::string::npos);
    EXPECT_NE(out.find("\"IOKit\" = \"IOService\""), std::string::npos);
    const std::string only = ioreg({"-c", "IOSkywalkLegacyEthernetInterface"});
    EXPECT_NE(only.find("\"BSD Name\""), std::string::npos);
    EXPECT_EQ(only.find("\"IOClass\""), std::string::npos);
}

TEST(IoregText, RootsWithDashR) {
    EXPECT_EQ(ioreg({"-r", "-c", "IOSkywalkLegacyEthernet"}),
              "+-o IOSkywalkLegacyEthernet  <class IOSkywalkLegacyEthernet, id 0x100028cf0, "
              "!registered, !matched, active, busy 0, retain 8>\n"
              "  | {\n"
              "  | }\n"
              "  | \n"
              "  +-o en0  <class IOSkywalkLegacyEthernetInterface, id 0x100028cf2, registered, "
              "matched, active, busy 0, retain 10>\n"
              "\n");
    // -t draws the path from the root first; -d counts from the subtree's root.
    EXPECT_EQ(ioreg({"-rtS", "-d1", "-n", "NetworkingDriverKitSample"}),
              "+-o Root  <class IORegistryEntry>\n"
              "  +-o IOUserResources  <class IOUserResources>\n"
              "    +-o NetworkingDriverKitSample  <class IOUserNetworkEthernet>\n"
              "        {\n"
              "          \"IOClass\" = \"IOUserNetworkEthernet\"\n"
              "          \"IOProbeScore\" = 100000\n"
              "          \"IOMACAddress\" = <000c29691726>\n"
              "        }\n"
              "        \n"
              "\n");
    EXPECT_EQ(ioreg({"-r", "-n", "nothing-has-this-name"}), "");
    EXPECT_EQ(ioreg({"-r"}), "") << "no criteria: nothing matches, as in ioreg";
}

TEST(IoregText, NameWithLocationAndKey) {
    EXPECT_NE(ioreg({"-n", "UserClient@1"}).find("  {\n"), std::string::npos);
    EXPECT_EQ(ioreg({"-n", "UserClient@2"}).find("{"), std::string::npos);
    EXPECT_NE(ioreg({"-n", "UserClient"}).find("{"), std::string::npos)
        << "without '@' the name alone is compared";
    EXPECT_EQ(ioreg({"-n", "en0@1"}).find("{"), std::string::npos)
        << "with '@', name@location is compared (en0 has no location: \"en0@\")";
    EXPECT_NE(ioreg({"-n", "en0"}).find("{"), std::string::npos);
    const std::string keyed = ioreg({"-k", "IOMACAddress"});
    EXPECT_NE(keyed.find("\"IOMACAddress\" = <000c29691726>"), std::string::npos);
    EXPECT_EQ(keyed.find("\"BSD Name\""), std::string::npos);
    // All criteria must hold.
    EXPECT_EQ(ioreg({"-k", "IOMACAddress", "-n", "en0"}).find("{"), std::string::npos);
}

TEST(IoregText, DepthLimit) {
    const std::string out = ioreg({"-d", "2"});
    EXPECT_NE(out.find("+-o IOUserResources"), std::string::npos);
    EXPECT_EQ(out.find("NetworkingDriverKitSample"), std::string::npos);
    EXPECT_EQ(ioreg({"-d", "1"}), "+-o Root  <class IORegistryEntry, id 0x100000100, retain 3>\n");
    EXPECT_EQ(ioreg({"-d", "0"}), ioreg({})) << "0 means no limit";
}

TEST(IoregText, WidthClipsWithDollar) {
    const std::string out = ioreg({"-w", "40"});
    size_t lines = 0;
    for (size_t start = 0; start < out.size();) {
        size_t end = out.find('\n', start);
        std::string line = out.substr(start, end - start);
        EXPECT_LE(line.size(), 40u) << line;
        if (line.size() == 40) {
            EXPECT_EQ(line.back(), '$') << line;
        }
        start = end + 1;
        ++lines;
    }
    EXPECT_EQ(lines, 7u);
    EXPECT_NE(out.find("+-o Root  <class IORegistryEntry, id 0x$\n"), std::string::npos) << out;
    // A line exactly one shorter than the width stays whole; one of the width is clipped.
    EXPECT_EQ(ioreg({"-w", "60", "-d", "1"}),
              "+-o Root  <class IORegistryEntry, id 0x100000100, retain 3>\n");
    EXPECT_EQ(ioreg({"-w", "59", "-d", "1"}),
              "+-o Root  <class IORegistryEntry, id 0x100000100, retain 3$\n");
}

TEST(IoregText, InheritanceAndHex) {
    const std::string out = ioreg({"-i", "-x", "-n", "NetworkingDriverKitSample"});
    EXPECT_NE(out.find("<class IORegistryEntry:IOService:IOUserNetworkEthernet, id 0x100028cee"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("\"IOProbeScore\" = 0x186a0"), std::string::npos) << out;
}

TEST(IoregText, BoldMarksTheNameOnly) {
    const std::string out = ioreg({"-b", "-d", "1", "-w", "20"});
    EXPECT_EQ(out, "+-o \x1b[1mRoot\x1b[0m  <class IO$\n");
}

// ---- values ----

TEST(IoregValues, Scalars) {
    EXPECT_EQ(format_value(Value::string("en0")), "\"en0\"");
    EXPECT_EQ(format_value(Value::number(1000000000)), "1000000000");
    EXPECT_EQ(format_value(Value::number(34915, 32), true), "0x8863");
    EXPECT_EQ(format_value(Value::number(UINT64_MAX)), "18446744073709551615");
    EXPECT_EQ(format_value(Value::boolean(true)), "Yes");
    EXPECT_EQ(format_value(Value::boolean(false)), "No");
}

TEST(IoregValues, DataAsHexOrStrings) {
    EXPECT_EQ(format_value(Value::data(std::string_view("\x00\x0c\x29\x69\x17\x26", 6))),
              "<000c29691726>");
    EXPECT_EQ(format_value(Value::data(std::string_view("io-apic-0\0", 10))), "<\"io-apic-0\">");
    EXPECT_EQ(format_value(Value::data(std::string_view("a1\0b2\0", 6))), "<\"a1\",\"b2\">");
    EXPECT_EQ(format_value(Value::data(std::string_view("abc", 3))), "<\"abc\">")
        << "the last string need not be terminated";
    EXPECT_EQ(format_value(Value::data(std::string_view("abc\0\0", 5))), "<6162630000>")
        << "an empty string is not text";
    EXPECT_EQ(format_value(Value::data(std::string_view("A", 1))), "<41>")
        << "one byte is never text";
    EXPECT_EQ(format_value(Value::data(std::string_view("io-apic\0", 8)), true),
              "<696f2d6170696300>");
    EXPECT_EQ(format_value(Value::data(std::string_view("ab\xe9\xe9", 4))), "<6162e9e9>")
        << "more than one byte in five above 127";
    EXPECT_EQ(format_value(Value::data(std::string_view("abcd\xe9", 5))), "<\"abcd\xe9\">");
    EXPECT_EQ(format_value(Value::data(std::string_view())), "<>");
}

TEST(IoregValues, Collections) {
    Value dict = Value::dictionary({{"CurrentPowerState", Value::number(1, 32)},
                                    {"Up", Value::boolean(true)}});
    EXPECT_EQ(format_value(dict), "{\"CurrentPowerState\"=1,\"Up\"=Yes}");
    EXPECT_EQ(format_value(Value::array({Value::string("io-apic-0"), Value::number(2)})),
              "(\"io-apic-0\",2)");
    EXPECT_EQ(format_value(Value::array()), "()");
    EXPECT_EQ(format_value(Value::dictionary()), "{}");
}

// ---- command line ----

TEST(IoregArguments, GetoptStyle) {
    IoregOptions o;
    std::string error;
    ASSERT_TRUE(parse_ioreg_arguments({"-lrw0", "-cIOService", "-d", "3", "-x", "--json"}, o,
                                      error))
        << error;
    EXPECT_TRUE(o.list);
    EXPECT_TRUE(o.root);
    EXPECT_EQ(o.width, 0u);
    EXPECT_EQ(o.class_name, "IOService");
    EXPECT_EQ(o.depth, 3u);
    EXPECT_TRUE(o.hex);
    EXPECT_TRUE(o.json);
}

TEST(IoregArguments, Refusals) {
    for (const std::vector<std::string> &args :
         std::vector<std::vector<std::string>>{{"-q"},
                                               {"-c"},
                                               {"-w", "wide"},
                                               {"-d", "-1"},
                                               {"-p", "IODeviceTree"},
                                               {"-a", "--json"},
                                               {"stray"}}) {
        IoregOptions o;
        std::string error;
        EXPECT_FALSE(parse_ioreg_arguments(args, o, error)) << args.front();
        EXPECT_FALSE(error.empty());
    }
    EXPECT_NE(usage_text().find("usage: ioreg [-abfilrtx]"), std::string::npos);
}

} // namespace
