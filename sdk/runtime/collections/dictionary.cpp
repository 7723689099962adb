// OSDictionary: OSString keys → retained objects, in insertion order, found by linear search
// (dictionaries in drivers hold a handful of entries, as xnu's do).

#include <DriverKit/OSCollections.h>
#include <netdext/iig_support.h>

#include <cstdlib>
#include <cstring>

#include "collections/collections_internal.h"

NETDEXT_DEFINE_CLASS(OSDictionary, OSCollection, nullptr, 0)

kern_return_t OSDictionary::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSCollection::_Dispatch(self, rpc);
}

namespace {
OSObject *as_object(const OSMetaClassBase *member) {
    return const_cast<OSObject *>(static_cast<const OSObject *>(member));
}
} // namespace

OSDictionary *OSDictionary::withCapacity(uint32_t capacity) {
    OSDictionary *dict = netdext::new_object<OSDictionary>();
    if (dict != nullptr && dict->ensureCapacity(capacity) < capacity)
        OSSafeReleaseNULL(dict);
    return dict;
}

OSDictionary *OSDictionary::withObjects(const OSObject *objects[], const OSString *keys[],
                                        uint32_t count, uint32_t capacity) {
    if (capacity == 0)
        capacity = count;
    if (capacity < count || ((objects == nullptr || keys == nullptr) && count != 0))
        return nullptr;
    OSDictionary *dict = withCapacity(capacity);
    for (uint32_t i = 0; dict != nullptr && i < count; ++i) {
        if (!dict->setObject(keys[i], objects[i]))
            OSSafeReleaseNULL(dict);
    }
    return dict;
}

OSDictionary *OSDictionary::withDictionary(const OSDictionary *dict, uint32_t capacity) {
    if (dict == nullptr)
        return nullptr;
    if (capacity == 0)
        capacity = dict->m_count;
    if (capacity < dict->m_count)
        return nullptr;
    OSDictionary *copy = withCapacity(capacity);
    if (copy != nullptr && !copy->merge(dict))
        OSSafeReleaseNULL(copy);
    return copy;
}

void OSDictionary::free() {
    flushCollection();
    std::free(m_entries);
    m_entries = nullptr;
    m_capacity = 0;
    OSCollection::free();
}

uint32_t OSDictionary::getCount() const { return m_count; }

uint32_t OSDictionary::getCapacity() const { return m_capacity; }

uint32_t OSDictionary::ensureCapacity(uint32_t newCapacity) {
    return netdext::grow_slots(m_entries, m_capacity, newCapacity);
}

void OSDictionary::flushCollection() {
    netdext_mutated();
    uint32_t count = m_count;
    m_count = 0;
    for (uint32_t i = 0; i < count; ++i) {
        m_entries[i].key->release();
        m_entries[i].value->release();
    }
}

int64_t OSDictionary::netdext_find(const char *key, size_t length) const {
    for (uint32_t i = 0; i < m_count; ++i) {
        const OSString *candidate = m_entries[i].key;
        if (candidate->getLength() == length &&
            std::memcmp(candidate->getCStringNoCopy(), key, length) == 0)
            return i;
    }
    return -1;
}

bool OSDictionary::setObject(const OSString *aKey, const OSMetaClassBase *anObject) {
    if (aKey == nullptr || anObject == nullptr)
        return false;
    int64_t found = netdext_find(aKey->getCStringNoCopy(), aKey->getLength());
    if (found >= 0) {
        netdext_mutated();
        anObject->retain();
        const OSMetaClassBase *old = m_entries[found].value;
        m_entries[found].value = anObject;
        old->release();
        return true;
    }
    if (m_count == UINT32_MAX || ensureCapacity(m_count + 1) <= m_count)
        return false;
    netdext_mutated();
    aKey->retain();
    anObject->retain();
    m_entries[m_count++] = Entry{aKey, anObject};
    return true;
}

bool OSDictionary::setObject(const char *aKey, const OSMetaClassBase *anObject) {
    if (aKey == nullptr || anObject == nullptr)
        return false;
    if (int64_t found = netdext_find(aKey, std::strlen(aKey)); found >= 0)
        return setObject(m_entries[found].key, anObject);
    OSString *key = OSString::withCString(aKey);
    if (key == nullptr)
        return false;
    bool stored = setObject(key, anObject);
    key->release();
    return stored;
}

void OSDictionary::removeObject(const OSString *aKey) {
    if (aKey == nullptr)
        return;
    int64_t found = netdext_find(aKey->getCStringNoCopy(), aKey->getLength());
    if (found < 0)
        return;
    netdext_mutated();
    Entry old = m_entries[found];
    std::memmove(&m_entries[found], &m_entries[found + 1],
                 (m_count - static_cast<uint32_t>(found) - 1) * sizeof(Entry));
    --m_count;
    old.key->release();
    old.value->release();
}

void OSDictionary::removeObject(const char *aKey) {
    if (aKey == nullptr)
        return;
    if (int64_t found = netdext_find(aKey, std::strlen(aKey)); found >= 0)
        removeObject(m_entries[found].key);
}

bool OSDictionary::merge(const OSDictionary *srcDict) {
    if (srcDict == nullptr)
        return false;
    if (srcDict == this)
        return true;
    bool all = true;
    for (uint32_t i = 0; i < srcDict->m_count; ++i)
        all = setObject(srcDict->m_entries[i].key, srcDict->m_entries[i].value) && all;
    return all;
}

OSObject *OSDictionary::getObject(const OSString *aKey) const {
    if (aKey == nullptr)
        return nullptr;
    int64_t found = netdext_find(aKey->getCStringNoCopy(), aKey->getLength());
    return found >= 0 ? as_object(m_entries[found].value) : nullptr;
}

OSObject *OSDictionary::getObject(const char *aKey) const {
    if (aKey == nullptr)
        return nullptr;
    int64_t found = netdext_find(aKey, std::strlen(aKey));
    return found >= 0 ? as_object(m_entries[found].value) : nullptr;
}

// xnu: every key must be present in both with equal values; a non-string key ends the check.
bool OSDictionary::isEqualTo(const OSDictionary *aDictionary, const OSCollection *keys) const {
    if (aDictionary == nullptr || keys == nullptr)
        return false;
    if (aDictionary == this)
        return true;
    bool equal = true;
    keys->iterateObjects([&](OSObject *member) {
        const OSString *key = OSDynamicCast(OSString, member);
        if (key == nullptr)
            return true;
        const OSObject *mine = getObject(key);
        const OSObject *theirs = aDictionary->getObject(key);
        equal = mine != nullptr && theirs != nullptr && mine->isEqualTo(theirs);
        return !equal;
    });
    return equal;
}

bool OSDictionary::isEqualTo(const OSDictionary *aDictionary) const {
    if (aDictionary == nullptr)
        return false;
    if (aDictionary == this)
        return true;
    if (aDictionary->m_count != m_count)
        return false;
    for (uint32_t i = 0; i < m_count; ++i) {
        const OSObject *theirs = aDictionary->getObject(m_entries[i].key);
        if (theirs == nullptr || !m_entries[i].value->isEqualTo(theirs))
            return false;
    }
    return true;
}

bool OSDictionary::isEqualTo(const OSMetaClassBase *anObject) const {
    return isEqualTo(OSDynamicCast(OSDictionary, anObject));
}

bool OSDictionary::iterateObjects(OSDictionaryIterateObjectsBlock block) const {
    const uint32_t stamp = netdext_update_stamp();
    for (uint32_t i = 0; i < m_count && stamp == netdext_update_stamp(); ++i) {
        if (block(const_cast<OSString *>(m_entries[i].key), as_object(m_entries[i].value)))
            break;
    }
    return stamp == netdext_update_stamp();
}

bool OSDictionary::iterateObjects(
    void *refcon, bool (*callback)(void *refcon, const OSString *key, OSObject *object)) const {
    if (callback == nullptr)
        return false;
    return iterateObjects(OSDictionaryIterateObjectsBlock(
        [=](OSString *key, OSObject *object) { return callback(refcon, key, object); }));
}

OSObject *OSDictionary::netdext_member_at(uint32_t index) const {
    return index < m_count ? const_cast<OSString *>(m_entries[index].key) : nullptr;
}
