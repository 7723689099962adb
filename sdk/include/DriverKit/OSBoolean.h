/*
 * DriverKit/OSBoolean.h — the two boolean objects, kOSBooleanTrue and kOSBooleanFalse.
 *
 * Ownership: the two singletons live for the whole process; retain() and release() on them do
 * nothing, so code may balance them or not (as in DriverKit). withBoolean returns one of them.
 * Compare with `==` or getValue().
 */
#ifndef _DRIVERKIT_OSBOOLEAN_H
#define _DRIVERKIT_OSBOOLEAN_H

#include <DriverKit/OSContainer.h>

namespace netdext {
struct BooleanStorage;
}

class OSBoolean : public OSContainer {
public:
    NETDEXT_CLASS_MEMBERS(OSBoolean, OSContainer)

    /* kOSBooleanTrue or kOSBooleanFalse (never freed). */
    static OSBoolean *withBoolean(bool value);

    bool getValue() const { return m_value; }
    bool isTrue() const { return m_value; }
    bool isFalse() const { return !m_value; }

    bool isEqualTo(const OSBoolean *aBoolean) const;
    bool isEqualTo(const OSMetaClassBase *anObject) const override;

    void retain() const override;
    void release() const override;

private:
    friend struct netdext::BooleanStorage;
    constexpr explicit OSBoolean(bool value) : m_value(value) {}
    ~OSBoolean() override;

    bool m_value;
};

extern OSMetaClass *gOSBooleanMetaClass;

/* The singletons; constant-initialised, so usable from static initialisers too. */
extern OSBoolean *const kOSBooleanTrue;
extern OSBoolean *const kOSBooleanFalse;

#endif /* _DRIVERKIT_OSBOOLEAN_H */
