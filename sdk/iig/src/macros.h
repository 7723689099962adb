/*
 * macros.h — the preprocessor state netdext-iig evaluates `#if` with, as Apple's clang-based iig
 * does: macros from -D, from -imacros files (netdext_target_iig passes the C++ compiler's own
 * predefined macros this way, so that iig and the compiler agree), from `#define` / `#undef` in
 * the .iig and in the headers it includes (found through -I and the .iig's directory).
 *
 * Conditions are C/C++ integer constant expressions: integer and character literals, `defined X`
 * and `defined(X)`, `__has_include(<h>)` / `__has_include("h")`, object-like macros (expanded
 * recursively), `true` / `false`, other identifiers as 0, and every C operator including `?:`.
 * A condition that uses a function-like macro or a compiler query such as `__has_feature(x)`
 * cannot be evaluated here: evaluate() says so (Truth::unknown, with the reason) instead of
 * guessing.
 */
#ifndef NETDEXT_IIG_MACROS_H
#define NETDEXT_IIG_MACROS_H

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostic.h"

namespace netdext::iig {

struct Macro {
    bool function_like = false;
    std::string body; /* replacement text (object-like macros are expanded from it) */
};

class MacroTable {
public:
    /* `#define` as written after the keyword: "NAME body" or "NAME(params) body". */
    void apply_define(std::string_view rest);
    /* `#undef NAME`. */
    void apply_undef(std::string_view rest);
    /* A -D argument: "NAME" (defines it as 1) or "NAME=VALUE". */
    void define_from_command_line(std::string_view definition);
    void define(const std::string &name, Macro macro) { m_macros[name] = std::move(macro); }
    const Macro *find(std::string_view name) const;

private:
    std::map<std::string, Macro, std::less<>> m_macros;
};

/* Where `#include` and `__has_include` look: the including file's directory, then -I. */
class IncludeSearch {
public:
    explicit IncludeSearch(std::vector<std::string> dirs = {}) : m_dirs(std::move(dirs)) {}
    /* The path of `name` (`<…>` when !quoted), or nullopt if no directory has it. */
    std::optional<std::string> find(std::string_view name, bool quoted,
                                    const std::string &current_dir) const;
    bool empty() const { return m_dirs.empty(); }

private:
    std::vector<std::string> m_dirs;
};

enum class Truth : uint8_t { yes, no, unknown };

struct Evaluation {
    Truth truth = Truth::unknown;
    std::string unknown_because; /* set when truth == unknown */
};

/*
 * Evaluates an `#if` / `#elif` condition. Fails (the message for `file:line:col: error:`) on a
 * malformed expression or a division by zero, as a compiler would.
 */
Result<Evaluation> evaluate_condition(std::string_view condition, const MacroTable &macros,
                                      const IncludeSearch &search, const std::string &current_dir);

/* The name an `#ifdef` / `#ifndef` / `#undef` line names (its first identifier), or "". */
std::string_view directive_name(std::string_view rest);

} // namespace netdext::iig

#endif
