// cgroup v2 for the extensions (docs/sandbox.md): one cgroup per extension under one parent of
// netdextd's, carrying the extension's limits (memory.max, pids.max, cpu.weight — those whose
// controllers are delegated to netdextd) and killed whole with cgroup.kill when the extension
// stops, so nothing it started survives it.
//
//   <unified mount>/<parent>/<bundle id>      the extension's cgroup; netdext-host is cloned
//                                             straight into it (CLONE_INTO_CGROUP)
//
// The parent is `--cgroup PATH` (absolute within the cgroup v2 hierarchy) or, by default,
// "netdext" beneath netdextd's own cgroup. Controllers are enabled in the parent where the
// hierarchy allows (the parent's parent must have delegated them); whatever is missing is
// reported once and covered by rlimits. Without a cgroup v2 mount in netdextd's mount namespace
// the daemon works without cgroups.
//
// Threads: the daemon's main thread.
#pragma once

#include <netdext/result.h>
#include <netdext/unique_fd.h>

#include "sandbox_settings.h"

#include <memory>
#include <string>
#include <vector>

namespace netdext::sandbox {

class Cgroup;

class CgroupParent : public std::enable_shared_from_this<CgroupParent> {
public:
    // `path`: "" for the default; absolute ("/dexts") within the hierarchy, or relative to
    // netdextd's own cgroup. `mount` overrides the cgroup v2 mount point (tests: a fake tree).
    static Result<std::shared_ptr<CgroupParent>> open(const std::string &path,
                                                      const std::string &mount = {});
    ~CgroupParent(); // removes the parent directory if it is empty

    [[nodiscard]] const std::string &directory() const { return m_dir; }
    // Controllers usable in the extensions' cgroups: a subset of {"cpu", "memory", "pids"}.
    [[nodiscard]] const std::vector<std::string> &controllers() const { return m_controllers; }
    [[nodiscard]] bool has_controller(const std::string &name) const;

    // Creates the extension's cgroup (killing and removing a stale one of the same name first)
    // and writes its limits.
    Result<std::unique_ptr<Cgroup>> create(const std::string &name, const SandboxLimits &limits);

    // The cgroup v2 mount point in this mount namespace ("" if none).
    static std::string find_mount();

private:
    CgroupParent() = default;
    std::string m_dir;
    bool m_created = false;
    std::vector<std::string> m_controllers;
};

class Cgroup {
public:
    ~Cgroup(); // kill() and remove()

    [[nodiscard]] const std::string &directory() const { return m_dir; }
    // An O_DIRECTORY descriptor for clone3's CLONE_INTO_CGROUP.
    [[nodiscard]] int fd() const { return m_fd.get(); }
    // The processes in it now (cgroup.procs).
    [[nodiscard]] std::vector<pid_t> processes() const;
    // SIGKILL to every process in it (cgroup.kill, Linux 5.14; else each pid of cgroup.procs).
    Result<void> kill();
    // Removes the directory once it is empty (after kill(), the kernel needs a moment: retried
    // by the destructor and the next create()).
    Result<void> remove();

private:
    friend class CgroupParent;
    Cgroup(std::string dir, UniqueFd fd) : m_dir(std::move(dir)), m_fd(std::move(fd)) {}
    std::string m_dir;
    UniqueFd m_fd;
    bool m_removed = false;
};

// A cgroup directory name for a bundle ID: [A-Za-z0-9._-] kept, anything else '_'.
std::string cgroup_name(const std::string &bundle_id);

} // namespace netdext::sandbox
