// netdext/codesign/signature.h — signing a .dext bundle and verifying it (docs/codesign.md).
//
// A signature lives in NAME.dext/_CodeSignature/CodeResources, an XML property list holding the
// signed CodeDirectory (itself an XML plist: the bundle's identifier, team ID, signer, signing
// time, executable name, and the SHA-256 of every file in the bundle), the ed25519 signature of
// those exact bytes and the signer's public key. Every file is sealed — Info.plist, the
// executable, Entitlements.plist, resources in subdirectories — and a bundle may hold only
// directories and regular files (no symbolic links, devices or FIFOs), within the limits below.
//
// Threads: these functions touch only their arguments and the files named; call them from any
// thread, one writer per bundle.
#pragma once

#include <netdext/codesign/entitlements.h>
#include <netdext/codesign/identity.h>
#include <netdext/codesign/trust_store.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netdext::codesign {

inline constexpr const char *kSignatureDirectory = "_CodeSignature";
inline constexpr const char *kSignatureFile = "_CodeSignature/CodeResources";
inline constexpr size_t kMaxFiles = 4096;                    // sealed files in one bundle
inline constexpr uint64_t kMaxFileSize = uint64_t(256) << 20; // one file
inline constexpr int kMaxDirectoryDepth = 16;
inline constexpr size_t kMaxSignatureSize = 2u << 20;        // CodeResources

// ---- failures ----
enum class FailureKind {
    not_signed,        // "code object is not signed at all"
    malformed,         // CodeResources or its CodeDirectory does not parse
    invalid_signature, // the ed25519 signature does not match the CodeDirectory
    resources,         // "a sealed resource is missing or invalid" (changes lists them)
    identity,          // Info.plist disagrees with the CodeDirectory (identifier, executable)
    untrusted_team,    // the trust store does not trust the team
    wrong_key,         // the team is trusted, with another key
    expired,           // the key's trust expired
    bad_bundle,        // a symbolic link, special file, or a limit exceeded
    io,                // a file could not be read or written
    usage,             // bad input to sign() (identity, entitlements file)
};

struct ResourceChange {
    enum class Kind { modified, added, missing };
    Kind kind;
    std::string path; // relative to the bundle
};

struct Failure {
    FailureKind kind = FailureKind::io;
    std::string message; // one line, codesign's wording where it has one
    std::vector<ResourceChange> changes;
    // codesign's report: "<bundle>: <message>" and a "file modified: <bundle>/<path>" line per
    // change.
    std::string describe(const std::string &bundle) const;
};

// ---- signing ----
struct SignOptions {
    bool replace = false;            // --force: re-sign a signed bundle
    std::string entitlements_file;   // --entitlements: becomes the bundle's Entitlements.plist
    std::optional<UnixTime> time;    // signing time (default: now)
};
bool sign_bundle(const std::string &bundle, const Identity &identity, const SignOptions &options,
                 Failure &failure);

// ---- reading and verifying ----
// What a signature says (codesign -d), read without judging it.
struct SignatureInfo {
    std::string identifier; // CFBundleIdentifier
    std::string team_id;
    std::string signer;     // the identity's name
    std::string executable;
    UnixTime signing_time = 0;
    PublicIdentity key;     // team, signer, public key
    std::string cdhash;     // 40 hex digits: the first 20 bytes of the CodeDirectory's SHA-256
    std::string cdhash_full; // 64 hex digits
    size_t code_directory_size = 0;
    size_t signature_size = 0;
    std::map<std::string, std::string> files; // sealed path → SHA-256 (hex)
};
std::optional<SignatureInfo> read_signature(const std::string &bundle, Failure &failure);
// The signature reader on its own (what read_signature does with the file's bytes): for tests and
// the fuzzer.
std::optional<SignatureInfo> parse_signature(std::string_view code_resources, Failure &failure);

struct VerifiedCode {
    SignatureInfo signature;
    entitlements::Entitlements entitlements; // from the sealed Entitlements.plist (none if absent)
    std::string info_plist;                  // the sealed Info.plist's bytes
};
struct VerifyOptions {
    const TrustStore *trust = nullptr; // nullptr: the team is not checked (integrity only)
    std::optional<UnixTime> now;       // default: the current time
};
std::optional<VerifiedCode> verify_bundle(const std::string &bundle, const VerifyOptions &options,
                                          Failure &failure);

// ---- the launch policy ----
// What netdextd, netdext-sim and the bench run a bundle as.
struct CodeIdentity {
    bool is_signed = false;
    std::string team_id = "-"; // "-" for an unsigned bundle (developer mode), as on macOS
    std::string cdhash;        // empty when unsigned
    entitlements::Entitlements entitlements;
};
struct LaunchPolicy {
    const TrustStore *trust = nullptr; // signed bundles must be from a trusted team (if given)
    bool allow_unsigned = false;       // developer mode: unsigned bundles run with team "-"
    std::optional<UnixTime> now;
};
// A signed bundle is always verified in full (a changed byte is refused even in developer
// mode); an unsigned one runs only when allowed, with the entitlements of its own
// Entitlements.plist.
std::optional<CodeIdentity> evaluate_bundle(const std::string &bundle, const LaunchPolicy &policy,
                                            Failure &failure);

} // namespace netdext::codesign
