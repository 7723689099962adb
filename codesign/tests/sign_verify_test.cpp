// Signing and verifying bundles: the round trip, every kind of tampering, the trust store's
// verdicts and the launch policy.

#include <netdext/codesign/signature.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "internal.h"
#include "support/bundle_fixture.h"

using namespace netdext::codesign;
using codesign_fixture::TempBundle;

namespace {

class SignedBundle : public ::testing::Test {
protected:
    void SetUp() override {
        Failure failure;
        ASSERT_TRUE(sign_bundle(b.bundle(), key, {}, failure)) << failure.describe(b.bundle());
        std::string error;
        auto opened = TrustStore::open((b.dir() / "trust").string(), true, error);
        ASSERT_TRUE(opened) << error;
        store.emplace(std::move(*opened));
    }

    // Verification fails, with this kind; returns the failure.
    Failure refused(FailureKind kind, const TrustStore *trust = nullptr) {
        Failure failure;
        VerifyOptions options;
        options.trust = trust;
        EXPECT_FALSE(verify_bundle(b.bundle(), options, failure)) << "verification passed";
        EXPECT_EQ(int(failure.kind), int(kind)) << failure.describe(b.bundle());
        return failure;
    }
    void expect_change(const Failure &failure, ResourceChange::Kind kind, const char *path) {
        ASSERT_EQ(failure.changes.size(), 1u) << failure.describe(b.bundle());
        EXPECT_EQ(int(failure.changes[0].kind), int(kind));
        EXPECT_EQ(failure.changes[0].path, path);
        EXPECT_EQ(failure.message, "a sealed resource is missing or invalid");
    }

    TempBundle b;
    Identity key = codesign_fixture::identity();
    std::optional<TrustStore> store;
};

TEST_F(SignedBundle, RoundTrip) {
    Failure failure;
    auto code = verify_bundle(b.bundle(), {}, failure);
    ASSERT_TRUE(code) << failure.describe(b.bundle());
    EXPECT_EQ(code->signature.identifier, "com.example.Sample");
    EXPECT_EQ(code->signature.team_id, "A123456789");
    EXPECT_EQ(code->signature.signer, "Example Corp (A123456789)");
    EXPECT_EQ(code->signature.executable, "Sample");
    EXPECT_EQ(code->signature.files.size(), 4u); // Info.plist, Sample, Entitlements, readme
    EXPECT_EQ(code->signature.files.count("Resources/readme.txt"), 1u);
    EXPECT_EQ(code->signature.cdhash.size(), 40u);
    EXPECT_TRUE(code->entitlements.granted("com.apple.developer.driverkit"));
    EXPECT_TRUE(code->entitlements.granted("com.apple.developer.driverkit.family.networking"));
    // With the team's key trusted.
    std::string error;
    ASSERT_TRUE(store->add(key.public_identity(), std::nullopt, error)) << error;
    VerifyOptions options;
    options.trust = &*store;
    EXPECT_TRUE(verify_bundle(b.bundle(), options, failure)) << failure.describe(b.bundle());
    // Re-signing needs --force.
    EXPECT_FALSE(sign_bundle(b.bundle(), key, {}, failure));
    EXPECT_EQ(failure.kind, FailureKind::usage);
    SignOptions replace;
    replace.replace = true;
    EXPECT_TRUE(sign_bundle(b.bundle(), key, replace, failure)) << failure.message;
}

TEST_F(SignedBundle, ChangedExecutable) {
    b.write("Sample", b.read("Sample") + "!");
    expect_change(refused(FailureKind::resources), ResourceChange::Kind::modified, "Sample");
}

TEST_F(SignedBundle, ChangedInfoPlist) {
    std::string info = b.read("Info.plist");
    info.replace(info.find("DEXT"), 4, "APPL");
    b.write("Info.plist", info);
    Failure failure = refused(FailureKind::resources);
    expect_change(failure, ResourceChange::Kind::modified, "Info.plist");
    EXPECT_EQ(failure.describe("X.dext"), "X.dext: a sealed resource is missing or invalid\n"
                                          "file modified: X.dext/Info.plist\n");
}

TEST_F(SignedBundle, ChangedEntitlements) {
    b.write("Entitlements.plist",
            codesign_fixture::entitlements_plist(
                codesign_fixture::plist_true("com.apple.developer.driverkit") +
                codesign_fixture::plist_true("com.apple.developer.driverkit.transport.pci")));
    expect_change(refused(FailureKind::resources), ResourceChange::Kind::modified,
                  "Entitlements.plist");
}

TEST_F(SignedBundle, AddedFiles) {
    b.write("Resources/extra.bin", "new");
    expect_change(refused(FailureKind::resources), ResourceChange::Kind::added,
                  "Resources/extra.bin");
    std::filesystem::remove(b.path("Resources/extra.bin"));
    b.write("_CodeSignature/hidden", "not part of the signature");
    expect_change(refused(FailureKind::resources), ResourceChange::Kind::added,
                  "_CodeSignature/hidden");
}

TEST_F(SignedBundle, RemovedFile) {
    std::filesystem::remove(b.path("Resources/readme.txt"));
    Failure failure = refused(FailureKind::resources);
    expect_change(failure, ResourceChange::Kind::missing, "Resources/readme.txt");
    EXPECT_NE(failure.describe(b.bundle()).find("file missing: " + b.path("Resources/readme.txt")),
              std::string::npos);
}

TEST_F(SignedBundle, SeveralChangesAreAllNamed) {
    b.write("Sample", "replaced");
    std::filesystem::remove(b.path("Entitlements.plist"));
    b.write("new.txt", "x");
    Failure failure = refused(FailureKind::resources);
    EXPECT_EQ(failure.changes.size(), 3u) << failure.describe(b.bundle());
}

TEST_F(SignedBundle, SymbolicLinksAreRefused) {
    std::filesystem::create_symlink("/etc/passwd", b.path("Resources/link"));
    Failure failure = refused(FailureKind::bad_bundle);
    EXPECT_NE(failure.message.find("Resources/link: a symbolic link"), std::string::npos)
        << failure.message;
    std::filesystem::remove(b.path("Resources/link"));
    std::filesystem::create_directory_symlink(b.dir(), b.path("Resources/up"));
    refused(FailureKind::bad_bundle);
}

TEST_F(SignedBundle, ChangedSignatureIsInvalid) {
    // Flip one byte inside the signed CodeDirectory's text: its data is base64 in the XML, so
    // change the team ID the CodeDirectory names and re-encode nothing — the signature breaks.
    Failure failure;
    auto info = read_signature(b.bundle(), failure);
    ASSERT_TRUE(info);
    std::string resources = b.read(kSignatureFile);
    // Replace the Signature data with another valid-length signature (all 'A' base64 = zeros).
    const size_t at = resources.find("<key>Signature</key>");
    ASSERT_NE(at, std::string::npos);
    const size_t open = resources.find("<data>", at) + 6;
    const size_t close = resources.find("</data>", open);
    resources.replace(open, close - open, std::string(86, 'A') + "==");
    b.write(kSignatureFile, resources);
    Failure bad = refused(FailureKind::invalid_signature);
    EXPECT_EQ(bad.message, "invalid signature (code or signature have been modified)");
}

TEST_F(SignedBundle, ResignedByAnotherKeyOfTheTeam) {
    // An attacker re-signs a modified bundle with their own key, claiming the trusted team.
    std::string error;
    ASSERT_TRUE(store->add(key.public_identity(), std::nullopt, error)) << error;
    b.write("Sample", "evil");
    SignOptions replace;
    replace.replace = true;
    Failure failure;
    ASSERT_TRUE(sign_bundle(b.bundle(), codesign_fixture::identity("A123456789"), replace,
                            failure));
    EXPECT_TRUE(verify_bundle(b.bundle(), {}, failure)) << "intact, without a trust store";
    Failure wrong = refused(FailureKind::wrong_key, &*store);
    EXPECT_NE(wrong.message.find("trusted with another key"), std::string::npos);
}

TEST_F(SignedBundle, UntrustedTeam) {
    std::string error;
    ASSERT_TRUE(store->add(codesign_fixture::identity("B987654321").public_identity(),
                           std::nullopt, error));
    Failure failure = refused(FailureKind::untrusted_team, &*store);
    EXPECT_EQ(failure.message,
              "the signing team A123456789 (Example Corp (A123456789)) is not trusted");
}

TEST_F(SignedBundle, ExpiredTrust) {
    std::string error;
    const UnixTime now = now_unix();
    ASSERT_TRUE(store->add(key.public_identity(), now - 3600, error)) << error;
    Failure failure = refused(FailureKind::expired, &*store);
    EXPECT_NE(failure.message.find("expired on " + format_date(now - 3600)), std::string::npos)
        << failure.message;
    // Still valid before the expiry.
    VerifyOptions earlier;
    earlier.trust = &*store;
    earlier.now = now - 7200;
    EXPECT_TRUE(verify_bundle(b.bundle(), earlier, failure)) << failure.message;
}

TEST_F(SignedBundle, IdentifierMustMatchInfoPlist) {
    // A key holder's CodeDirectory that names another identifier than the sealed Info.plist
    // (netdext-codesign never writes one; the verifier does not rely on that).
    Failure failure;
    auto info = read_signature(b.bundle(), failure);
    ASSERT_TRUE(info);
    netdext::codesign::detail::CodeDirectory directory;
    directory.identifier = "com.example.Other";
    directory.team_id = info->team_id;
    directory.signer = info->signer;
    directory.executable = info->executable;
    for (const auto &[path, digest] : info->files) {
        netdext::codesign::detail::Digest bytes{};
        for (size_t i = 0; i < bytes.size(); ++i)
            bytes[i] = uint8_t(std::stoi(digest.substr(2 * i, 2), nullptr, 16));
        directory.files[path] = bytes;
    }
    const std::string signed_bytes = netdext::codesign::detail::serialize(directory);
    b.write(kSignatureFile,
            netdext::codesign::detail::code_resources(signed_bytes, key.sign(signed_bytes),
                                                      key.public_identity().public_key));
    Failure identity = refused(FailureKind::identity);
    EXPECT_EQ(identity.message, "the signature is for com.example.Other, but Info.plist's "
                                "CFBundleIdentifier is com.example.Sample");
}

TEST(Signing, Refusals) {
    TempBundle b;
    Identity key = codesign_fixture::identity();
    Failure failure;
    std::filesystem::remove(b.path("Sample"));
    EXPECT_FALSE(sign_bundle(b.bundle(), key, {}, failure));
    EXPECT_NE(failure.message.find("executable Sample is missing"), std::string::npos);
    b.write("Sample", "x");
    b.write("Entitlements.plist", "{ \"not\": \"a plist\" }");
    EXPECT_FALSE(sign_bundle(b.bundle(), key, {}, failure));
    EXPECT_NE(failure.message.find("Failed to parse entitlements"), std::string::npos);
    SignOptions with_file;
    with_file.entitlements_file = (b.dir() / "missing.entitlements").string();
    EXPECT_FALSE(sign_bundle(b.bundle(), key, with_file, failure));
    EXPECT_EQ(failure.kind, FailureKind::usage);
    // --entitlements replaces the bundle's file before sealing it.
    std::filesystem::path file = b.dir() / "new.entitlements";
    {
        std::ofstream out(file);
        out << codesign_fixture::entitlements_plist(
            codesign_fixture::plist_true("com.apple.developer.driverkit"));
    }
    with_file.entitlements_file = file.string();
    ASSERT_TRUE(sign_bundle(b.bundle(), key, with_file, failure)) << failure.message;
    auto code = verify_bundle(b.bundle(), {}, failure);
    ASSERT_TRUE(code) << failure.message;
    EXPECT_TRUE(code->entitlements.granted("com.apple.developer.driverkit"));
    EXPECT_FALSE(code->entitlements.granted("com.apple.developer.driverkit.family.networking"));
}

TEST(LaunchPolicy, UnsignedOnlyInDeveloperMode) {
    TempBundle b;
    Failure failure;
    EXPECT_FALSE(verify_bundle(b.bundle(), {}, failure));
    EXPECT_EQ(failure.kind, FailureKind::not_signed);
    EXPECT_EQ(failure.message, "code object is not signed at all");
    LaunchPolicy strict;
    EXPECT_FALSE(evaluate_bundle(b.bundle(), strict, failure));
    EXPECT_EQ(failure.kind, FailureKind::not_signed);
    LaunchPolicy developer;
    developer.allow_unsigned = true;
    auto identity = evaluate_bundle(b.bundle(), developer, failure);
    ASSERT_TRUE(identity) << failure.message;
    EXPECT_FALSE(identity->is_signed);
    EXPECT_EQ(identity->team_id, "-");
    EXPECT_TRUE(identity->entitlements.granted("com.apple.developer.driverkit"));
    // A signed bundle is verified in developer mode too.
    Identity key = codesign_fixture::identity();
    ASSERT_TRUE(sign_bundle(b.bundle(), key, {}, failure));
    identity = evaluate_bundle(b.bundle(), developer, failure);
    ASSERT_TRUE(identity) << failure.message;
    EXPECT_TRUE(identity->is_signed);
    EXPECT_EQ(identity->team_id, "A123456789");
    EXPECT_EQ(identity->cdhash.size(), 40u);
    b.write("Sample", "changed");
    EXPECT_FALSE(evaluate_bundle(b.bundle(), developer, failure));
    EXPECT_EQ(failure.kind, FailureKind::resources);
}

TEST(SignatureReader, RefusesMalformedDocuments) {
    const char *documents[] = {
        "",
        "not a plist",
        "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict/></plist>",
        "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>CodeDirectory</key><data>"
        "</data><key>Signature</key><data>AA==</data><key>PublicKey</key><data>AA==</data>"
        "</dict></plist>",
    };
    for (const char *document : documents) {
        Failure failure;
        EXPECT_FALSE(parse_signature(document, failure)) << document;
        EXPECT_EQ(failure.kind, FailureKind::malformed) << document;
        EXPECT_NE(failure.message.find("malformed"), std::string::npos);
    }
}

} // namespace
