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
//   5. signature  SignatureVerifier (netdextd's is CodeSignatureVerifier, code_signature.h:
//                 a valid signature from a trusted team, unsigned only in developer mode; a
//                 changed, added or removed file is named)                    → 8
//   6. entitlements    from the signed Entitlements.plist (an unsigned bundle's own in
//                 developer mode): com.apple.developer.driverkit, and each personality's
//                 transport (…transport.usb for IOUSBHost*, …transport.pci for IOPCIDevice),
//                 the missing key named                                       → 2
//
// Why MissingEntitlement (2) for the dext's own keys: it is the code whose name says what is
// wrong. Apple documents it for the installing app's com.apple.developer.system-extension.install
// entitlement, and macOS itself notices a dext's missing entitlements only when it executes it
// (AMFI: "Invalid code signature or missing entitlements", CodeSignatureInvalid); netdext refuses
// before anything runs, and keeps 8 for the signature alone so that a client can tell the two
// apart.
//
// What depends on what is installed (replacement, duplicates) is ExtensionSet's business.
#pragma once

#include "app_request.h"
#include "error_codes.h"

#include <netdext/bundle/bundle.h>
#include <netdext/bundle/bundle_fs.h>
#include <netdext/codesign/entitlements.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace netdext::extensions {

// What a bundle's signature says (docs/codesign.md).
struct SignedCode {
    std::string team_id = "-"; // "-": unsigned
    std::string cdhash;        // "": unsigned
    entitlements::Entitlements entitlements; // the sealed Entitlements.plist's (unsigned: its own)
};

// Signature verification (DESIGN.md §8). netdextd's is CodeSignatureVerifier
// (code_signature.h); UnsignedBundles takes every bundle as unsigned (tests of other rules).
class SignatureVerifier {
public:
    virtual ~SignatureVerifier() = default;
    // Fills `code` or returns why the bundle may not be installed (CodeSignatureInvalid).
    virtual std::optional<RequestError> verify(const bundle::BundleDir &dir,
                                               const bundle::Bundle &bundle, bool developer_mode,
                                               SignedCode &code) const = 0;
};

class UnsignedBundles final : public SignatureVerifier {
public:
    std::optional<RequestError> verify(const bundle::BundleDir &, const bundle::Bundle &bundle,
                                       bool, SignedCode &code) const override;
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
    std::string cdhash;    // "" when unsigned
    entitlements::Entitlements entitlements; // what the signature grants (step 6 checked them)
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
// are reported as warnings instead of refusals; `verifier` nullptr: UnsignedBundles).
std::variant<Candidate, RequestError> validate_for_run(const std::string &path,
                                                       std::vector<std::string> &warnings,
                                                       const SignatureVerifier *verifier = nullptr);

// Step 6 on its own: the entitlements the dext needs to launch, for `who` (its bundle ID).
std::optional<RequestError> check_entitlements(const bundle::Bundle &bundle,
                                               const entitlements::Entitlements &granted);

} // namespace netdext::extensions
