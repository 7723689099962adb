/*
 * DriverKit/OSArray.h — an ordered, growable list of objects.
 *
 * Ownership: with* return +1. The array retains what it stores and releases it on removal,
 * replacement or free; getObject / getLastObject are +0. Indices are 0-based. The same object
 * may be stored more than once; getNextIndexOfObject compares pointers, isEqualTo compares members.
 */
#ifndef _DRIVERKIT_OSARRAY_H
#define _DRIVERKIT_OSARRAY_H

#include <DriverKit/OSCollection.h>

class OSArray : public OSCollection {
public:
    NETDEXT_CLASS_MEMBERS(OSArray, OSCollection)

    /* +1: empty, with room for capacity objects. */
    static OSArray *withCapacity(uint32_t capacity);
    /* +1: the count objects in order (each retained); capacity 0 means count. NULL if an object
     * is NULL or capacity < count. */
    static OSArray *withObjects(const OSObject *objects[], uint32_t count, uint32_t capacity = 0);
    /* +1: the members of array; capacity 0 means its count. NULL if capacity < its count. */
    static OSArray *withArray(const OSArray *array, uint32_t capacity = 0);

    uint32_t getCount() const override;
    uint32_t getCapacity() const override;
    uint32_t ensureCapacity(uint32_t newCapacity) override;
    void flushCollection() override;

    /* Appends (retained). False for NULL. */
    bool setObject(const OSMetaClassBase *anObject);
    /* Inserts at index (0 ... getCount()), moving later members up. False for NULL or a bad index. */
    bool setObject(uint32_t index, const OSMetaClassBase *anObject);
    /* Appends every member of otherArray. */
    bool merge(const OSArray *otherArray);
    /* Replaces the member at index (the old one is released); nothing if index is out of range. */
    void replaceObject(uint32_t index, const OSMetaClassBase *anObject);
    /* Removes (and releases) the member at index; nothing if index is out of range. */
    void removeObject(uint32_t index);

    /* The member at index (+0), or NULL. */
    OSObject *getObject(uint32_t index) const;
    /* The last member (+0), or NULL when empty. */
    OSObject *getLastObject() const;
    /* The first index >= index holding anObject (same pointer), or (uint32_t)-1. */
    uint32_t getNextIndexOfObject(const OSMetaClassBase *anObject, uint32_t index) const;

    /* Same count and pairwise isEqualTo members. */
    bool isEqualTo(const OSArray *anArray) const;
    bool isEqualTo(const OSMetaClassBase *anObject) const override;

    void free() override;

protected:
    OSObject *netdext_member_at(uint32_t index) const override;

private:
    const OSMetaClassBase **m_objects = nullptr; /* each retained */
    uint32_t m_count = 0;
    uint32_t m_capacity = 0;
};

extern OSMetaClass *gOSArrayMetaClass;

#endif /* _DRIVERKIT_OSARRAY_H */
