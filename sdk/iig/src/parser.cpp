#include "parser.h"

#include <algorithm>
#include <set>
#include <span>

#include <netdext/method_id.h>

#include "conditionals.h"
#include "member_parser.h"

namespace netdext::iig {
namespace {

constexpr size_t npos = static_cast<size_t>(-1);

bool is_open(const Token &t) {
    return t.is_punct("(") || t.is_punct("[") || t.is_punct("{");
}
bool is_close(const Token &t) {
    return t.is_punct(")") || t.is_punct("]") || t.is_punct("}");
}

std::string quoted(std::string_view text) {
    return "'" + std::string(text.substr(0, 40)) + "'";
}

} // namespace

Parser::Parser(std::string_view source, const std::vector<Token> &tokens)
    : m_source(source), m_tokens(tokens) {
    for (const Token &t : tokens) {
        if (t.kind != TokenKind::comment)
            m_sig.push_back(&t);
    }
    if (m_sig.empty() || m_sig.back()->kind != TokenKind::end) {
        static const Token end_token;
        m_sig.push_back(&end_token);
    }
}

const Token &Parser::sig(size_t index) const {
    return *m_sig[std::min(index, m_sig.size() - 1)];
}

std::string Parser::rewrite_directive(std::string_view directive) {
    DirectiveParts parts = split_directive(directive);
    if (parts.keyword != "include" && parts.keyword != "import" && parts.keyword != "include_next")
        return std::string(directive);
    size_t rest_offset = directive.size() - parts.rest.size();
    size_t open = directive.find_first_not_of(" \t", rest_offset);
    if (open == std::string_view::npos || (directive[open] != '<' && directive[open] != '"'))
        return std::string(directive);
    char closer = directive[open] == '<' ? '>' : '"';
    size_t close = directive.find(closer, open + 1);
    if (close == std::string_view::npos)
        return std::string(directive);
    std::string_view path = directive.substr(open + 1, close - open - 1);
    constexpr std::string_view suffix = ".iig";
    if (path.size() <= suffix.size() || path.substr(path.size() - suffix.size()) != suffix)
        return std::string(directive);
    std::string out(directive.substr(0, close - suffix.size()));
    out += ".h";
    out += directive.substr(close);
    out += " /* .iig include */";
    return out;
}

Status Parser::collect_implementation(IigFile &file) const {
    constexpr std::string_view begin_marker = "@iig implementation";
    constexpr std::string_view end_marker = "@iig end";
    for (const Token &t : m_tokens) {
        if (t.kind != TokenKind::comment)
            continue;
        std::string_view text = t.text;
        size_t search = 0;
        while (true) {
            size_t begin = text.find(begin_marker, search);
            if (begin == std::string_view::npos)
                break;
            size_t end = text.find(end_marker, begin + begin_marker.size());
            if (end == std::string_view::npos)
                return make_error(t.location, "'@iig implementation' without '@iig end'");
            size_t content = text.find('\n', begin);
            size_t line_of_end = text.rfind('\n', end);
            if (content != std::string_view::npos && line_of_end != std::string_view::npos &&
                content < line_of_end)
                file.implementation += std::string(text.substr(content + 1, line_of_end - content));
            search = end + end_marker.size();
        }
    }
    return Status::success();
}

/* The closer that matches an opening bracket token. */
static std::string_view closer_of(const Token &open) {
    return open.is_punct("(") ? ")" : open.is_punct("[") ? "]" : "}";
}

/*
 * Index of the bracket closing the one at `open`, or npos at the end of input or at a closer of
 * the wrong kind (then `*mismatch`, if given, is the index of the opener left unclosed).
 */
static size_t match_bracket(const std::vector<const Token *> &sig, size_t open,
                            size_t *mismatch = nullptr) {
    std::vector<size_t> openers;
    for (size_t i = open; i < sig.size(); ++i) {
        const Token &t = *sig[i];
        if (t.kind == TokenKind::end)
            break;
        if (is_open(t)) {
            openers.push_back(i);
        } else if (is_close(t)) {
            if (openers.empty() || t.text != closer_of(*sig[openers.back()])) {
                if (mismatch != nullptr && !openers.empty())
                    *mismatch = openers.back();
                return npos;
            }
            openers.pop_back();
            if (openers.empty())
                return i;
        }
    }
    if (mismatch != nullptr && !openers.empty())
        *mismatch = openers.back();
    return npos;
}

bool Parser::starts_class_definition(size_t index) const {
    size_t j = index + 1;
    size_t words = 0;
    while (sig(j).kind == TokenKind::identifier) {
        ++words;
        if (sig(j + 1).is_punct("(")) {
            size_t close = match_bracket(m_sig, j + 1);
            if (close == npos)
                return false;
            j = close + 1;
        } else {
            ++j;
        }
    }
    return words > 0 && (sig(j).is_punct(":") || sig(j).is_punct("{"));
}

Result<IigFile> Parser::parse() {
    IigFile file;
    IIG_TRY(collect_implementation(file));
    std::string text;
    size_t copied = 0;
    size_t depth = 0;
    bool statement_start = true;
    size_t i = 0;
    while (sig(i).kind != TokenKind::end) {
        const Token &t = sig(i);
        if (t.kind == TokenKind::directive) {
            text.append(m_source.substr(copied, t.offset - copied));
            text += rewrite_directive(t.text);
            copied = t.end_offset();
            ++i;
            continue;
        }
        if (depth == 0 && statement_start && t.is_identifier("class") &&
            starts_class_definition(i)) {
            text.append(m_source.substr(copied, t.offset - copied));
            if (!text.empty())
                file.chunks.push_back({std::move(text), -1});
            text.clear();
            IIG_TRY(parse_class(i, file));
            copied = sig(i - 1).end_offset();
            file.chunks.push_back({std::string(), static_cast<int>(file.classes.size() - 1)});
            statement_start = true;
            continue;
        }
        if (t.is_punct("{"))
            ++depth;
        else if (t.is_punct("}") && depth > 0)
            --depth;
        statement_start = t.is_punct(";") || t.is_punct("{") || t.is_punct("}");
        ++i;
    }
    text.append(m_source.substr(std::min(copied, m_source.size())));
    if (!text.empty())
        file.chunks.push_back({std::move(text), -1});
    return file;
}

Status Parser::parse_class(size_t &index, IigFile &file) {
    ClassDecl decl;
    size_t begin_offset = sig(index).offset;
    IIG_TRY(parse_class_head(index, decl));
    IIG_TRY(parse_class_body(index, decl));
    decl.original_text =
        std::string(m_source.substr(begin_offset, sig(index - 1).end_offset() - begin_offset));
    IIG_TRY(check_class(decl));
    for (const Method &m : decl.methods) {
        if (!m.queue_name.empty() && m.is_local_only)
            file.warnings.push_back(make_error(
                m.location, "QUEUENAME has no effect on LOCALONLY method '" + m.name + "'"));
    }
    file.classes.push_back(std::move(decl));
    return Status::success();
}

Status Parser::parse_class_head(size_t &index, ClassDecl &decl) {
    size_t j = index + 1;
    std::vector<const Token *> words;
    while (sig(j).kind == TokenKind::identifier) {
        words.push_back(&sig(j));
        if (sig(j + 1).is_punct("(")) {
            size_t close = match_bracket(m_sig, j + 1);
            if (close == npos)
                return make_error(sig(j + 1).location, "expected ')'");
            j = close + 1;
        } else {
            ++j;
        }
    }
    if (words.size() >= 2 && words.back()->is_identifier("final")) {
        decl.is_final = true;
        words.pop_back();
    }
    const Token &name = *words.back();
    decl.name = std::string(name.text);
    decl.location = name.location;
    if (sig(j).is_punct("{"))
        return make_error(name.location, "class '" + decl.name +
                                             "' has no base class; a DriverKit class derives "
                                             "from OSObject or one of its subclasses");
    ++j; // ':'
    if (sig(j).is_identifier("virtual"))
        ++j;
    if (sig(j).is_identifier("private") || sig(j).is_identifier("protected"))
        return make_error(sig(j).location, "the base class of '" + decl.name + "' must be public");
    if (!sig(j).is_identifier("public"))
        return make_error(sig(j).location,
                          "expected 'public' before the base class of '" + decl.name + "'");
    ++j;
    if (sig(j).is_identifier("virtual"))
        ++j;
    if (sig(j).kind != TokenKind::identifier)
        return make_error(sig(j).location,
                          "expected the name of the base class of '" + decl.name + "'");
    decl.base = std::string(sig(j).text);
    ++j;
    if (sig(j).is_punct(","))
        return make_error(sig(j).location, "class '" + decl.name +
                                               "' has more than one base class; a DriverKit "
                                               "class has exactly one");
    if (!sig(j).is_punct("{"))
        return make_error(sig(j).location, "expected '{' after the base class of '" + decl.name +
                                               "', found " + quoted(sig(j).text));
    if (decl.base == decl.name)
        return make_error(name.location, "class '" + decl.name + "' cannot derive from itself");
    index = j;
    return Status::success();
}

Result<size_t> Parser::find_member_end(size_t begin, const ClassDecl &decl) const {
    const Token &first = sig(begin);
    bool type_with_declarator = first.is_identifier("struct") || first.is_identifier("enum") ||
                                first.is_identifier("union") || first.is_identifier("class") ||
                                first.is_identifier("typedef");
    for (size_t j = begin;; ++j) {
        const Token &t = sig(j);
        if (t.kind == TokenKind::end)
            return make_error(t.location, "unexpected end of file in class '" + decl.name +
                                              "' (missing '};'?)");
        if (t.kind == TokenKind::directive)
            return make_error(t.location, "preprocessor line inside a member declaration");
        if (t.is_punct(";"))
            return j;
        if (t.is_punct("}"))
            return make_error(t.location, "expected ';' after member declaration");
        if (is_close(t))
            return make_error(t.location, "unbalanced " + quoted(t.text));
        if (is_open(t)) {
            size_t mismatch = npos;
            size_t close = match_bracket(m_sig, j, &mismatch);
            if (close == npos) {
                const Token &opener = sig(mismatch == npos ? j : mismatch);
                return make_error(opener.location, "expected '" + std::string(closer_of(opener)) +
                                                       "' to match this '" +
                                                       std::string(opener.text) + "'");
            }
            if (t.is_punct("{")) {
                if (sig(close + 1).is_punct(";"))
                    return close + 1;
                if (!type_with_declarator)
                    return close; // a function body
            }
            j = close;
        }
    }
}

Status Parser::parse_class_body(size_t &index, ClassDecl &decl) {
    ++index; // '{'
    Access access = Access::private_;
    std::vector<SourceLocation> conditionals; // open #if lines inside the body
    while (true) {
        const Token &t = sig(index);
        if (t.kind == TokenKind::end)
            return make_error(t.location, "unexpected end of file in class '" + decl.name +
                                              "' (missing '};'?)");
        if (t.is_punct("}")) {
            if (!sig(index + 1).is_punct(";"))
                return make_error(sig(index + 1).location,
                                  "expected ';' after the definition of class '" + decl.name + "'");
            index += 2;
            break;
        }
        if (t.kind == TokenKind::directive) {
            std::string_view kw = split_directive(t.text).keyword;
            if (kw == "if" || kw == "ifdef" || kw == "ifndef") {
                conditionals.push_back(t.location);
            } else if (kw == "endif") {
                if (conditionals.empty())
                    return make_error(t.location,
                                      "#endif without #if in class '" + decl.name + "'");
                conditionals.pop_back();
            } else if ((kw == "else" || kw == "elif") && conditionals.empty()) {
                return make_error(t.location, "#" + std::string(kw) + " without #if in class '" +
                                                  decl.name + "'");
            }
            decl.passthrough.push_back({access, std::string(t.text)});
            ++index;
            continue;
        }
        if (t.is_punct(";")) {
            ++index;
            continue;
        }
        if ((t.is_identifier("public") || t.is_identifier("protected") ||
             t.is_identifier("private")) &&
            sig(index + 1).is_punct(":")) {
            access = t.is_identifier("public")      ? Access::public_
                     : t.is_identifier("protected") ? Access::protected_
                                                    : Access::private_;
            index += 2;
            continue;
        }
        Result<size_t> end = find_member_end(index, decl);
        if (!end)
            return end.error();
        std::span<const Token *const> member(m_sig.data() + index, end.value() - index + 1);
        MemberParser parser(member, access);
        Result<std::optional<Method>> parsed = parser.parse();
        if (!parsed)
            return parsed.error();
        if (parsed.value().has_value()) {
            if (!conditionals.empty())
                return make_error(parsed.value()->location,
                                  "method '" + parsed.value()->name +
                                      "' is inside a conditional that netdext-iig cannot "
                                      "evaluate (see the warning); give iig the macros it "
                                      "uses with -D, -I or -imacros");
            decl.methods.push_back(std::move(*parsed.value()));
        } else {
            const Token &last = sig(end.value());
            decl.passthrough.push_back(
                {access, std::string(m_source.substr(t.offset, last.end_offset() - t.offset))});
        }
        index = end.value() + 1;
    }
    if (!conditionals.empty())
        return make_error(conditionals.back(),
                          "unterminated conditional in the body of class '" + decl.name + "'");
    return Status::success();
}

Status Parser::check_class(const ClassDecl &decl) const {
    // Method IDs are name hashes: two dispatchable names must not collide.
    std::set<std::string> names;
    for (const Method &m : decl.methods) {
        if (m.is_dispatchable())
            names.insert(m.name);
    }
    std::set<uint64_t> ids;
    for (const std::string &name : names) {
        if (!ids.insert(netdext::method_id(name.c_str())).second)
            return make_error(decl.location, "method ID of '" + name +
                                                 "' collides with another method of class '" +
                                                 decl.name + "'; rename one of them");
    }
    std::set<std::string> actions;
    for (const Method &m : decl.methods) {
        if (m.is_type() && !actions.insert(m.name).second)
            return make_error(m.location, "TYPE method '" + m.name +
                                              "' is declared twice; CreateAction" + m.name +
                                              " must be unique");
    }
    for (const Method &m : decl.methods) {
        if (m.name == "Dispatch" || m.name == "_Dispatch" || m.name == "getMetaClass" ||
            m.name == "sGetMetaClass")
            return make_error(m.location, "'" + m.name + "' is generated by netdext-iig");
    }
    return Status::success();
}

} // namespace netdext::iig
