// The state directory's staged copies: <state-dir>/extensions/<uniqueID>/<bundleID>.dext, the
// daemon's own copy of every installed bundle (as sysextd keeps
// /Library/SystemExtensions/<UUID>/<bundleID>.dext), so the original may be deleted or rebuilt.
//
// A copy is made under <uniqueID>.partial and renamed into place once complete and fsynced; a
// removal renames to <uniqueID>.removing first. sweep() deletes everything the database does not
// name, so no crash can leave files behind for longer than the next start.
//
// Threads: the daemon's main thread.
#pragma once

#include <netdext/bundle/bundle_fs.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace netdext::extensions {

class Staging {
public:
    // `state_dir` must exist; its extensions/ subdirectory is created (0755: the drivers, running
    // as nobody, read their bundles from it).
    static std::optional<Staging> open(const std::string &state_dir, std::string &error);

    [[nodiscard]] const std::string &directory() const { return m_dir; }
    [[nodiscard]] std::string bundle_path(const std::string &unique_id,
                                          const std::string &identifier) const;

    // Copies `bundle` as <new uniqueID>/<identifier>.dext; returns the uniqueID.
    std::optional<std::string> stage(const bundle::BundleDir &bundle,
                                     const std::string &identifier,
                                     const bundle::BundleLimits &limits, std::string &error);
    bool remove(const std::string &unique_id, std::string &error);
    // Removes every entry of extensions/ that is not one of `keep`; returns what it removed.
    std::vector<std::string> sweep(const std::set<std::string> &keep);
    // The uniqueIDs present (complete copies only).
    [[nodiscard]] std::set<std::string> present() const;

private:
    explicit Staging(std::string dir) : m_dir(std::move(dir)) {}
    std::string m_dir;
};

// A random RFC 4122 version-4 UUID in lowercase ("3f2c…-…").
std::string new_unique_id();

} // namespace netdext::extensions
