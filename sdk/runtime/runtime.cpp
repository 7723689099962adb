// Process-wide runtime state: statistics and fatal errors.

#include <netdext/runtime.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "internal.h"

namespace netdext {

RuntimeStats &runtime_stats() {
    static RuntimeStats *stats = new RuntimeStats; // leaked: objects may die after static dtors
    return *stats;
}

void fatal(const char *format, ...) {
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    log_line(LogLevel::fault, message);
    std::fprintf(stderr, "netdext: fatal: %s\n", message);
    std::abort();
}

} // namespace netdext
