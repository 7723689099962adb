#include "error_codes.h"

namespace netdext::extensions {

const char *error_name(ErrorCode code) {
    switch (code) {
    case ErrorCode::Unknown: return "Unknown";
    case ErrorCode::MissingEntitlement: return "MissingEntitlement";
    case ErrorCode::UnsupportedParentBundleLocation: return "UnsupportedParentBundleLocation";
    case ErrorCode::ExtensionNotFound: return "ExtensionNotFound";
    case ErrorCode::ExtensionMissingIdentifier: return "ExtensionMissingIdentifier";
    case ErrorCode::DuplicateExtensionIdentifer: return "DuplicateExtensionIdentifer";
    case ErrorCode::UnknownExtensionCategory: return "UnknownExtensionCategory";
    case ErrorCode::CodeSignatureInvalid: return "CodeSignatureInvalid";
    case ErrorCode::ValidationFailed: return "ValidationFailed";
    case ErrorCode::ForbiddenBySystemPolicy: return "ForbiddenBySystemPolicy";
    case ErrorCode::RequestCanceled: return "RequestCanceled";
    case ErrorCode::RequestSuperseded: return "RequestSuperseded";
    case ErrorCode::AuthorizationRequired: return "AuthorizationRequired";
    }
    return "Unknown";
}

} // namespace netdext::extensions
