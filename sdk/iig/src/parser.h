/*
 * parser.h — turns a (conditional-resolved) .iig into an IigFile.
 *
 * Top-level text passes through verbatim, except that `#include <X.iig>` / `"X.iig"` become
 * `<X.h>` / `"X.h"` followed by an `.iig include` comment. A top-level
 * `class [annotations] Name [final] : public Base { … };` is parsed into a ClassDecl; its
 * members are read by MemberParser. `@iig implementation … @iig end` inside a block comment is
 * collected for the generated .iig.cpp. The first error stops the parse.
 */
#ifndef NETDEXT_IIG_PARSER_H
#define NETDEXT_IIG_PARSER_H

#include <string>
#include <string_view>
#include <vector>

#include "diagnostic.h"
#include "lexer.h"
#include "model.h"

namespace netdext::iig {

class Parser {
public:
    /* `source`: the text after ConditionalResolver; `tokens`: its Lexer tokens. */
    Parser(std::string_view source, const std::vector<Token> &tokens);

    Result<IigFile> parse();

    /* `#include <X.iig>` → `#include <X.h>` + an `.iig include` comment; others unchanged. */
    static std::string rewrite_directive(std::string_view directive);

private:
    const Token &sig(size_t index) const;
    Status collect_implementation(IigFile &file) const;
    bool starts_class_definition(size_t index) const;
    Status parse_class(size_t &index, IigFile &file);
    Status parse_class_head(size_t &index, ClassDecl &decl);
    Status parse_class_body(size_t &index, ClassDecl &decl);
    Result<size_t> find_member_end(size_t begin, const ClassDecl &decl) const;
    Status check_class(const ClassDecl &decl) const;

    std::string_view m_source;
    const std::vector<Token> &m_tokens;
    std::vector<const Token *> m_sig; /* tokens without comments; the last is `end` */
};

} // namespace netdext::iig

#endif
