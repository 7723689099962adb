/*
 * DriverKit/OSData.h — a growable byte buffer.
 *
 * Ownership: with* return +1. withBytesNoCopy wraps the caller's buffer without copying: it must
 * outlive the object and such an object cannot grow (appendBytes fails). getBytesNoCopy results
 * are +0 and valid until the data grows or is freed.
 */
#ifndef _DRIVERKIT_OSDATA_H
#define _DRIVERKIT_OSDATA_H

#include <DriverKit/OSContainer.h>

class OSData : public OSContainer {
public:
    NETDEXT_CLASS_MEMBERS(OSData, OSContainer)

    /* +1: empty, with room for capacity bytes. */
    static OSData *withCapacity(size_t capacity);
    /* +1: a copy of numBytes bytes. */
    static OSData *withBytes(const void *bytes, size_t numBytes);
    /* +1: refers to the caller's bytes. */
    static OSData *withBytesNoCopy(void *bytes, size_t numBytes);
    /* +1: a copy of inData's bytes. */
    static OSData *withData(const OSData *inData);
    /* +1: a copy of numBytes bytes of inData from start; NULL if out of range. */
    static OSData *withData(const OSData *inData, size_t start, size_t numBytes);

    size_t getLength() const;
    size_t getCapacity() const;
    /* Grows the storage to at least newCapacity bytes; returns the capacity now. */
    size_t ensureCapacity(size_t newCapacity);

    /* Appends numBytes bytes; zeroes if bytes is NULL (xnu). False for NoCopy data. */
    bool appendBytes(const void *bytes, size_t numBytes);
    bool appendBytes(const OSData *aDataObj);
    /* Appends numBytes copies of byte. */
    bool appendByte(unsigned char byte, size_t numBytes);

    /* The bytes (+0); NULL when empty. */
    const void *getBytesNoCopy() const;
    /* The bytes [start, start + numBytes) (+0); NULL if the range is not inside the data. */
    const void *getBytesNoCopy(size_t start, size_t numBytes) const;

    bool isEqualTo(const OSData *aDataObj) const;
    bool isEqualTo(const void *bytes, size_t numBytes) const;
    /* True if the data holds the string's bytes, optionally followed by one NUL (xnu's rule). */
    bool isEqualTo(const OSString *aString) const;
    /* Compares with an OSData or an OSString; false for anything else. */
    bool isEqualTo(const OSMetaClassBase *anObject) const override;

    void free() override;

private:
    bool netdext_grow(size_t newCapacity);

    unsigned char *m_bytes = nullptr; /* owned (malloc) unless m_no_copy */
    size_t m_length = 0;
    size_t m_capacity = 0;
    bool m_no_copy = false;
};

extern OSMetaClass *gOSDataMetaClass;

#endif /* _DRIVERKIT_OSDATA_H */
