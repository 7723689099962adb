// Activation's signature step (see code_signature.h).

#include "code_signature.h"

namespace netdext::extensions {

std::string describe_failure(const codesign::Failure &failure, const std::string &bundle_path) {
    std::string text = bundle_path + ": " + failure.message;
    if (!failure.changes.empty()) {
        text += " (";
        for (size_t i = 0; i < failure.changes.size(); ++i) {
            const codesign::ResourceChange &change = failure.changes[i];
            const char *what = change.kind == codesign::ResourceChange::Kind::modified ? "modified"
                               : change.kind == codesign::ResourceChange::Kind::added  ? "added"
                                                                                       : "missing";
            text += (i == 0 ? "file " : ", file ") + std::string(what) + ": " + change.path;
            if (i == 7 && failure.changes.size() > 8) {
                text += ", and " + std::to_string(failure.changes.size() - 8) + " more";
                break;
            }
        }
        text += ")";
    }
    return text;
}

std::optional<RequestError> CodeSignatureVerifier::verify(const bundle::BundleDir &,
                                                          const bundle::Bundle &bundle,
                                                          bool developer_mode,
                                                          SignedCode &code) const {
    return verify_path(bundle.path, developer_mode, code);
}

std::optional<RequestError> CodeSignatureVerifier::verify_path(const std::string &bundle_path,
                                                               bool developer_mode,
                                                               SignedCode &code) const {
    codesign::LaunchPolicy policy;
    policy.trust = m_trust;
    policy.allow_unsigned = developer_mode;
    codesign::Failure failure;
    auto identity = codesign::evaluate_bundle(bundle_path, policy, failure);
    if (!identity)
        return RequestError{ErrorCode::CodeSignatureInvalid, describe_failure(failure, bundle_path)};
    code.team_id = identity->team_id;
    code.cdhash = identity->cdhash;
    code.entitlements = std::move(identity->entitlements);
    return std::nullopt;
}

} // namespace netdext::extensions
