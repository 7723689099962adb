// Value and Entry: the registry's plain data.

#include <netdext/registry/entry.h>
#include <netdext/registry/value.h>

namespace netdext::registry {

Value Value::string(std::string text) {
    Value v;
    v.m_type = Type::string;
    v.m_bytes = std::move(text);
    return v;
}

Value Value::number(uint64_t value, uint8_t bits) {
    Value v;
    v.m_type = Type::number;
    v.m_bits = bits == 8 || bits == 16 || bits == 32 ? bits : 64;
    v.m_number = v.m_bits == 64 ? value : value & ((uint64_t(1) << v.m_bits) - 1);
    return v;
}

Value Value::boolean(bool value) {
    Value v;
    v.m_type = Type::boolean;
    v.m_number = value ? 1 : 0;
    return v;
}

Value Value::data(std::string_view bytes) {
    Value v;
    v.m_type = Type::data;
    v.m_bytes.assign(bytes.data(), bytes.size());
    return v;
}

Value Value::data(std::span<const uint8_t> bytes) {
    return data(std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()));
}

Value Value::array() { return array(std::vector<Value>()); }

Value Value::array(std::vector<Value> items) {
    Value v;
    v.m_type = Type::array;
    v.m_items = std::move(items);
    return v;
}

Value Value::dictionary() {
    Value v;
    v.m_type = Type::dictionary;
    return v;
}

Value Value::dictionary(std::initializer_list<std::pair<std::string, Value>> members) {
    Value v = dictionary();
    for (const auto &[key, value] : members)
        v.set(key, value);
    return v;
}

const Value *Value::find(std::string_view key) const {
    for (const Member &member : m_members)
        if (member.key == key)
            return &member.value;
    return nullptr;
}

Value *Value::find(std::string_view key) {
    return const_cast<Value *>(static_cast<const Value *>(this)->find(key));
}

Value &Value::set(std::string key, Value value) {
    if (m_type != Type::dictionary)
        return *this;
    if (Value *existing = find(key)) {
        *existing = std::move(value);
        return *existing;
    }
    m_members.push_back(Member{std::move(key), std::move(value)});
    return m_members.back().value;
}

bool Value::erase(std::string_view key) {
    for (auto it = m_members.begin(); it != m_members.end(); ++it)
        if (it->key == key) {
            m_members.erase(it);
            return true;
        }
    return false;
}

Value &Value::append(Value value) {
    if (m_type != Type::array)
        return *this;
    m_items.push_back(std::move(value));
    return m_items.back();
}

bool Value::operator==(const Value &other) const {
    if (m_type != other.m_type)
        return false;
    switch (m_type) {
    case Type::string:
    case Type::data:
        return m_bytes == other.m_bytes;
    case Type::number:
        return m_number == other.m_number && m_bits == other.m_bits;
    case Type::boolean:
        return m_number == other.m_number;
    case Type::array:
        return m_items == other.m_items;
    case Type::dictionary:
        if (m_members.size() != other.m_members.size())
            return false;
        for (size_t i = 0; i < m_members.size(); ++i)
            if (m_members[i].key != other.m_members[i].key ||
                m_members[i].value != other.m_members[i].value)
                return false;
        return true;
    }
    return false;
}

const char *to_string(Value::Type type) {
    switch (type) {
    case Value::Type::string:
        return "string";
    case Value::Type::number:
        return "number";
    case Value::Type::boolean:
        return "bool";
    case Value::Type::data:
        return "data";
    case Value::Type::array:
        return "array";
    case Value::Type::dictionary:
        return "dict";
    }
    return "?";
}

bool Entry::conforms_to(std::string_view wanted) const {
    if (wanted == "OSObject" || wanted == class_name)
        return true;
    for (const std::string &ancestor : class_chain)
        if (ancestor == wanted)
            return true;
    return false;
}

std::string Entry::inheritance() const {
    if (class_chain.empty())
        return class_name;
    std::string out;
    for (const std::string &ancestor : class_chain) {
        if (ancestor == "OSObject")
            continue;
        if (!out.empty())
            out += ':';
        out += ancestor;
    }
    return out;
}

} // namespace netdext::registry
