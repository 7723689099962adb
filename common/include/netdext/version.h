// The netdext version every tool prints for --version ("netdextd 0.1.0").
#pragma once

#include <string>

namespace netdext {

// The project's version (CMake's PROJECT_VERSION), e.g. "0.1.0".
const char *version();
// "<tool> <version>", what --version prints.
std::string version_text(const std::string &tool);

} // namespace netdext
