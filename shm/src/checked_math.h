// Overflow-checked size arithmetic for layout computations (private to netdext_shm).
#pragma once

#include <cstdint>

namespace netdext::shm {

[[nodiscard]] inline bool checked_mul(uint64_t a, uint64_t b, uint64_t &out) {
    return !__builtin_mul_overflow(a, b, &out);
}
[[nodiscard]] inline bool checked_add(uint64_t a, uint64_t b, uint64_t &out) {
    return !__builtin_add_overflow(a, b, &out);
}
// Rounds value up to a multiple of alignment (a power of two).
[[nodiscard]] inline bool checked_align_up(uint64_t value, uint64_t alignment, uint64_t &out) {
    uint64_t bumped = 0;
    if (!checked_add(value, alignment - 1, bumped))
        return false;
    out = bumped & ~(alignment - 1);
    return true;
}
[[nodiscard]] constexpr bool is_power_of_two(uint64_t value) {
    return value != 0 && (value & (value - 1)) == 0;
}

} // namespace netdext::shm
