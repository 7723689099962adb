// OSSystemExtensionErrorCode (SystemExtensions.framework, OSSystemExtensionErrorDomain): the
// numbers and names a request's failure carries, exactly as Apple's header spells them — including
// "DuplicateExtensionIdentifer", which really lacks an "i" (API-SYSEXT.md §1.4).
#pragma once

#include <string>

namespace netdext::extensions {

enum class ErrorCode : int {
    Unknown = 1,
    MissingEntitlement = 2,
    UnsupportedParentBundleLocation = 3,
    ExtensionNotFound = 4,
    ExtensionMissingIdentifier = 5,
    DuplicateExtensionIdentifer = 6,
    UnknownExtensionCategory = 7,
    CodeSignatureInvalid = 8,
    ValidationFailed = 9,
    ForbiddenBySystemPolicy = 10,
    RequestCanceled = 11,
    RequestSuperseded = 12,
    AuthorizationRequired = 13,
};

inline constexpr const char *kErrorDomain = "OSSystemExtensionErrorDomain";

// "ValidationFailed" for 9; "Unknown" for a number outside 1…13.
const char *error_name(ErrorCode code);

// A request's failure: Apple's code and our one-line reason.
struct RequestError {
    ErrorCode code = ErrorCode::Unknown;
    std::string reason;
};

} // namespace netdext::extensions
