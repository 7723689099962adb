// The control socket end to end with the real client: framing, versions, unknown requests,
// events before the final answer, responders outliving their client, limits, permissions
// (a forked client with another uid, when the test runs as root).

#include <gtest/gtest.h>

#include "control_server.h"
#include "temp_dir.h"
#include "wait_until.h"

#include <netdext/control/client.h>

#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

using namespace netdext::control_server;
using netdext::control::Client;
using nlohmann::json;

namespace {

struct Server : public ::testing::Test {
    netdext::testing::TempDir dir{"netdext-control"};
    std::string path = (dir.path() / "run/ctl.sock").string();
    std::unique_ptr<ControlServer> server;
    std::atomic<bool> stop{false};
    std::thread loop;
    std::vector<Responder> parked; // requests answered later (server thread only)

    void SetUp() override {
        std::string error;
        server = ControlServer::create(path, error);
        ASSERT_TRUE(server) << error;
        server->handle("echo", Need::anyone, [](Request &r) { r.respond.result({{"echo", r.message}}); });
        server->handle("slow", Need::anyone, [this](Request &r) {
            r.respond.event("progress", {{"step", 1}});
            parked.push_back(r.respond);
        });
        server->handle("finish_parked", Need::anyone, [this](Request &r) {
            size_t alive = 0;
            for (Responder &p : parked) {
                alive += p.alive() ? 1 : 0;
                p.completed();
            }
            parked.clear();
            r.respond.result({{"alive", alive}});
        });
        server->handle("count_alive", Need::anyone, [this](Request &r) {
            size_t alive = 0;
            for (Responder &p : parked)
                alive += p.alive() ? 1 : 0;
            r.respond.result({{"alive", alive}});
        });
        server->handle("change", Need::admin, [](Request &r) { r.respond.completed(); });
        loop = std::thread([this] {
            while (!stop) {
                server->drain();
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        });
    }
    void TearDown() override {
        stop = true;
        loop.join();
    }
    Client client() {
        std::string error;
        auto c = Client::connect(path, error);
        EXPECT_TRUE(c) << error;
        return std::move(*c);
    }
    json call(Client &c, json request) {
        std::string error;
        auto answer = c.call(std::move(request), error);
        EXPECT_TRUE(answer) << error;
        return answer.value_or(json::object());
    }
};

} // namespace

TEST_F(Server, ARequestGetsItsFinalAnswer) {
    Client c = client();
    json answer = call(c, json{{"request", "echo"}, {"x", 5}});
    EXPECT_EQ(answer["event"], "result");
    EXPECT_EQ(answer["final"], true);
    EXPECT_EQ(answer["protocol"], 1);
    EXPECT_EQ(answer["echo"]["x"], 5);
}

TEST_F(Server, UnknownRequestsAndVersions) {
    Client c = client();
    json answer = call(c, json{{"request", "frobnicate"}});
    EXPECT_EQ(answer["error"]["name"], "UnknownRequest");
    EXPECT_EQ(answer["error"]["domain"], "netdext.control");
    // A raw line with another protocol version.
    int fd = c.fd();
    std::string line = R"({"protocol": 9, "id": 77, "request": "echo"})" "\n";
    ASSERT_EQ(write(fd, line.data(), line.size()), ssize_t(line.size()));
    std::string error;
    auto message = c.receive(std::chrono::seconds(5), error);
    ASSERT_TRUE(message) << error;
    EXPECT_EQ((*message)["id"], 77);
    EXPECT_EQ((*message)["error"]["name"], "UnsupportedProtocol");
    line = "not json\n";
    ASSERT_EQ(write(fd, line.data(), line.size()), ssize_t(line.size()));
    message = c.receive(std::chrono::seconds(5), error);
    ASSERT_TRUE(message) << error;
    EXPECT_EQ((*message)["error"]["name"], "MalformedRequest");
}

TEST_F(Server, EventsComeBeforeTheFinalAnswerAndOutliveTheClient) {
    Client c = client();
    std::string error;
    std::vector<json> events;
    uint64_t id = c.send(json{{"request", "slow"}}, error);
    ASSERT_NE(id, 0u);
    auto progress = c.receive(std::chrono::seconds(5), error);
    ASSERT_TRUE(progress) << error;
    EXPECT_EQ((*progress)["event"], "progress");
    EXPECT_EQ((*progress)["final"], false);
    // Another client finishes the parked request: the first sees "completed".
    Client other = client();
    EXPECT_EQ(call(other, json{{"request", "finish_parked"}})["alive"], 1);
    auto done = c.receive(std::chrono::seconds(5), error);
    ASSERT_TRUE(done) << error;
    EXPECT_EQ((*done)["id"], id);
    EXPECT_EQ((*done)["event"], "completed");
    // A parked request whose client left is not alive, and finishing it is harmless.
    {
        Client gone = client();
        ASSERT_NE(gone.send(json{{"request", "slow"}}, error), 0u);
        ASSERT_TRUE(gone.receive(std::chrono::seconds(5), error));
    }
    EXPECT_TRUE(netdext::testing::wait_until(
        [&] { return call(other, json{{"request", "count_alive"}})["alive"] == 0; }));
    EXPECT_EQ(call(other, json{{"request", "finish_parked"}})["alive"], 0);
}

TEST_F(Server, TooLongALineClosesTheConnection) {
    Client c = client();
    std::string huge(netdext::control::kMaxMessageBytes + 10, 'x');
    (void)!write(c.fd(), huge.data(), huge.size());
    std::string error;
    auto message = c.receive(std::chrono::seconds(5), error);
    ASSERT_TRUE(message) << error;
    EXPECT_EQ((*message)["error"]["name"], "MessageTooLong");
    EXPECT_FALSE(c.receive(std::chrono::seconds(5), error));
    EXPECT_EQ(error, "netdextd closed the connection");
}

TEST_F(Server, ASecondServerOnTheSameSocketIsRefused) {
    std::string error;
    EXPECT_FALSE(ControlServer::create(path, error));
    EXPECT_EQ(error, "another netdextd is serving " + path);
}

TEST_F(Server, AnotherUserMayReadButNotChange) {
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root to run a client as another uid";
    server->policy().set_admin_group("netdext-no-such-group-here");
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0755)); // mkdtemp made it 0700
    pid_t child = fork();
    if (child == 0) {
        if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
            _exit(10);
        std::string error;
        auto c = Client::connect(path, error);
        if (!c)
            _exit(11);
        auto read = c->call(json{{"request", "echo"}}, error);
        if (!read || (*read)["event"] != "result")
            _exit(12);
        auto change = c->call(json{{"request", "change"}}, error);
        if (!change || (*change)["error"]["code"] != 13 ||
            (*change)["error"]["reason"].get<std::string>().find("you are uid 65534") ==
                std::string::npos)
            _exit(13);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "child exit " << WEXITSTATUS(status) << " (10 setuid, 11 connect, 12 read, 13 refusal)";
    Client root = client();
    EXPECT_EQ(call(root, json{{"request", "change"}})["event"], "completed");
}
