/*
 * lexer.h — splits an .iig file into C++ tokens, keeping comments and preprocessor lines.
 *
 * netdext-iig never rewrites text it does not understand: every token records where it came
 * from (byte offset, line, column), so that the parser can copy the source between tokens
 * verbatim. Comments and whole preprocessor lines (with their line continuations) are single
 * tokens. The lexer is total on well-formed C++; it fails only on an unterminated comment,
 * string or character literal, and never reads past the end of its input.
 */
#ifndef NETDEXT_IIG_LEXER_H
#define NETDEXT_IIG_LEXER_H

#include <cstddef>
#include <string_view>
#include <vector>

#include "diagnostic.h"

namespace netdext::iig {

enum class TokenKind : uint8_t {
    identifier, /* also keywords */
    number,
    string,    /* "…", R"(…)", with any encoding prefix */
    character, /* '…' */
    punct,     /* one operator or punctuator; "::", "->", "...", "&&" are single tokens */
    comment,   /* a block or line comment, delimiters included */
    directive, /* a preprocessor line from '#' up to (not including) its final newline */
    end,       /* one past the last token */
};

struct Token {
    TokenKind kind = TokenKind::end;
    std::string_view text; /* points into the lexed source */
    size_t offset = 0;     /* byte offset of text in the source */
    SourceLocation location;
    bool space_before = false; /* whitespace, a comment or a line splice directly precedes it */

    size_t end_offset() const { return offset + text.size(); }
    bool is_punct(std::string_view p) const { return kind == TokenKind::punct && text == p; }
    bool is_identifier(std::string_view id) const {
        return kind == TokenKind::identifier && text == id;
    }
    bool is_word() const { return kind == TokenKind::identifier || kind == TokenKind::number; }
};

class Lexer {
public:
    explicit Lexer(std::string_view source) : m_source(source) {}

    /* Every token of the source, comments and directives included, then one `end` token. */
    Result<std::vector<Token>> tokenize();

private:
    char peek(size_t ahead = 0) const;
    bool at_end() const { return m_pos >= m_source.size(); }
    void advance(size_t count = 1);
    /* Length of a backslash-newline splice at the current position (0 if none). */
    size_t splice_length() const;
    Status lex_block_comment();
    void lex_line_comment();
    void lex_directive();
    Status lex_quoted(char quote, SourceLocation start);
    Status lex_raw_string(SourceLocation start);
    void lex_number();
    void lex_identifier();
    void lex_punct();

    std::string_view m_source;
    size_t m_pos = 0;
    SourceLocation m_location;
};

} // namespace netdext::iig

#endif
