/*
 * boot_args.cpp — the dext's boot-args and IOParseBootArgNumber / IOParseBootArgString.
 *
 * macOS reads these from the kernel's boot-args NVRAM variable; netdext keeps one string per
 * process, set by the host (netdext::set_boot_args, from `netdextctl boot-args`) or, until then,
 * taken from the environment variable NETDEXT_BOOT_ARGS.
 *
 * Syntax (as on macOS): whitespace-separated tokens; `key=value` gives a value; a bare `key` or a
 * `-flag` token means "present". Keys match exactly, dash included: a `-v` token is found by
 * IOParseBootArgNumber("-v", ...), not by "v". When a key appears more than once the last
 * occurrence wins — even if that occurrence turns out to be malformed.
 *
 * Numbers (netdext's reading of PE_parse_boot_argn): an optional sign, then decimal or 0x/0X hex;
 * a bare key or -flag counts as 1; as a netdext extension true/yes/on and false/no/off (any case)
 * read as 1 and 0. The value must fit in 64 bits (signed if negative, unsigned otherwise).
 */
#include <DriverKit/IOLib.h>
#include <netdext/runtime.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace {

class BootArgsStore {
public:
    std::string get() {
        std::lock_guard<std::mutex> guard(m_mutex);
        load_environment_locked();
        return m_args;
    }

    void set(const std::string &args) {
        std::lock_guard<std::mutex> guard(m_mutex);
        m_args = args;
        m_loaded = true; // an explicit value overrides NETDEXT_BOOT_ARGS for good
    }

private:
    void load_environment_locked() {
        if (m_loaded)
            return;
        m_loaded = true;
        if (const char *env = std::getenv("NETDEXT_BOOT_ARGS"))
            m_args = env;
    }

    std::mutex m_mutex;
    std::string m_args;
    bool m_loaded = false;
};

BootArgsStore &store() {
    static BootArgsStore *instance = new BootArgsStore; // never destroyed: usable during exit
    return *instance;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* What the last occurrence of a key said: either a value after '=' or just "present". */
struct BootArg {
    bool has_value = false;
    std::string value;
};

std::optional<BootArg> find_boot_arg(const std::string &args, std::string_view key) {
    std::optional<BootArg> found;
    if (key.empty())
        return found;
    size_t pos = 0;
    while (pos < args.size()) {
        while (pos < args.size() && is_space(args[pos]))
            ++pos;
        size_t end = pos;
        while (end < args.size() && !is_space(args[end]))
            ++end;
        if (end == pos)
            break;
        std::string_view token(args.data() + pos, end - pos);
        size_t equals = token.find('=');
        std::string_view name = token.substr(0, equals);
        if (name == key) {
            BootArg arg;
            if (equals != std::string_view::npos) {
                arg.has_value = true;
                arg.value.assign(token.substr(equals + 1));
            }
            found = std::move(arg); // keep scanning: the last occurrence wins
        }
        pos = end;
    }
    return found;
}

bool equals_ignoring_case(std::string_view a, const char *b) {
    size_t n = std::strlen(b);
    return a.size() == n && strncasecmp(a.data(), b, n) == 0;
}

int digit_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses a boot-arg number into its 64-bit two's-complement bit pattern. */
std::optional<uint64_t> parse_number(std::string_view text) {
    static const struct {
        const char *word;
        uint64_t value;
    } words[] = {{"true", 1}, {"yes", 1}, {"on", 1}, {"false", 0}, {"no", 0}, {"off", 0}};
    for (const auto &word : words) {
        if (equals_ignoring_case(text, word.word))
            return word.value;
    }

    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    unsigned base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    if (text.empty())
        return std::nullopt;

    uint64_t magnitude = 0;
    for (char c : text) {
        int digit = digit_value(c);
        if (digit < 0 || static_cast<unsigned>(digit) >= base)
            return std::nullopt;
        if (__builtin_mul_overflow(magnitude, base, &magnitude) ||
            __builtin_add_overflow(magnitude, static_cast<uint64_t>(digit), &magnitude))
            return std::nullopt;
    }
    if (negative) {
        if (magnitude > (uint64_t{1} << 63))
            return std::nullopt; // below INT64_MIN
        return uint64_t{0} - magnitude;
    }
    return magnitude;
}

} // namespace

namespace netdext {

void set_boot_args(const std::string &boot_args) {
    store().set(boot_args);
}

std::string boot_args() {
    return store().get();
}

} // namespace netdext

/*
 * DriverKit: true when the key is present and its value parsed. Writes exactly max_len bytes
 * (1, 2, 4 or 8): the low bytes of the value, so a `bool` or `uint8_t` target works. Any other
 * max_len, a missing key or a bad value returns false and leaves *arg_ptr untouched.
 */
bool IOParseBootArgNumber(const char *arg_string, void *arg_ptr, int max_len) {
    if (arg_string == nullptr || arg_ptr == nullptr)
        return false;
    if (max_len != 1 && max_len != 2 && max_len != 4 && max_len != 8)
        return false;
    std::optional<BootArg> arg = find_boot_arg(netdext::boot_args(), arg_string);
    if (!arg)
        return false;
    std::optional<uint64_t> value = arg->has_value ? parse_number(arg->value) : uint64_t{1};
    if (!value)
        return false;
    switch (max_len) {
    case 1: {
        uint8_t v = static_cast<uint8_t>(*value);
        std::memcpy(arg_ptr, &v, sizeof v);
        break;
    }
    case 2: {
        uint16_t v = static_cast<uint16_t>(*value);
        std::memcpy(arg_ptr, &v, sizeof v);
        break;
    }
    case 4: {
        uint32_t v = static_cast<uint32_t>(*value);
        std::memcpy(arg_ptr, &v, sizeof v);
        break;
    }
    default: {
        uint64_t v = *value;
        std::memcpy(arg_ptr, &v, sizeof v);
        break;
    }
    }
    return true;
}

/*
 * DriverKit: copies the value of `key=value` into arg_ptr, truncated to strlen - 1 bytes plus a
 * NUL. A bare key or -flag yields "" (present, no value). False if the key is missing or strlen
 * leaves no room even for the NUL.
 */
bool IOParseBootArgString(const char *arg_string, char *arg_ptr, int strlen) {
    if (arg_string == nullptr || arg_ptr == nullptr || strlen <= 0)
        return false;
    std::optional<BootArg> arg = find_boot_arg(netdext::boot_args(), arg_string);
    if (!arg)
        return false;
    size_t n = arg->value.size();
    if (n > static_cast<size_t>(strlen) - 1)
        n = static_cast<size_t>(strlen) - 1;
    std::memcpy(arg_ptr, arg->value.data(), n);
    arg_ptr[n] = '\0';
    return true;
}
