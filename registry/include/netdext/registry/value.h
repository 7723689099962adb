// netdext/registry/value.h — a typed property-list value: what an I/O Registry property, an
// entitlement or a personality entry holds. The six kinds IOKit's registry serialises (OSString,
// OSNumber, OSBoolean, OSData, OSArray, OSDictionary); a dictionary keeps its keys in insertion
// order and a key appears once. Data stays bytes everywhere (never text).
//
// Plain value type: copyable, comparable, no shared state; use it from one thread at a time.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace netdext::registry {

class Value {
public:
    enum class Type : uint8_t { string, number, boolean, data, array, dictionary };
    struct Member;

    // A default-constructed Value is the empty string. (No user-declared constructor: the
    // implicit ones leave std::vector<Member> uninstantiated until Member is complete.)
    static Value string(std::string text);
    // OSNumber: `bits` is its width (8, 16, 32 or 64); a negative number is its two's complement.
    static Value number(uint64_t value, uint8_t bits = 64);
    static Value boolean(bool value);
    static Value data(std::string_view bytes);
    static Value data(std::span<const uint8_t> bytes);
    static Value array();
    static Value array(std::vector<Value> items);
    static Value dictionary();
    static Value dictionary(std::initializer_list<std::pair<std::string, Value>> members);

    Type type() const { return m_type; }
    bool is(Type type) const { return m_type == type; }

    // Accessors for the matching type; on another type they return an empty value (never throw).
    const std::string &text() const { return m_bytes; }  // string
    const std::string &bytes() const { return m_bytes; } // data
    uint64_t number_value() const { return m_number; }   // number
    uint8_t number_bits() const { return m_bits; }       // number
    bool boolean_value() const { return m_number != 0; } // boolean
    const std::vector<Value> &items() const { return m_items; }
    std::vector<Value> &items() { return m_items; }
    const std::vector<Member> &members() const { return m_members; }

    // ---- dictionaries (no effect / nullptr on other types) ----
    const Value *find(std::string_view key) const;
    Value *find(std::string_view key);
    // Replaces the value of `key` in place, or appends it.
    Value &set(std::string key, Value value);
    bool erase(std::string_view key);
    // ---- arrays ----
    Value &append(Value value);

    // Same type and contents (dictionaries: the same keys in the same order).
    bool operator==(const Value &other) const;
    bool operator!=(const Value &other) const { return !(*this == other); }

private:
    Type m_type = Type::string;
    uint8_t m_bits = 64;
    uint64_t m_number = 0;      // number; boolean (0 or 1)
    std::string m_bytes;        // string (UTF-8) or data
    std::vector<Value> m_items; // array
    std::vector<Member> m_members;
};

struct Value::Member {
    std::string key;
    Value value;
};

const char *to_string(Value::Type type);

} // namespace netdext::registry
