#include "daemon_log.h"

#include <systemd/sd-journal.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace netdext::daemon_log {

const char *level_name(Level level) {
    switch (level) {
    case Level::error: return "error";
    case Level::warning: return "warning";
    case Level::notice: return "notice";
    case Level::info: return "info";
    case Level::debug: return "debug";
    }
    return "notice";
}

std::string format_line(const Line &line) {
    time_t seconds = time_t(line.time_ns / 1'000'000'000);
    struct tm utc {};
    gmtime_r(&seconds, &utc);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  int(line.time_ns / 1'000'000 % 1000));
    std::string who = line.bundle_id.empty() ? "netdextd" : line.bundle_id;
    if (!line.interface.empty())
        who += " " + line.interface;
    return std::string(stamp) + " " + level_name(line.level) + " [" + who + "] " + line.text;
}

Target Log::detect_target() {
    // systemd.exec(5): JOURNAL_STREAM is "<device>:<inode>" of the stream it connected to
    // standard error; it is only ours if it still matches (a child may inherit the variable).
    const char *stream = std::getenv("JOURNAL_STREAM");
    struct stat st {};
    if (stream == nullptr || fstat(STDERR_FILENO, &st) != 0)
        return Target::standard_error;
    unsigned long long device = 0, inode = 0;
    if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2)
        return Target::standard_error;
    return device == st.st_dev && inode == st.st_ino ? Target::journal : Target::standard_error;
}

void Log::set_target(Target target) {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_target = target;
}

void Log::write(Level level, const std::string &bundle_id, const std::string &interface,
                const std::string &text) {
    struct timespec now {};
    clock_gettime(CLOCK_REALTIME, &now);
    Line line{int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec, level, bundle_id, interface, text};
    std::function<void(const Line &)> listener;
    {
        std::lock_guard<std::mutex> guard(m_mutex);
        m_recent.push_back(line);
        if (m_recent.size() > kRecentLines)
            m_recent.pop_front();
        listener = m_listener;
        if (int(level) <= int(m_minimum)) {
            if (m_target == Target::journal) {
                sd_journal_send("MESSAGE=%s", text.c_str(), "PRIORITY=%d", int(level),
                                "SYSLOG_IDENTIFIER=netdextd", "NETDEXT_BUNDLE_ID=%s",
                                bundle_id.c_str(), "NETDEXT_INTERFACE=%s", interface.c_str(),
                                nullptr);
            } else {
                std::string formatted = format_line(line) + "\n";
                (void)!::write(STDERR_FILENO, formatted.data(), formatted.size());
            }
        }
    }
    if (listener)
        listener(line);
}

std::deque<Line> Log::recent() {
    std::lock_guard<std::mutex> guard(m_mutex);
    return m_recent;
}

void Log::set_listener(std::function<void(const Line &)> listener) {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_listener = std::move(listener);
}

Log &log() {
    static Log instance;
    return instance;
}

void say(Level level, const std::string &bundle_id, const std::string &interface,
         const char *format, ...) {
    char text[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    log().write(level, bundle_id, interface, text);
}

} // namespace netdext::daemon_log
