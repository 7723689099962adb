// Requests that come from an app (API-SYSEXT.md §1.5, DESIGN.md §10). On macOS an app submits an
// OSSystemExtensionRequest for an extension inside its own bundle, and sysextd refuses it unless
//
//   the app carries com.apple.developer.system-extension.install       → MissingEntitlement (2)
//   the app lives in the system's Applications directory               →
//   UnsupportedParentBundleLocation (3)
//     (developer mode skips this check, as `systemextensionsctl developer on` does)
//   the extension is the app's Contents/Library/SystemExtensions/<ID>.dext → ExtensionNotFound (4)
//
// netdextd learns who asks from the kernel, not from the request: the peer's executable
// (/proc/PID/exe of the SO_PEERCRED pid) inside NAME.app/Contents/MacOS/ makes it the app
// NAME.app. An app's entitlements are its Contents/Entitlements.plist (the counterpart of the
// entitlements a Mac app's signature carries), read through BundleDir like every bundle file.
// Requests from other programs (netdextctl, used by an administrator) are not app requests.
//
// Threads: none; plain functions of the file system.
#pragma once

#include "error_codes.h"

#include <sys/types.h>

#include <optional>
#include <string>

namespace netdext::extensions {

inline constexpr const char *kSystemExtensionInstallEntitlement =
    "com.apple.developer.system-extension.install";
inline constexpr const char *kAppEntitlementsFile = "Contents/Entitlements.plist";
inline constexpr const char *kDefaultApplicationsDir = "/opt/Applications";

// An activation request made by an app.
struct AppRequest {
    std::string app;              // the requesting app bundle: absolute, symlinks resolved
    std::string applications_dir; // where apps must live (netdextd --applications-dir)
};

// The app whose Contents/MacOS/ holds `executable` ("/A/X.app/Contents/MacOS/x" → "/A/X.app");
// nullopt for any other path.
std::optional<std::string> app_of_executable(const std::string &executable);

// The app process `pid` runs from, by its /proc/PID/exe; nullopt when it is not an app (or its
// executable cannot be read).
// FIXME: a process in another mount namespace (another root) counts as no app; and between
// connect() and this look the pid could be reused — SO_PEERPIDFD (Linux 6.5) would close that.
std::optional<std::string> app_of_process(pid_t pid);

// The checks of an app's request for `path` (what the request names; it must be the app itself),
// in macOS's order: the entitlement (2), the location (3, skipped in developer mode), the path
// (4). nullopt when the app may go on to the extension's own checks.
std::optional<RequestError> check_app_request(const std::string &path, const AppRequest &request,
                                              bool developer_mode);

} // namespace netdext::extensions
