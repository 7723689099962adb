/*
 * diagnostic.h — where netdext-iig reports problems, and the result type the parser returns.
 *
 * The parser never throws: every fallible step returns a [[nodiscard]] Result<T> (a value or a
 * Diagnostic) and callers propagate the first error with IIG_TRY. The command-line tool prints a
 * Diagnostic as `file:line:col: error: message` and exits with status 1.
 */
#ifndef NETDEXT_IIG_DIAGNOSTIC_H
#define NETDEXT_IIG_DIAGNOSTIC_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace netdext::iig {

/* 1-based line and column (columns count bytes, as clang's do). */
struct SourceLocation {
    uint32_t line = 1;
    uint32_t column = 1;
};

struct Diagnostic {
    SourceLocation location;
    std::string message;
};

/* `file:line:col: error: message` */
std::string format_diagnostic(const std::string &file, const Diagnostic &diagnostic,
                              const char *severity = "error");

template <class T> class [[nodiscard]] Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(Diagnostic error) : m_error(std::move(error)) {}

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    T &value() { return *m_value; }
    const T &value() const { return *m_value; }
    T take() { return std::move(*m_value); }
    const Diagnostic &error() const { return m_error; }

private:
    std::optional<T> m_value;
    Diagnostic m_error;
};

/* A Result without a value: success, or the first error. */
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Diagnostic error) : m_error(std::move(error)) {}
    static Status success() { return Status(); }

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Diagnostic &error() const { return *m_error; }

private:
    std::optional<Diagnostic> m_error;
};

inline Diagnostic make_error(SourceLocation location, std::string message) {
    return Diagnostic{location, std::move(message)};
}

} // namespace netdext::iig

/* Propagates the error of a Status or Result expression to the caller. */
#define IIG_TRY(expr)                                                                              \
    do {                                                                                           \
        auto &&iig_try_result_ = (expr);                                                           \
        if (!iig_try_result_.ok())                                                                 \
            return iig_try_result_.error();                                                        \
    } while (0)

#endif
