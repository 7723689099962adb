// The SystemExtensions client library against a fake netdextd: what each request sends, and which
// delegate calls each answer becomes, on which queue, in which order.

#include <gtest/gtest.h>

#include "support/fake_daemon.h"
#include "temp_dir.h"
#include "wait_until.h"

#include <SystemExtensions/SystemExtensions.h>
#include <netdext/control/protocol.h>
#include <netdext/sysext/interfaces.h>

#include <atomic>
#include <mutex>

using netdext::testing::FakeDaemon;
using nlohmann::json;
using Action = OSSystemExtensionRequest::ReplacementAction;

namespace {

static_assert(long(OSSystemExtensionReplacementActionCancel) == 0);
static_assert(long(OSSystemExtensionReplacementActionReplace) == 1);
static_assert(long(OSSystemExtensionRequestCompleted) == 0);
static_assert(long(OSSystemExtensionRequestWillCompleteAfterReboot) == 1);
static_assert(OSSystemExtensionErrorUnknown == 1 && OSSystemExtensionErrorMissingEntitlement == 2 &&
              OSSystemExtensionErrorUnsupportedParentBundleLocation == 3 &&
              OSSystemExtensionErrorExtensionNotFound == 4 &&
              OSSystemExtensionErrorExtensionMissingIdentifier == 5 &&
              OSSystemExtensionErrorDuplicateExtensionIdentifer == 6 &&
              OSSystemExtensionErrorUnknownExtensionCategory == 7 &&
              OSSystemExtensionErrorCodeSignatureInvalid == 8 &&
              OSSystemExtensionErrorValidationFailed == 9 &&
              OSSystemExtensionErrorForbiddenBySystemPolicy == 10 &&
              OSSystemExtensionErrorRequestCanceled == 11 &&
              OSSystemExtensionErrorRequestSuperseded == 12 &&
              OSSystemExtensionErrorAuthorizationRequired == 13);

const std::string kId = "com.example.MyDriver";
const std::string kApp = "/opt/Applications/MyInstaller.app";

json extension(const std::string &version, const std::string &state) {
    return {
        {"identifier", kId},
        {"teamID", "-"},
        {"version", {{"CFBundleVersion", version}, {"CFBundleShortVersionString", "1." + version}}},
        {"state", state},
        {"state_text",
         state == "activated_enabled" ? "activated enabled" : "activated waiting for user"},
        {"enabled", state == "activated_enabled"},
        {"active", true},
        {"awaiting_user_approval", state != "activated_enabled"},
        {"uninstalling", false},
        {"url", "/var/lib/netdext/extensions/U/" + kId + ".dext"},
        {"netdext", {{"interface", "en3"}, {"pid", 0}}}};
}

// Records every delegate call as a line, checking that it runs on the request's queue.
class Recorder : public OSSystemExtensionRequestDelegate {
public:
    explicit Recorder(std::shared_ptr<netdext::sysext::DispatchQueue> queue)
        : m_queue(std::move(queue)) {}
    Action answer = Action::replace;
    std::vector<OSSystemExtensionProperties> found, replacing;

    Action actionForReplacingExtension(OSSystemExtensionRequest &,
                                       const OSSystemExtensionProperties &existing,
                                       const OSSystemExtensionProperties &ext) override {
        record("replace? " + existing.bundleVersion() + " -> " + ext.bundleVersion());
        std::lock_guard lock(m_mutex);
        replacing = {existing, ext};
        return answer;
    }
    void requestNeedsUserApproval(OSSystemExtensionRequest &r) override {
        record("needs approval " + r.identifier());
    }
    void didFinishWithResult(OSSystemExtensionRequest &,
                             OSSystemExtensionRequest::Result result) override {
        record("finished " + std::to_string(long(result)));
    }
    void didFailWithError(OSSystemExtensionRequest &, const NSError &error) override {
        record("failed " + error.domain() + " " + std::to_string(error.code()) + " " +
               error.codeName() + ": " + error.localizedDescription());
    }
    void foundProperties(OSSystemExtensionRequest &,
                         const std::vector<OSSystemExtensionProperties> &p) override {
        {
            std::lock_guard lock(m_mutex);
            found = p;
        }
        record("found " + std::to_string(p.size()));
    }

    std::vector<std::string> lines() {
        std::lock_guard lock(m_mutex);
        return m_lines;
    }
    bool wait_lines(size_t n) {
        return netdext::testing::wait_until([&] { return lines().size() >= n; });
    }
    bool off_queue() const { return m_off_queue; }

private:
    void record(std::string line) {
        if (!m_queue->on_queue())
            m_off_queue = true;
        std::lock_guard lock(m_mutex);
        m_lines.push_back(std::move(line));
    }
    std::shared_ptr<netdext::sysext::DispatchQueue> m_queue;
    std::mutex m_mutex;
    std::vector<std::string> m_lines;
    std::atomic<bool> m_off_queue{false};
};

struct Client : public ::testing::Test {
    netdext::testing::TempDir temp{"netdext-sysext"};
    FakeDaemon daemon{(temp.path() / "netdextd.sock").string()};
    OSSystemExtensionManager manager{{daemon.socket_path(), kApp}};
    std::shared_ptr<netdext::sysext::DispatchQueue> queue =
        netdext::sysext::DispatchQueue::create("test.delegate");
    std::shared_ptr<Recorder> delegate = std::make_shared<Recorder>(queue);

    std::shared_ptr<OSSystemExtensionRequest> submit(OSSystemExtensionRequest::Kind kind) {
        using K = OSSystemExtensionRequest::Kind;
        auto request = kind == K::activation
                           ? OSSystemExtensionRequest::activationRequestForExtension(kId, queue)
                       : kind == K::deactivation
                           ? OSSystemExtensionRequest::deactivationRequestForExtension(kId, queue)
                           : OSSystemExtensionRequest::propertiesRequestForExtension(kId, queue);
        request->setDelegate(delegate);
        manager.submitRequest(request);
        return request;
    }
};

} // namespace

TEST_F(Client, AnActivationWaitsForApprovalThenCompletes) {
    std::optional<FakeDaemon::Reply> pending;
    daemon.on("activate", [&](const json &, const FakeDaemon::Reply &reply) {
        // Kept before the event goes out: the test uses it as soon as the delegate has heard.
        pending = reply;
        reply.event("needs_user_approval",
                    {{"extension", extension("1", "activated_waiting_for_user")}});
    });
    submit(OSSystemExtensionRequest::Kind::activation);
    ASSERT_TRUE(delegate->wait_lines(1));
    EXPECT_EQ(delegate->lines()[0], "needs approval " + kId);
    auto sent = daemon.requests("activate");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0]["path"], kApp); // the app's own bundle
    EXPECT_EQ(sent[0]["identifier"], kId);
    EXPECT_EQ(sent[0]["replacement"], "ask"); // the delegate decides
    EXPECT_EQ(sent[0]["protocol"], netdext::control::kProtocolVersion);
    // The administrator approves, later.
    pending->completed({{"result", 0}, {"extension", extension("1", "activated_enabled")}});
    ASSERT_TRUE(delegate->wait_lines(2));
    EXPECT_EQ(delegate->lines()[1], "finished 0");
    EXPECT_FALSE(delegate->off_queue());
}

TEST_F(Client, AFailureCarriesApplesDomainCodeAndTheReason) {
    daemon.on("activate", [](const json &, const FakeDaemon::Reply &reply) {
        reply.failed(3, "UnsupportedParentBundleLocation",
                     "an app that activates system extensions must be in /opt/Applications");
    });
    submit(OSSystemExtensionRequest::Kind::activation);
    ASSERT_TRUE(delegate->wait_lines(1));
    EXPECT_EQ(delegate->lines()[0],
              "failed OSSystemExtensionErrorDomain 3 UnsupportedParentBundleLocation: an app that "
              "activates system extensions must be in /opt/Applications");
    EXPECT_STREQ(OSSystemExtensionErrorCodeName(6), "DuplicateExtensionIdentifer");
    EXPECT_STREQ(OSSystemExtensionErrorCodeName(14), "");
}

TEST_F(Client, ResultOneIsWillCompleteAfterReboot) {
    daemon.on("activate", [](const json &, const FakeDaemon::Reply &reply) {
        reply.completed({{"result", 1}});
    });
    submit(OSSystemExtensionRequest::Kind::activation);
    ASSERT_TRUE(delegate->wait_lines(1));
    EXPECT_EQ(delegate->lines()[0], "finished 1");
}

TEST_F(Client, TheDelegateDecidesAReplacement) {
    std::map<uint64_t, FakeDaemon::Reply> asking; // outlive the handlers that use them
    std::mutex mutex;
    for (Action answer : {Action::cancel, Action::replace}) {
        delegate = std::make_shared<Recorder>(queue);
        delegate->answer = answer;
        daemon.on("activate", [&](const json &, const FakeDaemon::Reply &reply) {
            {
                // Kept before the question goes out: the answer may come in at once.
                std::lock_guard lock(mutex);
                asking[reply.id()] = reply;
            }
            reply.event("replacement", {{"existing", extension("1", "activated_enabled")},
                                        {"extension", extension("2", "activated_enabled")}});
        });
        daemon.on("replacement_action", [&](const json &request, const FakeDaemon::Reply &reply) {
            reply.event("result", json::object(), true);
            std::lock_guard lock(mutex);
            const FakeDaemon::Reply &activation = asking.at(request["activation"].get<uint64_t>());
            if (request["action"] == "cancel")
                activation.failed(11, "RequestCanceled", "the installed version was kept");
            else
                activation.completed({{"result", 0}});
        });
        submit(OSSystemExtensionRequest::Kind::activation);
        ASSERT_TRUE(delegate->wait_lines(2));
        auto lines = delegate->lines();
        EXPECT_EQ(lines[0], "replace? 1 -> 2");
        EXPECT_EQ(lines[1],
                  answer == Action::cancel
                      ? "failed OSSystemExtensionErrorDomain 11 RequestCanceled: the installed "
                        "version was kept"
                      : "finished 0");
        ASSERT_EQ(delegate->replacing.size(), 2u);
        EXPECT_EQ(delegate->replacing[0].bundleShortVersion(), "1.1");
        EXPECT_TRUE(delegate->replacing[0].isEnabled());
        auto answers = daemon.requests("replacement_action");
        ASSERT_FALSE(answers.empty());
        EXPECT_EQ(answers.back()["action"], answer == Action::cancel ? "cancel" : "replace");
        EXPECT_FALSE(delegate->off_queue());
    }
}

TEST_F(Client, TheDelegateIsHeldWeakly) {
    std::weak_ptr<Recorder> watch = delegate;
    daemon.on("activate", [&](const json &, const FakeDaemon::Reply &reply) {
        reply.event("replacement", {{"existing", extension("1", "activated_enabled")},
                                    {"extension", extension("2", "activated_enabled")}});
    });
    daemon.on("replacement_action", [](const json &, const FakeDaemon::Reply &reply) {
        reply.event("result", json::object(), true);
    });
    auto request = submit(OSSystemExtensionRequest::Kind::activation);
    delegate.reset(); // the app let go of it: the request does not keep it alive
    EXPECT_TRUE(watch.expired());
    EXPECT_EQ(request->delegate(), nullptr);
    // …and a replacement nobody can decide is cancelled.
    ASSERT_TRUE(netdext::testing::wait_until(
        [&] { return !daemon.requests("replacement_action").empty(); }));
    EXPECT_EQ(daemon.requests("replacement_action")[0]["action"], "cancel");
}

TEST_F(Client, APropertiesRequestFindsEveryVersion) {
    daemon.on("properties", [](const json &request, const FakeDaemon::Reply &reply) {
        EXPECT_EQ(request["identifier"], kId);
        reply.event(
            "result",
            {{"properties",
              {extension("1", "activated_enabled"), extension("2", "activated_waiting_for_user")}}},
            true);
    });
    submit(OSSystemExtensionRequest::Kind::properties);
    ASSERT_TRUE(delegate->wait_lines(1));
    EXPECT_EQ(delegate->lines()[0], "found 2");
    const auto &p = delegate->found;
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0].bundleIdentifier(), kId);
    EXPECT_EQ(p[0].bundleVersion(), "1");
    EXPECT_EQ(p[0].bundleShortVersion(), "1.1");
    EXPECT_EQ(p[0].URL(), "file:///var/lib/netdext/extensions/U/" + kId + ".dext");
    EXPECT_TRUE(p[0].isEnabled());
    EXPECT_FALSE(p[0].isAwaitingUserApproval());
    EXPECT_FALSE(p[0].isUninstalling());
    EXPECT_EQ(p[0].teamIdentifier(), "-");
    EXPECT_EQ(p[0].stateText(), "activated enabled");
    EXPECT_EQ(p[0].interfaceName(), "en3");
    EXPECT_FALSE(p[1].isEnabled());
    EXPECT_TRUE(p[1].isAwaitingUserApproval());
}

TEST_F(Client, ADeactivationNamesTheIdentifier) {
    daemon.on("deactivate", [](const json &, const FakeDaemon::Reply &reply) {
        reply.completed({{"identifier", kId}});
    });
    submit(OSSystemExtensionRequest::Kind::deactivation);
    ASSERT_TRUE(delegate->wait_lines(1));
    EXPECT_EQ(delegate->lines()[0], "finished 0");
    ASSERT_EQ(daemon.requests("deactivate").size(), 1u);
    EXPECT_EQ(daemon.requests("deactivate")[0]["identifier"], kId);
}

TEST_F(Client, RequestsShareOneConnectionAndEachGetsItsOwnAnswers) {
    daemon.on("properties", [](const json &, const FakeDaemon::Reply &reply) {
        reply.event("result", {{"properties", json::array()}}, true);
    });
    daemon.on("deactivate", [](const json &, const FakeDaemon::Reply &reply) {
        reply.failed(4, "ExtensionNotFound", "nothing to deactivate");
    });
    submit(OSSystemExtensionRequest::Kind::properties);
    submit(OSSystemExtensionRequest::Kind::deactivation);
    submit(OSSystemExtensionRequest::Kind::properties);
    ASSERT_TRUE(delegate->wait_lines(3));
    auto lines = delegate->lines();
    EXPECT_EQ(std::count(lines.begin(), lines.end(), "found 0"), 2);
    EXPECT_EQ(std::count(
                  lines.begin(), lines.end(),
                  "failed OSSystemExtensionErrorDomain 4 ExtensionNotFound: nothing to deactivate"),
              1);
    EXPECT_EQ(daemon.connections_accepted(), 1u);
}

TEST_F(Client, ALostConnectionFailsWhatIsInFlightAndTheNextRequestReconnects) {
    daemon.on("activate", [](const json &, const FakeDaemon::Reply &reply) {
        reply.event("needs_user_approval", json::object());
    });
    submit(OSSystemExtensionRequest::Kind::activation);
    ASSERT_TRUE(delegate->wait_lines(1));
    daemon.drop_connections();
    ASSERT_TRUE(delegate->wait_lines(2));
    const std::string lost = delegate->lines()[1];
    EXPECT_EQ(lost.rfind(
                  "failed NSCocoaErrorDomain 4099 : The connection to netdextd was invalidated", 0),
              0u)
        << lost;
    daemon.on("activate", [](const json &, const FakeDaemon::Reply &reply) {
        reply.completed({{"result", 0}});
    });
    submit(OSSystemExtensionRequest::Kind::activation);
    ASSERT_TRUE(delegate->wait_lines(3));
    EXPECT_EQ(delegate->lines()[2], "finished 0");
    EXPECT_EQ(daemon.connections_accepted(), 2u);
}

TEST_F(Client, WithoutNetdextdARequestFailsAsWithoutSysextd) {
    OSSystemExtensionManager nowhere({(temp.path() / "missing.sock").string(), kApp});
    auto request = OSSystemExtensionRequest::activationRequestForExtension(kId, queue);
    request->setDelegate(delegate);
    nowhere.submitRequest(request);
    ASSERT_TRUE(delegate->wait_lines(1));
    EXPECT_NE(delegate->lines()[0].find("failed NSCocoaErrorDomain 4099"), std::string::npos);
    EXPECT_NE(delegate->lines()[0].find("missing.sock"), std::string::npos) << delegate->lines()[0];
}

TEST_F(Client, AProgramOutsideAnAppHasNoExtensionsToActivate) {
    ASSERT_EQ(netdext::sysext::main_bundle_path(), ""); // this test program is no app
    OSSystemExtensionManager bare({daemon.socket_path(), ""});
    auto request = OSSystemExtensionRequest::activationRequestForExtension(kId, queue);
    request->setDelegate(delegate);
    bare.submitRequest(request);
    ASSERT_TRUE(delegate->wait_lines(1));
    EXPECT_NE(delegate->lines()[0].find("OSSystemExtensionErrorDomain 4 ExtensionNotFound"),
              std::string::npos);
    EXPECT_TRUE(daemon.requests().empty());
}

TEST_F(Client, AnExecutorOfTheAppsOwnRunsTheDelegate) {
    std::atomic<int> ran{0};
    netdext::sysext::Queue executor([&](std::function<void()> work) {
        ++ran;
        queue->async(std::move(work));
    });
    daemon.on("properties", [](const json &, const FakeDaemon::Reply &reply) {
        reply.event("result", {{"properties", json::array()}}, true);
    });
    auto request = OSSystemExtensionRequest::propertiesRequestForExtension(kId, executor);
    request->setDelegate(delegate);
    manager.submitRequest(request);
    ASSERT_TRUE(delegate->wait_lines(1));
    EXPECT_EQ(ran.load(), 1);
}

TEST_F(Client, DestroyingTheManagerFailsWhatIsInFlight) {
    auto own = std::make_unique<OSSystemExtensionManager>(
        netdext::sysext::ManagerOptions{daemon.socket_path(), kApp});
    daemon.on("activate", [](const json &, const FakeDaemon::Reply &) {}); // never answers
    auto request = OSSystemExtensionRequest::activationRequestForExtension(kId, queue);
    request->setDelegate(delegate);
    own->submitRequest(request);
    ASSERT_TRUE(netdext::testing::wait_until([&] { return !daemon.requests("activate").empty(); }));
    own.reset();
    ASSERT_TRUE(delegate->wait_lines(1));
    EXPECT_NE(delegate->lines()[0].find("4099"), std::string::npos);
}

TEST_F(Client, DriverStatusListsTheInterfaces) {
    daemon.on("status", [](const json &request, const FakeDaemon::Reply &reply) {
        EXPECT_EQ(request["identifier"], kId);
        reply.event(
            "result",
            {{"daemon_pid", 1},
             {"dexts",
              {{{"bundle_id", kId},
                {"state", "running"},
                {"interface", {{"name", "en0"}, {"carrier", true}, {"mtu", 1500}, {"ifindex", 7}}}},
               {{"bundle_id", "com.example.Other"}, {"state", "running"}}}}},
            true);
    });
    std::string error;
    auto drivers = netdext::sysext::driver_status(kId, error, daemon.socket_path());
    ASSERT_TRUE(drivers) << error;
    ASSERT_EQ(drivers->size(), 1u);
    EXPECT_EQ((*drivers)[0].state, "running");
    ASSERT_EQ((*drivers)[0].interfaces.size(), 1u);
    EXPECT_EQ((*drivers)[0].interfaces[0].name, "en0");
    EXPECT_TRUE((*drivers)[0].interfaces[0].carrier);
    EXPECT_EQ((*drivers)[0].interfaces[0].mtu, 1500u);
    EXPECT_FALSE(netdext::sysext::driver_status(kId, error, (temp.path() / "none.sock").string()));
    EXPECT_NE(error.find("none.sock"), std::string::npos);
}
