#include "staging.h"

#include "atomic_file.h"
#include "database.h"

#include <dirent.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace netdext::extensions {

std::string new_unique_id() {
    uint8_t bytes[16] = {};
    size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n > 0)
            got += size_t(n);
        else if (errno != EINTR)
            break;
    }
    bytes[6] = uint8_t((bytes[6] & 0x0f) | 0x40); // version 4
    bytes[8] = uint8_t((bytes[8] & 0x3f) | 0x80); // variant 1
    char text[37];
    std::snprintf(text, sizeof text,
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                  bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14],
                  bytes[15]);
    return text;
}

std::optional<Staging> Staging::open(const std::string &state_dir, std::string &error) {
    std::string dir = state_dir + "/extensions";
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        error = dir + ": " + std::strerror(errno);
        return std::nullopt;
    }
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        error = dir + ": not a directory";
        return std::nullopt;
    }
    return Staging(dir);
}

std::string Staging::bundle_path(const std::string &unique_id,
                                 const std::string &identifier) const {
    return m_dir + "/" + unique_id + "/" + identifier + ".dext";
}

std::optional<std::string> Staging::stage(const bundle::BundleDir &bundle,
                                          const std::string &identifier,
                                          const bundle::BundleLimits &limits,
                                          std::string &error) {
    const std::string unique_id = new_unique_id();
    const std::string partial = m_dir + "/" + unique_id + ".partial";
    if (mkdir(partial.c_str(), 0755) != 0) {
        error = partial + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::string ignored;
    if (!bundle.copy_to(partial + "/" + identifier + ".dext", limits, error)) {
        bundle::remove_tree(partial, ignored);
        return std::nullopt;
    }
    const std::string final_dir = m_dir + "/" + unique_id;
    if (!sync_directory(partial, error) || rename(partial.c_str(), final_dir.c_str()) != 0 ||
        !sync_directory(m_dir, error)) {
        if (error.empty())
            error = final_dir + ": " + std::strerror(errno);
        bundle::remove_tree(partial, ignored);
        bundle::remove_tree(final_dir, ignored);
        return std::nullopt;
    }
    return unique_id;
}

bool Staging::remove(const std::string &unique_id, std::string &error) {
    if (!valid_unique_id(unique_id)) {
        error = "malformed uniqueID " + unique_id;
        return false;
    }
    const std::string dir = m_dir + "/" + unique_id;
    const std::string removing = dir + ".removing";
    if (rename(dir.c_str(), removing.c_str()) != 0) {
        if (errno == ENOENT)
            return true;
        error = dir + ": " + std::strerror(errno);
        return false;
    }
    if (!bundle::remove_tree(removing, error))
        return false;
    return sync_directory(m_dir, error);
}

std::set<std::string> Staging::present() const {
    std::set<std::string> ids;
    DIR *dir = opendir(m_dir.c_str());
    if (dir == nullptr)
        return ids;
    while (struct dirent *entry = readdir(dir))
        if (valid_unique_id(entry->d_name))
            ids.insert(entry->d_name);
    closedir(dir);
    return ids;
}

std::vector<std::string> Staging::sweep(const std::set<std::string> &keep) {
    std::vector<std::string> removed;
    std::vector<std::string> names;
    if (DIR *dir = opendir(m_dir.c_str())) {
        while (struct dirent *entry = readdir(dir))
            if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
                names.emplace_back(entry->d_name);
        closedir(dir);
    }
    for (const std::string &name : names) {
        if (keep.contains(name))
            continue;
        std::string ignored;
        if (bundle::remove_tree(m_dir + "/" + name, ignored))
            removed.push_back(name);
    }
    if (!removed.empty()) {
        std::string ignored;
        (void)sync_directory(m_dir, ignored);
    }
    return removed;
}

} // namespace netdext::extensions
