// CodeSignatureVerifier: activation's signature step (validation.h step 5) with netdext's code
// signing (docs/codesign.md): what netdextd runs a bundle as.
//
//   signed     always verified in full — every file's hash, the ed25519 signature, the sealed
//              Info.plist agreeing with the bundle — and the team must be trusted with exactly
//              this key, unexpired, in the daemon's TrustStore (<state-dir>/trust); a file
//              changed, added or removed after signing is named in the refusal
//   unsigned   only in developer mode, as team "-", with its own Entitlements.plist
//
// Every refusal is CodeSignatureInvalid (8) with codesign's words. The entitlements and CDHash
// come from the verified signature: the bytes that were hashed are the bytes that are parsed.
//
// Threads: any; the trust store is read afresh at each verification.
#pragma once

#include "validation.h"

#include <netdext/codesign/signature.h>
#include <netdext/codesign/trust_store.h>

#include <optional>
#include <string>

namespace netdext::extensions {

class CodeSignatureVerifier final : public SignatureVerifier {
public:
    // `trust` may be nullptr: integrity only (any key; `netdextd --run`, the developer's own
    // bundle, like an ad-hoc signature). It must outlive the verifier.
    explicit CodeSignatureVerifier(const codesign::TrustStore *trust) : m_trust(trust) {}

    std::optional<RequestError> verify(const bundle::BundleDir &dir, const bundle::Bundle &bundle,
                                       bool developer_mode, SignedCode &code) const override;

    // The same judgement on a bundle directory (a staged copy about to be launched).
    std::optional<RequestError> verify_path(const std::string &bundle_path, bool developer_mode,
                                            SignedCode &code) const;

private:
    const codesign::TrustStore *m_trust;
};

// "<bundle>: a sealed resource is missing or invalid\nfile modified: <bundle>/Info.plist" as one
// line: "…: a sealed resource is missing or invalid (file modified: Info.plist)".
std::string describe_failure(const codesign::Failure &failure, const std::string &bundle_path);

} // namespace netdext::extensions
