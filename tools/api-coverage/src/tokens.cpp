// Text preparation and tokens for the API coverage scanner (see tokens.h).

#include "tokens.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace api_coverage {
namespace {

// ---- text: comments out, directives out (line numbers kept) ----------------------------------

// Replaces comments with spaces, keeping newlines and string/char literals.
std::string strip_comments(const std::string &in) {
    std::string out;
    out.reserve(in.size());
    size_t i = 0;
    while (i < in.size()) {
        char c = in[i];
        if (c == '/' && i + 1 < in.size() && in[i + 1] == '/') {
            while (i < in.size() && in[i] != '\n')
                ++i;
        } else if (c == '/' && i + 1 < in.size() && in[i + 1] == '*') {
            i += 2;
            out += ' ';
            while (i < in.size() && !(in[i] == '*' && i + 1 < in.size() && in[i + 1] == '/')) {
                if (in[i] == '\n')
                    out += '\n';
                ++i;
            }
            i += 2;
        } else if (c == '"' || c == '\'') {
            out += c;
            ++i;
            while (i < in.size() && in[i] != c && in[i] != '\n') {
                if (in[i] == '\\' && i + 1 < in.size())
                    out += in[i++];
                out += in[i++];
            }
            if (i < in.size() && in[i] == c)
                out += in[i++];
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

std::vector<std::string> split_lines(const std::string &text) {
    std::vector<std::string> lines;
    std::string line;
    std::istringstream stream(text);
    while (std::getline(stream, line))
        lines.push_back(line);
    return lines;
}

std::string trim(const std::string &s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
        --e;
    return s.substr(b, e - b);
}

bool is_ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Blanks every preprocessor directive (with its continuation lines); each complete directive is
// passed to `on_directive`.
} // namespace

std::string remove_directives(const std::string &source,
                              const std::function<void(const std::string &)> &on_directive) {
    std::vector<std::string> lines = split_lines(strip_comments(source));
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        std::string t = trim(lines[i]);
        if (t.empty() || t[0] != '#') {
            out += lines[i] + "\n";
            continue;
        }
        std::string directive = t;
        out += "\n";
        while (!directive.empty() && directive.back() == '\\' && i + 1 < lines.size()) {
            directive.pop_back();
            directive += " " + trim(lines[++i]);
            out += "\n";
        }
        on_directive(directive);
    }
    return out;
}

void parse_define(const std::string &directive, Macros &macros) {
    // "# define NAME(params) body" or "#define NAME body"
    size_t i = 1;
    while (i < directive.size() && std::isspace(static_cast<unsigned char>(directive[i])))
        ++i;
    if (directive.compare(i, 6, "define") != 0)
        return;
    i += 6;
    while (i < directive.size() && std::isspace(static_cast<unsigned char>(directive[i])))
        ++i;
    size_t name_start = i;
    while (i < directive.size() && is_ident_char(directive[i]))
        ++i;
    if (i == name_start)
        return;
    Macro macro;
    std::string name = directive.substr(name_start, i - name_start);
    if (i < directive.size() && directive[i] == '(') {
        macro.function_like = true;
        size_t close = directive.find(')', i);
        if (close == std::string::npos)
            return;
        std::string params = directive.substr(i + 1, close - i - 1);
        std::stringstream list(params);
        std::string param;
        while (std::getline(list, param, ','))
            if (!trim(param).empty())
                macro.params.push_back(trim(param));
        i = close + 1;
    }
    macro.body = trim(directive.substr(i));
    macros[name] = macro;
}

// ---- tokens ----------------------------------------------------------------------------------

Tokens tokenize(const std::string &text, int first_line) {
    static const char *kMulti[] = {"::", "...", "##", "->", "&&", "||", "==", "!=", "<=", ">="};
    std::vector<Token> out;
    int line = first_line;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '\n') {
            ++line;
            ++i;
            continue;
        }
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        Token token;
        token.line = line;
        if (is_ident_start(c)) {
            size_t b = i;
            while (i < text.size() && is_ident_char(text[i]))
                ++i;
            token.text = text.substr(b, i - b);
            token.type = TokenType::ident;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            size_t b = i;
            while (i < text.size() && (is_ident_char(text[i]) || text[i] == '.'))
                ++i;
            token.text = text.substr(b, i - b);
            token.type = TokenType::number;
        } else if (c == '"' || c == '\'') {
            size_t b = i++;
            while (i < text.size() && text[i] != c) {
                if (text[i] == '\\')
                    ++i;
                ++i;
            }
            ++i;
            token.text = text.substr(b, std::min(i, text.size()) - b);
            token.type = TokenType::literal;
        } else {
            token.type = TokenType::punct;
            token.text = std::string(1, c);
            for (const char *multi : kMulti) {
                size_t n = std::char_traits<char>::length(multi);
                if (text.compare(i, n, multi) == 0) {
                    token.text = multi;
                    break;
                }
            }
            i += token.text.size();
        }
        out.push_back(std::move(token));
    }
    return out;
}

bool is_word(const Token &t) {
    return t.type != TokenType::punct;
}

std::string join(std::vector<Token>::const_iterator begin, std::vector<Token>::const_iterator end) {
    std::string out;
    const Token *prev = nullptr;
    for (auto it = begin; it != end; ++it) {
        const Token &t = *it;
        if (prev != nullptr) {
            const std::string &p = prev->text;
            bool space = (is_word(*prev) && is_word(t)) || p == "," || p == "=" || t.text == "=" ||
                         ((t.text == "*" || t.text == "&" || t.text == "&&" || t.text == "^") &&
                          is_word(*prev)) ||
                         (p == ")" && is_word(t)) || (p == ">" && is_word(t)) ||
                         (p == "..." && is_word(t));
            if (space)
                out += ' ';
        }
        out += t.text;
        prev = &t;
    }
    return out;
}

std::string join(const std::vector<Token> &tokens) {
    return join(tokens.begin(), tokens.end());
}

} // namespace api_coverage
