// The netdextd control protocol: what netdextctl, the SystemExtensions client library and the
// tests speak over netdextd's Unix socket (default /run/netdext/netdextd.sock). No daemon
// internals here: only the wire format, so any client can link it.
//
// Transport: SOCK_STREAM, one JSON object per line ("\n"-terminated; JSON escapes newlines inside
// strings), at most kMaxMessageBytes per line. A connection may carry several requests at once
// and stays open as long as the client likes; every message names the request it belongs to.
//
//   request  {"protocol": 1, "id": 7, "request": "activate", "path": "/opt/X.app", …}
//   event    {"protocol": 1, "id": 7, "event": "needs_user_approval", "final": false, …}
//   final    {"protocol": 1, "id": 7, "event": "completed" | "failed" | "result", "final": true, …}
//
// A request lives until its final event. Events before it are what an
// OSSystemExtensionRequestDelegate is told in between: `needs_user_approval`,
// `replacement` (actionForReplacingExtension, when the request asked to decide), `log` lines and
// `changed` extensions for `log --follow` and `watch`. `failed` carries
//   "error": {"domain": "OSSystemExtensionErrorDomain", "code": 9, "name": "ValidationFailed",
//             "reason": "Property 'CFBundleVersion' must be a valid kext version (\"1.x\"; …)"}
// (domain "netdext.control" for a malformed message, an unknown request or a protocol mismatch).
//
// Requests (arguments beside "request"):
//   version                                      → result {version, protocol, pid}
//   list                                         → result {extensions: [Extension], developer_mode,
//                                                           boot_args, state_dir, ephemeral: bool}
//   properties  identifier                       → result {properties: [Extension]}
//   status      [identifier]                     → result {daemon_pid, dexts: [Dext]} (running
//                                                  drivers, with every interface counter)
//   activate    path, [identifier], [replacement: "replace" (default) | "cancel" | "ask"]
//                                                → needs_user_approval, replacement (ask),
//                                                  completed {result: 0, extension} | failed
//   replacement_action  activation (the activate request's id), action: "replace" | "cancel"
//                                                → result {} (the activation then goes on)
//   approve     identifier                       → completed {extension} | failed
//   deactivate  identifier                       → completed | failed
//   uninstall   team_id, identifier              → completed | failed
//   reset                                        → completed {removed: [identifier]} | failed
//   developer   [enable: bool]                   → result {developer_mode}
//   restart     identifier                       → completed | failed
//   boot_args   [set: string], [identifier]      → result {boot_args, extensions: {id: args}}
//   log         [identifier], [lines], [follow]  → log events {line: LogLine}…, result at the end
//                                                  (follow: no end until the client closes)
//   watch                                        → changed {extension, state} events, no end
//   device_attach  spec ("MODEL[,knob=value…]"), [wire: "tap" | "tap:NAME" | "none"]
//                                                → completed {device: Device} | failed
//   device_detach  id                            → completed {device} (a surprise removal)
//   device_set     id, knob ("name=value")       → result {id, knob, value} | failed
//   device_list                                  → result {devices: [Device]}
//   (device failures are in domain "netdext.devices" with the kIOReturn code and name)
// Reading (version, list, properties, status, log, watch, device_list) is open to everyone;
// everything else needs root or membership of netdextd's admin group (default "netdext"), and
// approve needs root.
// A refusal fails with AuthorizationRequired (13) and says which.
//
// Extension: {identifier, teamID, version: {CFBundleVersion, CFBundleShortVersionString}, name,
//   state ("activated_enabled"), state_text ("activated enabled"), enabled, active,
//   awaiting_user_approval, uninstalling (OSSystemExtensionProperties' 12.0 flags), category,
//   uniqueID, url (the staged bundle), origin_path, app_path, boot_args, ephemeral,
//   netdext: {interface, pid, crashes, driver}}
// Device: {id, spec, model, bus ("usb"/"pci"), provider, driver (bundle ID), personality, state
//   ("attaching", "attached", "removing", "driver not running (…)"), interface (en<N>), knobs,
//   [note], wire: {kind, name, ifindex, connected, counters}, [counters (the model's), removed]}
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace netdext::control {

inline constexpr int kProtocolVersion = 1;
inline constexpr const char *kDefaultSocket = "/run/netdext/netdextd.sock";
inline constexpr const char *kSocketEnvironment = "NETDEXT_SOCKET"; // overrides the default
inline constexpr size_t kMaxMessageBytes = 1 << 20;
inline constexpr const char *kSystemExtensionsDomain = "OSSystemExtensionErrorDomain";
inline constexpr const char *kControlDomain = "netdext.control";

// The socket a client uses: $NETDEXT_SOCKET, else kDefaultSocket.
std::string default_socket_path();

// {"protocol": 1, "id": id, "request": verb}
nlohmann::json make_request(const std::string &verb, uint64_t id = 0);
// {"protocol": 1, "id": id, "event": name, "final": final}
nlohmann::json make_event(uint64_t id, const std::string &name, bool final);
// {"domain", "code", "name", "reason"}
nlohmann::json make_error(const std::string &domain, int code, const std::string &name,
                          const std::string &reason);

// "ValidationFailed (9): reason" for an event's "error"; "" if there is none.
std::string describe_error(const nlohmann::json &event);

// Appends complete lines of `buffer` to `on_line`, keeping an incomplete tail in `buffer`.
// False when a line (or the unfinished tail) exceeds kMaxMessageBytes.
template <class F> bool split_lines(std::string &buffer, F &&on_line) {
    size_t start = 0;
    for (size_t newline; (newline = buffer.find('\n', start)) != std::string::npos;
         start = newline + 1) {
        if (newline - start > kMaxMessageBytes)
            return false;
        on_line(std::string_view(buffer).substr(start, newline - start));
    }
    buffer.erase(0, start);
    return buffer.size() <= kMaxMessageBytes;
}

} // namespace netdext::control
