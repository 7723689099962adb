/*
 * DriverKit/OSOrderedSet.h — a list holding each object at most once, kept in the order an
 * optional ordering function gives.
 *
 * Ordering (xnu's): orderFunc(obj1, obj2, context) returns a negative value if obj2 should come
 * before obj1, positive if obj1 should come before obj2, 0 if they rank equally. setObject puts
 * a new object after every member that ranks before or equal to it; with no function it appends.
 * setFirstObject / setLastObject / setObject(index, …) place an object explicitly.
 *
 * Ownership: with* return +1. Members are retained, and released on removal or free; the get*
 * results are +0. Membership is by pointer.
 */
#ifndef _DRIVERKIT_OSORDEREDSET_H
#define _DRIVERKIT_OSORDEREDSET_H

#include <DriverKit/OSCollection.h>

typedef int32_t (*OSOrderFunction)(const OSMetaClassBase *obj1, const OSMetaClassBase *obj2,
                                   void *context);

class OSOrderedSet : public OSCollection {
public:
    NETDEXT_CLASS_MEMBERS(OSOrderedSet, OSCollection)

    /* +1: empty; orderFunc (may be NULL) and orderingContext decide setObject's position. */
    static OSOrderedSet *withCapacity(uint32_t capacity, OSOrderFunction orderFunc = NULL,
                                      void *orderingContext = NULL);

    uint32_t getCount() const override;
    uint32_t getCapacity() const override;
    uint32_t ensureCapacity(uint32_t newCapacity) override;
    void flushCollection() override;

    /* The ordering context given at creation. */
    void *getOrderingRef();

    /* Adds anObject at its ordered position. False for NULL or a member. */
    bool setObject(const OSMetaClassBase *anObject);
    /* Adds anObject first / last, ignoring the ordering function. False for NULL or a member. */
    bool setFirstObject(const OSMetaClassBase *anObject);
    bool setLastObject(const OSMetaClassBase *anObject);
    /* Inserts at index (0 ... getCount()). False for NULL, a member or a bad index. */
    bool setObject(uint32_t index, const OSMetaClassBase *anObject);
    /* Removes (and releases) anObject if it is a member. */
    void removeObject(const OSMetaClassBase *anObject);

    bool containsObject(const OSMetaClassBase *anObject) const;
    bool member(const OSMetaClassBase *anObject) const;
    /* +0, or NULL when empty / out of range. */
    OSObject *getFirstObject() const;
    OSObject *getLastObject() const;
    OSObject *getObject(uint32_t index) const;
    /* The first index >= index holding anObject, or (uint32_t)-1. */
    uint32_t getNextIndexOfObject(const OSMetaClassBase *anObject, uint32_t index) const;
    /* orderFunc(anObject, NULL, context), or 0 without a function (xnu). */
    int32_t orderObject(const OSMetaClassBase *anObject);

    /* Same count and pairwise equal members, in order. */
    bool isEqualTo(const OSOrderedSet *anOrderedSet) const;
    bool isEqualTo(const OSMetaClassBase *anObject) const override;

    void free() override;

protected:
    OSObject *netdext_member_at(uint32_t index) const override;

private:
    int32_t netdext_order(const OSMetaClassBase *obj1, const OSMetaClassBase *obj2) const;

    OSArray *m_members = nullptr; /* +1, created by withCapacity */
    OSOrderFunction m_order = nullptr;
    void *m_order_context = nullptr;
};

extern OSMetaClass *gOSOrderedSetMetaClass;

#endif /* _DRIVERKIT_OSORDEREDSET_H */
