// Fuzz target: the registry's readers. The first byte picks the reader (JSON entries, a JSON
// value, an ioreg -a archive, an XML plist value); the rest is the document. Whatever a reader
// accepts must survive a round trip through its writer unchanged and print without trouble.
#include <netdext/registry/ioreg.h>
#include <netdext/registry/wire.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace netdext::registry;

namespace {

void check(bool condition) {
    if (!condition)
        std::abort();
}

// Archives carry no number widths: compare numbers by value only.
Value widen(const Value &value) {
    switch (value.type()) {
    case Value::Type::number:
        return Value::number(value.number_value());
    case Value::Type::array: {
        Value out = Value::array();
        for (const Value &item : value.items())
            out.append(widen(item));
        return out;
    }
    case Value::Type::dictionary: {
        Value out = Value::dictionary();
        for (const Value::Member &member : value.members())
            out.set(member.key, widen(member.value));
        return out;
    }
    default:
        return value;
    }
}

void exercise(const Entry &entry) {
    IoregOptions options;
    options.list = true;
    options.width = 80;
    (void)format_text(entry, options);
    WireError error;
    auto again = entry_from_json(to_json(entry), error);
    check(again.has_value());
    check(to_json(*again) == to_json(entry));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    const std::string_view text(reinterpret_cast<const char *>(data) + 1, size - 1);
    WireError error;
    switch (data[0] % 4) {
    case 0:
        if (auto entries = entries_from_json(text, error))
            for (const Entry &entry : *entries)
                exercise(entry);
        break;
    case 1:
        if (auto value = value_from_json(text, error)) {
            auto again = value_from_json(to_json(*value), error);
            check(again && *again == *value);
            (void)format_value(*value, data[0] & 4);
        }
        break;
    case 2:
        if (auto entries = entries_from_archive(text, error))
            for (const Entry &entry : *entries)
                exercise(entry);
        break;
    case 3:
        if (auto value = value_from_plist(text, error)) {
            auto again = value_from_plist(to_plist(*value), error);
            // libplist writes strings as they are; one that is not valid XML text may not
            // come back, but whatever does must be the same value.
            check(!again || widen(*again) == widen(*value));
        }
        break;
    }
    return 0;
}
