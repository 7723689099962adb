// Requests that come from an app (see app_request.h).

#include "app_request.h"

#include <netdext/bundle/bundle_fs.h>
#include <netdext/codesign/entitlements.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace netdext::extensions {
namespace {

constexpr const char *kMacOSDir = "/Contents/MacOS/";
constexpr uint64_t kEntitlementsBytes = 1u << 20;

std::optional<std::string> resolved(const std::string &path) {
    char out[PATH_MAX];
    if (realpath(path.c_str(), out) == nullptr)
        return std::nullopt;
    return std::string(out);
}

RequestError fail(ErrorCode code, std::string reason) {
    return RequestError{code, std::move(reason)};
}

std::optional<RequestError> check_entitlement(const std::string &app) {
    std::string why;
    auto dir = bundle::BundleDir::open(app, why);
    if (!dir)
        return fail(ErrorCode::ExtensionNotFound, app + ": " + why);
    std::string xml;
    bool missing = false;
    const std::string lacks = std::string("the app ") + app + " lacks the entitlement " +
                              kSystemExtensionInstallEntitlement;
    if (!dir->read(kAppEntitlementsFile, kEntitlementsBytes, xml, why, &missing))
        return fail(ErrorCode::MissingEntitlement,
                    lacks + (missing ? std::string(" (it has no ") + kAppEntitlementsFile + ")"
                                     : std::string(" (") + kAppEntitlementsFile + " " + why + ")"));
    auto entitlements = entitlements::Entitlements::parse(xml, why);
    if (!entitlements)
        return fail(ErrorCode::MissingEntitlement,
                    lacks + " (" + kAppEntitlementsFile + " is not a property list: " + why + ")");
    if (!entitlements->granted(kSystemExtensionInstallEntitlement))
        return fail(ErrorCode::MissingEntitlement, lacks);
    return std::nullopt;
}

std::optional<RequestError> check_location(const std::string &app, const std::string &configured) {
    const std::string option = " (netdextd --applications-dir)";
    auto dir = resolved(configured);
    struct stat st {};
    if (!dir || stat(dir->c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(ErrorCode::UnsupportedParentBundleLocation,
                    "the applications directory " + configured + option +
                        " does not exist, so no app may activate system extensions");
    // Whoever may write there may place an app that activates extensions.
    if (st.st_uid != 0 || (st.st_mode & S_IWOTH) != 0)
        return fail(ErrorCode::UnsupportedParentBundleLocation,
                    "the applications directory " + *dir + option +
                        " must be root's and not writable by others");
    const std::string beneath = *dir == "/" ? *dir : *dir + "/";
    if (app.compare(0, beneath.size(), beneath) != 0)
        return fail(ErrorCode::UnsupportedParentBundleLocation,
                    "an app that activates system extensions must be in " + *dir + option +
                        "; this one is at file://" + app);
    return std::nullopt;
}

} // namespace

std::optional<std::string> app_of_executable(const std::string &executable) {
    const size_t at = executable.rfind(kMacOSDir);
    if (at == std::string::npos || at < 5 || executable.compare(at - 4, 4, ".app") != 0)
        return std::nullopt;
    const std::string name = executable.substr(at + std::strlen(kMacOSDir));
    if (name.empty() || name.find('/') != std::string::npos)
        return std::nullopt;
    const std::string app = executable.substr(0, at);
    const std::string base = app.substr(app.find_last_of('/') + 1);
    if (app[0] != '/' || base.size() <= 4) // "/.app": no name
        return std::nullopt;
    return app;
}

std::optional<std::string> app_of_process(pid_t pid) {
    const std::string proc = "/proc/" + std::to_string(pid);
    struct stat own {
    }, theirs{};
    if (stat("/", &own) != 0 || stat((proc + "/root").c_str(), &theirs) != 0 ||
        own.st_dev != theirs.st_dev || own.st_ino != theirs.st_ino)
        return std::nullopt;
    char target[PATH_MAX];
    ssize_t n = readlink((proc + "/exe").c_str(), target, sizeof target - 1);
    if (n <= 0)
        return std::nullopt;
    std::string executable(target, size_t(n));
    // A replaced or deleted executable: the app it ran from is judged as it is now.
    const std::string deleted = " (deleted)";
    if (executable.size() > deleted.size() &&
        executable.compare(executable.size() - deleted.size(), deleted.size(), deleted) == 0)
        executable.resize(executable.size() - deleted.size());
    return app_of_executable(executable);
}

std::optional<RequestError> check_app_request(const std::string &path, const AppRequest &request,
                                              bool developer_mode) {
    if (auto error = check_entitlement(request.app))
        return error;
    if (!developer_mode)
        if (auto error = check_location(request.app, request.applications_dir))
            return error;
    auto named = resolved(path);
    if (!named || *named != request.app)
        return fail(ErrorCode::ExtensionNotFound,
                    "an app activates only extensions inside its own bundle (" + request.app +
                        "), not " + path);
    return std::nullopt;
}

} // namespace netdext::extensions
