// The SDK header scanner (see scanner.h).

#include "scanner.h"
#include "tokens.h"

#include <netdext/file_io.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <set>

namespace api_coverage {

const char *to_string(MemberKind kind) {
    switch (kind) {
    case MemberKind::dispatchable:
        return "dispatchable";
    case MemberKind::pure_virtual:
        return "pure virtual";
    case MemberKind::virtual_method:
        return "virtual";
    case MemberKind::static_method:
        return "static";
    case MemberKind::method:
        return "method";
    case MemberKind::constructor:
        return "constructor";
    case MemberKind::operator_method:
        return "operator";
    case MemberKind::class_glue:
        return "class glue";
    }
    return "?";
}

bool is_public_api_name(const std::string &name) {
    auto ends_with = [&](const std::string &suffix) {
        return name.size() >= suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return name.rfind("netdext_", 0) != 0 && !ends_with("_Impl") && name != "_Dispatch";
}

namespace {

// ---- the parser ------------------------------------------------------------------------------

class Parser {
public:
    Parser(std::vector<Token> tokens, std::string header, const Macros &macros)
        : m_tokens(std::move(tokens)), m_header(std::move(header)), m_macros(macros) {}

    bool run(Api &api, std::string &error) {
        bool ok = parse_scope(api);
        if (!ok)
            error = m_error;
        return ok;
    }

private:
    using Tokens = std::vector<Token>;

    const Token &at(size_t i) const {
        static const Token kEnd{"", TokenType::punct, 0, {}};
        return i < m_tokens.size() ? m_tokens[i] : kEnd;
    }
    bool is(size_t i, const char *text) const {
        return i < m_tokens.size() && m_tokens[i].text == text;
    }
    bool fail(size_t i, const std::string &what) {
        m_error = m_header + ":" + std::to_string(at(i).line) + ": " + what;
        return false;
    }

    // i at an opening bracket; returns the index after its match, or npos.
    size_t skip_balanced(size_t i) const {
        std::vector<char> stack;
        for (; i < m_tokens.size(); ++i) {
            const std::string &t = m_tokens[i].text;
            if (t == "(" || t == "[" || t == "{")
                stack.push_back(t[0]);
            else if (t == ")" || t == "]" || t == "}") {
                char open = t == ")" ? '(' : t == "]" ? '[' : '{';
                if (stack.empty() || stack.back() != open)
                    return std::string::npos;
                stack.pop_back();
                if (stack.empty())
                    return i + 1;
            }
        }
        return std::string::npos;
    }

    // i at "<" of a template parameter list; returns the index after the matching ">".
    size_t skip_angles(size_t i) const {
        int depth = 0;
        for (; i < m_tokens.size(); ++i) {
            if (m_tokens[i].text == "<")
                ++depth;
            else if (m_tokens[i].text == ">" && --depth == 0)
                return i + 1;
        }
        return std::string::npos;
    }

    // One declaration from i: its tokens without any body, and where it ends. A '{' at depth 0
    // after ')' or a function qualifier is a function body (the declaration ends after it);
    // any other '{' (a type body, brace initialiser) is skipped and the declaration goes on to
    // its ';'.
    struct Statement {
        Tokens tokens;
        size_t end = 0;
        bool ok = true;
    };
    Statement collect(size_t i) {
        static const std::set<std::string> kQualifiers = {
            ")", "const", "override", "final", "noexcept", "NETDEXT_UNSUPPORTED"};
        Statement s;
        int depth = 0;
        while (i < m_tokens.size()) {
            const Token &t = m_tokens[i];
            if (depth == 0 && t.text == ";") {
                s.end = i + 1;
                return s;
            }
            if (depth == 0 && t.text == "}") { // end of the enclosing scope: no ';'
                s.end = i;
                return s;
            }
            if (depth == 0 && t.text == "{") {
                size_t after = skip_balanced(i);
                if (after == std::string::npos) {
                    s.ok = fail(i, "unbalanced braces");
                    return s;
                }
                bool body = !s.tokens.empty() && kQualifiers.count(s.tokens.back().text) != 0;
                i = after;
                if (body) {
                    if (is(i, ";"))
                        ++i;
                    s.end = i;
                    return s;
                }
                continue;
            }
            if (t.text == "(" || t.text == "[")
                ++depth;
            else if (t.text == ")" || t.text == "]")
                --depth;
            s.tokens.push_back(t);
            ++i;
        }
        s.ok = fail(i, "declaration without an end");
        return s;
    }

    // Replaces the invocation of function-like macro `name` at i with its expansion.
    bool expand(size_t i) {
        const Macro &macro = m_macros.at(m_tokens[i].text);
        size_t close = skip_balanced(i + 1);
        if (close == std::string::npos)
            return fail(i, "unbalanced macro invocation");
        std::vector<Tokens> args(1);
        int depth = 0;
        for (size_t k = i + 2; k + 1 < close; ++k) {
            const std::string &t = m_tokens[k].text;
            if (t == "(" || t == "[" || t == "{")
                ++depth;
            if (t == ")" || t == "]" || t == "}")
                --depth;
            if (depth == 0 && t == ",")
                args.emplace_back();
            else
                args.back().push_back(m_tokens[k]);
        }
        if (args.size() == 1 && args[0].empty())
            args.clear();
        if (args.size() != macro.params.size())
            return fail(i, m_tokens[i].text + ": " + std::to_string(args.size()) +
                               " argument(s), expected " + std::to_string(macro.params.size()));
        std::string label = m_tokens[i].text + "(";
        for (size_t a = 0; a < args.size(); ++a)
            label += (a ? ", " : "") + join(args[a]);
        label += ")";
        const int line = m_tokens[i].line;
        Tokens body = tokenize(macro.body, line);
        Tokens out;
        for (size_t k = 0; k < body.size(); ++k) {
            auto param = std::find(macro.params.begin(), macro.params.end(), body[k].text);
            if (body[k].type == TokenType::ident && param != macro.params.end()) {
                for (Token arg : args[size_t(param - macro.params.begin())]) {
                    arg.line = line;
                    out.push_back(arg);
                }
            } else {
                out.push_back(body[k]);
            }
        }
        // Token pasting: a ## b → ab.
        Tokens pasted;
        for (size_t k = 0; k < out.size(); ++k) {
            if (out[k].text == "##" && !pasted.empty() && k + 1 < out.size()) {
                pasted.back().text += out[k + 1].text;
                pasted.back().type = TokenType::ident;
                ++k;
            } else {
                pasted.push_back(out[k]);
            }
        }
        for (Token &t : pasted) {
            t.line = line;
            t.origin = label; // the innermost invocation wins (nested ones are expanded later)
        }
        m_tokens.erase(m_tokens.begin() + long(i), m_tokens.begin() + long(close));
        m_tokens.insert(m_tokens.begin() + long(i), pasted.begin(), pasted.end());
        return true;
    }

    bool is_macro_call(size_t i) const {
        auto it = m_macros.find(at(i).text);
        return at(i).type == TokenType::ident && it != m_macros.end() && it->second.function_like &&
               is(i + 1, "(");
    }

    // Skips a type definition or elaborated declaration starting at i (class/struct/union/enum).
    size_t skip_type(size_t i) {
        Statement s = collect(i);
        return s.ok ? s.end : std::string::npos;
    }

    // Parses a function declaration; nullopt for anything else (data, destructors, deleted and
    // defaulted functions). `class_name` is empty at namespace scope.
    std::optional<Member> parse_function(const Tokens &in, const std::string &class_name) {
        Tokens tokens;
        for (size_t k = 0; k < in.size(); ++k) { // drop [[attributes]] and __attribute__((…))
            if (in[k].text == "[" && k + 1 < in.size() && in[k + 1].text == "[") {
                int depth = 0;
                for (; k < in.size(); ++k) {
                    depth += in[k].text == "[" ? 1 : in[k].text == "]" ? -1 : 0;
                    if (depth == 0)
                        break;
                }
                continue;
            }
            if (in[k].text == "__attribute__" || in[k].text == "__printflike" ||
                in[k].text == "API_AVAILABLE" || in[k].text == "API_DEPRECATED") {
                if (k + 1 < in.size() && in[k + 1].text == "(") {
                    int depth = 0;
                    for (++k; k < in.size(); ++k) {
                        depth += in[k].text == "(" ? 1 : in[k].text == ")" ? -1 : 0;
                        if (depth == 0)
                            break;
                    }
                }
                continue;
            }
            tokens.push_back(in[k]);
        }
        size_t open = 0;
        while (open < tokens.size() && tokens[open].text != "(")
            ++open;
        if (open == tokens.size() || open == 0)
            return std::nullopt;
        if (open + 1 < tokens.size() &&
            (tokens[open + 1].text == "*" || tokens[open + 1].text == "^" ||
             tokens[open + 1].text == "&"))
            return std::nullopt; // a function pointer or block variable
        size_t name_at = open - 1;
        std::string name = tokens[name_at].text;
        if (name_at >= 1 && tokens[name_at - 1].text == "operator") {
            name = "operator " + name;
            --name_at;
        } else if (name_at >= 1 && tokens[name_at - 1].text == "~") {
            return std::nullopt; // destructor
        } else if (tokens[name_at].type != TokenType::ident) {
            if (name_at >= 1 && tokens[name_at - 1].text == "operator") {
                name = "operator" + name;
                --name_at;
            } else {
                return std::nullopt;
            }
        }
        if (name_at >= 1 && tokens[name_at - 1].text == "::")
            return std::nullopt; // an out-of-line definition of a member
        // Parameters.
        int depth = 0;
        size_t close = open;
        for (; close < tokens.size(); ++close) {
            depth += tokens[close].text == "(" ? 1 : tokens[close].text == ")" ? -1 : 0;
            if (depth == 0)
                break;
        }
        if (close == tokens.size())
            return std::nullopt;
        std::vector<Tokens> params(1);
        depth = 0;
        for (size_t k = open + 1; k < close; ++k) {
            const std::string &t = tokens[k].text;
            if (t == "(" || t == "<" || t == "[" || t == "{")
                ++depth;
            if (t == ")" || t == ">" || t == "]" || t == "}")
                --depth;
            if (depth == 0 && t == ",")
                params.emplace_back();
            else
                params.back().push_back(tokens[k]);
        }
        if (params.size() == 1 && params[0].empty())
            params.clear();
        // Specifiers before the name, qualifiers after the parameters.
        bool is_virtual = false, is_static = false;
        Tokens result;
        for (size_t k = 0; k < name_at; ++k) {
            const std::string &t = tokens[k].text;
            if (t == "virtual")
                is_virtual = true;
            else if (t == "static")
                is_static = true;
            else if (t == "explicit" || t == "constexpr" || t == "inline" || t == "extern" ||
                     t == "friend")
                continue;
            else
                result.push_back(tokens[k]);
        }
        bool is_const = false, pure = false, unsupported = false;
        for (size_t k = close + 1; k < tokens.size(); ++k) {
            const std::string &t = tokens[k].text;
            if (t == "const")
                is_const = true;
            else if (t == "override" || t == "final")
                is_virtual = true;
            else if (t == "=" && k + 1 < tokens.size()) {
                const std::string &v = tokens[k + 1].text;
                if (v == "delete" || v == "default")
                    return std::nullopt;
                pure = v == "0";
            }
        }
        for (const Token &t : in)
            unsupported |= t.text == "NETDEXT_UNSUPPORTED";
        Member member;
        member.name = name;
        member.unsupported = unsupported;
        member.line = tokens[name_at].line;
        member.macro = tokens[name_at].origin;
        bool dispatchable = !params.empty() && !params.back().empty() &&
                            params.back().front().text == "OSDispatchMethod";
        if (dispatchable)
            params.pop_back();
        std::string signature = join(result);
        if (!signature.empty() && signature.back() != '*' && signature.back() != '&')
            signature += ' ';
        signature += name + "(";
        for (size_t p = 0; p < params.size(); ++p)
            signature += (p ? ", " : "") + join(params[p]);
        signature += ")";
        if (is_const)
            signature += " const";
        member.signature = signature;
        if (dispatchable)
            member.kind = MemberKind::dispatchable;
        else if (pure)
            member.kind = MemberKind::pure_virtual;
        else if (!class_name.empty() && name == class_name && result.empty())
            member.kind = MemberKind::constructor;
        else if (is_virtual)
            member.kind = MemberKind::virtual_method;
        else if (is_static)
            member.kind = MemberKind::static_method;
        else if (name.rfind("operator", 0) == 0)
            member.kind = MemberKind::operator_method;
        else
            member.kind = MemberKind::method;
        if (member.macro.rfind("NETDEXT_CLASS_MEMBERS(", 0) == 0)
            member.kind = MemberKind::class_glue;
        return member;
    }

    // i at "class"/"struct"; parses a definition, or skips a forward/elaborated declaration.
    bool parse_class(size_t &i, Api &api) {
        const Token &keyword = m_tokens[i];
        // Find the '{' or ';' that ends the head.
        size_t k = i + 1;
        while (k < m_tokens.size() && m_tokens[k].text != "{" && m_tokens[k].text != ";") {
            if (m_tokens[k].text == "(") {       // attribute arguments, or a function returning
                size_t after = skip_balanced(k); //   "struct X *" (not a definition)
                if (after == std::string::npos)
                    return fail(k, "unbalanced parentheses");
                k = after;
                continue;
            }
            ++k;
        }
        if (!is(k, "{")) {
            // Not a definition: a forward declaration, or a declaration using "struct X".
            Statement s = collect(i);
            if (!s.ok)
                return false;
            if (std::optional<Member> f = parse_function(s.tokens, ""))
                add_function(*f, api);
            i = s.end;
            return true;
        }
        Class cls;
        cls.keyword = keyword.text;
        cls.header = m_header;
        cls.line = keyword.line;
        size_t h = i + 1;
        while (h < k && (m_tokens[h].text == "__attribute__" || m_tokens[h].text == "alignas")) {
            h = skip_balanced(h + 1);
            if (h == std::string::npos)
                return fail(i, "unbalanced attribute");
        }
        if (h < k && m_tokens[h].type == TokenType::ident)
            cls.name = m_tokens[h++].text;
        if (is(h, "final"))
            ++h;
        if (is(h, ":")) {
            Tokens base;
            for (++h; h <= k; ++h) {
                if (h == k || m_tokens[h].text == ",") {
                    Tokens named;
                    for (const Token &t : base)
                        if (t.text != "public" && t.text != "protected" && t.text != "private" &&
                            t.text != "virtual")
                            named.push_back(t);
                    if (!named.empty())
                        cls.bases.push_back(join(named));
                    base.clear();
                } else {
                    base.push_back(m_tokens[h]);
                }
            }
        }
        bool is_public = cls.keyword != "class";
        size_t b = k + 1;
        while (b < m_tokens.size() && m_tokens[b].text != "}") {
            const Token &t = m_tokens[b];
            if ((t.text == "public" || t.text == "protected" || t.text == "private") &&
                is(b + 1, ":")) {
                is_public = t.text == "public";
                b += 2;
                continue;
            }
            if (t.text == ";") {
                ++b;
                continue;
            }
            if (is_macro_call(b)) {
                if (!expand(b))
                    return false;
                continue;
            }
            if (t.text == "template") {
                size_t after = skip_angles(b + 1);
                if (after == std::string::npos)
                    return fail(b, "unbalanced template parameters");
                b = after;
                continue;
            }
            if (t.text == "using" || t.text == "typedef" || t.text == "friend" ||
                t.text == "static_assert" || t.text == "class" || t.text == "struct" ||
                t.text == "union" || t.text == "enum") {
                size_t after = skip_type(b);
                if (after == std::string::npos)
                    return false;
                b = after;
                continue;
            }
            Statement s = collect(b);
            if (!s.ok)
                return false;
            if (is_public && cls.name.size() > 0)
                if (std::optional<Member> m = parse_function(s.tokens, cls.name))
                    if (is_public_api_name(m->name))
                        cls.members.push_back(*m);
            b = s.end;
        }
        if (b >= m_tokens.size())
            return fail(k, "class " + cls.name + " has no closing brace");
        i = b + 1;
        while (i < m_tokens.size() && m_tokens[i].text != ";") // "} name;" (a variable)
            ++i;
        ++i;
        // Structs are listed only when they have member functions (the rest are plain data).
        if (!cls.name.empty() && (cls.keyword == "class" || !cls.members.empty()))
            api.classes.push_back(std::move(cls));
        return true;
    }

    void add_function(const Member &m, Api &api) {
        if (!is_public_api_name(m.name) || m.kind == MemberKind::operator_method)
            return;
        api.functions.push_back(Function{m.name, m.signature, m_header, m.unsupported, m.line});
    }

    bool parse_scope(Api &api) {
        size_t i = 0;
        while (i < m_tokens.size()) {
            const Token &t = m_tokens[i];
            if (t.text == ";" || t.text == "}") { // "}" closes an extern "C" block
                ++i;
                continue;
            }
            if (t.text == "extern" && at(i + 1).type == TokenType::literal) {
                i += is(i + 2, "{") ? 3 : 2;
                continue;
            }
            if (t.text == "namespace") { // netdext's own namespaces: not Apple API
                size_t k = i;
                while (k < m_tokens.size() && m_tokens[k].text != "{" && m_tokens[k].text != ";")
                    ++k;
                if (is(k, ";")) {
                    i = k + 1;
                    continue;
                }
                size_t after = skip_balanced(k);
                if (after == std::string::npos)
                    return fail(i, "unbalanced namespace");
                i = after;
                continue;
            }
            if (t.text == "template") {
                size_t after = skip_angles(i + 1);
                if (after == std::string::npos)
                    return fail(i, "unbalanced template parameters");
                Statement s = collect(after); // templates at namespace scope: out-of-line
                if (!s.ok)                    // netdext definitions, skipped
                    return false;
                i = s.end;
                continue;
            }
            if (t.text == "class" || t.text == "struct") {
                if (!parse_class(i, api))
                    return false;
                continue;
            }
            if (t.text == "typedef" || t.text == "using" || t.text == "enum" || t.text == "union" ||
                t.text == "static_assert") {
                size_t after = skip_type(i);
                if (after == std::string::npos)
                    return false;
                i = after;
                continue;
            }
            Statement s = collect(i);
            if (!s.ok)
                return false;
            if (std::optional<Member> f = parse_function(s.tokens, ""))
                add_function(*f, api);
            i = std::max(s.end, i + 1);
        }
        return true;
    }

    Tokens m_tokens;
    std::string m_header;
    const Macros &m_macros;
    std::string m_error;
};

std::vector<std::filesystem::path> headers_in(const std::filesystem::path &dir) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".h")
            out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

void collect_macros(const std::string &source, Macros &macros) {
    remove_directives(source,
                      [&](const std::string &directive) { parse_define(directive, macros); });
}

bool scan_header(const std::string &source, const std::string &header, const Macros &macros,
                 Api &api, std::string &error) {
    std::string code = remove_directives(source, [](const std::string &) {});
    Parser parser(tokenize(code), header, macros);
    return parser.run(api, error);
}

bool scan_sdk(const std::string &include_dir, Api &api, std::string &error) {
    namespace fs = std::filesystem;
    const fs::path root(include_dir);
    std::vector<fs::path> headers;
    for (const char *dir : {"DriverKit", "NetworkingDriverKit", "USBDriverKit", "PCIDriverKit"}) {
        auto found = headers_in(root / dir);
        if (found.empty()) {
            error = (root / dir).string() + ": no headers";
            return false;
        }
        headers.insert(headers.end(), found.begin(), found.end());
    }
    Macros macros;
    std::vector<fs::path> macro_sources = headers_in(root / "netdext");
    macro_sources.insert(macro_sources.end(), headers.begin(), headers.end());
    for (const fs::path &path : macro_sources) {
        std::string text;
        if (!netdext::read_file(path.string(), text)) {
            error = path.string() + ": cannot read";
            return false;
        }
        collect_macros(text, macros);
    }
    for (const fs::path &path : headers) {
        std::string text;
        if (!netdext::read_file(path.string(), text)) {
            error = path.string() + ": cannot read";
            return false;
        }
        if (!scan_header(text, fs::relative(path, root).generic_string(), macros, api, error))
            return false;
    }
    return true;
}

} // namespace api_coverage
