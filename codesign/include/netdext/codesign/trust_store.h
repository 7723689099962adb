// netdext/codesign/trust_store.h — the team keys a system trusts: one file per key in a
// directory (netdextd's is root's; `netdextctl trust add|remove|list` edits it). A key may carry
// an expiry date, after which bundles it signed are refused ("expired").
//
// Files are named <TEAMID>.<fingerprint>.plist and written atomically (temporary file + rename),
// so concurrent readers see a whole key or none. A file that does not parse is ignored, and
// reported by list(). Every call reads the directory afresh: another process may edit it.
#pragma once

#include <netdext/codesign/identity.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netdext::codesign {

// Seconds since the Unix epoch.
using UnixTime = int64_t;
UnixTime now_unix();
// "2026-01-31" or "2026-01-31T12:00:00Z" (UTC) → seconds; nullopt when malformed.
std::optional<UnixTime> parse_date(std::string_view text);
// "2026-01-31T12:00:00Z"
std::string format_date(UnixTime time);

struct TrustedKey {
    PublicIdentity identity;
    UnixTime added = 0;
    std::optional<UnixTime> expires;
    std::string path;
    bool expired(UnixTime now) const { return expires && *expires <= now; }
};

// What the store says about a signature's team and key.
enum class Trust {
    trusted,        // the team is trusted with exactly this key, not expired
    expired,        // that key's trust has expired
    wrong_key,      // the team is trusted, but with other keys
    untrusted_team, // no key of the team is trusted
};
const char *to_string(Trust trust);

class TrustStore {
public:
    // The store in `directory`; with `create`, the directory is made (mode 0755) if missing.
    static std::optional<TrustStore> open(const std::string &directory, bool create,
                                          std::string &error);

    const std::string &directory() const { return m_directory; }
    // Trusts `identity` (replacing the entry of the same key, e.g. to change its expiry).
    bool add(const PublicIdentity &identity, std::optional<UnixTime> expires, std::string &error,
             UnixTime now = now_unix());
    // Removes the keys of `team_id` (only the one with `fingerprint` if it is not empty);
    // returns how many; 0 with `error` set when none matched or a file could not be removed.
    size_t remove(const std::string &team_id, const std::string &fingerprint,
                  std::string &error);
    // Every trusted key, by team then fingerprint; files that do not parse go to `problems`.
    std::vector<TrustedKey> list(std::vector<std::string> *problems = nullptr) const;
    // The verdict on a signature by `team_id` with `key`, at `now`; `match` is the entry consulted
    // (for messages), when there is one.
    Trust evaluate(const std::string &team_id, const PublicKey &key, UnixTime now,
                   TrustedKey *match = nullptr) const;

private:
    explicit TrustStore(std::string directory) : m_directory(std::move(directory)) {}
    std::string m_directory;
};

} // namespace netdext::codesign
