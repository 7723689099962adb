// Shared helpers for the netdext_shm tests: the one deadline helper, Result unwrapping, and a
// daemon/driver pair living on two mappings of the same memfds inside one process.
#pragma once

#include <netdext/shm/driver_endpoint.h>
#include <netdext/shm/shared_region.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

namespace netdext::shm::testing {

inline constexpr std::chrono::seconds kDeadline{20};

// Waits for `condition` with a deadline; never a fixed sleep. True if it became true in time.
template <class Condition>
[[nodiscard]] bool eventually(Condition condition, std::chrono::milliseconds timeout = kDeadline) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::yield();
    }
    return true;
}

// Time left until `deadline`, never negative (a negative timeout would mean "wait forever").
inline std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

// Unwraps a Result in a test, failing loudly with the error's description.
template <class T> T must(Result<T> result, const char *what = "") {
    if (result.is_error()) {
        std::fprintf(stderr, "must(%s) failed: %s\n", what, result.error().describe().c_str());
        std::abort();
    }
    return result.release_value();
}
inline void must(Result<void> result, const char *what = "") {
    if (result.is_error()) {
        std::fprintf(stderr, "must(%s) failed: %s\n", what, result.error().describe().c_str());
        std::abort();
    }
}

#define EXPECT_ERROR_CODE(expression, expected_code)                                               \
    do {                                                                                           \
        auto _result = (expression);                                                               \
        ASSERT_TRUE(_result.is_error()) << #expression " unexpectedly succeeded";                  \
        EXPECT_EQ(_result.error().code(), (expected_code)) << _result.error().describe();          \
    } while (0)

inline RingCapacities uniform_capacities(uint32_t capacity) {
    RingCapacities capacities;
    capacities.fill(capacity);
    return capacities;
}

// netdextd and netdext-host ends of one interface, in one process: the daemon creates both memfds,
// the "host" attaches through duplicated descriptors (so seals and sizes are checked) and maps
// them a second time.
struct Plumbing {
    PoolLayout pool;
    RingsLayout rings;
    std::optional<SharedRegion> daemon_pool, daemon_rings, host_pool, host_rings;
    std::optional<DaemonEndpoint> daemon;
    std::optional<DriverEndpoint> driver;

    [[nodiscard]] RingControl &control(RingId id) const {
        return *rings.view(daemon_rings->bytes(), id).control;
    }
};

inline std::unique_ptr<Plumbing> make_plumbing(uint32_t packets, uint32_t buffers,
                                               uint32_t buffer_size, RingCapacities capacities,
                                               const RingDoorbells &daemon_bells = {},
                                               const RingDoorbells &driver_bells = {},
                                               uint32_t start_index = 0,
                                               std::span<const QueueSetCapacities> more = {}) {
    auto p = std::make_unique<Plumbing>();
    p->pool = must(PoolLayout::compute(packets, buffers, buffer_size), "pool layout");
    p->rings = must(RingsLayout::compute(capacities, more), "rings layout");
    p->daemon_pool.emplace(must(SharedRegion::create("test-pool", p->pool.total_size)));
    p->daemon_rings.emplace(must(SharedRegion::create("test-rings", p->rings.total_size)));
    p->daemon.emplace(
        must(DaemonEndpoint::create(p->daemon_pool->bytes(), p->pool, p->daemon_rings->bytes(),
                                    p->rings, daemon_bells, start_index)));
    p->host_pool.emplace(
        must(SharedRegion::attach(must(p->daemon_pool->memfd().duplicate()), p->pool.total_size)));
    p->host_rings.emplace(must(
        SharedRegion::attach(must(p->daemon_rings->memfd().duplicate()), p->rings.total_size)));
    p->driver.emplace(must(DriverEndpoint::attach(p->host_pool->bytes(), p->pool,
                                                  p->host_rings->bytes(), p->rings, driver_bells)));
    return p;
}

} // namespace netdext::shm::testing
