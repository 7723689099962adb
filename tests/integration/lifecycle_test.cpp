// The system-extension lifecycle through netdextctl against a real netdextd service (issue 8):
// every verb, every state transition, replacement keeping the interface and its addresses,
// restarts of the daemon, deleting the app, boot-args. Root, in namespaces the tests create.

#include "service_support.h"

#include <sys/wait.h>

using namespace std::chrono_literals;
using namespace netdext::testing;
using nlohmann::json;

namespace {

std::string host_cmdline(pid_t pid) {
    std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
    for (char &c : text)
        if (c == '\0')
            c = ' ';
    return text;
}

bool contains(const std::string &text, const std::string &piece) {
    return text.find(piece) != std::string::npos;
}

} // namespace

TEST_F(Service, EveryVerbAndTransition) {
    up();
    Watch watch(daemon);
    auto r = ctl("list");
    EXPECT_EQ(r.output, "0 extension(s)\n");
    EXPECT_EQ(ctl("developer").output, "Developer mode is off\n");

    // activate → waiting for user (developer mode off): the request says so and returns.
    r = ctl("activate --no-wait " + sample());
    ASSERT_TRUE(r.ok()) << r.output;
    EXPECT_TRUE(contains(r.output, "needs user approval")) << r.output;
    r = ctl("list");
    EXPECT_TRUE(contains(r.output, "1 extension(s)\n--- com.apple.system_extension.driver_extension\n"
                                   "enabled\tactive\tteamID\tbundleID (version)\tname\t[state]\n"
                                   "\t*\t" + std::string(kSampleTeam) +
                                   "\tcom.example.netdext.NetworkingDriverKitSample (1.0/1)\t"
                                   "NetworkingDriverKitSample\t[activated waiting for user]\n"))
        << r.output;
    EXPECT_FALSE(has_link("en0"));
    EXPECT_TRUE(watch.saw(kSampleId, "activated_waiting_for_user"));

    // approve → enabled: the driver starts and en0 appears.
    r = ctl(std::string("approve ") + kSampleId);
    ASSERT_TRUE(r.ok()) << r.output;
    EXPECT_TRUE(contains(r.output, "approved " + std::string(kSampleId) + " (1.0/1) [activated enabled]"));
    ASSERT_TRUE(daemon.wait_for([&] { return has_link("en0"); }));
    r = ctl("list");
    EXPECT_TRUE(contains(r.output, "*\t*\t" + std::string(kSampleTeam) +
                                       "\tcom.example.netdext.NetworkingDriverKitSample (1.0/1)\t"
                                       "NetworkingDriverKitSample\t[activated enabled]\n"))
        << r.output;
    EXPECT_TRUE(contains(r.output, std::string(kSampleId) + "\ten0\t")) << r.output;
    EXPECT_TRUE(watch.saw(kSampleId, "activated_enabled"));

    // The same version again: nothing to do, and it says so.
    r = ctl("activate " + sample());
    EXPECT_TRUE(r.ok() && contains(r.output, "is already activated")) << r.output;

    // status, properties, version, log.
    r = ctl(std::string("status ") + kSampleId);
    EXPECT_TRUE(contains(r.output, std::string(kSampleId) + ": running, pid ")) << r.output;
    json properties = json::parse(ctl(std::string("properties ") + kSampleId).output, nullptr, false);
    ASSERT_TRUE(properties.is_array() && properties.size() == 1) << properties;
    EXPECT_EQ(properties[0]["state"], "activated_enabled");
    EXPECT_EQ(properties[0]["enabled"], true);
    EXPECT_EQ(properties[0]["awaiting_user_approval"], false);
    EXPECT_TRUE(contains(ctl("version").output, "(protocol 1, pid "));
    EXPECT_TRUE(contains(ctl(std::string("log ") + kSampleId).output, "approved " + std::string(kSampleId)));

    // boot-args: system-wide and the extension's own, read by the driver when it starts again.
    ASSERT_TRUE(ctl("boot-args \"ndks-debug=1 x=1\"").ok());
    ASSERT_TRUE(ctl(std::string("boot-args --extension ") + kSampleId + " x=2").ok());
    r = ctl("boot-args");
    EXPECT_TRUE(contains(r.output, "boot-args: \"ndks-debug=1 x=1\"\n" + std::string(kSampleId) +
                                       ": \"x=2\"")) << r.output;
    const int index = ifindex("en0");
    const pid_t before = host_pid(kSampleId);
    ASSERT_TRUE(ctl(std::string("restart ") + kSampleId).ok());
    ASSERT_TRUE(daemon.wait_for([&] { return host_pid(kSampleId) > 0 && host_pid(kSampleId) != before; }));
    // The pid is known from the clone on; the command line is netdext-host's once it has exec'd.
    EXPECT_TRUE(daemon.wait_for([&] {
        return contains(host_cmdline(host_pid(kSampleId)), "--boot-args ndks-debug=1 x=1 x=2");
    })) << host_cmdline(host_pid(kSampleId));
    EXPECT_EQ(ifindex("en0"), index); // the interface outlived the process

    // deactivate: the driver stops, the interface and the files go.
    r = ctl(std::string("deactivate ") + kSampleId);
    ASSERT_TRUE(r.ok()) << r.output;
    EXPECT_FALSE(has_link("en0"));
    EXPECT_EQ(ctl("list").output, "0 extension(s)\n");
    EXPECT_TRUE(staged().empty());
    EXPECT_TRUE(hosts().empty());
    EXPECT_TRUE(watch.saw(kSampleId, "terminating_for_uninstall"));

    // Waiting records leave at once: uninstall, and replacement by another version.
    ASSERT_TRUE(ctl("activate --no-wait " + sample()).ok());
    r = ctl("activate --no-wait " + sample_version("2", "2.0"));
    ASSERT_TRUE(r.ok()) << r.output;
    EXPECT_EQ(rows(), std::vector<std::string>{std::string(kSampleId) + " 2 activated_waiting_for_user"});
    ASSERT_TRUE(ctl(std::string("uninstall ") + kSampleTeam + " " + kSampleId).ok());
    EXPECT_TRUE(extensions().empty());
    EXPECT_TRUE(staged().empty());

    // Developer mode: activation enables at once; uninstall checks the team; reset empties.
    developer(true);
    EXPECT_EQ(ctl("developer").output, "Developer mode is on\n");
    r = ctl("activate " + sample());
    ASSERT_TRUE(r.ok() && contains(r.output, "completed")) << r.output;
    ASSERT_TRUE(daemon.wait_for([&] { return has_link("en0"); }));
    r = ctl(std::string("uninstall A123456789 ") + kSampleId);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.output, "netdextctl: uninstall failed: ExtensionNotFound (4): " +
                            std::string(kSampleId) + " is installed from team " + kSampleTeam +
                            ", not A123456789\n");
    r = ctl("reset");
    ASSERT_TRUE(r.ok()) << r.output;
    EXPECT_TRUE(contains(r.output, "reset: 1 extension(s) removed"));
    EXPECT_FALSE(has_link("en0"));
    developer(false);
    r = ctl("reset");
    EXPECT_EQ(r.output, "netdextctl: reset failed: ForbiddenBySystemPolicy (10): reset works only "
                        "in developer mode (netdextctl developer on)\n");
    EXPECT_EQ(r.exit_code, 1);
    r = ctl(std::string("approve ") + kSampleId);
    EXPECT_EQ(r.output, "netdextctl: approve failed: ExtensionNotFound (4): " +
                            std::string(kSampleId) + " is not installed\n");
}

TEST_F(Service, ReplacementKeepsTheInterfaceItsAddressesAndRoutes) {
    up();
    developer(true);
    ASSERT_TRUE(ctl("activate " + sample()).ok());
    ASSERT_TRUE(daemon.wait_for([&] { return has_link("en0"); }));
    ASSERT_TRUE(daemon.sh("ip addr add 17.192.170.17/24 dev en0 && ip link set en0 up && "
                          "ip route add 10.88.0.0/16 via 17.192.170.19 && "
                          "ip neigh add 17.192.170.19 lladdr 10:22:33:44:55:77 dev en0 nud permanent")
                    .ok());
    ASSERT_TRUE(daemon.wait_for([&] { return daemon.counter("tap_written_frames") >= 8; }));
    const int index = ifindex("en0");
    const pid_t old_host = host_pid(kSampleId);
    Watch watch(daemon);

    auto r = ctl("activate " + sample_version("2", "2.0"));
    ASSERT_TRUE(r.ok()) << r.output;
    EXPECT_TRUE(contains(r.output, "completed — " + std::string(kSampleId) +
                                       " (2.0/2) [activated enabled]")) << r.output;
    EXPECT_EQ(rows(), std::vector<std::string>{std::string(kSampleId) + " 2 activated_enabled"});
    EXPECT_TRUE(watch.saw(kSampleId, "terminating_for_upgrade_via_delegate"));
    EXPECT_EQ(ifindex("en0"), index);
    EXPECT_NE(host_pid(kSampleId), old_host);
    EXPECT_TRUE(contains(daemon.sh("ip -4 addr show en0").output, "17.192.170.17/24"));
    EXPECT_TRUE(contains(daemon.sh("ip route show 10.88.0.0/16").output, "via 17.192.170.19 dev en0"));
    EXPECT_TRUE(contains(daemon.sh("ip link show en0").output, ",UP"));
    EXPECT_EQ(staged().size(), 1u);
    // The new driver was told the interface is up: its echo requests reach the stack.
    const uint64_t written = daemon.counter("tap_written_frames");
    ASSERT_TRUE(daemon.wait_for([&] { return daemon.counter("tap_written_frames") >= written + 8; }))
        << daemon.status().dump(2);
    EXPECT_TRUE(daemon.log_contains("re-attached to the kept interface en0"));

    // --no-replace keeps what is installed.
    r = ctl("activate --no-replace " + sample_version("3", "3.0"));
    EXPECT_TRUE(r.ok()) << r.output;
    EXPECT_TRUE(contains(r.output, "kept the installed " + std::string(kSampleId) + " (2.0/2)"));
    EXPECT_EQ(rows(), std::vector<std::string>{std::string(kSampleId) + " 2 activated_enabled"});

    // A client may decide (OSSystemExtensionRequestDelegate's actionForReplacingExtension).
    std::string error;
    auto client = netdext::control::Client::connect(daemon.socket_path(), error);
    ASSERT_TRUE(client) << error;
    uint64_t id = client->send({{"request", "activate"}, {"path", sample_version("3", "3.0")},
                                {"replacement", "ask"}}, error);
    auto asked = client->receive(10s, error);
    ASSERT_TRUE(asked) << error;
    EXPECT_EQ((*asked)["event"], "replacement");
    EXPECT_EQ((*asked)["existing"]["version"]["CFBundleVersion"], "2");
    EXPECT_EQ((*asked)["extension"]["version"]["CFBundleVersion"], "3");
    auto ack = client->call({{"request", "replacement_action"}, {"activation", id}, {"action", "cancel"}}, error);
    ASSERT_TRUE(ack) << error;
    auto outcome = client->receive(10s, error);
    ASSERT_TRUE(outcome) << error;
    EXPECT_EQ((*outcome)["error"]["code"], 11);
    EXPECT_EQ((*outcome)["error"]["name"], "RequestCanceled");
    EXPECT_EQ(rows(), std::vector<std::string>{std::string(kSampleId) + " 2 activated_enabled"});
}

TEST_F(Service, ARestartedDaemonBringsExtensionsBackWithTheirInterfaceNames) {
    up();
    developer(true);
    ASSERT_TRUE(ctl("activate " + sample()).ok());
    ASSERT_TRUE(daemon.wait_for([&] { return has_link("en0"); }));
    ASSERT_TRUE(ctl(std::string("activate ") + APPLE_STYLE_DEXT_PATH).ok());
    ASSERT_TRUE(daemon.wait_for([&] { return has_link("en1"); }));
    // Two interfaces never share a MAC: a copy of the sample under another name is refused one.
    DextVariant twin(sample(), work.path() / "twin/Twin.dext");
    twin.identifier("com.example.netdext.Twin");
    ASSERT_TRUE(ctl("activate " + twin.str()).ok());
    ASSERT_TRUE(daemon.wait_for([&] {
        return daemon.log_contains("refused MAC 10:22:33:44:55:66: en0 of " + std::string(kSampleId) +
                                   " already has it");
    }));
    EXPECT_FALSE(has_link("en2"));
    ASSERT_TRUE(ctl("uninstall - com.example.netdext.Twin").ok());
    // en0 goes; the restarted daemon gives the other extension en1 again, not the free en0.
    ASSERT_TRUE(ctl(std::string("uninstall ") + kSampleTeam + " " + kSampleId).ok());
    const auto stopping = std::chrono::steady_clock::now();
    daemon.stop();
    const auto stopped_in = std::chrono::steady_clock::now() - stopping;
    std::printf("netdextd stopped %.0f ms after SIGTERM\n",
                std::chrono::duration<double, std::milli>(stopped_in).count());
    EXPECT_LT(stopped_in, 1s);
    ASSERT_TRUE(daemon.exit_status().has_value());
    EXPECT_TRUE(WIFEXITED(*daemon.exit_status()) && WEXITSTATUS(*daemon.exit_status()) == 0);
    EXPECT_FALSE(has_link("en1"));
    EXPECT_TRUE(hosts().empty());
    up();
    ASSERT_TRUE(daemon.wait_for([&] { return has_link("en1"); }));
    EXPECT_FALSE(has_link("en0"));
    EXPECT_EQ(rows(), std::vector<std::string>{"com.example.netdext.AppleStyleNic 3 activated_enabled"});
}

TEST_F(Service, DeletingTheAppUninstallsItsExtensions) {
    up();
    developer(true);
    const auto app = work.path() / "Applications/Sample.app";
    DextVariant(sample(), app / "Contents/Library/SystemExtensions" / (std::string(kSampleId) + ".dext"));
    auto r = ctl("activate " + app.string());
    ASSERT_TRUE(r.ok()) << r.output;
    ASSERT_TRUE(daemon.wait_for([&] { return has_link("en0"); }));
    EXPECT_EQ(extensions()[0]["app_path"], std::filesystem::canonical(app).string());
    std::filesystem::remove_all(app);
    ASSERT_TRUE(daemon.wait_for([&] { return extensions().empty() && !has_link("en0"); }));
    EXPECT_TRUE(staged().empty());
    EXPECT_TRUE(daemon.log_contains(std::filesystem::canonical(work.path()).string() +
                                    "/Applications/Sample.app is gone: uninstalling its extension"));
}
