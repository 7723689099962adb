// The trusted team keys (trust_store.h): one XML plist per key in a directory.

#include "internal.h"

#include <netdext/registry/wire.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace netdext::codesign {

using registry::Value;

namespace {

constexpr const char *kTrustKind = "netdext trusted key";

std::string file_name(const std::string &team_id, const std::string &fingerprint) {
    return team_id + "." + fingerprint + ".plist";
}

bool has_suffix(const std::string &text, const char *suffix) {
    const size_t n = std::strlen(suffix);
    return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

std::optional<TrustedKey> read_trusted(const std::string &path, std::string &error) {
    TrustedKey out;
    out.path = path;
    auto value = detail::read_key_document(path, kTrustKind, out.identity, error);
    if (!value)
        return std::nullopt;
    const Value *added = detail::member(*value, "Added", Value::Type::string);
    const Value *expires = value->find("Expires");
    if (added == nullptr || !parse_date(added->text()) ||
        (expires != nullptr &&
         (!expires->is(Value::Type::string) || !parse_date(expires->text())))) {
        error = path + ": Added or Expires is not a date";
        return std::nullopt;
    }
    out.added = *parse_date(added->text());
    if (expires != nullptr)
        out.expires = parse_date(expires->text());
    // The name must agree with the contents: a file copied under another team's name is not
    // trusted for it.
    const std::string expected = file_name(out.identity.team_id, out.identity.fingerprint());
    if (path.size() < expected.size() ||
        path.compare(path.size() - expected.size(), expected.size(), expected) != 0 ||
        (path.size() > expected.size() && path[path.size() - expected.size() - 1] != '/')) {
        error = path + ": its name does not match its team and key (" + expected + ")";
        return std::nullopt;
    }
    return out;
}

} // namespace

UnixTime now_unix() { return UnixTime(std::time(nullptr)); }

std::optional<UnixTime> parse_date(std::string_view text) {
    // YYYY-MM-DD, optionally followed by THH:MM:SSZ.
    auto digits = [&](size_t at, size_t count, int &out) {
        if (at + count > text.size())
            return false;
        out = 0;
        for (size_t i = at; i < at + count; ++i) {
            if (text[i] < '0' || text[i] > '9')
                return false;
            out = out * 10 + (text[i] - '0');
        }
        return true;
    };
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (!digits(0, 4, year) || text.size() < 10 || text[4] != '-' || !digits(5, 2, month) ||
        text[7] != '-' || !digits(8, 2, day))
        return std::nullopt;
    if (text.size() != 10) {
        if (text.size() != 20 || text[10] != 'T' || !digits(11, 2, hour) || text[13] != ':' ||
            !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second) ||
            text[19] != 'Z')
            return std::nullopt;
    }
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
        minute > 59 || second > 60)
        return std::nullopt;
    struct tm tm {};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const time_t t = ::timegm(&tm);
    struct tm back {};
    if (t == time_t(-1) || ::gmtime_r(&t, &back) == nullptr || back.tm_mday != day)
        return std::nullopt; // e.g. February 30th
    return UnixTime(t);
}

std::string format_date(UnixTime time) {
    const time_t t = time_t(time);
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

const char *to_string(Trust trust) {
    switch (trust) {
    case Trust::trusted:
        return "trusted";
    case Trust::expired:
        return "expired";
    case Trust::wrong_key:
        return "wrong key";
    case Trust::untrusted_team:
        return "untrusted team";
    }
    return "?";
}

std::optional<TrustStore> TrustStore::open(const std::string &directory, bool create,
                                           std::string &error) {
    struct stat st {};
    if (::stat(directory.c_str(), &st) != 0) {
        if (errno != ENOENT || !create) {
            error = directory + ": " + std::strerror(errno);
            return std::nullopt;
        }
        if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST) {
            error = directory + ": " + std::strerror(errno);
            return std::nullopt;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        error = directory + ": not a directory";
        return std::nullopt;
    }
    return TrustStore(directory);
}

bool TrustStore::add(const PublicIdentity &identity, std::optional<UnixTime> expires,
                     std::string &error, UnixTime now) {
    if (!valid_team_id(identity.team_id)) {
        error = "\"" + identity.team_id + "\" is not a team ID";
        return false;
    }
    Value dict = detail::key_document(identity, kTrustKind);
    dict.set("Added", Value::string(format_date(now)));
    if (expires)
        dict.set("Expires", Value::string(format_date(*expires)));
    return detail::write_file_atomically(
        m_directory + "/" + file_name(identity.team_id, identity.fingerprint()),
        registry::to_plist(dict), 0644, error);
}

size_t TrustStore::remove(const std::string &team_id, const std::string &fingerprint,
                          std::string &error) {
    size_t removed = 0;
    for (const TrustedKey &key : list()) {
        if (key.identity.team_id != team_id ||
            (!fingerprint.empty() && key.identity.fingerprint() != fingerprint))
            continue;
        if (::unlink(key.path.c_str()) != 0) {
            error = key.path + ": " + std::strerror(errno);
            return 0;
        }
        ++removed;
    }
    if (removed == 0)
        error = "no trusted key of team " + team_id +
                (fingerprint.empty() ? "" : " with fingerprint " + fingerprint);
    return removed;
}

std::vector<TrustedKey> TrustStore::list(std::vector<std::string> *problems) const {
    std::vector<TrustedKey> keys;
    DIR *dir = ::opendir(m_directory.c_str());
    if (dir == nullptr) {
        if (problems != nullptr)
            problems->push_back(m_directory + ": " + std::strerror(errno));
        return keys;
    }
    while (struct dirent *entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name.front() == '.' || !has_suffix(name, ".plist"))
            continue;
        std::string error;
        if (auto key = read_trusted(m_directory + "/" + name, error))
            keys.push_back(std::move(*key));
        else if (problems != nullptr)
            problems->push_back(error);
    }
    ::closedir(dir);
    std::sort(keys.begin(), keys.end(), [](const TrustedKey &a, const TrustedKey &b) {
        return std::make_pair(a.identity.team_id, a.identity.fingerprint()) <
               std::make_pair(b.identity.team_id, b.identity.fingerprint());
    });
    return keys;
}

Trust TrustStore::evaluate(const std::string &team_id, const PublicKey &key, UnixTime now,
                           TrustedKey *match) const {
    bool team_known = false;
    for (const TrustedKey &trusted : list()) {
        if (trusted.identity.team_id != team_id)
            continue;
        team_known = true;
        if (trusted.identity.public_key != key)
            continue;
        if (match != nullptr)
            *match = trusted;
        return trusted.expired(now) ? Trust::expired : Trust::trusted;
    }
    return team_known ? Trust::wrong_key : Trust::untrusted_team;
}

} // namespace netdext::codesign
