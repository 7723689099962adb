#include "build_settings.h"

#include <cctype>

namespace netdext::bundle {
namespace {

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string xml_escaped(const std::string &value) {
    std::string out;
    for (char c : value) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace

Result<bool> BuildSettings::define(std::string_view assignment) {
    size_t equals = assignment.find('=');
    if (equals == std::string_view::npos || equals == 0)
        return Result<bool>::failure("expected KEY=VALUE, got '" + std::string(assignment) + "'");
    std::string key(assignment.substr(0, equals));
    for (char c : key) {
        if (!is_name_char(c))
            return Result<bool>::failure("invalid build setting name '" + key + "'");
    }
    m_values[key] = std::string(assignment.substr(equals + 1));
    return true;
}

const std::string *BuildSettings::find(const std::string &key) const {
    auto it = m_values.find(key);
    return it == m_values.end() ? nullptr : &it->second;
}

std::optional<std::string> BuildSettings::apply_modifier(std::string_view modifier,
                                                         std::string value) {
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
    return std::nullopt;
}

Result<std::string> BuildSettings::expand(std::string_view text, const std::string &file,
                                          bool xml_escape) const {
    std::string out;
    out.reserve(text.size());
    size_t line = 1;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '\n')
            ++line;
        bool reference =
            c == '$' && i + 1 < text.size() && (text[i + 1] == '(' || text[i + 1] == '{');
        if (!reference) {
            out += c;
            ++i;
            continue;
        }
        char close = text[i + 1] == '(' ? ')' : '}';
        size_t end = text.find(close, i + 2);
        std::string where = file + ":" + std::to_string(line) + ": error: ";
        if (end == std::string_view::npos ||
            text.substr(i + 2, end - i - 2).find('\n') != std::string_view::npos)
            return Result<std::string>::failure(where + "unterminated build setting reference '" +
                                                std::string(text.substr(i, 2)) + "'");
        std::string_view body = text.substr(i + 2, end - i - 2);
        std::string_view name = body.substr(0, body.find(':'));
        for (char n : name) {
            if (!is_name_char(n))
                return Result<std::string>::failure(where + "malformed build setting reference '" +
                                                    std::string(text.substr(i, end - i + 1)) + "'");
        }
        if (name.empty())
            return Result<std::string>::failure(where + "empty build setting reference '" +
                                                std::string(text.substr(i, end - i + 1)) + "'");
        const std::string *value = find(std::string(name));
        if (value == nullptr)
            return Result<std::string>::failure(where + "undefined build setting '" +
                                                std::string(name) + "' in '" +
                                                std::string(text.substr(i, end - i + 1)) + "'");
        std::string expanded = *value;
        size_t at = name.size();
        while (at < body.size()) {
            size_t next = body.find(':', at + 1);
            std::string_view modifier = body.substr(
                at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1);
            std::optional<std::string> modified = apply_modifier(modifier, expanded);
            if (!modified)
                return Result<std::string>::failure(where + "unknown modifier '" +
                                                    std::string(modifier) + "' in '" +
                                                    std::string(text.substr(i, end - i + 1)) + "'");
            expanded = *modified;
            at = next == std::string_view::npos ? body.size() : next;
        }
        out += xml_escape ? xml_escaped(expanded) : expanded;
        i = end + 1;
    }
    return out;
}

bool looks_like_xml(std::string_view text) {
    if (text.substr(0, 3) == "\xef\xbb\xbf")
        text.remove_prefix(3);
    size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '<';
}

} // namespace netdext::bundle
