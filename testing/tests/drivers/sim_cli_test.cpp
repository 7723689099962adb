// netdext-sim from the command line: DriverKit's entitlement rules before the driver runs (and
// --no-entitlement-check), signatures (a changed file is refused, --require-signature refuses
// unsigned bundles), and --ioreg's registry.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct Outcome {
    int status = -1;
    std::string out, err;
};

class SimCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("netdext-sim-cli-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        fs::copy(APPLE_STYLE_NIC_DEXT, dext(), fs::copy_options::recursive);
        fs::remove_all(dext() / "_CodeSignature");
    }
    void TearDown() override { fs::remove_all(dir); }
    fs::path dext() const { return dir / "AppleStyleNic.dext"; }

    static std::string slurp(const fs::path &path) {
        std::ifstream in(path);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    Outcome run(const std::string &tool, const std::string &args) {
        const std::string command = tool + " " + args + " >" + (dir / "out").string() + " 2>" +
                                    (dir / "err").string();
        const int raw = std::system(command.c_str());
        return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(dir / "out"), slurp(dir / "err")};
    }
    Outcome sim(const std::string &args) {
        return run(NETDEXT_SIM, dext().string() + " --run 1s " + args);
    }
    void entitlements(const std::vector<std::string> &keys) {
        std::ofstream out(dext() / "Entitlements.plist");
        out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n";
        for (const std::string &key : keys)
            out << "<key>" << key << "</key><true/>\n";
        out << "</dict>\n</plist>\n";
    }

    fs::path dir;
};

TEST_F(SimCli, EntitlementRules) {
    fs::remove(dext() / "Entitlements.plist");
    Outcome r = sim("");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("the entitlement com.apple.developer.driverkit is missing"),
              std::string::npos)
        << r.err;
    r = sim("--no-entitlement-check");
    EXPECT_EQ(r.status, 0) << r.err;

    entitlements({"com.apple.developer.driverkit"});
    r = sim("");
    EXPECT_EQ(r.status, 2) << "Start fails: RegisterEthernetInterface was not permitted\n" << r.out;
    EXPECT_NE(r.out.find("RegisterEthernetInterface refused: com.example.netdext.AppleStyleNic: "
                         "the entitlement com.apple.developer.driverkit.family.networking is "
                         "missing"),
              std::string::npos)
        << r.out;
}

TEST_F(SimCli, Signatures) {
    Outcome r = sim("--require-signature");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("code object is not signed at all"), std::string::npos) << r.err;
    const std::string identity = (dir / "team.identity").string();
    ASSERT_EQ(run(NETDEXT_CODESIGN, "--generate-identity " + identity + " --team-id A123456789")
                  .status,
              0);
    ASSERT_EQ(run(NETDEXT_CODESIGN, "-s " + identity + " " + dext().string()).status, 0);
    r = sim("--require-signature --json");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("\"team_id\": \"A123456789\""), std::string::npos) << r.out;
    entitlements({"com.apple.developer.driverkit", "com.apple.developer.driverkit.family.networking",
                  "com.apple.developer.driverkit.transport.pci"});
    r = sim("");
    EXPECT_EQ(r.status, 1) << "changed after signing: refused even in developer mode";
    EXPECT_NE(r.err.find("file modified: " + dext().string() + "/Entitlements.plist"),
              std::string::npos)
        << r.err;
}

TEST_F(SimCli, IoregAndHelp) {
    Outcome r = sim("--ioreg-args '-r -c IOUserNetworkEthernet'");
    ASSERT_EQ(r.status, 0) << r.err;
    static const std::regex line(R"(\+-o AppleStyleNic  <class IOUserNetworkEthernet, id 0x[0-9a-f]+, )"
                                 R"(registered, matched, active, busy 0 \(\d+ ms\), retain \d+>)");
    EXPECT_TRUE(std::regex_search(r.out, line)) << r.out;
    EXPECT_NE(r.out.find("    +-o en0  <class IOSkywalkLegacyEthernetInterface"), std::string::npos)
        << "-r: the subtree is printed\n" << r.out;
    EXPECT_NE(r.out.find("\"IOUserClass\" = \"AppleStyleNic\""), std::string::npos)
        << "the match lists its properties";
    r = sim("--ioreg-args '-q'");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("usage: --ioreg-args"), std::string::npos) << r.err;
    r = run(NETDEXT_SIM, "--help");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("--no-entitlement-check"), std::string::npos);
    r = run(NETDEXT_SIM, "--version");
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out.rfind("netdext-sim ", 0), 0u);
}

} // namespace
