// OSData: a growable byte buffer, or a fixed view of the caller's bytes (NoCopy).

#include <DriverKit/OSCollections.h>
#include <netdext/iig_support.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "collections/collections_internal.h"

NETDEXT_DEFINE_CLASS(OSData, OSContainer, nullptr, 0)

kern_return_t OSData::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSContainer::_Dispatch(self, rpc);
}

bool OSData::netdext_grow(size_t newCapacity) {
    if (m_no_copy)
        return false;
    if (newCapacity <= m_capacity)
        return true;
    void *grown = std::realloc(m_bytes, newCapacity);
    if (grown == nullptr)
        return false;
    m_bytes = static_cast<unsigned char *>(grown);
    m_capacity = newCapacity;
    return true;
}

OSData *OSData::withCapacity(size_t capacity) {
    OSData *data = netdext::new_object<OSData>();
    if (data != nullptr && !data->netdext_grow(capacity))
        OSSafeReleaseNULL(data);
    return data;
}

OSData *OSData::withBytes(const void *bytes, size_t numBytes) {
    if (bytes == nullptr && numBytes != 0)
        return nullptr;
    OSData *data = withCapacity(numBytes);
    if (data != nullptr && !data->appendBytes(bytes, numBytes))
        OSSafeReleaseNULL(data);
    return data;
}

OSData *OSData::withBytesNoCopy(void *bytes, size_t numBytes) {
    if (bytes == nullptr && numBytes != 0)
        return nullptr;
    OSData *data = netdext::new_object<OSData>();
    if (data == nullptr)
        return nullptr;
    data->m_bytes = static_cast<unsigned char *>(bytes);
    data->m_length = numBytes;
    data->m_capacity = numBytes;
    data->m_no_copy = true;
    return data;
}

OSData *OSData::withData(const OSData *inData) {
    if (inData == nullptr)
        return nullptr;
    return withBytes(inData->m_bytes, inData->m_length);
}

OSData *OSData::withData(const OSData *inData, size_t start, size_t numBytes) {
    if (inData == nullptr)
        return nullptr;
    const void *bytes = inData->getBytesNoCopy(start, numBytes);
    if (bytes == nullptr)
        return nullptr;
    return withBytes(bytes, numBytes);
}

void OSData::free() {
    if (!m_no_copy)
        std::free(m_bytes);
    m_bytes = nullptr;
    m_length = m_capacity = 0;
    OSContainer::free();
}

size_t OSData::getLength() const { return m_length; }

size_t OSData::getCapacity() const { return m_capacity; }

size_t OSData::ensureCapacity(size_t newCapacity) {
    if (newCapacity > m_capacity && !m_no_copy) {
        // Grow geometrically so that repeated appends stay linear.
        size_t target = m_capacity < 16 ? 16 : m_capacity;
        while (target < newCapacity && target <= SIZE_MAX / 2)
            target *= 2;
        if (target < newCapacity || !netdext_grow(target))
            netdext_grow(newCapacity);
    }
    return m_capacity;
}

bool OSData::appendBytes(const void *bytes, size_t numBytes) {
    if (numBytes == 0)
        return true; // xnu: even for NoCopy data
    if (m_no_copy || numBytes > SIZE_MAX - m_length)
        return false;
    // The source may be inside this buffer (d->appendBytes(d)): find it again after growing.
    const unsigned char *source = static_cast<const unsigned char *>(bytes);
    bool inside = source != nullptr && m_bytes != nullptr && source >= m_bytes &&
                  source < m_bytes + m_length;
    size_t offset = inside ? static_cast<size_t>(source - m_bytes) : 0;
    if (ensureCapacity(m_length + numBytes) < m_length + numBytes)
        return false;
    if (inside)
        source = m_bytes + offset;
    if (source != nullptr)
        std::memmove(m_bytes + m_length, source, numBytes);
    else
        std::memset(m_bytes + m_length, 0, numBytes); // xnu: NULL appends zeroes
    m_length += numBytes;
    return true;
}

bool OSData::appendBytes(const OSData *aDataObj) {
    if (aDataObj == nullptr)
        return false;
    return appendBytes(aDataObj->m_bytes, aDataObj->m_length);
}

bool OSData::appendByte(unsigned char byte, size_t numBytes) {
    if (!appendBytes(nullptr, numBytes))
        return false;
    std::memset(m_bytes + m_length - numBytes, byte, numBytes);
    return true;
}

const void *OSData::getBytesNoCopy() const { return m_length != 0 ? m_bytes : nullptr; }

const void *OSData::getBytesNoCopy(size_t start, size_t numBytes) const {
    if (m_length == 0 || start >= m_length || numBytes > m_length - start)
        return nullptr;
    return m_bytes + start;
}

bool OSData::isEqualTo(const void *bytes, size_t numBytes) const {
    if (numBytes != m_length)
        return false;
    if (numBytes == 0)
        return true;
    return bytes != nullptr && std::memcmp(m_bytes, bytes, numBytes) == 0;
}

bool OSData::isEqualTo(const OSData *aDataObj) const {
    if (aDataObj == nullptr)
        return false;
    return isEqualTo(aDataObj->m_bytes, aDataObj->m_length);
}

// xnu: the data may carry the string's terminating NUL.
bool OSData::isEqualTo(const OSString *aString) const {
    if (aString == nullptr)
        return false;
    size_t string_length = aString->getLength();
    size_t check_length = m_length;
    if (check_length != string_length) {
        if (check_length != string_length + 1 || m_bytes[check_length - 1] != 0)
            return false;
        --check_length;
    }
    return check_length == 0 ||
           std::memcmp(m_bytes, aString->getCStringNoCopy(), check_length) == 0;
}

bool OSData::isEqualTo(const OSMetaClassBase *anObject) const {
    if (const OSData *data = OSDynamicCast(OSData, anObject))
        return isEqualTo(data);
    if (const OSString *string = OSDynamicCast(OSString, anObject))
        return isEqualTo(string);
    return false;
}
