// `netdextctl trust add|remove|list`: the team keys netdextd trusts (docs/codesign.md), kept in
// <state-dir>/trust (codesign's TrustStore). Listing is open to everyone (the keys are public);
// adding and removing need root. A change applies to the next activation and launch; drivers
// already running keep running, as a revoked certificate does not stop a running dext on macOS.

#include "daemon.h"

#include "daemon_log.h"
#include "request_args.h"

namespace netdext::daemon {

using control_server::Need;
using control_server::Request;
using daemon_log::Level;
using daemon_log::say;
using extensions::ErrorCode;
using nlohmann::json;

namespace {

json key_json(const codesign::TrustedKey &key, codesign::UnixTime now) {
    json out = {{"team_id", key.identity.team_id},
                {"name", key.identity.name},
                {"fingerprint", key.identity.fingerprint()},
                {"added", codesign::format_date(key.added)},
                {"expired", key.expired(now)}};
    out["expires"] = key.expires ? json(codesign::format_date(*key.expires)) : json(nullptr);
    return out;
}

} // namespace

void Daemon::register_trust_requests() {
    m_control->handle("trust", Need::anyone, [this](Request &r) {
        auto fail = [&](ErrorCode code, const std::string &reason) {
            r.respond.fail(int(code), extensions::error_name(code), reason);
        };
        if (!m_trust)
            return fail(ErrorCode::ForbiddenBySystemPolicy,
                        "this netdextd has no state directory, so no trust store (--run only)");
        const std::string action = text_arg(r.message, "action");
        const codesign::UnixTime now = codesign::now_unix();
        if (action == "list") {
            std::vector<std::string> problems;
            json keys = json::array();
            for (const codesign::TrustedKey &key : m_trust->list(&problems))
                keys.push_back(key_json(key, now));
            return r.respond.result(
                {{"keys", keys}, {"problems", problems}, {"directory", m_trust->directory()}});
        }
        if (action != "add" && action != "remove")
            return fail(ErrorCode::Unknown, "trust: the action must be add, remove or list");
        if (auto refusal = m_control->policy().check(r.peer, Need::root, "trust " + action))
            return fail(ErrorCode::AuthorizationRequired, *refusal);
        std::string error;
        if (action == "add") {
            auto identity =
                codesign::parse_public_identity(text_arg(r.message, "key"),
                                                text_arg(r.message, "file").empty()
                                                    ? std::string("the key")
                                                    : text_arg(r.message, "file"),
                                                error);
            if (!identity)
                return fail(ErrorCode::Unknown, error);
            std::optional<codesign::UnixTime> expires;
            if (const std::string when = text_arg(r.message, "expires"); !when.empty()) {
                expires = codesign::parse_date(when);
                if (!expires)
                    return fail(ErrorCode::Unknown,
                                "--expires " + when + ": not a date (2026-01-31 or "
                                                      "2026-01-31T12:00:00Z)");
            }
            if (!m_trust->add(*identity, expires, error, now))
                return fail(ErrorCode::Unknown, error);
            say(Level::notice, "", "", "trusting team %s (%s), key %s%s%s",
                identity->team_id.c_str(), identity->name.c_str(),
                identity->fingerprint().c_str(), expires ? " until " : "",
                expires ? codesign::format_date(*expires).c_str() : "");
            for (const codesign::TrustedKey &key : m_trust->list())
                if (key.identity.public_key == identity->public_key)
                    return r.respond.result({{"key", key_json(key, now)}});
            return r.respond.result({{"key", nullptr}});
        }
        const std::string team = text_arg(r.message, "team_id");
        const std::string fingerprint = text_arg(r.message, "fingerprint");
        if (!codesign::valid_team_id(team))
            return fail(ErrorCode::Unknown, "\"" + team + "\" is not a team ID (10 upper-case "
                                                          "letters and digits)");
        const size_t removed = m_trust->remove(team, fingerprint, error);
        if (removed == 0)
            return fail(ErrorCode::Unknown, error);
        say(Level::notice, "", "", "no longer trusting team %s%s%s (%zu key(s))", team.c_str(),
            fingerprint.empty() ? "" : ", key ", fingerprint.c_str(), removed);
        r.respond.result({{"removed", removed}});
    });
}

} // namespace netdext::daemon
