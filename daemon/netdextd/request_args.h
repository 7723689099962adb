// Reading the arguments of a control request (control/ has the wire format): what netdextd's
// request handlers share.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace netdext::daemon {

// The string argument `key` of a request, "" when it is missing or not a string.
inline std::string text_arg(const nlohmann::json &message, const char *key) {
    auto it = message.find(key);
    return it != message.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace netdext::daemon
