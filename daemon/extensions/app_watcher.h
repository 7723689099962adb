// AppWatcher: notices when an app bundle that extensions were activated from leaves its place —
// deleted, or moved away — so netdextd uninstalls them, as macOS does when the app is deleted
// (API-SYSEXT.md §1.6). inotify watches each app's parent directory (IN_DELETE, IN_MOVED_FROM,
// IN_DELETE_SELF, IN_MOVE_SELF) and the app itself (IN_DELETE_SELF, IN_MOVE_SELF). An event only
// makes the app suspect: it is looked at again kGrace later, so replacing an app in place
// (delete, then copy the new one) keeps its extensions.
//
// Threads: the daemon's main thread; fd() goes into its epoll.
#pragma once

#include <netdext/unique_fd.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace netdext::extensions {

class AppWatcher {
public:
    static constexpr std::chrono::milliseconds kGrace{1000};
    using Clock = std::chrono::steady_clock;

    static std::optional<AppWatcher> create(std::string &error);

    [[nodiscard]] int fd() const { return m_fd.get(); }
    // Watches exactly these app paths from now on.
    void watch(const std::set<std::string> &apps);
    // Reads the pending inotify events (EPOLLIN on fd()).
    void drain(Clock::time_point now);
    // The apps that are gone once their grace period has passed.
    std::vector<std::string> gone(Clock::time_point now);
    // When gone() next has something to decide (nullopt: nothing suspect).
    [[nodiscard]] std::optional<Clock::time_point> next_check() const;

    // Whether `app` is still an app bundle directory at its path.
    static bool present(const std::string &app);

private:
    explicit AppWatcher(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
    std::set<std::string> m_apps;
    std::map<int, std::string> m_watches; // watch descriptor → watched directory
    std::map<std::string, Clock::time_point> m_suspect;
};

} // namespace netdext::extensions
