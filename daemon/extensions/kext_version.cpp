#include "kext_version.h"

#include <cctype>

namespace netdext::extensions {
namespace {

// Reads 1…max_digits digits at `pos`; nullopt if there are none or too many.
std::optional<uint32_t> digits(std::string_view text, size_t &pos, size_t max_digits) {
    size_t start = pos;
    uint32_t value = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        if (pos - start == max_digits)
            return std::nullopt;
        value = value * 10 + uint32_t(text[pos] - '0');
        ++pos;
    }
    if (pos == start)
        return std::nullopt;
    return value;
}

} // namespace

std::optional<KextVersion> KextVersion::parse(std::string_view text) {
    KextVersion v;
    size_t pos = 0;
    auto major = digits(text, pos, 5);
    if (!major || *major > 65535)
        return std::nullopt;
    v.major = *major;
    uint32_t *rest[] = {&v.minor, &v.revision};
    for (uint32_t *part : rest) {
        if (pos >= text.size() || text[pos] != '.')
            break;
        ++pos;
        auto value = digits(text, pos, 2);
        if (!value)
            return std::nullopt;
        *part = *value;
    }
    if (pos == text.size())
        return v;
    std::string_view tail = text.substr(pos);
    if (tail.starts_with("fc")) {
        v.stage = Stage::candidate;
        pos += 2;
    } else if (tail[0] == 'd' || tail[0] == 'a' || tail[0] == 'b') {
        v.stage = tail[0] == 'd' ? Stage::development : tail[0] == 'a' ? Stage::alpha : Stage::beta;
        pos += 1;
    } else {
        return std::nullopt;
    }
    auto level = digits(text, pos, 3);
    if (!level || *level > 255 || pos != text.size())
        return std::nullopt;
    v.level = *level;
    return v;
}

int compare_versions(std::string_view a, std::string_view b) {
    auto ka = KextVersion::parse(a), kb = KextVersion::parse(b);
    if (ka && kb)
        return *ka < *kb ? -1 : *ka == *kb ? 0 : 1;
    // Free-form (CFBundleShortVersionString): digit runs compare as numbers, the rest as text.
    auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    auto number = [&](std::string_view s, size_t &p) {
        size_t start = p;
        while (p < s.size() && is_digit(s[p]))
            ++p;
        std::string_view run = s.substr(start, p - start);
        while (run.size() > 1 && run[0] == '0')
            run.remove_prefix(1);
        return run;
    };
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (is_digit(a[i]) && is_digit(b[j])) {
            std::string_view na = number(a, i), nb = number(b, j);
            if (na.size() != nb.size())
                return na.size() < nb.size() ? -1 : 1;
            if (int c = na.compare(nb); c != 0)
                return c < 0 ? -1 : 1;
            continue;
        }
        if (a[i] != b[j])
            return a[i] < b[j] ? -1 : 1;
        ++i;
        ++j;
    }
    if (i == a.size() && j == b.size())
        return 0;
    return i == a.size() ? -1 : 1;
}

} // namespace netdext::extensions
