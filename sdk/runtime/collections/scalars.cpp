// OSContainer, OSCollection's iteration, and the immutable leaves: OSString, OSNumber, OSBoolean.

#include <DriverKit/OSCollections.h>
#include <netdext/iig_support.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>

#include "collections/collections_internal.h"

NETDEXT_DEFINE_CLASS(OSContainer, OSObject, nullptr, 0)
NETDEXT_DEFINE_CLASS(OSCollection, OSContainer, nullptr, 0)
NETDEXT_DEFINE_CLASS(OSString, OSContainer, nullptr, 0)
NETDEXT_DEFINE_CLASS(OSNumber, OSContainer, nullptr, 0)

kern_return_t OSContainer::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSObject::_Dispatch(self, rpc);
}
kern_return_t OSCollection::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSContainer::_Dispatch(self, rpc);
}
kern_return_t OSString::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSContainer::_Dispatch(self, rpc);
}
kern_return_t OSNumber::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSContainer::_Dispatch(self, rpc);
}

// ---- OSCollection ------------------------------------------------------------------------------

// xnu: stop when the callback returns true; report whether the collection stayed unmodified.
bool OSCollection::iterateObjects(OSCollectionIterateObjectsBlock block) const {
    const uint32_t stamp = m_update_stamp;
    for (uint32_t i = 0; stamp == m_update_stamp; ++i) {
        OSObject *object = netdext_member_at(i);
        if (object == nullptr || block(object))
            break;
    }
    return stamp == m_update_stamp;
}

bool OSCollection::iterateObjects(void *refcon,
                                  bool (*callback)(void *refcon, OSObject *object)) const {
    if (callback == nullptr)
        return false;
    return iterateObjects(OSCollectionIterateObjectsBlock(
        [=](OSObject *object) { return callback(refcon, object); }));
}

// ---- OSString ----------------------------------------------------------------------------------

bool OSString::netdext_init(const char *cString, size_t length, bool noCopy) {
    if (noCopy) {
        m_string = cString;
    } else {
        char *copy = new (std::nothrow) char[length + 1];
        if (copy == nullptr)
            return false;
        std::memcpy(copy, cString, length);
        copy[length] = '\0';
        m_string = copy;
    }
    m_length = length;
    m_no_copy = noCopy;
    return true;
}

OSString *OSString::withCString(const char *cString) {
    if (cString == nullptr)
        return nullptr;
    OSString *string = netdext::new_object<OSString>();
    if (string != nullptr && !string->netdext_init(cString, std::strlen(cString), false))
        OSSafeReleaseNULL(string);
    return string;
}

OSString *OSString::withCStringNoCopy(const char *cString) {
    if (cString == nullptr)
        return nullptr;
    OSString *string = netdext::new_object<OSString>();
    if (string != nullptr && !string->netdext_init(cString, std::strlen(cString), true))
        OSSafeReleaseNULL(string);
    return string;
}

OSString *OSString::withString(const OSString *aString) {
    if (aString == nullptr)
        return nullptr;
    OSString *string = netdext::new_object<OSString>();
    if (string != nullptr &&
        !string->netdext_init(aString->getCStringNoCopy(), aString->getLength(), false))
        OSSafeReleaseNULL(string);
    return string;
}

void OSString::free() {
    if (!m_no_copy)
        delete[] m_string;
    m_string = nullptr;
    m_length = 0;
    OSContainer::free();
}

size_t OSString::getLength() const { return m_length; }

const char *OSString::getCStringNoCopy() const { return m_string != nullptr ? m_string : ""; }

char OSString::getChar(size_t index) const { return index < m_length ? m_string[index] : '\0'; }

bool OSString::isEqualTo(const char *cString) const {
    if (cString == nullptr)
        return false;
    return std::strncmp(getCStringNoCopy(), cString, m_length + 1) == 0;
}

bool OSString::isEqualTo(const OSString *aString) const {
    if (aString == nullptr)
        return false;
    if (aString == this)
        return true;
    return m_length == aString->m_length &&
           std::memcmp(getCStringNoCopy(), aString->getCStringNoCopy(), m_length) == 0;
}

bool OSString::isEqualTo(const OSData *aDataObject) const {
    return aDataObject != nullptr && aDataObject->isEqualTo(this);
}

bool OSString::isEqualTo(const OSMetaClassBase *anObject) const {
    if (const OSString *string = OSDynamicCast(OSString, anObject))
        return isEqualTo(string);
    if (const OSData *data = OSDynamicCast(OSData, anObject))
        return isEqualTo(data);
    return false;
}

// ---- OSNumber ----------------------------------------------------------------------------------

OSNumber *OSNumber::withNumber(uint64_t value, size_t numberOfBits) {
    if (numberOfBits == 0 || numberOfBits > 64)
        return nullptr;
    OSNumber *number = netdext::new_object<OSNumber>();
    if (number == nullptr)
        return nullptr;
    number->m_bits = static_cast<uint8_t>(numberOfBits);
    number->m_value = value & (~0ull >> (64 - numberOfBits)); // xnu masks to the width
    return number;
}

OSNumber *OSNumber::withDouble(double value) {
    OSNumber *number = netdext::new_object<OSNumber>();
    if (number == nullptr)
        return nullptr;
    number->m_bits = 64;
    number->m_is_double = true;
    number->m_double = value;
    return number;
}

size_t OSNumber::numberOfBits() const { return m_bits; }

size_t OSNumber::numberOfBytes() const { return (m_bits + 7u) / 8u; }

uint64_t OSNumber::unsigned64BitValue() const {
    if (!m_is_double)
        return m_value;
    // Well-defined conversions only: NaN → 0, saturate, negative values through int64_t.
    if (std::isnan(m_double))
        return 0;
    if (m_double < 0) {
        if (m_double <= -9223372036854775808.0)
            return static_cast<uint64_t>(INT64_MIN);
        return static_cast<uint64_t>(static_cast<int64_t>(m_double));
    }
    if (m_double >= 18446744073709551616.0)
        return UINT64_MAX;
    return static_cast<uint64_t>(m_double);
}

uint8_t OSNumber::unsigned8BitValue() const { return static_cast<uint8_t>(unsigned64BitValue()); }

uint16_t OSNumber::unsigned16BitValue() const {
    return static_cast<uint16_t>(unsigned64BitValue());
}

uint32_t OSNumber::unsigned32BitValue() const {
    return static_cast<uint32_t>(unsigned64BitValue());
}

double OSNumber::doubleValue() const {
    return m_is_double ? m_double : static_cast<double>(m_value);
}

bool OSNumber::isEqualTo(const OSNumber *aNumber) const {
    if (aNumber == nullptr)
        return false;
    if (m_is_double || aNumber->m_is_double)
        return doubleValue() == aNumber->doubleValue();
    return m_value == aNumber->m_value;
}

bool OSNumber::isEqualTo(const OSMetaClassBase *anObject) const {
    return isEqualTo(OSDynamicCast(OSNumber, anObject));
}

// ---- OSBoolean ---------------------------------------------------------------------------------

// Not NETDEXT_DEFINE_CLASS: OSBoolean has no factory (only the two singletons exist).
static OSMetaClass OSBoolean_sMetaClass("OSBoolean", &gOSContainerMetaClass, nullptr, nullptr, 0,
                                        sizeof(OSBoolean));
OSMetaClass *gOSBooleanMetaClass = &OSBoolean_sMetaClass;
static const OSClassLoadInformation OSBoolean_Class(&OSBoolean_sMetaClass);
OSMetaClass *OSBoolean::sGetMetaClass() { return gOSBooleanMetaClass; }
const OSMetaClass *OSBoolean::getMetaClass() const { return gOSBooleanMetaClass; }
kern_return_t OSBoolean::Dispatch(const IORPC rpc) { return _Dispatch(this, rpc); }
kern_return_t OSBoolean::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSContainer::_Dispatch(self, rpc);
}

// The singletons are constant-initialised static objects that are never destroyed, so they are
// valid before any dynamic initialiser runs and after every static destructor.
struct netdext::BooleanStorage {
    union {
        OSBoolean value;
    };
    constexpr explicit BooleanStorage(bool v) : value(v) {}
    ~BooleanStorage() {}
};

namespace {
constinit netdext::BooleanStorage g_boolean_true{true};
constinit netdext::BooleanStorage g_boolean_false{false};
} // namespace

OSBoolean *const kOSBooleanTrue = &g_boolean_true.value;
OSBoolean *const kOSBooleanFalse = &g_boolean_false.value;

OSBoolean::~OSBoolean() = default;

OSBoolean *OSBoolean::withBoolean(bool value) { return value ? kOSBooleanTrue : kOSBooleanFalse; }

void OSBoolean::retain() const {}

void OSBoolean::release() const {}

bool OSBoolean::isEqualTo(const OSBoolean *aBoolean) const { return aBoolean == this; }

bool OSBoolean::isEqualTo(const OSMetaClassBase *anObject) const { return anObject == this; }
