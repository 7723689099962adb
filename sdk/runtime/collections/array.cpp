// OSArray: a growable vector of retained objects.

#include <DriverKit/OSCollections.h>
#include <netdext/iig_support.h>

#include <cstdlib>
#include <cstring>

#include "collections/collections_internal.h"

NETDEXT_DEFINE_CLASS(OSArray, OSCollection, nullptr, 0)

kern_return_t OSArray::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSCollection::_Dispatch(self, rpc);
}

namespace {
OSObject *as_object(const OSMetaClassBase *member) {
    return const_cast<OSObject *>(static_cast<const OSObject *>(member));
}
} // namespace

OSArray *OSArray::withCapacity(uint32_t capacity) {
    OSArray *array = netdext::new_object<OSArray>();
    if (array != nullptr && array->ensureCapacity(capacity) < capacity)
        OSSafeReleaseNULL(array);
    return array;
}

OSArray *OSArray::withObjects(const OSObject *objects[], uint32_t count, uint32_t capacity) {
    if (capacity == 0)
        capacity = count;
    if (capacity < count || (objects == nullptr && count != 0))
        return nullptr;
    OSArray *array = withCapacity(capacity);
    for (uint32_t i = 0; array != nullptr && i < count; ++i) {
        if (!array->setObject(objects[i]))
            OSSafeReleaseNULL(array);
    }
    return array;
}

OSArray *OSArray::withArray(const OSArray *array, uint32_t capacity) {
    if (array == nullptr)
        return nullptr;
    if (capacity == 0)
        capacity = array->m_count;
    if (capacity < array->m_count)
        return nullptr;
    OSArray *copy = withCapacity(capacity);
    if (copy != nullptr && !copy->merge(array))
        OSSafeReleaseNULL(copy);
    return copy;
}

void OSArray::free() {
    flushCollection();
    std::free(m_objects);
    m_objects = nullptr;
    m_capacity = 0;
    OSCollection::free();
}

uint32_t OSArray::getCount() const { return m_count; }

uint32_t OSArray::getCapacity() const { return m_capacity; }

uint32_t OSArray::ensureCapacity(uint32_t newCapacity) {
    return netdext::grow_slots(m_objects, m_capacity, newCapacity);
}

void OSArray::flushCollection() {
    netdext_mutated();
    // Detach first: a released member's free() may look at this array.
    uint32_t count = m_count;
    m_count = 0;
    for (uint32_t i = 0; i < count; ++i)
        m_objects[i]->release();
}

bool OSArray::setObject(const OSMetaClassBase *anObject) { return setObject(m_count, anObject); }

bool OSArray::setObject(uint32_t index, const OSMetaClassBase *anObject) {
    if (anObject == nullptr || index > m_count || m_count == UINT32_MAX)
        return false;
    if (ensureCapacity(m_count + 1) <= m_count)
        return false;
    netdext_mutated();
    std::memmove(&m_objects[index + 1], &m_objects[index],
                 (m_count - index) * sizeof(*m_objects));
    anObject->retain();
    m_objects[index] = anObject;
    ++m_count;
    return true;
}

bool OSArray::merge(const OSArray *otherArray) {
    if (otherArray == nullptr)
        return false;
    uint32_t other_count = otherArray->m_count; // fixed first: otherArray may be this array
    if (other_count == 0)
        return true;
    if (uint64_t{m_count} + other_count > UINT32_MAX ||
        ensureCapacity(m_count + other_count) < m_count + other_count)
        return false;
    netdext_mutated();
    for (uint32_t i = 0; i < other_count; ++i) {
        const OSMetaClassBase *member = otherArray->m_objects[i];
        member->retain();
        m_objects[m_count++] = member;
    }
    return true;
}

void OSArray::replaceObject(uint32_t index, const OSMetaClassBase *anObject) {
    if (anObject == nullptr || index >= m_count)
        return;
    netdext_mutated();
    anObject->retain();
    const OSMetaClassBase *old = m_objects[index];
    m_objects[index] = anObject;
    old->release();
}

void OSArray::removeObject(uint32_t index) {
    if (index >= m_count)
        return;
    netdext_mutated();
    const OSMetaClassBase *old = m_objects[index];
    std::memmove(&m_objects[index], &m_objects[index + 1],
                 (m_count - index - 1) * sizeof(*m_objects));
    --m_count;
    old->release();
}

OSObject *OSArray::getObject(uint32_t index) const {
    return index < m_count ? as_object(m_objects[index]) : nullptr;
}

OSObject *OSArray::getLastObject() const {
    return m_count != 0 ? as_object(m_objects[m_count - 1]) : nullptr;
}

uint32_t OSArray::getNextIndexOfObject(const OSMetaClassBase *anObject, uint32_t index) const {
    for (uint32_t i = index; i < m_count; ++i) {
        if (m_objects[i] == anObject)
            return i;
    }
    return UINT32_MAX;
}

bool OSArray::isEqualTo(const OSArray *anArray) const {
    if (anArray == nullptr)
        return false;
    if (anArray == this)
        return true;
    if (anArray->m_count != m_count)
        return false;
    for (uint32_t i = 0; i < m_count; ++i) {
        if (!m_objects[i]->isEqualTo(anArray->m_objects[i]))
            return false;
    }
    return true;
}

bool OSArray::isEqualTo(const OSMetaClassBase *anObject) const {
    return isEqualTo(OSDynamicCast(OSArray, anObject));
}

OSObject *OSArray::netdext_member_at(uint32_t index) const { return getObject(index); }
