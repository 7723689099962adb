// Personalities as OS containers (netdext/bundle/registry_properties.h).

#include <netdext/bundle/registry_properties.h>

#include <DriverKit/IOService.h>
#include <DriverKit/OSCollections.h>

namespace netdext::bundle {

OSObject *to_os_object(const Value &value) {
    switch (value.kind) {
    case Value::Kind::string:
        return OSString::withCString(value.text.c_str());
    case Value::Kind::integer:
        return OSNumber::withNumber(value.integer, 64);
    case Value::Kind::boolean: {
        OSBoolean *b = value.integer != 0 ? kOSBooleanTrue : kOSBooleanFalse;
        b->retain();
        return b;
    }
    case Value::Kind::real:
        return OSNumber::withDouble(value.real);
    case Value::Kind::data:
        return OSData::withBytes(value.text.data(), value.text.size());
    case Value::Kind::array: {
        OSArray *array = OSArray::withCapacity(uint32_t(value.items.size()));
        for (const Value &item : value.items) {
            OSObject *object = to_os_object(item);
            if (array == nullptr || object == nullptr || !array->setObject(object))
                OSSafeReleaseNULL(array);
            OSSafeReleaseNULL(object);
        }
        return array;
    }
    case Value::Kind::dictionary: {
        OSDictionary *dict = OSDictionary::withCapacity(uint32_t(value.entries.size()));
        for (const auto &[key, item] : value.entries) {
            OSObject *object = to_os_object(item);
            if (dict == nullptr || object == nullptr || !dict->setObject(key.c_str(), object))
                OSSafeReleaseNULL(dict);
            OSSafeReleaseNULL(object);
        }
        return dict;
    }
    }
    return nullptr;
}

OSDictionary *registry_properties(const Bundle &bundle, const Personality &personality) {
    OSObject *object = to_os_object(personality.dictionary);
    OSDictionary *properties = OSDynamicCast(OSDictionary, object);
    if (properties == nullptr)
        OSSafeReleaseNULL(object);
    if (properties != nullptr && properties->getObject("CFBundleIdentifier") == nullptr) {
        OSString *id = OSString::withCString(bundle.bundle_id.c_str());
        if (id == nullptr || !properties->setObject("CFBundleIdentifier", id))
            OSSafeReleaseNULL(properties);
        OSSafeReleaseNULL(id);
    }
    return properties;
}

void set_registry_properties(IOService *service, const OSDictionary *properties) {
    if (service == nullptr || properties == nullptr)
        return;
    properties->iterateObjects(service, [](void *refcon, const OSString *key, OSObject *value) {
        static_cast<IOService *>(refcon)->netdext_set_property(key->getCStringNoCopy(), value);
        return false;
    });
}

const Personality *find_personality(const Bundle &bundle, const std::string &user_class) {
    for (const Personality &personality : bundle.personalities)
        if (personality.user_class == user_class)
            return &personality;
    return nullptr;
}

} // namespace netdext::bundle
