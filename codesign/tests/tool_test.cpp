// netdext-codesign from the command line: the codesign-shaped verbs, their output and exit codes.

#include <netdext/codesign/signature.h>

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/bundle_fixture.h"

namespace {

struct Outcome {
    int status = -1;
    std::string out, err;
};

class Tool : public ::testing::Test {
protected:
    Outcome run(const std::string &args) {
        const std::string out = (b.dir() / "stdout").string(), err = (b.dir() / "stderr").string();
        const std::string command = std::string(NETDEXT_CODESIGN_TOOL) + " " + args + " >" + out +
                                    " 2>" + err;
        Outcome r;
        const int raw = std::system(command.c_str());
        r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        r.out = slurp(out);
        r.err = slurp(err);
        return r;
    }
    static std::string slurp(const std::string &path) {
        std::ifstream in(path);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    std::string identity() const { return (b.dir() / "team.identity").string(); }

    codesign_fixture::TempBundle b;
};

TEST_F(Tool, GenerateSignVerifyDisplay) {
    Outcome r = run("--generate-identity " + identity() + " --team-id A123456789 --name 'Example'");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("signing identity of team A123456789 (Example)"), std::string::npos);
    EXPECT_TRUE(std::filesystem::exists(identity() + ".pub"));

    r = run("-d " + b.bundle());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, b.bundle() + ": code object is not signed at all\n");

    r = run("-s " + identity() + " " + b.bundle());
    ASSERT_EQ(r.status, 0) << r.err;
    r = run("-s " + identity() + " " + b.bundle());
    EXPECT_EQ(r.status, 2) << "already signed";
    EXPECT_NE(r.err.find("is already signed"), std::string::npos);
    EXPECT_EQ(run("-f -s " + identity() + " " + b.bundle()).status, 0);

    r = run("--verify " + b.bundle());
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "") << "silent on success, as codesign";
    r = run("-vv " + b.bundle());
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find(b.bundle() + ": valid on disk\n"), std::string::npos) << r.err;

    r = run("-d -vvv " + b.bundle());
    ASSERT_EQ(r.status, 0) << r.err;
    for (const char *field :
         {"Executable=", "/Sample.dext/Sample\n", "Identifier=com.example.Sample\n",
          "Format=bundle with ELF 64-bit", "CodeDirectory v=1 size=", " hashes=4 ",
          "Hash type=sha256 size=32\n", "CandidateCDHashFull sha256=", "CDHash=",
          "Signature size=64\n", "Authority=Example (A123456789, key ", "Signed Time=",
          "Info.plist entries=3\n", "TeamIdentifier=A123456789\n",
          "Sealed Resources version=1 files=4\n"})
        EXPECT_NE(r.err.find(field), std::string::npos) << field << "\n" << r.err;
    r = run("-d --entitlements - " + b.bundle());
    EXPECT_NE(r.out.find("com.apple.developer.driverkit.family.networking"), std::string::npos);
}

TEST_F(Tool, TamperingAndTrust) {
    ASSERT_EQ(run("--generate-identity " + identity() + " --team-id A123456789").status, 0);
    ASSERT_EQ(run("-s " + identity() + " " + b.bundle()).status, 0);
    b.write("Sample", "changed");
    std::filesystem::remove(b.path("Resources/readme.txt"));
    b.write("added.txt", "x");
    Outcome r = run("--verify " + b.bundle());
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, b.bundle() + ": a sealed resource is missing or invalid\n"
                     "file missing: " + b.bundle() + "/Resources/readme.txt\n"
                     "file modified: " + b.bundle() + "/Sample\n"
                     "file added: " + b.bundle() + "/added.txt\n");
    ASSERT_EQ(run("-f -s " + identity() + " " + b.bundle()).status, 0);
    // Against a trust store that does not know the team: a requirement failure (exit 3).
    std::filesystem::create_directory(b.dir() / "trust");
    r = run("--verify --trust-dir " + (b.dir() / "trust").string() + " " + b.bundle());
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("the signing team A123456789 (A123456789) is not trusted"),
              std::string::npos)
        << r.err;
}

TEST_F(Tool, CommandLine) {
    Outcome r = run("--help");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("--generate-identity"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(b.bundle() + "/_CodeSignature"));
    r = run("--version");
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out.rfind("netdext-codesign ", 0), 0u) << r.out;
    EXPECT_EQ(run(b.bundle()).status, 2) << "no action";
    EXPECT_EQ(run("-s " + identity()).status, 2) << "no bundle";
    EXPECT_EQ(run("-s " + identity() + " " + b.bundle()).status, 2) << "no identity file";
    EXPECT_EQ(run("--generate-identity x --team-id short").status, 2);
}

} // namespace
