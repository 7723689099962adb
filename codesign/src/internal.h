// Pieces shared by signing and verifying: SHA-256 (libsodium), hex, plist documents, the bundle
// walk that seals files, and the CodeDirectory format. Private to netdext_codesign.
#pragma once

#include <netdext/codesign/signature.h>
#include <netdext/registry/value.h>

#include <array>
#include <map>
#include <string>
#include <string_view>

namespace netdext::codesign::detail {

using Digest = std::array<uint8_t, 32>;

// libsodium must be initialised once before use; false if it cannot be.
bool crypto_ready();
Digest sha256(std::string_view bytes);
std::string hex(const uint8_t *bytes, size_t size);
template <size_t N> std::string hex(const std::array<uint8_t, N> &bytes) {
    return hex(bytes.data(), N);
}
std::string_view as_view(const std::string &bytes);

// Reads a regular file (no symbolic link) of at most `limit` bytes; false with `error`.
bool read_regular_file(const std::string &path, size_t limit, std::string &out,
                       std::string &error);
// Writes `bytes` to `path` through a temporary file and rename (mode `mode`); false with
// `error`.
bool write_file_atomically(const std::string &path, std::string_view bytes, unsigned mode,
                           std::string &error);

// Sets `failure` (no changes) and returns false.
inline bool fail(Failure &failure, FailureKind kind, std::string message) {
    failure.kind = kind;
    failure.message = std::move(message);
    failure.changes.clear();
    return false;
}
bool exists(const std::string &path); // lstat succeeds

// A key file (identity, public identity, trusted key): an XML plist of at most 64 KiB whose
// "Kind" is `kind`, with TeamIdentifier, Name and PublicKey, which fill `identity`. Returns the
// whole document for the caller's other keys.
std::optional<registry::Value> parse_key_document(std::string_view bytes, const std::string &path,
                                                  const char *kind, PublicIdentity &identity,
                                                  std::string &error);
std::optional<registry::Value> read_key_document(const std::string &path, const char *kind,
                                                 PublicIdentity &identity, std::string &error);
// A key file's common members.
registry::Value key_document(const PublicIdentity &identity, const char *kind);

// A plist dictionary's member of a given type, or nullptr.
const registry::Value *member(const registry::Value &dict, std::string_view key,
                              registry::Value::Type type);

// ---- the sealed contents of a bundle ----
struct Sealed {
    std::map<std::string, Digest> files; // relative path → SHA-256
    std::string info_plist;              // the bytes hashed for Info.plist ("" if absent)
    std::string entitlements;            // the bytes hashed for Entitlements.plist
    bool has_entitlements = false;
    std::vector<std::string> unexpected_in_signature_dir; // anything but CodeResources there
};
// Walks the bundle (not following links), hashing every regular file outside _CodeSignature.
bool seal_bundle(const std::string &bundle, Sealed &sealed, Failure &failure);

// ---- the CodeDirectory ----
struct CodeDirectory {
    std::string identifier;
    std::string team_id;
    std::string signer;
    std::string executable;
    UnixTime signing_time = 0;
    std::map<std::string, Digest> files;
};
std::string serialize(const CodeDirectory &directory);
// The CodeResources document around a signed CodeDirectory.
std::string code_resources(std::string_view directory_bytes,
                           const std::array<uint8_t, 64> &signature, const PublicKey &key);

// What read_signature and verify_bundle take from CodeResources: the info, the signed bytes, the
// signature and the sealed hashes. Everything is checked for type, size and form.
struct ParsedSignature {
    SignatureInfo info;
    std::string directory_bytes;
    std::array<uint8_t, 64> signature{};
    std::map<std::string, Digest> files;
};
std::optional<ParsedSignature> parse_code_resources(std::string_view bytes, Failure &failure);

} // namespace netdext::codesign::detail
