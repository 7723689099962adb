// UidPool: each running extension's own uid and gid, leased from a configured range — the way
// systemd's DynamicUser= does it, without a user database entry (docs/sandbox.md).
//
// The uid of an extension is deterministic while it does not collide: first + FNV-1a(bundle ID)
// mod the range's size; if that uid is leased by another running extension, or belongs to an
// account in the user database (getpwuid), the next free one is taken (wrapping around). The
// gid is the same number. A lease ends when its UidLease is destroyed (the host has exited), so
// a relaunched extension normally gets its old uid back. Nothing the extension writes outlives
// it (its /tmp is private), so a uid reused later finds no files of the previous holder.
//
// With a lock directory (netdextd: /run/netdext/uids), a lease also holds an flock on
// <dir>/<uid>.lock, so two daemons on one machine (one per state directory) never hand the same
// uid to two extensions: one driver could otherwise signal, ptrace or read the other's files.
// The kernel drops the lock when the daemon dies.
//
// Threads: thread-safe (one mutex).
#pragma once

#include <netdext/result.h>
#include <netdext/unique_fd.h>

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace netdext::sandbox {

// The default range: 131072–196607 (2^17 + 65536), a block systemd's UIDS-GIDS.md leaves unused
// (beyond 65535, below the container ranges at 524288).
inline constexpr uid_t kDefaultFirstUid = 131072;
inline constexpr uid_t kDefaultLastUid = 196607;

class UidPool;

class UidLease {
public:
    UidLease() = default;
    UidLease(UidLease &&other) noexcept;
    UidLease &operator=(UidLease &&other) noexcept;
    ~UidLease();

    [[nodiscard]] bool valid() const { return m_pool != nullptr; }
    [[nodiscard]] uid_t uid() const { return m_uid; }
    [[nodiscard]] gid_t gid() const { return gid_t(m_uid); }

private:
    friend class UidPool;
    UidLease(std::shared_ptr<UidPool> pool, uid_t uid) : m_pool(std::move(pool)), m_uid(uid) {}
    std::shared_ptr<UidPool> m_pool;
    uid_t m_uid = 0;
};

class UidPool : public std::enable_shared_from_this<UidPool> {
public:
    // Parses "FIRST-LAST" (both inclusive, FIRST > 0, at most 2^31 - 2). `lock_dir` (created
    // 0700 if missing; "" for none) makes leases exclusive across daemons.
    static Result<std::shared_ptr<UidPool>> create(uid_t first, uid_t last,
                                                   const std::string &lock_dir = "");
    static Result<std::shared_ptr<UidPool>> parse(const std::string &range,
                                                  const std::string &lock_dir = "");

    // A uid for `bundle_id`; InvalidArgument when every uid of the range is taken.
    Result<UidLease> lease(const std::string &bundle_id);

    [[nodiscard]] uid_t first() const { return m_first; }
    [[nodiscard]] uid_t last() const { return m_last; }
    [[nodiscard]] size_t leased() const;

    // Where the search for `bundle_id` starts (tests pin it).
    [[nodiscard]] uid_t preferred_uid(const std::string &bundle_id) const;

private:
    friend class UidLease;
    UidPool(uid_t first, uid_t last, std::string lock_dir)
        : m_first(first), m_last(last), m_lock_dir(std::move(lock_dir)) {}
    void release(uid_t uid);
    // Takes <lock_dir>/<uid>.lock; false when another daemon holds it.
    bool take_lock(uid_t uid);

    const uid_t m_first;
    const uid_t m_last;
    const std::string m_lock_dir;
    mutable std::mutex m_mutex;
    std::set<uid_t> m_leased;
    std::map<uid_t, UniqueFd> m_locks; // the flocks of leased uids (with a lock directory)
};

} // namespace netdext::sandbox
