// Client: one connection to netdextd's control socket (protocol.h). Blocking, with deadlines;
// fd() lets an event loop (the SystemExtensions client library) poll it instead.
//
// Threads: one thread at a time per Client.
#pragma once

#include <netdext/control/protocol.h>
#include <netdext/unique_fd.h>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace netdext::control {

class Client {
public:
    // Connects to `socket_path`; nullopt and `error` ("netdextd is not running (…)") if it cannot.
    static std::optional<Client> connect(const std::string &socket_path, std::string &error);

    Client(Client &&) noexcept = default;
    Client &operator=(Client &&) noexcept = default;

    [[nodiscard]] int fd() const { return m_fd.get(); }

    // Sends `request` (its "protocol" and "id" are filled in) and returns the id it got.
    // 0 when the connection is broken (`error` says why).
    uint64_t send(nlohmann::json request, std::string &error);

    // The next message, whichever request it belongs to; nullopt at the deadline (`error` empty)
    // or when the connection ends or breaks (`error` says so).
    std::optional<nlohmann::json> receive(std::chrono::milliseconds deadline, std::string &error);

    // Sends `request` and waits for its final event, handing the others to `on_event`. Messages
    // for other requests are kept for later receive() calls. nullopt on timeout or a broken
    // connection (`error`).
    std::optional<nlohmann::json> call(
        nlohmann::json request, std::string &error,
        const std::function<void(const nlohmann::json &)> &on_event = {},
        std::chrono::milliseconds deadline = std::chrono::seconds(30));

private:
    explicit Client(UniqueFd fd) : m_fd(std::move(fd)) {}
    bool read_some(std::chrono::milliseconds deadline, std::string &error);

    UniqueFd m_fd;
    uint64_t m_next_id = 1;
    std::string m_buffer;
    std::deque<nlohmann::json> m_pending;
};

} // namespace netdext::control
