#include "database.h"

#include "atomic_file.h"

#include <netdext/file_io.h>

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace netdext::extensions {

using nlohmann::json;

std::string ExtensionRecord::title() const {
    return identifier + " (" + short_version + "/" + version + ")";
}

ExtensionRecord *Database::find_unique(const std::string &unique_id) {
    for (ExtensionRecord &record : extensions)
        if (record.unique_id == unique_id)
            return &record;
    return nullptr;
}

ExtensionRecord *Database::find(const std::string &identifier, std::optional<State> state) {
    for (ExtensionRecord &record : extensions)
        if (record.identifier == identifier && (!state || record.state == *state))
            return &record;
    return nullptr;
}

ExtensionRecord *Database::find_installed(const std::string &identifier) {
    for (ExtensionRecord &record : extensions)
        if (record.identifier == identifier &&
            (record.state == State::enabled || record.state == State::waiting_for_user))
            return &record;
    return nullptr;
}

void Database::remove_unique(const std::string &unique_id) {
    std::erase_if(extensions,
                  [&](const ExtensionRecord &record) { return record.unique_id == unique_id; });
}

bool valid_bundle_identifier(const std::string &identifier) {
    if (identifier.empty() || identifier.size() > 255 ||
        !std::isalnum(static_cast<unsigned char>(identifier[0])))
        return false;
    for (char c : identifier)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
            return false;
    return true;
}

bool valid_unique_id(const std::string &unique_id) {
    if (unique_id.size() != 36)
        return false;
    for (size_t i = 0; i < unique_id.size(); ++i) {
        char c = unique_id[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

std::string Database::to_json() const {
    json extensions_json = json::array();
    for (const ExtensionRecord &r : extensions) {
        json e;
        e["identifier"] = r.identifier;
        e["teamID"] = r.team_id;
        e["state"] = std::string(state_key(r.state));
        e["uniqueID"] = r.unique_id;
        e["originPath"] = r.origin_path;
        e["categories"] = json::array({kDriverExtensionCategory});
        e["bundleVersion"] = {{"CFBundleVersion", r.version},
                              {"CFBundleShortVersionString", r.short_version}};
        e["container"] = {{"bundlePath", r.app_path}};
        e["name"] = r.name;
        e["netdext"] = {{"interface", r.interface},
                        {"bootArgs", r.boot_args},
                        {"activatedAt", r.activated_at}};
        extensions_json.push_back(std::move(e));
    }
    json root;
    root["format"] = 1;
    root["developerMode"] = developer_mode;
    root["bootArgs"] = boot_args;
    root["extensions"] = std::move(extensions_json);
    return root.dump(2) + "\n";
}

std::optional<Database> Database::from_json(const std::string &text, std::string &error) {
    json root = json::parse(text, nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
        error = "not a JSON object";
        return std::nullopt;
    }
    if (root.value("format", 0) != 1) {
        error = "unknown format (expected \"format\": 1)";
        return std::nullopt;
    }
    Database db;
    try {
        db.developer_mode = root.at("developerMode").get<bool>();
        db.boot_args = root.at("bootArgs").get<std::string>();
        for (const json &e : root.at("extensions")) {
            ExtensionRecord r;
            r.identifier = e.at("identifier").get<std::string>();
            r.team_id = e.at("teamID").get<std::string>();
            r.unique_id = e.at("uniqueID").get<std::string>();
            r.origin_path = e.at("originPath").get<std::string>();
            r.version = e.at("bundleVersion").at("CFBundleVersion").get<std::string>();
            r.short_version =
                e.at("bundleVersion").at("CFBundleShortVersionString").get<std::string>();
            r.app_path = e.at("container").at("bundlePath").get<std::string>();
            r.name = e.at("name").get<std::string>();
            const json &own = e.at("netdext");
            r.interface = own.at("interface").get<std::string>();
            r.boot_args = own.at("bootArgs").get<std::string>();
            r.activated_at = own.at("activatedAt").get<int64_t>();
            auto state = parse_state_key(e.at("state").get<std::string>());
            if (!state) {
                error = r.identifier + ": unknown state " + e.at("state").dump();
                return std::nullopt;
            }
            r.state = *state;
            if (!valid_bundle_identifier(r.identifier) || !valid_unique_id(r.unique_id)) {
                error = "an extension's identifier or uniqueID is malformed: " + e.dump();
                return std::nullopt;
            }
            if (db.find_unique(r.unique_id) != nullptr) {
                error = "uniqueID " + r.unique_id + " appears twice";
                return std::nullopt;
            }
            db.extensions.push_back(std::move(r));
        }
    } catch (const json::exception &e) {
        error = e.what();
        return std::nullopt;
    }
    return db;
}

std::optional<Database> Database::load(const std::string &state_dir, std::string &error) {
    const std::string path = state_dir + "/" + kDatabaseFile;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return Database{};
        error = path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
        error = path + ": not a regular file of at most 64 MiB";
        return std::nullopt;
    }
    std::string text;
    if (!read_file(path, text)) {
        error = path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::string why;
    auto db = from_json(text, why);
    if (!db)
        error = path + " is damaged (" + why + "); move it away to start with no extensions";
    return db;
}

bool Database::save(const std::string &state_dir, std::string &error) const {
    return write_file_atomically(state_dir, kDatabaseFile, to_json(), error, "db-written");
}

} // namespace netdext::extensions

namespace netdext::extensions {

std::string effective_boot_args(const Database &db, const ExtensionRecord &record) {
    if (db.boot_args.empty())
        return record.boot_args;
    if (record.boot_args.empty())
        return db.boot_args;
    return db.boot_args + " " + record.boot_args;
}

bool valid_boot_args(const std::string &args, std::string &error) {
    if (args.size() > 1024) {
        error = "boot-args longer than 1024 characters";
        return false;
    }
    for (char c : args)
        if (c < 0x20 || c > 0x7e) {
            error = "boot-args must be printable ASCII on one line";
            return false;
        }
    return true;
}

} // namespace netdext::extensions
