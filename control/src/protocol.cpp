#include <netdext/control/protocol.h>

#include <cstdlib>

namespace netdext::control {

std::string default_socket_path() {
    const char *env = std::getenv(kSocketEnvironment);
    return env != nullptr && *env != '\0' ? env : kDefaultSocket;
}

nlohmann::json make_request(const std::string &verb, uint64_t id) {
    return {{"protocol", kProtocolVersion}, {"id", id}, {"request", verb}};
}

nlohmann::json make_event(uint64_t id, const std::string &name, bool final) {
    return {{"protocol", kProtocolVersion}, {"id", id}, {"event", name}, {"final", final}};
}

nlohmann::json make_error(const std::string &domain, int code, const std::string &name,
                          const std::string &reason) {
    return {{"domain", domain}, {"code", code}, {"name", name}, {"reason", reason}};
}

std::string describe_error(const nlohmann::json &event) {
    if (!event.is_object() || !event.contains("error") || !event["error"].is_object())
        return "";
    const nlohmann::json &e = event["error"];
    return e.value("name", std::string("Unknown")) + " (" + std::to_string(e.value("code", 0)) +
           "): " + e.value("reason", std::string());
}

} // namespace netdext::control
