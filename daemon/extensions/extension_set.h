// ExtensionSet: the installed extensions — the database, the staged copies and every change to
// them, each one committed atomically at a single point so that a crash anywhere leaves the old
// state or the new one (crash_points.h names the points between). Running drivers is not its
// business: the daemon asks it what to do and tells it when a driver has stopped.
//
//   install   stage the copy → check the copy → record it (the commit)
//   replace   stage the new copy → check it → record new = enabled (or waiting), old =
//             terminating for upgrade (the commit) → [daemon stops the old driver] → stopped()
//   uninstall record terminating for uninstall (the commit) → [daemon stops the driver] →
//             stopped(): remove the files, then the record
//   recover   at start: finish every terminating record, drop records whose files are gone, and
//             sweep staged copies no record names
//
// Threads: the daemon's main thread.
#pragma once

#include "database.h"
#include "error_codes.h"
#include "staging.h"
#include "validation.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace netdext::extensions {

class ExtensionSet {
public:
    // Loads <state_dir>/db.json (creating nothing but extensions/). The caller holds the state
    // directory's lock.
    static std::optional<ExtensionSet> open(const std::string &state_dir, std::string &error);

    // Finishes what a crash interrupted (see above). Returns one line per thing it did.
    std::vector<std::string> recover();

    [[nodiscard]] const Database &db() const { return m_db; }
    [[nodiscard]] const std::string &state_dir() const { return m_state_dir; }
    [[nodiscard]] std::string bundle_path(const ExtensionRecord &record) const {
        return m_staging->bundle_path(record.unique_id, record.identifier);
    }
    [[nodiscard]] const ExtensionRecord *find_unique(const std::string &unique_id) {
        return m_db.find_unique(unique_id);
    }
    [[nodiscard]] const ExtensionRecord *find_installed(const std::string &identifier) {
        return m_db.find_installed(identifier);
    }

    // What activating `candidate` would do, given what is installed.
    struct Plan {
        enum class Kind {
            install,      // nothing of this identifier is installed
            same_version, // this very version is installed (`existing`): nothing to do
            replace,      // another version of the same team + identifier is installed
        };
        Kind kind = Kind::install;
        const ExtensionRecord *existing = nullptr;
    };
    // DuplicateExtensionIdentifer when another team's extension has the identifier, or the
    // identifier is still being replaced or removed.
    std::variant<Plan, RequestError> plan(const Candidate &candidate) const;

    // The commit of a new extension; returns its record (enabled in developer mode, else
    // waiting for the user).
    std::variant<ExtensionRecord, RequestError> install(const Candidate &candidate,
                                                        const ValidationOptions &options);

    struct Replacement {
        ExtensionRecord added;
        std::string old_unique_id;
        bool old_running = false; // the old driver must be stopped, then stopped(old_unique_id)
    };
    std::variant<Replacement, RequestError> replace(const Candidate &candidate,
                                                    const std::string &old_unique_id,
                                                    const ValidationOptions &options);

    std::variant<ExtensionRecord, RequestError> approve(const std::string &identifier);

    struct Removal {
        ExtensionRecord record;
        bool running = false; // the daemon stops the driver, then calls stopped(unique_id)
    };
    // `team_id` empty: any team (deactivate); otherwise it must match (uninstall TEAMID ID).
    std::variant<Removal, RequestError> uninstall(const std::string &identifier,
                                                  const std::string &team_id = "");

    // A terminating record's driver has exited: its files and record go.
    bool stopped(const std::string &unique_id, std::string &error);

    bool set_developer_mode(bool on, std::string &error);
    bool set_boot_args(const std::string &args, std::string &error);
    bool set_extension_boot_args(const std::string &identifier, const std::string &args,
                                 std::string &error);
    // Records the interface name an extension's driver got (given back after a restart).
    bool set_interface(const std::string &unique_id, const std::string &name, std::string &error);

    [[nodiscard]] std::string effective_boot_args(const ExtensionRecord &record) const {
        return extensions::effective_boot_args(m_db, record);
    }

private:
    ExtensionSet(std::string state_dir, Database db, Staging staging)
        : m_state_dir(std::move(state_dir)), m_db(std::move(db)), m_staging(std::move(staging)) {}
    std::variant<std::string, RequestError> stage_checked(const Candidate &candidate,
                                                          const ValidationOptions &options,
                                                          const char *crash_point_name);
    ExtensionRecord new_record(const Candidate &candidate, const std::string &unique_id) const;
    // Applies `change` to a copy of the database, saves the copy, and only then makes it current:
    // a failed save (disk full) leaves memory and disk as they were.
    template <class F> bool commit(std::string &error, F &&change) {
        Database next = m_db;
        if (!change(next) || !next.save(m_state_dir, error))
            return false;
        m_db = std::move(next);
        return true;
    }

    std::string m_state_dir;
    Database m_db;
    std::optional<Staging> m_staging;
};

} // namespace netdext::extensions
