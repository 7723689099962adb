#include "property_list.h"

#include <cstdlib>
#include <limits>

#include <plist/plist.h>

namespace netdext::bundle {

Result<PropertyList> PropertyList::parse(std::string_view data) {
    if (data.empty())
        return Result<PropertyList>::failure("the file is empty");
    if (data.size() > std::numeric_limits<uint32_t>::max())
        return Result<PropertyList>::failure("the file is too large");
    bool xml = looks_like_xml(data);
    plist_t root = nullptr;
    plist_from_memory(data.data(), static_cast<uint32_t>(data.size()), &root);
    if (root == nullptr)
        return Result<PropertyList>::failure(
            xml ? "libplist cannot parse the XML (check for unbalanced tags, a missing "
                  "<key> or <string>, or an unescaped '&' or '<')"
                : "it is neither an XML nor a binary property list");
    return PropertyList(root);
}

PropertyList::PropertyList(PropertyList &&other) noexcept : m_root(other.m_root) {
    other.m_root = nullptr;
}

PropertyList &PropertyList::operator=(PropertyList &&other) noexcept {
    if (this != &other) {
        if (m_root != nullptr)
            plist_free(static_cast<plist_t>(m_root));
        m_root = other.m_root;
        other.m_root = nullptr;
    }
    return *this;
}

PropertyList::~PropertyList() {
    if (m_root != nullptr)
        plist_free(static_cast<plist_t>(m_root));
}

bool PropertyList::is_dictionary() const {
    return plist_get_node_type(static_cast<plist_t>(m_root)) == PLIST_DICT;
}

bool PropertyList::has_key(const char *key) const {
    return is_dictionary() && plist_dict_get_item(static_cast<plist_t>(m_root), key) != nullptr;
}

std::string PropertyList::string_value(const char *key) const {
    if (!is_dictionary())
        return std::string();
    plist_t item = plist_dict_get_item(static_cast<plist_t>(m_root), key);
    if (item == nullptr || plist_get_node_type(item) != PLIST_STRING)
        return std::string();
    char *value = nullptr;
    plist_get_string_val(item, &value);
    std::string out = value != nullptr ? value : "";
    std::free(value);
    return out;
}

PropertyList PropertyList::dictionary() { return PropertyList(plist_new_dict()); }

bool PropertyList::has_string(const char *key) const {
    if (!is_dictionary())
        return false;
    plist_t item = plist_dict_get_item(static_cast<plist_t>(m_root), key);
    return item != nullptr && plist_get_node_type(item) == PLIST_STRING;
}

namespace {

// Calls fn(key, value) for each entry of a dictionary.
template <class Fn> void for_each_entry(plist_t dict, Fn fn) {
    plist_dict_iter iter = nullptr;
    plist_dict_new_iter(dict, &iter);
    for (;;) {
        char *key = nullptr;
        plist_t value = nullptr;
        plist_dict_next_item(dict, iter, &key, &value);
        if (value != nullptr)
            fn(key, value);
        std::free(key);
        if (value == nullptr)
            break;
    }
    std::free(iter);
}

void expand_node(plist_t node, const std::string &path, const BuildSettings &settings,
                 std::vector<std::string> &warnings) {
    switch (plist_get_node_type(node)) {
    case PLIST_STRING: {
        uint64_t length = 0;
        const char *text = plist_get_string_ptr(node, &length);
        std::vector<std::string> found;
        std::string expanded = settings.expand(std::string_view(text, length), found);
        for (const std::string &warning : found)
            warnings.push_back(path + ": " + warning);
        if (expanded != std::string_view(text, length))
            plist_set_string_val(node, expanded.c_str());
        break;
    }
    case PLIST_ARRAY:
        for (uint32_t i = 0; i < plist_array_get_size(node); ++i)
            expand_node(plist_array_get_item(node, i), path + "[" + std::to_string(i) + "]",
                        settings, warnings);
        break;
    case PLIST_DICT:
        for_each_entry(node, [&](const char *key, plist_t value) {
            expand_node(value, path.empty() ? std::string(key) : path + "." + key, settings,
                        warnings);
        });
        break;
    default:
        break;
    }
}

bool array_contains(plist_t array, plist_t item) {
    for (uint32_t i = 0; i < plist_array_get_size(array); ++i) {
        plist_t existing = plist_array_get_item(array, i);
        if (plist_get_node_type(existing) == plist_get_node_type(item) &&
            plist_compare_node_value(existing, item))
            return true;
    }
    return false;
}

} // namespace

void PropertyList::expand_values(const BuildSettings &settings,
                                 std::vector<std::string> &warnings) {
    expand_node(static_cast<plist_t>(m_root), "", settings, warnings);
}

void PropertyList::set_string(const char *key, const std::string &value) {
    plist_dict_set_item(static_cast<plist_t>(m_root), key, plist_new_string(value.c_str()));
}

void PropertyList::set_bool(const char *key, bool value) {
    plist_dict_set_item(static_cast<plist_t>(m_root), key, plist_new_bool(value ? 1 : 0));
}

void PropertyList::set_string_array(const char *key, const std::vector<std::string> &values) {
    plist_t array = plist_new_array();
    for (const std::string &value : values)
        plist_array_append_item(array, plist_new_string(value.c_str()));
    plist_dict_set_item(static_cast<plist_t>(m_root), key, array);
}

void PropertyList::remove(const char *key) {
    if (plist_dict_get_item(static_cast<plist_t>(m_root), key) != nullptr)
        plist_dict_remove_item(static_cast<plist_t>(m_root), key);
}

void PropertyList::merge_generated(const PropertyList &generated) {
    plist_t into = static_cast<plist_t>(m_root);
    plist_t from = static_cast<plist_t>(generated.m_root);
    for_each_entry(from, [into](const char *key, plist_t value) {
        plist_t existing = plist_dict_get_item(into, key);
        if (existing != nullptr && plist_get_node_type(existing) == PLIST_ARRAY &&
            plist_get_node_type(value) == PLIST_ARRAY) {
            for (uint32_t i = 0; i < plist_array_get_size(value); ++i) {
                plist_t item = plist_array_get_item(value, i);
                if (!array_contains(existing, item))
                    plist_array_append_item(existing, plist_copy(item));
            }
        } else {
            plist_dict_set_item(into, key, plist_copy(value));
        }
    });
}

std::string PropertyList::to_xml() const {
    char *xml = nullptr;
    uint32_t length = 0;
    plist_to_xml(static_cast<plist_t>(m_root), &xml, &length);
    std::string out = xml != nullptr ? std::string(xml, length) : std::string();
    plist_to_xml_free(xml);
    return out;
}

} // namespace netdext::bundle
