// Private helpers of libdriverkit (not installed).
#pragma once

#include <netdext/runtime.h>

namespace netdext {

// Logs a fault with the message and aborts: for broken invariants and API misuse that would
// otherwise corrupt memory.
[[noreturn]] void fatal(const char *format, ...) __attribute__((format(printf, 1, 2)));

} // namespace netdext
