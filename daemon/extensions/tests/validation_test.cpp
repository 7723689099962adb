// Activation validation on the sample's real bundle and every kind of bad bundle: each fails
// with its OSSystemExtensionErrorCode and a reason naming the problem.

#include <gtest/gtest.h>

#include "bad_bundles.h"
#include "dext_variant.h"
#include "temp_dir.h"
#include "validation.h"

#include <filesystem>

namespace fs = std::filesystem;
using namespace netdext::extensions;
using netdext::testing::DextVariant;

namespace {

struct Validation : public ::testing::Test {
    netdext::testing::TempDir temp{"netdext-validation"};
    fs::path root = temp.path();
};

class TeamVerifier final : public SignatureVerifier {
public:
    std::optional<RequestError> verify(const netdext::bundle::BundleDir &dir,
                                       const netdext::bundle::Bundle &bundle, bool developer,
                                       SignedCode &code) const override {
        (void)UnsignedBundles().verify(dir, bundle, developer, code);
        code.team_id = "A123456789";
        return std::nullopt;
    }
};

} // namespace

TEST_F(Validation, TheSampleIsAValidUnsignedDext) {
    auto result = validate_activation(SAMPLE_DEXT_PATH, "", ValidationOptions{});
    ASSERT_TRUE(std::holds_alternative<Candidate>(result))
        << std::get<RequestError>(result).reason;
    const Candidate &c = std::get<Candidate>(result);
    EXPECT_EQ(c.bundle.bundle_id, "com.example.netdext.NetworkingDriverKitSample");
    EXPECT_EQ(c.team_id, "-");
    EXPECT_EQ(c.app_path, "");
    EXPECT_TRUE(c.dir.has_value());
}

TEST_F(Validation, TheVerifierSetsTheTeam) {
    TeamVerifier verifier;
    ValidationOptions options;
    options.verifier = &verifier;
    auto result = validate_activation(SAMPLE_DEXT_PATH, "", options);
    ASSERT_TRUE(std::holds_alternative<Candidate>(result));
    EXPECT_EQ(std::get<Candidate>(result).team_id, "A123456789");
}

TEST_F(Validation, AnAppHoldingOneExtension) {
    const std::string id = "com.example.netdext.NetworkingDriverKitSample";
    fs::path app = root / "Apps/Sample.app";
    DextVariant(SAMPLE_DEXT_PATH, app / "Contents/Library/SystemExtensions" / (id + ".dext"));
    for (const std::string &path : {app.string(), app.string() + "/"}) {
        auto result = validate_activation(path, "", ValidationOptions{});
        ASSERT_TRUE(std::holds_alternative<Candidate>(result))
            << std::get<RequestError>(result).reason;
        EXPECT_EQ(std::get<Candidate>(result).app_path, fs::canonical(app).string());
    }
    auto named = validate_activation(app.string(), id, ValidationOptions{});
    ASSERT_TRUE(std::holds_alternative<Candidate>(named));
    auto inner = validate_activation(
        (app / "Contents/Library/SystemExtensions" / (id + ".dext")).string(), "",
        ValidationOptions{});
    ASSERT_TRUE(std::holds_alternative<Candidate>(inner));
    EXPECT_EQ(std::get<Candidate>(inner).app_path, fs::canonical(app).string());
    auto other = validate_activation(app.string(), "com.example.Other", ValidationOptions{});
    ASSERT_TRUE(std::holds_alternative<RequestError>(other));
    EXPECT_EQ(std::get<RequestError>(other).code, ErrorCode::ExtensionNotFound);
}

TEST_F(Validation, TheIdentifierMustMatchABareDext) {
    auto result = validate_activation(SAMPLE_DEXT_PATH, "com.example.Other", ValidationOptions{});
    ASSERT_TRUE(std::holds_alternative<RequestError>(result));
    EXPECT_EQ(std::get<RequestError>(result).code, ErrorCode::ExtensionNotFound);
}

TEST_F(Validation, EveryBadBundleFailsWithItsCode) {
    auto bad = netdext::testing::bad_bundles();
    ASSERT_GE(bad.size(), 15u);
    for (const auto &kind : bad) {
        auto [path, identifier] = kind.make(root, SAMPLE_DEXT_PATH);
        auto result = validate_activation(path, identifier, ValidationOptions{});
        ASSERT_TRUE(std::holds_alternative<RequestError>(result)) << kind.name << " was accepted";
        const RequestError &error = std::get<RequestError>(result);
        EXPECT_EQ(int(error.code), kind.code) << kind.name << ": " << error.reason;
        EXPECT_NE(error.reason.find(kind.words), std::string::npos)
            << kind.name << ": \"" << error.reason << "\" lacks \"" << kind.words << "\"";
        EXPECT_EQ(error.reason.find('\n'), std::string::npos) << kind.name;
    }
}

TEST_F(Validation, RunModeOnlyWarnsAboutApplesRules) {
    DextVariant v(SAMPLE_DEXT_PATH, root / "dev.dext");
    v.remove("OSBundleUsageDescription").set("CFBundleVersion", "1.x");
    std::vector<std::string> warnings;
    auto result = validate_for_run(v.str(), warnings);
    ASSERT_TRUE(std::holds_alternative<Candidate>(result));
    EXPECT_EQ(warnings.size(), 2u);
    // …but never about what makes a bundle unsafe or unrunnable.
    v.entitlement("com.apple.developer.driverkit", false);
    EXPECT_TRUE(std::holds_alternative<RequestError>(validate_for_run(v.str(), warnings)));
}
