// Text preparation and tokens for the API coverage scanner: comments and preprocessor
// directives out (line numbers kept), #define collection, a small C++ tokenizer, and joining
// tokens back into declarations in the SDK's style.
#pragma once

#include "scanner.h"

#include <functional>
#include <string>
#include <vector>

namespace api_coverage {

enum class TokenType { ident, number, literal, punct };

struct Token {
    std::string text;
    TokenType type = TokenType::punct;
    int line = 0;
    std::string origin; // the macro invocation this token came from, if any
};
using Tokens = std::vector<Token>;

// `source` without comments and preprocessor directives (blank lines in their place, so line
// numbers stay); each complete directive, continuation lines joined, goes to `on_directive`.
std::string remove_directives(const std::string &source,
                              const std::function<void(const std::string &)> &on_directive);

// Records a "#define …" directive in `macros` (other directives are ignored).
void parse_define(const std::string &directive, Macros &macros);

Tokens tokenize(const std::string &text, int first_line = 1);

bool is_word(const Token &token);

// Joins tokens back into C++ text in the SDK's style ("const char *name", "IOService **x").
std::string join(Tokens::const_iterator begin, Tokens::const_iterator end);
std::string join(const Tokens &tokens);

} // namespace api_coverage
