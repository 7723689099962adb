// A careful line/token scanner for the SDK headers -- not a C++ parser. It understands exactly
// what the SDK headers use: comments, #define (function-like ones are expanded where they stand
// as a class member, e.g. NETDEXT_CLASS_MEMBERS / NETDEXT_PACKET_QUEUE_MEMBERS), extern "C"
// blocks, namespaces (skipped: netdext's own), class/struct definitions with access labels,
// declarations across several lines, inline bodies, default arguments, attributes, and the
// NETDEXT_UNSUPPORTED marker. It reports an error (file:line) rather than guess when braces or
// parentheses do not balance.
#pragma once

#include "api_model.h"

#include <map>
#include <string>
#include <vector>

namespace api_coverage {

struct Macro {
    bool function_like = false;
    std::vector<std::string> params;
    std::string body;
};
using Macros = std::map<std::string, Macro>;

// Adds the #defines of `source` to `macros` (a later definition replaces an earlier one).
void collect_macros(const std::string &source, Macros &macros);

// Scans one header (`header` is its name in the output) and appends what it declares to `api`.
// False, with `error` set, if the header could not be understood.
bool scan_header(const std::string &source, const std::string &header, const Macros &macros,
                 Api &api, std::string &error);

// Scans <include_dir>/DriverKit/*.h and <include_dir>/NetworkingDriverKit/*.h in name order;
// macros are also taken from <include_dir>/netdext/*.h.
bool scan_sdk(const std::string &include_dir, Api &api, std::string &error);

// Whether a member of this name belongs in the coverage table (not netdext_*, *_Impl, _Dispatch).
bool is_public_api_name(const std::string &name);

} // namespace api_coverage
