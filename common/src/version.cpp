#include <netdext/version.h>

namespace netdext {

const char *version() { return NETDEXT_PROJECT_VERSION; }

std::string version_text(const std::string &tool) { return tool + " " + version(); }

} // namespace netdext
