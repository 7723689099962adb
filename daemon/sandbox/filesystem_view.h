// FilesystemView: the whole filesystem a sandboxed netdext-host sees (docs/sandbox.md) —
//
//   /                      an empty tmpfs, read-only once built
//   <netdext-host>         the executable, read-only, at its own path
//   <bundle>.dext/         the bundle, read-only, at its own path
//   <each library>         every shared library the host and the driver need (elf_deps.h),
//                          read-only, at the path the loader opens; /etc/ld.so.cache
//   /dev/{null,zero,full,random,urandom}
//   /proc                  a procfs of the sandbox's own PID namespace (subset=pid: no /proc/sys)
//   /tmp                   a private tmpfs of `tmp_bytes`, owned by the extension's uid, noexec
//
// and nothing else of the host's filesystem. The plan (every path, every mount) is computed in
// the daemon before the child exists; apply() runs in the child between clone and exec, as root
// in its new mount and PID namespaces, with system calls only (no allocation): it mounts a
// scratch tmpfs, pivots into it, builds the new root from read-only bind mounts of the old one,
// pivots again and detaches the old root entirely.
//
// Threads: plan() anywhere; apply() only in the forked child.
#pragma once

#include <netdext/result.h>

#include <sys/types.h>

#include <string>
#include <vector>

namespace netdext::sandbox {

struct ViewRequest {
    std::string host_binary;              // absolute
    std::string bundle_path;              // absolute, a directory ("": none, a device probe)
    std::vector<std::string> executables; // ELF objects whose closure is needed (host, driver)
    uint64_t tmp_bytes = uint64_t(16) << 20;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<std::string> library_search_dirs; // empty: the system's (tests override)
};

class FilesystemView {
public:
    static Result<FilesystemView> plan(const ViewRequest &request);

    // In the child: builds the view and makes it the root. Returns 0, or the errno of the step
    // that failed with `failed_step` set to its name.
    int apply(const char *&failed_step) const noexcept;

    // What the view holds, for logs and tests: "ro /usr/lib/.../libc.so.6", "tmpfs /tmp", …
    [[nodiscard]] std::vector<std::string> describe() const;
    [[nodiscard]] size_t bind_count() const { return m_binds.size(); }

private:
    struct Bind {
        std::string source; // "/oldroot" + the real path (no symlinks)
        std::string target; // "/newroot" + the path the host will open
        bool directory = false;
        bool device = false;
    };
    FilesystemView() = default;
    void add_bind(const std::string &path, bool device);

    std::vector<Bind> m_binds;
    std::vector<std::string> m_directories; // created in order under /newroot
    std::string m_tmp_options;              // tmpfs options of /tmp
};

} // namespace netdext::sandbox
