/*
 * property_list.h — a property list read and written with libplist (DESIGN.md §6: bundles are
 * read with libplist on the daemon side too, so this is what "valid" means).
 *
 * Owns its plist_t; move-only.
 */
#ifndef NETDEXT_BUNDLE_PROPERTY_LIST_H
#define NETDEXT_BUNDLE_PROPERTY_LIST_H

#include <string>
#include <string_view>

#include "build_settings.h"

namespace netdext::bundle {

class PropertyList {
public:
    /* Parses XML or binary plist data; the error says why it is not a property list. */
    static Result<PropertyList> parse(std::string_view data);

    PropertyList(PropertyList &&other) noexcept;
    PropertyList &operator=(PropertyList &&other) noexcept;
    PropertyList(const PropertyList &) = delete;
    PropertyList &operator=(const PropertyList &) = delete;
    ~PropertyList();

    bool is_dictionary() const;
    /* The string value of a top-level key; "" if absent or not a string. */
    std::string string_value(const char *key) const;
    bool has_key(const char *key) const;
    std::string to_xml() const;

private:
    explicit PropertyList(void *root) : m_root(root) {}
    void *m_root = nullptr; /* plist_t */
};

} // namespace netdext::bundle

#endif
