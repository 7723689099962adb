// Reading a .dext bundle (DESIGN.md §6): Info.plist, the driver's shared object, the entitlements.
//
//   NAME.dext/Info.plist          XML plist: CFBundleIdentifier, CFBundleExecutable, versions,
//                                 IOKitPersonalities
//   NAME.dext/<CFBundleExecutable> the driver's shared object
//   NAME.dext/Entitlements.plist  the entitlements plist
//
// Everything read from a bundle is untrusted input: files are reached only through BundleDir
// (bundle_fs.h: regular files inside the bundle, size-checked before they are read), every value
// is type-checked, and a bundle that does not have what is needed is refused with a message
// naming the file and the key. The executable is only stat()ed here and may be a symlink to a
// library elsewhere (the test bench links drivers so); netdextd's activation requires it inside.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netdext::bundle {

// A property-list value, as a personality holds it: what becomes the driver service's registry
// properties (IOService::CopyProperties, IOService::Create's descriptions).
struct Value {
    enum class Kind { string, integer, boolean, real, data, array, dictionary };
    Kind kind = Kind::string;
    std::string text;   // string; data: the bytes
    uint64_t integer = 0; // integer (a negative one as two's complement); boolean: 0 or 1
    double real = 0;
    struct Entry;
    std::vector<Value> items;   // array
    std::vector<Entry> entries; // dictionary, in the file's order
};
struct Value::Entry {
    std::string key;
    Value value;
};

// One IOKitPersonalities entry (the keys netdext matches on).
struct Personality {
    std::string name;           // the dictionary key
    std::string io_class;       // IOClass
    std::string user_class;     // IOUserClass: the driver class to instantiate
    std::string server_name;    // IOUserServerName (the bundle ID by convention)
    std::string provider_class; // IOProviderClass
    std::string resource_match; // IOResourceMatch (software drivers: "IOKit")
    int64_t probe_score = 0;    // IOProbeScore
    std::map<std::string, std::string> properties; // its string/number/bool keys, as text
    Value dictionary; // the whole personality (dates and UIDs left out); `properties` comes from it
};

struct Bundle {
    std::string path;            // the .dext directory
    std::string bundle_id;       // CFBundleIdentifier
    std::string executable;      // CFBundleExecutable
    std::string executable_path; // path/executable
    std::string name;            // CFBundleName, else the directory name without .dext
    std::string version;         // CFBundleVersion
    std::string short_version;   // CFBundleShortVersionString
    bool version_given = false;  // CFBundleVersion was present (else `version` is the default)
    std::string package_type;    // CFBundlePackageType ("DEXT"), empty when absent
    std::string usage_description; // OSBundleUsageDescription, empty when absent
    std::vector<Personality> personalities;
    std::map<std::string, bool> entitlements; // boolean entitlements; others count as present
    Value entitlement_values; // the whole Entitlements.plist (a dictionary; empty without one),
                              // for structured ones such as ….driverkit.transport.usb
};

struct LoadError {
    enum class Kind {
        not_found,          // no such directory, or not a directory
        unsafe_file,        // a file is not a regular file inside the bundle, or is too large
        missing_identifier, // no CFBundleIdentifier
        invalid,            // anything else: bad plist, missing key, wrong type, no executable
    };
    Kind kind = Kind::invalid;
    std::string message;
};

// Reads and validates a bundle directory; on failure `error` says why and nullopt is returned.
std::optional<Bundle> read_bundle(const std::string &path, LoadError &error);

// Whether the bundle has entitlement `key` set to true.
bool has_entitlement(const Bundle &bundle, const std::string &key);

inline constexpr const char *kDriverKitEntitlement = "com.apple.developer.driverkit";
inline constexpr const char *kNetworkingEntitlement =
    "com.apple.developer.driverkit.family.networking";

} // namespace netdext::bundle
