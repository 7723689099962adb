// `netdextctl list` output against systemextensionsctl's layout (API-SYSEXT.md §2.2, §2.4).

#include <gtest/gtest.h>

#include <netdext/control/list_format.h>
#include <netdext/control/protocol.h>

using nlohmann::json;
using netdext::control::format_list;

namespace {

json extension(const std::string &id, const std::string &short_version,
               const std::string &version, const std::string &state_text, bool enabled,
               bool active) {
    return {{"identifier", id},
            {"teamID", "-"},
            {"version", {{"CFBundleVersion", version}, {"CFBundleShortVersionString", short_version}}},
            {"name", id},
            {"state_text", state_text},
            {"enabled", enabled},
            {"active", active},
            {"category", "com.apple.system_extension.driver_extension"},
            {"netdext", {{"interface", "en0"}, {"pid", 1234}, {"crashes", 0}, {"driver", "running"}}}};
}

} // namespace

TEST(ListFormat, NoExtensions) {
    EXPECT_EQ(format_list(json{{"extensions", json::array()}}), "0 extension(s)\n");
    EXPECT_EQ(format_list(json::object()), "0 extension(s)\n");
}

TEST(ListFormat, TheSeedsSample) {
    json list = {{"extensions", {extension("com.example.apple-samplecode.NetworkingDriverKitSample",
                                           "1.0", "1", "activated enabled", true, true)}}};
    EXPECT_EQ(format_list(list),
              "1 extension(s)\n"
              "--- com.apple.system_extension.driver_extension\n"
              "enabled\tactive\tteamID\tbundleID (version)\tname\t[state]\n"
              "*\t*\t-\tcom.example.apple-samplecode.NetworkingDriverKitSample (1.0/1)\t"
              "com.example.apple-samplecode.NetworkingDriverKitSample\t[activated enabled]\n"
              "--- netdext\n"
              "bundleID\tinterface\tpid\tcrashes\tdriver\n"
              "com.example.apple-samplecode.NetworkingDriverKitSample\ten0\t1234\t0\trunning\n");
}

TEST(ListFormat, MarksFollowTheState) {
    json waiting = extension("com.example.B", "1.1", "2", "activated waiting for user", false, true);
    waiting["netdext"] = {{"interface", ""}, {"pid", 0}, {"crashes", 0}, {"driver", "-"}};
    json upgrading =
        extension("com.example.A", "1.0", "1", "terminating for upgrade via delegate", false, false);
    upgrading["ephemeral"] = true;
    std::string text = format_list(json{{"extensions", {waiting, upgrading}}});
    EXPECT_NE(text.find("2 extension(s)\n"), std::string::npos);
    EXPECT_NE(text.find("\t*\t-\tcom.example.B (1.1/2)\tcom.example.B\t[activated waiting for user]\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\n\t\t-\tcom.example.A (1.0/1)\tcom.example.A\t[terminating for upgrade "
                        "via delegate]\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("com.example.B\t-\t-\t0\t-\n"), std::string::npos) << text;
    EXPECT_NE(text.find("com.example.A\ten0\t1234\t0\trunning (--run)\n"), std::string::npos);
}

TEST(ListFormat, ACategoryArgument) {
    json list = {{"extensions", {extension("com.example.A", "1.0", "1", "activated enabled", true, true)}}};
    EXPECT_EQ(format_list(list, "com.apple.system_extension.network_extension"),
              "Category: com.apple.system_extension.network_extension\n0 extension(s)\n");
    EXPECT_EQ(format_list(list, "com.apple.system_extension.driver_extension")
                  .rfind("Category: com.apple.system_extension.driver_extension\n1 extension(s)\n", 0),
              0u);
}

TEST(Protocol, LinesAreSplitAndBounded) {
    std::string buffer = "{\"a\":1}\n{\"b\"";
    std::vector<std::string> lines;
    EXPECT_TRUE(netdext::control::split_lines(buffer, [&](std::string_view l) { lines.emplace_back(l); }));
    EXPECT_EQ(lines, std::vector<std::string>{"{\"a\":1}"});
    EXPECT_EQ(buffer, "{\"b\"");
    std::string huge(netdext::control::kMaxMessageBytes + 1, 'x');
    EXPECT_FALSE(netdext::control::split_lines(huge, [](std::string_view) {}));
}

TEST(Protocol, ErrorsDescribeThemselves) {
    json failed = netdext::control::make_event(3, "failed", true);
    failed["error"] = netdext::control::make_error(netdext::control::kSystemExtensionsDomain, 9,
                                                   "ValidationFailed", "bad");
    EXPECT_EQ(netdext::control::describe_error(failed), "ValidationFailed (9): bad");
    EXPECT_EQ(netdext::control::describe_error(json::object()), "");
}
