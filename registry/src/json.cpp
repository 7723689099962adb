// Registry values and entries as typed JSON (wire.h), with nlohmann::json.

#include <netdext/registry/wire.h>

#include <nlohmann/json.hpp>

#include <limits>

namespace netdext::registry {
namespace {

using Json = nlohmann::ordered_json;

// ---- writing ----

std::string hex_of(const std::string &bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

Json value_json(const Value &value) {
    switch (value.type()) {
    case Value::Type::string:
        return Json{{"string", value.text()}};
    case Value::Type::number:
        return Json{{"number", value.number_value()}, {"bits", value.number_bits()}};
    case Value::Type::boolean:
        return Json{{"bool", value.boolean_value()}};
    case Value::Type::data:
        return Json{{"data", hex_of(value.bytes())}};
    case Value::Type::array: {
        Json items = Json::array();
        for (const Value &item : value.items())
            items.push_back(value_json(item));
        return Json{{"array", std::move(items)}};
    }
    case Value::Type::dictionary: {
        Json members = Json::object();
        for (const Value::Member &member : value.members())
            members[member.key] = value_json(member.value);
        return Json{{"dict", std::move(members)}};
    }
    }
    return Json{{"string", ""}};
}

Json entry_json(const Entry &entry) {
    Json out = Json::object();
    out["name"] = entry.name;
    if (!entry.location.empty())
        out["location"] = entry.location;
    out["class"] = entry.class_name;
    out["class_chain"] = entry.class_chain.empty() ? std::vector<std::string>{entry.class_name}
                                                   : entry.class_chain;
    out["id"] = entry.id;
    out["service"] = entry.is_service;
    if (entry.is_service) {
        out["state"] = entry.state;
        out["busy"] = entry.busy_count;
        out["busy_time_ns"] = entry.busy_time_ns;
    }
    out["retain"] = entry.retain_count;
    Json properties = Json::object();
    for (const Value::Member &member : entry.properties.members())
        properties[member.key] = value_json(member.value);
    out["properties"] = std::move(properties);
    Json children = Json::array();
    for (const Entry &child : entry.children)
        children.push_back(entry_json(child));
    out["children"] = std::move(children);
    return out;
}

std::string dump(const Json &json, bool pretty) {
    // Invalid UTF-8 in a string (a driver's property) is replaced rather than refused.
    return json.dump(pretty ? 2 : -1, ' ', false, Json::error_handler_t::replace);
}

// ---- reading ----

bool fail(WireError &error, const std::string &where, const std::string &what) {
    error.message = (where.empty() ? std::string("the document") : where) + ": " + what;
    return false;
}

// Rejects documents nested deeper than `limit` before nlohmann builds them.
bool nesting_within(std::string_view text, int limit) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit)
                return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

std::optional<Json> parse(std::string_view text, WireError &error) {
    if (text.size() > kMaxWireBytes) {
        fail(error, "", "larger than " + std::to_string(kMaxWireBytes) + " bytes");
        return std::nullopt;
    }
    if (!nesting_within(text, 4 * kMaxNesting + 8)) {
        fail(error, "", "nested too deeply");
        return std::nullopt;
    }
    Json json = Json::parse(text.begin(), text.end(), nullptr, false);
    if (json.is_discarded()) {
        fail(error, "", "not valid JSON");
        return std::nullopt;
    }
    return json;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool unsigned_field(const Json &object, const char *key, uint64_t max, uint64_t &out,
                    const std::string &where, WireError &error) {
    auto it = object.find(key);
    if (it == object.end())
        return fail(error, where, std::string("\"") + key + "\" is missing");
    if (!it->is_number_unsigned() || it->get<uint64_t>() > max)
        return fail(error, where + "." + key,
                    "not an integer from 0 to " + std::to_string(max));
    out = it->get<uint64_t>();
    return true;
}

bool string_field(const Json &object, const char *key, bool required, std::string &out,
                  const std::string &where, WireError &error) {
    auto it = object.find(key);
    if (it == object.end())
        return !required || fail(error, where, std::string("\"") + key + "\" is missing");
    if (!it->is_string())
        return fail(error, where + "." + key, "not a string");
    out = it->get<std::string>();
    if (out.find('\0') != std::string::npos)
        return fail(error, where + "." + key, "a string with a NUL character");
    return true;
}

bool only_keys(const Json &object, std::initializer_list<const char *> allowed,
               const std::string &where, WireError &error) {
    for (auto it = object.begin(); it != object.end(); ++it) {
        bool known = false;
        for (const char *key : allowed)
            known = known || it.key() == key;
        if (!known)
            return fail(error, where, "unknown key \"" + it.key() + "\"");
    }
    return true;
}

bool value_from(const Json &json, Value &out, int depth, const std::string &where,
                WireError &error) {
    if (depth > kMaxNesting)
        return fail(error, where, "nested more than " + std::to_string(kMaxNesting) + " deep");
    if (!json.is_object() || json.empty())
        return fail(error, where, "not a typed value ({\"string\": …}, {\"number\": …}, …)");
    if (auto it = json.find("string"); it != json.end()) {
        std::string text;
        if (!only_keys(json, {"string"}, where, error) ||
            !string_field(json, "string", true, text, where, error))
            return false;
        out = Value::string(std::move(text));
        return true;
    }
    if (json.contains("number")) {
        uint64_t number = 0, bits = 64;
        if (!only_keys(json, {"number", "bits"}, where, error) ||
            !unsigned_field(json, "number", std::numeric_limits<uint64_t>::max(), number, where,
                            error))
            return false;
        if (json.contains("bits") && !unsigned_field(json, "bits", 64, bits, where, error))
            return false;
        if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
            return fail(error, where + ".bits", "not 8, 16, 32 or 64");
        if (bits < 64 && (number >> bits) != 0)
            return fail(error, where + ".number", "wider than its bits");
        out = Value::number(number, uint8_t(bits));
        return true;
    }
    if (auto it = json.find("bool"); it != json.end()) {
        if (!only_keys(json, {"bool"}, where, error))
            return false;
        if (!it->is_boolean())
            return fail(error, where + ".bool", "not true or false");
        out = Value::boolean(it->get<bool>());
        return true;
    }
    if (json.contains("data")) {
        std::string hex;
        if (!only_keys(json, {"data"}, where, error) ||
            !string_field(json, "data", true, hex, where, error))
            return false;
        if (hex.size() % 2 != 0)
            return fail(error, where + ".data", "an odd number of hex digits");
        std::string bytes(hex.size() / 2, '\0');
        for (size_t i = 0; i < bytes.size(); ++i) {
            int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return fail(error, where + ".data", "not hexadecimal");
            bytes[i] = char(hi * 16 + lo);
        }
        out = Value::data(bytes);
        return true;
    }
    if (auto it = json.find("array"); it != json.end()) {
        if (!only_keys(json, {"array"}, where, error))
            return false;
        if (!it->is_array())
            return fail(error, where + ".array", "not an array");
        out = Value::array();
        for (size_t i = 0; i < it->size(); ++i) {
            Value item;
            if (!value_from((*it)[i], item, depth + 1, where + "[" + std::to_string(i) + "]",
                            error))
                return false;
            out.append(std::move(item));
        }
        return true;
    }
    if (auto it = json.find("dict"); it != json.end()) {
        if (!only_keys(json, {"dict"}, where, error))
            return false;
        if (!it->is_object())
            return fail(error, where + ".dict", "not an object");
        out = Value::dictionary();
        for (auto member = it->begin(); member != it->end(); ++member) {
            Value value;
            if (!value_from(member.value(), value, depth + 1, where + "." + member.key(), error))
                return false;
            out.set(member.key(), std::move(value));
        }
        return true;
    }
    return fail(error, where, "unknown value type \"" + json.begin().key() + "\"");
}

bool entry_from(const Json &json, Entry &entry, int depth, size_t &count,
                const std::string &where, WireError &error) {
    if (depth > kMaxNesting)
        return fail(error, where, "entries nested more than " + std::to_string(kMaxNesting) +
                                      " deep");
    if (++count > kMaxEntries)
        return fail(error, where, "more than " + std::to_string(kMaxEntries) + " entries");
    if (!json.is_object())
        return fail(error, where, "an entry is not an object");
    if (!only_keys(json,
                   {"name", "location", "class", "class_chain", "id", "service", "state", "busy",
                    "busy_time_ns", "retain", "properties", "children"},
                   where, error))
        return false;
    uint64_t id = 0, retain = 0;
    if (!string_field(json, "name", true, entry.name, where, error) ||
        !string_field(json, "location", false, entry.location, where, error) ||
        !string_field(json, "class", true, entry.class_name, where, error) ||
        !unsigned_field(json, "id", std::numeric_limits<uint64_t>::max(), id, where, error) ||
        !unsigned_field(json, "retain", UINT32_MAX, retain, where, error))
        return false;
    entry.id = id;
    entry.retain_count = uint32_t(retain);
    auto service = json.find("service");
    if (service == json.end() || !service->is_boolean())
        return fail(error, where, "\"service\" is missing or not true/false");
    entry.is_service = service->get<bool>();
    if (entry.is_service) {
        uint64_t state = 0, busy = 0, busy_time = 0;
        if (!unsigned_field(json, "state", UINT32_MAX, state, where, error) ||
            !unsigned_field(json, "busy", UINT32_MAX, busy, where, error) ||
            !unsigned_field(json, "busy_time_ns", std::numeric_limits<uint64_t>::max(),
                            busy_time, where, error))
            return false;
        entry.state = uint32_t(state);
        entry.busy_count = uint32_t(busy);
        entry.busy_time_ns = busy_time;
    } else {
        entry.state = 0;
    }
    entry.class_chain.clear();
    if (auto chain = json.find("class_chain"); chain != json.end()) {
        if (!chain->is_array() || chain->size() > size_t(kMaxNesting))
            return fail(error, where + ".class_chain", "not an array of at most " +
                                                           std::to_string(kMaxNesting) +
                                                           " class names");
        for (const Json &name : *chain) {
            if (!name.is_string())
                return fail(error, where + ".class_chain", "not an array of strings");
            entry.class_chain.push_back(name.get<std::string>());
        }
    }
    entry.properties = Value::dictionary();
    if (auto properties = json.find("properties"); properties != json.end()) {
        if (!properties->is_object())
            return fail(error, where + ".properties", "not an object");
        for (auto member = properties->begin(); member != properties->end(); ++member) {
            Value value;
            if (!value_from(member.value(), value, 1,
                            where + ".properties." + member.key(), error))
                return false;
            entry.properties.set(member.key(), std::move(value));
        }
    }
    entry.children.clear();
    if (auto children = json.find("children"); children != json.end()) {
        if (!children->is_array())
            return fail(error, where + ".children", "not an array");
        for (size_t i = 0; i < children->size(); ++i) {
            Entry child;
            if (!entry_from((*children)[i], child, depth + 1, count,
                            where + ".children[" + std::to_string(i) + "]", error))
                return false;
            entry.children.push_back(std::move(child));
        }
    }
    return true;
}

} // namespace

std::string to_json(const Value &value) { return dump(value_json(value), false); }

std::string to_json(const Entry &entry, bool pretty) { return dump(entry_json(entry), pretty); }

std::string to_json(const std::vector<Entry> &entries, bool pretty) {
    Json array = Json::array();
    for (const Entry &entry : entries)
        array.push_back(entry_json(entry));
    return dump(array, pretty);
}

std::optional<Value> value_from_json(std::string_view text, WireError &error) {
    auto json = parse(text, error);
    if (!json)
        return std::nullopt;
    Value value;
    if (!value_from(*json, value, 0, "", error))
        return std::nullopt;
    return value;
}

std::optional<Entry> entry_from_json(std::string_view text, WireError &error) {
    auto json = parse(text, error);
    if (!json)
        return std::nullopt;
    Entry entry;
    size_t count = 0;
    if (!entry_from(*json, entry, 0, count, "", error))
        return std::nullopt;
    return entry;
}

std::optional<std::vector<Entry>> entries_from_json(std::string_view text, WireError &error) {
    auto json = parse(text, error);
    if (!json)
        return std::nullopt;
    std::vector<Entry> entries;
    size_t count = 0;
    if (json->is_array()) {
        for (size_t i = 0; i < json->size(); ++i) {
            Entry entry;
            if (!entry_from((*json)[i], entry, 0, count, "[" + std::to_string(i) + "]", error))
                return std::nullopt;
            entries.push_back(std::move(entry));
        }
    } else {
        Entry entry;
        if (!entry_from(*json, entry, 0, count, "", error))
            return std::nullopt;
        entries.push_back(std::move(entry));
    }
    return entries;
}

} // namespace netdext::registry
