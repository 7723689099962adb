// Renders the scanned API and the notes as docs/api-coverage.md.
#pragma once

#include "api_model.h"
#include "notes.h"

#include <string>
#include <vector>

namespace api_coverage {

// The markdown document. `problems` gets one line per note whose key names nothing.
std::string render_markdown(const Api &api, const Notes &notes, std::vector<std::string> &problems);

} // namespace api_coverage
