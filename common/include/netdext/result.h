// netdext's one error-or-value type (CONVENTIONS: one [[nodiscard]] result type with TRY-style
// propagation), shared by the runtime, shm/, the daemon and the host; NETDEXT_TRY propagation and
// the always-on NETDEXT_VERIFY (SerenityOS's ErrorOr/TRY/VERIFY, shrunk to what we need).
//
// An Error carries a code a caller can switch on, the errno of a failed syscall (System; 0
// otherwise), and a static context string ("memfd_create", "TUNSETIFF"). Wrappers of syscalls
// report errno values (from_errno), so `error.is(EAGAIN)` and `would_block()` work on them.
// Creating, copying and returning an Error never allocates (the TAP hot path returns EAGAIN
// through it); only describe() allocates, for logs and test messages.
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace netdext {

enum class ErrorCode : uint16_t {
    System,          // a syscall failed; Error::sys_errno() says why
    InvalidArgument, // a parameter is outside the documented limits
    LayoutMismatch,  // a region's header or size disagrees with the layout both sides agreed on
    NotSealed,       // a memfd lacks the seals the receiver requires
    WrongSize,       // a memfd's size differs from the size announced for it
    WouldBlock,      // non-blocking operation found nothing to do
    PeerClosed,      // the other end of the channel went away
    // Control-channel message rejections (see ipc/message.h).
    MessageTooShort,   // fewer bytes than a header
    MessageTooLong,    // datagram larger than kMaxMessageSize (MSG_TRUNC)
    BadMagic,          // header magic is not kMessageMagic
    BadVersion,        // header version is not the protocol's version
    UnknownType,       // the protocol has no message with this type id
    LengthMismatch,    // header payload_length disagrees with the bytes received
    BadPayloadSize,    // payload length outside the type's [min, max]
    BadFlags,          // reserved flag bits set
    BadFdCount,        // number of SCM_RIGHTS fds outside the type's [min, max]
    BadControlMessage, // truncated or foreign ancillary data
};

[[nodiscard]] const char *to_string(ErrorCode code);

class Error {
public:
    // Captures the current errno.
    [[nodiscard]] static Error from_errno(const char *context);
    [[nodiscard]] static Error from_errno(int sys_errno, const char *context) {
        return Error(ErrorCode::System, sys_errno, context);
    }
    [[nodiscard]] static Error from_code(ErrorCode code, const char *context) {
        return Error(code, 0, context);
    }

    [[nodiscard]] ErrorCode code() const { return m_code; }
    [[nodiscard]] int sys_errno() const { return m_errno; }
    // A syscall failed with this errno.
    [[nodiscard]] bool is(int sys_errno) const {
        return m_code == ErrorCode::System && m_errno == sys_errno;
    }
    [[nodiscard]] bool would_block() const {
        return m_code == ErrorCode::WouldBlock ||
               (m_code == ErrorCode::System && (m_errno == EAGAIN || m_errno == EWOULDBLOCK));
    }
    [[nodiscard]] const char *context() const { return m_context; }
    // "context: code name (strerror)" — slow path, for logs and test failure messages.
    [[nodiscard]] std::string describe() const;

private:
    Error(ErrorCode code, int sys_errno, const char *context)
        : m_code(code), m_errno(sys_errno), m_context(context) {}

    ErrorCode m_code;
    int m_errno;
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
    Error m_error = Error::from_code(ErrorCode::System, "");
    bool m_failed = false;
};

[[noreturn]] void verify_failed(const char *expression, const char *file, int line);

} // namespace netdext

// Evaluates a Result; returns its Error from the enclosing function, else yields its value.
#define NETDEXT_TRY(expression)                                                                    \
    ({                                                                                             \
        auto _netdext_try_result = (expression);                                                   \
        if (_netdext_try_result.is_error())                                                        \
            return _netdext_try_result.release_error();                                            \
        _netdext_try_result.release_value();                                                       \
    })

// Always-on invariant check: our own bugs abort loudly. Never used on values a peer (a dext, the
// kernel, another process) controls — those are validated and rejected with an Error.
#define NETDEXT_VERIFY(expression)                                                                 \
    do {                                                                                           \
        if (!(expression)) [[unlikely]]                                                            \
            ::netdext::verify_failed(#expression, __FILE__, __LINE__);                             \
    } while (0)
