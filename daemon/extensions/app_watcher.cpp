#include "app_watcher.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netdext::extensions {

std::optional<AppWatcher> AppWatcher::create(std::string &error) {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        error = std::string("inotify_init1: ") + std::strerror(errno);
        return std::nullopt;
    }
    return AppWatcher(UniqueFd(fd));
}

bool AppWatcher::present(const std::string &app) {
    struct stat st {};
    return stat(app.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void AppWatcher::watch(const std::set<std::string> &apps) {
    for (const auto &[wd, path] : m_watches)
        inotify_rm_watch(m_fd.get(), wd);
    m_watches.clear();
    m_apps = apps;
    std::erase_if(m_suspect, [&](const auto &entry) { return !apps.contains(entry.first); });
    for (const std::string &app : apps) {
        const std::string parent = app.substr(0, app.find_last_of('/'));
        int wd = inotify_add_watch(m_fd.get(), parent.empty() ? "/" : parent.c_str(),
                                   IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF |
                                       IN_ONLYDIR);
        if (wd >= 0)
            m_watches[wd] = parent;
        wd = inotify_add_watch(m_fd.get(), app.c_str(), IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
        if (wd >= 0)
            m_watches[wd] = app;
        else
            m_suspect[app] = Clock::now(); // already gone (or unreadable): look now
    }
}

void AppWatcher::drain(Clock::time_point now) {
    alignas(struct inotify_event) char buffer[16384];
    for (;;) {
        ssize_t n = read(m_fd.get(), buffer, sizeof buffer);
        if (n <= 0)
            return;
        for (ssize_t at = 0; at < n;) {
            const auto *event = reinterpret_cast<const struct inotify_event *>(buffer + at);
            at += ssize_t(sizeof(struct inotify_event) + event->len);
            auto watched = m_watches.find(event->wd);
            const bool overflow = (event->mask & IN_Q_OVERFLOW) != 0;
            for (const std::string &app : m_apps) {
                // Any event about the app, its directory or its parent makes it suspect; an
                // overflow makes every app suspect.
                if (overflow || (watched != m_watches.end() &&
                                 (watched->second == app ||
                                  app.compare(0, watched->second.size() + 1,
                                              watched->second + "/") == 0)))
                    m_suspect.try_emplace(app, now + kGrace);
            }
        }
    }
}

std::vector<std::string> AppWatcher::gone(Clock::time_point now) {
    std::vector<std::string> result;
    for (auto it = m_suspect.begin(); it != m_suspect.end();) {
        if (it->second > now) {
            ++it;
            continue;
        }
        if (!present(it->first))
            result.push_back(it->first);
        it = m_suspect.erase(it);
    }
    return result;
}

std::optional<AppWatcher::Clock::time_point> AppWatcher::next_check() const {
    std::optional<Clock::time_point> next;
    for (const auto &[app, when] : m_suspect)
        if (!next || when < *next)
            next = when;
    return next;
}

} // namespace netdext::extensions
