// Checking device specs and wire options (see device_spec.h).

#include "device_spec.h"

namespace netdext::devices {

namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool valid_name(const std::string &name) {
    if (name.empty() || name.size() > kMaxNameLength)
        return false;
    for (char c : name)
        if (!is_name_char(c))
            return false;
    return true;
}

bool valid_value(const std::string &value) {
    if (value.empty() || value.size() > kMaxValueLength)
        return false;
    for (char c : value)
        if (c <= ' ' || c > '~' || c == ',')
            return false;
    return true;
}

} // namespace

std::optional<std::pair<std::string, std::string>> parse_knob(const std::string &text,
                                                              std::string &error) {
    const size_t eq = text.find('=');
    if (eq == std::string::npos) {
        error = "\"" + text + "\": expected knob=value";
        return std::nullopt;
    }
    std::string name = text.substr(0, eq), value = text.substr(eq + 1);
    if (!valid_name(name)) {
        error = "\"" + name + "\": a knob name is 1–" + std::to_string(kMaxNameLength) +
                " characters of a-z, 0-9, '-' and '_'";
        return std::nullopt;
    }
    if (!valid_value(value)) {
        error = "knob " + name + ": the value must be 1–" + std::to_string(kMaxValueLength) +
                " printable characters without spaces or ','";
        return std::nullopt;
    }
    return std::make_pair(std::move(name), std::move(value));
}

std::optional<DeviceSpec> parse_device_spec(const std::string &text, std::string &error) {
    if (text.size() >= kMaxSpecLength) {
        error = "the device spec is longer than " + std::to_string(kMaxSpecLength - 1) +
                " characters";
        return std::nullopt;
    }
    DeviceSpec spec;
    spec.text = text;
    size_t start = 0;
    bool first = true;
    for (;;) {
        const size_t comma = text.find(',', start);
        const std::string item =
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (first) {
            if (!valid_name(item)) {
                error = "\"" + item + "\": a model name is 1–" + std::to_string(kMaxNameLength) +
                        " characters of a-z, 0-9, '-' and '_' (e.g. cdc-ecm, e1000)";
                return std::nullopt;
            }
            spec.model = item;
            first = false;
        } else {
            auto knob = parse_knob(item, error);
            if (!knob)
                return std::nullopt;
            spec.knobs.push_back(std::move(*knob));
        }
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return spec;
}

std::optional<WireSpec> parse_wire_spec(const std::string &text, std::string &error) {
    WireSpec wire;
    if (text.empty() || text == "tap") {
        wire.name = kDefaultWirePattern;
        return wire;
    }
    if (text == "none") {
        wire.kind = WireSpec::Kind::none;
        return wire;
    }
    if (text.starts_with("tap:") && text.size() > 4) {
        wire.name = text.substr(4);
        return wire;
    }
    error = "--wire " + text + ": expected tap, tap:NAME or none";
    return std::nullopt;
}

} // namespace netdext::devices
