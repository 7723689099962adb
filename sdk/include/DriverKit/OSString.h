/*
 * DriverKit/OSString.h — an immutable C string object; the key type of OSDictionary.
 *
 * Ownership: with* return +1 (NULL on a NULL argument or no memory). withCStringNoCopy keeps the
 * caller's pointer: the characters must outlive the object (use it for string literals).
 */
#ifndef _DRIVERKIT_OSSTRING_H
#define _DRIVERKIT_OSSTRING_H

#include <DriverKit/OSContainer.h>

class OSString : public OSContainer {
public:
    NETDEXT_CLASS_MEMBERS(OSString, OSContainer)

    /* +1: a copy of cString. */
    static OSString *withCString(const char *cString);
    /* +1: refers to cString without copying it. */
    static OSString *withCStringNoCopy(const char *cString);
    /* +1: a copy of aString's characters. */
    static OSString *withString(const OSString *aString);

    /* The length in bytes, without the terminating NUL. */
    size_t getLength() const;
    /* The NUL-terminated characters (+0, valid while the object lives); "" when empty. */
    const char *getCStringNoCopy() const;
    /* The byte at index, or 0 past the end. */
    char getChar(size_t index) const;

    bool isEqualTo(const char *cString) const;
    bool isEqualTo(const OSString *aString) const;
    /* True if the data holds the same bytes, optionally followed by one NUL (xnu's rule). */
    bool isEqualTo(const OSData *aDataObject) const;
    /* Compares with an OSString or an OSData; false for anything else. */
    bool isEqualTo(const OSMetaClassBase *anObject) const override;

    void free() override;

private:
    bool netdext_init(const char *cString, size_t length, bool noCopy);

    const char *m_string = nullptr; /* owned (new[]) unless m_no_copy */
    size_t m_length = 0;
    bool m_no_copy = false;
};

extern OSMetaClass *gOSStringMetaClass;

#endif /* _DRIVERKIT_OSSTRING_H */
