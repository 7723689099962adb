// What the lifecycle tests share: a netdextd service on its own state directory in a namespace,
// the sample's identity, bundle variants, and looks at interfaces, staged copies and processes.
#pragma once

#include "daemon_fixture.h"
#include "dext_variant.h"
#include "process_list.h"
#include "temp_dir.h"
#include "wait_until.h"

#include <netdext/codesign/signature.h>
#include <netdext/control/client.h>

#include <gtest/gtest.h>

#include <dirent.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace netdext::testing {

inline constexpr const char *kSampleId = "com.example.netdext.NetworkingDriverKitSample";
// The team the build signs the sample with (samples/NetworkingDriverKitSample/CMakeLists.txt).
inline constexpr const char *kSampleTeam = SAMPLE_TEAM_ID;

struct Service : public ::testing::Test {
    DaemonFixture daemon;
    TempDir work{"netdext-lifecycle"};

    Service() { std::filesystem::permissions(work.path(), std::filesystem::perms(0755)); }

    // Starts the service, trusting the team that signed the sample (`trust = false`: nobody).
    void up(const std::vector<std::string> &args = {}, const std::vector<std::string> &env = {},
            bool trust = true) {
        std::string error;
        ASSERT_TRUE(daemon.start_service(error, args, env)) << error;
        if (trust) {
            auto r = daemon.ctl(std::string("trust add ") + SAMPLE_IDENTITY_PUB);
            ASSERT_TRUE(r.ok()) << r.output;
        }
    }
    void developer(bool on) {
        ASSERT_TRUE(daemon.ctl(std::string("developer ") + (on ? "on" : "off")).ok());
    }
    ScopedNetns::CommandResult ctl(const std::string &arguments) { return daemon.ctl(arguments); }

    nlohmann::json extensions() {
        nlohmann::json list = daemon.request({{"request", "list"}});
        return list.contains("extensions") ? list["extensions"] : nlohmann::json::array();
    }
    // "<identifier> <CFBundleVersion> <state>" per record, in database order.
    std::vector<std::string> rows() {
        std::vector<std::string> out;
        for (const nlohmann::json &e : extensions())
            out.push_back(e["identifier"].get<std::string>() + " " +
                          e["version"]["CFBundleVersion"].get<std::string>() + " " +
                          e["state"].get<std::string>());
        return out;
    }
    bool has_link(const std::string &name) { return daemon.sh("ip link show " + name).ok(); }
    int ifindex(const std::string &name) {
        auto r = daemon.sh("cat /sys/class/net/" + name + "/ifindex");
        return r.ok() ? std::stoi(r.output) : 0;
    }
    pid_t host_pid(const std::string &identifier) {
        const nlohmann::json status = daemon.status();
        for (const nlohmann::json &d : status["dexts"])
            if (d["bundle_id"] == identifier && d.value("host_running", false))
                return d["host_pid"].get<pid_t>();
        return -1;
    }
    // Entries of <state>/extensions (complete copies and anything half-made).
    std::set<std::string> staged() {
        std::set<std::string> names;
        std::error_code ec;
        for (const auto &entry :
             std::filesystem::directory_iterator(daemon.state_dir() + "/extensions", ec))
            names.insert(entry.path().filename().string());
        return names;
    }
    std::set<std::string> recorded() {
        std::set<std::string> ids;
        for (const nlohmann::json &e : extensions())
            ids.insert(e["uniqueID"].get<std::string>());
        return ids;
    }
    // netdext-host processes running a bundle from our state directory.
    std::vector<pid_t> hosts() {
        std::vector<pid_t> found;
        const std::string needle = daemon.state_dir() + "/extensions/";
        DIR *proc = opendir("/proc");
        while (struct dirent *entry = proc ? readdir(proc) : nullptr) {
            pid_t pid = pid_t(std::atoi(entry->d_name));
            if (pid <= 0)
                continue;
            const std::string cmdline =
                read_proc_file("/proc/" + std::string(entry->d_name) + "/cmdline");
            if (cmdline.find("netdext-host") != std::string::npos &&
                cmdline.find(needle) != std::string::npos)
                found.push_back(pid);
        }
        if (proc)
            closedir(proc);
        return found;
    }
    std::string sample() const { return SAMPLE_DEXT_PATH; }
    // The sample as version `bundle_version` / `short_version`, in the work directory, signed by
    // the sample's team again.
    std::string sample_version(const std::string &bundle_version, const std::string &short_version) {
        auto path = work.path() / ("v" + bundle_version) / "NetworkingDriverKitSample.dext";
        if (!std::filesystem::exists(path)) {
            DextVariant(SAMPLE_DEXT_PATH, path).version(bundle_version, short_version);
            sign(path.string());
        }
        return path.string();
    }
    // Signs `bundle` with the sample's identity (netdext-codesign -s --force).
    static void sign(const std::string &bundle) {
        std::string error;
        auto identity = codesign::Identity::read(SAMPLE_IDENTITY, error);
        ASSERT_TRUE(identity) << error;
        codesign::SignOptions options;
        options.replace = true;
        codesign::Failure failure;
        ASSERT_TRUE(codesign::sign_bundle(bundle, *identity, options, failure)) << failure.message;
    }
    void TearDown() override {
        if (HasFailure())
            std::fprintf(stderr, "--- netdextd log ---\n%s\n", daemon.log().c_str());
    }
};

// A `watch` request: collects the states every change reports, per identifier.
class Watch {
public:
    explicit Watch(const DaemonFixture &daemon) {
        std::string error;
        auto client = control::Client::connect(daemon.socket_path(), error);
        if (client) {
            m_client.emplace(std::move(*client));
            m_client->send({{"request", "watch"}}, error);
        }
    }
    // Reads what has arrived; true once `state` was seen for `identifier`.
    bool saw(const std::string &identifier, const std::string &state) {
        std::string error;
        while (m_client) {
            auto event = m_client->receive(std::chrono::milliseconds(0), error);
            if (!event)
                break;
            if ((*event)["event"] != "changed")
                continue;
            for (const nlohmann::json &e : (*event)["extensions"])
                m_seen.insert(e["identifier"].get<std::string>() + " " + e["state"].get<std::string>());
        }
        return m_seen.contains(identifier + " " + state);
    }

private:
    std::optional<control::Client> m_client;
    std::set<std::string> m_seen;
};

} // namespace netdext::testing
