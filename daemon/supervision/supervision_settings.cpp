// SupervisionSettings parsing (see supervision_settings.h).

#include "supervision_settings.h"

#include <charconv>
#include <cmath>

namespace netdext::supervision {

namespace {

constexpr Duration kLongest = std::chrono::hours(24 * 30);

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

bool parse_count(std::string_view text, uint32_t &out, std::string &error) {
    text = trim(text);
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        error = "\"" + std::string(text) + "\" is not a whole number";
        return false;
    }
    out = value;
    return true;
}

} // namespace

bool parse_duration(std::string_view text, Duration &out, std::string &error) {
    const std::string original(text);
    text = trim(text);
    size_t digits = 0;
    while (digits < text.size() && ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.'))
        ++digits;
    const std::string number(text.substr(0, digits));
    const std::string_view unit = trim(text.substr(digits));
    double value = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() ||
        !std::isfinite(value)) {
        error = "\"" + original + "\" is not a duration (e.g. 500ms, 5s, 10min, 24h)";
        return false;
    }
    double nanoseconds_per_unit = 0;
    if (unit == "ms")
        nanoseconds_per_unit = 1e6;
    else if (unit.empty() || unit == "s")
        nanoseconds_per_unit = 1e9;
    else if (unit == "m" || unit == "min")
        nanoseconds_per_unit = 60e9;
    else if (unit == "h")
        nanoseconds_per_unit = 3600e9;
    else {
        error = "\"" + original + "\": unknown unit \"" + std::string(unit) +
                "\" (ms, s, min, h)";
        return false;
    }
    const double nanoseconds = value * nanoseconds_per_unit;
    if (nanoseconds > double(std::chrono::nanoseconds(kLongest).count())) {
        error = "\"" + original + "\" is longer than 30 days";
        return false;
    }
    out = std::chrono::duration_cast<Duration>(
        std::chrono::nanoseconds(int64_t(std::llround(nanoseconds))));
    return true;
}

std::string format_duration(Duration duration) {
    using namespace std::chrono;
    const int64_t ms = duration_cast<milliseconds>(duration).count();
    if (ms == 0)
        return duration == Duration::zero() ? "0"
                                            : std::to_string(duration_cast<microseconds>(duration).count()) + "us";
    if (ms % 3'600'000 == 0)
        return std::to_string(ms / 3'600'000) + "h";
    if (ms % 60'000 == 0 && ms >= 300'000) // "120s" as Apple writes the check-in timeout
        return std::to_string(ms / 60'000) + "min";
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

bool apply_setting(SupervisionSettings &settings, std::string_view key, std::string_view value,
                   std::string &error) {
    key = trim(key);
    Duration *duration = key == "check-in-timeout"       ? &settings.check_in_timeout
                         : key == "liveness-timeout"     ? &settings.liveness_timeout
                         : key == "crash-window"         ? &settings.crash_window
                         : key == "relaunch-backoff"     ? &settings.backoff_initial
                         : key == "relaunch-backoff-max" ? &settings.backoff_max
                         : key == "relaunch-stable"      ? &settings.stable_after
                                                         : nullptr;
    std::string why;
    if (duration != nullptr) {
        if (parse_duration(value, *duration, why))
            return true;
    } else if (key == "crash-limit") {
        if (parse_count(value, settings.crash_limit, why))
            return true;
    } else {
        error = "unknown setting \"" + std::string(key) +
                "\" (check-in-timeout, liveness-timeout, crash-limit, crash-window, "
                "relaunch-backoff, relaunch-backoff-max, relaunch-stable)";
        return false;
    }
    error = std::string(key) + ": " + why;
    return false;
}

bool validate(const SupervisionSettings &settings, std::string &error) {
    if (settings.crash_limit > 0 && settings.crash_window <= Duration::zero()) {
        error = "crash-window must be longer than 0 (crash-limit 0 turns quarantine off)";
        return false;
    }
    if (settings.backoff_max < settings.backoff_initial) {
        error = "relaunch-backoff-max (" + format_duration(settings.backoff_max) +
                ") is shorter than relaunch-backoff (" + format_duration(settings.backoff_initial) +
                ")";
        return false;
    }
    return true;
}

std::string describe(const SupervisionSettings &s) {
    return "check-in-timeout=" + format_duration(s.check_in_timeout) +
           " liveness-timeout=" + format_duration(s.liveness_timeout) +
           " crash-limit=" + std::to_string(s.crash_limit) +
           " crash-window=" + format_duration(s.crash_window) +
           " relaunch-backoff=" + format_duration(s.backoff_initial) +
           " relaunch-backoff-max=" + format_duration(s.backoff_max) +
           " relaunch-stable=" + format_duration(s.stable_after);
}

bool SupervisionPolicy::add_override(std::string_view spec, std::string &error) {
    const size_t colon = spec.find(':');
    const std::string bundle_id(trim(spec.substr(0, colon)));
    if (colon == std::string_view::npos || bundle_id.empty()) {
        error = "\"" + std::string(spec) + "\": expected BUNDLEID:key=value[,key=value…]";
        return false;
    }
    std::string combined = overrides.count(bundle_id) ? overrides.at(bundle_id) : "";
    std::string_view rest = spec.substr(colon + 1);
    SupervisionSettings check = defaults;
    // The earlier settings for this bundle, then the new ones: the result must still make sense.
    std::string_view earlier = combined;
    for (std::string_view list : {earlier, rest}) {
        while (!list.empty()) {
            const size_t comma = list.find(',');
            const std::string_view item = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
            if (trim(item).empty())
                continue;
            const size_t equals = item.find('=');
            if (equals == std::string_view::npos) {
                error = bundle_id + ": \"" + std::string(item) + "\" is not key=value";
                return false;
            }
            if (!apply_setting(check, item.substr(0, equals), item.substr(equals + 1), error)) {
                error = bundle_id + ": " + error;
                return false;
            }
        }
    }
    if (!validate(check, error)) {
        error = bundle_id + ": " + error;
        return false;
    }
    overrides[bundle_id] = combined.empty() ? std::string(rest) : combined + "," + std::string(rest);
    return true;
}

SupervisionSettings SupervisionPolicy::for_extension(const std::string &bundle_id) const {
    SupervisionSettings settings = defaults;
    auto it = overrides.find(bundle_id);
    if (it == overrides.end())
        return settings;
    std::string_view list = it->second;
    std::string ignored; // checked by add_override
    while (!list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        const size_t equals = item.find('=');
        if (equals != std::string_view::npos)
            (void)apply_setting(settings, item.substr(0, equals), item.substr(equals + 1), ignored);
    }
    return settings;
}

} // namespace netdext::supervision
