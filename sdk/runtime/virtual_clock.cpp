// netdext::VirtualClock: deterministic time for tests (see netdext/virtual_clock.h).

#include <DriverKit/IOTimerDispatchSource.h>
#include <netdext/runtime.h>
#include <netdext/virtual_clock.h>

#include "internal.h"

namespace netdext {

VirtualClock::VirtualClock(uint64_t start_ns) : m_now(start_ns) {}

VirtualClock::~VirtualClock() {
    if (m_installed)
        install_time_source(m_previous);
}

void VirtualClock::install() {
    if (m_installed)
        return;
    m_previous = install_time_source(this);
    m_installed = true;
}

uint64_t VirtualClock::now_ns(ClockDomain) {
    std::lock_guard lock(m_mutex);
    return m_now;
}

void VirtualClock::arm(IOTimerDispatchSource *timer, ClockDomain, uint64_t deadline_ns,
                       uint64_t generation) {
    std::lock_guard lock(m_mutex);
    auto it = m_by_timer.find(timer);
    if (it != m_by_timer.end()) {
        m_armed.erase(it->second);
        m_by_timer.erase(it);
    }
    Key key{deadline_ns, ++m_sequence};
    m_armed.emplace(key, Armed{timer, generation});
    m_by_timer[timer] = key;
}

void VirtualClock::disarm(IOTimerDispatchSource *timer) {
    std::lock_guard lock(m_mutex);
    auto it = m_by_timer.find(timer);
    if (it != m_by_timer.end()) {
        m_armed.erase(it->second);
        m_by_timer.erase(it);
    }
}

// Takes the earliest timer due at or before `limit`, moving time to its deadline. The timer comes
// back retained (out.timer) or the call returns false.
bool VirtualClock::pop_due(uint64_t limit, Armed &out, uint64_t &deadline) {
    std::lock_guard lock(m_mutex);
    while (!m_armed.empty()) {
        auto first = m_armed.begin();
        if (first->first.first > limit)
            return false;
        out = first->second;
        deadline = first->first.first;
        m_by_timer.erase(out.timer);
        m_armed.erase(first);
        if (deadline > m_now)
            m_now = deadline;
        if (out.timer->netdext_try_retain())
            return true;
    }
    return false;
}

void VirtualClock::set_settle_hook(std::function<void()> hook) { m_settle_hook = std::move(hook); }

void VirtualClock::settle() {
    for (int round = 0; round < 1000; ++round) {
        if (!wait_until_idle(std::chrono::seconds(30)))
            log_line(LogLevel::fault, "netdext: VirtualClock: dispatch queues still busy after 30 s "
                                      "(a block is blocked?); continuing");
        if (!m_settle_hook)
            return;
        m_settle_hook();
        // The hook may have queued work (e.g. handing packets to a driver): settle that too.
        if (wait_until_idle(std::chrono::milliseconds(0)))
            return;
    }
}

size_t VirtualClock::advance_to(uint64_t target) {
    settle(); // work queued before the call may arm timers
    size_t fired = 0;
    Armed armed{};
    uint64_t deadline = 0;
    while (pop_due(target, armed, deadline)) {
        armed.timer->netdext_fire(armed.generation, deadline);
        armed.timer->release();
        ++fired;
        settle();
    }
    std::lock_guard lock(m_mutex);
    if (target > m_now)
        m_now = target;
    return fired;
}

size_t VirtualClock::advance(std::chrono::nanoseconds delta) {
    uint64_t target;
    {
        std::lock_guard lock(m_mutex);
        target = m_now + uint64_t(delta.count());
    }
    return advance_to(target);
}

size_t VirtualClock::run_due() { return advance(std::chrono::nanoseconds(0)); }

uint64_t VirtualClock::next_deadline() {
    std::lock_guard lock(m_mutex);
    return m_armed.empty() ? UINT64_MAX : m_armed.begin()->first.first;
}

size_t VirtualClock::armed_count() {
    std::lock_guard lock(m_mutex);
    return m_armed.size();
}

} // namespace netdext
