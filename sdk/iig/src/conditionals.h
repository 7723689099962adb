/*
 * conditionals.h — resolves `#if __IIG`-style conditionals the way Apple's iig sees them.
 *
 * Apple's iig compiles the .iig with __IIG defined to 1; the generated header is compiled
 * without it. netdext-iig therefore settles every conditional whose condition is about __IIG
 * alone (`#if __IIG`, `#ifdef __IIG`, `#if !__IIG`, `#ifndef __IIG`, `#if defined(__IIG)`,
 * `#elif …` of the same forms) and keeps the __IIG-true branch. Every other preprocessor line
 * passes through unchanged, including conditionals whose condition mixes __IIG with other
 * macros (the C++ compiler then sees __IIG undefined).
 *
 * The result has the same length and the same line structure as the input: removed text is
 * replaced by spaces (newlines kept), so that diagnostics on the resolved text point at the
 * right line and column of the original file.
 */
#ifndef NETDEXT_IIG_CONDITIONALS_H
#define NETDEXT_IIG_CONDITIONALS_H

#include <string>
#include <string_view>
#include <vector>

#include "diagnostic.h"
#include "lexer.h"

namespace netdext::iig {

class ConditionalResolver {
public:
    /* `tokens` are the Lexer's tokens of `source`. */
    static Result<std::string> resolve(std::string_view source, const std::vector<Token> &tokens);
};

/* What a preprocessor line is: its keyword ("if", "include", …) and the text after it. */
struct DirectiveParts {
    std::string_view keyword;
    std::string_view rest;
    size_t keyword_offset = 0; /* offset of the keyword within the directive text */
};
DirectiveParts split_directive(std::string_view directive);

} // namespace netdext::iig

#endif
