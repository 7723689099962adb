/*
 * netdext/format_check.h — compile-time checking of IOLog / os_log formats with Darwin's rules.
 *
 * On macOS, uint64_t is `unsigned long long`, so Apple-style drivers print it with %llu; on
 * Linux it is `unsigned long`, and the compiler's own printf checking would warn about every
 * such line. So IOLog and os_log do not carry the printf format attribute here. Instead, under
 * Clang, their C++ overloads carry a diagnose_if that runs format_matches<Args...>(format):
 *   - integer conversions (d i o u x X c) take an integer of at most 32 bits without a length
 *     modifier or with hh/h, and a 64-bit one with l, ll, q, j, z or t (as on LP64 Darwin, the
 *     two spellings of 64 bits are both accepted: Linux cannot tell uint64_t from size_t);
 *     signedness is not checked, as Clang's -Wformat does not check it;
 *   - s takes a pointer to a character type, p / @ / n / P any pointer, f F e E g G a A a
 *     floating-point value, * a width or precision int, m and %% nothing;
 *   - os_log's `{…}` annotations (%{public}s, %{private}d, %{bool}d, …) are skipped;
 *   - the number of arguments must match the conversions.
 * A mismatch is the warning "IOLog/os_log format does not match its arguments", shown only when
 * the format is a string literal (a format that is not a constant expression is not checked).
 * GCC has no diagnose_if: there, formats are not checked at compile time.
 */
#ifndef _NETDEXT_FORMAT_CHECK_H
#define _NETDEXT_FORMAT_CHECK_H

#ifdef __cplusplus

#include <stddef.h>
#include <type_traits>

namespace netdext::format {

enum class Arg : unsigned char { int32, int64, floating, char_pointer, pointer, other };

template <class T> constexpr Arg classify() {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_enum_v<U>) {
        return sizeof(U) <= 4 ? Arg::int32 : Arg::int64;
    } else if constexpr (std::is_integral_v<U>) {
        return sizeof(U) <= 4 ? Arg::int32 : (sizeof(U) == 8 ? Arg::int64 : Arg::other);
    } else if constexpr (std::is_floating_point_v<U>) {
        return Arg::floating;
    } else if constexpr (std::is_null_pointer_v<U>) {
        return Arg::pointer;
    } else if constexpr (std::is_pointer_v<U>) {
        using Pointee = std::remove_cv_t<std::remove_pointer_t<U>>;
        if constexpr (std::is_same_v<Pointee, char> || std::is_same_v<Pointee, signed char> ||
                      std::is_same_v<Pointee, unsigned char> || std::is_same_v<Pointee, wchar_t>)
            return Arg::char_pointer;
        else
            return Arg::pointer;
    } else {
        return Arg::other;
    }
}

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Whether `format` (NULL-terminated) matches the `count` argument kinds in `args`. */
constexpr bool matches(const char *format, const Arg *args, size_t count) {
    if (format == nullptr)
        return true;
    size_t next = 0;
    auto take = [&](bool (*accepts)(Arg)) {
        if (next >= count)
            return false;
        return accepts(args[next++]);
    };
    const char *p = format;
    while (*p != '\0') {
        if (*p++ != '%')
            continue;
        if (*p == '%') {
            ++p;
            continue;
        }
        if (*p == '{') { // os_log annotation
            while (*p != '\0' && *p != '}')
                ++p;
            if (*p == '\0')
                return false;
            ++p;
        }
        while (*p == '-' || *p == '+' || *p == ' ' || *p == '#' || *p == '0' || *p == '\'')
            ++p;
        auto int_arg = [](Arg a) { return a == Arg::int32; };
        if (*p == '*') {
            ++p;
            if (!take(int_arg))
                return false;
        }
        while (is_digit(*p))
            ++p;
        if (*p == '.') {
            ++p;
            if (*p == '*') {
                ++p;
                if (!take(int_arg))
                    return false;
            }
            while (is_digit(*p))
                ++p;
        }
        bool wide = false; // a 64-bit length modifier
        bool long_double = false;
        if (*p == 'h') {
            p += p[1] == 'h' ? 2 : 1;
        } else if (*p == 'l') {
            p += p[1] == 'l' ? 2 : 1;
            wide = true;
        } else if (*p == 'q' || *p == 'j' || *p == 'z' || *p == 't') {
            ++p;
            wide = true;
        } else if (*p == 'L') {
            ++p;
            long_double = true;
        }
        char conversion = *p;
        if (conversion == '\0')
            return false;
        ++p;
        switch (conversion) {
        case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
            if (!(wide ? take([](Arg a) { return a == Arg::int64; }) : take(int_arg)))
                return false;
            break;
        case 'c': case 'C': // %lc takes a wint_t, 32 bits as well
            if (!take(int_arg))
                return false;
            break;
        case 's': case 'S':
            if (!take([](Arg a) { return a == Arg::char_pointer; }))
                return false;
            break;
        case 'p': case '@': case 'n': case 'P':
            if (!take([](Arg a) { return a == Arg::pointer || a == Arg::char_pointer; }))
                return false;
            break;
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
            (void)long_double;
            if (!take([](Arg a) { return a == Arg::floating; }))
                return false;
            break;
        case 'm':
            break;
        default:
            return false;
        }
    }
    return next == count;
}

template <class... Args> constexpr bool format_matches(const char *format) {
    constexpr Arg kinds[] = {classify<Args>()..., Arg::other};
    return matches(format, kinds, sizeof...(Args));
}

} // namespace netdext::format

/* NETDEXT_CHECK_FORMAT(format, Args): Args is the function's argument pack. */
#if defined(__clang__)
#define NETDEXT_FORMAT_WARNING                                                                    \
    "IOLog/os_log format does not match its arguments (Darwin rules: %d/%u/%x for 32-bit "       \
    "integers, %lld/%llu/%lu for 64-bit, %s for strings, %p for pointers)"
#define NETDEXT_CHECK_FORMAT(format, Args)                                                        \
    __attribute__((diagnose_if(!::netdext::format::format_matches<Args...>(format),               \
                               NETDEXT_FORMAT_WARNING, "warning")))
#define NETDEXT_CHECK_FORMAT_NO_ARGS(format)                                                      \
    __attribute__((diagnose_if(!::netdext::format::format_matches<>(format),                      \
                               NETDEXT_FORMAT_WARNING, "warning")))
#endif

#endif /* __cplusplus */

#ifndef NETDEXT_CHECK_FORMAT
#define NETDEXT_CHECK_FORMAT(format, Args)
#define NETDEXT_CHECK_FORMAT_NO_ARGS(format)
#endif

#endif
