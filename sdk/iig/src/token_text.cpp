#include "token_text.h"

namespace netdext::iig {

void TokenText::append(const Token &token) {
    if (!m_text.empty() && token.offset != m_last_end &&
        (token.space_before || (m_last_word && token.is_word())))
        m_text += ' ';
    m_text += token.text;
    m_last_end = token.end_offset();
    m_last_word = token.is_word();
}

void TokenText::append_text(std::string_view text) {
    if (!m_text.empty())
        m_text += ' ';
    m_text += text;
    m_last_end = SIZE_MAX;
    m_last_word = true;
}

} // namespace netdext::iig
