// LivenessWatch: is a running driver still serving its interface? (issue 10, docs/running.md)
//
// A driver that is SIGSTOPped, deadlocked or spinning outside its queues stops taking what the
// stack sends it. netdextd samples two things from the main thread, without touching the frame
// mover's hot path (no lock, no system call there):
//   - TX submission of each of its interfaces: how far the daemon has produced (published by the
//   mover as a relaxed atomic
//     counter) and how far the driver has consumed (its index in shared memory). Frames waiting
//     while the queue is enabled and the driver's index does not move for the timeout: wedged.
//     As Linux's netdev watchdog (dev_watchdog) judges a stalled TX queue.
//   - Driver calls (SetInterfaceEnable, SetMTU, …): the oldest one still unanswered. One left
//     unanswered for the timeout: wedged.
// Nothing waiting means nothing to judge: an idle driver is never called wedged.
//
// Pure: the caller passes samples; time comes from the Clock. Threads: the owner's only.
#pragma once

#include "clock.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netdext::supervision {

// One interface's TX submission queues, all of them together.
struct TxSample {
    bool enabled = false;  // the driver enabled its TX submission queue
    uint32_t produced = 0; // TX submission entries the daemon published (mod 2^32)
    uint32_t consumed = 0; // the driver's consumer index (untrusted: it only fools itself)
    std::string name;      // the interface (en1): what it is known by, and named in the reason
};

struct LivenessSample {
    std::vector<TxSample> tx;             // each interface of the driver (names unique)
    std::optional<TimePoint> oldest_call; // when the oldest unanswered driver call was sent
};

class LivenessWatch {
public:
    explicit LivenessWatch(const Clock &clock) : m_clock(&clock) {}

    // Starts watching a driver that checked in now (or stops: timeout 0). Calls sent before now
    // count from now (they waited for Start, which runs on the same queue).
    void reset(Duration timeout);
    // The reason the driver is wedged, once the sample shows it; nullopt while it is alive.
    [[nodiscard]] std::optional<std::string> observe(const LivenessSample &sample);
    [[nodiscard]] Duration timeout() const { return m_timeout; }

private:
    const Clock *m_clock;
    struct TxWatch {
        std::optional<uint32_t> last_consumed;
        std::optional<TimePoint> stalled_since;
    };
    Duration m_timeout{};
    TimePoint m_since{};
    std::map<std::string, TxWatch> m_tx; // by interface name; one gone is forgotten
};

} // namespace netdext::supervision
