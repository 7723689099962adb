// OSSystemExtensionManager: one connection to netdextd, served by one thread of the manager's own.
//
// App threads only put commands in the inbox (submit a request; the delegate's replacement
// answer) and wake the thread through an eventfd; the thread alone uses the connection. Every
// delegate call is handed to the request's queue, in the order netdextd's events came.

#include "properties.h"

#include <netdext/control/client.h>
#include <netdext/control/protocol.h>
#include <netdext/unique_fd.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <optional>
#include <thread>
#include <variant>

using nlohmann::json;
using Request = std::shared_ptr<OSSystemExtensionRequest>;
using Delegate = OSSystemExtensionRequestDelegate;

struct OSSystemExtensionManager::Impl : std::enable_shared_from_this<Impl> {
    struct Submit {
        Request request;
    };
    struct Answer { // the delegate's replacement decision for activation `id`
        uint64_t id;
        OSSystemExtensionRequest::ReplacementAction action;
    };
    using Command = std::variant<Submit, Answer>;

    explicit Impl(netdext::sysext::ManagerOptions o) : options(std::move(o)) {
        if (options.socket_path.empty())
            options.socket_path = netdext::control::default_socket_path();
        wake = netdext::UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    }

    void post(Command command) {
        {
            std::lock_guard lock(mutex);
            inbox.push_back(std::move(command));
            if (!thread.joinable() && !stopping)
                thread = std::thread([this] { run(); });
        }
        const uint64_t one = 1;
        (void)!write(wake.get(), &one, sizeof one);
    }

    void stop() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        const uint64_t one = 1;
        (void)!write(wake.get(), &one, sizeof one);
        if (thread.joinable())
            thread.join();
        // What never reached the thread, and what was in flight, fails.
        for (Command &command : inbox)
            if (auto *submit = std::get_if<Submit>(&command))
                fail(submit->request, connection_error("the manager was destroyed"));
        inbox.clear();
        lost("the manager was destroyed");
    }

    // ---- the manager's thread ----

    void run() {
        for (;;) {
            std::deque<Command> commands;
            {
                std::lock_guard lock(mutex);
                if (stopping)
                    return;
                commands.swap(inbox);
            }
            for (Command &command : commands)
                std::visit([this](auto &c) { handle(c); }, command);
            struct pollfd fds[2] = {{wake.get(), POLLIN, 0},
                                    {client ? client->fd() : -1, POLLIN, 0}};
            if (poll(fds, 2, -1) < 0 && errno != EINTR)
                return;
            if (fds[0].revents & POLLIN) {
                uint64_t count;
                (void)!read(wake.get(), &count, sizeof count);
            }
            if (client && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
                drain();
        }
    }

    static NSError connection_error(const std::string &why) {
        return NSError(NSCocoaErrorDomain, NSXPCConnectionInvalid,
                       "The connection to netdextd was invalidated: " + why);
    }

    static void deliver(const Request &request, std::function<void(Delegate &)> call) {
        request->queue().dispatch([request, call = std::move(call)] {
            if (auto delegate = request->delegate())
                call(*delegate);
        });
    }
    static void fail(const Request &request, const NSError &error) {
        deliver(request, [request, error](Delegate &d) { d.didFailWithError(*request, error); });
    }

    // The connection broke: everything in flight fails, and the next request connects again.
    void lost(const std::string &why) {
        for (auto &[id, request] : in_flight)
            fail(request, connection_error(why));
        in_flight.clear();
        answers.clear();
        client.reset();
    }

    void handle(Submit &submit) {
        const Request &request = submit.request;
        json message;
        switch (request->kind()) {
        case OSSystemExtensionRequest::Kind::activation: {
            std::string bundle = options.main_bundle.empty() ? netdext::sysext::main_bundle_path()
                                                             : options.main_bundle;
            if (bundle.empty())
                return fail(request, NSError(OSSystemExtensionErrorDomain,
                                             OSSystemExtensionErrorExtensionNotFound,
                                             "this program is not inside an app bundle "
                                             "(NAME.app/Contents/MacOS/), so it has no "
                                             "Contents/Library/SystemExtensions to activate from",
                                             "ExtensionNotFound"));
            message = {{"request", "activate"},
                       {"path", bundle},
                       {"identifier", request->identifier()},
                       {"replacement", "ask"}};
            break;
        }
        case OSSystemExtensionRequest::Kind::deactivation:
            message = {{"request", "deactivate"}, {"identifier", request->identifier()}};
            break;
        case OSSystemExtensionRequest::Kind::properties:
            message = {{"request", "properties"}, {"identifier", request->identifier()}};
            break;
        }
        std::string error;
        if (!client) {
            client = netdext::control::Client::connect(options.socket_path, error);
            if (!client)
                return fail(request, connection_error(error));
        }
        const uint64_t id = client->send(std::move(message), error);
        if (id == 0) {
            fail(request, connection_error(error));
            return lost(error);
        }
        in_flight[id] = request;
    }

    void handle(Answer &answer) {
        if (!client || !in_flight.contains(answer.id))
            return; // the activation ended meanwhile
        std::string error;
        const uint64_t id = client->send(
            {{"request", "replacement_action"},
             {"activation", answer.id},
             {"action", answer.action == OSSystemExtensionRequest::ReplacementAction::replace
                            ? "replace"
                            : "cancel"}},
            error);
        if (id == 0)
            return lost(error);
        answers[id] = answer.id;
    }

    void drain() {
        std::string error;
        while (client) {
            auto message = client->receive(std::chrono::milliseconds(0), error);
            if (!message) {
                if (!error.empty())
                    lost(error);
                return;
            }
            on_message(*message);
        }
    }

    void on_message(const json &message) {
        const uint64_t id = message.value("id", uint64_t(0));
        const std::string event = message.value("event", "");
        const bool final = message.value("final", false);
        if (auto answer = answers.find(id); answer != answers.end()) {
            if (!final)
                return;
            const uint64_t activation = answer->second;
            answers.erase(answer);
            // netdextd refused the answer: the activation cannot go on.
            if (event == "failed")
                if (auto it = in_flight.find(activation); it != in_flight.end()) {
                    fail(it->second,
                         netdext::sysext::error_from_json(message.value("error", json())));
                    in_flight.erase(it);
                }
            return;
        }
        auto it = in_flight.find(id);
        if (it == in_flight.end())
            return;
        const Request request = it->second;
        if (final)
            in_flight.erase(it);
        if (event == "needs_user_approval") {
            deliver(request, [request](Delegate &d) { d.requestNeedsUserApproval(*request); });
        } else if (event == "replacement") {
            auto existing =
                netdext::sysext::PropertiesAccess::from_json(message.value("existing", json()));
            auto offered =
                netdext::sysext::PropertiesAccess::from_json(message.value("extension", json()));
            // The answer goes back through the inbox; a request whose delegate is gone cancels.
            std::weak_ptr<Impl> manager = weak_from_this();
            request->queue().dispatch([manager, request, id, existing, offered] {
                auto action = OSSystemExtensionRequest::ReplacementAction::cancel;
                if (auto delegate = request->delegate())
                    action = delegate->actionForReplacingExtension(*request, existing, offered);
                if (auto alive = manager.lock())
                    alive->post(Answer{id, action});
            });
        } else if (event == "completed") {
            long value = message.value("result", 0L);
            auto result = value == 1 ? OSSystemExtensionRequest::Result::willCompleteAfterReboot
                                     : OSSystemExtensionRequest::Result::completed;
            deliver(request,
                    [request, result](Delegate &d) { d.didFinishWithResult(*request, result); });
        } else if (event == "failed") {
            NSError error = netdext::sysext::error_from_json(message.value("error", json()));
            deliver(request,
                    [request, error](Delegate &d) { d.didFailWithError(*request, error); });
        } else if (event == "result" &&
                   request->kind() == OSSystemExtensionRequest::Kind::properties) {
            std::vector<OSSystemExtensionProperties> found;
            if (auto list = message.find("properties"); list != message.end() && list->is_array())
                for (const json &e : *list)
                    found.push_back(netdext::sysext::PropertiesAccess::from_json(e));
            deliver(request, [request, found](Delegate &d) { d.foundProperties(*request, found); });
        } else if (final) {
            NSError error(OSSystemExtensionErrorDomain, OSSystemExtensionErrorUnknown,
                          "netdextd ended the request with an unexpected \"" + event + "\"",
                          "Unknown");
            deliver(request,
                    [request, error](Delegate &d) { d.didFailWithError(*request, error); });
        }
    }

    netdext::sysext::ManagerOptions options;
    netdext::UniqueFd wake;
    std::mutex mutex;
    std::deque<Command> inbox; // guarded by mutex
    bool stopping = false;     // guarded by mutex
    std::thread thread;
    // The thread's own (and stop()'s, after the join):
    std::optional<netdext::control::Client> client;
    std::map<uint64_t, Request> in_flight; // netdextd's request id → the request
    std::map<uint64_t, uint64_t> answers;  // replacement_action's id → the activation's
};

OSSystemExtensionManager::OSSystemExtensionManager(netdext::sysext::ManagerOptions options)
    : m_impl(std::make_shared<Impl>(std::move(options))) {}

OSSystemExtensionManager::~OSSystemExtensionManager() {
    m_impl->stop();
}

OSSystemExtensionManager &OSSystemExtensionManager::sharedManager() {
    // Never destroyed: apps may submit requests until the very end of the process.
    static auto *shared = new OSSystemExtensionManager(netdext::sysext::ManagerOptions{});
    return *shared;
}

void OSSystemExtensionManager::submitRequest(std::shared_ptr<OSSystemExtensionRequest> request) {
    if (request)
        m_impl->post(Impl::Submit{std::move(request)});
}
