/*
 * DriverKit/OSSet.h — an unordered collection holding each object at most once.
 *
 * Ownership: with* return +1. The set retains its members and releases them on removal or free;
 * getAnyObject is +0. Membership is by pointer (xnu): two equal but distinct strings can both be
 * members. Iteration order is unspecified.
 */
#ifndef _DRIVERKIT_OSSET_H
#define _DRIVERKIT_OSSET_H

#include <DriverKit/OSCollection.h>

class OSSet : public OSCollection {
public:
    NETDEXT_CLASS_MEMBERS(OSSet, OSCollection)

    /* +1: empty, with room for capacity members. */
    static OSSet *withCapacity(uint32_t capacity);
    /* +1: the distinct objects of the list; capacity 0 means count. NULL if one is NULL or
     * capacity < count. */
    static OSSet *withObjects(const OSObject *objects[], uint32_t count, uint32_t capacity = 0);
    /* +1: the distinct members of array. NULL if capacity (when not 0) < its count. */
    static OSSet *withArray(const OSArray *array, uint32_t capacity = 0);
    /* +1: the members of set. NULL if capacity (when not 0) < its count. */
    static OSSet *withSet(const OSSet *set, uint32_t capacity = 0);

    uint32_t getCount() const override;
    uint32_t getCapacity() const override;
    uint32_t ensureCapacity(uint32_t newCapacity) override;
    void flushCollection() override;

    /* Adds anObject (retained). False for NULL or an object already a member. */
    bool setObject(const OSMetaClassBase *anObject);
    /* Adds every member of array / set that is not a member yet; false only for NULL. */
    bool merge(const OSArray *array);
    bool merge(const OSSet *set);
    /* Removes (and releases) anObject if it is a member. */
    void removeObject(const OSMetaClassBase *anObject);

    /* Whether anObject (this pointer) is a member. */
    bool containsObject(const OSMetaClassBase *anObject) const;
    bool member(const OSMetaClassBase *anObject) const;
    /* Some member (+0), or NULL when empty. */
    OSObject *getAnyObject() const;

    /* Same count, and each member of aSet is a member of this set or equal to one. */
    bool isEqualTo(const OSSet *aSet) const;
    bool isEqualTo(const OSMetaClassBase *anObject) const override;

    void free() override;

protected:
    OSObject *netdext_member_at(uint32_t index) const override;

private:
    OSArray *m_members = nullptr; /* +1, created by the factories */
};

extern OSMetaClass *gOSSetMetaClass;

#endif /* _DRIVERKIT_OSSET_H */
