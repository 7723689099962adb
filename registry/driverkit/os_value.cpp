// OS containers as registry values (os_value.h).

#include <netdext/registry/os_value.h>
#include <netdext/registry/wire.h>

#include <DriverKit/IOService.h>
#include <DriverKit/OSCollections.h>

namespace netdext::registry {
namespace {

Value not_serializable(const OSObject *object) {
    return Value::string(std::string(object != nullptr ? object->GetClassName() : "NULL") +
                         " is not serializable");
}

Value convert(const OSObject *object, int depth) {
    if (object == nullptr || depth > kMaxNesting)
        return not_serializable(object);
    if (auto *string = OSDynamicCast(OSString, object))
        return Value::string(string->getCStringNoCopy());
    if (auto *number = OSDynamicCast(OSNumber, object)) {
        const size_t bits = number->numberOfBits();
        return Value::number(number->unsigned64BitValue(), uint8_t(bits > 64 ? 64 : bits));
    }
    if (auto *boolean = OSDynamicCast(OSBoolean, object))
        return Value::boolean(boolean->isTrue());
    if (auto *data = OSDynamicCast(OSData, object))
        return Value::data(std::string_view(static_cast<const char *>(data->getBytesNoCopy()),
                                            data->getLength()));
    if (auto *dictionary = OSDynamicCast(OSDictionary, object)) {
        Value out = Value::dictionary();
        dictionary->iterateObjects([&](OSString *key, OSObject *value) {
            out.set(key->getCStringNoCopy(), convert(value, depth + 1));
            return false;
        });
        return out;
    }
    if (auto *collection = OSDynamicCast(OSCollection, object)) { // arrays and sets
        Value out = Value::array();
        collection->iterateObjects([&](OSObject *member) {
            out.append(convert(member, depth + 1));
            return false;
        });
        return out;
    }
    return not_serializable(object);
}

} // namespace

Value from_os_object(const OSObject *object) { return convert(object, 0); }

Value properties_of(IOService *service) {
    OSDictionary *properties = nullptr;
    if (service->CopyProperties(&properties) != kIOReturnSuccess)
        return Value::dictionary();
    Value value = from_os_object(properties);
    OSSafeReleaseNULL(properties);
    return value;
}

} // namespace netdext::registry
