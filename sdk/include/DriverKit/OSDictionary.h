/*
 * DriverKit/OSDictionary.h — a map from OSString keys to objects, in insertion order.
 *
 * Ownership: with* return +1. The dictionary retains each key and value it stores; setObject on an
 * existing key replaces (and releases) the old value; removeObject and free release both.
 * getObject is +0. Keys compare by their characters. A const char * key is copied into an
 * OSString. Iterating the dictionary as an OSCollection yields its keys (as in xnu).
 */
#ifndef _DRIVERKIT_OSDICTIONARY_H
#define _DRIVERKIT_OSDICTIONARY_H

#include <DriverKit/OSCollection.h>
#include <DriverKit/OSString.h>

/* Called with each key and value; return true to stop. Blocks and callables taking the key as
 * const OSString *, OSString * or OSObject * are all accepted. */
typedef netdext::Block<bool(OSString *key, OSObject *object)> OSDictionaryIterateObjectsBlock;

class OSDictionary : public OSCollection {
public:
    NETDEXT_CLASS_MEMBERS(OSDictionary, OSCollection)

    /* +1: empty, with room for capacity entries. */
    static OSDictionary *withCapacity(uint32_t capacity);
    /* +1: keys[i] → objects[i] for i < count; capacity 0 means count. NULL if any key or object
     * is NULL or capacity < count. */
    static OSDictionary *withObjects(const OSObject *objects[], const OSString *keys[],
                                     uint32_t count, uint32_t capacity = 0);
    /* +1: the entries of dict (shallow: the values are shared); capacity 0 means its count. */
    static OSDictionary *withDictionary(const OSDictionary *dict, uint32_t capacity = 0);

    uint32_t getCount() const override;
    uint32_t getCapacity() const override;
    uint32_t ensureCapacity(uint32_t newCapacity) override;
    void flushCollection() override;

    /* Stores anObject under aKey (both retained), replacing any value there. False for NULL. */
    bool setObject(const OSString *aKey, const OSMetaClassBase *anObject);
    bool setObject(const char *aKey, const OSMetaClassBase *anObject);
    /* Removes (and releases) the entry for aKey, if any. */
    void removeObject(const OSString *aKey);
    void removeObject(const char *aKey);
    /* Stores every entry of srcDict, replacing values of keys present in both. */
    bool merge(const OSDictionary *srcDict);

    /* The value for aKey (+0), or NULL. */
    OSObject *getObject(const OSString *aKey) const;
    OSObject *getObject(const char *aKey) const;

    /* True if both dictionaries hold equal values for every key in keys (xnu: a missing key
     * makes them differ; the check stops at the first member of keys that is not an OSString). */
    bool isEqualTo(const OSDictionary *aDictionary, const OSCollection *keys) const;
    /* Same count and, for every key, equal values. */
    bool isEqualTo(const OSDictionary *aDictionary) const;
    bool isEqualTo(const OSMetaClassBase *anObject) const override;

    using OSCollection::iterateObjects;
    /* Calls block(key, value) in insertion order until it returns true; false if modified. */
    bool iterateObjects(OSDictionaryIterateObjectsBlock block) const;
    bool iterateObjects(void *refcon,
                        bool (*callback)(void *refcon, const OSString *key, OSObject *object)) const;

    void free() override;

protected:
    OSObject *netdext_member_at(uint32_t index) const override;

private:
    struct Entry {
        const OSString *key;          /* retained */
        const OSMetaClassBase *value; /* retained */
    };
    int64_t netdext_find(const char *key, size_t length) const;

    Entry *m_entries = nullptr;
    uint32_t m_count = 0;
    uint32_t m_capacity = 0;
};

extern OSMetaClass *gOSDictionaryMetaClass;

#endif /* _DRIVERKIT_OSDICTIONARY_H */
