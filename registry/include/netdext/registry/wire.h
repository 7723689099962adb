// netdext/registry/wire.h — registry trees and values as bytes: typed JSON (netdextd → its
// clients) and XML property lists (`ioreg -a`, entitlements, signatures). Data stays data in
// both: JSON carries it tagged, as hex.
//
// Everything read here may come from another process or a file: sizes and nesting are bounded,
// every type is checked, and a failure says where ("properties.IOMACAddress: …").
//
// Typed JSON of a value: {"string": "…"} · {"number": 1500, "bits": 32} · {"bool": true} ·
// {"data": "000c29691726"} · {"array": [value, …]} · {"dict": {"key": value, …}} (key order kept).
// An entry: {"name", "location"?, "class", "class_chain", "id" (number), "service" (bool),
// "state", "busy", "busy_time_ns", "retain", "properties" (a dict value's members), "children"}.
#pragma once

#include <netdext/registry/entry.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netdext::registry {

inline constexpr size_t kMaxWireBytes = 16u << 20; // one document
inline constexpr int kMaxNesting = 64;             // values within values, entries within entries
inline constexpr size_t kMaxEntries = 100000;      // entries in one tree

struct WireError {
    std::string message;
};

// ---- JSON ----
std::string to_json(const Value &value);
std::string to_json(const Entry &entry, bool pretty = false);
std::string to_json(const std::vector<Entry> &entries, bool pretty = false); // a JSON array
std::optional<Value> value_from_json(std::string_view text, WireError &error);
std::optional<Entry> entry_from_json(std::string_view text, WireError &error);
// A document that is one entry object or an array of them (what format_json prints).
std::optional<std::vector<Entry>> entries_from_json(std::string_view text, WireError &error);

// ---- XML property lists (libplist) ----
// An XML plist (not binary: the readers here take text only). Dates and reals, which the
// registry has no type for, are refused.
std::optional<Value> value_from_plist(std::string_view xml, WireError &error);
std::string to_plist(const Value &value);
// An `ioreg -a` archive back into entries: one root dictionary, or the array -r prints.
std::optional<std::vector<Entry>> entries_from_archive(std::string_view xml, WireError &error);

} // namespace netdext::registry
