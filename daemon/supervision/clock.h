// The clock supervision decisions are made against. netdextd uses the steady clock; the unit
// tests use a ManualClock they move by hand, so every deadline, backoff and window is tested
// exactly and without waiting.
//
// Threads: a Clock is read by the thread that owns the Supervisor (netdextd's main thread).
#pragma once

#include <chrono>

namespace netdext::supervision {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;
};

// CLOCK_MONOTONIC through std::chrono::steady_clock.
class SteadyClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

// The process's one SteadyClock (what a Supervisor uses unless it is given another).
const Clock &steady_clock();

// A clock that moves only when told to.
class ManualClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override { return m_now; }
    void advance(Duration by) { m_now += by; }

private:
    TimePoint m_now{std::chrono::hours(1)}; // away from the epoch, so "now - x" stays positive
};

} // namespace netdext::supervision
