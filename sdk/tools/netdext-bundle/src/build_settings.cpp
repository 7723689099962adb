#include "build_settings.h"

#include <algorithm>
#include <cctype>
#include <strings.h>

namespace netdext::bundle {
namespace {

// Settings that refer to settings nest at most this deep (a setting referring to itself stops).
constexpr int kMaxDepth = 16;

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool is_valid_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), is_name_char);
}

bool opens_reference(std::string_view text, size_t i) {
    return text[i] == '$' && i + 1 < text.size() && (text[i + 1] == '(' || text[i + 1] == '{');
}

// The index of the bracket that closes the reference opened at `start` ("$(" or "${"), counting
// the references nested in it; npos if there is none.
size_t closing_bracket(std::string_view text, size_t start) {
    std::string closers(1, text[start + 1] == '(' ? ')' : '}');
    for (size_t j = start + 2; j < text.size(); ++j) {
        if (opens_reference(text, j)) {
            closers.push_back(text[j + 1] == '(' ? ')' : '}');
            ++j;
        } else if (text[j] == closers.back()) {
            closers.pop_back();
            if (closers.empty())
                return j;
        }
    }
    return std::string_view::npos;
}

// NSString's stringByStandardizingPath, for the parts that do not touch the file system.
std::string standardized(const std::string &path) {
    bool absolute = !path.empty() && path[0] == '/';
    std::vector<std::string> parts;
    size_t at = 0;
    while (at <= path.size()) {
        size_t slash = path.find('/', at);
        std::string part = path.substr(at, slash == std::string::npos ? std::string::npos
                                                                        : slash - at);
        if (part == "..") {
            if (!parts.empty() && parts.back() != "..")
                parts.pop_back();
            else if (!absolute)
                parts.push_back(part);
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        if (slash == std::string::npos)
            break;
        at = slash + 1;
    }
    std::string out = absolute ? "/" : "";
    for (size_t i = 0; i < parts.size(); ++i)
        out += (i > 0 ? "/" : "") + parts[i];
    return out.empty() ? (absolute ? "/" : "") : out;
}

std::string last_component(const std::string &path) {
    size_t end = path.find_last_not_of('/');
    if (end == std::string::npos)
        return path.empty() ? "" : "/";
    size_t slash = path.rfind('/', end);
    return path.substr(slash == std::string::npos ? 0 : slash + 1,
                       end - (slash == std::string::npos ? 0 : slash + 1) + 1);
}

} // namespace

Result<bool> BuildSettings::define(std::string_view assignment) {
    size_t equals = assignment.find('=');
    if (equals == std::string_view::npos || equals == 0)
        return Result<bool>::failure("expected KEY=VALUE, got '" + std::string(assignment) + "'");
    std::string key(assignment.substr(0, equals));
    if (!is_valid_name(key))
        return Result<bool>::failure("invalid build setting name '" + key + "'");
    m_values[key] = std::string(assignment.substr(equals + 1));
    return true;
}

const std::string *BuildSettings::find(const std::string &key) const {
    auto it = m_values.find(key);
    return it == m_values.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, std::string>>
BuildSettings::with_prefix(std::string_view prefix) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = m_values.lower_bound(std::string(prefix));
         it != m_values.end() && std::string_view(it->first).substr(0, prefix.size()) == prefix;
         ++it)
        out.emplace_back(it->first, it->second);
    return out;
}

std::optional<std::string> BuildSettings::apply_modifier(std::string_view modifier,
                                                         std::string value) {
    if (modifier.substr(0, 8) == "default=")
        return value.empty() ? std::string(modifier.substr(8)) : value;
    if (modifier == "rfc1034identifier") {
        for (char &c : value) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
                c = '-';
        }
        return value;
    }
    if (modifier == "identifier" || modifier == "c99extidentifier") {
        for (char &c : value) {
            if (!is_name_char(c))
                c = '_';
        }
        if (!value.empty() && std::isdigit(static_cast<unsigned char>(value[0])))
            value.insert(value.begin(), '_');
        return value;
    }
    if (modifier == "lower" || modifier == "upper") {
        for (char &c : value) {
            unsigned char u = static_cast<unsigned char>(c);
            c = static_cast<char>(modifier == "lower" ? std::tolower(u) : std::toupper(u));
        }
        return value;
    }
    if (modifier == "quote") {
        std::string out;
        for (char c : value) {
            if (std::string_view(" \t\n'\"\\$`!#&*()|;<>?[]{}~").find(c) != std::string_view::npos)
                out += '\\';
            out += c;
        }
        return out;
    }
    if (modifier == "standardizepath")
        return standardized(value);
    if (modifier == "file")
        return last_component(value);
    if (modifier == "dir") {
        std::string trimmed = value.substr(0, value.find_last_not_of('/') + 1);
        size_t slash = trimmed.rfind('/');
        if (slash == std::string::npos)
            return std::string();
        return slash == 0 ? std::string("/") : trimmed.substr(0, slash);
    }
    if (modifier == "base" || modifier == "suffix") {
        std::string file = last_component(value);
        size_t dot = file.rfind('.');
        bool has_suffix = dot != std::string::npos && dot != 0;
        if (modifier == "base")
            return has_suffix ? file.substr(0, dot) : file;
        return has_suffix ? file.substr(dot) : std::string();
    }
    return std::nullopt;
}

std::string BuildSettings::value_of(const std::string &key,
                                    std::vector<std::string> &warnings) const {
    return expand("$(" + key + ")", warnings);
}

std::string BuildSettings::expand(std::string_view text, std::vector<std::string> &warnings) const {
    return expand_at_depth(text, warnings, 0);
}

std::string BuildSettings::expand_at_depth(std::string_view text,
                                           std::vector<std::string> &warnings, int depth) const {
    if (depth > kMaxDepth) {
        warnings.push_back("build setting references nest more than " +
                           std::to_string(kMaxDepth) +
                           " deep (does a setting refer to itself?); '" + std::string(text) +
                           "' is kept as written");
        return std::string(text);
    }
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        if (!opens_reference(text, i)) {
            out += text[i++];
            continue;
        }
        size_t end = closing_bracket(text, i);
        if (end == std::string_view::npos) {
            warnings.push_back("unterminated build setting reference '" +
                               std::string(text.substr(i)) + "' is kept as written");
            out += text.substr(i, 2);
            i += 2;
            continue;
        }
        std::string written(text.substr(i, end - i + 1));
        // The reference's own text may be built from references: expand it first.
        std::string body = expand_at_depth(text.substr(i + 2, end - i - 2), warnings, depth + 1);
        i = end + 1;
        std::string name = body.substr(0, body.find(':'));
        if (!is_valid_name(name)) {
            warnings.push_back("malformed build setting reference '" + written +
                               "' is kept as written");
            out += written;
            continue;
        }
        std::vector<std::string> modifiers;
        for (size_t at = name.size(); at < body.size();) {
            size_t next = body.find(':', at + 1);
            modifiers.push_back(body.substr(at + 1, next == std::string::npos ? std::string::npos
                                                                               : next - at - 1));
            at = next == std::string::npos ? body.size() : next;
        }
        bool has_default = std::any_of(modifiers.begin(), modifiers.end(), [](const auto &m) {
            return m.rfind("default=", 0) == 0;
        });
        std::string value;
        if (const std::string *raw = find(name))
            value = expand_at_depth(*raw, warnings, depth + 1);
        else if (!has_default)
            warnings.push_back("build setting '" + name + "' is not defined: '" + written +
                               "' expands to an empty string (as in Xcode)");
        for (const std::string &modifier : modifiers) {
            std::optional<std::string> modified = apply_modifier(modifier, value);
            if (modified)
                value = std::move(*modified);
            else
                warnings.push_back("unknown modifier '" + modifier + "' in '" + written +
                                   "' is ignored");
        }
        out += value;
    }
    return out;
}

bool looks_like_xml(std::string_view text) {
    if (text.substr(0, 3) == "\xef\xbb\xbf")
        text.remove_prefix(3);
    size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '<';
}

std::optional<bool> setting_as_bool(std::string_view value) {
    std::string v(value);
    for (const char *yes : {"YES", "TRUE", "1"})
        if (strcasecmp(v.c_str(), yes) == 0)
            return true;
    for (const char *no : {"NO", "FALSE", "0"})
        if (strcasecmp(v.c_str(), no) == 0)
            return false;
    return std::nullopt;
}

} // namespace netdext::bundle
