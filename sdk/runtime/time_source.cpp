// The real time source (CLOCK_MONOTONIC / CLOCK_BOOTTIME with one timer thread) and the
// process-wide time-source switch.

#include <DriverKit/IOTimerDispatchSource.h>
#include <netdext/time_source.h>

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace netdext {
namespace {

uint64_t read_clock(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// One thread sleeps until the earliest deadline and fires it. Timers are held by raw pointer:
// a timer disarms itself in free(), and the thread only fires timers it could retain.
class RealTimeSource final : public TimeSource {
public:
    uint64_t now_ns(ClockDomain domain) override {
        return read_clock(domain == ClockDomain::uptime ? CLOCK_MONOTONIC : CLOCK_BOOTTIME);
    }

    void arm(IOTimerDispatchSource *timer, ClockDomain domain, uint64_t deadline_ns,
             uint64_t generation) override {
        std::lock_guard lock(m_mutex);
        remove_locked(timer);
        // Keep everything in the uptime domain; the two differ only across a suspend.
        uint64_t deadline = deadline_ns;
        if (domain == ClockDomain::monotonic) {
            uint64_t mono = now_ns(ClockDomain::monotonic), up = now_ns(ClockDomain::uptime);
            deadline = deadline_ns > mono ? up + (deadline_ns - mono) : up;
        }
        Key key{deadline, ++m_sequence};
        m_armed.emplace(key, Armed{timer, generation, domain, deadline_ns});
        m_by_timer[timer] = key;
        if (!m_thread_started) {
            m_thread_started = true;
            std::thread([this] { run(); }).detach();
        }
        m_wake.notify_all();
    }

    void disarm(IOTimerDispatchSource *timer) override {
        std::lock_guard lock(m_mutex);
        remove_locked(timer);
    }

private:
    struct Armed {
        IOTimerDispatchSource *timer;
        uint64_t generation;
        ClockDomain domain;
        uint64_t domain_deadline;
    };
    using Key = std::pair<uint64_t, uint64_t>;

    void remove_locked(IOTimerDispatchSource *timer) {
        auto it = m_by_timer.find(timer);
        if (it != m_by_timer.end()) {
            m_armed.erase(it->second);
            m_by_timer.erase(it);
        }
    }

    [[noreturn]] void run() {
        pthread_setname_np(pthread_self(), "netdext-timers");
        std::unique_lock lock(m_mutex);
        for (;;) {
            if (m_armed.empty()) {
                m_wake.wait(lock);
                continue;
            }
            auto first = m_armed.begin();
            uint64_t now = now_ns(ClockDomain::uptime);
            if (first->first.first > now) {
                auto delta = std::chrono::nanoseconds(first->first.first - now);
                m_wake.wait_for(lock, delta);
                continue;
            }
            Armed armed = first->second;
            m_by_timer.erase(armed.timer);
            m_armed.erase(first);
            if (!armed.timer->netdext_try_retain())
                continue; // being freed; its free() disarms
            lock.unlock();
            armed.timer->netdext_fire(armed.generation, armed.domain_deadline);
            armed.timer->release();
            lock.lock();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::map<Key, Armed> m_armed;
    std::map<IOTimerDispatchSource *, Key> m_by_timer;
    uint64_t m_sequence = 0;
    bool m_thread_started = false;
};

RealTimeSource &real_time_source() {
    static RealTimeSource *source = new RealTimeSource; // leaked: its thread never exits
    return *source;
}

std::atomic<TimeSource *> g_installed{nullptr};

} // namespace

TimeSource &time_source() {
    TimeSource *installed = g_installed.load(std::memory_order_acquire);
    return installed != nullptr ? *installed : real_time_source();
}

TimeSource *install_time_source(TimeSource *source) {
    return g_installed.exchange(source, std::memory_order_acq_rel);
}

} // namespace netdext
