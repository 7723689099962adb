// What a driver runs as (docs/codesign.md, docs/registry.md): the bundle about to be launched is
// verified again — the staged copy in the state directory, root's own, which netdext-host loads
// its executable from; for `--run`, the developer's bundle — its entitlements come from that
// signature, the matched personality's transport is checked, and the session learns its place
// in the I/O Registry (its host's ID block, its IOUserClass, IOClass and personality, the
// CDHash).

#include "daemon.h"

#include "daemon_log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netdext::daemon {

using daemon_log::Level;
using daemon_log::say;

namespace {

// A personality (bundle::Value) as a registry value: what IOMatchedPersonality shows.
netdext::registry::Value registry_value(const bundle::Value &value, int depth = 0) {
    using netdext::registry::Value;
    if (depth > 32)
        return Value::string("");
    switch (value.kind) {
    case bundle::Value::Kind::string:
        return Value::string(value.text);
    case bundle::Value::Kind::integer:
        return Value::number(value.integer, 64);
    case bundle::Value::Kind::boolean:
        return Value::boolean(value.integer != 0);
    case bundle::Value::Kind::real: // the registry has no reals (OSNumber is an integer)
        return Value::number(uint64_t(int64_t(value.real)), 64);
    case bundle::Value::Kind::data:
        return Value::data(std::string_view(value.text));
    case bundle::Value::Kind::array: {
        Value out = Value::array();
        for (const bundle::Value &item : value.items)
            out.append(registry_value(item, depth + 1));
        return out;
    }
    case bundle::Value::Kind::dictionary: {
        Value out = Value::dictionary();
        for (const bundle::Value::Entry &entry : value.entries)
            out.set(entry.key, registry_value(entry.value, depth + 1));
        return out;
    }
    }
    return Value::string("");
}

// The copy netdext-host loads must be one nobody but netdextd can change between its
// verification and the dlopen: the executable, the bundle directory and every directory above it
// up to the state directory belong to us and are writable by nobody else.
std::optional<std::string> not_ours(const bundle::Bundle &bundle, const std::string &state_dir) {
    std::vector<std::string> paths = {bundle.executable_path};
    for (std::string dir = bundle.path; dir.size() > state_dir.size() && dir.starts_with(state_dir);
         dir = dir.substr(0, dir.find_last_of('/')))
        paths.push_back(dir);
    paths.push_back(state_dir);
    for (const std::string &path : paths) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0)
            return path + ": " + std::strerror(errno);
        if (st.st_uid != ::geteuid() || (st.st_mode & 022) != 0 || S_ISLNK(st.st_mode))
            return path + ": not netdextd's own (owner uid " + std::to_string(st.st_uid) +
                   ", mode " + std::to_string(st.st_mode & 07777) + ")";
    }
    return std::nullopt;
}

} // namespace

extensions::ValidationOptions Daemon::validation_options() const {
    extensions::ValidationOptions options;
    options.developer_mode = m_extensions && m_extensions->db().developer_mode;
    options.verifier = m_verifier.get();
    return options;
}

bool Daemon::open_trust(std::string &error) {
    // --run bundles are the developer's own, started by root by hand: integrity only, like an
    // ad-hoc signature. Extensions must come from a team the state directory's store trusts.
    m_run_verifier = std::make_unique<extensions::CodeSignatureVerifier>(nullptr);
    if (m_options.state_dir.empty())
        return true;
    m_trust = codesign::TrustStore::open(m_options.state_dir + "/trust", true, error);
    if (!m_trust) {
        error = "the trust store: " + error;
        return false;
    }
    m_verifier = std::make_unique<extensions::CodeSignatureVerifier>(&*m_trust);
    return true;
}

bool Daemon::prepare_launch(Driver &driver, const bundle::Bundle &bundle,
                            const bundle::Personality &match, SessionOptions &options) {
    // The same judgement as at activation, now: a bundle changed since (or a trust removed, or
    // developer mode turned off for an unsigned one) does not run.
    const bool developer = driver.ephemeral || (m_extensions && m_extensions->db().developer_mode);
    const extensions::CodeSignatureVerifier *verifier =
        driver.ephemeral || !m_verifier ? m_run_verifier.get() : m_verifier.get();
    extensions::SignedCode code;
    std::optional<extensions::RequestError> refused;
    if (!driver.ephemeral && m_extensions)
        if (auto why = not_ours(bundle, m_options.state_dir))
            refused = extensions::RequestError{extensions::ErrorCode::ValidationFailed,
                                               "the staged copy " + *why};
    if (!refused)
        refused = verifier->verify_path(bundle.path, developer, code);
    if (!refused)
        refused = extensions::check_entitlements(bundle, code.entitlements);
    if (refused) {
        driver.waiting = "not launched: " + refused->reason;
        say(Level::error, driver.identifier, "", "%s (%s, %d)", driver.waiting.c_str(),
            extensions::error_name(refused->code), int(refused->code));
        return false;
    }
    driver.team_id = code.team_id;
    if (code.team_id != "-")
        say(Level::info, driver.identifier, "", "team identifier %s, CDHash %s",
            code.team_id.c_str(), code.cdhash.c_str());
    options.entitlements = std::move(code.entitlements);
    options.interface_alias = driver.identifier;
    options.service.user_class = match.user_class;
    options.service.io_class = match.io_class.empty() ? "IOUserService" : match.io_class;
    options.service.personality = registry_value(match.dictionary);
    options.service.cdhash = code.cdhash;
    options.service.ids = m_registry.reserve_host_block();
    options.allocate_registry_id = [this] { return m_registry.allocate_id(); };
    return true;
}

} // namespace netdext::daemon
