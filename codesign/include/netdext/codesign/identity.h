// netdext/codesign/identity.h — signing identities: an ed25519 key pair (libsodium) that speaks
// for a team. A team ID is 10 characters, upper-case letters and digits, like Apple's
// ("A123456789").
//
// Files are XML property lists: the identity (secret; written with mode 0600) and its public
// part (what `netdextctl trust add` takes).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netdext::codesign {

using PublicKey = std::array<uint8_t, 32>;

bool valid_team_id(std::string_view team_id);

struct PublicIdentity {
    std::string team_id;
    std::string name; // who holds the key, e.g. "Example Corp (A123456789)"
    PublicKey public_key{};
    // 16 hex digits of the key's SHA-256: how listings and messages name a key.
    std::string fingerprint() const;
};

class Identity {
public:
    // A new random key pair for `team_id` (false and `error` on a bad team ID).
    static std::optional<Identity> generate(const std::string &team_id, const std::string &name,
                                            std::string &error);
    static std::optional<Identity> read(const std::string &path, std::string &error);
    // Writes the identity (mode 0600) and, beside it, path + ".pub". Refuses to replace an
    // existing file unless `replace`.
    bool write(const std::string &path, bool replace, std::string &error) const;

    Identity(const Identity &other);
    Identity &operator=(const Identity &other);
    ~Identity(); // wipes the secret key

    const PublicIdentity &public_identity() const { return m_public; }
    // The detached ed25519 signature of `message`.
    std::array<uint8_t, 64> sign(std::string_view message) const;

private:
    Identity() = default;
    PublicIdentity m_public;
    std::array<uint8_t, 64> m_secret{};
};

std::optional<PublicIdentity> read_public_identity(const std::string &path, std::string &error);
// The same from the file's bytes (`where` names it in errors): what `netdextctl trust add` sends.
std::optional<PublicIdentity> parse_public_identity(std::string_view xml, const std::string &where,
                                                    std::string &error);
bool write_public_identity(const PublicIdentity &identity, const std::string &path, bool replace,
                           std::string &error);

} // namespace netdext::codesign
