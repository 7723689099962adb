// netdextd's control requests (control/include/netdext/control/protocol.h lists them): the
// lifecycle of extensions as OSSystemExtensionRequest and systemextensionsctl know it, and what
// clients read. Each change goes through ExtensionSet (one atomic commit) before any driver is
// started or stopped.

#include "daemon.h"

#include "daemon_log.h"
#include "request_args.h"

#include <netdext/version.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace netdext::daemon {

using control_server::Need;
using control_server::Request;
using control_server::Responder;
using daemon_log::Level;
using daemon_log::say;
using extensions::ErrorCode;
using extensions::ExtensionRecord;
using extensions::RequestError;
using extensions::State;
using nlohmann::json;

namespace {

void fail(Responder &respond, ErrorCode code, const std::string &reason) {
    respond.fail(int(code), extensions::error_name(code), reason);
}
void fail(Responder &respond, const RequestError &error) { fail(respond, error.code, error.reason); }

// A non-root peer may only activate what it could read itself: the staged copy is readable by
// everyone. Checked on the path's directories and the bundle directory by their mode bits.
// FIXME: check every file of the bundle for a non-root peer, not only its directories.
bool peer_may_read(const control_server::Peer &peer, const std::string &path) {
    if (peer.uid == 0)
        return true;
    auto allowed = [&](const struct stat &st, mode_t want) {
        auto in_group = [&](gid_t g) {
            return g == peer.gid ||
                   std::find(peer.groups.begin(), peer.groups.end(), g) != peer.groups.end();
        };
        mode_t bits = st.st_uid == peer.uid ? (st.st_mode >> 6) & 7
                      : in_group(st.st_gid) ? (st.st_mode >> 3) & 7
                                            : st.st_mode & 7;
        return (bits & want) == want;
    };
    std::string prefix;
    size_t at = 0;
    while ((at = path.find('/', at + 1)) != std::string::npos) {
        prefix = path.substr(0, at);
        struct stat st {};
        if (stat(prefix.c_str(), &st) != 0 || !allowed(st, 1))
            return false;
    }
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && allowed(st, 5);
}

} // namespace

// ---- JSON --------------------------------------------------------------------------------

json Daemon::driver_json(const Driver &driver) const {
    json dext;
    dext["key"] = driver.key;
    dext["bundle_id"] = driver.identifier;
    dext["ephemeral"] = driver.ephemeral;
    dext["crashes"] = driver.supervisor.crashes_last_day();
    dext["supervision"] = supervision_json(driver);
    dext["quarantined"] = driver.supervisor.quarantined();
    const DextSession *s = driver.session.get();
    dext["state"] = s ? s->state_name() : driver.waiting.empty() ? "not running" : "waiting";
    dext["reason"] = s ? s->state_reason() : driver.waiting;
    dext["host_pid"] = s ? s->host_pid() : -1;
    dext["host_running"] = s && s->pidfd_running();
    dext["protocol_errors"] = s ? s->protocol_errors() : 0;
    dext["misuse"] = s ? s->misuses() : std::vector<std::string>{};
    dext["uid"] = s ? s->host_uid() : 0;               // the sandbox's (docs/sandbox.md)
    dext["cgroup"] = s ? s->host_cgroup() : "";
    dext["log_lines_dropped"] = s ? s->log_lines_dropped() : 0;
    // Every interface the dext registered ("interface": the first, as before multi-port dexts).
    json interfaces = json::array();
    netdext::registry::DriverServiceDescription service;
    if (s != nullptr)
        service = s->describe_service();
    for (uint32_t id : s ? s->interface_ids() : std::vector<uint32_t>{}) {
        NetInterface *iface = s->interface(id);
        json net;
        net["id"] = id;
        net["name"] = iface->name();
        net["ifindex"] = iface->ifindex();
        net["carrier"] = s->carrier(id);
        net["mtu"] = s->driver_mtu(id);
        net["max_mtu"] = s->max_mtu(id);
        net["pools"] = iface->lane_count();
        json queues = json::array(), counts = json::array();
        for (size_t k = 0; k < 4; ++k) {
            queues.push_back(iface->queue_enabled(k));
            counts.push_back(iface->queue_count(k));
        }
        net["queues_enabled"] = queues;
        net["queue_counts"] = counts;
        // One frame mover per TAP queue (IFF_MULTI_QUEUE), up to one per queue set.
        json movers = json::array();
        for (size_t m = 0; m < iface->mover_count(); ++m) {
            const NetInterface::MoverFrames frames = iface->mover_frames(m);
            movers.push_back({{"tap_queue", m},
                              {"frames_read", frames.read},
                              {"frames_written", frames.written}});
        }
        net["movers"] = movers;
        // What the stack may hand over unfinished (TUNSETOFFLOAD, the largest TSO frame) and
        // why a declared assist is not used; how frames cross the TAP.
        net["offloads"] = {{"tun_flags", iface->tap_offload()},
                           {"tso_frame_bytes", iface->tso_frame_bytes()},
                           {"note", iface->offload_note()}};
        net["tap_io"] = iface->tap().batched_io() ? "io_uring" : "syscalls";
        json counters;
        iface->counters().for_each([&](const char *name, uint64_t value) { counters[name] = value; });
        net["counters"] = counters;
        // The four queues as ioreg -l shows them (NetDextQueues): the packets through each
        // agree with `ip -s link` (docs/registry.md).
        json per_queue = json::array();
        if (const auto *eth = netdext::registry::find_interface(service, iface->name()))
            for (size_t q = 0; q < 4; ++q) {
                const auto &d = eth->queues[q];
                per_queue.push_back(
                    {{"queue", netdext::registry::queue_name(netdext::registry::QueueIndex(q))},
                     {"capacity", d.capacity},
                     {"enabled", d.enabled},
                     {"packets", d.packets},
                     {"batches", d.batches}});
            }
        net["queues"] = per_queue;
        if (id == 0 || !dext.contains("interface"))
            dext["interface"] = net;
        interfaces.push_back(net);
    }
    dext["interfaces"] = interfaces;
    return dext;
}

json Daemon::record_json(const ExtensionRecord &r) const {
    json e;
    e["identifier"] = r.identifier;
    e["teamID"] = r.team_id;
    e["version"] = {{"CFBundleVersion", r.version}, {"CFBundleShortVersionString", r.short_version}};
    e["name"] = r.name;
    e["state"] = std::string(extensions::state_key(r.state));
    e["state_text"] = std::string(extensions::state_text(r.state));
    e["enabled"] = extensions::enabled_mark(r.state);
    e["active"] = extensions::active_mark(r.state);
    e["awaiting_user_approval"] = r.state == State::waiting_for_user;
    e["uninstalling"] = r.state == State::terminating_for_uninstall;
    e["category"] = extensions::kDriverExtensionCategory;
    e["uniqueID"] = r.unique_id;
    e["url"] = m_extensions ? m_extensions->bundle_path(r) : "";
    e["origin_path"] = r.origin_path;
    e["app_path"] = r.app_path;
    e["boot_args"] = r.boot_args;
    e["ephemeral"] = false;
    json own = {{"interface", r.interface}, {"pid", 0}, {"crashes", 0}, {"driver", "-"}};
    if (auto it = m_drivers.find(r.unique_id); it != m_drivers.end()) {
        const Driver &d = it->second;
        if (d.slot->has_interface())
            own["interface"] = d.slot->name();
        own["pid"] = d.session && d.session->pidfd_running() ? d.session->host_pid() : 0;
        own["crashes"] = d.supervisor.crashes_last_day();
        own["driver"] = driver_word(d);
        own["quarantined"] = d.supervisor.quarantined();
    }
    e["netdext"] = own;
    return e;
}

json Daemon::list_json() const {
    json list;
    json all = json::array();
    if (m_extensions)
        for (const ExtensionRecord &r : m_extensions->db().extensions)
            all.push_back(record_json(r));
    for (const std::string &key : m_run_keys) {
        auto it = m_drivers.find(key);
        if (it == m_drivers.end())
            continue;
        const Driver &d = it->second;
        bundle::LoadError ignored;
        auto bundle = bundle::read_bundle(d.bundle_path, ignored);
        ExtensionRecord r;
        r.identifier = d.identifier;
        r.unique_id = key;
        r.state = State::enabled;
        r.version = bundle ? bundle->version : "?";
        r.short_version = bundle ? bundle->short_version : "?";
        r.name = bundle ? bundle->name : d.identifier;
        r.origin_path = d.bundle_path;
        r.team_id = d.team_id;
        json e = record_json(r);
        e["ephemeral"] = true;
        e["url"] = d.bundle_path;
        e["netdext"] = {{"interface", d.slot->name()},
                        {"pid", d.session && d.session->pidfd_running() ? d.session->host_pid() : 0},
                        {"crashes", d.supervisor.crashes_last_day()},
                        {"driver", driver_word(d)},
                        {"quarantined", d.supervisor.quarantined()}};
        all.push_back(e);
    }
    list["extensions"] = all;
    list["developer_mode"] = m_extensions && m_extensions->db().developer_mode;
    list["boot_args"] = m_extensions ? m_extensions->db().boot_args : "";
    list["state_dir"] = m_options.state_dir;
    return list;
}

json Daemon::status_json(const std::string &identifier) const {
    json status;
    status["daemon_pid"] = getpid();
    status["dexts"] = json::array();
    std::vector<const Driver *> ordered;
    for (const std::string &key : m_run_keys)
        if (auto it = m_drivers.find(key); it != m_drivers.end())
            ordered.push_back(&it->second);
    for (const auto &[key, driver] : m_drivers)
        if (!driver.ephemeral)
            ordered.push_back(&driver);
    for (const Driver *d : ordered)
        if (identifier.empty() || d->identifier == identifier)
            status["dexts"].push_back(driver_json(*d));
    return status;
}

void Daemon::changed(const std::string &identifier) {
    std::erase_if(m_watchers, [](const Responder &r) { return !r.alive(); });
    if (m_watchers.empty())
        return;
    json records = json::array();
    if (m_extensions)
        for (const ExtensionRecord &r : m_extensions->db().extensions)
            if (r.identifier == identifier)
                records.push_back(record_json(r));
    for (const Responder &watcher : m_watchers)
        watcher.event("changed", {{"identifier", identifier}, {"extensions", records}});
}

// ---- requests ----------------------------------------------------------------------------

void Daemon::register_requests() {
    auto &server = *m_control;
    server.handle("version", Need::anyone, [](Request &r) {
        r.respond.result({{"version", netdext::version()},
                          {"protocol", control::kProtocolVersion},
                          {"pid", getpid()}});
    });
    server.handle("list", Need::anyone, [this](Request &r) { r.respond.result(list_json()); });
    server.handle("status", Need::anyone, [this](Request &r) {
        r.respond.result(status_json(text_arg(r.message, "identifier")));
    });
    server.handle("properties", Need::anyone, [this](Request &r) {
        const std::string id = text_arg(r.message, "identifier");
        json found = json::array();
        const json list = list_json();
        for (const json &e : list["extensions"])
            if (e["identifier"] == id)
                found.push_back(e);
        r.respond.result({{"properties", found}});
    });
    server.handle("activate", Need::admin, [this](Request &r) { activate(r); });
    server.handle("replacement_action", Need::admin, [this](Request &r) {
        const uint64_t asked = r.message.value("activation", uint64_t(0));
        const std::string action = text_arg(r.message, "action");
        auto it = std::find_if(m_replacements.begin(), m_replacements.end(), [&](auto &p) {
            return p.respond.connection() == r.respond.connection() && p.respond.id() == asked;
        });
        if (it == m_replacements.end() || (action != "replace" && action != "cancel"))
            return fail(r.respond, ErrorCode::Unknown,
                        "no activation request " + std::to_string(asked) +
                            " is asking on this connection, or the action is not replace/cancel");
        PendingReplacement pending = std::move(*it);
        m_replacements.erase(it);
        r.respond.result();
        if (action == "cancel")
            return fail(pending.respond, ErrorCode::RequestCanceled,
                        "the installed version was kept (the client chose cancel)");
        proceed(pending.respond, pending.pid, *pending.candidate, pending.old_unique_id);
    });
    server.handle("approve", Need::root, [this](Request &r) { approve(r); });
    server.handle("deactivate", Need::admin, [this](Request &r) {
        const std::string id = text_arg(r.message, "identifier");
        // An app deactivates only the extensions it activated itself.
        if (auto app = extensions::app_of_process(r.peer.pid); app && m_extensions) {
            const auto &all = m_extensions->db().extensions;
            if (std::none_of(all.begin(), all.end(), [&](const ExtensionRecord &e) {
                    return e.identifier == id && e.app_path == *app;
                }))
                return fail(r.respond, ErrorCode::ExtensionNotFound,
                            *app + " activated no extension " + id);
        }
        uninstall(r.respond, id, "");
    });
    server.handle("uninstall", Need::admin, [this](Request &r) {
        const std::string team = text_arg(r.message, "team_id");
        if (team.empty())
            return fail(r.respond, ErrorCode::Unknown, "uninstall needs a team ID (- for unsigned)");
        uninstall(r.respond, text_arg(r.message, "identifier"), team);
    });
    server.handle("reset", Need::admin, [this](Request &r) { reset(r); });
    server.handle("developer", Need::anyone, [this](Request &r) {
        if (r.message.contains("enable")) {
            if (auto refusal = m_control->policy().check(r.peer, Need::admin, "developer"))
                return fail(r.respond, ErrorCode::AuthorizationRequired, *refusal);
            std::string error;
            if (!m_extensions)
                return fail(r.respond, ErrorCode::ForbiddenBySystemPolicy,
                            "this netdextd has no extension database (--run without --state-dir)");
            if (!r.message["enable"].is_boolean() ||
                !m_extensions->set_developer_mode(r.message["enable"].get<bool>(), error))
                return fail(r.respond, ErrorCode::Unknown,
                            error.empty() ? "enable must be true or false" : error);
            say(Level::notice, "", "", "developer mode %s",
                m_extensions->db().developer_mode ? "on" : "off");
        }
        r.respond.result({{"developer_mode", m_extensions && m_extensions->db().developer_mode}});
    });
    server.handle("boot_args", Need::anyone, [this](Request &r) {
        const std::string id = text_arg(r.message, "identifier");
        if (r.message.contains("set")) {
            if (auto refusal = m_control->policy().check(r.peer, Need::admin, "boot-args"))
                return fail(r.respond, ErrorCode::AuthorizationRequired, *refusal);
            if (!m_extensions)
                return fail(r.respond, ErrorCode::ForbiddenBySystemPolicy,
                            "this netdextd has no extension database (--run without --state-dir)");
            std::string error;
            const std::string args = text_arg(r.message, "set");
            bool ok = id.empty() ? m_extensions->set_boot_args(args, error)
                                 : m_extensions->set_extension_boot_args(id, args, error);
            if (!ok)
                return fail(r.respond, ErrorCode::Unknown, error);
        }
        json per = json::object();
        if (m_extensions)
            for (const ExtensionRecord &rec : m_extensions->db().extensions)
                if (!rec.boot_args.empty())
                    per[rec.identifier] = rec.boot_args;
        r.respond.result({{"boot_args", m_extensions ? m_extensions->db().boot_args : ""},
                          {"extensions", per},
                          {"note", "drivers read boot-args when they start (netdextctl restart)"}});
    });
    server.handle("restart", Need::admin, [this](Request &r) {
        Driver *driver = driver_of(text_arg(r.message, "identifier"));
        if (driver == nullptr || driver->stopping)
            return fail(r.respond, ErrorCode::ExtensionNotFound,
                        text_arg(r.message, "identifier") + " has no driver to restart");
        Responder respond = r.respond;
        const std::string key = driver->key;
        if (driver->supervisor.quarantined())
            say(Level::notice, driver->identifier, driver->slot->name(),
                "%s released from quarantine (netdextctl restart)", driver->identifier.c_str());
        driver->supervisor.release(); // ends a quarantine, a pending relaunch and the backoff row
        stop_driver(key, [this, key, respond]() mutable {
            auto it = m_drivers.find(key);
            if (it == m_drivers.end())
                return fail(respond, ErrorCode::Unknown, "the extension went away");
            start_driver(it->second);
            respond.completed({{"identifier", it->second.identifier}});
        });
    });
    server.handle("log", Need::anyone, [this](Request &r) {
        const std::string id = text_arg(r.message, "identifier");
        const size_t lines = r.message.value("lines", size_t(200));
        std::vector<json> out;
        for (const daemon_log::Line &line : daemon_log::log().recent())
            if (id.empty() || line.bundle_id == id)
                out.push_back({{"text", daemon_log::format_line(line)},
                               {"level", daemon_log::level_name(line.level)},
                               {"bundle_id", line.bundle_id},
                               {"interface", line.interface},
                               {"message", line.text}});
        const size_t skip = out.size() > lines ? out.size() - lines : 0;
        for (size_t i = skip; i < out.size(); ++i)
            r.respond.event("log", {{"line", out[i]}});
        if (r.message.value("follow", false))
            m_followers.push_back(Follower{r.respond, id});
        else
            r.respond.result();
    });
    server.handle("watch", Need::anyone, [this](Request &r) {
        m_watchers.push_back(r.respond);
        r.respond.event("watching");
    });
    daemon_log::log().set_listener([this](const daemon_log::Line &line) {
        std::erase_if(m_followers, [](const Follower &f) { return !f.respond.alive(); });
        for (const Follower &f : m_followers)
            if (f.identifier.empty() || f.identifier == line.bundle_id)
                f.respond.event("log", {{"line",
                                         {{"text", daemon_log::format_line(line)},
                                          {"level", daemon_log::level_name(line.level)},
                                          {"bundle_id", line.bundle_id},
                                          {"interface", line.interface},
                                          {"message", line.text}}}});
    });
}

void Daemon::activate(Request &request) {
    Responder respond = request.respond;
    if (!m_extensions)
        return fail(respond, ErrorCode::ForbiddenBySystemPolicy,
                    "this netdextd has no extension database (--run without --state-dir)");
    std::string path = text_arg(request.message, "path");
    const std::string identifier = text_arg(request.message, "identifier");
    const std::string replacement = request.message.value("replacement", std::string("replace"));
    extensions::ValidationOptions options = validation_options();
    // An app's request (the kernel says who asks): its own bundle, under the app rules.
    if (auto app = extensions::app_of_process(request.peer.pid)) {
        options.app = extensions::AppRequest{*app, m_options.applications_dir};
        if (path.empty())
            path = *app;
    }
    if (path.empty() || path[0] != '/')
        return fail(respond, ErrorCode::ExtensionNotFound,
                    "the path must be absolute (got \"" + path + "\")");
    if (replacement != "replace" && replacement != "cancel" && replacement != "ask")
        return fail(respond, ErrorCode::Unknown, "replacement must be replace, cancel or ask");
    if (!peer_may_read(request.peer, path))
        return fail(respond, ErrorCode::AuthorizationRequired,
                    path + ": you (uid " + std::to_string(request.peer.uid) +
                        ") cannot read it yourself");
    say(Level::info, identifier, "", "%s activation request for %s (uid %u, pid %d)",
        options.app ? "app" : "client", path.c_str(), unsigned(request.peer.uid),
        int(request.peer.pid));
    auto checked = extensions::validate_activation(path, identifier, options);
    if (auto *failure = std::get_if<RequestError>(&checked)) {
        say(Level::notice, identifier, "", "activation of %s refused: %s (%d)", path.c_str(),
            failure->reason.c_str(), int(failure->code));
        return fail(respond, *failure);
    }
    auto candidate = std::make_shared<extensions::Candidate>(
        std::get<extensions::Candidate>(std::move(checked)));
    for (const std::string &key : m_run_keys)
        if (m_drivers.count(key) && m_drivers.at(key).identifier == candidate->bundle.bundle_id)
            return fail(respond, ErrorCode::DuplicateExtensionIdentifer,
                        candidate->bundle.bundle_id + " already runs here with --run");
    auto plan = m_extensions->plan(*candidate);
    if (auto *failure = std::get_if<RequestError>(&plan))
        return fail(respond, *failure);
    const auto &p = std::get<extensions::ExtensionSet::Plan>(plan);
    using Kind = extensions::ExtensionSet::Plan::Kind;
    if (p.kind == Kind::same_version) {
        const ExtensionRecord existing = *p.existing;
        if (existing.state == State::waiting_for_user) {
            if (auto old = m_approvals.find(existing.identifier); old != m_approvals.end())
                fail(old->second.respond, ErrorCode::RequestSuperseded,
                     "a newer activation request for " + existing.identifier + " took its place");
            respond.event("needs_user_approval", {{"extension", record_json(existing)}});
            m_approvals[existing.identifier] = PendingApproval{respond, request.peer.pid};
            return;
        }
        return respond.completed({{"result", 0},
                                  {"extension", record_json(existing)},
                                  {"note", existing.title() + " is already activated"}});
    }
    if (p.kind == Kind::replace) {
        const ExtensionRecord existing = *p.existing;
        if (replacement == "cancel")
            return fail(respond, ErrorCode::RequestCanceled,
                        "kept the installed " + existing.title() + " (--no-replace)");
        if (replacement == "ask") {
            ExtensionRecord offered;
            offered.identifier = candidate->bundle.bundle_id;
            offered.team_id = candidate->team_id;
            offered.version = candidate->bundle.version;
            offered.short_version = candidate->bundle.short_version;
            offered.name = candidate->bundle.name;
            offered.origin_path = candidate->dext_path;
            offered.app_path = candidate->app_path;
            offered.state = existing.state;
            respond.event("replacement",
                          {{"existing", record_json(existing)}, {"extension", record_json(offered)}});
            m_replacements.push_back(
                PendingReplacement{respond, request.peer.pid, candidate, existing.unique_id});
            return;
        }
        return proceed(respond, request.peer.pid, *candidate, existing.unique_id);
    }
    install(respond, request.peer.pid, *candidate);
}

void Daemon::install(Responder respond, pid_t pid, const extensions::Candidate &candidate) {
    extensions::ValidationOptions options = validation_options();
    auto installed = m_extensions->install(candidate, options);
    if (auto *failure = std::get_if<RequestError>(&installed))
        return fail(respond, *failure);
    const ExtensionRecord record = std::get<ExtensionRecord>(installed);
    say(Level::notice, record.identifier, "", "activated %s from %s: %s", record.title().c_str(),
        record.origin_path.c_str(), std::string(extensions::state_text(record.state)).c_str());
    apps_changed();
    changed(record.identifier);
    if (record.state == State::waiting_for_user) {
        respond.event("needs_user_approval", {{"extension", record_json(record)}});
        if (auto old = m_approvals.find(record.identifier); old != m_approvals.end())
            fail(old->second.respond, ErrorCode::RequestSuperseded,
                 "a newer activation request for " + record.identifier + " took its place");
        m_approvals[record.identifier] = PendingApproval{respond, pid};
        return;
    }
    on_enabled(record, "");
    respond.completed({{"result", 0}, {"extension", record_json(record)}});
}

// Replaces the installed version `old_unique_id` by `candidate` (already decided).
void Daemon::proceed(Responder respond, pid_t pid, const extensions::Candidate &candidate,
                     const std::string &old_unique_id) {
    extensions::ValidationOptions options = validation_options();
    auto replaced = m_extensions->replace(candidate, old_unique_id, options);
    if (auto *failure = std::get_if<RequestError>(&replaced))
        return fail(respond, *failure);
    auto replacement = std::get<extensions::ExtensionSet::Replacement>(replaced);
    const ExtensionRecord added = replacement.added;
    say(Level::notice, added.identifier, added.interface, "replacing with %s",
        added.title().c_str());
    apps_changed();
    changed(added.identifier);
    auto finish = [this, respond, pid, added, old_unique_id]() mutable {
        if (added.state == State::waiting_for_user) {
            respond.event("needs_user_approval", {{"extension", record_json(added)}});
            m_approvals[added.identifier] = PendingApproval{respond, pid};
            return;
        }
        on_enabled(added, old_unique_id);
        const ExtensionRecord *now = m_extensions->find_unique(added.unique_id);
        respond.completed({{"result", 0}, {"extension", record_json(now ? *now : added)}});
    };
    if (!replacement.old_running)
        return finish();
    // The old driver stops; its interface waits in the slot for the new one.
    stop_driver(old_unique_id, [this, old_unique_id, finish]() mutable {
        std::string error;
        if (!m_extensions->stopped(old_unique_id, error))
            say(Level::error, "", "", "removing the replaced version: %s", error.c_str());
        finish();
    });
}

// An extension became enabled: its driver starts, in the slot of `old_key` if it had one.
void Daemon::on_enabled(const ExtensionRecord &record, const std::string &old_key) {
    std::shared_ptr<InterfaceSlot> slot;
    if (auto old = m_drivers.find(old_key); !old_key.empty() && old != m_drivers.end()) {
        slot = old->second.slot;
        m_session_keys.erase(old->second.serial);
        m_drivers.erase(old);
    }
    Driver &driver = add_driver(record.unique_id, record.identifier,
                                m_extensions->bundle_path(record), false, record.interface);
    if (slot)
        driver.slot = slot;
    if (!old_key.empty())
        rebind_devices(old_key, record.unique_id); // the new version inherits its devices
    start_driver(driver);
}

void Daemon::approve(Request &request) {
    Responder respond = request.respond;
    if (!m_extensions)
        return fail(respond, ErrorCode::ForbiddenBySystemPolicy,
                    "this netdextd has no extension database (--run without --state-dir)");
    const std::string identifier = text_arg(request.message, "identifier");
    auto pending = m_approvals.find(identifier);
    if (pending != m_approvals.end() && pending->second.pid == request.peer.pid)
        return fail(respond, ErrorCode::AuthorizationRequired,
                    "the process that asked to activate " + identifier + " cannot approve it");
    auto approved = m_extensions->approve(identifier);
    if (auto *failure = std::get_if<RequestError>(&approved))
        return fail(respond, *failure);
    const ExtensionRecord record = std::get<ExtensionRecord>(approved);
    say(Level::notice, identifier, "", "approved %s", record.title().c_str());
    on_enabled(record, "");
    json done = {{"result", 0}, {"extension", record_json(record)}};
    if (pending != m_approvals.end()) {
        pending->second.respond.completed(done);
        m_approvals.erase(pending);
    }
    respond.completed(done);
    changed(identifier);
}

void Daemon::uninstall(Responder respond, const std::string &identifier,
                       const std::string &team_id) {
    if (!m_extensions)
        return fail(respond, ErrorCode::ForbiddenBySystemPolicy,
                    "this netdextd has no extension database (--run without --state-dir)");
    auto removed = m_extensions->uninstall(identifier, team_id);
    if (auto *failure = std::get_if<RequestError>(&removed))
        return fail(respond, *failure);
    auto removal = std::get<extensions::ExtensionSet::Removal>(removed);
    if (auto pending = m_approvals.find(identifier); pending != m_approvals.end()) {
        fail(pending->second.respond, ErrorCode::RequestCanceled,
             identifier + " was uninstalled before it was approved");
        m_approvals.erase(pending);
    }
    say(Level::notice, identifier, "", "uninstalling %s", removal.record.title().c_str());
    apps_changed();
    changed(identifier);
    const std::string key = removal.record.unique_id;
    if (!removal.running) {
        finish_removal(key);
        return respond.completed({{"identifier", identifier}});
    }
    stop_driver(key, [this, key, identifier, respond]() mutable {
        std::string error;
        if (!m_extensions->stopped(key, error))
            say(Level::error, identifier, "", "removing its files: %s", error.c_str());
        finish_removal(key);
        respond.completed({{"identifier", identifier}});
    });
}

// The driver is gone and so is the record: the interface goes too.
void Daemon::finish_removal(const std::string &key) {
    auto it = m_drivers.find(key);
    if (it == m_drivers.end())
        return;
    const std::string identifier = it->second.identifier;
    rebind_devices(key, ""); // its simulated devices go with it
    it->second.slot->release();
    m_session_keys.erase(it->second.serial);
    m_drivers.erase(it);
    say(Level::notice, identifier, "", "uninstalled");
    changed(identifier);
}

void Daemon::reset(Request &request) {
    Responder respond = request.respond;
    if (!m_extensions)
        return fail(respond, ErrorCode::ForbiddenBySystemPolicy,
                    "this netdextd has no extension database (--run without --state-dir)");
    if (!m_extensions->db().developer_mode)
        return fail(respond, ErrorCode::ForbiddenBySystemPolicy,
                    "reset works only in developer mode (netdextctl developer on)");
    std::vector<std::string> identifiers;
    for (const ExtensionRecord &r : m_extensions->db().extensions)
        if (r.state == State::enabled || r.state == State::waiting_for_user)
            identifiers.push_back(r.identifier);
    if (identifiers.empty())
        return respond.completed({{"removed", json::array()}});
    // One answer once every extension is gone (each removal may wait for its driver).
    struct Progress {
        size_t left;
        std::vector<std::string> failures;
    };
    auto progress = std::make_shared<Progress>(Progress{identifiers.size(), {}});
    auto settle = [progress, identifiers, respond]() mutable {
        if (--progress->left != 0)
            return;
        if (progress->failures.empty())
            respond.completed({{"removed", identifiers}});
        else
            fail(respond, ErrorCode::Unknown, "reset left errors: " + progress->failures[0]);
    };
    for (const std::string &id : identifiers) {
        auto removed = m_extensions->uninstall(id, "");
        if (auto *failure = std::get_if<RequestError>(&removed)) {
            progress->failures.push_back(id + ": " + failure->reason);
            settle();
            continue;
        }
        const auto removal = std::get<extensions::ExtensionSet::Removal>(removed);
        const std::string key = removal.record.unique_id;
        auto done = [this, key, id, progress, settle]() mutable {
            std::string error;
            if (!m_extensions->stopped(key, error))
                progress->failures.push_back(id + ": " + error);
            finish_removal(key);
            settle();
        };
        say(Level::notice, id, "", "reset: uninstalling %s", removal.record.title().c_str());
        if (removal.running)
            stop_driver(key, done);
        else
            done();
    }
    apps_changed();
}

// ---- app locations -----------------------------------------------------------------------

void Daemon::apps_changed() {
    if (!m_apps || !m_extensions)
        return;
    std::set<std::string> apps;
    for (const ExtensionRecord &r : m_extensions->db().extensions)
        if (!r.app_path.empty() &&
            (r.state == State::enabled || r.state == State::waiting_for_user))
            apps.insert(r.app_path);
    m_apps->watch(apps);
}

void Daemon::check_apps() {
    for (const std::string &app : m_apps->gone(std::chrono::steady_clock::now())) {
        std::vector<std::string> identifiers;
        for (const ExtensionRecord &r : m_extensions->db().extensions)
            if (r.app_path == app &&
                (r.state == State::enabled || r.state == State::waiting_for_user))
                identifiers.push_back(r.identifier);
        for (const std::string &id : identifiers) {
            say(Level::notice, id, "", "%s is gone: uninstalling its extension", app.c_str());
            uninstall(Responder(), id, "");
        }
    }
}

} // namespace netdext::daemon
