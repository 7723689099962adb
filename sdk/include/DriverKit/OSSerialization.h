/*
 * DriverKit/OSSerialization.h — a container graph flattened to bytes, and back.
 *
 * netdext: the bytes are xnu's binary serialization format (OSSerializeBinary: the 0xd3
 * signature, 32-bit tagged entries padded to 4 bytes), so a blob made by IOKit decodes here and
 * the reverse. Encoding writes every object inline (no back-references); decoding accepts
 * back-references. Keys decode to OSString (DriverKit has no OSSymbol), OSOrderedSet encodes as
 * an array. Anything that is not OSString/OSNumber/OSBoolean/OSData/OSArray/OSDictionary/OSSet/
 * OSOrderedSet cannot be serialized.
 */
#ifndef _DRIVERKIT_OSSERIALIZATION_H
#define _DRIVERKIT_OSSERIALIZATION_H

#include <DriverKit/OSContainer.h>
#include <netdext/block.h>

/* Called once, when the serialization that wraps the buffer is freed. */
typedef netdext::Block<void(const void *buffer, size_t length)> OSSerializationFreeBufferHandler;

class OSSerialization : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(OSSerialization, OSObject)

    /* +1: the serialized form of object; NULL if it holds something not serializable. */
    static OSSerialization *createFromObject(const OSObject *object);
    /* +1: wraps length bytes without copying; freeBuffer (may be empty) runs when it is freed. */
    static OSSerialization *createFromBytes(const void *bytes, size_t length,
                                            OSSerializationFreeBufferHandler freeBuffer);
    /* +1: a new object graph decoded from the bytes; NULL if they are malformed. */
    OSObject *copyObject() const;

    /* netdext: the serialized bytes (+0) and their length. */
    const void *netdext_bytes() const;
    size_t netdext_length() const;

    void free() override;

private:
    struct State;
    State *m_state = nullptr; /* owned */
};

extern OSMetaClass *gOSSerializationMetaClass;

#endif /* _DRIVERKIT_OSSERIALIZATION_H */
