// `netdextctl list` text: systemextensionsctl's layout (API-SYSEXT.md §2.2) — tab-separated,
//
//   1 extension(s)
//   --- com.apple.system_extension.driver_extension
//   enabled	active	teamID	bundleID (version)	name	[state]
//   *	*	-	com.example.Driver (1.0/1)	Driver	[activated enabled]
//
// followed by netdext's own section (the interface, driver process and crash count of each).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace netdext::control {

// `list_result` is the result of a "list" request. `category` (may be empty) filters the
// categories and, as systemextensionsctl does, puts "Category: <category>" first.
std::string format_list(const nlohmann::json &list_result, const std::string &category = "");

} // namespace netdext::control
