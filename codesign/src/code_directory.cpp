// The signature's format: CodeResources around a signed CodeDirectory (signature.h), written by
// sign_bundle and read — as untrusted input — by read_signature and verify_bundle.

#include "internal.h"

#include <netdext/registry/wire.h>

#include <algorithm>

namespace netdext::codesign {

using registry::Value;
using detail::Digest;

namespace detail {

std::string serialize(const CodeDirectory &directory) {
    Value files = Value::dictionary();
    for (const auto &[path, digest] : directory.files)
        files.set(path, Value::data(std::span<const uint8_t>(digest)));
    Value dict = Value::dictionary();
    dict.set("Version", Value::number(1, 32));
    dict.set("Identifier", Value::string(directory.identifier));
    dict.set("TeamIdentifier", Value::string(directory.team_id));
    dict.set("Signer", Value::string(directory.signer));
    dict.set("SigningTime", Value::string(format_date(directory.signing_time)));
    dict.set("HashType", Value::string("sha256"));
    dict.set("Executable", Value::string(directory.executable));
    dict.set("Files", std::move(files));
    return registry::to_plist(dict);
}

std::string code_resources(std::string_view directory_bytes,
                           const std::array<uint8_t, 64> &signature, const PublicKey &key) {
    Value dict = Value::dictionary();
    dict.set("CodeDirectory", Value::data(directory_bytes));
    dict.set("Signature", Value::data(std::span<const uint8_t>(signature)));
    dict.set("PublicKey", Value::data(std::span<const uint8_t>(key)));
    return registry::to_plist(dict);
}

} // namespace detail

namespace {

bool malformed(Failure &failure, const std::string &what) {
    failure.kind = FailureKind::malformed;
    failure.message = "the signature is malformed: " + what;
    return false;
}

bool sealed_path_ok(const std::string &path) {
    if (path.empty() || path.size() > 1024 || path.front() == '/' || path.back() == '/')
        return false;
    size_t start = 0;
    for (;;) {
        size_t end = path.find('/', start);
        std::string_view part(path.data() + start,
                              (end == std::string::npos ? path.size() : end) - start);
        if (part.empty() || part == "." || part == "..")
            return false;
        for (char c : part)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                return false;
        if (end == std::string::npos)
            return true;
        start = end + 1;
    }
}

bool read_string(const Value &dict, const char *key, std::string &out, Failure &failure) {
    const Value *value = detail::member(dict, key, Value::Type::string);
    if (value == nullptr || value->text().empty())
        return malformed(failure, std::string(key) + " is missing or not a string");
    out = value->text();
    return true;
}

} // namespace

std::optional<detail::ParsedSignature> detail::parse_code_resources(std::string_view bytes, Failure &failure) {
    if (!detail::crypto_ready()) {
        failure = {FailureKind::io, "libsodium could not be initialised", {}};
        return std::nullopt;
    }
    if (bytes.size() > kMaxSignatureSize) {
        malformed(failure, "CodeResources is larger than " +
                               std::to_string(kMaxSignatureSize) + " bytes");
        return std::nullopt;
    }
    registry::WireError error;
    auto outer = registry::value_from_plist(bytes, error);
    if (!outer) {
        malformed(failure, "CodeResources: " + error.message);
        return std::nullopt;
    }
    const Value *directory = detail::member(*outer, "CodeDirectory", Value::Type::data);
    const Value *signature = detail::member(*outer, "Signature", Value::Type::data);
    const Value *key = detail::member(*outer, "PublicKey", Value::Type::data);
    if (directory == nullptr || signature == nullptr || key == nullptr) {
        malformed(failure, "CodeResources lacks CodeDirectory, Signature or PublicKey data");
        return std::nullopt;
    }
    if (signature->bytes().size() != 64 || key->bytes().size() != 32) {
        malformed(failure, "the Signature is not 64 bytes or the PublicKey not 32");
        return std::nullopt;
    }
    detail::ParsedSignature parsed;
    parsed.directory_bytes = directory->bytes();
    std::copy_n(signature->bytes().begin(), 64, parsed.signature.begin());
    std::copy_n(key->bytes().begin(), 32, parsed.info.key.public_key.begin());

    auto cd = registry::value_from_plist(parsed.directory_bytes, error);
    if (!cd) {
        malformed(failure, "CodeDirectory: " + error.message);
        return std::nullopt;
    }
    const Value *version = detail::member(*cd, "Version", Value::Type::number);
    if (version == nullptr || version->number_value() != 1) {
        malformed(failure, "CodeDirectory Version is not 1");
        return std::nullopt;
    }
    std::string hash_type, signing_time;
    SignatureInfo &info = parsed.info;
    if (!read_string(*cd, "Identifier", info.identifier, failure) ||
        !read_string(*cd, "TeamIdentifier", info.team_id, failure) ||
        !read_string(*cd, "Signer", info.signer, failure) ||
        !read_string(*cd, "Executable", info.executable, failure) ||
        !read_string(*cd, "HashType", hash_type, failure) ||
        !read_string(*cd, "SigningTime", signing_time, failure))
        return std::nullopt;
    if (!valid_team_id(info.team_id)) {
        malformed(failure, "TeamIdentifier \"" + info.team_id + "\" is not a team ID");
        return std::nullopt;
    }
    if (hash_type != "sha256") {
        malformed(failure, "HashType " + hash_type + " (only sha256)");
        return std::nullopt;
    }
    auto time = parse_date(signing_time);
    if (!time) {
        malformed(failure, "SigningTime \"" + signing_time + "\" is not a date");
        return std::nullopt;
    }
    info.signing_time = *time;
    const Value *files = detail::member(*cd, "Files", Value::Type::dictionary);
    if (files == nullptr || files->members().size() > kMaxFiles) {
        malformed(failure, "Files is missing or lists more than " + std::to_string(kMaxFiles));
        return std::nullopt;
    }
    for (const Value::Member &file : files->members()) {
        if (!sealed_path_ok(file.key) || !file.value.is(Value::Type::data) ||
            file.value.bytes().size() != 32) {
            malformed(failure, "Files entry \"" + file.key + "\" is not a path with a SHA-256");
            return std::nullopt;
        }
        Digest digest{};
        std::copy_n(file.value.bytes().begin(), 32, digest.begin());
        parsed.files[file.key] = digest;
        info.files[file.key] = detail::hex(digest);
    }
    info.key.team_id = info.team_id;
    info.key.name = info.signer;
    const Digest cdhash = detail::sha256(parsed.directory_bytes);
    info.cdhash_full = detail::hex(cdhash);
    info.cdhash = info.cdhash_full.substr(0, 40);
    info.code_directory_size = parsed.directory_bytes.size();
    info.signature_size = parsed.signature.size();
    return parsed;
}

std::optional<SignatureInfo> parse_signature(std::string_view code_resources, Failure &failure) {
    auto parsed = detail::parse_code_resources(code_resources, failure);
    if (!parsed)
        return std::nullopt;
    return std::move(parsed->info);
}

} // namespace netdext::codesign
