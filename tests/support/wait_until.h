// The one deadline helper for tests: poll a condition until it holds or the deadline passes.
// Tests wait on events with a deadline, never with fixed sleeps.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace netdext::testing {

inline bool wait_until(const std::function<bool()> &condition,
                       std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    auto until = std::chrono::steady_clock::now() + deadline;
    std::chrono::microseconds pause(50);
    for (;;) {
        if (condition())
            return true;
        if (std::chrono::steady_clock::now() >= until)
            return condition();
        std::this_thread::sleep_for(pause); // polling interval, not a wait for an effect
        if (pause < std::chrono::milliseconds(5))
            pause *= 2;
    }
}

} // namespace netdext::testing
