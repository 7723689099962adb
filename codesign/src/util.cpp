// SHA-256, hex and file helpers for signing and verifying (internal.h).

#include "internal.h"

#include <sodium.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netdext::codesign::detail {

bool crypto_ready() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

Digest sha256(std::string_view bytes) {
    Digest out{};
    crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char *>(bytes.data()),
                       bytes.size());
    return out;
}

std::string hex(const uint8_t *bytes, size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (size_t i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

std::string_view as_view(const std::string &bytes) { return {bytes.data(), bytes.size()}; }

bool read_regular_file(const std::string &path, size_t limit, std::string &out,
                       std::string &error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        error = path + ": " + std::strerror(errno);
        return false;
    }
    struct stat st {};
    bool ok = ::fstat(fd, &st) == 0;
    if (!ok) {
        error = path + ": " + std::strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        error = path + ": not a regular file";
        ok = false;
    } else if (uint64_t(st.st_size) > limit) {
        error = path + ": larger than " + std::to_string(limit) + " bytes";
        ok = false;
    }
    std::string bytes;
    while (ok) {
        char buffer[65536];
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error = path + ": " + std::strerror(errno);
            ok = false;
        } else if (n == 0) {
            break;
        } else if (bytes.size() + size_t(n) > limit) {
            error = path + ": larger than " + std::to_string(limit) + " bytes";
            ok = false;
        } else {
            bytes.append(buffer, size_t(n));
        }
    }
    ::close(fd);
    if (ok)
        out = std::move(bytes);
    return ok;
}

bool write_file_atomically(const std::string &path, std::string_view bytes, unsigned mode,
                           std::string &error) {
    const std::string temporary = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                          mode);
    if (fd < 0) {
        error = temporary + ": " + std::strerror(errno);
        return false;
    }
    bool ok = ::fchmod(fd, mode) == 0; // whatever the umask
    size_t done = 0;
    while (ok && done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        if (ok)
            done += size_t(n);
    }
    ok = ok && ::fsync(fd) == 0;
    if (!ok)
        error = temporary + ": " + std::strerror(errno);
    ::close(fd);
    if (ok && ::rename(temporary.c_str(), path.c_str()) != 0) {
        error = path + ": " + std::strerror(errno);
        ok = false;
    }
    if (!ok)
        ::unlink(temporary.c_str());
    return ok;
}

const registry::Value *member(const registry::Value &dict, std::string_view key,
                              registry::Value::Type type) {
    const registry::Value *value = dict.find(key);
    return value != nullptr && value->is(type) ? value : nullptr;
}

} // namespace netdext::codesign::detail
