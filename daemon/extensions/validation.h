// Activation validation: from the PATH a user gave `netdextctl activate` to a bundle netdextd may
// install, or one RequestError with Apple's code and a one-line reason. Nothing is written or
// recorded here; the checks run in this order, the first failure wins:
//
//   0. app        for a request an app made (ValidationOptions::app, app_request.h): its
//                 entitlement, its location (not in developer mode), PATH is the app  → 2, 3, 4
//   1. locate     PATH is a .dext, or an app holding Contents/Library/SystemExtensions/*.dext
//                 (the file named <CFBundleIdentifier>.dext)                  → 3, 4, 6
//   2. read       Info.plist, executable, entitlements through BundleDir      → 4, 5, 9
//   3. identity   CFBundleIdentifier syntax, CFBundlePackageType DEXT         → 9, 7
//   4. DextValidation  CFBundleVersion a kext version, OSBundleUsageDescription present,
//                 IOKitPersonalities present, the executable an ELF shared object for this
//                 machine                                                     → 9
//   5. entitlements    com.apple.developer.driverkit                          → 2
//   6. signature  SignatureVerifier (code signing plugs in here; today every bundle is
//                 unsigned and gets team ID "-")                              → 8
//
// What depends on what is installed (replacement, duplicates) is ExtensionSet's business.
#pragma once

#include "app_request.h"
#include "error_codes.h"

#include <netdext/bundle/bundle.h>
#include <netdext/bundle/bundle_fs.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace netdext::extensions {

// Signature verification (DESIGN.md §6). Issue 9's code signing implements this; until then
// UnsignedBundles accepts every bundle as unsigned.
class SignatureVerifier {
public:
    virtual ~SignatureVerifier() = default;
    // Sets `team_id` ("-" for an unsigned bundle) or returns why the bundle may not be installed
    // (CodeSignatureInvalid; an unsigned bundle outside developer mode, once signing exists).
    virtual std::optional<RequestError> verify(const bundle::BundleDir &dir,
                                               const bundle::Bundle &bundle, bool developer_mode,
                                               std::string &team_id) const = 0;
};

class UnsignedBundles final : public SignatureVerifier {
public:
    std::optional<RequestError> verify(const bundle::BundleDir &, const bundle::Bundle &, bool,
                                       std::string &team_id) const override {
        team_id = "-";
        return std::nullopt;
    }
};

struct ValidationOptions {
    bool developer_mode = false;
    const SignatureVerifier *verifier = nullptr; // nullptr: UnsignedBundles
    bundle::BundleLimits limits;
    std::optional<AppRequest> app; // set when an app asks (netdextd looks at the peer)
};

// A bundle that passed validation, still open (the copy is made from this very directory).
struct Candidate {
    bundle::Bundle bundle;
    std::optional<bundle::BundleDir> dir;
    std::string dext_path; // absolute path of the .dext
    std::string app_path;  // absolute path of the app holding it, "" for a bare .dext
    std::string team_id;
};

// `identifier` (may be empty) selects the extension inside an app bundle, as
// OSSystemExtensionRequest's identifier does.
std::variant<Candidate, RequestError> validate_activation(const std::string &path,
                                                          const std::string &identifier,
                                                          const ValidationOptions &options);

// Steps 2–6 again on the staged copy of `source` (what is installed is exactly what was checked:
// a bundle changed between the check and the copy is refused). The result keeps the source's
// paths.
std::variant<Candidate, RequestError> validate_staged(const std::string &staged_path,
                                                      const Candidate &source,
                                                      const ValidationOptions &options);

// Steps 2–6 on a bare .dext, for `netdextd --run` (development: the Apple-only rules of step 4
// are reported as warnings instead of refusals).
std::variant<Candidate, RequestError> validate_for_run(const std::string &path,
                                                       std::vector<std::string> &warnings);

} // namespace netdext::extensions
