// FilesystemView (see filesystem_view.h).

#include "filesystem_view.h"

#include "elf_deps.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace netdext::sandbox {

namespace {

constexpr const char *kOldRoot = "/oldroot";
constexpr const char *kNewRoot = "/newroot";
constexpr const char *kDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                    "/dev/urandom"};

bool is_under(const std::string &path, const std::string &dir) {
    return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
           path[dir.size()] == '/';
}

} // namespace

void FilesystemView::add_bind(const std::string &path, bool device) {
    std::string target = std::filesystem::path(path).lexically_normal().string();
    char real[PATH_MAX];
    if (realpath(path.c_str(), real) == nullptr)
        return;
    struct stat st;
    if (stat(real, &st) != 0)
        return;
    for (const Bind &bind : m_binds)
        if (bind.target == kNewRoot + target)
            return;
    Bind bind;
    bind.source = std::string(kOldRoot) + real;
    bind.target = kNewRoot + target;
    bind.directory = S_ISDIR(st.st_mode);
    bind.device = device;
    m_binds.push_back(std::move(bind));
}

Result<FilesystemView> FilesystemView::plan(const ViewRequest &request) {
    if (request.host_binary.empty() || request.host_binary[0] != '/' ||
        (!request.bundle_path.empty() && request.bundle_path[0] != '/'))
        return Error::from_code(ErrorCode::InvalidArgument, "view paths must be absolute");
    ElfClosure closure =
        NETDEXT_TRY(resolve_elf_closure(request.executables, request.library_search_dirs));
    FilesystemView view;
    if (!request.bundle_path.empty()) // none for the device probe (docs/devices.md)
        view.add_bind(request.bundle_path, false);
    view.add_bind(request.host_binary, false);
    if (!closure.interpreter.empty())
        view.add_bind(closure.interpreter, false);
    for (const std::string &library : closure.libraries)
        view.add_bind(library, false);
    if (access("/etc/ld.so.cache", R_OK) == 0)
        view.add_bind("/etc/ld.so.cache", false);
    for (const char *device : kDevices)
        view.add_bind(device, true);
    // Parents before children; a file inside a bound directory is already visible through it.
    std::sort(view.m_binds.begin(), view.m_binds.end(),
              [](const Bind &a, const Bind &b) { return a.target < b.target; });
    std::vector<Bind> kept;
    for (Bind &bind : view.m_binds) {
        bool covered = std::any_of(kept.begin(), kept.end(), [&](const Bind &dir) {
            return dir.directory && is_under(bind.target, dir.target);
        });
        if (!covered)
            kept.push_back(std::move(bind));
    }
    view.m_binds = std::move(kept);
    std::set<std::string> directories = {std::string(kNewRoot) + "/dev",
                                         std::string(kNewRoot) + "/proc",
                                         std::string(kNewRoot) + "/tmp"};
    for (const Bind &bind : view.m_binds) {
        std::filesystem::path parent = std::filesystem::path(bind.target).parent_path();
        for (; parent.string().size() > std::string(kNewRoot).size();
             parent = parent.parent_path())
            directories.insert(parent.string());
        if (bind.directory)
            directories.insert(bind.target);
    }
    view.m_directories.assign(directories.begin(), directories.end()); // sorted: parents first
    view.m_tmp_options = "mode=0700,uid=" + std::to_string(request.uid) +
                         ",gid=" + std::to_string(request.gid) +
                         ",size=" + std::to_string(request.tmp_bytes) + ",nr_inodes=4096";
    return view;
}

int FilesystemView::apply(const char *&failed_step) const noexcept {
#define NETDEXT_STEP(name, call)                                                                   \
    do {                                                                                           \
        if ((call) != 0) {                                                                         \
            failed_step = name;                                                                    \
            return errno;                                                                          \
        }                                                                                          \
    } while (0)
    // Nothing below propagates back to the daemon's mount namespace.
    NETDEXT_STEP("make / private", mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));
    // A scratch root on /tmp holding the new root and the old one; the old root's own /tmp is
    // visible again under /oldroot/tmp once we have pivoted away from the scratch mount.
    NETDEXT_STEP("mount the scratch tmpfs",
                 mount("netdext-scratch", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       "mode=0700,size=64k"));
    NETDEXT_STEP("chdir scratch", chdir("/tmp"));
    NETDEXT_STEP("mkdir newroot", mkdir("newroot", 0755));
    NETDEXT_STEP("mkdir oldroot", mkdir("oldroot", 0755));
    NETDEXT_STEP("pivot_root to the scratch tmpfs", int(syscall(SYS_pivot_root, ".", "oldroot")));
    NETDEXT_STEP("chdir /", chdir("/"));
    NETDEXT_STEP("mount the new root",
                 mount("netdext-root", kNewRoot, "tmpfs", MS_NOSUID | MS_NODEV,
                       "mode=0755,size=256k,nr_inodes=1024"));
    // The private /tmp is mounted as soon as its mount point exists, before anything is bound
    // below it: a bundle staged under the host's /tmp (a test's state directory) stays visible
    // instead of being hidden by the tmpfs mounted over it afterwards.
    // (No allocation here: this runs between clone and exec in a multi-threaded daemon.)
    constexpr const char *private_tmp = "/newroot/tmp";
    static_assert(std::string_view(kNewRoot) == "/newroot");
    for (const std::string &dir : m_directories) {
        if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
            failed_step = "mkdir in the new root";
            return errno;
        }
        if (std::strcmp(dir.c_str(), private_tmp) == 0)
            NETDEXT_STEP("mount /tmp", mount("netdext-tmp", private_tmp, "tmpfs",
                                             MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                             m_tmp_options.c_str()));
    }
    for (const Bind &bind : m_binds) {
        if (!bind.directory) {
            int fd = open(bind.target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
            if (fd < 0) {
                failed_step = "create a file mount point";
                return errno;
            }
            close(fd);
        }
        NETDEXT_STEP("bind mount", mount(bind.source.c_str(), bind.target.c_str(), nullptr,
                                         MS_BIND, nullptr));
        unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID;
        if (!bind.device)
            flags |= MS_NODEV;
        NETDEXT_STEP("remount read-only", mount(nullptr, bind.target.c_str(), nullptr, flags,
                                                nullptr));
    }
    // The sandbox's own PID namespace: only its own processes, and (subset=pid, Linux 5.8) none
    // of /proc/sys, /proc/kcore and the like.
    unsigned long proc_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY;
    if (mount("proc", "/newroot/proc", "proc", proc_flags, "subset=pid") != 0)
        NETDEXT_STEP("mount /proc", mount("proc", "/newroot/proc", "proc", proc_flags, nullptr));
    NETDEXT_STEP("detach the old root", umount2(kOldRoot, MNT_DETACH));
    NETDEXT_STEP("chdir newroot", chdir(kNewRoot));
    NETDEXT_STEP("pivot_root to the new root", int(syscall(SYS_pivot_root, ".", ".")));
    NETDEXT_STEP("detach the scratch root", umount2(".", MNT_DETACH));
    NETDEXT_STEP("chdir / in the new root", chdir("/"));
    NETDEXT_STEP("remount / read-only",
                 mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                       nullptr));
#undef NETDEXT_STEP
    return 0;
}

std::vector<std::string> FilesystemView::describe() const {
    std::vector<std::string> lines = {"tmpfs / (read-only)"};
    size_t skip = std::string(kNewRoot).size();
    for (const Bind &bind : m_binds)
        lines.push_back(std::string(bind.device ? "dev " : "ro ") + bind.target.substr(skip));
    lines.push_back("proc /proc");
    lines.push_back("tmpfs /tmp (" + m_tmp_options + ")");
    return lines;
}

} // namespace netdext::sandbox
