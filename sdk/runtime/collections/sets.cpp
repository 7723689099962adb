// OSSet and OSOrderedSet, both kept in an OSArray of distinct members (membership by pointer).

#include <DriverKit/OSCollections.h>
#include <netdext/iig_support.h>

#include "collections/collections_internal.h"

NETDEXT_DEFINE_CLASS(OSSet, OSCollection, nullptr, 0)
NETDEXT_DEFINE_CLASS(OSOrderedSet, OSCollection, nullptr, 0)

kern_return_t OSSet::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSCollection::_Dispatch(self, rpc);
}
kern_return_t OSOrderedSet::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSCollection::_Dispatch(self, rpc);
}

// ---- OSSet -------------------------------------------------------------------------------------

OSSet *OSSet::withCapacity(uint32_t capacity) {
    OSSet *set = netdext::new_object<OSSet>();
    if (set == nullptr)
        return nullptr;
    set->m_members = OSArray::withCapacity(capacity);
    if (set->m_members == nullptr)
        OSSafeReleaseNULL(set);
    return set;
}

OSSet *OSSet::withObjects(const OSObject *objects[], uint32_t count, uint32_t capacity) {
    if (capacity == 0)
        capacity = count;
    if (capacity < count || (objects == nullptr && count != 0))
        return nullptr;
    OSSet *set = withCapacity(capacity);
    for (uint32_t i = 0; set != nullptr && i < count; ++i) {
        if (objects[i] == nullptr) {
            OSSafeReleaseNULL(set);
        } else {
            set->setObject(objects[i]); // a duplicate is simply not added again
        }
    }
    return set;
}

OSSet *OSSet::withArray(const OSArray *array, uint32_t capacity) {
    if (array == nullptr || (capacity != 0 && capacity < array->getCount()))
        return nullptr;
    OSSet *set = withCapacity(capacity != 0 ? capacity : array->getCount());
    if (set != nullptr && !set->merge(array))
        OSSafeReleaseNULL(set);
    return set;
}

OSSet *OSSet::withSet(const OSSet *set, uint32_t capacity) {
    if (set == nullptr || (capacity != 0 && capacity < set->getCount()))
        return nullptr;
    OSSet *copy = withCapacity(capacity != 0 ? capacity : set->getCount());
    if (copy != nullptr && !copy->merge(set))
        OSSafeReleaseNULL(copy);
    return copy;
}

void OSSet::free() {
    OSSafeReleaseNULL(m_members);
    OSCollection::free();
}

uint32_t OSSet::getCount() const { return m_members != nullptr ? m_members->getCount() : 0; }

uint32_t OSSet::getCapacity() const { return m_members != nullptr ? m_members->getCapacity() : 0; }

uint32_t OSSet::ensureCapacity(uint32_t newCapacity) {
    return m_members != nullptr ? m_members->ensureCapacity(newCapacity) : 0;
}

void OSSet::flushCollection() {
    netdext_mutated();
    if (m_members != nullptr)
        m_members->flushCollection();
}

bool OSSet::setObject(const OSMetaClassBase *anObject) {
    if (anObject == nullptr || m_members == nullptr || containsObject(anObject))
        return false;
    netdext_mutated();
    return m_members->setObject(anObject);
}

bool OSSet::merge(const OSArray *array) {
    if (array == nullptr)
        return false;
    bool all = true;
    for (uint32_t i = 0; i < array->getCount(); ++i) {
        OSObject *object = array->getObject(i);
        if (!containsObject(object))
            all = setObject(object) && all;
    }
    return all;
}

bool OSSet::merge(const OSSet *set) {
    if (set == nullptr)
        return false;
    if (set == this || set->m_members == nullptr)
        return true;
    return merge(set->m_members);
}

void OSSet::removeObject(const OSMetaClassBase *anObject) {
    if (m_members == nullptr)
        return;
    uint32_t index = m_members->getNextIndexOfObject(anObject, 0);
    if (index == UINT32_MAX)
        return;
    netdext_mutated();
    m_members->removeObject(index);
}

bool OSSet::containsObject(const OSMetaClassBase *anObject) const {
    return anObject != nullptr && m_members != nullptr &&
           m_members->getNextIndexOfObject(anObject, 0) != UINT32_MAX;
}

bool OSSet::member(const OSMetaClassBase *anObject) const { return containsObject(anObject); }

OSObject *OSSet::getAnyObject() const {
    return m_members != nullptr ? m_members->getObject(0) : nullptr;
}

bool OSSet::isEqualTo(const OSSet *aSet) const {
    if (aSet == nullptr)
        return false;
    if (aSet == this)
        return true;
    if (aSet->getCount() != getCount())
        return false;
    for (uint32_t i = 0; i < aSet->getCount(); ++i) {
        const OSObject *theirs = aSet->m_members->getObject(i);
        if (containsObject(theirs))
            continue;
        bool found = false;
        for (uint32_t j = 0; !found && j < getCount(); ++j)
            found = m_members->getObject(j)->isEqualTo(theirs);
        if (!found)
            return false;
    }
    return true;
}

bool OSSet::isEqualTo(const OSMetaClassBase *anObject) const {
    return isEqualTo(OSDynamicCast(OSSet, anObject));
}

OSObject *OSSet::netdext_member_at(uint32_t index) const {
    return m_members != nullptr ? m_members->getObject(index) : nullptr;
}

// ---- OSOrderedSet ------------------------------------------------------------------------------

OSOrderedSet *OSOrderedSet::withCapacity(uint32_t capacity, OSOrderFunction orderFunc,
                                         void *orderingContext) {
    OSOrderedSet *set = netdext::new_object<OSOrderedSet>();
    if (set == nullptr)
        return nullptr;
    set->m_order = orderFunc;
    set->m_order_context = orderingContext;
    set->m_members = OSArray::withCapacity(capacity);
    if (set->m_members == nullptr)
        OSSafeReleaseNULL(set);
    return set;
}

void OSOrderedSet::free() {
    OSSafeReleaseNULL(m_members);
    OSCollection::free();
}

uint32_t OSOrderedSet::getCount() const {
    return m_members != nullptr ? m_members->getCount() : 0;
}

uint32_t OSOrderedSet::getCapacity() const {
    return m_members != nullptr ? m_members->getCapacity() : 0;
}

uint32_t OSOrderedSet::ensureCapacity(uint32_t newCapacity) {
    return m_members != nullptr ? m_members->ensureCapacity(newCapacity) : 0;
}

void OSOrderedSet::flushCollection() {
    netdext_mutated();
    if (m_members != nullptr)
        m_members->flushCollection();
}

void *OSOrderedSet::getOrderingRef() { return m_order_context; }

int32_t OSOrderedSet::netdext_order(const OSMetaClassBase *obj1,
                                    const OSMetaClassBase *obj2) const {
    return m_order != nullptr ? m_order(obj1, obj2, m_order_context) : 0;
}

// xnu: queue the new object behind every member that ranks before or equal to it.
bool OSOrderedSet::setObject(const OSMetaClassBase *anObject) {
    if (anObject == nullptr || containsObject(anObject))
        return false;
    uint32_t index = 0;
    while (index < getCount() && netdext_order(m_members->getObject(index), anObject) >= 0)
        ++index;
    return setObject(index, anObject);
}

bool OSOrderedSet::setFirstObject(const OSMetaClassBase *anObject) {
    return setObject(0, anObject);
}

bool OSOrderedSet::setLastObject(const OSMetaClassBase *anObject) {
    return setObject(getCount(), anObject);
}

bool OSOrderedSet::setObject(uint32_t index, const OSMetaClassBase *anObject) {
    if (anObject == nullptr || m_members == nullptr || index > getCount() ||
        containsObject(anObject))
        return false;
    netdext_mutated();
    return m_members->setObject(index, anObject);
}

void OSOrderedSet::removeObject(const OSMetaClassBase *anObject) {
    uint32_t index = getNextIndexOfObject(anObject, 0);
    if (index == UINT32_MAX)
        return;
    netdext_mutated();
    m_members->removeObject(index);
}

bool OSOrderedSet::containsObject(const OSMetaClassBase *anObject) const {
    return anObject != nullptr && getNextIndexOfObject(anObject, 0) != UINT32_MAX;
}

bool OSOrderedSet::member(const OSMetaClassBase *anObject) const {
    return containsObject(anObject);
}

OSObject *OSOrderedSet::getFirstObject() const { return getObject(0); }

OSObject *OSOrderedSet::getLastObject() const {
    return m_members != nullptr ? m_members->getLastObject() : nullptr;
}

OSObject *OSOrderedSet::getObject(uint32_t index) const {
    return m_members != nullptr ? m_members->getObject(index) : nullptr;
}

uint32_t OSOrderedSet::getNextIndexOfObject(const OSMetaClassBase *anObject,
                                            uint32_t index) const {
    return m_members != nullptr ? m_members->getNextIndexOfObject(anObject, index) : UINT32_MAX;
}

int32_t OSOrderedSet::orderObject(const OSMetaClassBase *anObject) {
    return netdext_order(anObject, nullptr);
}

bool OSOrderedSet::isEqualTo(const OSOrderedSet *anOrderedSet) const {
    if (anOrderedSet == nullptr)
        return false;
    if (anOrderedSet == this)
        return true;
    if (m_members == nullptr || anOrderedSet->m_members == nullptr)
        return getCount() == anOrderedSet->getCount();
    return m_members->isEqualTo(anOrderedSet->m_members);
}

bool OSOrderedSet::isEqualTo(const OSMetaClassBase *anObject) const {
    return isEqualTo(OSDynamicCast(OSOrderedSet, anObject));
}

OSObject *OSOrderedSet::netdext_member_at(uint32_t index) const { return getObject(index); }
