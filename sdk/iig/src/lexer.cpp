#include "lexer.h"

#include <string>

namespace netdext::iig {
namespace {

bool is_identifier_start(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || u >= 0x80;
}

bool is_identifier_char(char c) {
    return is_identifier_start(c) || (c >= '0' && c <= '9');
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_raw_string_prefix(std::string_view id) {
    return id == "R" || id == "u8R" || id == "uR" || id == "UR" || id == "LR";
}

bool is_encoding_prefix(std::string_view id) {
    return id == "u8" || id == "u" || id == "U" || id == "L";
}

} // namespace

char Lexer::peek(size_t ahead) const {
    size_t at = m_pos + ahead;
    return at < m_source.size() ? m_source[at] : '\0';
}

void Lexer::advance(size_t count) {
    for (size_t i = 0; i < count && m_pos < m_source.size(); ++i) {
        if (m_source[m_pos] == '\n') {
            ++m_location.line;
            m_location.column = 1;
        } else {
            ++m_location.column;
        }
        ++m_pos;
    }
}

size_t Lexer::splice_length() const {
    if (peek() != '\\')
        return 0;
    if (peek(1) == '\n')
        return 2;
    if (peek(1) == '\r' && peek(2) == '\n')
        return 3;
    return 0;
}

Result<std::vector<Token>> Lexer::tokenize() {
    std::vector<Token> tokens;
    tokens.reserve(m_source.size() / 4 + 1);
    bool line_start = true;
    bool space_before = false;
    while (!at_end()) {
        char c = peek();
        if (is_space(c)) {
            if (c == '\n')
                line_start = true;
            space_before = true;
            advance();
            continue;
        }
        if (size_t splice = splice_length()) {
            space_before = true;
            advance(splice);
            continue;
        }
        Token token;
        token.offset = m_pos;
        token.location = m_location;
        token.space_before = space_before;
        SourceLocation start = m_location;
        if (c == '/' && peek(1) == '*') {
            token.kind = TokenKind::comment;
            Status status = lex_block_comment();
            if (!status)
                return status.error();
        } else if (c == '/' && peek(1) == '/') {
            token.kind = TokenKind::comment;
            lex_line_comment();
        } else if (c == '#' && line_start) {
            token.kind = TokenKind::directive;
            lex_directive();
        } else if (c == '"') {
            token.kind = TokenKind::string;
            Status status = lex_quoted('"', start);
            if (!status)
                return status.error();
        } else if (c == '\'') {
            token.kind = TokenKind::character;
            Status status = lex_quoted('\'', start);
            if (!status)
                return status.error();
        } else if (is_digit(c) || (c == '.' && is_digit(peek(1)))) {
            token.kind = TokenKind::number;
            lex_number();
        } else if (is_identifier_start(c)) {
            token.kind = TokenKind::identifier;
            lex_identifier();
            std::string_view id = m_source.substr(token.offset, m_pos - token.offset);
            if (peek() == '"' && is_raw_string_prefix(id)) {
                token.kind = TokenKind::string;
                Status status = lex_raw_string(start);
                if (!status)
                    return status.error();
            } else if ((peek() == '"' || peek() == '\'') && is_encoding_prefix(id)) {
                char quote = peek();
                token.kind = quote == '"' ? TokenKind::string : TokenKind::character;
                Status status = lex_quoted(quote, start);
                if (!status)
                    return status.error();
            }
        } else {
            token.kind = TokenKind::punct;
            lex_punct();
        }
        token.text = m_source.substr(token.offset, m_pos - token.offset);
        // Comments count as whitespace: a directive may follow a comment at the start of a line.
        if (token.kind != TokenKind::comment)
            line_start = false;
        if (token.kind == TokenKind::directive)
            line_start = true; // the directive stops before its newline
        space_before = token.kind == TokenKind::comment;
        tokens.push_back(token);
    }
    Token end;
    end.kind = TokenKind::end;
    end.offset = m_source.size();
    end.location = m_location;
    end.text = m_source.substr(m_source.size());
    end.space_before = space_before;
    tokens.push_back(end);
    return tokens;
}

Status Lexer::lex_block_comment() {
    SourceLocation start = m_location;
    advance(2);
    while (!at_end()) {
        if (peek() == '*' && peek(1) == '/') {
            advance(2);
            return Status::success();
        }
        advance();
    }
    return make_error(start, "unterminated /* comment");
}

void Lexer::lex_line_comment() {
    // A line comment ends at a newline that is not spliced away.
    while (!at_end() && peek() != '\n') {
        if (size_t splice = splice_length()) {
            advance(splice);
            continue;
        }
        advance();
    }
}

void Lexer::lex_directive() {
    // Up to the end of the logical line. A block comment that starts on the line continues it;
    // quotes are skipped leniently (to the closing quote or the end of the line) so that a
    // "/*" inside a string does not start a comment.
    while (!at_end()) {
        char c = peek();
        if (c == '\n')
            break;
        if (size_t splice = splice_length()) {
            advance(splice);
            continue;
        }
        if (c == '/' && peek(1) == '*') {
            advance(2);
            while (!at_end() && !(peek() == '*' && peek(1) == '/'))
                advance();
            advance(2);
            continue;
        }
        if (c == '/' && peek(1) == '/') {
            lex_line_comment();
            break;
        }
        if (c == '"' || c == '\'') {
            advance();
            while (!at_end() && peek() != c && peek() != '\n') {
                if (peek() == '\\' && peek(1) != '\n')
                    advance();
                advance();
            }
            if (peek() == c)
                advance();
            continue;
        }
        advance();
    }
    // Do not include a trailing '\r' of a CRLF line ending.
    while (m_pos > 0 && m_source[m_pos - 1] == '\r' && peek() == '\n') {
        --m_pos;
        --m_location.column;
    }
}

Status Lexer::lex_quoted(char quote, SourceLocation start) {
    advance(); // the opening quote
    while (!at_end()) {
        char c = peek();
        if (c == quote) {
            advance();
            return Status::success();
        }
        if (c == '\n')
            break;
        if (c == '\\') {
            if (size_t splice = splice_length()) {
                advance(splice);
                continue;
            }
            advance(2);
            continue;
        }
        advance();
    }
    return make_error(start, std::string("missing terminating ") + quote + " character");
}

Status Lexer::lex_raw_string(SourceLocation start) {
    advance(); // the opening quote
    size_t delimiter_start = m_pos;
    while (!at_end() && peek() != '(') {
        char c = peek();
        if (c == ' ' || c == ')' || c == '\\' || c == '\n' || c == '\t' || c == '"' ||
            m_pos - delimiter_start >= 16)
            return make_error(start, "invalid raw string delimiter");
        advance();
    }
    if (at_end())
        return make_error(start, "unterminated raw string literal");
    std::string terminator = ")";
    terminator += m_source.substr(delimiter_start, m_pos - delimiter_start);
    terminator += '"';
    advance(); // '('
    size_t close = m_source.find(terminator, m_pos);
    if (close == std::string_view::npos)
        return make_error(start, "unterminated raw string literal");
    advance(close + terminator.size() - m_pos);
    return Status::success();
}

void Lexer::lex_number() {
    while (!at_end()) {
        char c = peek();
        if (is_identifier_char(c) || c == '.') {
            advance();
        } else if ((c == '+' || c == '-') && m_pos > 0) {
            char prev = m_source[m_pos - 1];
            if (prev != 'e' && prev != 'E' && prev != 'p' && prev != 'P')
                break;
            advance();
        } else if (c == '\'' && is_identifier_char(peek(1))) {
            advance(); // digit separator
        } else {
            break;
        }
    }
}

void Lexer::lex_identifier() {
    while (!at_end() && is_identifier_char(peek()))
        advance();
}

void Lexer::lex_punct() {
    static constexpr std::string_view multi[] = {"...", "::", "->", "&&"};
    for (std::string_view op : multi) {
        if (m_source.substr(m_pos, op.size()) == op) {
            advance(op.size());
            return;
        }
    }
    advance();
}

} // namespace netdext::iig
