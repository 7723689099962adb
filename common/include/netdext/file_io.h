// Whole-file reads for the tools and readers that take a file in one piece (plists, .iig inputs,
// API-coverage notes). Not for anything large or on a hot path.
#pragma once

#include <string>

namespace netdext {

// Reads the whole file at `path` into `out`. False when it cannot be opened or a read fails
// (errno then says why); `out` is left unchanged.
[[nodiscard]] bool read_file(const std::string &path, std::string &out);

} // namespace netdext
