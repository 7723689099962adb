// ExtensionSet (see extension_set.h).

#include "extension_set.h"

#include "crash_points.h"

#include <unistd.h>

#include <ctime>

namespace netdext::extensions {
namespace {

RequestError storage_error(const std::string &what) {
    return RequestError{ErrorCode::Unknown, "the state directory: " + what};
}

} // namespace

std::optional<ExtensionSet> ExtensionSet::open(const std::string &state_dir, std::string &error) {
    auto db = Database::load(state_dir, error);
    if (!db)
        return std::nullopt;
    auto staging = Staging::open(state_dir, error);
    if (!staging)
        return std::nullopt;
    return ExtensionSet(state_dir, std::move(*db), std::move(*staging));
}


std::vector<std::string> ExtensionSet::recover() {
    std::vector<std::string> done;
    // A database write interrupted before its rename (crash point db-written) left this behind;
    // the database itself is the old one, whole.
    const std::string temporary = m_state_dir + "/" + kDatabaseFile + ".tmp";
    if (unlink(temporary.c_str()) == 0)
        done.push_back("removed " + temporary + " (an unfinished database write)");
    Database next = m_db;
    const std::set<std::string> present = m_staging->present();
    for (const ExtensionRecord &record : m_db.extensions) {
        if (record.state == State::terminating_for_uninstall ||
            record.state == State::terminating_for_upgrade) {
            next.remove_unique(record.unique_id);
            done.push_back("finished removing " + record.title() + " (" +
                           std::string(state_text(record.state)) + " when netdextd stopped)");
        } else if (!present.contains(record.unique_id)) {
            next.remove_unique(record.unique_id);
            done.push_back("dropped " + record.title() + ": its staged copy " +
                           bundle_path(record) + " is gone");
        }
    }
    if (!done.empty()) {
        std::string error;
        if (next.save(m_state_dir, error))
            m_db = std::move(next);
        else
            done.push_back("could not save the database: " + error);
    }
    std::set<std::string> keep;
    for (const ExtensionRecord &record : m_db.extensions)
        keep.insert(record.unique_id);
    for (const std::string &name : m_staging->sweep(keep))
        done.push_back("removed " + m_staging->directory() + "/" + name +
                       " (no extension records it)");
    return done;
}

std::variant<ExtensionSet::Plan, RequestError>
ExtensionSet::plan(const Candidate &candidate) const {
    const std::string &id = candidate.bundle.bundle_id;
    Plan plan;
    for (const ExtensionRecord &record : m_db.extensions) {
        if (record.identifier != id)
            continue;
        if (record.team_id != candidate.team_id)
            return RequestError{ErrorCode::DuplicateExtensionIdentifer,
                                id + " is already installed from team " + record.team_id +
                                    "; this bundle is from team " + candidate.team_id};
        if (record.state == State::terminating_for_uninstall)
            return RequestError{ErrorCode::RequestSuperseded,
                                id + " is being uninstalled; activate it again when that is done"};
        if (record.state == State::terminating_for_upgrade)
            continue; // the outgoing version of an earlier replacement
        plan.existing = &record;
        const bool same = record.version == candidate.bundle.version &&
                          record.short_version == candidate.bundle.short_version;
        plan.kind = same ? Plan::Kind::same_version : Plan::Kind::replace;
    }
    if (plan.kind == Plan::Kind::replace) {
        // One replacement at a time: the previous outgoing version must be gone first.
        for (const ExtensionRecord &record : m_db.extensions)
            if (record.identifier == id && record.state == State::terminating_for_upgrade)
                return RequestError{ErrorCode::RequestSuperseded,
                                    id + " is still being replaced; try again in a moment"};
    }
    return plan;
}

ExtensionRecord ExtensionSet::new_record(const Candidate &candidate,
                                         const std::string &unique_id) const {
    ExtensionRecord record;
    record.unique_id = unique_id;
    record.identifier = candidate.bundle.bundle_id;
    record.team_id = candidate.team_id;
    record.version = candidate.bundle.version;
    record.short_version = candidate.bundle.short_version;
    record.name = candidate.bundle.name;
    record.origin_path = candidate.dext_path;
    record.app_path = candidate.app_path;
    record.state = initial_state(m_db.developer_mode);
    record.activated_at = int64_t(time(nullptr));
    return record;
}

std::variant<std::string, RequestError>
ExtensionSet::stage_checked(const Candidate &candidate, const ValidationOptions &options,
                            const char *crash_point_name) {
    std::string error;
    auto unique_id = m_staging->stage(*candidate.dir, candidate.bundle.bundle_id, options.limits,
                                      error);
    if (!unique_id)
        return RequestError{ErrorCode::ValidationFailed, "copying the bundle: " + error};
    auto checked = validate_staged(m_staging->bundle_path(*unique_id, candidate.bundle.bundle_id),
                                   candidate, options);
    if (auto *failure = std::get_if<RequestError>(&checked)) {
        std::string ignored;
        m_staging->remove(*unique_id, ignored);
        return *failure;
    }
    crash_point(crash_point_name);
    return *unique_id;
}

std::variant<ExtensionRecord, RequestError> ExtensionSet::install(const Candidate &candidate,
                                                                  const ValidationOptions &options) {
    auto staged = stage_checked(candidate, options, "activate-staged");
    if (auto *failure = std::get_if<RequestError>(&staged))
        return *failure;
    const std::string unique_id = std::get<std::string>(staged);
    ExtensionRecord record = new_record(candidate, unique_id);
    Database next = m_db;
    next.extensions.push_back(record);
    std::string error;
    if (!next.save(m_state_dir, error)) {
        std::string ignored;
        m_staging->remove(unique_id, ignored);
        return storage_error(error);
    }
    m_db = std::move(next);
    crash_point("activate-committed");
    return record;
}

std::variant<ExtensionSet::Replacement, RequestError>
ExtensionSet::replace(const Candidate &candidate, const std::string &old_unique_id,
                      const ValidationOptions &options) {
    const ExtensionRecord *old = m_db.find_unique(old_unique_id);
    if (old == nullptr)
        return RequestError{ErrorCode::Unknown, "the installed version disappeared"};
    auto old_next = next_state(old->state, Event::replace);
    if (!old_next)
        return RequestError{ErrorCode::RequestSuperseded,
                            old->title() + " cannot be replaced while " +
                                std::string(state_text(old->state))};
    auto staged = stage_checked(candidate, options, "replace-staged");
    if (auto *failure = std::get_if<RequestError>(&staged))
        return *failure;
    Replacement result;
    result.old_unique_id = old_unique_id;
    result.old_running = runs_driver(*old_next);
    result.added = new_record(candidate, std::get<std::string>(staged));
    // An approved extension stays approved across versions of the same team's bundle.
    if (old->state == State::enabled)
        result.added.state = State::enabled;
    result.added.interface = old->interface;
    result.added.boot_args = old->boot_args;
    Database next = m_db;
    if (*old_next == State::removed)
        next.remove_unique(old_unique_id);
    else
        next.find_unique(old_unique_id)->state = *old_next;
    next.extensions.push_back(result.added);
    std::string error;
    if (!next.save(m_state_dir, error)) {
        std::string ignored;
        m_staging->remove(result.added.unique_id, ignored);
        return storage_error(error);
    }
    m_db = std::move(next);
    crash_point("replace-committed");
    if (!result.old_running) {
        std::string ignored;
        m_staging->remove(old_unique_id, ignored); // nothing ran from it; the sweep is the backup
    }
    return result;
}

std::variant<ExtensionRecord, RequestError> ExtensionSet::approve(const std::string &identifier) {
    ExtensionRecord *record = m_db.find_installed(identifier);
    if (record == nullptr)
        return RequestError{ErrorCode::ExtensionNotFound, identifier + " is not installed"};
    auto next_one = next_state(record->state, Event::approve);
    if (!next_one)
        return RequestError{ErrorCode::Unknown,
                            record->title() + " is " + std::string(state_text(record->state)) +
                                ", not waiting for approval"};
    std::string error;
    if (!commit(error, [&](Database &next) {
            next.find_unique(record->unique_id)->state = *next_one;
            return true;
        }))
        return storage_error(error);
    crash_point("approve-committed");
    return *m_db.find(identifier, State::enabled);
}

std::variant<ExtensionSet::Removal, RequestError>
ExtensionSet::uninstall(const std::string &identifier, const std::string &team_id) {
    ExtensionRecord *record = m_db.find_installed(identifier);
    if (record == nullptr)
        return RequestError{ErrorCode::ExtensionNotFound, identifier + " is not installed"};
    if (!team_id.empty() && record->team_id != team_id)
        return RequestError{ErrorCode::ExtensionNotFound,
                            identifier + " is installed from team " + record->team_id + ", not " +
                                team_id};
    auto next_one = next_state(record->state, Event::uninstall);
    if (!next_one)
        return RequestError{ErrorCode::Unknown, record->title() + " cannot be uninstalled now"};
    Removal removal;
    removal.record = *record;
    removal.running = runs_driver(*next_one);
    Database next = m_db;
    if (*next_one == State::removed)
        next.remove_unique(record->unique_id);
    else
        next.find_unique(record->unique_id)->state = *next_one;
    std::string error;
    if (!next.save(m_state_dir, error))
        return storage_error(error);
    m_db = std::move(next);
    if (removal.running) {
        removal.record.state = *next_one;
        crash_point("uninstall-committed");
    } else {
        removal.record.state = State::removed;
        std::string ignored;
        m_staging->remove(removal.record.unique_id, ignored);
    }
    return removal;
}

bool ExtensionSet::stopped(const std::string &unique_id, std::string &error) {
    ExtensionRecord *record = m_db.find_unique(unique_id);
    if (record == nullptr || !next_state(record->state, Event::stopped))
        return true; // not terminating: a crash or a restart, nothing to remove
    const bool upgrade = record->state == State::terminating_for_upgrade;
    crash_point(upgrade ? "replace-old-stopped" : "uninstall-stopped");
    if (!m_staging->remove(unique_id, error))
        return false;
    if (!upgrade)
        crash_point("uninstall-files-removed");
    return commit(error, [&](Database &next) {
        next.remove_unique(unique_id);
        return true;
    });
}

bool ExtensionSet::set_developer_mode(bool on, std::string &error) {
    return commit(error, [&](Database &next) {
        next.developer_mode = on;
        return true;
    });
}

bool ExtensionSet::set_boot_args(const std::string &args, std::string &error) {
    return valid_boot_args(args, error) && commit(error, [&](Database &next) {
               next.boot_args = args;
               return true;
           });
}

bool ExtensionSet::set_extension_boot_args(const std::string &identifier, const std::string &args,
                                           std::string &error) {
    return valid_boot_args(args, error) && commit(error, [&](Database &next) {
               ExtensionRecord *record = next.find_installed(identifier);
               if (record == nullptr)
                   error = identifier + " is not installed";
               else
                   record->boot_args = args;
               return record != nullptr;
           });
}

bool ExtensionSet::set_interface(const std::string &unique_id, const std::string &name,
                                 std::string &error) {
    ExtensionRecord *record = m_db.find_unique(unique_id);
    if (record == nullptr || record->interface == name)
        return true;
    return commit(error, [&](Database &next) {
        next.find_unique(unique_id)->interface = name;
        return true;
    });
}

} // namespace netdext::extensions
