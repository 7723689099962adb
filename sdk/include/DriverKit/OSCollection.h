/*
 * DriverKit/OSCollection.h — the abstract base of OSArray, OSDictionary, OSSet and OSOrderedSet.
 *
 * Ownership (DriverKit's, for every collection): an object stored in a collection is retained by
 * it and released when it is removed, replaced, or the collection is freed. get* results are +0:
 * they stay valid only while the collection holds them.
 *
 * iterateObjects (xnu's OSCollection semantics): calls the block for each member in order (an
 * OSDictionary yields its keys here) until the block returns true. It returns false if the
 * collection was modified during the iteration (the iteration stops there), true otherwise.
 * The block takes an Apple block under `clang -fblocks`, or any C++ callable.
 */
#ifndef _DRIVERKIT_OSCOLLECTION_H
#define _DRIVERKIT_OSCOLLECTION_H

#include <DriverKit/OSContainer.h>
#include <netdext/block.h>

/* Return true to stop the iteration. */
typedef netdext::Block<bool(OSObject *object)> OSCollectionIterateObjectsBlock;

class OSCollection : public OSContainer {
public:
    NETDEXT_CLASS_MEMBERS(OSCollection, OSContainer)

    /* The number of members. */
    virtual uint32_t getCount() const = 0;
    /* How many members fit before the storage grows. */
    virtual uint32_t getCapacity() const = 0;
    /* Grows the storage to hold at least newCapacity members; returns the new capacity. */
    virtual uint32_t ensureCapacity(uint32_t newCapacity) = 0;
    /* Releases and removes every member. */
    virtual void flushCollection() = 0;

    bool iterateObjects(OSCollectionIterateObjectsBlock block) const;
    bool iterateObjects(void *refcon, bool (*callback)(void *refcon, OSObject *object)) const;

protected:
    /* netdext: the member at `index` in iteration order (+0), or NULL past the end. */
    virtual OSObject *netdext_member_at(uint32_t index) const = 0;
    /* netdext: called by every mutation, so that a running iterateObjects notices it. */
    void netdext_mutated() { ++m_update_stamp; }
    uint32_t netdext_update_stamp() const { return m_update_stamp; }

private:
    uint32_t m_update_stamp = 0;
};

extern OSMetaClass *gOSCollectionMetaClass;

#endif /* _DRIVERKIT_OSCOLLECTION_H */
