#include "member_parser.h"

#include <algorithm>
#include <string>

#include "token_text.h"

namespace netdext::iig {
namespace {

constexpr size_t npos = static_cast<size_t>(-1);

bool is_one_of(std::string_view word, std::initializer_list<std::string_view> words) {
    return std::find(words.begin(), words.end(), word) != words.end();
}

/* Identifiers that take a parenthesised argument but never name a method. */
bool is_attribute_macro(std::string_view word) {
    return is_one_of(word, {"__attribute__",
                            "__declspec",
                            "alignas",
                            "decltype",
                            "typeof",
                            "__typeof__",
                            "sizeof",
                            "noexcept",
                            "throw",
                            "API_AVAILABLE",
                            "API_DEPRECATED",
                            "API_DEPRECATED_WITH_REPLACEMENT",
                            "API_UNAVAILABLE",
                            "__API_AVAILABLE",
                            "__API_DEPRECATED",
                            "__API_UNAVAILABLE",
                            "__DRIVERKIT_AVAILABLE",
                            "__OSX_AVAILABLE",
                            "__IOS_AVAILABLE",
                            "__TVOS_AVAILABLE",
                            "__WATCHOS_AVAILABLE",
                            "__deprecated_msg",
                            "__printflike",
                            "EXTENDS",
                            "TYPE",
                            "QUEUENAME"});
}

/* Member declarations that are never methods, by their first word. */
bool starts_non_method(std::string_view word) {
    return is_one_of(word, {"typedef", "using", "enum", "struct", "union", "class", "friend",
                            "static_assert", "template", "namespace"});
}

bool is_builtin_type(std::string_view word) {
    return is_one_of(word,
                     {"void", "bool", "char", "wchar_t", "char8_t", "char16_t", "char32_t", "short",
                      "int", "long", "signed", "unsigned", "float", "double", "auto"});
}

/* Words of a parameter that are not its type proper. */
bool is_type_qualifier(std::string_view word) {
    return is_one_of(word, {"const", "volatile", "struct", "class", "enum", "union", "typename",
                            "restrict", "__restrict", "__restrict__"});
}

/*
 * Annotations that may follow a parameter (`OSAction *action TYPE(DataAvailable)`), and the
 * attribute-like macros that expand to nothing here; none is part of the parameter's text.
 */
bool is_parameter_annotation(std::string_view word) {
    return is_one_of(word, {"TARGET", "TYPE", "PORTMAKESEND", "PORTCOPYSEND", "DRIVERKIT_CONSUMED",
                            "DRIVERKIT_RETURNS_RETAINED", "DRIVERKIT_RETURNS_NOT_RETAINED",
                            "__unused", "__attribute__"});
}

bool is_open(const Token &t) {
    return t.is_punct("(") || t.is_punct("[") || t.is_punct("{");
}
bool is_close(const Token &t) {
    return t.is_punct(")") || t.is_punct("]") || t.is_punct("}");
}

std::string describe(const Token &t) {
    if (t.kind == TokenKind::end)
        return "end of file";
    std::string text(t.text.substr(0, 40));
    return "'" + text + "'";
}

} // namespace

bool MemberParser::is_method_annotation(std::string_view word) {
    return is_one_of(word, {"LOCAL", "LOCALONLY", "LOCALHOST", "REMOTE", "INVOKEREPLY", "REPLY",
                            "TARGET", "PORTMAKESEND", "PORTCOPYSEND", "KERNEL", "NATIVE", "TYPE",
                            "QUEUENAME", "IIG_SERIALIZABLE", "IIG_CONCRETE"});
}

const Token &MemberParser::at(size_t index) const {
    return *m_tokens[std::min(index, m_tokens.size() - 1)];
}

size_t MemberParser::matching_close(size_t open, size_t limit) const {
    size_t depth = 0;
    for (size_t i = open; i < limit; ++i) {
        const Token &t = at(i);
        if (is_open(t)) {
            ++depth;
        } else if (is_close(t)) {
            if (depth == 0)
                return npos;
            if (--depth == 0)
                return i;
        }
    }
    return npos;
}

/* The index of the method name (the identifier before the parameter list), or npos. */
size_t MemberParser::find_name(size_t limit) const {
    size_t depth = 0;
    for (size_t i = 0; i < limit; ++i) {
        const Token &t = at(i);
        if (t.is_punct("(") && depth == 0 && i > 0) {
            const Token &prev = at(i - 1);
            if (prev.kind == TokenKind::identifier && !is_attribute_macro(prev.text) &&
                !is_builtin_type(prev.text)) {
                const Token &next = at(i + 1);
                if (next.is_punct("*") || next.is_punct("^") || next.is_punct("&") ||
                    next.is_punct("&&"))
                    return npos; // a function-pointer or block field
                if (i >= 2 && at(i - 2).is_identifier("operator"))
                    return npos;
                return i - 1;
            }
        }
        if (depth == 0 && (t.is_punct("=") || t.is_punct("{") || t.is_punct(":")))
            return npos; // a field with an initializer, a nested type, a bit-field
        if (is_open(t))
            ++depth;
        else if (is_close(t) && depth > 0)
            --depth;
    }
    return npos;
}

Result<std::optional<Method>> MemberParser::parse() {
    if (m_tokens.empty())
        return std::optional<Method>();
    const Token &first = at(0);
    if (first.kind == TokenKind::identifier && starts_non_method(first.text))
        return std::optional<Method>();
    size_t end = size();
    if (at(end - 1).is_punct(";"))
        --end;
    size_t name_index = find_name(end);
    if (name_index == npos)
        return std::optional<Method>();
    if (name_index > 0 && at(name_index - 1).is_punct("~"))
        return make_error(at(name_index).location,
                          "a DriverKit class has no destructor; release resources in free()");

    Method method;
    method.name = std::string(at(name_index).text);
    method.location = at(name_index).location;
    method.access = m_access;
    IIG_TRY(parse_specifiers(name_index, method));
    if (method.return_type.empty())
        return std::optional<Method>(); // a constructor or a macro invocation: copy it

    size_t open = name_index + 1;
    size_t close = matching_close(open, end);
    if (close == npos)
        return make_error(at(open).location,
                          "expected ')' to close the parameter list of '" + method.name + "'");
    IIG_TRY(parse_parameters(open + 1, close, method));
    bool has_body = false;
    IIG_TRY(parse_tail(close + 1, end, method, has_body));

    // LOCALONLY is implied for what can never be a remote call.
    if (method.is_static || method.name == "init" || method.name == "free")
        method.is_local_only = true;
    // NetworkingDriverKit 2.x overrides (setInterfaceEnable, …) are LOCALONLY in Apple's headers;
    // every dispatchable DriverKit method starts with an upper-case letter.
    if (method.is_override && method.name[0] >= 'a' && method.name[0] <= 'z')
        method.is_local_only = true;
    // The upper-case LOCALONLY methods of Apple's classes that drivers override: the override
    // is a plain C++ method (MyUserClient::ExternalMethod), not an _Impl.
    if (method.is_override && method.name == "ExternalMethod")
        method.is_local_only = true;
    if (has_body && !method.is_local_only)
        return make_error(method.location, "method '" + method.name +
                                               "' has a body; only LOCALONLY methods may be "
                                               "defined in an .iig");
    IIG_TRY(check(method));
    if (method.is_local_only)
        method.plain_declaration = plain_declaration(method, close, size());
    return std::optional<Method>(std::move(method));
}

Status MemberParser::parse_specifiers(size_t name_index, Method &method) {
    TokenText return_type;
    for (size_t i = 0; i < name_index; ++i) {
        const Token &t = at(i);
        if (t.is_identifier("virtual")) {
            method.is_virtual = true;
        } else if (t.is_identifier("static")) {
            method.is_static = true;
        } else if (t.is_identifier("inline") || t.is_identifier("explicit") ||
                   t.is_identifier("constexpr")) {
            // kept in a LOCALONLY declaration, meaningless for a dispatchable one
        } else if (t.kind == TokenKind::identifier && is_method_annotation(t.text)) {
            IIG_TRY(parse_annotation(i, name_index, method));
        } else {
            if (t.kind == TokenKind::directive)
                return make_error(t.location, "preprocessor line inside a declaration");
            return_type.append(t);
        }
    }
    method.return_type = return_type.str();
    return Status::success();
}

/* At `index` an annotation word; consumes its argument, if any, and marks it removed. */
Status MemberParser::parse_annotation(size_t &index, size_t limit, Method &method) {
    const Token &word = at(index);
    m_keep[index] = false;
    bool takes_argument = word.is_identifier("TYPE") || word.is_identifier("QUEUENAME");
    if (!takes_argument) {
        if (word.is_identifier("LOCALONLY"))
            method.is_local_only = true;
        return Status::success();
    }
    if (!at(index + 1).is_punct("("))
        return make_error(word.location, "expected '(' after " + std::string(word.text));
    size_t close = matching_close(index + 1, limit);
    if (close == npos)
        return make_error(at(index + 1).location,
                          "expected ')' after the argument of " + std::string(word.text));
    std::vector<const Token *> args;
    for (size_t i = index + 1; i <= close; ++i) {
        m_keep[i] = false;
        if (i > index + 1 && i < close)
            args.push_back(&at(i));
    }
    if (word.is_identifier("QUEUENAME")) {
        if (args.size() != 1 ||
            (args[0]->kind != TokenKind::identifier && args[0]->kind != TokenKind::string))
            return make_error(at(index + 1).location,
                              "QUEUENAME takes one queue name, e.g. QUEUENAME(Poll)");
        std::string_view name = args[0]->text;
        if (args[0]->kind == TokenKind::string) {
            if (name.size() < 2 || name.front() != '"')
                return make_error(args[0]->location, "QUEUENAME takes a plain string literal");
            name = name.substr(1, name.size() - 2);
        }
        if (name.empty() || name.find_first_of("\\\"") != std::string_view::npos)
            return make_error(args[0]->location, "invalid queue name in QUEUENAME");
        method.queue_name = std::string(name);
    } else {
        // TYPE(Class::Method) or TYPE(Method)
        bool qualified = args.size() == 3 && args[0]->kind == TokenKind::identifier &&
                         args[1]->is_punct("::") && args[2]->kind == TokenKind::identifier;
        bool plain = args.size() == 1 && args[0]->kind == TokenKind::identifier;
        if (!qualified && !plain)
            return make_error(at(index + 1).location,
                              "TYPE takes the method whose signature this one implements, e.g. "
                              "TYPE(IOTimerDispatchSource::TimerOccurred)");
        method.type_class = qualified ? std::string(args[0]->text) : std::string();
        method.type_method = std::string(args.back()->text);
    }
    index = close;
    return Status::success();
}

Status MemberParser::parse_parameters(size_t begin, size_t end, Method &method) {
    if (begin == end)
        return Status::success();
    if (end - begin == 1 && at(begin).is_identifier("void"))
        return Status::success();
    m_parameter_words.clear();
    for (size_t i = begin; i < end; ++i) {
        if (at(i).kind == TokenKind::identifier)
            m_parameter_words.push_back(at(i).text);
    }
    size_t depth = 0;
    size_t start = begin;
    for (size_t i = begin; i <= end; ++i) {
        const Token &t = at(i);
        if (i == end || (depth == 0 && t.is_punct(","))) {
            if (start == i)
                return make_error(t.location, "expected a parameter declaration");
            Parameter parameter;
            IIG_TRY(parse_parameter(start, i, method.parameters.size(), parameter));
            method.parameters.push_back(std::move(parameter));
            start = i + 1;
            continue;
        }
        if (t.kind == TokenKind::directive)
            return make_error(t.location, "preprocessor line inside a parameter list");
        if (is_open(t) || t.is_punct("<"))
            ++depth;
        else if ((is_close(t) || t.is_punct(">")) && depth > 0)
            --depth;
    }
    return Status::success();
}

Status MemberParser::parse_parameter(size_t begin, size_t end, size_t position,
                                     Parameter &parameter) {
    // The parameter's tokens without annotations, then split off a default argument.
    std::vector<size_t> decl;
    std::vector<size_t> default_value;
    bool in_default = false;
    size_t depth = 0;
    for (size_t i = begin; i < end; ++i) {
        const Token &t = at(i);
        if (t.kind == TokenKind::identifier && is_parameter_annotation(t.text) && !in_default) {
            m_keep[i] = false;
            if ((t.is_identifier("TYPE") || t.is_identifier("__attribute__")) &&
                at(i + 1).is_punct("(")) {
                size_t close = matching_close(i + 1, end);
                if (close == npos)
                    return make_error(at(i + 1).location,
                                      "expected ')' after the argument of " + std::string(t.text));
                for (size_t k = i + 1; k <= close; ++k)
                    m_keep[k] = false;
                i = close;
            }
            continue;
        }
        if (t.is_punct("..."))
            return make_error(t.location, "variadic methods are not supported in an .iig");
        if (depth == 0 && t.is_punct("=") && !in_default) {
            in_default = true;
            continue;
        }
        if (is_open(t) || t.is_punct("<"))
            ++depth;
        else if ((is_close(t) || t.is_punct(">")) && depth > 0)
            --depth;
        (in_default ? default_value : decl).push_back(i);
    }
    if (decl.empty())
        return make_error(at(begin).location, "expected a parameter declaration");
    if (in_default && default_value.empty())
        return make_error(at(end).location, "expected a default argument after '='");

    // Where the name is, or where an invented one goes.
    size_t name_at = npos;   // index into decl of the name
    size_t insert_at = npos; // index into decl before which a name is inserted
    auto group =
        std::find_if(decl.begin(), decl.end(), [this](size_t i) { return at(i).is_punct("("); });
    if (group != decl.end() && group + 1 != decl.end() &&
        (at(*(group + 1)).is_punct("*") || at(*(group + 1)).is_punct("^") ||
         at(*(group + 1)).is_punct("&"))) {
        // A function pointer or block: `void (*callback)(int)`.
        size_t k = static_cast<size_t>(group - decl.begin()) + 1;
        while (k < decl.size() &&
               (at(decl[k]).is_punct("*") || at(decl[k]).is_punct("^") ||
                at(decl[k]).is_punct("&") || at(decl[k]).is_identifier("const") ||
                at(decl[k]).is_identifier("volatile")))
            ++k;
        if (k < decl.size() && at(decl[k]).kind == TokenKind::identifier)
            name_at = k;
        else
            insert_at = k;
    } else {
        size_t e = decl.size();
        while (e > 0 && at(decl[e - 1]).is_punct("]")) {
            size_t nesting = 0;
            size_t k = e;
            while (k > 0) {
                --k;
                if (at(decl[k]).is_punct("]"))
                    ++nesting;
                else if (at(decl[k]).is_punct("[") && --nesting == 0)
                    break;
            }
            if (nesting != 0)
                return make_error(at(decl[e - 1]).location, "unbalanced '[' in a parameter");
            e = k;
        }
        if (e == 0)
            return make_error(at(begin).location, "expected a parameter type");
        const Token &last = at(decl[e - 1]);
        bool has_type_before = false;
        for (size_t k = 0; k + 1 < e; ++k) {
            const Token &t = at(decl[k]);
            if (!(t.kind == TokenKind::identifier && is_type_qualifier(t.text)))
                has_type_before = true;
        }
        bool named = last.kind == TokenKind::identifier && !is_builtin_type(last.text) &&
                     !is_type_qualifier(last.text) && has_type_before &&
                     !at(decl[e - 2]).is_punct("::");
        if (named)
            name_at = e - 1;
        else
            insert_at = e;
    }

    std::string invented;
    if (name_at == npos) {
        invented = "arg" + std::to_string(position);
        while (std::find(m_parameter_words.begin(), m_parameter_words.end(), invented) !=
               m_parameter_words.end())
            invented += '_';
    }
    TokenText declaration;
    TokenText type;
    for (size_t k = 0; k <= decl.size(); ++k) {
        if (k == insert_at)
            declaration.append_text(invented);
        if (k == decl.size())
            break;
        declaration.append(at(decl[k]));
        if (k != name_at)
            type.append(at(decl[k]));
    }
    TokenText value;
    for (size_t i : default_value)
        value.append(at(i));
    parameter.declaration = declaration.str();
    parameter.type = type.str();
    parameter.name = name_at == npos ? invented : std::string(at(decl[name_at]).text);
    parameter.default_value = value.str();
    return Status::success();
}

Status MemberParser::parse_tail(size_t begin, size_t end, Method &method, bool &has_body) {
    for (size_t i = begin; i < end; ++i) {
        const Token &t = at(i);
        if (t.is_identifier("const")) {
            m_is_const = true;
        } else if (t.is_identifier("volatile") || t.is_punct("&") || t.is_punct("&&")) {
            // kept as written
        } else if (t.is_identifier("final")) {
            // Kept as written. A `final` virtual in an .iig overrides its base's (Apple's iig
            // sees that through Clang; a new method made final at once has no use), so it is an
            // override: `virtual kern_return_t Start(IOService *) final;` gets Start_Impl, not a
            // new Start entry point that hides IOService's.
            method.is_override = true;
        } else if (t.is_identifier("noexcept") || t.is_identifier("throw")) {
            if (at(i + 1).is_punct("(")) {
                size_t close = matching_close(i + 1, end);
                if (close == npos)
                    return make_error(at(i + 1).location, "expected ')'");
                i = close;
            }
        } else if (t.is_identifier("override")) {
            method.is_override = true;
        } else if (t.is_punct("=")) {
            const Token &value = at(i + 1);
            if (value.kind == TokenKind::number && value.text == "0") {
                method.is_pure = true;
            } else if (value.is_identifier("default") || value.is_identifier("delete")) {
                method.is_local_only = true;
            } else {
                return make_error(value.location, "expected '0' after '=' in the declaration of '" +
                                                      method.name + "'");
            }
            ++i;
        } else if (t.is_punct("{")) {
            size_t close = matching_close(i, size());
            if (close == npos || close + 1 != size())
                return make_error(t.location, "malformed body of method '" + method.name + "'");
            for (size_t k = i; k < close; ++k) {
                const Token &b = at(k);
                if (b.kind == TokenKind::string && b.text.find('\n') != std::string_view::npos)
                    return make_error(b.location, "multi-line raw string in an .iig method body");
            }
            has_body = true;
            return Status::success();
        } else if (t.is_punct("->")) {
            return make_error(t.location, "trailing return types are not supported in an .iig");
        } else if (t.kind == TokenKind::identifier) {
            if (is_method_annotation(t.text)) {
                IIG_TRY(parse_annotation(i, end, method));
            } else if (at(i + 1).is_punct("(")) {
                // An attribute-like macro (API_AVAILABLE(…), __attribute__((…))): kept as written.
                size_t close = matching_close(i + 1, end);
                if (close == npos)
                    return make_error(at(i + 1).location, "expected ')'");
                i = close;
            }
        } else if (t.kind == TokenKind::directive) {
            return make_error(t.location, "preprocessor line inside a declaration");
        } else {
            return make_error(t.location, "unexpected " + describe(t) +
                                              " after the parameter list of '" + method.name + "'");
        }
    }
    return Status::success();
}

Status MemberParser::check(const Method &method) const {
    if (method.is_type()) {
        if (method.is_local_only)
            return make_error(method.location, "TYPE method '" + method.name +
                                                   "' cannot be LOCALONLY, static, or a "
                                                   "lower-case NDK override");
        if (method.is_override)
            return make_error(method.location,
                              "TYPE method '" + method.name + "' cannot be an override");
    }
    if (method.is_dispatchable() && m_is_const)
        return make_error(method.location, "dispatchable method '" + method.name +
                                               "' cannot be const (make it LOCALONLY)");
    return Status::success();
}

std::string MemberParser::plain_declaration(const Method &method, size_t close_paren,
                                            size_t end) const {
    // init()/free() always override OSObject's; say so, as Apple's iig does.
    bool add_override = !method.is_override && !method.is_static &&
                        (method.name == "init" || method.name == "free") &&
                        method.parameters.empty();
    TokenText text;
    for (size_t i = 0; i < end; ++i) {
        if (at(i).is_punct(";") && i + 1 == end)
            break;
        if (m_keep[i])
            text.append(at(i));
        if (i == close_paren && add_override)
            text.append_text("override");
    }
    return text.str();
}

} // namespace netdext::iig
