// DriverOutput and LogRateLimiter (see driver_output.h).

#include "driver_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace netdext::sandbox {

std::string printable_log_text(std::string_view text) {
    std::string out(text);
    for (char &c : out)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
            c = '?';
    return out;
}

LogRateLimiter::LogRateLimiter(uint32_t per_second, uint32_t burst)
    : m_per_second(per_second), m_burst(std::max<uint32_t>(burst, 1)), m_tokens(m_burst) {}

bool LogRateLimiter::admit(Clock::time_point now) {
    if (m_last != Clock::time_point{}) {
        double elapsed = std::chrono::duration<double>(now - m_last).count();
        m_tokens = std::min(m_burst, m_tokens + std::max(0.0, elapsed) * m_per_second);
    }
    m_last = now;
    if (m_tokens >= 1.0) {
        m_tokens -= 1.0;
        return true;
    }
    ++m_dropped;
    ++m_unreported;
    return false;
}

Result<std::pair<DriverOutput, UniqueFd>> DriverOutput::create() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return Error::from_errno("pipe2");
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    int flags = fcntl(read_end.get(), F_GETFL);
    if (flags < 0 || fcntl(read_end.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        return Error::from_errno("fcntl O_NONBLOCK");
    return std::pair<DriverOutput, UniqueFd>(DriverOutput(std::move(read_end)),
                                             std::move(write_end));
}

void DriverOutput::drain(const std::function<void(const std::string &)> &line, size_t budget) {
    char buffer[4096];
    while (m_fd.is_valid() && budget > 0) {
        ssize_t n = ::read(m_fd.get(), buffer, std::min(sizeof buffer, budget));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) { // end of file (every process holding the write end is gone) or an error
            if (!m_partial.empty())
                line(printable_log_text(std::exchange(m_partial, {})));
            m_fd.reset();
            return;
        }
        budget -= size_t(n);
        for (ssize_t i = 0; i < n; ++i) {
            if (buffer[i] == '\n') {
                line(printable_log_text(std::exchange(m_partial, {})));
                continue;
            }
            m_partial.push_back(buffer[i]);
            if (m_partial.size() >= kMaxLine)
                line(printable_log_text(std::exchange(m_partial, {})));
        }
    }
}

} // namespace netdext::sandbox
