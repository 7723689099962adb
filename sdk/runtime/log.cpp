/*
 * log.cpp — IOLog, os_log and the process log sink (netdext/runtime.h).
 *
 * Every line, whatever its origin, becomes one LogRecord handed to the sink: the default sink
 * writes "<identity>: <message>\n" to standard error in a single write() so that lines from
 * different threads never interleave, and drops debug lines unless NETDEXT_LOG_DEBUG=1. A host
 * installs its own sink (netdext-host forwards to netdextd).
 *
 * os_log formats are walked here rather than handed to printf, because Darwin format strings
 * carry `{...}` annotations and privacy rules printf knows nothing about:
 *  - `%{public}s`, `%{private}s`, `%{public, mask.hash}s`, ...: the annotation is removed;
 *    public/private/sensitive decide redaction. Value types as Apple prints them: `%{bool}d`
 *    true/false, `%{BOOL}d` YES/NO, `%{darwin.errno}d` "[5: Input/output error]"; other
 *    annotations print the value plainly.
 *  - %s, %S, %@ and %P without {public} print `<private>` unless set_log_show_private(true) or
 *    NETDEXT_LOG_PRIVATE=1 (Apple: dynamic strings are private by default). Scalars are always
 *    shown — netdext does not redact them even when marked {private}.
 *  - %@ prints the pointer like %p (no Objective-C objects here); %.*P prints its bytes in hex;
 *    %m prints strerror(errno); %n is refused: its pointer is consumed, "%n" printed, no write.
 *  - Lines are cut at 1024 bytes, as Apple does, without splitting a UTF-8 sequence.
 * IOLog goes through the same walker without redaction, i.e. plain printf formatting (plus the
 * %n refusal); one trailing newline is removed from every message.
 */
#include <DriverKit/IOLib.h>
#include <netdext/runtime.h>
#include <os/log.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <utility>
#include <wchar.h>

/* The handle behind os_log_t. Plain C strings so the two globals need no constructor. */
struct os_log_s {
    const char *m_subsystem;
    const char *m_category;
    bool m_enabled;
};

struct os_log_s _os_log_default = {"", "", true};
struct os_log_s _os_log_disabled = {"", "", false};

namespace {

using netdext::LogLevel;
using netdext::LogRecord;
using netdext::LogSink;

constexpr size_t kMaxLineBytes = 1024; // Apple truncates log messages here
constexpr int kMaxFieldWidth = 4096;   // wider fields only pad past the truncation point

bool env_enabled(const char *name) {
    const char *value = std::getenv(name);
    return value != nullptr && (std::strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
                                strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0);
}

bool env_debug_enabled() {
    static const bool enabled = env_enabled("NETDEXT_LOG_DEBUG");
    return enabled;
}

thread_local int t_sink_depth = 0; // > 0 while this thread runs a sink

/* Process-wide logging state; allocated once and never destroyed, so logging keeps working from
 * static destructors. */
class LogState {
public:
    std::shared_ptr<const LogSink> sink() {
        std::lock_guard<std::mutex> guard(m_mutex);
        return m_sink;
    }
    /* When this returns no other thread is still inside the old sink, so a test may destroy
     * what its sink captured. (A sink replacing the sink does not wait, to avoid deadlock.) */
    void set_sink(LogSink sink) {
        std::shared_ptr<const LogSink> next;
        if (sink)
            next = std::make_shared<const LogSink>(std::move(sink));
        std::shared_ptr<const LogSink> old;
        {
            std::lock_guard<std::mutex> guard(m_mutex);
            m_has_custom_sink.store(next != nullptr, std::memory_order_relaxed);
            old = std::exchange(m_sink, std::move(next));
        }
        // Every call holds a reference while it runs; wait for the others to drop theirs.
        while (old != nullptr && t_sink_depth == 0 && old.use_count() > 1)
            std::this_thread::yield();
        std::atomic_thread_fence(std::memory_order_acquire);
    }
    bool has_custom_sink() const { return m_has_custom_sink.load(std::memory_order_relaxed); }

    /* Identities are never freed: log_identity() hands out references that must stay valid. */
    const std::string &identity() const { return *m_identity.load(std::memory_order_acquire); }
    void set_identity(const std::string &identity) {
        std::lock_guard<std::mutex> guard(m_mutex);
        m_identities.push_back(identity);
        m_identity.store(&m_identities.back(), std::memory_order_release);
    }

    bool show_private() const {
        int forced = m_show_private.load(std::memory_order_relaxed);
        if (forced >= 0)
            return forced != 0;
        static const bool from_env = env_enabled("NETDEXT_LOG_PRIVATE");
        return from_env;
    }
    void set_show_private(bool show) {
        m_show_private.store(show ? 1 : 0, std::memory_order_relaxed);
    }

    os_log_t create_log(const char *subsystem, const char *category) {
        std::lock_guard<std::mutex> guard(m_mutex);
        auto [entry, created] = m_logs.try_emplace({subsystem, category});
        if (created) // map nodes never move, so the handle can point into its own key
            entry->second = {entry->first.first.c_str(), entry->first.second.c_str(), true};
        return &entry->second;
    }

private:
    std::mutex m_mutex; // guards m_sink, m_identities, m_logs
    std::shared_ptr<const LogSink> m_sink;
    std::atomic<bool> m_has_custom_sink{false};
    std::deque<std::string> m_identities{std::string("netdext")};
    std::atomic<const std::string *> m_identity{&m_identities.front()};
    std::atomic<int> m_show_private{-1}; // -1: follow NETDEXT_LOG_PRIVATE
    std::map<std::pair<std::string, std::string>, os_log_s> m_logs; // never erased
};

LogState &state() {
    static LogState *instance = new LogState;
    return *instance;
}

/* One log message being built; holds at most kMaxLineBytes bytes and is always NUL-terminated. */
class LineBuffer {
public:
    void append(const char *text, size_t length) {
        size_t room = kMaxLineBytes - m_length;
        if (length > room) {
            length = room;
            m_truncated = true;
        }
        std::memcpy(m_data + m_length, text, length);
        m_length += length;
        m_data[m_length] = '\0';
    }
    void append(const char *text) { append(text, std::strlen(text)); }

    /* printf of exactly one value, with a spec this file built itself. */
    __attribute__((format(printf, 2, 3))) void appendf(const char *spec, ...) {
        size_t room = kMaxLineBytes - m_length;
        va_list ap;
        va_start(ap, spec);
        int n = vsnprintf(m_data + m_length, room + 1, spec, ap);
        va_end(ap);
        if (n < 0) { // e.g. a wide string the locale cannot encode: print nothing
            m_data[m_length] = '\0';
            return;
        }
        if (static_cast<size_t>(n) > room) {
            n = static_cast<int>(room);
            m_truncated = true;
        }
        m_length += static_cast<size_t>(n);
    }

    /* Final touches: drop one trailing newline; never end inside a UTF-8 sequence. */
    const char *finish() {
        if (m_truncated)
            trim_partial_utf8();
        else if (m_length > 0 && m_data[m_length - 1] == '\n')
            --m_length;
        m_data[m_length] = '\0';
        return m_data;
    }

private:
    /* Backs up over a multi-byte UTF-8 sequence that the cut left incomplete. */
    void trim_partial_utf8() {
        auto byte = [this](size_t i) { return static_cast<unsigned char>(m_data[i]); };
        size_t lead = m_length;
        while (lead > 0 && m_length - lead < 3 && (byte(lead - 1) & 0xC0) == 0x80)
            --lead;
        if (lead == 0 || byte(lead - 1) < 0xC0)
            return; // plain ASCII at the cut, or no lead byte in reach
        size_t needed = byte(lead - 1) >= 0xF0 ? 4 : byte(lead - 1) >= 0xE0 ? 3 : 2;
        if (m_length - (lead - 1) < needed)
            m_length = lead - 1;
    }

    char m_data[kMaxLineBytes + 1] = {};
    size_t m_length = 0;
    bool m_truncated = false;
};

/* ---- the format walker ---- */

enum class Length { none, hh, h, l, ll, j, z, t, L };

/* printf flag characters; bit i of Conversion::flags stands for kFlagChars[i]. */
constexpr char kFlagChars[] = "-+ #0'";

constexpr unsigned kFlagMinus = 1u << 0, kFlagPlus = 1u << 1, kFlagSpace = 1u << 2;

/* os_log value types that change how an integer prints (Apple's "Formatting Log Messages"). */
enum class ValueType : uint8_t { plain, bool_lower, bool_objc, errno_value };

struct Conversion {
    unsigned flags = 0;
    int width = -1;     // -1: none
    int precision = -1; // -1: none
    Length length = Length::none;
    bool is_public = false;
    ValueType value_type = ValueType::plain;
};

/* Reads an annotation such as "public" or "private, mask.hash" (text between the braces). */
void parse_annotation(const char *begin, const char *end, Conversion &conversion) {
    while (begin < end) {
        while (begin < end && (*begin == ' ' || *begin == ','))
            ++begin;
        const char *word = begin;
        while (begin < end && *begin != ',' && *begin != ' ')
            ++begin;
        size_t n = static_cast<size_t>(begin - word);
        std::string_view w(word, n);
        if (w == "public")
            conversion.is_public = true;
        else if (w == "bool")
            conversion.value_type = ValueType::bool_lower; // true / false
        else if (w == "BOOL")
            conversion.value_type = ValueType::bool_objc; // YES / NO
        else if (w == "darwin.errno" || w == "errno")
            conversion.value_type = ValueType::errno_value; // [5: Input/output error]
        // "private", "sensitive" and every other annotation leave the default (not public).
    }
}

int clamp_field(long long value) {
    return value > kMaxFieldWidth ? kMaxFieldWidth : static_cast<int>(value);
}

/* Reads a decimal width or precision (possibly empty, meaning 0) and moves p past it. */
int parse_field(const char *&p) {
    long long value = 0;
    for (; *p >= '0' && *p <= '9'; ++p)
        value = value > kMaxFieldWidth ? value : value * 10 + (*p - '0');
    return clamp_field(value);
}

/* Reads a length modifier, if any, and moves p past it. */
Length parse_length(const char *&p) {
    static const struct {
        const char *text;
        Length length;
    } kLengths[] = {{"hh", Length::hh}, {"h", Length::h},  {"ll", Length::ll},
                    {"l", Length::l},   {"q", Length::ll}, {"j", Length::j},
                    {"z", Length::z},   {"t", Length::t},  {"L", Length::L}};
    for (const auto &entry : kLengths) {
        size_t n = std::strlen(entry.text);
        if (std::strncmp(p, entry.text, n) == 0) {
            p += n;
            return entry.length;
        }
    }
    return Length::none;
}

/* Builds "%<flags><width>.<precision><length><conversion>" for one already-fetched value. */
void build_spec(char *spec, const Conversion &c, unsigned allowed_flags, const char *length,
                char conversion) {
    char *p = spec;
    *p++ = '%';
    unsigned flags = c.flags & allowed_flags;
    for (int bit = 0; bit < 6; ++bit) {
        if (flags & (1u << bit))
            *p++ = kFlagChars[bit];
    }
    if (c.width >= 0)
        p += snprintf(p, 12, "%d", c.width);
    if (c.precision >= 0)
        p += snprintf(p, 13, ".%d", c.precision);
    while (*length != '\0')
        *p++ = *length++;
    *p++ = conversion;
    *p = '\0';
}

/* An integer argument of printf type S (unsigned twin U), as 64 bits sign- or zero-extended. */
template <typename S, typename U, typename V> unsigned long long widen(V value, bool is_signed) {
    return is_signed
               ? static_cast<unsigned long long>(static_cast<long long>(static_cast<S>(value)))
               : static_cast<unsigned long long>(static_cast<U>(value));
}

/* Fetches an integer with the type its length modifier names (the signed twin stands for the
 * unsigned one: same size and register class). hh and h arrive promoted to int. */
unsigned long long integer_argument(Length length, bool is_signed, va_list *ap) {
    switch (length) {
    case Length::none:
        return widen<int, unsigned>(va_arg(*ap, int), is_signed);
    case Length::hh:
        return widen<signed char, unsigned char>(va_arg(*ap, int), is_signed);
    case Length::h:
        return widen<short, unsigned short>(va_arg(*ap, int), is_signed);
    case Length::l:
        return widen<long, unsigned long>(va_arg(*ap, long), is_signed);
    case Length::j:
        return widen<intmax_t, uintmax_t>(va_arg(*ap, intmax_t), is_signed);
    case Length::z:
        return widen<ssize_t, size_t>(va_arg(*ap, ssize_t), is_signed);
    case Length::t:
        return widen<ptrdiff_t, size_t>(va_arg(*ap, ptrdiff_t), is_signed);
    case Length::ll:
    case Length::L: // glibc reads %Ld as %lld
        break;
    }
    return widen<long long, unsigned long long>(va_arg(*ap, long long), is_signed);
}

constexpr char kRedacted[] = "<private>";
constexpr unsigned kAllFlags = ~0u;

/* Prints one conversion whose flags, width, precision and length are already parsed. Returns
 * false for an unknown conversion character (nothing consumed; the caller prints it verbatim). */
bool print_conversion(LineBuffer &out, const Conversion &c, char conversion, va_list *ap,
                      bool redact_private, int saved_errno) {
    char spec[64];
    const bool redact = redact_private && !c.is_public;
    const bool wide = c.length == Length::l || conversion == 'C' || conversion == 'S';
    if ((conversion == 'd' || conversion == 'i' || conversion == 'u') &&
        c.value_type != ValueType::plain) {
        auto value = static_cast<long long>(integer_argument(c.length, conversion != 'u', ap));
        if (c.value_type == ValueType::errno_value)
            out.appendf("[%lld: %s]", value, strerror(static_cast<int>(value)));
        else if (c.value_type == ValueType::bool_lower)
            out.append(value != 0 ? "true" : "false");
        else
            out.append(value != 0 ? "YES" : "NO");
    } else if (conversion == 'd' || conversion == 'i') {
        auto value = static_cast<long long>(integer_argument(c.length, true, ap));
        build_spec(spec, c, kAllFlags, "ll", 'd');
        out.appendf(spec, value);
    } else if (std::strchr("ouxX", conversion) != nullptr) {
        unsigned long long value = integer_argument(c.length, false, ap);
        build_spec(spec, c, kAllFlags & ~(kFlagPlus | kFlagSpace), "ll", conversion);
        out.appendf(spec, value);
    } else if (std::strchr("fFeEgGaA", conversion) != nullptr) {
        build_spec(spec, c, kAllFlags, c.length == Length::L ? "L" : "", conversion);
        if (c.length == Length::L)
            out.appendf(spec, va_arg(*ap, long double));
        else
            out.appendf(spec, va_arg(*ap, double));
    } else if (conversion == 'c' || conversion == 'C') {
        build_spec(spec, c, kFlagMinus, wide ? "l" : "", 'c');
        if (wide)
            out.appendf(spec, va_arg(*ap, wint_t));
        else
            out.appendf(spec, va_arg(*ap, int));
    } else if (conversion == 's' || conversion == 'S') {
        const wchar_t *wide_value = wide ? va_arg(*ap, const wchar_t *) : nullptr;
        const char *value = wide ? nullptr : va_arg(*ap, const char *);
        build_spec(spec, c, kFlagMinus, wide ? "l" : "", 's');
        if (redact || (value == nullptr && wide_value == nullptr))
            out.append(redact ? kRedacted : "(null)");
        else if (wide)
            out.appendf(spec, wide_value);
        else
            out.appendf(spec, value);
    } else if (conversion == 'p' || conversion == '@') {
        // %@ names an Objective-C object; there are none here, so it shows the address.
        void *value = va_arg(*ap, void *);
        Conversion no_precision = c;
        no_precision.precision = -1;
        build_spec(spec, no_precision, kFlagMinus, "", 'p');
        if (conversion == '@' && redact)
            out.append(kRedacted);
        else
            out.appendf(spec, value);
    } else if (conversion == 'P') {
        // Apple: %.*P takes a length (the precision) and a pointer to that many bytes.
        const unsigned char *bytes = va_arg(*ap, const unsigned char *);
        if (redact || bytes == nullptr)
            out.append(redact ? kRedacted : "(null)");
        for (int i = 0; !redact && bytes != nullptr && i < c.precision; ++i)
            out.appendf("%02x", bytes[i]);
    } else if (conversion == 'm') {
        build_spec(spec, c, kFlagMinus, "", 's');
        out.appendf(spec, strerror(saved_errno));
    } else if (conversion == 'n') {
        (void)va_arg(*ap, void *); // refused: consume the pointer, write nothing
        out.append("%n");
    } else {
        return false;
    }
    return true;
}

/* Walks a Darwin format string, fetching each argument from *ap with the type it names. */
void format_line(LineBuffer &out, const char *format, va_list *ap, bool redact_private,
                 int saved_errno) {
    const char *p = format != nullptr ? format : "";
    while (*p != '\0') {
        if (*p != '%') {
            const char *next = std::strchr(p, '%');
            size_t n = next != nullptr ? static_cast<size_t>(next - p) : std::strlen(p);
            out.append(p, n);
            p += n;
            continue;
        }
        const char *start = p++;
        if (*p == '%') {
            out.append("%", 1);
            ++p;
            continue;
        }
        Conversion c;
        if (*p == '{') {
            const char *close = std::strchr(p, '}');
            if (close == nullptr) {
                out.append(start); // unterminated annotation: print the rest verbatim
                break;
            }
            parse_annotation(p + 1, close, c);
            p = close + 1;
        }
        for (;; ++p) {
            const char *flag = *p != '\0' ? std::strchr(kFlagChars, *p) : nullptr;
            if (flag == nullptr)
                break;
            c.flags |= 1u << (flag - kFlagChars);
        }
        if (*p == '*') {
            long long width = va_arg(*ap, int);
            if (width < 0)
                c.flags |= kFlagMinus; // printf: a negative '*' width means left-justified
            c.width = clamp_field(width < 0 ? -width : width);
            ++p;
        } else if (*p >= '0' && *p <= '9') {
            c.width = parse_field(p);
        }
        if (*p == '.') {
            ++p;
            if (*p == '*') {
                int precision = va_arg(*ap, int);
                c.precision = precision < 0 ? -1 : clamp_field(precision);
                ++p;
            } else {
                c.precision = parse_field(p);
            }
        }
        c.length = parse_length(p);
        char conversion = *p;
        if (conversion == '\0') {
            out.append(start, static_cast<size_t>(p - start));
            break;
        }
        ++p;
        if (!print_conversion(out, c, conversion, ap, redact_private, saved_errno))
            out.append(start, static_cast<size_t>(p - start)); // unknown: verbatim
    }
}

LogLevel level_for(os_log_type_t type) {
    return type == OS_LOG_TYPE_INFO    ? LogLevel::info
           : type == OS_LOG_TYPE_DEBUG ? LogLevel::debug
           : type == OS_LOG_TYPE_ERROR ? LogLevel::error
           : type == OS_LOG_TYPE_FAULT ? LogLevel::fault
                                       : LogLevel::notice; // DEFAULT and unknown types
}

/* Writes "<identity>: <message>\n" in one write(); retries only what a short write left. */
void default_sink(const LogRecord &record) {
    if (record.level == LogLevel::debug && !env_debug_enabled())
        return;
    std::string line = state().identity();
    line += ": ";
    line += record.message;
    line += '\n';
    const char *data = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = write(STDERR_FILENO, data, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        left -= static_cast<size_t>(n);
    }
}

void dispatch(LogLevel level, const char *subsystem, const char *category, const char *message) {
    LogRecord record{level, subsystem, category, message};
    std::shared_ptr<const LogSink> sink = state().sink();
    ++t_sink_depth;
    try {
        if (sink)
            (*sink)(record);
        else
            default_sink(record);
    } catch (...) {
        // A sink must not throw; logging is called from C code and must not unwind through it.
    }
    --t_sink_depth;
}

bool debug_wanted() {
    return state().has_custom_sink() || env_debug_enabled();
}

/* Formats without redaction (IOLog, log_linef) and sends the line on; returns its length.
 * Preserves errno. */
int log_formatted(LogLevel level, const char *format, va_list ap) {
    int saved_errno = errno;
    LineBuffer line;
    va_list copy;
    va_copy(copy, ap);
    format_line(line, format, &copy, false, saved_errno);
    va_end(copy);
    const char *message = line.finish();
    dispatch(level, "", "", message);
    errno = saved_errno;
    return static_cast<int>(std::strlen(message));
}

} // namespace

/* ---- netdext/runtime.h ---- */

namespace netdext {

void set_log_sink(LogSink sink) {
    state().set_sink(std::move(sink));
}

void set_log_identity(const std::string &identity) {
    state().set_identity(identity);
}

const std::string &log_identity() {
    return state().identity();
}

void set_log_show_private(bool show) {
    state().set_show_private(show);
}

void log_line(LogLevel level, const char *message) {
    int saved_errno = errno;
    LineBuffer line;
    line.append(message != nullptr ? message : "");
    dispatch(level, "", "", line.finish());
    errno = saved_errno;
}

void log_linef(LogLevel level, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    log_formatted(level, format, ap);
    va_end(ap);
}

} // namespace netdext

/* ---- os/log.h ---- */

os_log_t os_log_create(const char *subsystem, const char *category) {
    return state().create_log(subsystem != nullptr ? subsystem : "",
                              category != nullptr ? category : "");
}

/* Everything is enabled on a live log except debug, which needs NETDEXT_LOG_DEBUG=1 or a sink
 * of the host's own (the host then decides). */
bool os_log_type_enabled(os_log_t log, os_log_type_t type) {
    if (log == nullptr)
        log = OS_LOG_DEFAULT;
    if (!log->m_enabled)
        return false;
    return type != OS_LOG_TYPE_DEBUG || debug_wanted();
}

void netdext_os_log_impl(os_log_t log, os_log_type_t type, const char *format, ...) {
    int saved_errno = errno;
    if (log == nullptr)
        log = OS_LOG_DEFAULT;
    if (!os_log_type_enabled(log, type))
        return;
    LineBuffer line;
    va_list ap;
    va_start(ap, format);
    format_line(line, format, &ap, !state().show_private(), saved_errno);
    va_end(ap);
    dispatch(level_for(type), log->m_subsystem, log->m_category, line.finish());
    errno = saved_errno;
}

/* ---- IOLib.h logging ---- */

/* Returns the length of the message as logged (after truncation and newline removal). */
int IOLog(const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    int result = IOLogv(format, ap);
    va_end(ap);
    return result;
}

int netdext_IOLog(const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    int result = IOLogv(format, ap);
    va_end(ap);
    return result;
}

int IOLogv(const char *format, va_list ap) {
    return log_formatted(LogLevel::notice, format, ap);
}

/* Logs the title, then 16 bytes a line: offset, hex, and the printable characters. */
void IOLogBuffer(const char *title, const void *buffer, size_t size) {
    netdext::log_linef(LogLevel::notice, "%s (%zu bytes)", title != nullptr ? title : "", size);
    if (buffer == nullptr)
        return;
    const unsigned char *bytes = static_cast<const unsigned char *>(buffer);
    for (size_t offset = 0; offset < size; offset += 16) {
        char line[128];
        int n = snprintf(line, sizeof line, "  %04zx:", offset);
        char ascii[17] = {};
        for (size_t i = 0; i < 16; ++i) {
            if (offset + i < size) {
                unsigned char b = bytes[offset + i];
                n += snprintf(line + n, sizeof line - static_cast<size_t>(n), " %02x", b);
                ascii[i] = (b >= 0x20 && b < 0x7f) ? static_cast<char>(b) : '.';
            } else {
                n += snprintf(line + n, sizeof line - static_cast<size_t>(n), "   ");
            }
        }
        snprintf(line + n, sizeof line - static_cast<size_t>(n), "  %s", ascii);
        netdext::log_line(LogLevel::notice, line);
    }
}
