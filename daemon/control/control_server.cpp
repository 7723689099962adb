// ControlServer (see control_server.h).

#include "control_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netdext::control_server {

using nlohmann::json;
namespace wire = netdext::control;

namespace {

constexpr uint64_t kListenerTag = 0;

bool fill_address(const std::string &path, sockaddr_un &address, std::string &error) {
    address = {};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path) {
        error = "socket path \"" + path + "\" is empty or longer than " +
                std::to_string(sizeof address.sun_path - 1) + " bytes";
        return false;
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return true;
}

// Whether a server answers at `address` (a live netdextd).
bool someone_listens(const sockaddr_un &address) {
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    return probe.is_valid() &&
           connect(probe.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
}

Peer peer_of(int fd) {
    Peer peer;
    struct ucred credentials {};
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0) {
        peer.pid = credentials.pid;
        peer.uid = credentials.uid;
        peer.gid = credentials.gid;
    } else {
        peer.uid = uid_t(-1); // unknown: treated as an unprivileged stranger
        peer.gid = gid_t(-1);
    }
    gid_t groups[256];
    length = sizeof groups;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &length) == 0)
        peer.groups.assign(groups, groups + length / sizeof(gid_t));
    return peer;
}

} // namespace

// ---- Responder ------------------------------------------------------------------------------

void Responder::event(const std::string &name, json fields) const {
    if (m_server == nullptr || m_finished)
        return;
    json message = wire::make_event(m_id, name, false);
    message.update(fields);
    m_server->send(m_connection, message, false);
}

void Responder::finish(const std::string &name, json fields) {
    if (m_server == nullptr || m_finished)
        return;
    m_finished = true;
    json message = wire::make_event(m_id, name, true);
    message.update(fields);
    m_server->send(m_connection, message, true);
}

void Responder::fail(int code, const std::string &name, const std::string &reason) {
    finish("failed", {{"error", wire::make_error(wire::kSystemExtensionsDomain, code, name, reason)}});
}

bool Responder::alive() const {
    return m_server != nullptr && !m_finished && m_server->connected(m_connection);
}

// ---- ControlServer --------------------------------------------------------------------------

std::unique_ptr<ControlServer> ControlServer::create(const std::string &path, std::string &error) {
    sockaddr_un address;
    if (!fill_address(path, address, error))
        return nullptr;
    if (size_t slash = path.find_last_of('/'); slash != std::string::npos && slash > 0) {
        const std::string dir = path.substr(0, slash);
        if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
            error = dir + ": " + std::strerror(errno);
            return nullptr;
        }
    }
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error = path + " exists and is not a socket";
            return nullptr;
        }
        if (someone_listens(address)) {
            error = "another netdextd is serving " + path;
            return nullptr;
        }
        unlink(path.c_str()); // a stale socket of a daemon that died
    }
    UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    const mode_t old_mask = umask(0);
    const bool bound = listener.is_valid() &&
                       bind(listener.get(), reinterpret_cast<sockaddr *>(&address),
                            sizeof address) == 0;
    const int bind_errno = errno;
    umask(old_mask);
    if (!bound || chmod(path.c_str(), 0666) != 0 || listen(listener.get(), 64) != 0) {
        error = path + ": " + std::strerror(bound ? errno : bind_errno);
        if (bound)
            unlink(path.c_str());
        return nullptr;
    }
    lstat(path.c_str(), &st);
    UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event event {};
    event.events = EPOLLIN;
    event.data.u64 = kListenerTag;
    epoll_ctl(epoll.get(), EPOLL_CTL_ADD, listener.get(), &event);
    return std::unique_ptr<ControlServer>(
        new ControlServer(path, std::move(listener), std::move(epoll), st.st_ino));
}

ControlServer::~ControlServer() {
    m_connections.clear();
    struct stat st {};
    // Only our own socket file: a newer daemon may have replaced it.
    if (lstat(m_path.c_str(), &st) == 0 && st.st_ino == m_inode)
        unlink(m_path.c_str());
}

void ControlServer::handle(const std::string &verb, Need need, Handler handler) {
    m_routes[verb] = Route{need, std::move(handler)};
}

void ControlServer::drain() {
    struct epoll_event events[32];
    int n = epoll_wait(m_epoll.get(), events, 32, 0);
    for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[i].data.u64;
        if (tag == kListenerTag) {
            accept_all();
            continue;
        }
        if (events[i].events & EPOLLOUT)
            flush(tag);
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            read_from(tag);
    }
}

void ControlServer::accept_all() {
    for (;;) {
        int fd = accept4(m_listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (m_connections.size() >= kMaxConnections) {
            close(fd);
            continue;
        }
        const uint64_t id = m_next_connection++;
        Connection &c = m_connections[id];
        c.fd.reset(fd);
        c.peer = peer_of(fd);
        struct epoll_event event {};
        event.events = EPOLLIN;
        event.data.u64 = id;
        epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event);
    }
}

void ControlServer::read_from(uint64_t id) {
    for (;;) {
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            return;
        char chunk[65536];
        ssize_t n = recv(it->second.fd.get(), chunk, sizeof chunk, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            close_connection(id);
            return;
        }
        it->second.input.append(chunk, size_t(n));
        std::string input = std::move(it->second.input);
        bool ok = wire::split_lines(input, [&](std::string_view line) {
            if (connected(id))
                dispatch(id, line);
        });
        if (!ok) {
            json error = wire::make_event(0, "failed", true);
            error["error"] = wire::make_error(wire::kControlDomain, 1, "MessageTooLong",
                                              "a request longer than " +
                                                  std::to_string(wire::kMaxMessageBytes) +
                                                  " bytes; closing the connection");
            send(id, error, false);
            flush(id);
            close_connection(id);
            return;
        }
        if (auto again = m_connections.find(id); again != m_connections.end())
            again->second.input = std::move(input);
    }
}

void ControlServer::dispatch(uint64_t connection, std::string_view line) {
    json message = json::parse(line, nullptr, false);
    uint64_t id = 0;
    if (message.is_object() && message.contains("id") && message["id"].is_number_unsigned())
        id = message["id"].get<uint64_t>();
    auto refuse = [&](int code, const char *name, const std::string &reason) {
        json failed = wire::make_event(id, "failed", true);
        failed["error"] = wire::make_error(wire::kControlDomain, code, name, reason);
        send(connection, failed, false);
    };
    if (!message.is_object())
        return refuse(2, "MalformedRequest", "a request must be one JSON object per line");
    if (message.value("protocol", -1) != wire::kProtocolVersion)
        return refuse(3, "UnsupportedProtocol",
                      "this netdextd speaks protocol " + std::to_string(wire::kProtocolVersion) +
                          " (the request said " +
                          (message.contains("protocol") ? message["protocol"].dump() : "none") +
                          ")");
    if (id == 0 || !message.contains("request") || !message["request"].is_string())
        return refuse(2, "MalformedRequest",
                      "a request needs a positive \"id\" and a \"request\" string");
    const std::string verb = message["request"].get<std::string>();
    auto route = m_routes.find(verb);
    if (route == m_routes.end())
        return refuse(4, "UnknownRequest", "netdextd knows no request \"" + verb + "\"");
    Connection &c = m_connections.at(connection);
    if (c.open_requests >= kMaxOpenRequests)
        return refuse(5, "TooManyRequests",
                      "more than " + std::to_string(kMaxOpenRequests) +
                          " unanswered requests on one connection");
    ++c.open_requests; // until the request's final event
    Request request{message, c.peer, Responder(this, connection, id)};
    if (auto refusal = m_policy.check(c.peer, route->second.need, verb)) {
        request.respond.fail(13, "AuthorizationRequired", *refusal);
        return;
    }
    route->second.handler(request);
}

void ControlServer::send(uint64_t connection, const json &message, bool final) {
    auto it = m_connections.find(connection);
    if (it == m_connections.end())
        return;
    Connection &c = it->second;
    if (final && c.open_requests > 0)
        --c.open_requests;
    c.output += message.dump(-1, ' ', false, json::error_handler_t::replace);
    c.output += '\n';
    if (c.output.size() > kMaxOutputBytes) {
        close_connection(connection); // a client that does not read its events
        return;
    }
    flush(connection);
}

void ControlServer::flush(uint64_t id) {
    auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    Connection &c = it->second;
    while (!c.output.empty()) {
        ssize_t n = ::send(c.fd.get(), c.output.data(), c.output.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            close_connection(id);
            return;
        }
        c.output.erase(0, size_t(n));
    }
    const bool want_write = !c.output.empty();
    if (want_write != c.want_write) {
        c.want_write = want_write;
        struct epoll_event event {};
        event.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
        event.data.u64 = id;
        epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, c.fd.get(), &event);
    }
}

void ControlServer::close_connection(uint64_t id) {
    auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
    m_connections.erase(it);
}

} // namespace netdext::control_server
