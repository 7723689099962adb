// BundleDir: reading and copying a bundle directory that someone else controls, safely.
//
// netdextd runs as root and reads bundles a user names (`netdextctl activate PATH`). Everything
// in them is hostile until checked, so every file is reached through an open directory fd with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): a symlink may point elsewhere inside the
// bundle, never out of it (`Info.plist -> /dev/zero` is refused). A file is first opened O_PATH
// (which never blocks and has no side effects, unlike opening a FIFO or a device), checked with
// fstat to be a regular file no larger than its limit, and only then re-opened for reading
// through /proc/self/fd — so no file can be swapped between the check and the read.
//
// Threads: none; every call is synchronous and uses only its own fds.
#pragma once

#include <netdext/unique_fd.h>

#include <cstdint>
#include <optional>
#include <string>

namespace netdext::bundle {

// Size limits checked before anything is read or copied.
struct BundleLimits {
    uint64_t plist_bytes = 1u << 20;            // Info.plist, Entitlements.plist
    uint64_t executable_bytes = 256ull << 20;   // the driver's shared object
    uint64_t total_bytes = 512ull << 20;        // everything copied
    uint32_t files = 4096;                      // entries copied
    uint32_t depth = 16;                        // directory nesting
};

class BundleDir {
public:
    // Opens `path` (a directory; a symlink to one is followed only here, at the top). nullopt
    // and `error` when it is missing or not a directory.
    static std::optional<BundleDir> open(const std::string &path, std::string &error);

    [[nodiscard]] const std::string &path() const { return m_path; }
    [[nodiscard]] int fd() const { return m_fd.get(); }

    // The size of `relative` if it is a regular file inside the bundle of at most `max_bytes`;
    // otherwise nullopt and `error` says why ("is a FIFO", "leaves the bundle", "larger than …").
    // `missing` is set when the file does not exist at all.
    std::optional<uint64_t> regular_file(const std::string &relative, uint64_t max_bytes,
                                         std::string &error, bool *missing = nullptr) const;
    // Reads `relative` whole under the same rules.
    bool read(const std::string &relative, uint64_t max_bytes, std::string &out,
              std::string &error, bool *missing = nullptr) const;
    // Opens `relative` for reading under the same rules (the caller reads at most the size).
    UniqueFd open_regular(const std::string &relative, uint64_t max_bytes, std::string &error,
                          bool *missing = nullptr) const;

    // Copies the whole bundle to `destination` (which must not exist; created 0755, files 0644 or
    // 0755 when executable, owned by the caller). Directories, regular files and symlinks that
    // resolve inside the bundle are copied; anything else (FIFOs, devices, sockets, symlinks that
    // leave the bundle) or a tree beyond `limits` refuses the copy. On failure the partial copy is
    // removed.
    bool copy_to(const std::string &destination, const BundleLimits &limits,
                 std::string &error) const;

private:
    BundleDir(std::string path, UniqueFd fd) : m_path(std::move(path)), m_fd(std::move(fd)) {}

    std::string m_path;
    UniqueFd m_fd;
};

// Removes a directory tree without following symlinks (for staged copies). False on error.
bool remove_tree(const std::string &path, std::string &error);

} // namespace netdext::bundle
