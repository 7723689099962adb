// BundleDir (see bundle_fs.h): openat2-confined reads and copies of an untrusted bundle.

#include <netdext/bundle/bundle_fs.h>

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace netdext::bundle {
namespace {

int openat2_beneath(int dir, const char *relative, uint64_t flags) {
    struct open_how how {};
    how.flags = flags | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return int(syscall(SYS_openat2, dir, relative, &how, sizeof how));
}

const char *kind_of(mode_t mode) {
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symlink";
    return "not a regular file";
}

std::string describe_open_error(int error) {
    if (error == EXDEV || error == ELOOP)
        return "a symlink that leaves the bundle";
    return std::strerror(error);
}

// Reads at most `size` bytes (the size fstat reported) plus one to see a file that grew.
bool read_all(int fd, uint64_t size, uint64_t max_bytes, std::string &out, std::string &error) {
    std::string data;
    data.resize(size_t(size) + 1);
    size_t got = 0;
    while (got < data.size()) {
        ssize_t n = ::read(fd, data.data() + got, data.size() - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            error = std::strerror(errno);
            return false;
        }
        if (n == 0)
            break;
        got += size_t(n);
    }
    if (got > max_bytes) {
        error = "larger than " + std::to_string(max_bytes) + " bytes";
        return false;
    }
    data.resize(got);
    out = std::move(data);
    return true;
}

struct CopyState {
    const BundleLimits &limits;
    uint64_t bytes = 0;
    uint32_t files = 0;
};

bool copy_file(int from_fd, int to_dir, const char *name, mode_t mode, uint64_t size,
               std::string &error) {
    int out = openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     (mode & 0111) ? 0755 : 0644);
    if (out < 0) {
        error = std::string("creating ") + name + ": " + std::strerror(errno);
        return false;
    }
    UniqueFd guard(out);
    char buffer[65536];
    uint64_t left = size;
    while (left > 0) {
        ssize_t n = ::read(from_fd, buffer, size_t(std::min<uint64_t>(left, sizeof buffer)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            error = std::string(name) + ": the file changed while it was copied";
            return false;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = ::write(out, buffer + done, size_t(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                error = std::string("writing ") + name + ": " + std::strerror(errno);
                return false;
            }
            done += w;
        }
        left -= uint64_t(n);
    }
    if (fsync(out) != 0) {
        error = std::string("fsync ") + name + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

bool copy_dir(int bundle_root, int from_dir, const std::string &relative, int to_dir,
              uint32_t depth, CopyState &state, std::string &error) {
    if (depth > state.limits.depth) {
        error = relative + ": nested deeper than " + std::to_string(state.limits.depth);
        return false;
    }
    int listing = dup(from_dir);
    if (listing < 0) {
        error = std::strerror(errno);
        return false;
    }
    DIR *dir = fdopendir(listing);
    if (dir == nullptr) {
        close(listing);
        error = std::strerror(errno);
        return false;
    }
    struct Closer {
        DIR *d;
        ~Closer() { closedir(d); }
    } closer{dir};
    rewinddir(dir);
    while (struct dirent *entry = readdir(dir)) {
        const char *name = entry->d_name;
        if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0)
            continue;
        const std::string path = relative.empty() ? name : relative + "/" + name;
        if (++state.files > state.limits.files) {
            error = "more than " + std::to_string(state.limits.files) + " files";
            return false;
        }
        struct stat st {};
        if (fstatat(from_dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            error = path + ": " + std::strerror(errno);
            return false;
        }
        if (S_ISLNK(st.st_mode)) {
            // Kept only when it resolves inside the bundle (checked from the bundle's root).
            int target = openat2_beneath(bundle_root, path.c_str(), O_PATH);
            if (target < 0) {
                error = path + ": " + describe_open_error(errno);
                return false;
            }
            close(target);
            char link[4096];
            ssize_t n = readlinkat(from_dir, name, link, sizeof link - 1);
            if (n < 0) {
                error = path + ": " + std::strerror(errno);
                return false;
            }
            link[n] = '\0';
            if (symlinkat(link, to_dir, name) != 0) {
                error = path + ": " + std::strerror(errno);
                return false;
            }
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            int sub = openat2_beneath(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (sub < 0) {
                error = path + ": " + describe_open_error(errno);
                return false;
            }
            UniqueFd sub_guard(sub);
            if (mkdirat(to_dir, name, 0755) != 0) {
                error = path + ": " + std::strerror(errno);
                return false;
            }
            int out = openat(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (out < 0) {
                error = path + ": " + std::strerror(errno);
                return false;
            }
            UniqueFd out_guard(out);
            if (!copy_dir(bundle_root, sub, path, out, depth + 1, state, error))
                return false;
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            error = path + ": " + kind_of(st.st_mode) + ", not a regular file";
            return false;
        }
        // O_PATH first, then the real open through /proc: a file swapped for a FIFO in between is
        // seen by the second fstat.
        int path_fd = openat2_beneath(from_dir, name, O_PATH | O_NOFOLLOW);
        if (path_fd < 0) {
            error = path + ": " + describe_open_error(errno);
            return false;
        }
        UniqueFd path_guard(path_fd);
        struct stat real {};
        if (fstat(path_fd, &real) != 0 || !S_ISREG(real.st_mode)) {
            error = path + ": not a regular file";
            return false;
        }
        state.bytes += uint64_t(real.st_size);
        if (state.bytes > state.limits.total_bytes) {
            error = "the bundle is larger than " + std::to_string(state.limits.total_bytes) +
                    " bytes";
            return false;
        }
        std::string proc = "/proc/self/fd/" + std::to_string(path_fd);
        int data = ::open(proc.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (data < 0) {
            error = path + ": " + std::strerror(errno);
            return false;
        }
        UniqueFd data_guard(data);
        if (!copy_file(data, to_dir, name, real.st_mode, uint64_t(real.st_size), error)) {
            error = path + ": " + error;
            return false;
        }
    }
    return true;
}

bool remove_at(int dir, const char *name, std::string &error) {
    struct stat st {};
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dir, name, 0) != 0 && errno != ENOENT) {
            error = std::string(name) + ": " + std::strerror(errno);
            return false;
        }
        return true;
    }
    int sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
        error = std::string(name) + ": " + std::strerror(errno);
        return false;
    }
    DIR *listing = fdopendir(sub);
    if (listing == nullptr) {
        close(sub);
        error = std::strerror(errno);
        return false;
    }
    std::vector<std::string> names;
    while (struct dirent *entry = readdir(listing))
        if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
            names.emplace_back(entry->d_name);
    bool ok = true;
    for (const std::string &child : names)
        ok = remove_at(dirfd(listing), child.c_str(), error) && ok;
    closedir(listing);
    if (ok && unlinkat(dir, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
        error = std::string(name) + ": " + std::strerror(errno);
        return false;
    }
    return ok;
}

} // namespace

std::optional<BundleDir> BundleDir::open(const std::string &path_in, std::string &error) {
    std::string path = path_in;
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        error = errno == ENOENT ? "no such bundle" : errno == ENOTDIR ? "not a bundle directory"
                                                                      : std::strerror(errno);
        return std::nullopt;
    }
    return BundleDir(path, UniqueFd(fd));
}

UniqueFd BundleDir::open_regular(const std::string &relative, uint64_t max_bytes,
                                 std::string &error, bool *missing) const {
    if (missing)
        *missing = false;
    int path_fd = openat2_beneath(m_fd.get(), relative.c_str(), O_PATH);
    if (path_fd < 0) {
        if (missing && errno == ENOENT)
            *missing = true;
        error = errno == ENOENT ? "missing" : describe_open_error(errno);
        return UniqueFd();
    }
    UniqueFd path_guard(path_fd);
    struct stat st {};
    if (fstat(path_fd, &st) != 0) {
        error = std::strerror(errno);
        return UniqueFd();
    }
    if (!S_ISREG(st.st_mode)) {
        error = std::string(kind_of(st.st_mode)) + ", not a regular file";
        return UniqueFd();
    }
    if (uint64_t(st.st_size) > max_bytes) {
        error = "larger than " + std::to_string(max_bytes) + " bytes";
        return UniqueFd();
    }
    std::string proc = "/proc/self/fd/" + std::to_string(path_fd);
    int fd = ::open(proc.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        error = std::strerror(errno);
        return UniqueFd();
    }
    return UniqueFd(fd);
}

std::optional<uint64_t> BundleDir::regular_file(const std::string &relative, uint64_t max_bytes,
                                                std::string &error, bool *missing) const {
    UniqueFd fd = open_regular(relative, max_bytes, error, missing);
    if (!fd.is_valid())
        return std::nullopt;
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        error = "not a regular file";
        return std::nullopt;
    }
    return uint64_t(st.st_size);
}

bool BundleDir::read(const std::string &relative, uint64_t max_bytes, std::string &out,
                     std::string &error, bool *missing) const {
    UniqueFd fd = open_regular(relative, max_bytes, error, missing);
    if (!fd.is_valid())
        return false;
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        error = "not a regular file";
        return false;
    }
    return read_all(fd.get(), uint64_t(st.st_size), max_bytes, out, error);
}

bool BundleDir::copy_to(const std::string &destination, const BundleLimits &limits,
                        std::string &error) const {
    if (mkdir(destination.c_str(), 0755) != 0) {
        error = destination + ": " + std::strerror(errno);
        return false;
    }
    int out = ::open(destination.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (out < 0) {
        error = destination + ": " + std::strerror(errno);
        return false;
    }
    UniqueFd out_guard(out);
    CopyState state{limits};
    std::string copy_error;
    bool ok = copy_dir(m_fd.get(), m_fd.get(), "", out, 0, state, copy_error);
    if (ok && fsync(out) != 0) {
        copy_error = std::string("fsync: ") + std::strerror(errno);
        ok = false;
    }
    if (!ok) {
        error = copy_error;
        std::string ignored;
        remove_tree(destination, ignored);
    }
    return ok;
}

bool remove_tree(const std::string &path, std::string &error) {
    std::string parent = ".", name = path;
    if (size_t slash = path.find_last_of('/'); slash != std::string::npos) {
        parent = slash == 0 ? "/" : path.substr(0, slash);
        name = path.substr(slash + 1);
    }
    int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        if (errno == ENOENT)
            return true;
        error = parent + ": " + std::strerror(errno);
        return false;
    }
    UniqueFd guard(dir);
    return remove_at(dir, name.c_str(), error);
}

} // namespace netdext::bundle
