// A driver's own output (docs/sandbox.md): netdext-host's standard output and error are the write
// end of a pipe that only this extension holds; netdextd reads the other end, cuts it into lines,
// makes each printable and labels it with the bundle ID — so a driver can neither forge another
// extension's lines nor the daemon's, whatever bytes it writes. LogRateLimiter bounds how many
// lines per second an extension gets into the daemon's log (its os_log lines and its raw output
// together) and counts the rest.
//
// Threads: the daemon's main thread.
#pragma once

#include <netdext/result.h>
#include <netdext/unique_fd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace netdext::sandbox {

// Replaces control characters (all but tab) and DEL with '?', so a line stays one line.
std::string printable_log_text(std::string_view text);

// A token bucket: `burst` lines at once, refilled at `per_second`.
class LogRateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    LogRateLimiter(uint32_t per_second, uint32_t burst);

    // True if a line may be logged now; false counts it as dropped.
    bool admit(Clock::time_point now = Clock::now());
    [[nodiscard]] uint64_t dropped() const { return m_dropped; }
    // Dropped lines not yet reported (and resets that count): "N lines dropped" once the flood ends.
    uint64_t take_unreported() { return std::exchange(m_unreported, 0); }

private:
    double m_per_second;
    double m_burst;
    double m_tokens;
    Clock::time_point m_last{};
    uint64_t m_dropped = 0;
    uint64_t m_unreported = 0;
};

class DriverOutput {
public:
    static constexpr size_t kMaxLine = 1024; // longer lines are cut into pieces of this size

    // The pipe: the DriverOutput keeps the non-blocking read end, the write end is returned
    // (close-on-exec; the launcher makes it the child's fds 1 and 2).
    static Result<std::pair<DriverOutput, UniqueFd>> create();

    [[nodiscard]] int fd() const { return m_fd.get(); }
    [[nodiscard]] bool open() const { return m_fd.is_valid(); }

    // Reads what is available (at most `budget` bytes) and calls `line` for each complete,
    // printable line. At end of file the partial last line is delivered and the read end closed
    // (open() turns false, which also takes it out of any epoll set).
    void drain(const std::function<void(const std::string &)> &line, size_t budget = 65536);

private:
    explicit DriverOutput(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
    std::string m_partial;
};

} // namespace netdext::sandbox
