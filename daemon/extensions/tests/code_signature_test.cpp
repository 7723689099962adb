// Activation with netdextd's signature step (code_signature.h) on the sample's real bundle: a
// signature from a trusted team is required outside developer mode, every kind of tampering is
// refused with CodeSignatureInvalid naming the file, and the entitlements that count are the
// signed ones (validation.h step 6, MissingEntitlement naming the key).

#include <gtest/gtest.h>

#include "code_signature.h"
#include "dext_variant.h"
#include "temp_dir.h"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace netdext::extensions;
using netdext::testing::DextVariant;
namespace codesign = netdext::codesign;

namespace {

constexpr const char *kTeam = "A123456789";

struct Signing : public ::testing::Test {
    netdext::testing::TempDir temp{"netdext-signing"};
    fs::path root = temp.path();
    std::optional<codesign::Identity> identity;
    std::optional<codesign::TrustStore> trust;
    std::optional<CodeSignatureVerifier> verifier;

    void SetUp() override {
        std::string error;
        identity = codesign::Identity::generate(kTeam, "Example Corp", error);
        ASSERT_TRUE(identity) << error;
        trust = codesign::TrustStore::open((root / "trust").string(), true, error);
        ASSERT_TRUE(trust) << error;
        ASSERT_TRUE(trust->add(identity->public_identity(), std::nullopt, error)) << error;
        verifier.emplace(&*trust);
    }

    // An unsigned copy of the sample, with `prepare` applied, then signed by `who`.
    fs::path signed_sample(const std::string &name,
                           const std::function<void(DextVariant &)> &prepare = {},
                           const codesign::Identity *who = nullptr,
                           const std::string &entitlements_file = "") {
        DextVariant v(SAMPLE_DEXT_PATH, root / name / "NetworkingDriverKitSample.dext");
        fs::create_directories(v.path() / "Resources");
        std::ofstream(v.path() / "Resources/readme.txt") << "sealed\n";
        if (prepare)
            prepare(v);
        codesign::SignOptions options;
        options.entitlements_file = entitlements_file;
        codesign::Failure failure;
        EXPECT_TRUE(codesign::sign_bundle(v.str(), who ? *who : *identity, options, failure))
            << failure.message;
        return v.path();
    }

    std::variant<Candidate, RequestError> activate(const fs::path &path, bool developer = false) {
        ValidationOptions options;
        options.developer_mode = developer;
        options.verifier = &*verifier;
        return validate_activation(path.string(), "", options);
    }

    // The refusal's code and reason ("" and 0 when it was accepted).
    std::pair<int, std::string> refusal(const fs::path &path, bool developer = false) {
        auto result = activate(path, developer);
        if (auto *error = std::get_if<RequestError>(&result))
            return {int(error->code), error->reason};
        return {0, ""};
    }
};

bool contains(const std::string &text, const std::string &piece) {
    return text.find(piece) != std::string::npos;
}

TEST_F(Signing, ASignedBundleFromATrustedTeamCarriesItsTeamAndSignedEntitlements) {
    const fs::path dext = signed_sample("good");
    auto result = activate(dext);
    ASSERT_TRUE(std::holds_alternative<Candidate>(result))
        << std::get<RequestError>(result).reason;
    const Candidate &c = std::get<Candidate>(result);
    EXPECT_EQ(c.team_id, kTeam);
    EXPECT_EQ(c.cdhash.size(), 40u);
    EXPECT_TRUE(c.entitlements.granted("com.apple.developer.driverkit"));
    EXPECT_TRUE(c.entitlements.granted("com.apple.developer.driverkit.family.networking"));
    // Developer mode changes nothing for a signed bundle.
    auto again = activate(dext, true);
    ASSERT_TRUE(std::holds_alternative<Candidate>(again));
    EXPECT_EQ(std::get<Candidate>(again).team_id, kTeam);
}

TEST_F(Signing, UnsignedBundlesRunOnlyInDeveloperModeAsTeamDash) {
    DextVariant v(SAMPLE_DEXT_PATH, root / "unsigned/NetworkingDriverKitSample.dext");
    auto [code, reason] = refusal(v.path());
    EXPECT_EQ(code, 8);
    EXPECT_TRUE(contains(reason, "code object is not signed at all")) << reason;
    EXPECT_TRUE(contains(reason, "only developer mode runs unsigned bundles")) << reason;
    auto result = activate(v.path(), true);
    ASSERT_TRUE(std::holds_alternative<Candidate>(result))
        << std::get<RequestError>(result).reason;
    EXPECT_EQ(std::get<Candidate>(result).team_id, "-");
    EXPECT_EQ(std::get<Candidate>(result).cdhash, "");
}

TEST_F(Signing, EveryKindOfTamperingIsRefusedNamingTheFile) {
    struct Case {
        const char *name;
        std::function<void(const fs::path &)> tamper;
        const char *words;
    };
    const std::vector<Case> cases = {
        {"executable", [](const fs::path &d) {
             std::ofstream(d / "NetworkingDriverKitSample", std::ios::app) << '\0';
         }, "file modified: NetworkingDriverKitSample"},
        {"info", [](const fs::path &d) {
             DextVariant::edit_in_place(d, "Info.plist", [](plist_t dict) {
                 plist_dict_set_item(dict, "OSBundleUsageDescription", plist_new_string("other"));
             });
         }, "file modified: Info.plist"},
        {"entitlements", [](const fs::path &d) {
             DextVariant::edit_in_place(d, "Entitlements.plist", [](plist_t dict) {
                 plist_dict_set_item(dict, "com.apple.developer.driverkit.transport.usb",
                                     plist_new_bool(1));
             });
         }, "file modified: Entitlements.plist"},
        {"added", [](const fs::path &d) { std::ofstream(d / "Resources/extra.txt") << "x"; },
         "file added: Resources/extra.txt"},
        {"removed", [](const fs::path &d) { fs::remove(d / "Resources/readme.txt"); },
         "file missing: Resources/readme.txt"},
    };
    for (const Case &c : cases) {
        const fs::path dext = signed_sample(c.name);
        c.tamper(dext);
        for (bool developer : {false, true}) {
            auto [code, reason] = refusal(dext, developer);
            EXPECT_EQ(code, 8) << c.name << ": " << reason;
            EXPECT_TRUE(contains(reason, "a sealed resource is missing or invalid")) << reason;
            EXPECT_TRUE(contains(reason, c.words)) << c.name << ": " << reason;
            EXPECT_TRUE(contains(reason, dext.string())) << reason;
        }
    }
}

TEST_F(Signing, KeysAndTeamsTheStoreDoesNotTrustAreRefused) {
    std::string error;
    // Another key claiming the trusted team.
    auto impostor = codesign::Identity::generate(kTeam, "Impostor", error);
    ASSERT_TRUE(impostor) << error;
    auto [code, reason] = refusal(signed_sample("wrongkey", {}, &*impostor));
    EXPECT_EQ(code, 8);
    EXPECT_TRUE(contains(reason, "team A123456789 is trusted with another key")) << reason;
    // A team nobody trusts.
    auto stranger = codesign::Identity::generate("B987654321", "Stranger", error);
    ASSERT_TRUE(stranger) << error;
    std::tie(code, reason) = refusal(signed_sample("untrusted", {}, &*stranger), true);
    EXPECT_EQ(code, 8);
    EXPECT_TRUE(contains(reason, "the signing team B987654321 (Stranger) is not trusted")) << reason;
    // A trust that has expired.
    auto old = codesign::Identity::generate("C111111111", "Old Corp", error);
    ASSERT_TRUE(old) << error;
    ASSERT_TRUE(trust->add(old->public_identity(), codesign::now_unix() - 60, error)) << error;
    std::tie(code, reason) = refusal(signed_sample("expired", {}, &*old));
    EXPECT_EQ(code, 8);
    EXPECT_TRUE(contains(reason, "the trust in team C111111111's key")) << reason;
    EXPECT_TRUE(contains(reason, "expired on")) << reason;
}

TEST_F(Signing, EntitlementsComeFromTheSignatureAndNameTheMissingKey) {
    auto entitlements = [&](const std::string &name, const std::string &body) {
        const fs::path file = root / (name + ".entitlements");
        std::ofstream(file) << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">"
                               "<dict>" << body << "</dict></plist>\n";
        return file.string();
    };
    const std::string driverkit = "<key>com.apple.developer.driverkit</key><true/>";
    const std::string networking =
        "<key>com.apple.developer.driverkit.family.networking</key><true/>";
    auto [code, reason] =
        refusal(signed_sample("nodk", {}, nullptr, entitlements("nodk", networking)));
    EXPECT_EQ(code, 2);
    EXPECT_TRUE(contains(reason, "lacks the entitlement com.apple.developer.driverkit")) << reason;
    std::tie(code, reason) =
        refusal(signed_sample("nonet", {}, nullptr, entitlements("nonet", driverkit)));
    EXPECT_EQ(code, 2);
    EXPECT_TRUE(contains(reason, "IOClass IOUserNetworkEthernet needs the entitlement "
                                 "com.apple.developer.driverkit.family.networking")) << reason;
    // A USB personality needs the USB transport.
    const auto usb = [](DextVariant &v) { v.personality("IOProviderClass", "IOUSBHostInterface"); };
    std::tie(code, reason) = refusal(
        signed_sample("usb", usb, nullptr, entitlements("usb", driverkit + networking)));
    EXPECT_EQ(code, 2);
    EXPECT_TRUE(contains(reason, "needs the entitlement com.apple.developer.driverkit.transport.usb"))
        << reason;
}

} // namespace
