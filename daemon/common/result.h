// The daemon's error-or-value type, NETDEXT_TRY propagation and the always-on NETDEXT_VERIFY
// (SerenityOS's ErrorOr/TRY/VERIFY, shrunk to what a syscall wrapper needs).
//
// An Error is an errno value plus a static context string naming the operation that failed
// ("TUNSETIFF", "RTM_GETLINK reply"). Errors that are not syscall failures reuse errno names
// (EINVAL for a bad argument, EBADMSG for a malformed netlink message) so callers switch on one
// thing. Creating, copying and returning an Error never allocates: the TAP hot path returns
// EAGAIN through it. Only describe() allocates, and it is for logs and test messages.
//
// FIXME: Fold this and shm/'s netdext::shm::Result into one project-wide type once the runtime
// and the daemon settle on one; the member names already match.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace netdext {

class Error {
public:
    // Captures the current errno.
    [[nodiscard]] static Error from_errno(const char *context) { return Error(errno, context); }
    [[nodiscard]] static Error from_errno(int code, const char *context) {
        return Error(code, context);
    }

    [[nodiscard]] int code() const { return m_code; }
    [[nodiscard]] const char *context() const { return m_context; }
    [[nodiscard]] bool is(int code) const { return m_code == code; }
    [[nodiscard]] bool would_block() const { return m_code == EAGAIN || m_code == EWOULDBLOCK; }
    // "context: strerror (errno N)" — slow path.
    [[nodiscard]] std::string describe() const {
        return std::string(m_context) + ": " + std::strerror(m_code) + " (errno " +
               std::to_string(m_code) + ")";
    }

private:
    Error(int code, const char *context) : m_code(code), m_context(context) {}

    int m_code;
    const char *m_context; // static storage; never owned
};

template <class T> class [[nodiscard]] Result {
public:
    Result(T value) : m_storage(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_storage(std::in_place_index<1>, error) {}

    [[nodiscard]] bool is_error() const { return m_storage.index() == 1; }
    [[nodiscard]] explicit operator bool() const { return !is_error(); }
    [[nodiscard]] const Error &error() const { return std::get<1>(m_storage); }
    [[nodiscard]] T &value() { return std::get<0>(m_storage); }
    [[nodiscard]] const T &value() const { return std::get<0>(m_storage); }
    [[nodiscard]] T release_value() { return std::move(std::get<0>(m_storage)); }
    [[nodiscard]] Error release_error() { return std::get<1>(m_storage); }

private:
    std::variant<T, Error> m_storage;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(error), m_failed(true) {}

    [[nodiscard]] bool is_error() const { return m_failed; }
    [[nodiscard]] explicit operator bool() const { return !m_failed; }
    [[nodiscard]] const Error &error() const { return m_error; }
    void release_value() {}
    [[nodiscard]] Error release_error() { return m_error; }

private:
    Error m_error = Error::from_errno(0, "");
    bool m_failed = false;
};

[[noreturn]] inline void verify_failed(const char *expression, const char *file, int line) {
    std::fprintf(stderr, "NETDEXT_VERIFY(%s) failed at %s:%d\n", expression, file, line);
    std::abort();
}

} // namespace netdext

// Evaluates a Result; returns its Error from the enclosing function, else yields its value.
#define NETDEXT_TRY(expression)                                                                    \
    ({                                                                                             \
        auto _netdext_try_result = (expression);                                                   \
        if (_netdext_try_result.is_error())                                                        \
            return _netdext_try_result.release_error();                                            \
        _netdext_try_result.release_value();                                                       \
    })

// Always-on invariant check: our own bugs abort loudly. Never used on values the kernel, a dext or
// another process controls — those are validated and rejected with an Error.
#define NETDEXT_VERIFY(expression)                                                                 \
    do {                                                                                           \
        if (!(expression)) [[unlikely]]                                                            \
            ::netdext::verify_failed(#expression, __FILE__, __LINE__);                             \
    } while (0)
