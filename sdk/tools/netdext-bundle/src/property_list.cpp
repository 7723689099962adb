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

std::string PropertyList::to_xml() const {
    char *xml = nullptr;
    uint32_t length = 0;
    plist_to_xml(static_cast<plist_t>(m_root), &xml, &length);
    std::string out = xml != nullptr ? std::string(xml, length) : std::string();
    plist_to_xml_free(xml);
    return out;
}

} // namespace netdext::bundle
