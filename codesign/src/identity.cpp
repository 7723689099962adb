// Signing identities: ed25519 key pairs for a team (identity.h), stored as XML plists.

#include "internal.h"

#include <netdext/registry/wire.h>

#include <sodium.h>

#include <sys/stat.h>

#include <algorithm>

namespace netdext::codesign {

using registry::Value;

namespace {

constexpr const char *kIdentityKind = "netdext signing identity";
constexpr const char *kPublicKind = "netdext public identity";

} // namespace

namespace detail {

constexpr size_t kMaxKeyFile = 64 * 1024;

Value key_document(const PublicIdentity &identity, const char *kind) {
    return Value::dictionary(
        {{"Kind", Value::string(kind)},
         {"TeamIdentifier", Value::string(identity.team_id)},
         {"Name", Value::string(identity.name)},
         {"PublicKey", Value::data(std::span<const uint8_t>(identity.public_key))}});
}

bool exists(const std::string &path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::optional<Value> parse_key_document(std::string_view bytes, const std::string &path,
                                        const char *kind, PublicIdentity &identity,
                                        std::string &error) {
    if (bytes.size() > kMaxKeyFile) {
        error = path + ": larger than " + std::to_string(kMaxKeyFile) + " bytes";
        return std::nullopt;
    }
    registry::WireError wire;
    auto value = registry::value_from_plist(bytes, wire);
    if (!value) {
        error = path + ": " + wire.message;
        return std::nullopt;
    }
    const Value *file_kind = member(*value, "Kind", Value::Type::string);
    const Value *team = member(*value, "TeamIdentifier", Value::Type::string);
    const Value *name = member(*value, "Name", Value::Type::string);
    const Value *key = member(*value, "PublicKey", Value::Type::data);
    if (file_kind == nullptr || file_kind->text() != kind) {
        error = path + ": not a " + std::string(kind) + " file";
        return std::nullopt;
    }
    if (team == nullptr || !valid_team_id(team->text()) || name == nullptr || key == nullptr ||
        key->bytes().size() != 32) {
        error = path + ": TeamIdentifier, Name or PublicKey is missing or malformed";
        return std::nullopt;
    }
    identity.team_id = team->text();
    identity.name = name->text();
    std::copy_n(key->bytes().begin(), 32, identity.public_key.begin());
    return value;
}

std::optional<Value> read_key_document(const std::string &path, const char *kind,
                                       PublicIdentity &identity, std::string &error) {
    std::string bytes;
    if (!read_regular_file(path, kMaxKeyFile, bytes, error))
        return std::nullopt;
    return parse_key_document(bytes, path, kind, identity, error);
}

} // namespace detail

bool valid_team_id(std::string_view team_id) {
    return team_id.size() == 10 && std::all_of(team_id.begin(), team_id.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
           });
}

std::string PublicIdentity::fingerprint() const {
    if (!detail::crypto_ready())
        return "";
    const detail::Digest digest =
        detail::sha256(std::string_view(reinterpret_cast<const char *>(public_key.data()),
                                        public_key.size()));
    return detail::hex(digest.data(), 8);
}

std::optional<Identity> Identity::generate(const std::string &team_id, const std::string &name,
                                           std::string &error) {
    if (!valid_team_id(team_id)) {
        error = "\"" + team_id + "\" is not a team ID (10 upper-case letters and digits)";
        return std::nullopt;
    }
    if (!detail::crypto_ready()) {
        error = "libsodium could not be initialised";
        return std::nullopt;
    }
    Identity identity;
    identity.m_public.team_id = team_id;
    identity.m_public.name = name.empty() ? team_id : name;
    crypto_sign_keypair(identity.m_public.public_key.data(), identity.m_secret.data());
    return identity;
}

std::optional<Identity> Identity::read(const std::string &path, std::string &error) {
    if (!detail::crypto_ready()) {
        error = "libsodium could not be initialised";
        return std::nullopt;
    }
    Identity identity;
    auto value = detail::read_key_document(path, kIdentityKind, identity.m_public, error);
    if (!value)
        return std::nullopt;
    // FIXME: the file's bytes and their parsed copy hold the secret key until freed, unwiped;
    // only the Identity's own copy is wiped.
    const Value *secret = detail::member(*value, "SecretKey", Value::Type::data);
    if (secret == nullptr || secret->bytes().size() != 64) {
        error = path + ": SecretKey is missing or not 64 bytes";
        return std::nullopt;
    }
    std::copy_n(secret->bytes().begin(), 64, identity.m_secret.begin());
    // The secret key's second half is its public key: a mismatch means a damaged file.
    if (!std::equal(identity.m_public.public_key.begin(), identity.m_public.public_key.end(),
                    identity.m_secret.begin() + 32)) {
        error = path + ": SecretKey does not belong to PublicKey";
        return std::nullopt;
    }
    return identity;
}

bool Identity::write(const std::string &path, bool replace, std::string &error) const {
    const std::string pub = path + ".pub";
    if (!replace && (detail::exists(path) || detail::exists(pub))) {
        error = (detail::exists(path) ? path : pub) + ": exists (use --force to replace it)";
        return false;
    }
    Value dict = detail::key_document(m_public, kIdentityKind);
    dict.set("SecretKey", Value::data(std::span<const uint8_t>(m_secret)));
    std::string bytes = registry::to_plist(dict);
    const bool ok = detail::write_file_atomically(path, bytes, 0600, error);
    sodium_memzero(bytes.data(), bytes.size());
    return ok && write_public_identity(m_public, pub, true, error);
}

Identity::Identity(const Identity &other) : m_public(other.m_public), m_secret(other.m_secret) {}

Identity &Identity::operator=(const Identity &other) {
    m_public = other.m_public;
    m_secret = other.m_secret;
    return *this;
}

Identity::~Identity() { sodium_memzero(m_secret.data(), m_secret.size()); }

std::array<uint8_t, 64> Identity::sign(std::string_view message) const {
    std::array<uint8_t, 64> signature{};
    crypto_sign_detached(signature.data(), nullptr,
                         reinterpret_cast<const unsigned char *>(message.data()), message.size(),
                         m_secret.data());
    return signature;
}

std::optional<PublicIdentity> read_public_identity(const std::string &path, std::string &error) {
    PublicIdentity identity;
    if (!detail::read_key_document(path, kPublicKind, identity, error))
        return std::nullopt;
    return identity;
}

std::optional<PublicIdentity> parse_public_identity(std::string_view xml, const std::string &where,
                                                    std::string &error) {
    PublicIdentity identity;
    if (!detail::parse_key_document(xml, where, kPublicKind, identity, error)) {
        PublicIdentity secret;
        std::string ignored;
        if (detail::parse_key_document(xml, where, kIdentityKind, secret, ignored))
            error = where + ": this is a secret signing identity; give its public part (" +
                    "the .pub file beside it)";
        return std::nullopt;
    }
    return identity;
}

bool write_public_identity(const PublicIdentity &identity, const std::string &path, bool replace,
                           std::string &error) {
    if (!replace && detail::exists(path)) {
        error = path + ": exists";
        return false;
    }
    return detail::write_file_atomically(path, registry::to_plist(detail::key_document(identity, kPublicKind)),
                                         0644, error);
}

} // namespace netdext::codesign
