// LivenessWatch (see liveness.h).

#include "liveness.h"

#include "supervision_settings.h"

#include <algorithm>

namespace netdext::supervision {

void LivenessWatch::reset(Duration timeout) {
    m_timeout = timeout;
    m_since = m_clock->now();
    m_last_consumed.reset();
    m_stalled_since.reset();
}

std::optional<std::string> LivenessWatch::observe(const LivenessSample &sample) {
    if (m_timeout <= Duration::zero())
        return std::nullopt;
    const TimePoint now = m_clock->now();
    // Signed: the produced counter is published just after the entries, so the consumer may be
    // seen a little ahead of it; that is "nothing waiting", not 4 billion frames.
    const int32_t waiting = int32_t(sample.tx_produced - sample.tx_consumed);
    if (!sample.tx_enabled || waiting <= 0 || m_last_consumed != sample.tx_consumed) {
        m_last_consumed = sample.tx_consumed;
        m_stalled_since = sample.tx_enabled && waiting > 0 ? std::optional(now) : std::nullopt;
    } else if (!m_stalled_since) {
        m_stalled_since = now;
    } else if (now - *m_stalled_since >= m_timeout) {
        return "wedged: " + std::to_string(waiting) +
               " frame(s) waited on its TX submission queue for " +
               format_duration(m_timeout) + " without being taken";
    }
    if (sample.oldest_call) {
        const TimePoint sent = std::max(*sample.oldest_call, m_since);
        if (now - sent >= m_timeout)
            return "wedged: a call from the network stack went unanswered for " +
                   format_duration(m_timeout);
    }
    return std::nullopt;
}

} // namespace netdext::supervision
