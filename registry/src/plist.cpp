// Values as XML property lists (libplist), and `ioreg -a` archives read back into entries.

#include <netdext/registry/wire.h>

#include "archive_keys.h"

#include <plist/plist.h>

#include <cstdlib>
#include <memory>

namespace netdext::registry {
namespace {

struct PlistDeleter {
    void operator()(void *node) const { plist_free(static_cast<plist_t>(node)); }
};
using PlistPtr = std::unique_ptr<void, PlistDeleter>;

bool fail(WireError &error, const std::string &where, const std::string &what) {
    error.message = (where.empty() ? std::string("the document") : where) + ": " + what;
    return false;
}

std::string child_path(const std::string &where, const std::string &key) {
    return where.empty() ? key : where + "." + key;
}

bool from_node(plist_t node, Value &out, int depth, const std::string &where, WireError &error) {
    if (depth > kMaxNesting)
        return fail(error, where, "nested more than " + std::to_string(kMaxNesting) + " deep");
    switch (plist_get_node_type(node)) {
    case PLIST_STRING: {
        // Not plist_get_string_val: libplist asserts (aborts) on a string holding a NUL.
        uint64_t length = 0;
        const char *text = plist_get_string_ptr(node, &length);
        std::string value(text != nullptr ? text : "", text != nullptr ? size_t(length) : 0);
        if (value.find('\0') != std::string::npos)
            return fail(error, where, "a string with a NUL character");
        out = Value::string(std::move(value));
        return true;
    }
    case PLIST_UINT: { // libplist keeps negative integers here as two's complement
        uint64_t v = 0;
        plist_get_uint_val(node, &v);
        out = Value::number(v);
        return true;
    }
    case PLIST_BOOLEAN: {
        uint8_t b = 0;
        plist_get_bool_val(node, &b);
        out = Value::boolean(b != 0);
        return true;
    }
    case PLIST_DATA: {
        char *bytes = nullptr;
        uint64_t length = 0;
        plist_get_data_val(node, &bytes, &length);
        out = Value::data(std::string_view(bytes != nullptr ? bytes : "",
                                           bytes != nullptr ? size_t(length) : 0));
        std::free(bytes);
        return true;
    }
    case PLIST_ARRAY: {
        out = Value::array();
        const uint32_t count = plist_array_get_size(node);
        for (uint32_t i = 0; i < count; ++i) {
            Value item;
            if (!from_node(plist_array_get_item(node, i), item, depth + 1,
                           where + "[" + std::to_string(i) + "]", error))
                return false;
            out.append(std::move(item));
        }
        return true;
    }
    case PLIST_DICT: {
        out = Value::dictionary();
        plist_dict_iter it = nullptr;
        plist_dict_new_iter(node, &it);
        bool ok = true;
        while (ok) {
            char *key = nullptr;
            plist_t item = nullptr;
            plist_dict_next_item(node, it, &key, &item);
            if (key == nullptr)
                break;
            std::string name = key;
            std::free(key);
            Value value;
            ok = from_node(item, value, depth + 1, child_path(where, name), error);
            if (ok)
                out.set(std::move(name), std::move(value));
        }
        std::free(it);
        return ok;
    }
    case PLIST_REAL:
        return fail(error, where, "a real number (the registry has integers only)");
    case PLIST_DATE:
        return fail(error, where, "a date (the registry has no date type)");
    default:
        return fail(error, where, "a value of a type the registry has no place for");
    }
}

plist_t to_node(const Value &value) {
    switch (value.type()) {
    case Value::Type::string:
        return plist_new_string(value.text().c_str());
    case Value::Type::number:
        return plist_new_uint(value.number_value());
    case Value::Type::boolean:
        return plist_new_bool(value.boolean_value() ? 1 : 0);
    case Value::Type::data:
        return plist_new_data(value.bytes().data(), value.bytes().size());
    case Value::Type::array: {
        plist_t array = plist_new_array();
        for (const Value &item : value.items())
            plist_array_append_item(array, to_node(item));
        return array;
    }
    case Value::Type::dictionary: {
        plist_t dict = plist_new_dict();
        for (const Value::Member &member : value.members())
            plist_dict_set_item(dict, member.key.c_str(), to_node(member.value));
        return dict;
    }
    }
    return plist_new_string("");
}

bool take_number(Value &dict, const char *key, bool required, uint64_t &out,
                 const std::string &where, WireError &error) {
    const Value *value = dict.find(key);
    if (value == nullptr)
        return !required || fail(error, where, std::string(key) + " is missing");
    if (!value->is(Value::Type::number))
        return fail(error, child_path(where, key), "not an integer");
    out = value->number_value();
    dict.erase(key);
    return true;
}

bool take_string(Value &dict, const char *key, bool required, std::string &out,
                 const std::string &where, WireError &error) {
    const Value *value = dict.find(key);
    if (value == nullptr)
        return !required || fail(error, where, std::string(key) + " is missing");
    if (!value->is(Value::Type::string))
        return fail(error, child_path(where, key), "not a string");
    out = value->text();
    dict.erase(key);
    return true;
}

bool entry_from_node(Value dict, Entry &entry, size_t &count, const std::string &where,
                     WireError &error) {
    if (!dict.is(Value::Type::dictionary))
        return fail(error, where, "an entry is not a dictionary");
    if (++count > kMaxEntries)
        return fail(error, where, "more than " + std::to_string(kMaxEntries) + " entries");
    uint64_t id = 0, retain = 0, state = 0, busy = 0, busy_time = 0;
    if (!take_string(dict, archive::kName, true, entry.name, where, error) ||
        !take_string(dict, archive::kLocation, false, entry.location, where, error) ||
        !take_string(dict, archive::kClass, true, entry.class_name, where, error) ||
        !take_number(dict, archive::kID, true, id, where, error) ||
        !take_number(dict, archive::kRetainCount, true, retain, where, error))
        return false;
    entry.is_service = dict.find(archive::kServiceState) != nullptr;
    if (entry.is_service &&
        (!take_number(dict, archive::kServiceState, true, state, where, error) ||
         !take_number(dict, archive::kBusyState, false, busy, where, error) ||
         !take_number(dict, archive::kBusyTime, false, busy_time, where, error)))
        return false;
    entry.id = id;
    entry.retain_count = uint32_t(retain);
    entry.state = uint32_t(state);
    entry.busy_count = uint32_t(busy);
    entry.busy_time_ns = busy_time;
    entry.class_chain = {entry.class_name};
    if (const Value *children = dict.find(archive::kChildren)) {
        if (!children->is(Value::Type::array))
            return fail(error, child_path(where, archive::kChildren), "not an array");
        Value list = std::move(*dict.find(archive::kChildren));
        dict.erase(archive::kChildren);
        for (size_t i = 0; i < list.items().size(); ++i) {
            Entry child;
            if (!entry_from_node(std::move(list.items()[i]), child, count,
                                 child_path(where, entry.name) + "[" + std::to_string(i) + "]",
                                 error))
                return false;
            entry.children.push_back(std::move(child));
        }
    }
    entry.properties = std::move(dict); // what is left are the entry's own properties
    return true;
}

} // namespace

std::optional<Value> value_from_plist(std::string_view xml, WireError &error) {
    if (xml.size() > kMaxWireBytes) {
        fail(error, "", "larger than " + std::to_string(kMaxWireBytes) + " bytes");
        return std::nullopt;
    }
    if (xml.empty() || plist_is_binary(xml.data(), uint32_t(xml.size()))) {
        fail(error, "", "not an XML property list");
        return std::nullopt;
    }
    plist_t root = nullptr;
    plist_from_xml(xml.data(), uint32_t(xml.size()), &root);
    if (root == nullptr) {
        fail(error, "", "not a valid XML property list");
        return std::nullopt;
    }
    PlistPtr owned(root);
    Value value;
    if (!from_node(root, value, 0, "", error))
        return std::nullopt;
    return value;
}

std::string to_plist(const Value &value) {
    PlistPtr root(to_node(value));
    char *xml = nullptr;
    uint32_t length = 0;
    plist_to_xml(static_cast<plist_t>(root.get()), &xml, &length);
    std::string out(xml != nullptr ? xml : "", xml != nullptr ? length : 0);
    plist_to_xml_free(xml);
    return out;
}

std::optional<std::vector<Entry>> entries_from_archive(std::string_view xml, WireError &error) {
    auto value = value_from_plist(xml, error);
    if (!value)
        return std::nullopt;
    std::vector<Entry> entries;
    size_t count = 0;
    if (value->is(Value::Type::array)) {
        for (size_t i = 0; i < value->items().size(); ++i) {
            Entry entry;
            if (!entry_from_node(std::move(value->items()[i]), entry, count,
                                 "[" + std::to_string(i) + "]", error))
                return std::nullopt;
            entries.push_back(std::move(entry));
        }
    } else {
        Entry entry;
        if (!entry_from_node(std::move(*value), entry, count, "", error))
            return std::nullopt;
        entries.push_back(std::move(entry));
    }
    return entries;
}

} // namespace netdext::registry
