// ControlServer: netdextd's control socket (control/include/netdext/control/protocol.h) — a
// listening Unix stream socket, one buffered non-blocking connection per client, requests parsed
// and checked (size, JSON, protocol version, id, verb, permission) before a handler sees them.
//
// The daemon registers a handler per verb; a handler answers through a Responder, at once or
// later (an activation waits for approval): a Responder names its connection and request by
// number, so it stays safe to use after the client has gone (then it does nothing).
//
// Limits: kMaxConnections clients, kMaxOpenRequests unanswered requests per connection, lines of
// at most kMaxMessageBytes, kMaxOutputBytes queued for a client that does not read (it is
// disconnected).
//
// Threads: everything on the daemon's main thread; fd() goes into its epoll.
#pragma once

#include "policy.h"

#include <netdext/control/protocol.h>
#include <netdext/unique_fd.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace netdext::control_server {

class ControlServer;

class Responder {
public:
    Responder() = default;
    // A non-final event ({"event": name, "final": false, …fields}).
    void event(const std::string &name, nlohmann::json fields = nlohmann::json::object()) const;
    // The final event; later calls do nothing.
    void finish(const std::string &name, nlohmann::json fields = nlohmann::json::object());
    // finish("failed", {"error": …}) in OSSystemExtensionErrorDomain.
    void fail(int code, const std::string &name, const std::string &reason);
    void result(nlohmann::json fields = nlohmann::json::object()) { finish("result", std::move(fields)); }
    void completed(nlohmann::json fields = nlohmann::json::object()) {
        finish("completed", std::move(fields));
    }
    // The client is still connected and the request not finished.
    [[nodiscard]] bool alive() const;
    [[nodiscard]] uint64_t connection() const { return m_connection; }
    [[nodiscard]] uint64_t id() const { return m_id; }

private:
    friend class ControlServer;
    Responder(ControlServer *server, uint64_t connection, uint64_t id)
        : m_server(server), m_connection(connection), m_id(id) {}
    ControlServer *m_server = nullptr;
    uint64_t m_connection = 0;
    uint64_t m_id = 0;
    bool m_finished = false;
};

struct Request {
    const nlohmann::json &message; // the whole request object (valid during the handler)
    Peer peer;                     // a copy: the connection may close while the handler runs
    Responder respond;
};

class ControlServer {
public:
    static constexpr size_t kMaxConnections = 256;
    static constexpr size_t kMaxOpenRequests = 64;
    static constexpr size_t kMaxOutputBytes = 8u << 20;

    // Binds `socket_path` (creating its directory 0755 if needed; the socket is 0666: permission
    // comes from the peer's credentials). Refuses when another daemon answers there; removes a
    // stale socket file.
    static std::unique_ptr<ControlServer> create(const std::string &socket_path,
                                                 std::string &error);
    ~ControlServer(); // closes every connection and removes the socket file

    [[nodiscard]] int fd() const { return m_epoll.get(); } // EPOLLIN when drain() has work
    [[nodiscard]] const std::string &socket_path() const { return m_path; }
    Policy &policy() { return m_policy; }

    using Handler = std::function<void(Request &)>;
    void handle(const std::string &verb, Need need, Handler handler);

    // Accepts, reads, dispatches, writes: everything pending. Never blocks.
    void drain();

private:
    friend class Responder;
    struct Connection {
        UniqueFd fd;
        Peer peer;
        std::string input;
        std::string output;
        size_t open_requests = 0;
        bool want_write = false;
    };
    struct Route {
        Need need;
        Handler handler;
    };

    ControlServer(std::string path, UniqueFd listener, UniqueFd epoll, ino_t inode)
        : m_path(std::move(path)), m_listener(std::move(listener)), m_epoll(std::move(epoll)),
          m_inode(inode) {}
    void accept_all();
    void read_from(uint64_t id);
    void dispatch(uint64_t id, std::string_view line);
    void send(uint64_t connection, const nlohmann::json &message, bool final);
    void flush(uint64_t id);
    void close_connection(uint64_t id);
    bool connected(uint64_t connection) const { return m_connections.contains(connection); }

    std::string m_path;
    UniqueFd m_listener;
    UniqueFd m_epoll;
    ino_t m_inode;
    Policy m_policy;
    std::map<std::string, Route> m_routes;
    std::map<uint64_t, Connection> m_connections;
    uint64_t m_next_connection = 1;
};

} // namespace netdext::control_server
