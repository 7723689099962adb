// OSSystemExtensionRequest, OSSystemExtensionProperties and the error names.

#include "properties.h"

#include <limits.h>
#include <unistd.h>

namespace netdext::sysext {
namespace {

std::string text(const nlohmann::json &object, const char *key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const nlohmann::json &object, const char *key) {
    auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

} // namespace

OSSystemExtensionProperties PropertiesAccess::from_json(const nlohmann::json &e) {
    OSSystemExtensionProperties p;
    if (!e.is_object())
        return p;
    p.m_identifier = text(e, "identifier");
    if (auto version = e.find("version"); version != e.end() && version->is_object()) {
        p.m_version = text(*version, "CFBundleVersion");
        p.m_short_version = text(*version, "CFBundleShortVersionString");
    }
    const std::string path = text(e, "url").empty() ? text(e, "origin_path") : text(e, "url");
    p.m_url = path.empty() ? "" : "file://" + path;
    p.m_enabled = flag(e, "enabled");
    p.m_awaiting_approval = flag(e, "awaiting_user_approval");
    p.m_uninstalling = flag(e, "uninstalling");
    p.m_team = text(e, "teamID");
    p.m_state_text = text(e, "state_text");
    if (auto own = e.find("netdext"); own != e.end() && own->is_object()) {
        p.m_interface = text(*own, "interface");
        if (p.m_interface == "-")
            p.m_interface.clear();
    }
    return p;
}

NSError error_from_json(const nlohmann::json &error) {
    if (!error.is_object())
        return NSError(OSSystemExtensionErrorDomain, OSSystemExtensionErrorUnknown,
                       "netdextd sent a failure without an error", "Unknown");
    long code = error.contains("code") && error["code"].is_number_integer()
                    ? error["code"].get<long>()
                    : long(OSSystemExtensionErrorUnknown);
    std::string domain = text(error, "domain");
    return NSError(domain.empty() ? OSSystemExtensionErrorDomain : domain, code,
                   text(error, "reason"), text(error, "name"));
}

std::string main_bundle_path() {
    char target[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", target, sizeof target - 1);
    if (n <= 0)
        return "";
    const std::string exe(target, size_t(n));
    const std::string macos = ".app/Contents/MacOS/";
    const size_t at = exe.rfind(macos);
    if (at == std::string::npos || exe.find('/', at + macos.size()) != std::string::npos ||
        at == 0 || exe[at - 1] == '/')
        return "";
    return exe.substr(0, at + 4);
}

} // namespace netdext::sysext

const char *OSSystemExtensionErrorCodeName(long code) {
    switch (code) {
    case OSSystemExtensionErrorUnknown:
        return "Unknown";
    case OSSystemExtensionErrorMissingEntitlement:
        return "MissingEntitlement";
    case OSSystemExtensionErrorUnsupportedParentBundleLocation:
        return "UnsupportedParentBundleLocation";
    case OSSystemExtensionErrorExtensionNotFound:
        return "ExtensionNotFound";
    case OSSystemExtensionErrorExtensionMissingIdentifier:
        return "ExtensionMissingIdentifier";
    case OSSystemExtensionErrorDuplicateExtensionIdentifer:
        return "DuplicateExtensionIdentifer";
    case OSSystemExtensionErrorUnknownExtensionCategory:
        return "UnknownExtensionCategory";
    case OSSystemExtensionErrorCodeSignatureInvalid:
        return "CodeSignatureInvalid";
    case OSSystemExtensionErrorValidationFailed:
        return "ValidationFailed";
    case OSSystemExtensionErrorForbiddenBySystemPolicy:
        return "ForbiddenBySystemPolicy";
    case OSSystemExtensionErrorRequestCanceled:
        return "RequestCanceled";
    case OSSystemExtensionErrorRequestSuperseded:
        return "RequestSuperseded";
    case OSSystemExtensionErrorAuthorizationRequired:
        return "AuthorizationRequired";
    default:
        return "";
    }
}

std::shared_ptr<OSSystemExtensionRequest>
OSSystemExtensionRequest::activationRequestForExtension(const std::string &identifier,
                                                        netdext::sysext::Queue queue) {
    return std::shared_ptr<OSSystemExtensionRequest>(
        new OSSystemExtensionRequest(Kind::activation, identifier, std::move(queue)));
}

std::shared_ptr<OSSystemExtensionRequest>
OSSystemExtensionRequest::deactivationRequestForExtension(const std::string &identifier,
                                                          netdext::sysext::Queue queue) {
    return std::shared_ptr<OSSystemExtensionRequest>(
        new OSSystemExtensionRequest(Kind::deactivation, identifier, std::move(queue)));
}

std::shared_ptr<OSSystemExtensionRequest>
OSSystemExtensionRequest::propertiesRequestForExtension(const std::string &identifier,
                                                        netdext::sysext::Queue queue) {
    return std::shared_ptr<OSSystemExtensionRequest>(
        new OSSystemExtensionRequest(Kind::properties, identifier, std::move(queue)));
}

void OSSystemExtensionRequest::setDelegate(
    std::weak_ptr<OSSystemExtensionRequestDelegate> delegate) {
    std::lock_guard lock(m_mutex);
    m_delegate = std::move(delegate);
}

std::shared_ptr<OSSystemExtensionRequestDelegate> OSSystemExtensionRequest::delegate() const {
    std::lock_guard lock(m_mutex);
    return m_delegate.lock();
}
