/*
 * conditionals.h — settles the preprocessor conditionals of an .iig the way Apple's clang-based
 * iig sees them, so that a class inside a false `#if` gets no generated code.
 *
 * Every `#if` / `#ifdef` / `#ifndef` / `#elif` / `#else` is evaluated with the macros of a
 * PreprocessorContext (macros.h): __IIG = 1, -D, -imacros, and the `#define` / `#undef` lines of
 * the .iig and of the headers it `#include`s (found through -I). The branch taken stays, the
 * others are removed, and so are the directives — the generated header holds what iig saw, and
 * the compiler (which has no __IIG) sees the same classes. Other preprocessor lines (#define,
 * #include, #pragma) pass through.
 *
 * A condition netdext-iig cannot evaluate (a function-like macro, `__has_feature(x)`) keeps all
 * of its branches and its directives for the compiler, with a warning; a method inside such a
 * conditional is an error, because iig has to know whether it exists.
 *
 * The result has the same length and the same line structure as the input: removed text is
 * replaced by spaces (newlines kept), so that diagnostics on the resolved text point at the
 * right line and column of the original file.
 */
#ifndef NETDEXT_IIG_CONDITIONALS_H
#define NETDEXT_IIG_CONDITIONALS_H

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostic.h"
#include "lexer.h"
#include "macros.h"

namespace netdext::iig {

struct PreprocessorContext {
    MacroTable macros;
    IncludeSearch search;
    /* The directory of the file being resolved, for `#include "…"`; "" reads no file. */
    std::string current_dir;
    std::vector<Diagnostic> warnings;
    /* Files being read (an #include cycle stops) and how deep includes go. */
    std::set<std::string> open_files;
    int include_depth = 0;

    /* __IIG = 1 and __DOCUMENTATION__ = 0, as Apple's iig compiles an .iig. */
    static PreprocessorContext for_iig();
};

class ConditionalResolver {
public:
    /* `tokens` are the Lexer's tokens of `source`. */
    static Result<std::string> resolve(std::string_view source, const std::vector<Token> &tokens,
                                       PreprocessorContext &context);
    /* With a fresh PreprocessorContext::for_iig(). */
    static Result<std::string> resolve(std::string_view source, const std::vector<Token> &tokens);
};

/* Reads a header for its macros only (its text is not used): -imacros and #include. */
void read_macros_from_file(const std::string &path, PreprocessorContext &context);

/* What a preprocessor line is: its keyword ("if", "include", …) and the text after it. */
struct DirectiveParts {
    std::string_view keyword;
    std::string_view rest;
    size_t keyword_offset = 0; /* offset of the keyword within the directive text */
};
DirectiveParts split_directive(std::string_view directive);

} // namespace netdext::iig

#endif
