#include <netdext/control/client.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netdext::control {

std::optional<Client> Client::connect(const std::string &socket_path, std::string &error) {
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) {
        error = socket_path + ": socket path too long";
        return std::nullopt;
    }
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.is_valid() ||
        ::connect(fd.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        int e = errno;
        error = "cannot reach netdextd at " + socket_path + " (" + std::strerror(e) + ")";
        if (e == ENOENT || e == ECONNREFUSED)
            error += "; is netdextd running? (systemctl start netdextd, or --socket PATH)";
        return std::nullopt;
    }
    return Client(std::move(fd));
}

uint64_t Client::send(nlohmann::json request, std::string &error) {
    const uint64_t id = m_next_id++;
    request["protocol"] = kProtocolVersion;
    request["id"] = id;
    std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += '\n';
    size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::send(m_fd.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            error = std::string("sending to netdextd: ") + std::strerror(errno);
            return 0;
        }
        done += size_t(n);
    }
    return id;
}

bool Client::read_some(std::chrono::milliseconds deadline, std::string &error) {
    struct pollfd p = {m_fd.get(), POLLIN, 0};
    int ready = poll(&p, 1, int(deadline.count()));
    if (ready == 0)
        return false;
    if (ready < 0) {
        error = std::string("poll: ") + std::strerror(errno);
        return false;
    }
    char chunk[65536];
    ssize_t n = ::recv(m_fd.get(), chunk, sizeof chunk, 0);
    if (n == 0) {
        error = "netdextd closed the connection";
        return false;
    }
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return true;
        error = std::string("reading from netdextd: ") + std::strerror(errno);
        return false;
    }
    m_buffer.append(chunk, size_t(n));
    bool ok = split_lines(m_buffer, [&](std::string_view line) {
        auto message = nlohmann::json::parse(line, nullptr, false);
        if (!message.is_discarded() && message.is_object())
            m_pending.push_back(std::move(message));
    });
    if (!ok)
        error = "netdextd sent a message larger than the protocol allows";
    return ok;
}

std::optional<nlohmann::json> Client::receive(std::chrono::milliseconds deadline,
                                              std::string &error) {
    error.clear();
    auto until = std::chrono::steady_clock::now() + deadline;
    while (m_pending.empty()) {
        // Rounded up, and at least one read: a deadline of 0 takes what has arrived, no more.
        auto left = std::chrono::ceil<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (!read_some(std::max(left, std::chrono::milliseconds(0)), error) && !error.empty())
            return std::nullopt;
        if (m_pending.empty() && left.count() <= 0)
            return std::nullopt;
    }
    nlohmann::json message = std::move(m_pending.front());
    m_pending.pop_front();
    return message;
}

std::optional<nlohmann::json> Client::call(
    nlohmann::json request, std::string &error,
    const std::function<void(const nlohmann::json &)> &on_event,
    std::chrono::milliseconds deadline) {
    const uint64_t id = send(std::move(request), error);
    if (id == 0)
        return std::nullopt;
    auto until = std::chrono::steady_clock::now() + deadline;
    std::deque<nlohmann::json> others;
    std::optional<nlohmann::json> result;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        auto message = receive(std::max(left, std::chrono::milliseconds(0)), error);
        if (!message) {
            if (error.empty())
                error = "no answer from netdextd within " +
                        std::to_string(deadline.count()) + " ms";
            break;
        }
        if (message->value("id", uint64_t(0)) != id) {
            others.push_back(std::move(*message));
            continue;
        }
        if (message->value("final", false)) {
            result = std::move(*message);
            break;
        }
        if (on_event)
            on_event(*message);
    }
    for (auto it = others.rbegin(); it != others.rend(); ++it)
        m_pending.push_front(std::move(*it));
    return result;
}

} // namespace netdext::control
