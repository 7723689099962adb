// The extension database: what is installed, in which state, plus developer mode and the
// system-wide boot-args — `<state-dir>/db.json`, written atomically after every change
// (atomic_file.h). Keys follow sysextd's db.plist where it has one (API-SYSEXT.md §2.5:
// `extensions`, `identifier`, `teamID`, `state`, `uniqueID`, `originPath`, `categories`,
// `bundleVersion`, `container.bundlePath`); netdext's own keys sit under `netdext`.
//
// Threads: owned by the daemon's main thread.
#pragma once

#include "state.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netdext::extensions {

inline constexpr const char *kDriverExtensionCategory =
    "com.apple.system_extension.driver_extension";

struct ExtensionRecord {
    std::string unique_id;     // uniqueID: the staging directory <state>/extensions/<uniqueID>/
    std::string identifier;    // CFBundleIdentifier
    std::string team_id = "-"; // "-" for an unsigned bundle
    std::string version;       // CFBundleVersion
    std::string short_version; // CFBundleShortVersionString
    std::string name;          // CFBundleName (the list's name column)
    State state = State::waiting_for_user;
    std::string origin_path;   // the .dext it was activated from
    std::string app_path;      // the app bundle holding it ("" when a bare .dext was activated)
    std::string interface;     // the interface name it had ("en0"), given back after a restart
    std::string boot_args;     // per-extension boot-args, read after the system-wide ones
    int64_t activated_at = 0;  // Unix time of the activation

    // "com.example.Driver (1.0/1)"
    [[nodiscard]] std::string title() const;
};

struct Database {
    bool developer_mode = false;
    std::string boot_args; // system-wide, like `nvram boot-args`
    std::vector<ExtensionRecord> extensions;

    [[nodiscard]] ExtensionRecord *find_unique(const std::string &unique_id);
    // The record of `identifier` in `state` (nullptr if none).
    [[nodiscard]] ExtensionRecord *find(const std::string &identifier,
                                        std::optional<State> state = std::nullopt);
    // The installed (enabled or waiting) record of `identifier`.
    [[nodiscard]] ExtensionRecord *find_installed(const std::string &identifier);
    void remove_unique(const std::string &unique_id);

    [[nodiscard]] std::string to_json() const;
    // Parses and checks a database file's text; nullopt and `error` for anything malformed (the
    // daemon then refuses to start rather than guess).
    static std::optional<Database> from_json(const std::string &text, std::string &error);

    // <state-dir>/db.json: an absent file is an empty database.
    static std::optional<Database> load(const std::string &state_dir, std::string &error);
    bool save(const std::string &state_dir, std::string &error) const;
};

// CFBundleIdentifier syntax netdext accepts: reverse-DNS letters, digits, '.', '-', '_', starting
// with a letter or digit, at most 255 characters (it names files in the state directory).
bool valid_bundle_identifier(const std::string &identifier);
// A uniqueID as netdextd makes them: 36 characters of lowercase hex and dashes.
bool valid_unique_id(const std::string &unique_id);

inline constexpr const char *kDatabaseFile = "db.json";

} // namespace netdext::extensions

namespace netdext::extensions {

// What a driver's IOParseBootArgNumber reads: the system-wide boot-args, then the extension's own
// (the last occurrence of a key wins, so the extension's override the system's).
std::string effective_boot_args(const Database &db, const ExtensionRecord &record);
// Boot-args as `netdextctl boot-args` may set them: printable ASCII, at most 1024 characters.
bool valid_boot_args(const std::string &args, std::string &error);

} // namespace netdext::extensions
