// UidPool (see uid_pool.h).

#include "uid_pool.h"

#include <pwd.h>

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

Result<std::shared_ptr<UidPool>> UidPool::create(uid_t first, uid_t last) {
    if (first == 0 || last < first || last > 0x7ffffffeu)
        return Error::from_code(ErrorCode::InvalidArgument, "uid range");
    return std::shared_ptr<UidPool>(new UidPool(first, last));
}

Result<std::shared_ptr<UidPool>> UidPool::parse(const std::string &range) {
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
    return create(uid_t(first), uid_t(last));
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
}

} // namespace netdext::sandbox
