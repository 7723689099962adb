// netdext/registry/ioreg.h — printing a registry tree exactly as macOS's `ioreg` does
// (API-SYSEXT §3): the tree drawing, the entry line
//   +-o Name@loc  <class X, id 0x…, registered, matched, active, busy 0 (4 ms), retain 16>
// the property blocks and value formats, its flags, the -a XML plist archive and a --json form.
//
// Pure functions over an Entry tree; thread-safe as long as the tree is not modified meanwhile.
#pragma once

#include <netdext/registry/entry.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netdext::registry {

struct IoregOptions {
    bool list = false;          // -l   properties of every entry shown
    std::string class_name;     // -c   entries conforming to this class match
    std::string name;           // -n   entries with this name (name@location if it has '@')
    std::string key;            // -k   entries that have this property
    bool root = false;          // -r   matching entries become the roots of what is printed
    bool tree = false;          // -t   with -r, also print the path down from the root
    uint32_t width = 0;         // -w   clip lines to this width, ending them with '$'; 0: no limit
    uint32_t depth = 0;         // -d   levels shown below each root (1: the roots only); 0: all
    bool hex = false;           // -x   numbers as 0x…, data always as hex
    bool inheritance = false;   // -i   class as its inheritance chain
    bool bold = false;          // -b   names in bold (ANSI)
    bool state = true;          // -s / -S: show or hide id, state, busy and retain
    bool archive = false;       // -a   an XML property list instead of text
    bool json = false;          // --json  the wire form (wire.h) instead of text

    bool has_criteria() const { return !class_name.empty() || !name.empty() || !key.empty(); }
};

// ioreg's compare(): every criterion given holds (and at least one is given).
bool matches(const Entry &entry, const IoregOptions &options);

// The text ioreg prints for `root` (the registry root) under `options`, lines ending in '\n'.
std::string format_text(const Entry &root, const IoregOptions &options);
// `ioreg -a`: an XML plist; the root's dictionary, or with -r an array of the matching subtrees.
// Each node has IORegistryEntryName, IORegistryEntryLocation (if any), IORegistryEntryID,
// IOObjectClass, IOObjectRetainCount, for services IOServiceState (raw bits), IOServiceBusyState
// and IOServiceBusyTime (ns), its children in IORegistryEntryChildren, and its properties when
// -l is given or it matches.
std::string format_archive(const Entry &root, const IoregOptions &options);
// --json: what -a would contain, as typed JSON (wire.h's entry form): the root object, or with
// -r an array; properties only where -a would list them.
std::string format_json(const Entry &root, const IoregOptions &options);
// Picks format_archive, format_json or format_text.
std::string format(const Entry &root, const IoregOptions &options);

// One value as ioreg prints it: "text", 1500 (0x5dc with hex), Yes/No, <000c29691726> or
// <"a","b">, {"k"=v,…}, (a,b).
std::string format_value(const Value &value, bool hex = false);

// ---- command line ----
// Parses ioreg's options (getopt letters "abc:d:fik:ln:p:rsStw:x", combined or separate, plus
// --json); -f is accepted and has no effect (no device-tree properties here), -p accepts only
// IOService. False with `error` set for anything else (ioreg prints usage_text() then).
bool parse_ioreg_arguments(const std::vector<std::string> &arguments, IoregOptions &options,
                           std::string &error);
// ioreg's usage line and option list.
std::string usage_text(const char *program = "ioreg");

} // namespace netdext::registry
