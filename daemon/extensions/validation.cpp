// Activation validation (see validation.h).

#include "validation.h"

#include "database.h"
#include "kext_version.h"

#include <elf.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <map>

namespace netdext::extensions {
namespace {

constexpr const char *kSystemExtensionsDir = "Contents/Library/SystemExtensions";

RequestError fail(ErrorCode code, std::string reason) { return RequestError{code, std::move(reason)}; }

bool ends_with(const std::string &text, const std::string &suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string base_name(const std::string &path) { return path.substr(path.find_last_of('/') + 1); }

std::optional<std::string> real_path(const std::string &path) {
    char resolved[PATH_MAX];
    if (realpath(path.c_str(), resolved) == nullptr)
        return std::nullopt;
    return std::string(resolved);
}

// Whether `relative` is a directory inside `root` (symlinks may not leave it).
bool directory_beneath(int root, const std::string &relative) {
    struct open_how how {};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    int fd = int(syscall(SYS_openat2, root, relative.c_str(), &how, sizeof how));
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

#if defined(__x86_64__)
constexpr uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kMachine = EM_AARCH64;
#elif defined(__riscv)
constexpr uint16_t kMachine = EM_RISCV;
#else
#error "netdext: add this machine's ELF e_machine"
#endif

// The executable must be an ELF shared object for this machine (macOS refuses a wrong
// architecture with "Exec format error", API-SYSEXT.md §1.5).
std::optional<RequestError> check_executable(const bundle::BundleDir &dir,
                                             const bundle::Bundle &bundle,
                                             const bundle::BundleLimits &limits) {
    std::string why;
    UniqueFd fd = dir.open_regular(bundle.executable, limits.executable_bytes, why);
    if (!fd.is_valid())
        return fail(ErrorCode::ValidationFailed,
                    "the executable " + bundle.executable + " is " + why);
    Elf64_Ehdr header{};
    ssize_t n = pread(fd.get(), &header, sizeof header, 0);
    const bool elf = n == ssize_t(sizeof header) && std::memcmp(header.e_ident, ELFMAG, SELFMAG) == 0;
    if (!elf || header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_type != ET_DYN ||
        header.e_machine != kMachine)
        return fail(ErrorCode::ValidationFailed,
                    "the executable " + bundle.executable +
                        " is not a shared object for this machine (Exec format error)");
    return std::nullopt;
}

RequestError from_load_error(const bundle::LoadError &error) {
    switch (error.kind) {
    case bundle::LoadError::Kind::not_found:
        return fail(ErrorCode::ExtensionNotFound, error.message);
    case bundle::LoadError::Kind::missing_identifier:
        return fail(ErrorCode::ExtensionMissingIdentifier, error.message);
    case bundle::LoadError::Kind::unsafe_file:
    case bundle::LoadError::Kind::invalid:
        break;
    }
    return fail(ErrorCode::ValidationFailed, error.message);
}

// Steps 2–6 on one .dext directory. `strict` = the Apple-only rules refuse (else: warnings).
std::variant<Candidate, RequestError> check_dext(const std::string &dext_path,
                                                 const ValidationOptions &options, bool strict,
                                                 std::vector<std::string> &warnings) {
    bundle::LoadError load_error;
    auto bundle = bundle::read_bundle(dext_path, load_error);
    if (!bundle)
        return from_load_error(load_error);
    std::string why;
    auto dir = bundle::BundleDir::open(dext_path, why);
    if (!dir)
        return fail(ErrorCode::ExtensionNotFound, dext_path + ": " + why);
    if (!valid_bundle_identifier(bundle->bundle_id))
        return fail(ErrorCode::ValidationFailed,
                    "CFBundleIdentifier \"" + bundle->bundle_id +
                        "\" is not a reverse-DNS identifier (letters, digits, '.', '-', '_')");

    std::vector<RequestError> apple_rules;
    if (bundle->package_type != "DEXT")
        apple_rules.push_back(fail(ErrorCode::UnknownExtensionCategory,
                                   bundle->package_type.empty()
                                       ? "CFBundlePackageType is missing (a driver extension is "
                                         "\"DEXT\")"
                                       : "CFBundlePackageType is \"" + bundle->package_type +
                                             "\"; netdext installs driver extensions (\"DEXT\")"));
    if (!bundle->version_given || !KextVersion::parse(bundle->version))
        apple_rules.push_back(fail(
            ErrorCode::ValidationFailed,
            "Property 'CFBundleVersion' must be a valid kext version (" +
                (bundle->version_given ? "\"" + bundle->version + "\"" : std::string("missing")) +
                "; e.g. 1, 1.2.3, 1.0b2)"));
    if (bundle->usage_description.empty())
        apple_rules.push_back(fail(ErrorCode::ValidationFailed,
                                   "OSBundleUsageDescription is missing: every dext must say "
                                   "what it is for"));
    for (RequestError &error : apple_rules) {
        if (strict)
            return error;
        warnings.push_back(error.reason + " (activate would refuse this bundle)");
    }
    if (bundle->personalities.empty())
        return fail(ErrorCode::ValidationFailed, "Info.plist has no IOKitPersonalities to match");
    if (auto error = check_executable(*dir, *bundle, options.limits))
        return *error;

    Candidate candidate;
    static const UnsignedBundles unsigned_bundles;
    const SignatureVerifier &verifier = options.verifier ? *options.verifier : unsigned_bundles;
    SignedCode code;
    if (auto error = verifier.verify(*dir, *bundle, options.developer_mode, code))
        return *error;
    if (auto error = check_entitlements(*bundle, code.entitlements))
        return *error;
    candidate.team_id = std::move(code.team_id);
    candidate.cdhash = std::move(code.cdhash);
    candidate.entitlements = std::move(code.entitlements);
    candidate.bundle = std::move(*bundle);
    candidate.dir.emplace(std::move(*dir));
    candidate.dext_path = dext_path;
    return candidate;
}

struct Located {
    std::string dext_path;
    std::string app_path;
};

// Step 1 for an app bundle: the .dext in Contents/Library/SystemExtensions named `identifier`.
std::variant<Located, RequestError> locate_in_app(const std::string &app,
                                                  const std::string &identifier) {
    std::string why;
    auto app_dir = bundle::BundleDir::open(app, why);
    if (!app_dir)
        return fail(ErrorCode::ExtensionNotFound, app + ": " + why);
    const std::string extensions = app + "/" + kSystemExtensionsDir;
    std::map<std::string, std::string> by_file; // file name → CFBundleIdentifier ("" unreadable)
    if (directory_beneath(app_dir->fd(), kSystemExtensionsDir)) {
        if (DIR *listing = opendir(extensions.c_str())) {
            while (struct dirent *entry = readdir(listing)) {
                std::string name = entry->d_name;
                if (!ends_with(name, ".dext") ||
                    !directory_beneath(app_dir->fd(), std::string(kSystemExtensionsDir) + "/" + name))
                    continue;
                bundle::LoadError ignored;
                auto dext = bundle::read_bundle(extensions + "/" + name, ignored);
                by_file[name] = dext ? dext->bundle_id : "";
            }
            closedir(listing);
        }
    }
    if (by_file.empty())
        return fail(ErrorCode::ExtensionNotFound,
                    "Extension not found in App bundle: " + extensions + " holds no .dext");
    std::map<std::string, std::string> by_identifier;
    for (const auto &[file, id] : by_file) {
        if (id.empty())
            continue;
        auto [it, fresh] = by_identifier.emplace(id, file);
        if (!fresh)
            return fail(ErrorCode::DuplicateExtensionIdentifer,
                        app + " holds two extensions with the identifier " + id + " (" +
                            it->second + ", " + file + ")");
    }
    std::string file;
    if (!identifier.empty()) {
        file = identifier + ".dext";
        if (!by_file.contains(file)) {
            auto other = by_identifier.find(identifier);
            return fail(ErrorCode::ExtensionNotFound,
                        "Unable to find any matched extension with identifier " + identifier +
                            (other != by_identifier.end()
                                 ? " (" + other->second + " has it, but the file must be named " +
                                       file + ")"
                                 : " in " + extensions));
        }
    } else if (by_file.size() == 1) {
        file = by_file.begin()->first;
    } else {
        std::string names;
        for (const auto &[name, id] : by_file)
            names += (names.empty() ? "" : ", ") + name;
        return fail(ErrorCode::ExtensionNotFound,
                    app + " holds several extensions (" + names + "); name the one to activate");
    }
    const std::string &id = by_file[file];
    if (!id.empty() && file != id + ".dext")
        return fail(ErrorCode::ExtensionNotFound,
                    "Unable to find any matched extension with identifier " + id + " (" + file +
                        " must be named " + id + ".dext)");
    return Located{extensions + "/" + file, app};
}

// Step 1: what PATH names.
std::variant<Located, RequestError> locate(const std::string &path,
                                           const std::string &identifier) {
    auto resolved = real_path(path);
    if (!resolved)
        return fail(ErrorCode::ExtensionNotFound, path + ": " + std::strerror(errno));
    struct stat st {};
    if (stat(resolved->c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(ErrorCode::ExtensionNotFound,
                    path + ": not a .dext bundle or an app holding one");
    if (ends_with(*resolved, ".app"))
        return locate_in_app(*resolved, identifier);
    // A .dext inside an app: only from the app's Contents/Library/SystemExtensions.
    const std::string marker = ".app/";
    if (size_t at = resolved->rfind(marker); at != std::string::npos) {
        const std::string app = resolved->substr(0, at + 4);
        const std::string expected = app + "/" + kSystemExtensionsDir + "/";
        if (resolved->compare(0, expected.size(), expected) != 0 ||
            resolved->find('/', expected.size()) != std::string::npos)
            return fail(ErrorCode::UnsupportedParentBundleLocation,
                        *resolved + " is inside " + app + " but not in its " +
                            kSystemExtensionsDir);
        std::string name = base_name(*resolved);
        std::string wanted = identifier.empty() && ends_with(name, ".dext")
                                 ? name.substr(0, name.size() - 5)
                                 : identifier;
        return locate_in_app(app, wanted);
    }
    if (!identifier.empty() && !ends_with(*resolved, "/" + identifier + ".dext")) {
        bundle::LoadError ignored;
        auto dext = bundle::read_bundle(*resolved, ignored);
        if (dext && dext->bundle_id != identifier)
            return fail(ErrorCode::ExtensionNotFound,
                        "Unable to find any matched extension with identifier " + identifier +
                            " (" + path + " is " + dext->bundle_id + ")");
    }
    return Located{*resolved, ""};
}

} // namespace

std::variant<Candidate, RequestError> validate_activation(const std::string &path,
                                                          const std::string &identifier,
                                                          const ValidationOptions &options) {
    if (options.app)
        if (auto error = check_app_request(path, *options.app, options.developer_mode))
            return *error;
    auto located = locate(path, identifier);
    if (auto *error = std::get_if<RequestError>(&located))
        return *error;
    const Located &where = std::get<Located>(located);
    std::vector<std::string> warnings;
    auto checked = check_dext(where.dext_path, options, true, warnings);
    if (auto *candidate = std::get_if<Candidate>(&checked))
        candidate->app_path = where.app_path;
    return checked;
}

std::optional<RequestError> UnsignedBundles::verify(const bundle::BundleDir &,
                                                    const bundle::Bundle &bundle, bool,
                                                    SignedCode &code) const {
    code = SignedCode{};
    registry::Value granted = registry::Value::dictionary();
    for (const auto &[key, value] : bundle.entitlements)
        granted.set(key, registry::Value::boolean(value));
    code.entitlements = entitlements::Entitlements::from_dictionary(std::move(granted));
    return std::nullopt;
}

std::optional<RequestError> check_entitlements(const bundle::Bundle &bundle,
                                               const entitlements::Entitlements &granted) {
    if (!granted.granted(entitlements::kDriverKit))
        return fail(ErrorCode::MissingEntitlement,
                    std::string("the dext lacks the entitlement ") + entitlements::kDriverKit +
                        "; no dext launches without it");
    for (const bundle::Personality &p : bundle.personalities) {
        auto denial = entitlements::check_launch(granted, bundle.bundle_id, p.provider_class);
        if (!denial)
            denial = entitlements::check_family(granted, bundle.bundle_id, p.io_class);
        if (denial)
            return fail(ErrorCode::MissingEntitlement,
                        denial->message + " (personality " + p.name + ")");
    }
    return std::nullopt;
}

std::variant<Candidate, RequestError> validate_for_run(const std::string &path,
                                                       std::vector<std::string> &warnings,
                                                       const SignatureVerifier *verifier) {
    auto resolved = real_path(path);
    if (!resolved)
        return fail(ErrorCode::ExtensionNotFound, path + ": " + std::strerror(errno));
    ValidationOptions options;
    options.developer_mode = true;
    options.verifier = verifier;
    return check_dext(*resolved, options, false, warnings);
}

std::variant<Candidate, RequestError> validate_staged(const std::string &staged_path,
                                                      const Candidate &source,
                                                      const ValidationOptions &options) {
    std::vector<std::string> warnings;
    auto checked = check_dext(staged_path, options, true, warnings);
    if (auto *copy = std::get_if<Candidate>(&checked)) {
        const bundle::Bundle &a = copy->bundle, &b = source.bundle;
        if (a.bundle_id != b.bundle_id || a.version != b.version ||
            a.short_version != b.short_version || a.executable != b.executable ||
            copy->team_id != source.team_id || copy->cdhash != source.cdhash)
            return fail(ErrorCode::ValidationFailed,
                        "the bundle changed while it was being copied; try again");
        copy->app_path = source.app_path;
        copy->dext_path = source.dext_path;
    }
    return checked;
}

} // namespace netdext::extensions
