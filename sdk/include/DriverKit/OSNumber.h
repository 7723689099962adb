/*
 * DriverKit/OSNumber.h — an immutable integer of 1 to 64 bits, or a double.
 *
 * Ownership: with* return +1. An integer is stored masked to numberOfBits (xnu's rule); the
 * accessors truncate to their width. A number made with withDouble has 64 bits; its integer
 * accessors convert it to a 64-bit integer (negative values through int64_t; saturating; NaN
 * gives 0) and then truncate like an integer.
 */
#ifndef _DRIVERKIT_OSNUMBER_H
#define _DRIVERKIT_OSNUMBER_H

#include <DriverKit/OSContainer.h>

class OSNumber : public OSContainer {
public:
    NETDEXT_CLASS_MEMBERS(OSNumber, OSContainer)

    /* +1; NULL if numberOfBits is 0 or more than 64. */
    static OSNumber *withNumber(uint64_t value, size_t numberOfBits);
    /* +1 */
    static OSNumber *withDouble(double value);

    size_t numberOfBits() const;
    size_t numberOfBytes() const;

    uint8_t unsigned8BitValue() const;
    uint16_t unsigned16BitValue() const;
    uint32_t unsigned32BitValue() const;
    uint64_t unsigned64BitValue() const;
    double doubleValue() const;

    /* Equal values (compared as doubles if either is a double). */
    bool isEqualTo(const OSNumber *aNumber) const;
    bool isEqualTo(const OSMetaClassBase *anObject) const override;

private:
    uint64_t m_value = 0;
    double m_double = 0;
    uint8_t m_bits = 0;
    bool m_is_double = false;
};

extern OSMetaClass *gOSNumberMetaClass;

#endif /* _DRIVERKIT_OSNUMBER_H */
