// .dext bundle reader on libplist (Debian's libplist: the Apple plist formats, XML and binary).

#include <netdext/bundle/bundle.h>
#include <netdext/bundle/bundle_fs.h>

#include <plist/plist.h>

#include <sys/stat.h>

#include <cerrno>

#include <cstdlib>
#include <memory>

namespace netdext::bundle {
namespace {

struct PlistDeleter {
    void operator()(plist_t node) const { plist_free(node); }
};
using PlistPtr = std::unique_ptr<void, PlistDeleter>;

PlistPtr parse_plist(const BundleDir &dir, const std::string &relative, LoadError &error) {
    const std::string file = dir.path() + "/" + relative;
    std::string data, why;
    bool missing = false;
    if (!dir.read(relative, BundleLimits{}.plist_bytes, data, why, &missing)) {
        error.kind = missing ? LoadError::Kind::invalid : LoadError::Kind::unsafe_file;
        error.message = file + ": " + (missing ? std::string("cannot read (missing)") : why);
        return nullptr;
    }
    plist_t root = nullptr;
    if (!data.empty())
        plist_from_memory(data.data(), uint32_t(data.size()), &root);
    if (root == nullptr) {
        error.message = file + ": not a valid property list";
        return nullptr;
    }
    PlistPtr owned(root);
    if (plist_get_node_type(root) != PLIST_DICT) {
        error.message = file + ": the top level is not a dictionary";
        return nullptr;
    }
    return owned;
}

std::optional<std::string> string_value(plist_t node) {
    if (node == nullptr || plist_get_node_type(node) != PLIST_STRING)
        return std::nullopt;
    char *value = nullptr;
    plist_get_string_val(node, &value);
    std::string out = value ? value : "";
    free(value);
    return out;
}

// `node` as a Value; false for what a registry property cannot hold (dates, UIDs, nulls) or a
// nesting deeper than kMaxDepth.
constexpr int kMaxDepth = 32;
bool to_value(plist_t node, Value &out, int depth) {
    if (node == nullptr || depth > kMaxDepth)
        return false;
    switch (plist_get_node_type(node)) {
    case PLIST_STRING:
        out.kind = Value::Kind::string;
        out.text = string_value(node).value_or("");
        return true;
    case PLIST_BOOLEAN: {
        uint8_t b = 0;
        plist_get_bool_val(node, &b);
        out.kind = Value::Kind::boolean;
        out.integer = b ? 1 : 0;
        return true;
    }
    case PLIST_UINT: // libplist keeps negative integers here too, as two's complement
        out.kind = Value::Kind::integer;
        plist_get_uint_val(node, &out.integer);
        return true;
    case PLIST_REAL:
        out.kind = Value::Kind::real;
        plist_get_real_val(node, &out.real);
        return true;
    case PLIST_DATA: {
        char *bytes = nullptr;
        uint64_t length = 0;
        plist_get_data_val(node, &bytes, &length);
        out.kind = Value::Kind::data;
        out.text.assign(bytes != nullptr ? bytes : "", bytes != nullptr ? size_t(length) : 0);
        free(bytes);
        return true;
    }
    case PLIST_ARRAY: {
        out.kind = Value::Kind::array;
        uint32_t count = plist_array_get_size(node);
        for (uint32_t i = 0; i < count; ++i) {
            Value item;
            if (to_value(plist_array_get_item(node, i), item, depth + 1))
                out.items.push_back(std::move(item));
        }
        return true;
    }
    case PLIST_DICT: {
        out.kind = Value::Kind::dictionary;
        plist_dict_iter it = nullptr;
        plist_dict_new_iter(node, &it);
        for (;;) {
            char *key = nullptr;
            plist_t item = nullptr;
            plist_dict_next_item(node, it, &key, &item);
            if (key == nullptr)
                break;
            Value value;
            if (to_value(item, value, depth + 1))
                out.entries.push_back({key, std::move(value)});
            free(key);
        }
        free(it);
        return true;
    }
    default:
        return false;
    }
}

// A scalar entry as text (strings, booleans "true"/"false", integers in decimal); nullopt for
// the others.
std::optional<std::string> scalar_text(const Value &value) {
    switch (value.kind) {
    case Value::Kind::string:
        return value.text;
    case Value::Kind::boolean:
        return std::string(value.integer != 0 ? "true" : "false");
    case Value::Kind::integer:
        return std::to_string(value.integer);
    default:
        return std::nullopt;
    }
}

bool required_string(plist_t dict, const char *key, const std::string &file, std::string &out,
                     LoadError &error) {
    auto value = string_value(plist_dict_get_item(dict, key));
    if (!value || value->empty()) {
        error.message = file + ": " + key + " is missing or not a non-empty string";
        return false;
    }
    out = *value;
    return true;
}

bool read_personalities(plist_t info, const std::string &file, Bundle &bundle, LoadError &error) {
    plist_t personalities = plist_dict_get_item(info, "IOKitPersonalities");
    if (personalities == nullptr)
        return true; // a bundle without personalities is a library; callers decide
    if (plist_get_node_type(personalities) != PLIST_DICT) {
        error.message = file + ": IOKitPersonalities is not a dictionary";
        return false;
    }
    plist_dict_iter it = nullptr;
    plist_dict_new_iter(personalities, &it);
    for (;;) {
        char *key = nullptr;
        plist_t value = nullptr;
        plist_dict_next_item(personalities, it, &key, &value);
        if (key == nullptr)
            break;
        std::string name = key;
        free(key);
        if (plist_get_node_type(value) != PLIST_DICT) {
            error.message = file + ": personality " + name + " is not a dictionary";
            free(it);
            return false;
        }
        Personality p;
        p.name = name;
        p.io_class = string_value(plist_dict_get_item(value, "IOClass")).value_or("");
        p.user_class = string_value(plist_dict_get_item(value, "IOUserClass")).value_or("");
        p.server_name = string_value(plist_dict_get_item(value, "IOUserServerName")).value_or("");
        p.provider_class = string_value(plist_dict_get_item(value, "IOProviderClass")).value_or("");
        p.resource_match = string_value(plist_dict_get_item(value, "IOResourceMatch")).value_or("");
        plist_t score = plist_dict_get_item(value, "IOProbeScore");
        if (score != nullptr && plist_get_node_type(score) == PLIST_UINT) {
            uint64_t v = 0;
            plist_get_uint_val(score, &v);
            p.probe_score = int64_t(v > INT64_MAX ? INT64_MAX : v);
        }
        to_value(value, p.dictionary, 0);
        for (const Value::Entry &entry : p.dictionary.entries)
            if (auto text = scalar_text(entry.value))
                p.properties[entry.key] = *text;
        if (p.user_class.empty()) {
            error.message = file + ": personality " + name + " has no IOUserClass";
            free(it);
            return false;
        }
        bundle.personalities.push_back(std::move(p));
    }
    free(it);
    return true;
}

} // namespace

std::optional<Bundle> read_bundle(const std::string &path_in, LoadError &error) {
    std::string path = path_in;
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    std::string why;
    std::optional<BundleDir> dir = BundleDir::open(path, why);
    if (!dir) {
        error.kind = LoadError::Kind::not_found;
        error.message = path + ": not a bundle directory (" + why + ")";
        return std::nullopt;
    }
    Bundle bundle;
    bundle.path = path;
    const std::string info_path = path + "/Info.plist";
    PlistPtr info = parse_plist(*dir, "Info.plist", error);
    if (!info)
        return std::nullopt;
    if (!required_string(info.get(), "CFBundleIdentifier", info_path, bundle.bundle_id, error)) {
        error.kind = LoadError::Kind::missing_identifier;
        return std::nullopt;
    }
    if (!required_string(info.get(), "CFBundleExecutable", info_path, bundle.executable, error))
        return std::nullopt;
    if (bundle.executable.find('/') != std::string::npos || bundle.executable == "." ||
        bundle.executable == "..") {
        error.message = info_path + ": CFBundleExecutable must be a file name";
        return std::nullopt;
    }
    bundle.executable_path = path + "/" + bundle.executable;
    std::string dir_name = path.substr(path.find_last_of('/') + 1);
    if (dir_name.size() > 5 && dir_name.compare(dir_name.size() - 5, 5, ".dext") == 0)
        dir_name.resize(dir_name.size() - 5);
    bundle.name = string_value(plist_dict_get_item(info.get(), "CFBundleName")).value_or(dir_name);
    auto version = string_value(plist_dict_get_item(info.get(), "CFBundleVersion"));
    bundle.version_given = version.has_value();
    bundle.version = version.value_or("1");
    bundle.short_version =
        string_value(plist_dict_get_item(info.get(), "CFBundleShortVersionString")).value_or("1.0");
    bundle.package_type =
        string_value(plist_dict_get_item(info.get(), "CFBundlePackageType")).value_or("");
    bundle.usage_description =
        string_value(plist_dict_get_item(info.get(), "OSBundleUsageDescription")).value_or("");
    if (!read_personalities(info.get(), info_path, bundle, error))
        return std::nullopt;
    // The executable is only looked at here (stat, which opens nothing), and a symlink to a
    // library elsewhere is followed: the test bench loads drivers that way. netdextd's activation
    // validation (daemon/extensions/validation.cpp) and its staged copies require it inside.
    struct stat exe {};
    if (stat(bundle.executable_path.c_str(), &exe) != 0 || !S_ISREG(exe.st_mode)) {
        const bool missing = errno == ENOENT && lstat(bundle.executable_path.c_str(), &exe) != 0;
        error.kind = missing ? LoadError::Kind::invalid : LoadError::Kind::unsafe_file;
        error.message = bundle.executable_path + (missing ? std::string(": the bundle's executable is missing")
                                                          : ": the bundle's executable is not a regular file");
        return std::nullopt;
    }
    bool missing = false;
    if (dir->regular_file("Entitlements.plist", BundleLimits{}.plist_bytes, why, &missing) ||
        !missing) {
        PlistPtr entitlements = parse_plist(*dir, "Entitlements.plist", error);
        if (!entitlements)
            return std::nullopt;
        to_value(entitlements.get(), bundle.entitlement_values, 0);
        plist_dict_iter it = nullptr;
        plist_dict_new_iter(entitlements.get(), &it);
        for (;;) {
            char *key = nullptr;
            plist_t value = nullptr;
            plist_dict_next_item(entitlements.get(), it, &key, &value);
            if (key == nullptr)
                break;
            bool enabled = true;
            if (plist_get_node_type(value) == PLIST_BOOLEAN) {
                uint8_t b = 0;
                plist_get_bool_val(value, &b);
                enabled = b != 0;
            }
            bundle.entitlements[key] = enabled;
            free(key);
        }
        free(it);
    }
    return bundle;
}

bool has_entitlement(const Bundle &bundle, const std::string &key) {
    auto it = bundle.entitlements.find(key);
    return it != bundle.entitlements.end() && it->second;
}

} // namespace netdext::bundle
