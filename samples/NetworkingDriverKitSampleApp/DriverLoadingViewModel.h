// DriverLoadingViewModel: what the Driver Manager window shows, as a state machine of five states
// (the seed's view model) driven by the user's buttons and the SystemExtensions delegate's calls.
//
//   not loaded ──Install──▶ activating ──needs approval──▶ needs approval
//        ▲                     │  ▲ replacement asked/decided       │
//        │                     │  └──────────────┘                  │
//        │ deactivated          ├──finished──▶ activated ◀──finished─┤
//        └──────────────────────┴──failed────▶ activation error ◀─failed┘
//
// Beside the five states it keeps what the window needs to say: the reason of an activation error,
// an open replacement question, whether a deactivation is under way, a notice (a deactivation that
// failed, a result that completes after a restart) and what the system last said is installed
// (`observed`, from a properties request: how the window finds its state at start, and notices an
// approval or an uninstall made elsewhere).
//
// A pure value: no threads, no I/O. The app applies events on one queue.
#pragma once

#include <optional>
#include <string>

enum class DriverState { notLoaded, activating, needsApproval, activated, activationError };
inline constexpr DriverState kAllDriverStates[] = {
    DriverState::notLoaded, DriverState::activating, DriverState::needsApproval,
    DriverState::activated, DriverState::activationError};

// "notLoaded", … (for scripts and the page's data-state); "Not loaded", … (for people).
const char *state_key(DriverState state);
const char *state_label(DriverState state);

// What the system has installed of the extension (OSSystemExtensionProperties' flags).
enum class Installed { none, waitingForApproval, enabled };

struct ReplacementQuestion {
    std::string installed; // "1.0 (1)"
    std::string offered;   // "1.1 (2)"
};

struct ViewEvent {
    enum class Kind {
        installPressed,     // the user asked to install: an activation request goes out
        needsUserApproval,  // requestNeedsUserApproval
        replacementAsked,   // actionForReplacingExtension: the user must choose
        replacementDecided, // …and has chosen
        finished,           // didFinishWithResult (of the activation)
        failed,             // didFailWithError (of the activation)
        deactivatePressed,  // the user asked to remove the driver
        deactivated,        // the deactivation finished
        deactivationFailed, // …or failed
        observed,           // foundProperties: what is installed now
    };
    explicit ViewEvent(Kind k) : kind(k) {}
    Kind kind;
    std::string reason;                    // failed, deactivationFailed
    ReplacementQuestion question;          // replacementAsked
    bool after_reboot = false;             // finished: willCompleteAfterReboot
    Installed installed = Installed::none; // observed
};
inline constexpr ViewEvent::Kind kAllViewEventKinds[] = {
    ViewEvent::Kind::installPressed,     ViewEvent::Kind::needsUserApproval,
    ViewEvent::Kind::replacementAsked,   ViewEvent::Kind::replacementDecided,
    ViewEvent::Kind::finished,           ViewEvent::Kind::failed,
    ViewEvent::Kind::deactivatePressed,  ViewEvent::Kind::deactivated,
    ViewEvent::Kind::deactivationFailed, ViewEvent::Kind::observed};
const char *event_name(ViewEvent::Kind kind);

class DriverLoadingViewModel {
public:
    explicit DriverLoadingViewModel(std::string identifier) : m_identifier(std::move(identifier)) {}

    // Applies `event`; false when it does not apply in this state (nothing changed: a stale
    // answer, a button that is disabled). `observed` always records what is installed and says
    // whether the state changed.
    bool apply(const ViewEvent &event);

    [[nodiscard]] DriverState state() const { return m_state; }
    [[nodiscard]] bool can_install() const;
    [[nodiscard]] bool can_deactivate() const;
    [[nodiscard]] bool deactivating() const { return m_deactivating; }
    [[nodiscard]] const std::optional<ReplacementQuestion> &question() const { return m_question; }
    [[nodiscard]] const std::string &error() const { return m_error; } // activation error's reason
    [[nodiscard]] const std::string &notice() const { return m_notice; }
    [[nodiscard]] Installed installed() const { return m_installed; }
    // The sentence under the state's label.
    [[nodiscard]] std::string status_text() const;

private:
    std::string m_identifier;
    DriverState m_state = DriverState::notLoaded;
    bool m_deactivating = false;
    std::optional<ReplacementQuestion> m_question;
    std::string m_error, m_notice;
    Installed m_installed = Installed::none;
};
