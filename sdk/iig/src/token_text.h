/*
 * token_text.h — rebuilds source text from a selection of tokens on one line.
 *
 * Text copied into a macro must fit on one logical line, so comments and line breaks go: tokens
 * separated by whitespace or a comment in the source are separated by one space, tokens that
 * touched still touch, and where tokens were left out (annotations) a space is kept only between
 * two words. A name netdext-iig invents (for an unnamed parameter) is spliced in with
 * append_text().
 */
#ifndef NETDEXT_IIG_TOKEN_TEXT_H
#define NETDEXT_IIG_TOKEN_TEXT_H

#include <cstdint>
#include <string>
#include <string_view>

#include "lexer.h"

namespace netdext::iig {

class TokenText {
public:
    void append(const Token &token);
    /* Text that is not in the source (always separated by a space from a neighbouring word). */
    void append_text(std::string_view text);
    const std::string &str() const { return m_text; }
    bool empty() const { return m_text.empty(); }

private:
    std::string m_text;
    size_t m_last_end = SIZE_MAX; /* source end offset of the last token appended, if any */
    bool m_last_word = false;     /* the last thing appended ends in an identifier or number */
};

} // namespace netdext::iig

#endif
