// UidPool (see uid_pool.h).

#include "uid_pool.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <charconv>

namespace netdext::sandbox {

UidLease::UidLease(UidLease &&other) noexcept
    : m_pool(std::move(other.m_pool)), m_uid(other.m_uid) {}

UidLease &UidLease::operator=(UidLease &&other) noexcept {
    if (this != &other) {
        if (m_pool)
            m_pool->release(m_uid);
        m_pool = std::move(other.m_pool);
        m_uid = other.m_uid;
    }
    return *this;
}

UidLease::~UidLease() {
    if (m_pool)
        m_pool->release(m_uid);
}

Result<std::shared_ptr<UidPool>> UidPool::create(uid_t first, uid_t last,
                                                 const std::string &lock_dir) {
    if (first == 0 || last < first || last > 0x7ffffffeu)
        return Error::from_code(ErrorCode::InvalidArgument, "uid range");
    if (!lock_dir.empty()) {
        if (mkdir(lock_dir.c_str(), 0700) != 0 && errno != EEXIST)
            return Error::from_errno("mkdir of the uid lock directory");
        struct stat st {};
        if (lstat(lock_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & 022) != 0)
            return Error::from_code(ErrorCode::InvalidArgument,
                                    "the uid lock directory is not a directory of ours alone");
    }
    return std::shared_ptr<UidPool>(new UidPool(first, last, lock_dir));
}

Result<std::shared_ptr<UidPool>> UidPool::parse(const std::string &range,
                                                const std::string &lock_dir) {
    size_t dash = range.find('-');
    if (dash == std::string::npos)
        return Error::from_code(ErrorCode::InvalidArgument, "uid range (FIRST-LAST)");
    uint64_t first = 0, last = 0;
    const char *begin = range.data(), *end = range.data() + range.size();
    auto a = std::from_chars(begin, begin + dash, first);
    auto b = std::from_chars(begin + dash + 1, end, last);
    if (a.ec != std::errc() || a.ptr != begin + dash || b.ec != std::errc() || b.ptr != end ||
        first > 0x7ffffffeu || last > 0x7ffffffeu)
        return Error::from_code(ErrorCode::InvalidArgument, "uid range (FIRST-LAST)");
    return create(uid_t(first), uid_t(last), lock_dir);
}

uid_t UidPool::preferred_uid(const std::string &bundle_id) const {
    uint64_t hash = 0xcbf29ce484222325ull; // FNV-1a, 64 bits
    for (unsigned char c : bundle_id) {
        hash ^= c;
        hash *= 0x100000001b3ull;
    }
    uint64_t size = uint64_t(m_last) - m_first + 1;
    return uid_t(m_first + hash % size);
}

Result<UidLease> UidPool::lease(const std::string &bundle_id) {
    std::lock_guard lock(m_mutex);
    uint64_t size = uint64_t(m_last) - m_first + 1;
    uid_t start = preferred_uid(bundle_id);
    for (uint64_t i = 0; i < size; ++i) {
        uid_t uid = uid_t(m_first + (uint64_t(start) - m_first + i) % size);
        if (m_leased.count(uid))
            continue;
        if (getpwuid(uid) != nullptr) // an account owns it: never hand out its files
            continue;
        if (!take_lock(uid)) // another daemon's extension runs as it
            continue;
        m_leased.insert(uid);
        return UidLease(shared_from_this(), uid);
    }
    return Error::from_code(ErrorCode::InvalidArgument, "uid range exhausted");
}

size_t UidPool::leased() const {
    std::lock_guard lock(m_mutex);
    return m_leased.size();
}

void UidPool::release(uid_t uid) {
    std::lock_guard lock(m_mutex);
    m_leased.erase(uid);
    m_locks.erase(uid); // closing the fd drops the flock
}

bool UidPool::take_lock(uid_t uid) {
    if (m_lock_dir.empty())
        return true;
    const std::string path = m_lock_dir + "/" + std::to_string(uid) + ".lock";
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.is_valid() || flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
        return false;
    m_locks[uid] = std::move(fd);
    return true;
}

} // namespace netdext::sandbox
