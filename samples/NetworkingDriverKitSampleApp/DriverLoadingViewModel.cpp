// The Driver Manager's state machine (see DriverLoadingViewModel.h).

#include "DriverLoadingViewModel.h"

const char *state_key(DriverState state) {
    switch (state) {
    case DriverState::notLoaded:
        return "notLoaded";
    case DriverState::activating:
        return "activating";
    case DriverState::needsApproval:
        return "needsApproval";
    case DriverState::activated:
        return "activated";
    case DriverState::activationError:
        return "activationError";
    }
    return "notLoaded";
}

const char *state_label(DriverState state) {
    switch (state) {
    case DriverState::notLoaded:
        return "Not loaded";
    case DriverState::activating:
        return "Activating";
    case DriverState::needsApproval:
        return "Needs approval";
    case DriverState::activated:
        return "Activated";
    case DriverState::activationError:
        return "Activation error";
    }
    return "Not loaded";
}

const char *event_name(ViewEvent::Kind kind) {
    using K = ViewEvent::Kind;
    switch (kind) {
    case K::installPressed:
        return "installPressed";
    case K::needsUserApproval:
        return "needsUserApproval";
    case K::replacementAsked:
        return "replacementAsked";
    case K::replacementDecided:
        return "replacementDecided";
    case K::finished:
        return "finished";
    case K::failed:
        return "failed";
    case K::deactivatePressed:
        return "deactivatePressed";
    case K::deactivated:
        return "deactivated";
    case K::deactivationFailed:
        return "deactivationFailed";
    case K::observed:
        return "observed";
    }
    return "?";
}

bool DriverLoadingViewModel::can_install() const {
    return !m_deactivating &&
           (m_state == DriverState::notLoaded || m_state == DriverState::activated ||
            m_state == DriverState::activationError);
}

bool DriverLoadingViewModel::can_deactivate() const {
    if (m_deactivating)
        return false;
    return m_state == DriverState::activated || m_state == DriverState::needsApproval ||
           (m_state == DriverState::activationError && m_installed != Installed::none);
}

bool DriverLoadingViewModel::apply(const ViewEvent &event) {
    using K = ViewEvent::Kind;
    using S = DriverState;
    const bool waiting = m_state == S::activating || m_state == S::needsApproval;
    switch (event.kind) {
    case K::installPressed:
        if (!can_install())
            return false;
        m_state = S::activating;
        m_error.clear();
        m_notice.clear();
        return true;
    case K::needsUserApproval:
        if (!waiting)
            return false;
        m_state = S::needsApproval;
        m_question.reset();
        return true;
    case K::replacementAsked:
        if (m_state != S::activating)
            return false;
        m_question = event.question;
        return true;
    case K::replacementDecided:
        if (m_state != S::activating || !m_question)
            return false;
        m_question.reset();
        return true;
    case K::finished:
        if (!waiting)
            return false;
        m_state = S::activated;
        m_question.reset();
        m_notice = event.after_reboot ? "The installation completes after the next restart." : "";
        return true;
    case K::failed:
        if (!waiting)
            return false;
        m_state = S::activationError;
        m_question.reset();
        m_error = event.reason;
        return true;
    case K::deactivatePressed:
        if (!can_deactivate())
            return false;
        m_deactivating = true;
        m_notice.clear();
        return true;
    case K::deactivated:
        if (!m_deactivating)
            return false;
        m_deactivating = false;
        m_state = S::notLoaded;
        m_installed = Installed::none;
        m_error.clear();
        return true;
    case K::deactivationFailed:
        if (!m_deactivating)
            return false;
        m_deactivating = false;
        m_notice = "The driver could not be removed: " + event.reason;
        return true;
    case K::observed: {
        m_installed = event.installed;
        // Our own requests decide while they run, and an error stays until the user acts.
        if (m_state == S::activating || m_state == S::activationError || m_deactivating)
            return false;
        const S next = event.installed == Installed::enabled              ? S::activated
                       : event.installed == Installed::waitingForApproval ? S::needsApproval
                                                                          : S::notLoaded;
        if (next == m_state)
            return false;
        m_state = next;
        return true;
    }
    }
    return false;
}

std::string DriverLoadingViewModel::status_text() const {
    if (m_deactivating)
        return "Removing the driver from the system…";
    switch (m_state) {
    case DriverState::notLoaded:
        return "The driver is not installed. Install Dext hands it to the system.";
    case DriverState::activating:
        return m_question ? "Another version of the driver is installed: choose below whether this "
                            "one replaces it."
                          : "Handing the driver to the system…";
    case DriverState::needsApproval:
        return "The system holds the driver until an administrator allows it (on this machine: "
               "sudo netdextctl approve " +
               m_identifier + ").";
    case DriverState::activated:
        return "The driver is installed and running.";
    case DriverState::activationError:
        return "The system refused the driver.";
    }
    return "";
}
