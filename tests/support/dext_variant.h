// Variants of a built .dext for tests: copy a bundle (unsigned, unless asked to keep the
// signature), then change its Info.plist or Entitlements.plist key by key (libplist), so a test
// can make "version 2", "no usage description", "another bundle ID"… of the sample without
// another build.
#pragma once

#include <plist/plist.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace netdext::testing {

class DextVariant {
public:
    enum class Signature { drop, keep };

    // Copies `source` (a .dext directory) to `destination` (which must not exist). A variant is
    // another bundle: its copy of the source's signature (_CodeSignature) is dropped, unless
    // `keep` — a test that tampers with a signed bundle on purpose.
    DextVariant(const std::filesystem::path &source, const std::filesystem::path &destination,
                Signature signature = Signature::drop)
        : m_path(destination) {
        std::filesystem::create_directories(destination.parent_path());
        std::filesystem::copy(source, destination, std::filesystem::copy_options::recursive);
        if (signature == Signature::drop)
            std::filesystem::remove_all(destination / "_CodeSignature");
    }
    [[nodiscard]] const std::filesystem::path &path() const { return m_path; }
    [[nodiscard]] std::string str() const { return m_path.string(); }

    DextVariant &set(const std::string &key, const std::string &value) {
        edit("Info.plist", [&](plist_t dict) {
            plist_dict_set_item(dict, key.c_str(), plist_new_string(value.c_str()));
        });
        return *this;
    }
    DextVariant &remove(const std::string &key) {
        edit("Info.plist", [&](plist_t dict) { plist_dict_remove_item(dict, key.c_str()); });
        return *this;
    }
    // Sets the bundle ID in Info.plist and in every personality (as Xcode's substitution would).
    DextVariant &identifier(const std::string &id) {
        edit("Info.plist", [&](plist_t dict) {
            plist_dict_set_item(dict, "CFBundleIdentifier", plist_new_string(id.c_str()));
            plist_t personalities = plist_dict_get_item(dict, "IOKitPersonalities");
            if (personalities == nullptr)
                return;
            plist_dict_iter it = nullptr;
            plist_dict_new_iter(personalities, &it);
            for (;;) {
                char *name = nullptr;
                plist_t p = nullptr;
                plist_dict_next_item(personalities, it, &name, &p);
                if (name == nullptr)
                    break;
                std::free(name);
                for (const char *key :
                     {"CFBundleIdentifier", "IOUserServerName", "IOMatchCategory"})
                    if (plist_dict_get_item(p, key) != nullptr)
                        plist_dict_set_item(p, key, plist_new_string(id.c_str()));
            }
            std::free(it);
        });
        return *this;
    }
    // Sets `key` to the string `value` in the first personality of Info.plist.
    DextVariant &personality(const std::string &key, const std::string &value) {
        edit("Info.plist", [&](plist_t dict) {
            plist_t personalities = plist_dict_get_item(dict, "IOKitPersonalities");
            if (personalities == nullptr)
                return;
            plist_dict_iter it = nullptr;
            plist_dict_new_iter(personalities, &it);
            char *name = nullptr;
            plist_t p = nullptr;
            plist_dict_next_item(personalities, it, &name, &p);
            std::free(name);
            std::free(it);
            if (p != nullptr)
                plist_dict_set_item(p, key.c_str(), plist_new_string(value.c_str()));
        });
        return *this;
    }
    DextVariant &version(const std::string &bundle_version, const std::string &short_version) {
        return set("CFBundleVersion", bundle_version)
            .set("CFBundleShortVersionString", short_version);
    }
    DextVariant &entitlement(const std::string &key, bool present) {
        edit("Entitlements.plist", [&](plist_t dict) {
            if (present)
                plist_dict_set_item(dict, key.c_str(), plist_new_bool(1));
            else
                plist_dict_remove_item(dict, key.c_str());
        });
        return *this;
    }
    // Replaces a file of the bundle with `contents`.
    DextVariant &write(const std::string &relative, const std::string &contents) {
        std::filesystem::remove(m_path / relative);
        std::ofstream(m_path / relative, std::ios::binary) << contents;
        return *this;
    }

    // Changes a plist of any bundle directory in place (a signed one, to tamper with it).
    template <class F>
    static void edit_in_place(const std::filesystem::path &bundle, const std::string &file,
                              F &&change) {
        const std::filesystem::path path = bundle / file;
        std::ifstream in(path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        std::string data = text.str();
        plist_t root = nullptr;
        plist_from_memory(data.data(), uint32_t(data.size()), &root);
        if (root == nullptr)
            throw std::runtime_error(path.string() + ": not a plist");
        change(root);
        char *xml = nullptr;
        uint32_t length = 0;
        plist_to_xml(root, &xml, &length);
        plist_free(root);
        std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(xml, length);
        std::free(xml);
    }

private:
    template <class F> void edit(const std::string &file, F &&change) {
        edit_in_place(m_path, file, std::forward<F>(change));
    }

    std::filesystem::path m_path;
};

} // namespace netdext::testing
