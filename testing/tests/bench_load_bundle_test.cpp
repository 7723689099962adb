// DriverBench::load_bundle: every way a bundle can be unusable gives false and a message that
// names the file and the problem; a usable bundle sets bundle_id() and class_name().

#include <gtest/gtest.h>

#include <netdext/testing/driver_bench.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "support/bench_probe_nic.h"
#include "support/temp_bundle.h"

using netdext::testing::DriverBench;
namespace fs = std::filesystem;

namespace {

struct LoadBundle : public ::testing::Test {
    bench_fixture::TempDir dir;
    fs::path dext = dir.path() / "Probe.dext";

    void SetUp() override { bench_probe::reset(); }

    // Tries to load `dext`; returns the error (empty on success).
    std::string load(DriverBench &bench) {
        std::string error;
        bool ok = bench.load_bundle(dext.string(), &error);
        EXPECT_EQ(ok, error.empty()) << error;
        return error;
    }
    void write_plist(const std::string &text) {
        bench_fixture::write_file(dext / "Info.plist", text);
        bench_fixture::write_file(dext / "Entitlements.plist",
                                  bench_fixture::nic_entitlements_plist());
    }
    void link_executable(const std::string &name) {
        fs::create_directories(dext);
        fs::create_symlink(bench_fixture::loadable_library(), dext / name);
    }
};

bool has(const std::vector<std::string> &lines, const std::string &text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string &l) { return l.find(text) != std::string::npos; });
}

} // namespace

TEST_F(LoadBundle, AMissingDirectory) {
    DriverBench bench;
    std::string error = load(bench);
    EXPECT_NE(error.find(dext.string()), std::string::npos) << error;
    EXPECT_NE(error.find("not a bundle directory"), std::string::npos) << error;
    EXPECT_EQ(bench.bundle_id(), "");
    EXPECT_EQ(bench.class_name(), "");
    // The failure is logged as well, for netdext-sim and CI logs.
    EXPECT_TRUE(has(bench.logs(), "DriverBench: " + dext.string()));
}

TEST_F(LoadBundle, AFileInsteadOfADirectory) {
    bench_fixture::write_file(dext, "not a directory");
    DriverBench bench;
    EXPECT_NE(load(bench).find("not a bundle directory"), std::string::npos);
}

TEST_F(LoadBundle, NoInfoPlist) {
    fs::create_directories(dext);
    DriverBench bench;
    std::string error = load(bench);
    EXPECT_NE(error.find("Info.plist: cannot read"), std::string::npos) << error;
}

TEST_F(LoadBundle, AnInfoPlistThatIsNotAPropertyList) {
    write_plist("<?xml version=\"1.0\"?><plist><dict><key>CFBundleIdentifier</key>");
    DriverBench bench;
    std::string error = load(bench);
    EXPECT_NE(error.find("Info.plist: not a valid property list"), std::string::npos) << error;
}

TEST_F(LoadBundle, AnInfoPlistWhoseTopLevelIsNotADictionary) {
    write_plist("<?xml version=\"1.0\"?><plist version=\"1.0\"><array><string>x</string></array>"
                "</plist>");
    DriverBench bench;
    std::string error = load(bench);
    EXPECT_NE(error.find("the top level is not a dictionary"), std::string::npos) << error;
}

TEST_F(LoadBundle, NoBundleIdentifier) {
    std::string plist = bench_fixture::info_plist("", "Probe", "BenchProbeNic");
    write_plist(plist);
    link_executable("Probe");
    DriverBench bench;
    std::string error = load(bench);
    EXPECT_NE(error.find("CFBundleIdentifier is missing or not a non-empty string"),
              std::string::npos)
        << error;
}

TEST_F(LoadBundle, NoPersonalities) {
    write_plist(bench_fixture::info_plist("com.example.Probe", "Probe", ""));
    link_executable("Probe");
    DriverBench bench;
    std::string error = load(bench);
    EXPECT_NE(error.find("Info.plist has no IOKitPersonalities"), std::string::npos) << error;
}

TEST_F(LoadBundle, AMissingExecutable) {
    write_plist(bench_fixture::info_plist("com.example.Probe", "Probe", "BenchProbeNic"));
    DriverBench bench;
    std::string error = load(bench);
    EXPECT_NE(error.find((dext / "Probe").string() + ": the bundle's executable is missing"),
              std::string::npos)
        << error;
}

TEST_F(LoadBundle, AnExecutableThatIsNotASharedObject) {
    write_plist(bench_fixture::info_plist("com.example.Probe", "Probe", "BenchProbeNic"));
    bench_fixture::write_file(dext / "Probe", "#!/bin/sh\nexit 0\n");
    DriverBench bench;
    std::string error = load(bench);
    EXPECT_EQ(error.rfind("dlopen: ", 0), 0u) << error;
}

TEST_F(LoadBundle, AClassTheExecutableDoesNotDefine) {
    write_plist(bench_fixture::info_plist("com.example.Probe", "Probe", "NoSuchDriverClass"));
    link_executable("Probe");
    DriverBench bench;
    std::string error = load(bench);
    EXPECT_NE(error.find("Probe: no class named \"NoSuchDriverClass\" is registered"),
              std::string::npos)
        << error;
}

TEST_F(LoadBundle, TheErrorArgumentIsOptional) {
    DriverBench bench;
    EXPECT_FALSE(bench.load_bundle((dir.path() / "nothing.dext").string()));
}

TEST_F(LoadBundle, AUsableBundleNamesTheBundleAndTheClass) {
    write_plist(bench_fixture::info_plist("com.example.Probe", "Probe", "BenchProbeNic"));
    link_executable("Probe");
    DriverBench bench;
    EXPECT_EQ(load(bench), "");
    EXPECT_EQ(bench.bundle_id(), "com.example.Probe");
    EXPECT_EQ(bench.class_name(), "BenchProbeNic");
    ASSERT_EQ(bench.start(), kIOReturnSuccess);
    EXPECT_TRUE(bench.registered());
    EXPECT_EQ(bench.stop(), kIOReturnSuccess);
    EXPECT_EQ(bench.misuses(), std::vector<std::string>{});
}

TEST_F(LoadBundle, AfterAFailedLoadStartSaysThereIsNoClass) {
    DriverBench bench;
    EXPECT_FALSE(bench.load_bundle(dext.string()));
    EXPECT_EQ(bench.start(), kIOReturnNotFound);
    EXPECT_FALSE(bench.running());
    EXPECT_TRUE(has(bench.misuses(), "no class named \"\" is registered"));
}
