#include "fake_daemon.h"

#include <netdext/control/protocol.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace netdext::testing {

using nlohmann::json;

void FakeDaemon::Reply::event(const std::string &name, const json &fields, bool final) const {
    json message = control::make_event(m_id, name, final);
    for (const auto &[key, value] : fields.items())
        message[key] = value;
    m_daemon->send(m_connection, message);
}

void FakeDaemon::Reply::failed(int code, const std::string &name, const std::string &reason) const {
    event("failed",
          {{"error", control::make_error(control::kSystemExtensionsDomain, code, name, reason)}},
          true);
}

FakeDaemon::FakeDaemon(std::string socket_path) : m_path(std::move(socket_path)) {
    m_listen = UniqueFd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (m_path.size() >= sizeof address.sun_path)
        throw std::runtime_error("socket path too long");
    std::memcpy(address.sun_path, m_path.c_str(), m_path.size() + 1);
    if (bind(m_listen.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
        listen(m_listen.get(), 16) != 0)
        throw std::runtime_error("cannot listen on " + m_path + ": " + std::strerror(errno));
    m_stop = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    m_thread = std::thread([this] { run(); });
}

FakeDaemon::~FakeDaemon() {
    const uint64_t one = 1;
    (void)!write(m_stop.get(), &one, sizeof one);
    m_thread.join();
    for (const auto &[fd, buffer] : m_buffers)
        close(fd);
    unlink(m_path.c_str());
}

void FakeDaemon::on(const std::string &verb, Handler handler) {
    std::lock_guard lock(m_mutex);
    m_handlers[verb] = std::move(handler);
}

std::vector<json> FakeDaemon::requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
}

std::vector<json> FakeDaemon::requests(const std::string &verb) const {
    std::vector<json> out;
    for (const json &r : requests())
        if (r.value("request", "") == verb)
            out.push_back(r);
    return out;
}

void FakeDaemon::drop_connections() {
    {
        std::lock_guard lock(m_mutex);
        m_drop = true;
    }
    const uint64_t one = 1;
    (void)!write(m_stop.get(), &one, sizeof one); // wakes the thread, which drops them
}

size_t FakeDaemon::connections_accepted() const {
    std::lock_guard lock(m_mutex);
    return m_accepted;
}

void FakeDaemon::send(int connection, const json &message) {
    const std::string line = message.dump() + "\n";
    std::lock_guard lock(m_mutex);
    if (!m_buffers.contains(connection))
        return; // dropped meanwhile
    (void)!::send(connection, line.data(), line.size(), MSG_NOSIGNAL);
}

void FakeDaemon::run() {
    for (;;) {
        std::vector<struct pollfd> fds = {{m_stop.get(), POLLIN, 0}, {m_listen.get(), POLLIN, 0}};
        {
            std::lock_guard lock(m_mutex);
            for (const auto &[fd, buffer] : m_buffers)
                fds.push_back({fd, POLLIN, 0});
        }
        if (poll(fds.data(), fds.size(), -1) < 0)
            continue;
        if (fds[0].revents & POLLIN) {
            uint64_t count;
            (void)!read(m_stop.get(), &count, sizeof count);
            std::lock_guard lock(m_mutex);
            if (!m_drop)
                return; // the destructor
            m_drop = false;
            for (const auto &[fd, buffer] : m_buffers)
                close(fd);
            m_buffers.clear();
            continue;
        }
        if (fds[1].revents & POLLIN) {
            int fd = accept4(m_listen.get(), nullptr, nullptr, SOCK_CLOEXEC);
            std::lock_guard lock(m_mutex);
            if (fd >= 0) {
                m_buffers[fd] = "";
                ++m_accepted;
            }
        }
        for (size_t k = 2; k < fds.size(); ++k) {
            if (!(fds[k].revents & (POLLIN | POLLHUP)))
                continue;
            const int fd = fds[k].fd;
            char chunk[4096];
            ssize_t n = recv(fd, chunk, sizeof chunk, 0);
            std::vector<json> arrived;
            {
                std::lock_guard lock(m_mutex);
                if (!m_buffers.contains(fd))
                    continue;
                if (n <= 0) {
                    close(fd);
                    m_buffers.erase(fd);
                    continue;
                }
                std::string &buffer = m_buffers[fd];
                buffer.append(chunk, size_t(n));
                (void)control::split_lines(buffer, [&](std::string_view line) {
                    arrived.push_back(json::parse(line, nullptr, false));
                });
                for (const json &request : arrived)
                    m_requests.push_back(request);
            }
            for (const json &request : arrived) {
                Reply reply;
                reply.m_daemon = this;
                reply.m_connection = fd;
                reply.m_id = request.value("id", uint64_t(0));
                Handler handler;
                {
                    std::lock_guard lock(m_mutex);
                    auto it = m_handlers.find(request.value("request", ""));
                    if (it != m_handlers.end())
                        handler = it->second;
                }
                if (handler)
                    handler(request, reply);
                else
                    reply.event("failed",
                                {{"error", control::make_error(control::kControlDomain, 1,
                                                               "UnknownRequest", "not scripted")}},
                                true);
            }
        }
    }
}

} // namespace netdext::testing
