// Replacing a file so that a crash at any moment leaves either the old or the new contents:
// write a temporary file beside it, fsync it, rename it over the old one, fsync the directory.
#pragma once

#include <string>

namespace netdext::extensions {

// Writes `contents` as `directory`/`name` (mode 0644). `crash_point_name` (may be null) is the
// crash-injection point between the fsync and the rename. False with `error` on failure, in
// which case the old file is untouched.
bool write_file_atomically(const std::string &directory, const std::string &name,
                           const std::string &contents, std::string &error,
                           const char *crash_point_name = nullptr);

// fsync of a directory (after a rename or unlink in it).
bool sync_directory(const std::string &directory, std::string &error);

} // namespace netdext::extensions
