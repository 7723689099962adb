// Building OSSystemExtensionProperties and NSError from netdextd's JSON (control protocol's
// Extension and error objects). Private to the library.
#pragma once

#include <SystemExtensions/SystemExtensions.h>

#include <nlohmann/json.hpp>

namespace netdext::sysext {

struct PropertiesAccess {
    // From an Extension object; missing or mistyped fields stay empty (netdextd is trusted to
    // speak the protocol, but a newer one may add or drop fields).
    static OSSystemExtensionProperties from_json(const nlohmann::json &extension);
};

// From a `failed` event's "error" object.
NSError error_from_json(const nlohmann::json &error);

} // namespace netdext::sysext
