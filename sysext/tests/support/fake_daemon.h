// A fake netdextd for the client library's tests: a Unix socket that speaks the control protocol
// (control/include/netdext/control/protocol.h) and answers each request the way a test scripts.
// It records every request it receives; a test answers at once from its handler or later through
// the Reply it kept (an approval that comes after a while), and can drop every connection as a
// crashing daemon would.
//
// Threads: one of its own serves the socket; handlers run on it. Everything else may be called
// from any thread.
#pragma once

#include <netdext/unique_fd.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace netdext::testing {

class FakeDaemon {
public:
    // Where an answer goes: one request on one connection.
    class Reply {
    public:
        // {"protocol": 1, "id": …, "event": name, "final": final, …fields}
        void event(const std::string &name, const nlohmann::json &fields = nlohmann::json::object(),
                   bool final = false) const;
        void completed(const nlohmann::json &fields = nlohmann::json::object()) const {
            event("completed", fields, true);
        }
        void failed(int code, const std::string &name, const std::string &reason) const;
        [[nodiscard]] uint64_t id() const { return m_id; }

    private:
        friend class FakeDaemon;
        FakeDaemon *m_daemon = nullptr;
        int m_connection = -1;
        uint64_t m_id = 0;
    };
    using Handler = std::function<void(const nlohmann::json &request, const Reply &reply)>;

    explicit FakeDaemon(std::string socket_path);
    ~FakeDaemon();
    FakeDaemon(const FakeDaemon &) = delete;
    FakeDaemon &operator=(const FakeDaemon &) = delete;

    // The handler for requests named `verb` (unhandled ones fail with a control-domain error).
    void on(const std::string &verb, Handler handler);
    // Every request received so far, in order.
    std::vector<nlohmann::json> requests() const;
    // The requests named `verb`.
    std::vector<nlohmann::json> requests(const std::string &verb) const;
    // Closes every client connection (the daemon "crashed"); it keeps listening.
    void drop_connections();
    [[nodiscard]] size_t connections_accepted() const;
    [[nodiscard]] const std::string &socket_path() const { return m_path; }

private:
    void run();
    void send(int connection, const nlohmann::json &message);

    std::string m_path;
    UniqueFd m_listen;
    UniqueFd m_stop; // eventfd
    mutable std::mutex m_mutex;
    std::map<std::string, Handler> m_handlers; // guarded
    std::vector<nlohmann::json> m_requests;    // guarded
    std::map<int, std::string> m_buffers;      // connection fd → unread bytes; guarded
    bool m_drop = false;                       // guarded
    size_t m_accepted = 0;                     // guarded
    std::thread m_thread;
};

} // namespace netdext::testing
