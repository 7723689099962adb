#include "conditionals.h"

#include <cstdint>
#include <filesystem>

#include <netdext/file_io.h>

namespace netdext::iig {
namespace {

constexpr int kMaxIncludeDepth = 32;

/* The kinds of conditional frame on the stack. */
enum class FrameMode : uint8_t {
    evaluated, /* its conditions were evaluated: its directives are removed */
    other,     /* a condition could not be evaluated: its directives are kept */
    dropped,   /* opened inside removed text: removed entirely */
};

struct Frame {
    FrameMode mode;
    bool branch_kept;  /* the current branch's text is kept */
    bool taken;        /* evaluated: a branch was kept already */
    bool rest_dropped; /* other: an evaluated #elif became `#else`; later branches are removed */
    SourceLocation opened_at;
};

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
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

/* `<a/b.h>` or `"a/b.h"` → the name and whether it was quoted; false if neither. */
bool include_target(std::string_view rest, std::string &name, bool &quoted) {
    size_t open = rest.find_first_of("<\"");
    if (open == std::string_view::npos)
        return false;
    quoted = rest[open] == '"';
    size_t close = rest.find(quoted ? '"' : '>', open + 1);
    if (close == std::string_view::npos)
        return false;
    name = std::string(rest.substr(open + 1, close - open - 1));
    return true;
}

/* Reads the macros an `#include` brings in. `<X.iig>` is the SDK's X.h for the compiler. */
void follow_include(std::string_view rest, PreprocessorContext &context) {
    std::string name;
    bool quoted = false;
    if (!include_target(rest, name, quoted))
        return;
    std::optional<std::string> path = context.search.find(name, quoted, context.current_dir);
    const std::string iig = ".iig";
    if (!path && name.size() > iig.size() && name.compare(name.size() - iig.size(), iig.size(), iig) == 0)
        path = context.search.find(name.substr(0, name.size() - iig.size()) + ".h", quoted,
                                   context.current_dir);
    if (path)
        read_macros_from_file(*path, context);
}

} // namespace

PreprocessorContext PreprocessorContext::for_iig() {
    PreprocessorContext context;
    context.macros.define_from_command_line("__IIG=1");
    context.macros.define_from_command_line("__DOCUMENTATION__=0");
    return context;
}

void read_macros_from_file(const std::string &path, PreprocessorContext &context) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::string canonical = fs::weakly_canonical(path, ec).string();
    if (ec)
        canonical = path;
    if (context.include_depth >= kMaxIncludeDepth || context.open_files.count(canonical) > 0)
        return;
    std::string text;
    if (!netdext::read_file(path, text))
        return;
    Result<std::vector<Token>> tokens = Lexer(text).tokenize();
    if (!tokens)
        return; // not something iig could read: its macros stay unknown
    std::string saved_dir = context.current_dir;
    size_t saved_warnings = context.warnings.size();
    context.current_dir = fs::path(path).parent_path().string();
    context.open_files.insert(canonical);
    ++context.include_depth;
    (void)ConditionalResolver::resolve(text, tokens.value(), context);
    --context.include_depth;
    context.open_files.erase(canonical);
    context.current_dir = saved_dir;
    context.warnings.resize(saved_warnings); // about someone else's header: not ours to report
}

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
    PreprocessorContext context = PreprocessorContext::for_iig();
    return resolve(source, tokens, context);
}

Result<std::string> ConditionalResolver::resolve(std::string_view source,
                                                 const std::vector<Token> &tokens,
                                                 PreprocessorContext &context) {
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
    // Evaluates a condition; an unknown one is reported once, where it is.
    auto evaluate = [&context](const Token &token, std::string_view condition) -> Result<Truth> {
        Result<Evaluation> e =
            evaluate_condition(condition, context.macros, context.search, context.current_dir);
        if (!e)
            return make_error(token.location, e.error().message);
        if (e.value().truth == Truth::unknown)
            context.warnings.push_back(make_error(
                token.location, "netdext-iig cannot evaluate this condition (it uses " +
                                    e.value().unknown_because +
                                    "): all its branches are kept for the compiler"));
        return e.value().truth;
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
            Truth truth;
            if (kw == "if") {
                Result<Truth> t = evaluate(token, parts.rest);
                if (!t)
                    return t.error();
                truth = t.value();
            } else {
                std::string_view name = directive_name(parts.rest);
                if (name.empty())
                    return make_error(token.location, "#" + std::string(kw) + " needs a macro name");
                bool defined = context.macros.find(name) != nullptr;
                truth = defined == (kw == "ifdef") ? Truth::yes : Truth::no;
            }
            if (truth == Truth::unknown) {
                stack.push_back({FrameMode::other, true, false, false, token.location});
                continue;
            }
            bool kept = truth == Truth::yes;
            stack.push_back({FrameMode::evaluated, true, kept, false, token.location});
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
            if (frame.mode == FrameMode::evaluated) {
                blank(out, token.offset, token.end_offset());
                if (frame.taken) {
                    set_kept(frame, false);
                } else if (kw == "else") {
                    frame.taken = true;
                    set_kept(frame, true);
                } else {
                    Result<Truth> truth = evaluate(token, parts.rest);
                    if (!truth)
                        return truth.error();
                    if (truth.value() == Truth::unknown) {
                        // `#if 0 … #elif X …` keeps `#if X …`.
                        std::string rewritten(token.text);
                        for (size_t i = 0; i < 4; ++i)
                            rewritten[parts.keyword_offset + i] = i < 2 ? "if"[i] : ' ';
                        overwrite(out, token, rewritten);
                        frame.mode = FrameMode::other;
                        set_kept(frame, true);
                    } else {
                        frame.taken = truth.value() == Truth::yes;
                        set_kept(frame, frame.taken);
                    }
                }
                continue;
            }
            // A conditional left to the compiler.
            if (frame.rest_dropped) {
                blank(out, token.offset, token.end_offset());
                set_kept(frame, false);
                continue;
            }
            if (kw == "else") {
                set_kept(frame, true);
                continue;
            }
            Result<Truth> truth = evaluate(token, parts.rest);
            if (!truth)
                return truth.error();
            if (truth.value() == Truth::unknown) {
                set_kept(frame, true);
            } else if (truth.value() == Truth::yes) {
                // `#if X … #elif 1 … #else …` keeps `#if X … #else …(this branch)`.
                overwrite(out, token, "#else");
                frame.rest_dropped = true;
                set_kept(frame, true);
            } else {
                blank(out, token.offset, token.end_offset());
                set_kept(frame, false);
            }
        } else if (!active) {
            blank(out, token.offset, token.end_offset());
        } else if (kw == "define") {
            context.macros.apply_define(parts.rest);
        } else if (kw == "undef") {
            context.macros.apply_undef(parts.rest);
        } else if (kw == "include" || kw == "import" || kw == "include_next") {
            follow_include(parts.rest, context);
        } else if (kw == "error") {
            return make_error(token.location, "#error" + std::string(parts.rest));
        } else if (kw == "warning") {
            context.warnings.push_back(make_error(token.location, "#warning" + std::string(parts.rest)));
        }
    }
    if (!stack.empty())
        return make_error(stack.back().opened_at, "unterminated conditional directive");
    return out;
}

} // namespace netdext::iig
