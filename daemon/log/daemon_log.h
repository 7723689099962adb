// netdextd's log: every line has a time, a level, the bundle ID and the interface it concerns.
//
// Under systemd (JOURNAL_STREAM names our standard error) lines go to the journal with
// sd_journal_send, as structured fields: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=netdextd,
// NETDEXT_BUNDLE_ID, NETDEXT_INTERFACE — so `journalctl NETDEXT_BUNDLE_ID=com.example.Driver`
// shows one driver. Otherwise they go to standard error as
//
//   2025-01-31T10:00:00.123Z notice [com.example.Driver en0] interface en0 registered
//
// The last kRecentLines lines are kept for `netdextctl log`, and a listener (log --follow) sees
// each new one.
//
// Threads: any thread may log (one mutex); the listener runs on the logging thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

namespace netdext::daemon_log {

// syslog priorities (what PRIORITY= carries).
enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };
const char *level_name(Level level);

struct Line {
    int64_t time_ns = 0; // CLOCK_REALTIME
    Level level = Level::notice;
    std::string bundle_id; // "" for the daemon itself
    std::string interface; // "" when none
    std::string text;
};

// "2025-01-31T10:00:00.123Z notice [com.example.Driver en0] text"
std::string format_line(const Line &line);

enum class Target { standard_error, journal };

class Log {
public:
    static constexpr size_t kRecentLines = 2000;

    // journal when JOURNAL_STREAM matches our standard error's device and inode.
    static Target detect_target();
    void set_target(Target target);
    [[nodiscard]] Target target() const { return m_target; }
    void set_minimum(Level level) { m_minimum = level; }

    void write(Level level, const std::string &bundle_id, const std::string &interface,
               const std::string &text);
    // A copy of the recent lines (oldest first).
    std::deque<Line> recent();
    void set_listener(std::function<void(const Line &)> listener);

private:
    std::mutex m_mutex;
    Target m_target = Target::standard_error;
    Level m_minimum = Level::info;
    std::deque<Line> m_recent;
    std::function<void(const Line &)> m_listener;
};

Log &log();

// printf-style helpers for the daemon.
void say(Level level, const std::string &bundle_id, const std::string &interface,
         const char *format, ...) __attribute__((format(printf, 4, 5)));

} // namespace netdext::daemon_log
