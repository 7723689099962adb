// Signing a bundle (signature.h): seal every file, sign the CodeDirectory, write CodeResources.

#include "internal.h"

#include <netdext/registry/wire.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace netdext::codesign {

using detail::fail;
using registry::Value;

bool sign_bundle(const std::string &bundle, const Identity &identity, const SignOptions &options,
                 Failure &failure) {
    if (!detail::crypto_ready())
        return fail(failure, FailureKind::io, "libsodium could not be initialised");
    if (detail::exists(bundle + "/" + kSignatureFile) && !options.replace)
        return fail(failure, FailureKind::usage, "is already signed (--force re-signs it)");

    if (!options.entitlements_file.empty()) {
        std::string bytes, error;
        if (!detail::read_regular_file(options.entitlements_file, 1u << 20, bytes, error))
            return fail(failure, FailureKind::usage, error);
        if (!entitlements::Entitlements::parse(bytes, error))
            return fail(failure, FailureKind::usage,
                        "Failed to parse entitlements: " + options.entitlements_file + ": " +
                            error);
        if (!detail::write_file_atomically(bundle + "/Entitlements.plist", bytes, 0644, error))
            return fail(failure, FailureKind::io, error);
    }

    detail::Sealed sealed;
    if (!detail::seal_bundle(bundle, sealed, failure))
        return false;
    if (!sealed.unexpected_in_signature_dir.empty())
        return fail(failure, FailureKind::bad_bundle,
                    sealed.unexpected_in_signature_dir.front() +
                        ": only the signature belongs in _CodeSignature; remove it");
    if (sealed.info_plist.empty())
        return fail(failure, FailureKind::bad_bundle, "Info.plist is missing");
    registry::WireError wire;
    auto info = registry::value_from_plist(sealed.info_plist, wire);
    if (!info)
        return fail(failure, FailureKind::bad_bundle, "Info.plist: " + wire.message);
    const Value *identifier = detail::member(*info, "CFBundleIdentifier", Value::Type::string);
    const Value *executable = detail::member(*info, "CFBundleExecutable", Value::Type::string);
    if (identifier == nullptr || identifier->text().empty() || executable == nullptr ||
        executable->text().empty())
        return fail(failure, FailureKind::bad_bundle,
                    "Info.plist lacks CFBundleIdentifier or CFBundleExecutable");
    if (sealed.files.count(executable->text()) == 0)
        return fail(failure, FailureKind::bad_bundle,
                    "the executable " + executable->text() + " is missing");
    if (sealed.has_entitlements) {
        std::string error;
        if (!entitlements::Entitlements::parse(sealed.entitlements, error))
            return fail(failure, FailureKind::bad_bundle,
                        "Failed to parse entitlements: Entitlements.plist: " + error);
    }

    detail::CodeDirectory directory;
    directory.identifier = identifier->text();
    directory.team_id = identity.public_identity().team_id;
    directory.signer = identity.public_identity().name;
    directory.executable = executable->text();
    directory.signing_time = options.time.value_or(now_unix());
    directory.files = sealed.files;
    const std::string bytes = detail::serialize(directory);
    const std::string resources = detail::code_resources(
        bytes, identity.sign(bytes), identity.public_identity().public_key);

    const std::string signature_dir = bundle + "/" + kSignatureDirectory;
    if (::mkdir(signature_dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(failure, FailureKind::io, signature_dir + ": " + std::strerror(errno));
    std::string error;
    if (!detail::write_file_atomically(bundle + "/" + kSignatureFile, resources, 0644, error))
        return fail(failure, FailureKind::io, error);
    return true;
}

} // namespace netdext::codesign
