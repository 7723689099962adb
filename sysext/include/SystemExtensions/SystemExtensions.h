// SystemExtensions for netdext: the C++ counterpart of Apple's SystemExtensions framework, with
// which an app installs the driver extensions inside its bundle (DESIGN.md §10, docs/apps.md).
// Apple's names and values (OSSystemExtensionRequest, OSSystemExtensionManager, the delegate,
// OSSystemExtensionProperties, OSSystemExtensionErrorCode); netdext's additions live in
// namespace netdext::sysext and are marked "netdext:".
//
//   auto request = OSSystemExtensionRequest::activationRequestForExtension(
//       "com.example.MyDriver", netdext::sysext::DispatchQueue::create("installer"));
//   request->setDelegate(self);                 // a std::weak_ptr: the request does not own it
//   OSSystemExtensionManager::shared().submitRequest(request);
//
// As on macOS, the request looks for the extension in the calling app's bundle,
// NAME.app/Contents/Library/SystemExtensions/<identifier>.dext; the app needs the
// com.apple.developer.system-extension.install entitlement (NAME.app/Contents/Entitlements.plist)
// and must live in the system's applications directory (netdextd --applications-dir; developer
// mode skips that). netdextd checks all of this itself, from the kernel's word on which program
// asks. The approval never comes from the app: an administrator gives it (`netdextctl approve`),
// or developer mode skips it.
//
// The manager talks to netdextd over its control socket ($NETDEXT_SOCKET, else
// /run/netdext/netdextd.sock). Delegate methods run on the queue the request was created with,
// one at a time and in the order netdextd sent them; each request ends with exactly one of
// didFinishWithResult, didFailWithError or (a properties request) foundProperties.
#pragma once

#include <netdext/sysext/dispatch_queue.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

// ---- errors ------------------------------------------------------------------------------------

inline constexpr const char *OSSystemExtensionErrorDomain = "OSSystemExtensionErrorDomain";

// OSSystemExtensionErrorCode: Apple's values, and Apple's spelling (DuplicateExtensionIdentifer
// really lacks an "i").
enum OSSystemExtensionErrorCode : long {
    OSSystemExtensionErrorUnknown = 1,
    OSSystemExtensionErrorMissingEntitlement = 2,
    OSSystemExtensionErrorUnsupportedParentBundleLocation = 3,
    OSSystemExtensionErrorExtensionNotFound = 4,
    OSSystemExtensionErrorExtensionMissingIdentifier = 5,
    OSSystemExtensionErrorDuplicateExtensionIdentifer = 6,
    OSSystemExtensionErrorUnknownExtensionCategory = 7,
    OSSystemExtensionErrorCodeSignatureInvalid = 8,
    OSSystemExtensionErrorValidationFailed = 9,
    OSSystemExtensionErrorForbiddenBySystemPolicy = 10,
    OSSystemExtensionErrorRequestCanceled = 11,
    OSSystemExtensionErrorRequestSuperseded = 12,
    OSSystemExtensionErrorAuthorizationRequired = 13,
};

// When netdextd cannot be reached or goes away mid-request, requests fail as they do on macOS
// when sysextd's connection breaks: NSCocoaErrorDomain, NSXPCConnectionInvalid.
inline constexpr const char *NSCocoaErrorDomain = "NSCocoaErrorDomain";
inline constexpr long NSXPCConnectionInvalid = 4099;

// The part of NSError a SystemExtensions delegate reads.
class NSError {
public:
    NSError(std::string domain, long code, std::string description, std::string code_name = {})
        : m_domain(std::move(domain)), m_code(code), m_description(std::move(description)),
          m_code_name(std::move(code_name)) {}
    [[nodiscard]] const std::string &domain() const { return m_domain; }
    [[nodiscard]] long code() const { return m_code; }
    // netdextd's one-line reason ("Property 'CFBundleVersion' must be a valid kext version …").
    [[nodiscard]] const std::string &localizedDescription() const { return m_description; }
    // netdext: the code's name ("ValidationFailed"); "" when netdextd gave none.
    [[nodiscard]] const std::string &codeName() const { return m_code_name; }

private:
    std::string m_domain;
    long m_code;
    std::string m_description;
    std::string m_code_name;
};

// "ValidationFailed" for OSSystemExtensionErrorValidationFailed; "" for other numbers.
const char *OSSystemExtensionErrorCodeName(long code);

// ---- properties --------------------------------------------------------------------------------

namespace netdext::sysext {
struct PropertiesAccess;
}

// What the system knows about one installed version of an extension (macOS 10.15 / 12.0 keys).
class OSSystemExtensionProperties {
public:
    OSSystemExtensionProperties() = default;
    // CFBundleIdentifier, CFBundleVersion, CFBundleShortVersionString.
    [[nodiscard]] const std::string &bundleIdentifier() const { return m_identifier; }
    [[nodiscard]] const std::string &bundleVersion() const { return m_version; }
    [[nodiscard]] const std::string &bundleShortVersion() const { return m_short_version; }
    // file:// URL of the installed (staged) copy; for an extension not installed yet, of the
    // bundle in the app.
    [[nodiscard]] const std::string &URL() const { return m_url; }
    [[nodiscard]] bool isEnabled() const { return m_enabled; }
    [[nodiscard]] bool isAwaitingUserApproval() const { return m_awaiting_approval; }
    [[nodiscard]] bool isUninstalling() const { return m_uninstalling; }
    // netdext: the team ID ("-" unsigned), systemextensionsctl's state words ("activated
    // enabled") and the network interface the driver registered ("" while none).
    [[nodiscard]] const std::string &teamIdentifier() const { return m_team; }
    [[nodiscard]] const std::string &stateText() const { return m_state_text; }
    [[nodiscard]] const std::string &interfaceName() const { return m_interface; }

private:
    friend struct netdext::sysext::PropertiesAccess;
    std::string m_identifier, m_version, m_short_version, m_url, m_team, m_state_text, m_interface;
    bool m_enabled = false, m_awaiting_approval = false, m_uninstalling = false;
};

// ---- requests ----------------------------------------------------------------------------------

class OSSystemExtensionRequestDelegate;

// One activation, deactivation or properties request for an extension identifier. Created
// through the three factories, handed to OSSystemExtensionManager::submitRequest (once).
class OSSystemExtensionRequest {
public:
    // OSSystemExtensionReplacementAction (Swift: OSSystemExtensionRequest.ReplacementAction).
    enum class ReplacementAction : long { cancel = 0, replace = 1 };
    // OSSystemExtensionRequestResult (Swift: OSSystemExtensionRequest.Result).
    enum class Result : long { completed = 0, willCompleteAfterReboot = 1 };
    // netdext: which of the three a request is.
    enum class Kind { activation, deactivation, properties };

    static std::shared_ptr<OSSystemExtensionRequest>
    activationRequestForExtension(const std::string &identifier, netdext::sysext::Queue queue);
    static std::shared_ptr<OSSystemExtensionRequest>
    deactivationRequestForExtension(const std::string &identifier, netdext::sysext::Queue queue);
    static std::shared_ptr<OSSystemExtensionRequest>
    propertiesRequestForExtension(const std::string &identifier, netdext::sysext::Queue queue);

    [[nodiscard]] const std::string &identifier() const { return m_identifier; }
    // The delegate is held weakly, as Apple's `delegate` property is: keep it alive yourself.
    void setDelegate(std::weak_ptr<OSSystemExtensionRequestDelegate> delegate);
    [[nodiscard]] std::shared_ptr<OSSystemExtensionRequestDelegate> delegate() const;

    [[nodiscard]] Kind kind() const { return m_kind; }
    [[nodiscard]] const netdext::sysext::Queue &queue() const { return m_queue; }

private:
    OSSystemExtensionRequest(Kind kind, std::string identifier, netdext::sysext::Queue queue)
        : m_kind(kind), m_identifier(std::move(identifier)), m_queue(std::move(queue)) {}

    const Kind m_kind;
    const std::string m_identifier;
    const netdext::sysext::Queue m_queue;
    mutable std::mutex m_mutex;
    std::weak_ptr<OSSystemExtensionRequestDelegate> m_delegate; // guarded by m_mutex
};

using OSSystemExtensionReplacementAction = OSSystemExtensionRequest::ReplacementAction;
inline constexpr OSSystemExtensionReplacementAction OSSystemExtensionReplacementActionCancel =
    OSSystemExtensionReplacementAction::cancel;
inline constexpr OSSystemExtensionReplacementAction OSSystemExtensionReplacementActionReplace =
    OSSystemExtensionReplacementAction::replace;
using OSSystemExtensionRequestResult = OSSystemExtensionRequest::Result;
inline constexpr OSSystemExtensionRequestResult OSSystemExtensionRequestCompleted =
    OSSystemExtensionRequestResult::completed;
inline constexpr OSSystemExtensionRequestResult OSSystemExtensionRequestWillCompleteAfterReboot =
    OSSystemExtensionRequestResult::willCompleteAfterReboot;

// OSSystemExtensionRequestDelegate. Called on the request's queue.
class OSSystemExtensionRequestDelegate {
public:
    virtual ~OSSystemExtensionRequestDelegate() = default;

    // An activation meets an installed version of the same extension (another CFBundleVersion or
    // CFBundleShortVersionString): replace it, or cancel (the request then fails with
    // RequestCanceled). A request whose delegate is gone cancels.
    virtual OSSystemExtensionRequest::ReplacementAction
    actionForReplacingExtension(OSSystemExtensionRequest &request,
                                const OSSystemExtensionProperties &existing,
                                const OSSystemExtensionProperties &extension) = 0;
    // The activation waits for an administrator's approval; it stays pending until then.
    virtual void requestNeedsUserApproval(OSSystemExtensionRequest &request) = 0;
    virtual void didFinishWithResult(OSSystemExtensionRequest &request,
                                     OSSystemExtensionRequest::Result result) = 0;
    virtual void didFailWithError(OSSystemExtensionRequest &request, const NSError &error) = 0;
    // The answer to a properties request: every installed version (empty: none). Optional.
    virtual void foundProperties(OSSystemExtensionRequest &request,
                                 const std::vector<OSSystemExtensionProperties> &properties) {
        (void)request;
        (void)properties;
    }
};

// ---- the manager -------------------------------------------------------------------------------

namespace netdext::sysext {

// netdext: what a manager connects to and whose bundle it names.
struct ManagerOptions {
    std::string socket_path; // "": $NETDEXT_SOCKET, else /run/netdext/netdextd.sock
    std::string main_bundle; // "": the app holding this program (main_bundle_path())
};

// netdext: the app bundle this program runs from (NAME.app when the executable is
// NAME.app/Contents/MacOS/…, as NSBundle.mainBundle sees it); "" when it is in no app.
std::string main_bundle_path();

} // namespace netdext::sysext

class OSSystemExtensionManager {
public:
    // The manager every app uses (Apple: +sharedManager / .shared).
    static OSSystemExtensionManager &sharedManager();
    static OSSystemExtensionManager &shared() { return sharedManager(); }

    // Sends the request to netdextd; the answers come to its delegate, on its queue. Returns at
    // once, from any thread.
    void submitRequest(std::shared_ptr<OSSystemExtensionRequest> request);

    // netdext: a manager of one's own (tests, tools); Apple's has only the shared one. Requests
    // still in flight when it is destroyed fail with NSXPCConnectionInvalid.
    explicit OSSystemExtensionManager(netdext::sysext::ManagerOptions options);
    ~OSSystemExtensionManager();
    OSSystemExtensionManager(const OSSystemExtensionManager &) = delete;
    OSSystemExtensionManager &operator=(const OSSystemExtensionManager &) = delete;

private:
    struct Impl;
    std::shared_ptr<Impl> m_impl; // shared with delegate calls still on their queues
};
