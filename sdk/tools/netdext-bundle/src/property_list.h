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
#include <vector>

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

    /* An empty dictionary. */
    static PropertyList dictionary();

    bool is_dictionary() const;
    /* The string value of a top-level key; "" if absent or not a string. */
    std::string string_value(const char *key) const;
    bool has_key(const char *key) const;
    /* Whether a top-level key holds a string. */
    bool has_string(const char *key) const;
    std::string to_xml() const;

    /*
     * Expands build settings in every string value, recursively (keys are not expanded, as in
     * Xcode). Each warning is prefixed with the key path, "IOKitPersonalities.MyDriver.X: ".
     */
    void expand_values(const BuildSettings &settings, std::vector<std::string> &warnings);

    /* Top-level edits (this must be a dictionary). */
    void set_string(const char *key, const std::string &value);
    void set_bool(const char *key, bool value);
    void set_string_array(const char *key, const std::vector<std::string> &values);
    void remove(const char *key);
    /*
     * Xcode's merge of a generated dictionary into this one: a key only in `generated` is added;
     * for a key in both, arrays are appended without duplicates, and any other value is replaced
     * by the generated one (dictionaries are not merged deeply).
     */
    void merge_generated(const PropertyList &generated);

private:
    explicit PropertyList(void *root) : m_root(root) {}
    void *m_root = nullptr; /* plist_t */
};

} // namespace netdext::bundle

#endif
