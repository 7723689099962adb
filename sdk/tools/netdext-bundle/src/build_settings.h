/*
 * build_settings.h — Xcode-style build settings and their expansion in plist text.
 *
 * Xcode expands `$(NAME)` and `${NAME}` in a target's Info.plist (and entitlements) with the
 * target's build settings; a reference may carry modifiers, `$(PRODUCT_NAME:rfc1034identifier)`,
 * applied left to right. netdext-bundle does the same on the file's text:
 *   - rfc1034identifier: characters other than A-Z a-z 0-9 - . become '-'
 *   - identifier / c99extidentifier: characters other than A-Z a-z 0-9 _ become '_', and a
 *     leading digit gets a '_' prefix
 *   - lower, upper
 * Unlike Xcode (which expands an unknown setting to nothing) an undefined setting is an error
 * naming the setting, the file and the line: a bundle with an empty CFBundleIdentifier is never
 * what the author meant. In an XML plist, expanded values are escaped (& < > " ') so that they
 * stay string content, as with Xcode, which expands values after parsing the plist.
 */
#ifndef NETDEXT_BUNDLE_BUILD_SETTINGS_H
#define NETDEXT_BUNDLE_BUILD_SETTINGS_H

#include <map>
#include <optional>
#include <string>
#include <string_view>

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

    /*
     * Expands every reference in `text`. `file` names the text in errors, which read
     * `file:line: error: …`. With xml_escape, expanded values are XML-escaped.
     */
    Result<std::string> expand(std::string_view text, const std::string &file,
                               bool xml_escape) const;

    /* Applies one modifier ("rfc1034identifier", …); std::nullopt if it is unknown. */
    static std::optional<std::string> apply_modifier(std::string_view modifier, std::string value);

private:
    std::map<std::string, std::string> m_values;
};

/* Whether the text looks like an XML property list (as opposed to a binary one). */
bool looks_like_xml(std::string_view text);

} // namespace netdext::bundle

#endif
