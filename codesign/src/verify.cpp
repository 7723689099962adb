// Verifying a bundle and the launch policy (signature.h).

#include "internal.h"

#include <netdext/registry/wire.h>

#include <sodium.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace netdext::codesign {

using detail::fail;
using registry::Value;

namespace {

// The signature file's bytes; not_signed when there is none.
bool read_code_resources(const std::string &bundle, std::string &bytes, Failure &failure) {
    const std::string path = bundle + "/" + kSignatureFile;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return fail(failure, FailureKind::not_signed, "code object is not signed at all");
        return fail(failure, FailureKind::io, path + ": " + std::strerror(errno));
    }
    std::string error;
    if (!detail::read_regular_file(path, kMaxSignatureSize, bytes, error))
        return fail(failure, FailureKind::bad_bundle, error);
    return true;
}

void compare(const std::map<std::string, detail::Digest> &expected, const detail::Sealed &actual,
             std::vector<ResourceChange> &changes) {
    for (const auto &[path, digest] : expected) {
        auto found = actual.files.find(path);
        if (found == actual.files.end())
            changes.push_back({ResourceChange::Kind::missing, path});
        else if (found->second != digest)
            changes.push_back({ResourceChange::Kind::modified, path});
    }
    for (const auto &[path, digest] : actual.files)
        if (expected.count(path) == 0)
            changes.push_back({ResourceChange::Kind::added, path});
    for (const std::string &path : actual.unexpected_in_signature_dir)
        changes.push_back({ResourceChange::Kind::added, path});
}

bool check_info_plist(const detail::ParsedSignature &parsed, const detail::Sealed &sealed,
                      Failure &failure) {
    registry::WireError wire;
    auto info = registry::value_from_plist(sealed.info_plist, wire);
    if (!info)
        return fail(failure, FailureKind::identity, "Info.plist: " + wire.message);
    const Value *identifier = detail::member(*info, "CFBundleIdentifier", Value::Type::string);
    const Value *executable = detail::member(*info, "CFBundleExecutable", Value::Type::string);
    if (identifier == nullptr || identifier->text() != parsed.info.identifier)
        return fail(failure, FailureKind::identity,
                    "the signature is for " + parsed.info.identifier +
                        ", but Info.plist's CFBundleIdentifier is " +
                        (identifier ? identifier->text() : std::string("missing")));
    if (executable == nullptr || executable->text() != parsed.info.executable ||
        parsed.files.count(executable->text()) == 0)
        return fail(failure, FailureKind::identity,
                    "the signature seals the executable " + parsed.info.executable +
                        ", but Info.plist's CFBundleExecutable is " +
                        (executable ? executable->text() : std::string("missing")));
    return true;
}

bool check_trust(const detail::ParsedSignature &parsed, const VerifyOptions &options,
                 Failure &failure) {
    if (options.trust == nullptr)
        return true;
    const SignatureInfo &info = parsed.info;
    TrustedKey match;
    const UnixTime now = options.now.value_or(now_unix());
    switch (options.trust->evaluate(info.team_id, info.key.public_key, now, &match)) {
    case Trust::trusted:
        return true;
    case Trust::untrusted_team:
        return fail(failure, FailureKind::untrusted_team,
                    "the signing team " + info.team_id + " (" + info.signer +
                        ") is not trusted");
    case Trust::wrong_key:
        return fail(failure, FailureKind::wrong_key,
                    "team " + info.team_id + " is trusted with another key; this signature's "
                                             "key is " +
                        info.key.fingerprint());
    case Trust::expired:
        return fail(failure, FailureKind::expired,
                    "the trust in team " + info.team_id + "'s key " + info.key.fingerprint() +
                        " expired on " + format_date(*match.expires));
    }
    return false;
}

} // namespace

std::string Failure::describe(const std::string &bundle) const {
    std::string out = bundle + ": " + message + "\n";
    for (const ResourceChange &change : changes) {
        const char *what = change.kind == ResourceChange::Kind::modified ? "file modified: "
                           : change.kind == ResourceChange::Kind::added  ? "file added: "
                                                                         : "file missing: ";
        out += what + bundle + "/" + change.path + "\n";
    }
    return out;
}

std::optional<SignatureInfo> read_signature(const std::string &bundle, Failure &failure) {
    std::string bytes;
    if (!read_code_resources(bundle, bytes, failure))
        return std::nullopt;
    return parse_signature(bytes, failure);
}

std::optional<VerifiedCode> verify_bundle(const std::string &bundle, const VerifyOptions &options,
                                          Failure &failure) {
    std::string bytes;
    if (!read_code_resources(bundle, bytes, failure))
        return std::nullopt;
    auto parsed = detail::parse_code_resources(bytes, failure);
    if (!parsed)
        return std::nullopt;
    const std::string &signed_bytes = parsed->directory_bytes;
    if (crypto_sign_verify_detached(parsed->signature.data(),
                                    reinterpret_cast<const unsigned char *>(signed_bytes.data()),
                                    signed_bytes.size(),
                                    parsed->info.key.public_key.data()) != 0) {
        fail(failure, FailureKind::invalid_signature,
             "invalid signature (code or signature have been modified)");
        return std::nullopt;
    }
    detail::Sealed sealed;
    if (!detail::seal_bundle(bundle, sealed, failure))
        return std::nullopt;
    std::vector<ResourceChange> changes;
    compare(parsed->files, sealed, changes);
    if (!changes.empty()) {
        fail(failure, FailureKind::resources, "a sealed resource is missing or invalid");
        failure.changes = std::move(changes);
        return std::nullopt;
    }
    if (!check_info_plist(*parsed, sealed, failure) || !check_trust(*parsed, options, failure))
        return std::nullopt;
    VerifiedCode code;
    if (sealed.has_entitlements) {
        std::string error;
        auto entitlements = entitlements::Entitlements::parse(sealed.entitlements, error);
        if (!entitlements) {
            fail(failure, FailureKind::malformed,
                 "Failed to parse entitlements: Entitlements.plist: " + error);
            return std::nullopt;
        }
        code.entitlements = std::move(*entitlements);
    }
    code.signature = std::move(parsed->info);
    code.info_plist = std::move(sealed.info_plist);
    return code;
}

std::optional<CodeIdentity> evaluate_bundle(const std::string &bundle, const LaunchPolicy &policy,
                                            Failure &failure) {
    VerifyOptions options;
    options.trust = policy.trust;
    options.now = policy.now;
    if (auto code = verify_bundle(bundle, options, failure)) {
        CodeIdentity identity;
        identity.is_signed = true;
        identity.team_id = code->signature.team_id;
        identity.cdhash = code->signature.cdhash;
        identity.entitlements = std::move(code->entitlements);
        return identity;
    }
    if (failure.kind != FailureKind::not_signed)
        return std::nullopt;
    if (!policy.allow_unsigned) {
        failure.message += " (only developer mode runs unsigned bundles)";
        return std::nullopt;
    }
    // Developer mode: the bundle's own, unsealed entitlements.
    CodeIdentity identity;
    const std::string path = bundle + "/Entitlements.plist";
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        std::string bytes, error;
        if (!detail::read_regular_file(path, 1u << 20, bytes, error)) {
            fail(failure, FailureKind::bad_bundle, error);
            return std::nullopt;
        }
        auto entitlements = entitlements::Entitlements::parse(bytes, error);
        if (!entitlements) {
            fail(failure, FailureKind::malformed,
                 "Failed to parse entitlements: Entitlements.plist: " + error);
            return std::nullopt;
        }
        identity.entitlements = std::move(*entitlements);
    }
    return identity;
}

} // namespace netdext::codesign
