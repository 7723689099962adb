// The lifecycle of an installed extension: states as `systemextensionsctl list` prints them and
// as sysextd's db.plist names them (API-SYSEXT.md §2.3), and the transitions netdextd allows.
//
//   activate (developer mode off) ─► activated waiting for user ──approve──► activated enabled
//   activate (developer mode on)  ─────────────────────────────────────────► activated enabled
//   activated enabled ──replace──► terminating for upgrade via delegate ──stopped──► (removed)
//   activated enabled ──uninstall─► terminating for uninstall but still running ──stopped──► (removed)
//   activated waiting for user ──replace / uninstall──► (removed: nothing was running)
//
// netdextd improves on macOS here: the old record disappears as soon as its driver has stopped,
// so `[terminated waiting to uninstall on reboot]` never exists, and validation finishes before
// anything is recorded, so `[validating by category]` is never shown.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace netdext::extensions {

enum class State : uint8_t {
    waiting_for_user,          // activated_waiting_for_user
    enabled,                   // activated_enabled
    terminating_for_uninstall, // terminating_for_uninstall: its driver is being stopped
    terminating_for_upgrade,   // terminating_for_upgrade_via_delegate: replaced, driver stopping
    removed,                   // no record any more (the end of every path)
};

enum class Event : uint8_t {
    approve,   // `netdextctl approve` — System Settings' Allow
    replace,   // another version of the same team + bundle ID was activated
    uninstall, // deactivate, uninstall, reset, or the app holding it was deleted
    stopped,   // its driver process has exited
};

// The state a new record starts in.
State initial_state(bool developer_mode);

// The state after `event`, or nullopt when `event` does not apply in `from`.
std::optional<State> next_state(State from, Event event);

// "activated enabled" (list), "activated_enabled" (database), and back.
std::string_view state_text(State state);
std::string_view state_key(State state);
std::optional<State> parse_state_key(std::string_view key);

// The `enabled` and `active` columns of `list` (`*` when true).
bool enabled_mark(State state);
bool active_mark(State state);
// Whether the extension's driver should be running (or is still stopping) in this state.
bool runs_driver(State state);

} // namespace netdext::extensions
