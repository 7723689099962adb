// The bench enforces DriverKit's entitlements before driver code runs, as netdextd does: the
// driverkit entitlement to load, the provider's transport, family.networking at
// RegisterEthernetInterface (kIOReturnNotPermitted); signed bundles must verify, unsigned ones
// load only in developer mode; check_entitlements = false skips the rules.

#include <gtest/gtest.h>

#include <netdext/codesign/signature.h>
#include <netdext/testing/driver_bench.h>

#include <algorithm>
#include <filesystem>

#include "support/bench_probe_nic.h"
#include "support/temp_bundle.h"

using netdext::testing::BenchOptions;
using netdext::testing::DriverBench;
namespace codesign = netdext::codesign;
namespace entitlements = netdext::entitlements;
namespace fs = std::filesystem;

namespace {

constexpr const char *kDriverKit = "com.apple.developer.driverkit";
constexpr const char *kNetworking = "com.apple.developer.driverkit.family.networking";

struct BenchEntitlements : public ::testing::Test {
    bench_fixture::TempDir dir;
    fs::path dext = dir.path() / "Probe.dext";

    void SetUp() override { bench_probe::reset(); }

    // A bundle of the probe NIC (linked into this test) with these entitlements (none: no
    // Entitlements.plist). Its executable is an empty module: a regular file (a signed bundle
    // holds no symbolic links) that is no second copy of a library already loaded.
    void make_bundle(const std::vector<std::string> *keys,
                     const std::string &provider = "IOUserResources") {
        std::string info = bench_fixture::info_plist("com.example.Probe", "Probe", "BenchProbeNic");
        info.replace(info.find("IOUserResources"), 15, provider);
        bench_fixture::write_file(dext / "Info.plist", info);
        fs::copy_file(BENCH_EMPTY_MODULE, dext / "Probe", fs::copy_options::overwrite_existing);
        if (keys != nullptr)
            bench_fixture::write_file(dext / "Entitlements.plist",
                                      bench_fixture::entitlements_plist(*keys));
    }
    std::string load(DriverBench &bench) {
        std::string error;
        const bool ok = bench.load_bundle(dext.string(), &error);
        EXPECT_EQ(ok, error.empty()) << error;
        return error;
    }
    codesign::Identity sign(const std::string &team = "A123456789") {
        std::string error;
        auto identity = codesign::Identity::generate(team, "Bench Test", error);
        EXPECT_TRUE(identity) << error;
        codesign::Failure failure;
        codesign::SignOptions options;
        options.replace = true;
        EXPECT_TRUE(codesign::sign_bundle(dext.string(), *identity, options, failure))
            << failure.message;
        return *identity;
    }
};

bool has(const std::vector<netdext::testing::CallRecord> &calls, const std::string &text) {
    return std::any_of(calls.begin(), calls.end(), [&](const auto &c) {
        return c.call.find(text) != std::string::npos;
    });
}

TEST_F(BenchEntitlements, NoEntitlementsNoLaunch) {
    make_bundle(nullptr);
    DriverBench bench;
    const std::string error = load(bench);
    EXPECT_NE(error.find("com.example.Probe: the entitlement com.apple.developer.driverkit is "
                         "missing"),
              std::string::npos)
        << error;
    EXPECT_EQ(bench.start(), kIOReturnNotFound) << "nothing was loaded";

    BenchOptions skip;
    skip.check_entitlements = false;
    DriverBench unchecked(skip);
    EXPECT_EQ(load(unchecked), "");
    ASSERT_EQ(unchecked.start(), kIOReturnSuccess) << "the rules skipped, on request";
    EXPECT_TRUE(unchecked.registered());
    EXPECT_EQ(unchecked.stop(), kIOReturnSuccess);
}

TEST_F(BenchEntitlements, FamilyNetworkingAtRegisterEthernetInterface) {
    const std::vector<std::string> keys = {kDriverKit};
    make_bundle(&keys);
    DriverBench bench;
    ASSERT_EQ(load(bench), "");
    EXPECT_EQ(bench.team_id(), "-") << "unsigned: developer mode";
    // The probe's Start fails with what RegisterEthernetInterface returned.
    EXPECT_EQ(bench.start(), kIOReturnNotPermitted);
    EXPECT_FALSE(bench.registered());
    EXPECT_TRUE(has(bench.calls(), "RegisterEthernetInterface refused: com.example.Probe: the "
                                   "entitlement com.apple.developer.driverkit.family.networking "
                                   "is missing"));
}

TEST_F(BenchEntitlements, TransportForTheProvider) {
    const std::vector<std::string> nic = {kDriverKit, kNetworking};
    make_bundle(&nic, "IOPCIDevice");
    DriverBench bench;
    EXPECT_NE(load(bench).find("needs the entitlement com.apple.developer.driverkit.transport.pci"),
              std::string::npos);
    const std::vector<std::string> pci = {kDriverKit, kNetworking,
                                          "com.apple.developer.driverkit.transport.pci"};
    make_bundle(&pci, "IOPCIDevice");
    DriverBench again;
    EXPECT_EQ(load(again), "");
}

TEST_F(BenchEntitlements, ClassesLinkedIntoTheTest) {
    DriverBench none;
    none.use_class("BenchProbeNic", entitlements::Entitlements());
    EXPECT_EQ(none.start(), kIOReturnNotPermitted);
    EXPECT_FALSE(none.running());
    EXPECT_TRUE(has(none.calls(), "Start refused: BenchProbeNic: the entitlement "
                                  "com.apple.developer.driverkit is missing"));
    DriverBench no_family;
    std::string error;
    auto driverkit_only = entitlements::Entitlements::parse(
        bench_fixture::entitlements_plist({kDriverKit}), error);
    ASSERT_TRUE(driverkit_only) << error;
    no_family.use_class("BenchProbeNic", *driverkit_only);
    EXPECT_EQ(no_family.start(), kIOReturnNotPermitted);
}

TEST_F(BenchEntitlements, SignedBundlesMustVerify) {
    const std::vector<std::string> keys = {kDriverKit, kNetworking};
    make_bundle(&keys);
    codesign::Identity key = sign();
    {
        DriverBench bench;
        ASSERT_EQ(load(bench), "");
        EXPECT_EQ(bench.team_id(), "A123456789");
        EXPECT_TRUE(bench.entitlements().granted(kNetworking));
    }
    // The signed entitlements count, not a replaced file.
    bench_fixture::write_file(dext / "Entitlements.plist",
                              bench_fixture::entitlements_plist({kDriverKit, kNetworking,
                                                                 "com.example.more"}));
    {
        DriverBench bench;
        const std::string error = load(bench);
        EXPECT_NE(error.find("a sealed resource is missing or invalid"), std::string::npos)
            << error;
        EXPECT_NE(error.find("file modified: " + dext.string() + "/Entitlements.plist"),
                  std::string::npos)
            << error;
    }
    sign("A123456789");
    // With a trust store that does not know the team; then with it trusted.
    const std::string trust = (dir.path() / "trust").string();
    std::string error;
    auto store = codesign::TrustStore::open(trust, true, error);
    ASSERT_TRUE(store) << error;
    BenchOptions trusting;
    trusting.trust_dir = trust;
    {
        DriverBench bench(trusting);
        EXPECT_NE(load(bench).find("is not trusted"), std::string::npos);
    }
    codesign::Identity trusted = sign("B987654321");
    ASSERT_TRUE(store->add(trusted.public_identity(), std::nullopt, error)) << error;
    {
        DriverBench bench(trusting);
        EXPECT_EQ(load(bench), "");
        EXPECT_EQ(bench.team_id(), "B987654321");
    }
}

TEST_F(BenchEntitlements, UnsignedOnlyInDeveloperMode) {
    const std::vector<std::string> keys = {kDriverKit, kNetworking};
    make_bundle(&keys);
    BenchOptions strict_options;
    strict_options.allow_unsigned = false;
    DriverBench strict(strict_options);
    EXPECT_NE(load(strict).find("code object is not signed at all"), std::string::npos);
}

} // namespace
