/*
 * member_parser.h — reads one member declaration of a class body.
 *
 * The class parser cuts the body into members (each ends with its ';' or with a function body's
 * '}'); MemberParser decides whether the member is a method and, if so, reads its specifiers,
 * return type, parameters, qualifiers and DriverKit annotations:
 *
 *     virtual void Tick(OSAction *action, uint64_t when) TYPE(IOTimerDispatchSource::TimerOccurred)
 *         QUEUENAME(Poll);
 *
 * Anything that is not a method (types, fields, friends, function-pointer fields) is reported as
 * "not a method" and copied into the generated class verbatim.
 */
#ifndef NETDEXT_IIG_MEMBER_PARSER_H
#define NETDEXT_IIG_MEMBER_PARSER_H

#include <optional>
#include <span>
#include <vector>

#include "diagnostic.h"
#include "lexer.h"
#include "model.h"

namespace netdext::iig {

class MemberParser {
public:
    /* `tokens`: the member's significant tokens, including its final ';' or body '}'. */
    MemberParser(std::span<const Token *const> tokens, Access access)
        : m_tokens(tokens), m_keep(tokens.size(), true), m_access(access) {}

    /* The method, or std::nullopt if the member is not a method. */
    Result<std::optional<Method>> parse();

    /* Apple's method annotations (LOCAL, LOCALONLY, TYPE, QUEUENAME, …). */
    static bool is_method_annotation(std::string_view word);

private:
    const Token &at(size_t index) const;
    size_t size() const { return m_tokens.size(); }
    /* Index of the bracket closing the one at `open`, or npos. */
    size_t matching_close(size_t open, size_t limit) const;
    size_t find_name(size_t limit) const;
    Status parse_specifiers(size_t name_index, Method &method);
    Status parse_annotation(size_t &index, size_t limit, Method &method);
    Status parse_parameters(size_t begin, size_t end, Method &method);
    Status parse_parameter(size_t begin, size_t end, size_t position, Parameter &parameter);
    Status parse_tail(size_t begin, size_t end, Method &method, bool &has_body);
    Status check(const Method &method) const;
    std::string plain_declaration(const Method &method, size_t close_paren, size_t end) const;

    std::span<const Token *const> m_tokens;
    std::vector<bool> m_keep; /* tokens that stay in a LOCALONLY method's plain declaration */
    Access m_access;
    bool m_is_const = false;
    std::vector<std::string_view> m_parameter_words; /* identifiers of the parameter list */
};

} // namespace netdext::iig

#endif
