/*
 * build_settings.h — Xcode-style build settings and their expansion in plist values.
 *
 * Xcode expands `$(NAME)` and `${NAME}` in the values of a target's Info.plist and entitlements
 * with the target's build settings (INFOPLIST_EXPAND_BUILD_SETTINGS, on by default; keys are not
 * expanded). netdext-bundle does the same, with Xcode's rules:
 *   - A setting's value may itself refer to settings (`com.example.$(PRODUCT_NAME)`), and a
 *     reference's name may be built from one (`$(NAME_$(CONFIGURATION))`); both are expanded.
 *   - An undefined setting expands to an empty string, as in Xcode; netdext-bundle also warns,
 *     naming the setting (Xcode is silent, and an empty CFBundleIdentifier is rarely meant).
 *   - Modifiers, applied left to right (`$(PRODUCT_NAME:lower:rfc1034identifier)`):
 *       identifier, c99extidentifier  characters other than A-Z a-z 0-9 _ → '_', a leading
 *                                     digit gets a '_' prefix
 *       rfc1034identifier             characters other than A-Z a-z 0-9 - . → '-'
 *       lower, upper                  case
 *       quote                         quoted for a shell (backslash before each special byte)
 *       standardizepath               "//", "/./" and "x/.." removed
 *       dir, file, base, suffix       a path's directory ("." if none), last component, last
 *                                     component without its extension, extension with its '.'
 *       default=VALUE                 VALUE when the setting is empty or undefined (no warning)
 *     An unknown modifier is ignored with a warning.
 *   - A reference without its closing bracket is kept as written, with a warning.
 * Warnings are plain sentences; the caller prefixes the file and where in it.
 */
#ifndef NETDEXT_BUNDLE_BUILD_SETTINGS_H
#define NETDEXT_BUNDLE_BUILD_SETTINGS_H

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netdext::bundle {

/* A value, or an error message. */
template <class T> class [[nodiscard]] Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    static Result failure(std::string message) {
        Result r;
        r.m_error = std::move(message);
        return r;
    }
    bool ok() const { return m_value.has_value(); }
    T &value() { return *m_value; }
    const std::string &error() const { return m_error; }

private:
    Result() = default;
    std::optional<T> m_value;
    std::string m_error;
};

class BuildSettings {
public:
    /* Adds "KEY=VALUE" (a later definition of a key replaces an earlier one). */
    Result<bool> define(std::string_view assignment);
    void set(const std::string &key, const std::string &value) { m_values[key] = value; }
    const std::string *find(const std::string &key) const;
    /* The settings whose names start with `prefix`, in name order. */
    std::vector<std::pair<std::string, std::string>> with_prefix(std::string_view prefix) const;

    /* The fully expanded value of a setting ("" if undefined; undefined references warn). */
    std::string value_of(const std::string &key, std::vector<std::string> &warnings) const;
    /* Expands every reference in `text`; what was odd goes to `warnings`. */
    std::string expand(std::string_view text, std::vector<std::string> &warnings) const;

    /* Applies one modifier ("rfc1034identifier", "default=x", …); std::nullopt if unknown. */
    static std::optional<std::string> apply_modifier(std::string_view modifier, std::string value);

private:
    std::string expand_at_depth(std::string_view text, std::vector<std::string> &warnings,
                                int depth) const;

    std::map<std::string, std::string> m_values;
};

/* Whether the text looks like an XML property list (as opposed to a binary one). */
bool looks_like_xml(std::string_view text);

/* Xcode's boolean build-setting spelling: YES/NO (also true/false, 1/0), any case. */
std::optional<bool> setting_as_bool(std::string_view value);

} // namespace netdext::bundle

#endif
