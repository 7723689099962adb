#include "macros.h"

#include <cctype>
#include <filesystem>
#include <set>

namespace netdext::iig {
namespace {

constexpr int kMaxExpansionDepth = 64;

bool is_ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}
bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

struct PPToken {
    enum Kind : uint8_t { ident, number, character, string, punct } kind;
    std::string text;
};

// Splits preprocessor text into tokens; comments, splices and whitespace separate them.
std::vector<PPToken> tokenize(std::string_view text) {
    static constexpr std::string_view kPuncts[] = {"<<=", ">>=", "<<", ">>", "<=", ">=", "==",
                                                   "!=",  "&&",  "||", "##"};
    std::vector<PPToken> out;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c)) ||
            (c == '\\' && i + 1 < text.size() && (text[i + 1] == '\n' || text[i + 1] == '\r'))) {
            ++i;
        } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
            size_t close = text.find("*/", i + 2);
            i = close == std::string_view::npos ? text.size() : close + 2;
        } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
            break;
        } else if (c == '\'' || c == '"') {
            size_t j = i + 1;
            while (j < text.size() && text[j] != c) {
                if (text[j] == '\\')
                    ++j;
                ++j;
            }
            out.push_back({c == '"' ? PPToken::string : PPToken::character,
                           std::string(text.substr(i, std::min(j + 1, text.size()) - i))});
            i = j + 1;
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   (c == '.' && i + 1 < text.size() &&
                    std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
            size_t j = i + 1;
            while (j < text.size()) {
                char d = text[j];
                bool exponent_sign = (d == '+' || d == '-') &&
                                     std::string_view("eEpP").find(text[j - 1]) !=
                                         std::string_view::npos;
                if (!is_ident_char(d) && d != '.' && d != '\'' && !exponent_sign)
                    break;
                ++j;
            }
            out.push_back({PPToken::number, std::string(text.substr(i, j - i))});
            i = j;
        } else if (is_ident_start(c)) {
            size_t j = i + 1;
            while (j < text.size() && is_ident_char(text[j]))
                ++j;
            std::string word(text.substr(i, j - i));
            // An encoding prefix glued to a character literal: u'x', L'x', u8'x'.
            if (j < text.size() && text[j] == '\'' &&
                (word == "u" || word == "U" || word == "L" || word == "u8")) {
                i = j;
                continue;
            }
            out.push_back({PPToken::ident, std::move(word)});
            i = j;
        } else {
            size_t length = 1;
            for (std::string_view p : kPuncts) {
                if (text.substr(i, p.size()) == p) {
                    length = p.size();
                    break;
                }
            }
            out.push_back({PPToken::punct, std::string(text.substr(i, length))});
            i += length;
        }
    }
    return out;
}

struct Value {
    uint64_t bits = 0;
    bool is_unsigned = false;
    int64_t as_signed() const { return static_cast<int64_t>(bits); }
    bool truthy() const { return bits != 0; }
};

Value signed_value(int64_t v) { return {static_cast<uint64_t>(v), false}; }

Diagnostic failure(std::string message) { return make_error(SourceLocation{}, std::move(message)); }

std::optional<Value> parse_number(const std::string &text, std::string &error) {
    std::string digits;
    for (char c : text)
        if (c != '\'')
            digits += c;
    size_t end = digits.size();
    bool is_unsigned = false;
    while (end > 0 && std::string_view("uUlLzZ").find(digits[end - 1]) != std::string_view::npos) {
        is_unsigned = is_unsigned || digits[end - 1] == 'u' || digits[end - 1] == 'U';
        --end;
    }
    digits.resize(end);
    int base = 10;
    size_t start = 0;
    if (digits.size() > 1 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        start = 2;
    } else if (digits.size() > 1 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
        base = 2;
        start = 2;
    } else if (digits.size() > 1 && digits[0] == '0') {
        base = 8;
        start = 1;
    }
    if (start >= digits.size() && base != 8) {
        error = "invalid integer constant '" + text + "' in a preprocessor expression";
        return std::nullopt;
    }
    uint64_t value = 0;
    for (size_t i = start; i < digits.size(); ++i) {
        char c = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[i])));
        int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                    : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                                                                : 99;
        if (digit >= base) {
            error = (c == '.' || c == 'e' || c == 'p')
                        ? "floating constant '" + text + "' in a preprocessor expression"
                        : "invalid integer constant '" + text + "' in a preprocessor expression";
            return std::nullopt;
        }
        value = value * uint64_t(base) + uint64_t(digit);
    }
    return Value{value, is_unsigned};
}

uint64_t parse_character(const std::string &text) {
    uint64_t value = 0;
    for (size_t i = 1; i + 1 < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 2 < text.size()) {
            char e = text[++i];
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case '0': c = '\0'; break;
            case 'a': c = '\a'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'v': c = '\v'; break;
            case 'x': {
                unsigned v = 0;
                while (i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])))
                    v = v * 16 + unsigned(std::stoi(std::string(1, text[++i]), nullptr, 16));
                c = static_cast<char>(v);
                break;
            }
            default: c = e; break;
            }
        }
        value = (value << 8) | static_cast<unsigned char>(c);
    }
    return value;
}

// Macro expansion of a condition: `defined` operands stay as written, __has_include is answered,
// object-like macros are replaced recursively. Returns false when the condition cannot be
// evaluated here (`unknown` says why).
class Expander {
public:
    Expander(const MacroTable &macros, const IncludeSearch &search, const std::string &current_dir)
        : m_macros(macros), m_search(search), m_current_dir(current_dir) {}

    bool expand(const std::vector<PPToken> &in, std::vector<PPToken> &out,
                std::set<std::string> &hidden, int depth, std::string &unknown) {
        if (depth > kMaxExpansionDepth) {
            unknown = "macros nest too deeply";
            return false;
        }
        for (size_t i = 0; i < in.size(); ++i) {
            const PPToken &t = in[i];
            if (t.kind != PPToken::ident) {
                out.push_back(t);
                continue;
            }
            bool call = i + 1 < in.size() && in[i + 1].text == "(";
            if (t.text == "defined") {
                out.push_back(t);
                // Copy the operand untouched: `X` or `( X )`.
                size_t n = call ? 3 : 1;
                for (size_t k = 1; k <= n && i + 1 < in.size(); ++k)
                    out.push_back(in[++i]);
                continue;
            }
            if ((t.text == "__has_include" || t.text == "__has_include_next") && call) {
                size_t close = i + 1;
                std::string name;
                while (++close < in.size() && in[close].text != ")")
                    name += in[close].text;
                if (close >= in.size()) {
                    unknown = "__has_include without ')'";
                    return false;
                }
                bool quoted = name.size() >= 2 && name.front() == '"' && name.back() == '"';
                bool angled = name.size() >= 2 && name.front() == '<' && name.back() == '>';
                if (!quoted && !angled) {
                    unknown = "__has_include of a macro";
                    return false;
                }
                bool found =
                    m_search.find(name.substr(1, name.size() - 2), quoted, m_current_dir).has_value();
                out.push_back({PPToken::number, found ? "1" : "0"});
                i = close;
                continue;
            }
            const Macro *macro = m_macros.find(t.text);
            if (macro == nullptr || hidden.count(t.text) > 0) {
                if (call && t.text.rfind("__has_", 0) == 0) {
                    unknown = "the compiler query " + t.text + "(…)";
                    return false;
                }
                out.push_back(t);
                continue;
            }
            if (macro->function_like) {
                if (call) {
                    unknown = "the function-like macro " + t.text + "(…)";
                    return false;
                }
                out.push_back(t);
                continue;
            }
            hidden.insert(t.text);
            bool ok = expand(tokenize(macro->body), out, hidden, depth + 1, unknown);
            hidden.erase(t.text);
            if (!ok)
                return false;
        }
        return true;
    }

private:
    const MacroTable &m_macros;
    const IncludeSearch &m_search;
    const std::string &m_current_dir;
};

// Precedence climbing over the expanded tokens.
class Evaluator {
public:
    Evaluator(const std::vector<PPToken> &tokens, const MacroTable &macros)
        : m_tokens(tokens), m_macros(macros) {}

    Result<Value> run() {
        Result<Value> v = conditional();
        if (!v)
            return v;
        if (m_pos < m_tokens.size())
            return failure("unexpected '" + m_tokens[m_pos].text + "' in a preprocessor expression");
        return v;
    }

private:
    const PPToken *peek() const { return m_pos < m_tokens.size() ? &m_tokens[m_pos] : nullptr; }
    bool accept(std::string_view punct) {
        if (peek() != nullptr && peek()->kind == PPToken::punct && peek()->text == punct) {
            ++m_pos;
            return true;
        }
        return false;
    }

    Result<Value> conditional() {
        Result<Value> c = binary(0);
        if (!c || !accept("?"))
            return c;
        Result<Value> a = conditional();
        if (!a)
            return a;
        if (!accept(":"))
            return failure("expected ':' in a preprocessor expression");
        Result<Value> b = conditional();
        if (!b)
            return b;
        return c.value().truthy() ? a : b;
    }

    static int precedence(std::string_view op) {
        static const std::pair<std::string_view, int> kTable[] = {
            {"||", 1}, {"&&", 2}, {"|", 3},  {"^", 4},  {"&", 5},  {"==", 6}, {"!=", 6},
            {"<", 7},  {">", 7},  {"<=", 7}, {">=", 7}, {"<<", 8}, {">>", 8}, {"+", 9},
            {"-", 9},  {"*", 10}, {"/", 10}, {"%", 10}};
        for (const auto &[name, level] : kTable)
            if (name == op)
                return level;
        return -1;
    }

    Result<Value> binary(int min_level) {
        Result<Value> left = unary();
        if (!left)
            return left;
        for (;;) {
            const PPToken *t = peek();
            int level = t != nullptr && t->kind == PPToken::punct ? precedence(t->text) : -1;
            if (level < 0 || level <= min_level - 1 || level < min_level)
                return left;
            std::string op = t->text;
            ++m_pos;
            Result<Value> right = binary(level + 1);
            if (!right)
                return right;
            Result<Value> combined = apply(op, left.value(), right.value());
            if (!combined)
                return combined;
            left = combined;
        }
    }

    static Result<Value> apply(const std::string &op, Value a, Value b) {
        bool u = a.is_unsigned || b.is_unsigned;
        auto boolean = [](bool v) { return signed_value(v ? 1 : 0); };
        if (op == "||")
            return boolean(a.truthy() || b.truthy());
        if (op == "&&")
            return boolean(a.truthy() && b.truthy());
        if (op == "|")
            return Value{a.bits | b.bits, u};
        if (op == "^")
            return Value{a.bits ^ b.bits, u};
        if (op == "&")
            return Value{a.bits & b.bits, u};
        if (op == "==")
            return boolean(a.bits == b.bits);
        if (op == "!=")
            return boolean(a.bits != b.bits);
        if (op == "<")
            return boolean(u ? a.bits < b.bits : a.as_signed() < b.as_signed());
        if (op == ">")
            return boolean(u ? a.bits > b.bits : a.as_signed() > b.as_signed());
        if (op == "<=")
            return boolean(u ? a.bits <= b.bits : a.as_signed() <= b.as_signed());
        if (op == ">=")
            return boolean(u ? a.bits >= b.bits : a.as_signed() >= b.as_signed());
        if (op == "<<")
            return Value{b.bits >= 64 ? 0 : a.bits << b.bits, a.is_unsigned};
        if (op == ">>") {
            if (b.bits >= 64)
                return Value{0, a.is_unsigned};
            return a.is_unsigned ? Value{a.bits >> b.bits, true}
                                 : signed_value(a.as_signed() >> b.bits);
        }
        if (op == "+")
            return Value{a.bits + b.bits, u};
        if (op == "-")
            return Value{a.bits - b.bits, u};
        if (op == "*")
            return Value{a.bits * b.bits, u};
        if (b.bits == 0)
            return failure("division by zero in a preprocessor expression");
        if (op == "/")
            return u ? Value{a.bits / b.bits, true} : signed_value(a.as_signed() / b.as_signed());
        return u ? Value{a.bits % b.bits, true} : signed_value(a.as_signed() % b.as_signed());
    }

    Result<Value> unary() {
        if (accept("!")) {
            Result<Value> v = unary();
            return v ? Result<Value>(signed_value(v.value().truthy() ? 0 : 1)) : v;
        }
        if (accept("~")) {
            Result<Value> v = unary();
            return v ? Result<Value>(Value{~v.value().bits, v.value().is_unsigned}) : v;
        }
        if (accept("-")) {
            Result<Value> v = unary();
            return v ? Result<Value>(Value{0 - v.value().bits, v.value().is_unsigned}) : v;
        }
        if (accept("+"))
            return unary();
        return primary();
    }

    Result<Value> primary() {
        const PPToken *t = peek();
        if (t == nullptr)
            return failure("a preprocessor expression ends too early");
        ++m_pos;
        if (t->kind == PPToken::punct && t->text == "(") {
            Result<Value> v = conditional();
            if (!v)
                return v;
            if (!accept(")"))
                return failure("expected ')' in a preprocessor expression");
            return v;
        }
        if (t->kind == PPToken::number) {
            std::string error;
            std::optional<Value> v = parse_number(t->text, error);
            if (!v)
                return failure(error);
            return *v;
        }
        if (t->kind == PPToken::character)
            return signed_value(static_cast<int64_t>(parse_character(t->text)));
        if (t->kind == PPToken::ident) {
            if (t->text == "defined") {
                bool paren = accept("(");
                const PPToken *name = peek();
                if (name == nullptr || name->kind != PPToken::ident)
                    return failure("'defined' needs a macro name");
                ++m_pos;
                if (paren && !accept(")"))
                    return failure("expected ')' after 'defined(" + name->text + "'");
                return signed_value(m_macros.find(name->text) != nullptr ? 1 : 0);
            }
            if (t->text == "true")
                return signed_value(1);
            return signed_value(0); // false, and every identifier that is not a macro
        }
        return failure("unexpected '" + t->text + "' in a preprocessor expression");
    }

    const std::vector<PPToken> &m_tokens;
    const MacroTable &m_macros;
    size_t m_pos = 0;
};

} // namespace

void MacroTable::apply_define(std::string_view rest) {
    size_t i = 0;
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t'))
        ++i;
    size_t start = i;
    while (i < rest.size() && is_ident_char(rest[i]))
        ++i;
    if (i == start)
        return;
    std::string name(rest.substr(start, i - start));
    Macro macro;
    if (i < rest.size() && rest[i] == '(') {
        macro.function_like = true;
        size_t close = rest.find(')', i);
        i = close == std::string_view::npos ? rest.size() : close + 1;
    }
    macro.body = std::string(rest.substr(i));
    m_macros[name] = std::move(macro);
}

void MacroTable::apply_undef(std::string_view rest) {
    std::string_view name = directive_name(rest);
    auto it = m_macros.find(name);
    if (it != m_macros.end())
        m_macros.erase(it);
}

void MacroTable::define_from_command_line(std::string_view definition) {
    size_t equals = definition.find('=');
    if (equals == std::string_view::npos) {
        apply_define(std::string(definition) + " 1");
        return;
    }
    std::string text(definition.substr(0, equals));
    text += ' ';
    text += definition.substr(equals + 1);
    apply_define(text);
}

const Macro *MacroTable::find(std::string_view name) const {
    auto it = m_macros.find(name);
    return it == m_macros.end() ? nullptr : &it->second;
}

std::optional<std::string> IncludeSearch::find(std::string_view name, bool quoted,
                                               const std::string &current_dir) const {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (quoted && !current_dir.empty()) {
        fs::path candidate = fs::path(current_dir) / name;
        if (fs::is_regular_file(candidate, ec))
            return candidate.string();
    }
    for (const std::string &dir : m_dirs) {
        fs::path candidate = fs::path(dir) / name;
        if (fs::is_regular_file(candidate, ec))
            return candidate.string();
    }
    return std::nullopt;
}

std::string_view directive_name(std::string_view rest) {
    for (const PPToken &t : tokenize(rest))
        if (t.kind == PPToken::ident)
            return rest.substr(rest.find(t.text), t.text.size());
    return {};
}

Result<Evaluation> evaluate_condition(std::string_view condition, const MacroTable &macros,
                                      const IncludeSearch &search,
                                      const std::string &current_dir) {
    std::vector<PPToken> expanded;
    std::set<std::string> hidden;
    std::string unknown;
    Expander expander(macros, search, current_dir);
    Evaluation result;
    if (!expander.expand(tokenize(condition), expanded, hidden, 0, unknown)) {
        result.unknown_because = unknown;
        return result;
    }
    if (expanded.empty())
        return failure("#if with no expression");
    Result<Value> value = Evaluator(expanded, macros).run();
    if (!value)
        return value.error();
    result.truth = value.value().truthy() ? Truth::yes : Truth::no;
    return result;
}

} // namespace netdext::iig
