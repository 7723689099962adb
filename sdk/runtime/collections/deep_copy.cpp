// netdext::deep_copy: what reading a property across DriverKit's dext/kernel boundary gives.

#include <DriverKit/OSCollections.h>

#include "collections/collections_internal.h"

namespace {

// Deeper nesting than this is treated as a cycle (a collection holding itself) and fails.
constexpr int kMaxDepth = 128;

OSObject *copy_at(const OSObject *object, int depth);

// Copies each member of `source` (iterated in order) into `target` with `store`.
template <class Target, class Store>
Target *copy_members(Target *target, const OSCollection *source, int depth, Store store) {
    if (target == nullptr)
        return nullptr;
    bool ok = true;
    source->iterateObjects([&](OSObject *member) {
        OSObject *copy = copy_at(member, depth + 1);
        ok = copy != nullptr && store(target, member, copy);
        OSSafeReleaseNULL(copy);
        return !ok;
    });
    if (!ok)
        OSSafeReleaseNULL(target);
    return target;
}

OSObject *copy_at(const OSObject *object, int depth) {
    if (object == nullptr || depth > kMaxDepth)
        return nullptr;
    if (const OSDictionary *dict = OSDynamicCast(OSDictionary, object)) {
        OSDictionary *copy = OSDictionary::withCapacity(dict->getCount());
        if (copy == nullptr)
            return nullptr;
        bool ok = true;
        dict->iterateObjects([&](OSString *key, OSObject *value) {
            OSObject *value_copy = copy_at(value, depth + 1);
            ok = value_copy != nullptr && copy->setObject(key, value_copy);
            OSSafeReleaseNULL(value_copy);
            return !ok;
        });
        if (!ok)
            OSSafeReleaseNULL(copy);
        return copy;
    }
    // An OSOrderedSet becomes an OSArray, as it does through serialisation.
    if (OSDynamicCast(OSArray, object) != nullptr || OSDynamicCast(OSOrderedSet, object) != nullptr) {
        const OSCollection *source = static_cast<const OSCollection *>(object);
        return copy_members(OSArray::withCapacity(source->getCount()), source, depth,
                            [](OSArray *target, OSObject *, OSObject *copy) {
                                return target->setObject(copy);
                            });
    }
    if (const OSSet *set = OSDynamicCast(OSSet, object)) {
        return copy_members(OSSet::withCapacity(set->getCount()), set, depth,
                            [](OSSet *target, OSObject *, OSObject *copy) {
                                target->setObject(copy);
                                return true;
                            });
    }
    if (const OSData *data = OSDynamicCast(OSData, object))
        return OSData::withData(data);
    object->retain(); // immutable leaves (and non-containers) are shared
    return const_cast<OSObject *>(object);
}

} // namespace

OSObject *netdext::deep_copy(const OSObject *object) { return copy_at(object, 0); }
