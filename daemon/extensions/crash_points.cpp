#include "crash_points.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace netdext::extensions {

void crash_point(const char *point) {
    static const char *armed = std::getenv(kCrashEnvironment);
    if (armed == nullptr || std::strcmp(armed, point) != 0)
        return;
    std::string line = std::string("netdextd: crash injection: _exit at ") + point + "\n";
    (void)!write(STDERR_FILENO, line.data(), line.size());
    _exit(kCrashExitCode);
}

} // namespace netdext::extensions
