// Personality matching and transport entitlements (netdext/bundle/matching.h).

#include <netdext/bundle/matching.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

namespace netdext::bundle {

namespace {

const Value *find_entry(const Value &dict, const std::string &key) {
    if (dict.kind != Value::Kind::dictionary)
        return nullptr;
    for (const Value::Entry &entry : dict.entries)
        if (entry.key == key)
            return &entry.value;
    return nullptr;
}

// An integer key: <integer>, or a string in decimal or 0x-hex (as some Info.plists write them).
std::optional<uint64_t> number_of(const Value &value) {
    if (value.kind == Value::Kind::integer)
        return value.integer;
    if (value.kind != Value::Kind::string || value.text.empty())
        return std::nullopt;
    errno = 0;
    char *end = nullptr;
    unsigned long long v = std::strtoull(value.text.c_str(), &end, 0);
    if (errno != 0 || *end != '\0')
        return std::nullopt;
    return v;
}

std::string hex(uint64_t v) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(v));
    return text;
}

// ---- USB ------------------------------------------------------------------------------------

// The USB keys a personality can have and the identity's value for each.
std::map<std::string, uint64_t> usb_values(const UsbIdentity &id) {
    std::map<std::string, uint64_t> v{
        {"idVendor", id.id_vendor},         {"idProduct", id.id_product},
        {"bcdDevice", id.bcd_device},       {"bDeviceClass", id.device_class},
        {"bDeviceSubClass", id.device_subclass}, {"bDeviceProtocol", id.device_protocol}};
    if (id.is_interface) {
        v["bConfigurationValue"] = id.configuration_value;
        v["bInterfaceNumber"] = id.interface_number;
        v["bInterfaceClass"] = id.interface_class;
        v["bInterfaceSubClass"] = id.interface_subclass;
        v["bInterfaceProtocol"] = id.interface_protocol;
    }
    return v;
}

const char *const kUsbKeys[] = {"idVendor", "idProduct", "idProductArray", "idProductMask",
                                "bcdDevice", "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol",
                                "bConfigurationValue", "bInterfaceNumber", "bInterfaceClass",
                                "bInterfaceSubClass", "bInterfaceProtocol"};

// Whether USB key `key` of `dict` holds for the device; `why` says why not.
bool usb_key_holds(const Value &dict, const std::string &key, const UsbIdentity &id,
                   std::string &why) {
    const Value *value = find_entry(dict, key);
    std::map<std::string, uint64_t> actual = usb_values(id);
    if (key == "idProductArray") {
        if (value->kind != Value::Kind::array) {
            why = "idProductArray is not an array";
            return false;
        }
        for (const Value &item : value->items)
            if (number_of(item) == id.id_product)
                return true;
        why = "idProduct " + hex(id.id_product) + " is not in idProductArray";
        return false;
    }
    if (key == "idProductMask")
        return true; // applied with idProduct
    auto known = actual.find(key);
    if (known == actual.end()) {
        why = key + " does not apply to a device (only to an interface)";
        return false;
    }
    std::optional<uint64_t> wanted = number_of(*value);
    if (!wanted) {
        why = key + " is not a number";
        return false;
    }
    uint64_t mask = ~uint64_t(0);
    if (key == "idProduct")
        if (const Value *m = find_entry(dict, "idProductMask"))
            mask = number_of(*m).value_or(~uint64_t(0));
    if ((*wanted & mask) != (known->second & mask)) {
        why = key + " " + hex(*wanted) + " != the device's " + hex(known->second);
        return false;
    }
    return true;
}

// QA1076's scored combinations, best first.
struct UsbRow {
    int64_t score;
    std::vector<std::string> keys;
    int class_rule; // 0: none; 1: class must be 0xFF; 2: class must not be 0xFF
};

const std::vector<UsbRow> &device_rows() {
    static const std::vector<UsbRow> rows{
        {100000, {"idVendor", "idProduct", "bcdDevice"}, 0},
        {90000, {"idVendor", "idProduct"}, 0},
        {80000, {"idVendor", "bDeviceSubClass", "bDeviceProtocol"}, 1},
        {70000, {"idVendor", "bDeviceSubClass"}, 1},
        {60000, {"bDeviceClass", "bDeviceSubClass", "bDeviceProtocol"}, 2},
        {50000, {"bDeviceClass", "bDeviceSubClass"}, 2},
    };
    return rows;
}

const std::vector<UsbRow> &interface_rows() {
    static const std::vector<UsbRow> rows{
        {100000, {"idVendor", "idProduct", "bInterfaceNumber", "bConfigurationValue", "bcdDevice"}, 0},
        {90000, {"idVendor", "idProduct", "bInterfaceNumber", "bConfigurationValue"}, 0},
        {80000, {"idVendor", "bInterfaceSubClass", "bInterfaceProtocol"}, 1},
        {70000, {"idVendor", "bInterfaceSubClass"}, 1},
        {60000, {"bInterfaceClass", "bInterfaceSubClass", "bInterfaceProtocol"}, 2},
        {50000, {"bInterfaceClass", "bInterfaceSubClass"}, 2},
    };
    return rows;
}

MatchResult match_usb(const Personality &p, const UsbIdentity &id) {
    MatchResult result;
    std::vector<std::string> present;
    for (const char *key : kUsbKeys)
        if (find_entry(p.dictionary, key) != nullptr)
            present.emplace_back(key);
    for (const std::string &key : present)
        if (!usb_key_holds(p.dictionary, key, id, result.reason))
            return result;
    auto has = [&](const std::string &key) {
        if (key == "idProduct") // netdext: an array or a masked ID stands for idProduct
            return find_entry(p.dictionary, "idProduct") || find_entry(p.dictionary, "idProductArray");
        return find_entry(p.dictionary, key) != nullptr;
    };
    const uint8_t cls = id.is_interface ? id.interface_class : id.device_class;
    for (const UsbRow &row : id.is_interface ? interface_rows() : device_rows()) {
        bool all = true;
        for (const std::string &key : row.keys)
            all = all && has(key);
        if (!all || (row.class_rule == 1 && cls != 0xFF) || (row.class_rule == 2 && cls == 0xFF))
            continue;
        result.matched = true;
        result.score = row.score + p.probe_score;
        std::string keys;
        for (const std::string &key : row.keys)
            keys += (keys.empty() ? "" : "+") + key;
        result.reason = keys + " (" + std::to_string(row.score) + ")";
        return result;
    }
    result.reason = present.empty()
                        ? "no USB matching keys (idVendor, bInterfaceClass, …)"
                        : "its USB keys are not one of the combinations IOUSBHostFamily scores";
    return result;
}

// ---- PCI ------------------------------------------------------------------------------------

MatchResult match_pci(const Personality &p, const PciIdentity &id) {
    MatchResult result;
    if (id.tunnelled) {
        const Value *compatible = find_entry(p.dictionary, "IOPCITunnelCompatible");
        if (compatible == nullptr || compatible->kind != Value::Kind::boolean || !compatible->integer) {
            result.reason = "the function is tunnelled and IOPCITunnelCompatible is not true";
            return result;
        }
    }
    struct Key {
        const char *name;
        bool hit_any; // IOPCIMatch: the device or the subsystem
        uint32_t value, mask;
    };
    const Key keys[] = {{"IOPCIMatch", true, id.device_vendor, 0xFFFFFFFF},
                        {"IOPCIPrimaryMatch", false, id.device_vendor, 0xFFFFFFFF},
                        {"IOPCISecondaryMatch", false, id.subsystem, 0xFFFFFFFF},
                        {"IOPCIClassMatch", false, id.class_revision, 0xFFFFFF00}};
    bool id_hit = false;
    std::string used;
    for (const Key &key : keys) {
        const Value *value = find_entry(p.dictionary, key.name);
        if (value == nullptr)
            continue;
        if (value->kind != Value::Kind::string) {
            result.reason = std::string(key.name) + " is not a string";
            return result;
        }
        bool hit = pci_match_text(value->text, key.value, key.mask) ||
                   (key.hit_any && pci_match_text(value->text, id.subsystem, key.mask));
        if (!hit) {
            result.reason = std::string(key.name) + " \"" + value->text + "\" does not match " +
                            hex(key.value);
            return result;
        }
        used += (used.empty() ? "" : "+") + std::string(key.name);
        id_hit |= std::string(key.name) != "IOPCIClassMatch";
    }
    result.matched = true;
    result.score = p.probe_score + (id_hit ? 1000 : 0);
    result.reason = used.empty() ? "no PCI match keys: every function matches" : used;
    return result;
}

bool entitlement_dict_allows(const Value &dict, const Provider &provider, std::string &why) {
    if (dict.kind != Value::Kind::dictionary) {
        why = "an entry is not a dictionary";
        return false;
    }
    if (provider.pci) {
        Personality as_personality;
        as_personality.dictionary = dict;
        MatchResult m = match_pci(as_personality, *provider.pci);
        if (!m.matched)
            why = m.reason;
        return m.matched;
    }
    for (const Value::Entry &entry : dict.entries) {
        if (entry.value.kind == Value::Kind::string && entry.value.text == "*")
            continue; // the development form: any value
        if (!usb_key_holds(dict, entry.key, *provider.usb, why))
            return false;
    }
    return true;
}

} // namespace

bool pci_match_text(const std::string &text, uint32_t value, uint32_t default_mask) {
    // IOPCIBridge.cpp's format: hex numbers, each optionally followed by "&0xMASK".
    const char *at = text.c_str();
    for (;;) {
        while (*at == ' ' || *at == '\t' || *at == '\n' || *at == ',')
            ++at;
        if (*at == '\0')
            return false;
        char *end = nullptr;
        uint32_t match = uint32_t(std::strtoul(at, &end, 16));
        if (end == at)
            return false; // not a number: nothing further can hit
        at = end;
        uint32_t mask = default_mask;
        while (*at == ' ')
            ++at;
        if (*at == '&') {
            mask = uint32_t(std::strtoul(at + 1, &end, 16));
            at = end;
        }
        if ((value & mask) == (match & mask))
            return true;
    }
}

MatchResult match_personality(const Personality &personality, const Provider &provider) {
    MatchResult result;
    if (personality.provider_class != provider.class_name &&
        personality.provider_class != "IOService") {
        result.reason = "IOProviderClass " + personality.provider_class + " is not " +
                        provider.class_name;
        return result;
    }
    if (provider.usb)
        return match_usb(personality, *provider.usb);
    if (provider.pci)
        return match_pci(personality, *provider.pci);
    result.matched = true; // IOUserResources and other software providers
    result.score = personality.probe_score;
    result.reason = "IOProviderClass";
    return result;
}

std::optional<Candidate> best_personality(const Bundle &bundle, const Provider &provider,
                                          std::vector<std::string> *log) {
    std::optional<Candidate> best;
    for (const Personality &personality : bundle.personalities) {
        MatchResult m = match_personality(personality, provider);
        if (log != nullptr)
            log->push_back(personality.name + ": " +
                           (m.matched ? "matched, score " + std::to_string(m.score) + " (" +
                                            m.reason + ")"
                                      : "no match: " + m.reason));
        if (m.matched && (!best || m.score > best->score))
            best = Candidate{&personality, m.score};
    }
    return best;
}

bool transport_entitled(const Bundle &bundle, const Provider &provider, std::string &why) {
    if (!provider.usb && !provider.pci)
        return true;
    const char *key = provider.usb ? kTransportUsbEntitlement : kTransportPciEntitlement;
    const Value *value = find_entry(bundle.entitlement_values, key);
    if (value == nullptr) {
        why = std::string("the bundle has no ") + key + " entitlement";
        return false;
    }
    if (value->kind == Value::Kind::string && value->text == "*")
        return true; // the development-only form: any device
    if (value->kind != Value::Kind::array) {
        why = std::string(key) + " is not an array of dictionaries";
        return false;
    }
    std::string last;
    for (const Value &dict : value->items)
        if (entitlement_dict_allows(dict, provider, last))
            return true;
    why = std::string(key) + " does not cover this device" + (last.empty() ? "" : ": " + last);
    return false;
}

} // namespace netdext::bundle
