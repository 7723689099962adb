#include "state.h"

namespace netdext::extensions {

State initial_state(bool developer_mode) {
    // macOS: developer mode skips the user's approval (API-SYSEXT.md §1.6).
    return developer_mode ? State::enabled : State::waiting_for_user;
}

std::optional<State> next_state(State from, Event event) {
    switch (from) {
    case State::waiting_for_user:
        switch (event) {
        case Event::approve: return State::enabled;
        case Event::replace:
        case Event::uninstall: return State::removed; // nothing runs yet
        case Event::stopped: return std::nullopt;
        }
        break;
    case State::enabled:
        switch (event) {
        case Event::approve: return std::nullopt;
        case Event::replace: return State::terminating_for_upgrade;
        case Event::uninstall: return State::terminating_for_uninstall;
        case Event::stopped: return std::nullopt; // a crash: the driver is relaunched, not removed
        }
        break;
    case State::terminating_for_upgrade:
        switch (event) {
        case Event::uninstall: return State::terminating_for_uninstall;
        case Event::stopped: return State::removed;
        default: return std::nullopt;
        }
    case State::terminating_for_uninstall:
        return event == Event::stopped ? std::optional<State>(State::removed) : std::nullopt;
    case State::removed:
        return std::nullopt;
    }
    return std::nullopt;
}

std::string_view state_text(State state) {
    switch (state) {
    case State::waiting_for_user: return "activated waiting for user";
    case State::enabled: return "activated enabled";
    case State::terminating_for_uninstall: return "terminating for uninstall but still running";
    case State::terminating_for_upgrade: return "terminating for upgrade via delegate";
    case State::removed: return "removed";
    }
    return "?";
}

std::string_view state_key(State state) {
    switch (state) {
    case State::waiting_for_user: return "activated_waiting_for_user";
    case State::enabled: return "activated_enabled";
    case State::terminating_for_uninstall: return "terminating_for_uninstall";
    case State::terminating_for_upgrade: return "terminating_for_upgrade_via_delegate";
    case State::removed: return "removed";
    }
    return "?";
}

std::optional<State> parse_state_key(std::string_view key) {
    for (State s : {State::waiting_for_user, State::enabled, State::terminating_for_uninstall,
                    State::terminating_for_upgrade})
        if (state_key(s) == key)
            return s;
    return std::nullopt;
}

bool enabled_mark(State state) { return state == State::enabled; }

bool active_mark(State state) {
    return state == State::enabled || state == State::waiting_for_user;
}

bool runs_driver(State state) {
    return state == State::enabled || state == State::terminating_for_uninstall ||
           state == State::terminating_for_upgrade;
}

} // namespace netdext::extensions
