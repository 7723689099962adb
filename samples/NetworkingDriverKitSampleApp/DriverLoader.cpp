// The Driver Manager's link to the system (see DriverLoader.h).

#include "DriverLoader.h"

using nlohmann::json;
using Action = OSSystemExtensionRequest::ReplacementAction;
using Kind = OSSystemExtensionRequest::Kind;

namespace {

std::string version_text(const OSSystemExtensionProperties &p) {
    return p.bundleShortVersion() + " (" + p.bundleVersion() + ")";
}

// "UnsupportedParentBundleLocation (3): an app that activates …"
std::string describe(const NSError &error) {
    if (error.domain() != OSSystemExtensionErrorDomain)
        return "netdextd cannot be reached (" + error.domain() + " " +
               std::to_string(error.code()) + "): " + error.localizedDescription();
    std::string name =
        error.codeName().empty() ? OSSystemExtensionErrorCodeName(error.code()) : error.codeName();
    return name + " (" + std::to_string(error.code()) + "): " + error.localizedDescription();
}

} // namespace

json DriverSnapshot::to_json() const {
    json out = {{"version", version},
                {"identifier", identifier},
                {"state", state_key(state)},
                {"label", state_label(state)},
                {"text", text},
                {"error", error},
                {"notice", notice},
                {"deactivating", deactivating},
                {"canInstall", can_install},
                {"canDeactivate", can_deactivate},
                {"unreachable", unreachable},
                {"observed", observed},
                {"lastRequest", last_request},
                {"lastOutcome", last_outcome}};
    out["replacement"] =
        question ? json{{"installed", question->installed}, {"offered", question->offered}}
                 : json(nullptr);
    json interfaces = json::array();
    for (const auto &i : this->interfaces)
        interfaces.push_back({{"name", i.name}, {"carrier", i.carrier}, {"mtu", i.mtu}});
    out["interfaces"] = interfaces;
    return out;
}

// One request's delegate: hands every call to the model queue.
class DriverLoader::Delegate : public OSSystemExtensionRequestDelegate {
public:
    explicit Delegate(std::weak_ptr<DriverLoader> loader) : m_loader(std::move(loader)) {}

    Action actionForReplacingExtension(OSSystemExtensionRequest &,
                                       const OSSystemExtensionProperties &existing,
                                       const OSSystemExtensionProperties &extension) override {
        auto loader = m_loader.lock();
        if (!loader)
            return Action::cancel;
        ViewEvent asked{ViewEvent::Kind::replacementAsked};
        asked.question = {version_text(existing), version_text(extension)};
        bool replace = loader->m_options.replacement == Action::replace;
        if (loader->m_options.ask_replacement) {
            std::future<bool> answer;
            {
                std::lock_guard lock(loader->m_mutex);
                if (loader->m_closed)
                    return Action::cancel;
                loader->m_decision.emplace();
                answer = loader->m_decision->get_future();
            }
            loader->m_model_queue->async([loader, asked] { loader->apply(asked); });
            // This queue waits for the user; the model's goes on.
            replace = answer.get();
        } else {
            loader->m_model_queue->async([loader, asked] { loader->apply(asked); });
        }
        loader->m_model_queue->async(
            [loader] { loader->apply(ViewEvent{ViewEvent::Kind::replacementDecided}); });
        return replace ? Action::replace : Action::cancel;
    }

    void requestNeedsUserApproval(OSSystemExtensionRequest &) override {
        on_model([](DriverLoader &l) { l.apply(ViewEvent{ViewEvent::Kind::needsUserApproval}); });
    }

    void didFinishWithResult(OSSystemExtensionRequest &request,
                             OSSystemExtensionRequest::Result result) override {
        const Kind kind = request.kind();
        OSSystemExtensionRequest *key = &request;
        on_model([kind, key, result](DriverLoader &l) {
            ViewEvent event{kind == Kind::activation ? ViewEvent::Kind::finished
                                                     : ViewEvent::Kind::deactivated};
            event.after_reboot =
                result == OSSystemExtensionRequest::Result::willCompleteAfterReboot;
            l.m_last_outcome = "completed";
            l.m_interfaces.clear();
            l.apply(event);
            l.finished_request(key);
            l.poll_now(); // the interface, at once
        });
    }

    void didFailWithError(OSSystemExtensionRequest &request, const NSError &error) override {
        const Kind kind = request.kind();
        OSSystemExtensionRequest *key = &request;
        const std::string reason = describe(error);
        const bool unreachable = error.domain() == NSCocoaErrorDomain;
        on_model([kind, key, reason, unreachable](DriverLoader &l) {
            if (kind == Kind::properties) {
                l.m_observing = false;
                l.m_observed = true;
                l.m_unreachable = unreachable ? reason : "";
                l.finished_request(key);
                l.publish();
                return;
            }
            l.m_last_outcome = "failed";
            ViewEvent event{kind == Kind::activation ? ViewEvent::Kind::failed
                                                     : ViewEvent::Kind::deactivationFailed};
            event.reason = reason;
            l.apply(event);
            l.finished_request(key);
        });
    }

    void foundProperties(OSSystemExtensionRequest &request,
                         const std::vector<OSSystemExtensionProperties> &properties) override {
        Installed installed = Installed::none;
        for (const auto &p : properties) {
            if (p.isUninstalling())
                continue;
            if (p.isEnabled())
                installed = Installed::enabled;
            else if (p.isAwaitingUserApproval() && installed == Installed::none)
                installed = Installed::waitingForApproval;
        }
        OSSystemExtensionRequest *key = &request;
        on_model([installed, key](DriverLoader &l) {
            l.m_observing = false;
            l.m_observed = true;
            l.m_unreachable.clear();
            ViewEvent event{ViewEvent::Kind::observed};
            event.installed = installed;
            l.m_model.apply(event);
            l.refresh_interfaces();
            l.finished_request(key);
            l.publish();
        });
    }

private:
    void on_model(std::function<void(DriverLoader &)> work) {
        if (auto loader = m_loader.lock())
            loader->m_model_queue->async([loader, work = std::move(work)] { work(*loader); });
    }
    std::weak_ptr<DriverLoader> m_loader;
};

std::shared_ptr<DriverLoader> DriverLoader::create(Options options) {
    return std::shared_ptr<DriverLoader>(new DriverLoader(std::move(options)));
}

DriverLoader::DriverLoader(Options options)
    : m_options(std::move(options)),
      m_model_queue(netdext::sysext::DispatchQueue::create("driver-manager.model")),
      m_delegate_queue(netdext::sysext::DispatchQueue::create("driver-manager.delegate")),
      m_model(m_options.identifier) {
    m_snapshot.identifier = m_options.identifier;
}

DriverLoader::~DriverLoader() {
    std::lock_guard lock(m_mutex);
    if (m_decision)
        m_decision->set_value(false);
}

void DriverLoader::start() {
    std::weak_ptr<DriverLoader> self = weak_from_this();
    m_model_queue->async([self] {
        if (auto loader = self.lock()) {
            loader->publish();
            loader->poll();
        }
    });
}

void DriverLoader::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        if (m_decision) {
            m_decision->set_value(false);
            m_decision.reset();
        }
    }
    m_changed.notify_all();
    m_model_queue->sync([this] { m_stopped = true; });
}

void DriverLoader::install() {
    auto self = shared_from_this();
    m_model_queue->async([self] {
        if (self->m_stopped || !self->m_model.apply(ViewEvent{ViewEvent::Kind::installPressed}))
            return;
        self->m_last_request = "activation";
        self->m_last_outcome = "pending";
        self->m_interfaces.clear();
        self->publish();
        // As the seed's app does: an activation request for the dext in this app's bundle.
        self->submit(OSSystemExtensionRequest::activationRequestForExtension(
            self->m_options.identifier, self->m_delegate_queue));
    });
}

void DriverLoader::deactivate() {
    auto self = shared_from_this();
    m_model_queue->async([self] {
        if (self->m_stopped || !self->m_model.apply(ViewEvent{ViewEvent::Kind::deactivatePressed}))
            return;
        self->m_last_request = "deactivation";
        self->m_last_outcome = "pending";
        self->publish();
        self->submit(OSSystemExtensionRequest::deactivationRequestForExtension(
            self->m_options.identifier, self->m_delegate_queue));
    });
}

void DriverLoader::decide_replacement(bool replace) {
    std::lock_guard lock(m_mutex);
    if (m_decision) {
        m_decision->set_value(replace);
        m_decision.reset();
    }
}

DriverSnapshot DriverLoader::snapshot() const {
    std::lock_guard lock(m_mutex);
    return m_snapshot;
}

DriverSnapshot DriverLoader::wait_for_change(uint64_t seen,
                                             std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_mutex);
    m_changed.wait_for(lock, timeout, [&] { return m_closed || m_snapshot.version != seen; });
    return m_snapshot;
}

void DriverLoader::set_listener(std::function<void(const DriverSnapshot &)> listener) {
    m_model_queue->sync([&] { m_listener = std::move(listener); });
}

void DriverLoader::submit(std::shared_ptr<OSSystemExtensionRequest> request) {
    auto delegate = std::make_shared<Delegate>(weak_from_this());
    request->setDelegate(delegate); // held weakly by the request: kept here until it ends
    m_delegates[request.get()] = delegate;
    OSSystemExtensionManager::shared().submitRequest(std::move(request));
}

void DriverLoader::finished_request(OSSystemExtensionRequest *request) {
    m_delegates.erase(request);
}

void DriverLoader::apply(const ViewEvent &event) {
    m_model.apply(event);
    publish();
}

void DriverLoader::refresh_interfaces() {
    m_interfaces.clear();
    if (m_model.state() != DriverState::activated || m_model.deactivating())
        return;
    std::string error;
    if (auto drivers = netdext::sysext::driver_status(m_options.identifier, error))
        for (const auto &driver : *drivers)
            m_interfaces.insert(m_interfaces.end(), driver.interfaces.begin(),
                                driver.interfaces.end());
}

void DriverLoader::poll_now() {
    if (m_stopped || m_observing)
        return;
    m_observing = true;
    submit(OSSystemExtensionRequest::propertiesRequestForExtension(m_options.identifier,
                                                                   m_delegate_queue));
}

void DriverLoader::poll() {
    poll_now();
    if (m_stopped || m_options.poll.count() == 0)
        return;
    std::weak_ptr<DriverLoader> self = weak_from_this();
    m_model_queue->after(m_options.poll, [self] {
        if (auto loader = self.lock())
            loader->poll();
    });
}

void DriverLoader::publish() {
    DriverSnapshot next;
    next.identifier = m_options.identifier;
    next.state = m_model.state();
    next.text = m_model.status_text();
    next.error = m_model.error();
    next.notice = m_model.notice();
    next.question = m_model.question();
    next.deactivating = m_model.deactivating();
    next.can_install = m_model.can_install();
    next.can_deactivate = m_model.can_deactivate();
    next.interfaces = m_interfaces;
    next.unreachable = m_unreachable;
    next.observed = m_observed;
    next.last_request = m_last_request;
    next.last_outcome = m_last_outcome;
    {
        std::lock_guard lock(m_mutex);
        next.version = m_snapshot.version;
        json before = m_snapshot.to_json(), after = next.to_json();
        if (before == after && m_snapshot.version != 0)
            return;
        next.version = m_snapshot.version + 1;
        m_snapshot = next;
    }
    m_changed.notify_all();
    if (m_listener)
        m_listener(next);
}
