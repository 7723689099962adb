// A kext version (CFBundleVersion of a dext must be one — DextValidation refuses activation with
// "Property 'CFBundleVersion' must be a valid kext version", API-SYSEXT.md §1.5):
//
//   MAJOR[.MINOR[.REVISION]][STAGE LEVEL]   MAJOR ≤ 65535, MINOR and REVISION ≤ 99,
//                                           STAGE d (development) | a (alpha) | b (beta) |
//                                           fc (final candidate), LEVEL 1-3 digits ≤ 255
//
// e.g. "1", "1.0", "2.10.3", "1.0d3", "1.2fc1". A version with no stage is a release and sorts
// after every staged version of the same numbers: 1.0d1 < 1.0a1 < 1.0b1 < 1.0fc1 < 1.0.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netdext::extensions {

struct KextVersion {
    enum class Stage : uint8_t { development = 0, alpha = 1, beta = 2, candidate = 3, release = 4 };
    uint32_t major = 0;
    uint32_t minor = 0;
    uint32_t revision = 0;
    Stage stage = Stage::release;
    uint32_t level = 0;

    // nullopt for anything outside the grammar above.
    static std::optional<KextVersion> parse(std::string_view text);
    auto operator<=>(const KextVersion &) const = default;
};

// -1, 0, 1 comparing two CFBundleVersion strings: as kext versions when both parse, otherwise
// numerically component by component ("1.10" > "1.9"), then as text.
int compare_versions(std::string_view a, std::string_view b);

} // namespace netdext::extensions
