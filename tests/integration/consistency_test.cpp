// netdextd's promises about consistency and refusals (issue 8): a daemon killed at any
// crash-injection point restarts into the old state or the new one with no orphaned files or
// processes; bad bundles and bad requests get one clear line, a non-zero exit and no change;
// permissions; one daemon per state directory; systemd readiness; exit statuses.

#include "bad_bundles.h"
#include "service_support.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

using namespace std::chrono_literals;
using namespace netdext::testing;
using nlohmann::json;

namespace {

constexpr int kCrashExitCode = 86; // daemon/extensions/crash_points.h

struct CrashCase {
    const char *point;
    const char *operation; // activate, approve, replace, uninstall
    bool reaches_new_state;
};

// ctest lists the cases by point, not as bytes.
void PrintTo(const CrashCase &c, std::ostream *os) { *os << c.point; }

class CrashPoint : public Service, public ::testing::WithParamInterface<CrashCase> {};

} // namespace

// Each point: set up with a normal daemon, do the operation with a daemon armed to _exit at the
// point, then check what a normal daemon finds: exactly the old or the new state, every staged
// copy belonging to a record and the reverse, and no driver process but those it started.
TEST_P(CrashPoint, TheRestartedDaemonIsInTheOldOrTheNewState) {
    const CrashCase &c = GetParam();
    const std::string op = c.operation;
    up();
    if (op != "approve")
        developer(true);
    if (op == "replace" || op == "uninstall") {
        ASSERT_TRUE(ctl("activate " + sample()).ok());
    }
    if (op == "approve") {
        ASSERT_TRUE(ctl("activate --no-wait " + sample()).ok());
    }
    const std::vector<std::string> old_rows = rows();
    daemon.stop();

    up({}, {std::string("NETDEXT_CRASH_AT=") + c.point});
    std::string command = op == "activate"  ? "activate " + sample()
                          : op == "replace" ? "activate " + sample_version("2", "2.0")
                          : op == "approve" ? std::string("approve ") + kSampleId
                                            : std::string("uninstall ") + kSampleTeam + " " +
                                                  kSampleId;
    auto r = ctl(command);
    EXPECT_NE(r.exit_code, 0) << "the request finished although the daemon was to crash: " << r.output;
    auto status = daemon.wait_exit(10s);
    ASSERT_TRUE(status.has_value()) << "netdextd did not reach " << c.point;
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == kCrashExitCode) << *status;
    ASSERT_TRUE(daemon.log_contains(std::string("crash injection: _exit at ") + c.point));
    // The drivers die with the daemon (PR_SET_PDEATHSIG); its interfaces with its fds.
    EXPECT_TRUE(daemon.wait_for([&] { return hosts().empty(); }, 5s)) << hosts().size();

    up();
    std::vector<std::string> expected;
    if (c.reaches_new_state) {
        if (op == "activate" || op == "approve")
            expected = {std::string(kSampleId) + " 1 activated_enabled"};
        else if (op == "replace")
            expected = {std::string(kSampleId) + " 2 activated_enabled"};
    } else {
        expected = old_rows;
    }
    EXPECT_EQ(rows(), expected) << c.point;
    EXPECT_EQ(staged(), recorded()) << "orphaned or missing staged copies after " << c.point;
    EXPECT_FALSE(std::filesystem::exists(daemon.state_dir() + "/db.json.tmp"));
    const bool runs = !expected.empty() && expected[0].ends_with("activated_enabled");
    if (runs) {
        ASSERT_TRUE(daemon.wait_for([&] { return has_link("en0") && hosts().size() == 1; }));
    } else {
        EXPECT_FALSE(has_link("en0"));
        EXPECT_TRUE(hosts().empty());
    }
}

INSTANTIATE_TEST_SUITE_P(
    Points, CrashPoint,
    ::testing::Values(CrashCase{"db-written", "activate", false},
                      CrashCase{"activate-staged", "activate", false},
                      CrashCase{"activate-committed", "activate", true},
                      CrashCase{"approve-committed", "approve", true},
                      CrashCase{"replace-staged", "replace", false},
                      CrashCase{"replace-committed", "replace", true},
                      CrashCase{"replace-old-stopped", "replace", true},
                      CrashCase{"uninstall-committed", "uninstall", true},
                      CrashCase{"uninstall-stopped", "uninstall", true},
                      CrashCase{"uninstall-files-removed", "uninstall", true}),
    [](const auto &info) {
        std::string name = info.param.point;
        std::erase(name, '-');
        return name;
    });

TEST_F(Service, EveryBadBundleGetsOneLineANonZeroExitAndChangesNothing) {
    up();
    developer(true);
    auto bad = bad_bundles();
    // Beyond validation: a FIFO deep inside is found when the bundle is copied.
    bad.push_back({"a FIFO inside the bundle", 9, "Resources/pipe: a FIFO, not a regular file",
                   [](const std::filesystem::path &root, const std::filesystem::path &good) {
                       DextVariant v(good, root / "fifoinside/X.dext");
                       std::filesystem::create_directories(v.path() / "Resources");
                       mkfifo((v.path() / "Resources/pipe").c_str(), 0644);
                       return std::pair<std::string, std::string>{v.str(), ""};
                   }});
    ASSERT_GE(bad.size(), 15u);
    const std::string db_before = daemon.request({{"request", "list"}}).dump();
    for (const BadBundle &kind : bad) {
        auto [path, identifier] = kind.make(work.path(), sample());
        auto r = ctl("activate '" + path + "' " + identifier);
        EXPECT_EQ(r.exit_code, 1) << kind.name << ": " << r.output;
        EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << kind.name << ": " << r.output;
        EXPECT_TRUE(r.output.starts_with("netdextctl: activation request for ")) << r.output;
        EXPECT_NE(r.output.find("(" + std::to_string(kind.code) + "): "), std::string::npos)
            << kind.name << ": " << r.output;
        EXPECT_NE(r.output.find(kind.words), std::string::npos) << kind.name << ": " << r.output;
    }
    EXPECT_EQ(daemon.request({{"request", "list"}}).dump(), db_before);
    EXPECT_TRUE(staged().empty());
    EXPECT_TRUE(hosts().empty());
    EXPECT_TRUE(daemon.daemon_alive());
    // Bad requests, likewise.
    for (const char *request : {"approve com.example.nothing", "deactivate com.example.nothing",
                                "restart com.example.nothing", "uninstall - com.example.nothing",
                                "boot-args --extension com.example.nothing x=1",
                                "boot-args \"$(printf 'a\\tb')\""}) {
        auto r = ctl(request);
        EXPECT_EQ(r.exit_code, 1) << request << ": " << r.output;
        EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << request << ": " << r.output;
    }
    auto relative = daemon.request({{"request", "activate"}, {"path", "relative/X.dext"}});
    EXPECT_EQ(relative["error"]["code"], 4);
}

TEST_F(Service, AnUnprivilegedUserCanListButNotChange) {
    up({"--admin-group", "users"});
    const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups " +
                                  netdextctl_path() + " --socket " + daemon.socket_path() + " ";
    const std::string as_user = "setpriv --reuid=65534 --regid=65534 --groups=users " +
                                netdextctl_path() + " --socket " + daemon.socket_path() + " ";
    auto r = daemon.sh(as_nobody + "list");
    EXPECT_TRUE(r.ok()) << r.output;
    EXPECT_EQ(r.output, "0 extension(s)\n");
    r = daemon.sh(as_nobody + "activate " + sample());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.output, "netdextctl: activation request for " + sample() +
                            " failed: AuthorizationRequired (13): activate needs root or "
                            "membership of the group users (you are uid 65534, not in users)\n");
    r = daemon.sh(as_nobody + "developer on");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_TRUE(extensions().empty());
    // A member of the admin group activates, but only root approves.
    r = daemon.sh(as_user + "activate --no-wait " + sample());
    EXPECT_TRUE(r.ok()) << r.output;
    r = daemon.sh(as_user + "approve " + kSampleId);
    EXPECT_EQ(r.output, "netdextctl: approve failed: AuthorizationRequired (13): approve needs "
                        "root: it is the user's Allow in System Settings (you are uid 65534)\n");
    // The process that asked cannot approve itself, not even as root.
    std::string error;
    auto client = netdext::control::Client::connect(daemon.socket_path(), error);
    ASSERT_TRUE(client) << error;
    client->send({{"request", "activate"}, {"path", sample()}}, error);
    auto waiting = client->receive(10s, error);
    ASSERT_TRUE(waiting && (*waiting)["event"] == "needs_user_approval") << error;
    auto self = client->call({{"request", "approve"}, {"identifier", kSampleId}}, error);
    ASSERT_TRUE(self) << error;
    EXPECT_EQ((*self)["error"]["reason"],
              "the process that asked to activate " + std::string(kSampleId) + " cannot approve it");
    // Someone else (root) can; the waiting request then completes.
    EXPECT_TRUE(ctl(std::string("approve ") + kSampleId).ok());
    auto completed = client->receive(10s, error);
    ASSERT_TRUE(completed) << error;
    EXPECT_EQ((*completed)["event"], "completed");
    EXPECT_EQ((*completed)["result"], 0);
    EXPECT_TRUE(daemon.sh(as_nobody + "status").ok());
}

TEST_F(Service, ASecondDaemonIsRefused) {
    up();
    auto second = daemon.sh(netdextd_path() + " --host " + host_path() + " --state-dir " +
                            daemon.state_dir() + " --socket " + work.path().string() +
                            "/other.sock --log stderr --config /dev/null 2>&1");
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_EQ(second.output, "netdextd: another netdextd (pid " +
                                 std::to_string(daemon.request({{"request", "version"}})["pid"].get<int>()) +
                                 ") is using the state directory " + daemon.state_dir() + "\n");
    second = daemon.sh(netdextd_path() + " --host " + host_path() + " --state-dir " +
                       work.path().string() + "/state2 --socket " + daemon.socket_path() +
                       " --log stderr --config /dev/null 2>&1");
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_EQ(second.output, "netdextd: another netdextd is serving " + daemon.socket_path() + "\n");
    EXPECT_TRUE(daemon.daemon_alive());
}

TEST_F(Service, StartUpErrorsComeBeforeAnythingStarts) {
    const std::string base = netdextd_path() + " --host " + host_path() + " --socket " +
                             work.path().string() + "/x.sock --log stderr --config /dev/null ";
    struct Case {
        std::string arguments, message;
    } cases[] = {
        {"--state-dir /tmp", "--state-dir /tmp: must belong to uid 0 and not be writable by group or others"},
        {"--run " + sample() + " --prefix 'e n'", "--prefix e n: not a usable interface name prefix"},
        {"--run " + sample() + " --capture /tmp", "--capture /tmp: must belong to uid 0 and not be writable by group or others"},
        {"--run " + work.path().string() + "/none.dext", "No such file or directory"},
    };
    for (const Case &c : cases) {
        auto r = daemon.sh(base + c.arguments + " 2>&1");
        EXPECT_EQ(r.exit_code, 1) << c.arguments << ": " << r.output;
        EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
        EXPECT_FALSE(std::filesystem::exists(work.path() / "x.sock"));
    }
    EXPECT_FALSE(has_link("en0"));
}

TEST_F(Service, RunWhoseEveryDriverFailedExitsNonZero) {
    DextVariant broken(sample(), work.path() / "broken/Broken.dext");
    broken.identifier("com.example.netdext.Broken");
    // A personality whose class the driver does not have: Start never happens.
    std::string plist;
    {
        std::ifstream in(broken.path() / "Info.plist");
        plist.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    auto at = plist.find("<string>NetworkingDriverKitSample</string>", plist.find("IOUserClass"));
    ASSERT_NE(at, std::string::npos);
    plist.replace(at, 42, "<string>NoSuchDriverClassHere</string>");
    std::ofstream(broken.path() / "Info.plist", std::ios::trunc) << plist;
    std::string error;
    ASSERT_TRUE(daemon.start(DaemonRun{broken.str(), "", {}, false}, error)) << error;
    ASSERT_TRUE(daemon.wait_for([&] { return daemon.dext().value("host_running", true) == false; }));
    daemon.stop();
    ASSERT_TRUE(daemon.exit_status());
    EXPECT_TRUE(WIFEXITED(*daemon.exit_status()) && WEXITSTATUS(*daemon.exit_status()) == 1)
        << daemon.log();
    // …while a daemon whose driver ran exits 0.
    ASSERT_TRUE(daemon.start(DaemonRun{sample(), "", {}}, error)) << error;
    daemon.stop();
    EXPECT_TRUE(WIFEXITED(*daemon.exit_status()) && WEXITSTATUS(*daemon.exit_status()) == 0);
}

TEST_F(Service, SystemdHearsReadyReloadingAndStopping) {
    const std::string path = work.path().string() + "/notify.sock";
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    std::string heard;
    auto hear = [&](const std::string &what) {
        return wait_until([&] {
            char buffer[512];
            ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0)
                heard += std::string(buffer, size_t(n)) + "\n";
            return heard.find(what) != std::string::npos;
        });
    };
    up({}, {"NOTIFY_SOCKET=" + path});
    EXPECT_TRUE(hear("READY=1")) << heard;
    heard.clear();
    kill(daemon.daemon_pid(), SIGHUP);
    EXPECT_TRUE(hear("RELOADING=1") && hear("READY=1")) << heard;
    EXPECT_TRUE(daemon.wait_for([&] { return daemon.log_contains("reloaded: admin group netdext"); }));
    EXPECT_TRUE(daemon.daemon_alive());
    kill(daemon.daemon_pid(), SIGTERM);
    EXPECT_TRUE(hear("STOPPING=1")) << heard;
    close(fd);
}
