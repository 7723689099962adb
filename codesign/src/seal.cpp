// The bundle walk behind signing and verifying: every regular file outside _CodeSignature,
// hashed with SHA-256, with no link followed (openat with O_NOFOLLOW from the bundle down).

#include "internal.h"

#include <netdext/unique_fd.h>

#include <sodium.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netdext::codesign::detail {
namespace {

constexpr size_t kMaxKeptFile = 16u << 20; // Info.plist and Entitlements.plist are kept whole
constexpr size_t kMaxPath = 1024;

using Fd = netdext::UniqueFd;

bool hash_file(int dir, const char *name, const std::string &path, bool keep, Sealed &sealed,
               Failure &failure) {
    Fd fd(::openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0)
        return fail(failure, FailureKind::io, path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(failure, FailureKind::io, path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(failure, FailureKind::bad_bundle, path + ": not a regular file");
    if (uint64_t(st.st_size) > kMaxFileSize)
        return fail(failure, FailureKind::bad_bundle,
                    path + ": larger than " + std::to_string(kMaxFileSize >> 20) + " MiB");
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::string kept;
    uint64_t total = 0;
    for (;;) {
        unsigned char buffer[65536];
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(failure, FailureKind::io, path + ": " + std::strerror(errno));
        if (n == 0)
            break;
        total += uint64_t(n);
        if (total > kMaxFileSize || (keep && total > kMaxKeptFile))
            return fail(failure, FailureKind::bad_bundle, path + ": grew past its size limit");
        crypto_hash_sha256_update(&state, buffer, size_t(n));
        if (keep)
            kept.append(reinterpret_cast<const char *>(buffer), size_t(n));
    }
    Digest digest{};
    crypto_hash_sha256_final(&state, digest.data());
    sealed.files[path] = digest;
    if (path == "Info.plist")
        sealed.info_plist = std::move(kept);
    else if (path == "Entitlements.plist") {
        sealed.entitlements = std::move(kept);
        sealed.has_entitlements = true;
    }
    return true;
}

bool acceptable_name(const char *name) {
    for (const char *c = name; *c != '\0'; ++c)
        if (static_cast<unsigned char>(*c) < 0x20 || *c == 0x7f)
            return false;
    return true;
}

bool walk(int dir_fd, const std::string &prefix, int depth, Sealed &sealed, Failure &failure) {
    if (depth > kMaxDirectoryDepth)
        return fail(failure, FailureKind::bad_bundle,
                    prefix + ": directories nested more than " +
                        std::to_string(kMaxDirectoryDepth) + " deep");
    const int listing = ::dup(dir_fd);
    DIR *dir = listing >= 0 ? ::fdopendir(listing) : nullptr;
    if (dir == nullptr) {
        if (listing >= 0)
            ::close(listing);
        return fail(failure, FailureKind::io,
                    (prefix.empty() ? "." : prefix) + ": " + std::strerror(errno));
    }
    bool ok = true;
    while (ok) {
        errno = 0;
        struct dirent *entry = ::readdir(dir);
        if (entry == nullptr) {
            if (errno != 0)
                ok = fail(failure, FailureKind::io, prefix + ": " + std::strerror(errno));
            break;
        }
        const char *name = entry->d_name;
        if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0)
            continue;
        const std::string path = prefix.empty() ? name : prefix + "/" + name;
        if (!acceptable_name(name) || path.size() > kMaxPath) {
            ok = fail(failure, FailureKind::bad_bundle,
                      path + ": a name with control characters or too long a path");
            break;
        }
        struct stat st {};
        if (::fstatat(::dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            ok = fail(failure, FailureKind::io, path + ": " + std::strerror(errno));
        } else if (S_ISLNK(st.st_mode)) {
            ok = fail(failure, FailureKind::bad_bundle,
                      path + ": a symbolic link (a signed bundle holds regular files and "
                             "directories only)");
        } else if (S_ISDIR(st.st_mode)) {
            Fd sub(::openat(::dirfd(dir), name,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (sub.get() < 0) {
                ok = fail(failure, FailureKind::io, path + ": " + std::strerror(errno));
            } else if (path == kSignatureDirectory) {
                // Only the signature lives here; anything else is an unsealed addition.
                Sealed inner;
                ok = walk(sub.get(), path, depth + 1, inner, failure);
                for (const auto &[file, digest] : inner.files)
                    if (file != kSignatureFile)
                        sealed.unexpected_in_signature_dir.push_back(file);
            } else {
                ok = walk(sub.get(), path, depth + 1, sealed, failure);
            }
        } else if (S_ISREG(st.st_mode)) {
            if (sealed.files.size() >= kMaxFiles)
                ok = fail(failure, FailureKind::bad_bundle,
                          "more than " + std::to_string(kMaxFiles) + " files");
            else
                ok = hash_file(::dirfd(dir), name, path,
                               path == "Info.plist" || path == "Entitlements.plist", sealed,
                               failure);
        } else {
            ok = fail(failure, FailureKind::bad_bundle,
                      path + ": not a regular file or directory");
        }
    }
    ::closedir(dir);
    return ok;
}

} // namespace

bool seal_bundle(const std::string &bundle, Sealed &sealed, Failure &failure) {
    if (!crypto_ready())
        return fail(failure, FailureKind::io, "libsodium could not be initialised");
    Fd root(::open(bundle.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root.get() < 0)
        return fail(failure, FailureKind::io, bundle + ": " + std::strerror(errno));
    return walk(root.get(), "", 0, sealed, failure);
}

} // namespace netdext::codesign::detail
