#include "diagnostic.h"

namespace netdext::iig {

std::string format_diagnostic(const std::string &file, const Diagnostic &diagnostic,
                              const char *severity) {
    return file + ":" + std::to_string(diagnostic.location.line) + ":" +
           std::to_string(diagnostic.location.column) + ": " + severity + ": " + diagnostic.message;
}

} // namespace netdext::iig
