// LivenessWatch (see liveness.h).

#include "liveness.h"

#include "supervision_settings.h"

#include <algorithm>

namespace netdext::supervision {

void LivenessWatch::reset(Duration timeout) {
    m_timeout = timeout;
    m_since = m_clock->now();
    m_tx.clear();
}

std::optional<std::string> LivenessWatch::observe(const LivenessSample &sample) {
    if (m_timeout <= Duration::zero())
        return std::nullopt;
    const TimePoint now = m_clock->now();
    // Interfaces that are gone are forgotten; the others keep their watch.
    for (auto it = m_tx.begin(); it != m_tx.end();)
        it = std::any_of(sample.tx.begin(), sample.tx.end(),
                         [&](const TxSample &tx) { return tx.name == it->first; })
                 ? std::next(it)
                 : m_tx.erase(it);
    for (const TxSample &tx : sample.tx) {
        TxWatch &watch = m_tx[tx.name];
        // Signed: the produced counter is published just after the entries, so the consumer may
        // be seen a little ahead of it; that is "nothing waiting", not 4 billion frames.
        const int32_t waiting = int32_t(tx.produced - tx.consumed);
        if (!tx.enabled || waiting <= 0 || watch.last_consumed != tx.consumed) {
            watch.last_consumed = tx.consumed;
            watch.stalled_since = tx.enabled && waiting > 0 ? std::optional(now) : std::nullopt;
        } else if (!watch.stalled_since) {
            watch.stalled_since = now;
        } else if (now - *watch.stalled_since >= m_timeout) {
            // A driver with one interface has "its" queue; with several, the reason names it.
            const std::string queue = sample.tx.size() > 1 ? "the TX submission queue of " + tx.name
                                                           : "its TX submission queue";
            return "wedged: " + std::to_string(waiting) + " frame(s) waited on " + queue + " for " +
                   format_duration(m_timeout) + " without being taken";
        }
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
