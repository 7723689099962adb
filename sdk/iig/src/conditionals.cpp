#include "conditionals.h"

#include <cstdint>

namespace netdext::iig {
namespace {

enum class Truth : uint8_t { yes, no, unknown };

/* The kinds of conditional frame on the stack. */
enum class FrameMode : uint8_t {
    iig,     /* its condition is about __IIG: its directives are removed */
    other,   /* an ordinary conditional: its directives are kept */
    dropped, /* opened inside removed text: removed entirely */
};

struct Frame {
    FrameMode mode;
    bool branch_kept;  /* the current branch's text is kept */
    bool taken;        /* iig: a branch was kept already */
    bool rest_dropped; /* other: an `#elif __IIG` became `#else`; later branches are removed */
    SourceLocation opened_at;
};

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

/* The condition's pieces, with comments, splices and whitespace removed. */
std::vector<std::string_view> condition_pieces(std::string_view text) {
    std::vector<std::string_view> pieces;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
            size_t close = text.find("*/", i + 2);
            i = close == std::string_view::npos ? text.size() : close + 2;
        } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
            break;
        } else if (c == ' ' || c == '\t' || c == '\\' || c == '\n' || c == '\r' || c == '\v' ||
                   c == '\f') {
            ++i;
        } else if (is_word_char(c)) {
            size_t start = i;
            while (i < text.size() && is_word_char(text[i]))
                ++i;
            pieces.push_back(text.substr(start, i - start));
        } else {
            pieces.push_back(text.substr(i, 1));
            ++i;
        }
    }
    return pieces;
}

/* `__IIG`, `(__IIG)`, `defined __IIG`, `defined(__IIG)`, each optionally negated with `!`. */
Truth evaluate_if(std::string_view condition) {
    std::vector<std::string_view> p = condition_pieces(condition);
    bool negate = false;
    size_t i = 0;
    while (i < p.size() && p[i] == "!") {
        negate = !negate;
        ++i;
    }
    std::vector<std::string_view> rest(p.begin() + static_cast<std::ptrdiff_t>(i), p.end());
    bool about_iig = false;
    if (rest.size() == 1 && rest[0] == "__IIG")
        about_iig = true;
    else if (rest.size() == 3 && rest[0] == "(" && rest[1] == "__IIG" && rest[2] == ")")
        about_iig = true;
    else if (rest.size() == 2 && rest[0] == "defined" && rest[1] == "__IIG")
        about_iig = true;
    else if (rest.size() == 4 && rest[0] == "defined" && rest[1] == "(" && rest[2] == "__IIG" &&
             rest[3] == ")")
        about_iig = true;
    if (!about_iig)
        return Truth::unknown;
    return negate ? Truth::no : Truth::yes;
}

Truth evaluate_ifdef(std::string_view condition, bool negate) {
    std::vector<std::string_view> p = condition_pieces(condition);
    if (p.size() != 1 || p[0] != "__IIG")
        return Truth::unknown;
    return negate ? Truth::no : Truth::yes;
}

void blank(std::string &text, size_t begin, size_t end) {
    for (size_t i = begin; i < end && i < text.size(); ++i) {
        if (text[i] != '\n')
            text[i] = ' ';
    }
}

/* Rewrites a kept directive in place, padding with spaces to keep offsets stable. */
void overwrite(std::string &text, const Token &directive, std::string_view replacement) {
    size_t begin = directive.offset;
    size_t end = directive.end_offset();
    blank(text, begin, end);
    for (size_t i = 0; i < replacement.size() && begin + i < end; ++i)
        text[begin + i] = replacement[i];
}

} // namespace

DirectiveParts split_directive(std::string_view directive) {
    DirectiveParts parts;
    size_t i = 1; // past '#'
    while (i < directive.size()) {
        char c = directive[i];
        if (c == ' ' || c == '\t') {
            ++i;
        } else if (c == '\\' && i + 1 < directive.size() &&
                   (directive[i + 1] == '\n' || directive[i + 1] == '\r')) {
            i += 2;
        } else if (c == '\n' || c == '\r') {
            ++i;
        } else if (c == '/' && i + 1 < directive.size() && directive[i + 1] == '*') {
            size_t close = directive.find("*/", i + 2);
            i = close == std::string_view::npos ? directive.size() : close + 2;
        } else {
            break;
        }
    }
    size_t start = i;
    while (i < directive.size() && is_word_char(directive[i]))
        ++i;
    parts.keyword = directive.substr(start, i - start);
    parts.keyword_offset = start;
    parts.rest = directive.substr(i);
    return parts;
}

Result<std::string> ConditionalResolver::resolve(std::string_view source,
                                                 const std::vector<Token> &tokens) {
    std::string out(source);
    std::vector<Frame> stack;
    size_t not_kept = 0; // frames whose current branch is removed
    auto set_kept = [&not_kept](Frame &frame, bool kept) {
        if (frame.branch_kept && !kept)
            ++not_kept;
        else if (!frame.branch_kept && kept)
            --not_kept;
        frame.branch_kept = kept;
    };

    for (const Token &token : tokens) {
        if (token.kind != TokenKind::directive) {
            if (not_kept > 0 && token.kind != TokenKind::end)
                blank(out, token.offset, token.end_offset());
            continue;
        }
        DirectiveParts parts = split_directive(token.text);
        std::string_view kw = parts.keyword;
        bool active = not_kept == 0;
        if (kw == "if" || kw == "ifdef" || kw == "ifndef") {
            if (!active) {
                stack.push_back({FrameMode::dropped, false, false, false, token.location});
                ++not_kept;
                blank(out, token.offset, token.end_offset());
                continue;
            }
            Truth truth =
                kw == "if" ? evaluate_if(parts.rest) : evaluate_ifdef(parts.rest, kw == "ifndef");
            if (truth == Truth::unknown) {
                stack.push_back({FrameMode::other, true, false, false, token.location});
                continue;
            }
            bool kept = truth == Truth::yes;
            stack.push_back({FrameMode::iig, true, kept, false, token.location});
            set_kept(stack.back(), kept);
            blank(out, token.offset, token.end_offset());
        } else if (kw == "elif" || kw == "else" || kw == "endif") {
            if (stack.empty())
                return make_error(token.location, "#" + std::string(kw) + " without #if");
            Frame &frame = stack.back();
            if (kw == "endif") {
                if (frame.mode != FrameMode::other)
                    blank(out, token.offset, token.end_offset());
                set_kept(frame, true);
                stack.pop_back();
                continue;
            }
            if (frame.mode == FrameMode::dropped) {
                blank(out, token.offset, token.end_offset());
                continue;
            }
            if (frame.mode == FrameMode::iig) {
                blank(out, token.offset, token.end_offset());
                if (frame.taken) {
                    set_kept(frame, false);
                } else if (kw == "else") {
                    frame.taken = true;
                    set_kept(frame, true);
                } else {
                    Truth truth = evaluate_if(parts.rest);
                    if (truth == Truth::unknown) {
                        // `#if !__IIG … #elif X …` keeps `#if X …`.
                        std::string rewritten(token.text);
                        for (size_t i = 0; i < 4; ++i)
                            rewritten[parts.keyword_offset + i] = i < 2 ? "if"[i] : ' ';
                        overwrite(out, token, rewritten);
                        frame.mode = FrameMode::other;
                        set_kept(frame, true);
                    } else {
                        frame.taken = truth == Truth::yes;
                        set_kept(frame, frame.taken);
                    }
                }
                continue;
            }
            // An ordinary conditional.
            if (frame.rest_dropped) {
                blank(out, token.offset, token.end_offset());
                set_kept(frame, false);
                continue;
            }
            if (kw == "else") {
                set_kept(frame, true);
                continue;
            }
            Truth truth = evaluate_if(parts.rest);
            if (truth == Truth::unknown) {
                set_kept(frame, true);
            } else if (truth == Truth::yes) {
                // `#if X … #elif __IIG … #else …` keeps `#if X … #else …(the __IIG branch)`.
                overwrite(out, token, "#else");
                frame.rest_dropped = true;
                set_kept(frame, true);
            } else {
                blank(out, token.offset, token.end_offset());
                set_kept(frame, false);
            }
        } else if (!active) {
            blank(out, token.offset, token.end_offset());
        }
    }
    if (!stack.empty())
        return make_error(stack.back().opened_at, "unterminated conditional directive");
    return out;
}

} // namespace netdext::iig
