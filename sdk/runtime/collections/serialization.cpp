// OSSerialization: xnu's binary serialization format (libkern OSSerializeBinary.cpp), written
// without back-references and read with them.
//
// Layout: a 32-bit signature (0x000000d3), then one entry per object, depth first. An entry is a
// 32-bit key = type | length (| kEnd on the last member of a collection and on the root), then
// its payload padded to 4 bytes. Collections give their member count as the length and are
// followed by their members; a dictionary's members alternate key (a symbol) and value. A
// back-reference's length is the index of an earlier non-reference entry.

#include <DriverKit/OSCollections.h>
#include <netdext/iig_support.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "collections/collections_internal.h"

NETDEXT_DEFINE_CLASS(OSSerialization, OSObject, nullptr, 0)

kern_return_t OSSerialization::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSObject::_Dispatch(self, rpc);
}

namespace {

constexpr uint32_t kDictionary = 0x01000000u;
constexpr uint32_t kArray = 0x02000000u;
constexpr uint32_t kSet = 0x03000000u;
constexpr uint32_t kNumber = 0x04000000u;
constexpr uint32_t kSymbol = 0x08000000u;
constexpr uint32_t kString = 0x09000000u;
constexpr uint32_t kData = 0x0a000000u;
constexpr uint32_t kBoolean = 0x0b000000u;
constexpr uint32_t kObject = 0x0c000000u;
constexpr uint32_t kTypeMask = 0x7f000000u;
constexpr uint32_t kDataMask = 0x00ffffffu;
constexpr uint32_t kEnd = 0x80000000u;
constexpr uint32_t kSignature = 0x000000d3u;

constexpr int kMaxDepth = 128;

class Encoder {
public:
    Encoder() { put_word(kSignature); }
    std::vector<unsigned char> &bytes() { return m_out; }

    bool encode(const OSObject *object, bool last, int depth) {
        if (object == nullptr || depth > kMaxDepth)
            return false;
        const uint32_t end = last ? kEnd : 0;
        if (const OSDictionary *dict = OSDynamicCast(OSDictionary, object)) {
            uint32_t count = dict->getCount();
            if (count > kDataMask)
                return false;
            put_word(kDictionary | count | end);
            uint32_t index = 0;
            bool ok = true;
            dict->iterateObjects([&](OSString *key, OSObject *value) {
                ok = put_entry(kSymbol, key->getCStringNoCopy(), key->getLength() + 1, false) &&
                     encode(value, ++index == count, depth + 1);
                return !ok;
            });
            return ok;
        }
        const OSCollection *collection = OSDynamicCast(OSCollection, object);
        if (collection != nullptr) { // OSArray, OSSet; an OSOrderedSet is written as an array
            uint32_t count = collection->getCount();
            if (count > kDataMask)
                return false;
            put_word((OSDynamicCast(OSSet, object) ? kSet : kArray) | count | end);
            uint32_t index = 0;
            bool ok = true;
            collection->iterateObjects([&](OSObject *member) {
                ok = encode(member, ++index == count, depth + 1);
                return !ok;
            });
            return ok;
        }
        if (const OSString *string = OSDynamicCast(OSString, object))
            return put_entry(kString, string->getCStringNoCopy(), string->getLength(), last);
        if (const OSData *data = OSDynamicCast(OSData, object))
            return put_entry(kData, data->getBytesNoCopy(), data->getLength(), last);
        if (const OSBoolean *boolean = OSDynamicCast(OSBoolean, object))
            return put_entry(kBoolean | (boolean->getValue() ? 1u : 0u), nullptr, 0, last);
        if (const OSNumber *number = OSDynamicCast(OSNumber, object)) {
            // xnu reads 8, 16, 32 or 64 bits; a double is written as its integer value.
            size_t bits = number->numberOfBits();
            uint32_t width = bits <= 8 ? 8 : bits <= 16 ? 16 : bits <= 32 ? 32 : 64;
            uint64_t value = number->unsigned64BitValue();
            uint32_t words[2] = {static_cast<uint32_t>(value), static_cast<uint32_t>(value >> 32)};
            put_word(kNumber | width | end);
            put_word(words[0]);
            put_word(words[1]);
            return true;
        }
        return false;
    }

private:
    // Appends through resize + memcpy: a range insert of a few bytes into the still-empty
    // vector makes GCC 12 at -O2 report a stringop-overflow that cannot happen.
    void put_bytes(const void *bytes, size_t length) {
        const size_t at = m_out.size();
        m_out.resize(at + length);
        std::memcpy(m_out.data() + at, bytes, length);
    }
    void put_word(uint32_t word) { put_bytes(&word, sizeof(word)); }
    bool put_entry(uint32_t key, const void *payload, size_t length, bool last) {
        if (length > kDataMask)
            return false;
        put_word(key | static_cast<uint32_t>(length) | (last ? kEnd : 0));
        if (length == 0)
            return true;
        put_bytes(payload, length);
        m_out.resize(m_out.size() + ((4 - length % 4) % 4), 0);
        return true;
    }

    std::vector<unsigned char> m_out;
};

class Decoder {
public:
    Decoder(const unsigned char *bytes, size_t length) : m_bytes(bytes), m_length(length) {}
    ~Decoder() {
        for (OSObject *object : m_objects)
            object->release();
        OSSafeReleaseNULL(m_key);
    }

    // +1 on success.
    OSObject *decode() {
        uint32_t word = 0;
        if (!get_word(word) || word != kSignature)
            return nullptr;
        OSObject *root = nullptr;
        OSObject *parent = nullptr;   // the collection being filled (+0, held by m_objects)
        std::vector<OSObject *> stack; // enclosing parents; nullptr marks "ends with its parent"
        for (;;) {
            uint32_t key = 0;
            if (!get_word(key))
                return nullptr;
            const uint32_t length = key & kDataMask;
            bool end = (key & kEnd) != 0;
            bool opens = false;
            OSObject *object = read_object(key & kTypeMask, length, opens);
            if (object == nullptr)
                return nullptr;
            // A back-reference to a collection still being filled would make a cycle.
            if ((key & kTypeMask) == kObject &&
                (object == parent || std::find(stack.begin(), stack.end(), object) != stack.end()))
                return nullptr;
            if (!add_to(parent, root, object))
                return nullptr;
            if (end)
                parent = nullptr;
            if (opens) {
                if (stack.size() >= kMaxDepth)
                    return nullptr;
                stack.push_back(parent);
                parent = object;
                end = false;
            }
            if (end) {
                while (!stack.empty() && parent == nullptr) {
                    parent = stack.back();
                    stack.pop_back();
                }
                if (parent == nullptr)
                    break; // the root is complete
            }
        }
        if (m_key != nullptr || root == nullptr)
            return nullptr; // a dictionary key without a value
        root->retain();
        return root;
    }

private:
    bool get_word(uint32_t &word) {
        if (m_length - m_offset < sizeof(word))
            return false;
        std::memcpy(&word, m_bytes + m_offset, sizeof(word));
        m_offset += sizeof(word);
        return true;
    }
    const unsigned char *get_payload(size_t length) {
        size_t padded = (length + 3) & ~size_t{3};
        if (m_length - m_offset < padded)
            return nullptr;
        const unsigned char *payload = m_bytes + m_offset;
        m_offset += padded;
        return payload;
    }

    // The next object (+0, kept alive by m_objects); `opens` if members follow it.
    OSObject *read_object(uint32_t type, uint32_t length, bool &opens) {
        OSObject *created = nullptr;
        // Capacities are hints; never trust a count beyond what the buffer could hold.
        const uint32_t hint = static_cast<uint32_t>(
            std::min<size_t>(length, (m_length - m_offset) / sizeof(uint32_t)));
        switch (type) {
        case kDictionary:
            created = OSDictionary::withCapacity(hint);
            opens = length != 0;
            break;
        case kArray:
            created = OSArray::withCapacity(hint);
            opens = length != 0;
            break;
        case kSet:
            created = OSSet::withCapacity(hint);
            opens = length != 0;
            break;
        case kObject:
            return length < m_objects.size() ? m_objects[length] : nullptr;
        case kNumber: {
            uint32_t low = 0, high = 0;
            if (length == 0 || length > 64 || !get_word(low) || !get_word(high))
                return nullptr;
            created = OSNumber::withNumber((uint64_t{high} << 32) | low, length);
            break;
        }
        case kSymbol: {
            const unsigned char *payload = get_payload(length);
            if (payload == nullptr || length < 1 || payload[length - 1] != '\0')
                return nullptr;
            created = OSString::withCString(reinterpret_cast<const char *>(payload));
            break;
        }
        case kString: {
            const unsigned char *payload = get_payload(length);
            if (payload == nullptr || std::memchr(payload, '\0', length) != nullptr)
                return nullptr;
            std::vector<char> text(payload, payload + length);
            text.push_back('\0');
            created = OSString::withCString(text.data());
            break;
        }
        case kData: {
            const unsigned char *payload = get_payload(length);
            if (payload == nullptr)
                return nullptr;
            created = OSData::withBytes(payload, length);
            break;
        }
        case kBoolean: // a singleton, but it takes an index like every other entry
            created = length != 0 ? kOSBooleanTrue : kOSBooleanFalse;
            break;
        default:
            return nullptr;
        }
        if (created != nullptr)
            m_objects.push_back(created);
        return created;
    }

    bool add_to(OSObject *parent, OSObject *&root, OSObject *object) {
        if (parent == nullptr) {
            if (root != nullptr)
                return false; // a second root
            root = object;
            return true;
        }
        if (OSDictionary *dict = OSDynamicCast(OSDictionary, parent)) {
            if (m_key == nullptr) {
                m_key = OSDynamicCast(OSString, object);
                if (m_key == nullptr)
                    return false;
                m_key->retain();
                return true;
            }
            bool ok = dict->setObject(m_key, object);
            OSSafeReleaseNULL(m_key);
            return ok;
        }
        if (OSArray *array = OSDynamicCast(OSArray, parent))
            return array->setObject(object);
        if (OSSet *set = OSDynamicCast(OSSet, parent)) {
            set->setObject(object); // a repeated member is not an error
            return true;
        }
        return false;
    }

    const unsigned char *m_bytes;
    size_t m_length;
    size_t m_offset = 0;
    std::vector<OSObject *> m_objects; // every object created, +1 each, by index
    OSString *m_key = nullptr;         // a dictionary key waiting for its value (+1)
};

} // namespace

struct OSSerialization::State {
    std::vector<unsigned char> owned;
    const void *bytes = nullptr;
    size_t length = 0;
    OSSerializationFreeBufferHandler free_buffer;
};

OSSerialization *OSSerialization::createFromObject(const OSObject *object) {
    Encoder encoder;
    if (!encoder.encode(object, true, 0))
        return nullptr;
    OSSerialization *serialization = netdext::new_object<OSSerialization>();
    if (serialization == nullptr)
        return nullptr;
    serialization->m_state = new State;
    serialization->m_state->owned = std::move(encoder.bytes());
    serialization->m_state->bytes = serialization->m_state->owned.data();
    serialization->m_state->length = serialization->m_state->owned.size();
    return serialization;
}

OSSerialization *OSSerialization::createFromBytes(const void *bytes, size_t length,
                                                  OSSerializationFreeBufferHandler freeBuffer) {
    if (bytes == nullptr)
        return nullptr;
    OSSerialization *serialization = netdext::new_object<OSSerialization>();
    if (serialization == nullptr)
        return nullptr;
    serialization->m_state = new State;
    serialization->m_state->bytes = bytes;
    serialization->m_state->length = length;
    serialization->m_state->free_buffer = std::move(freeBuffer);
    return serialization;
}

OSObject *OSSerialization::copyObject() const {
    if (m_state == nullptr)
        return nullptr;
    Decoder decoder(static_cast<const unsigned char *>(m_state->bytes), m_state->length);
    return decoder.decode();
}

const void *OSSerialization::netdext_bytes() const {
    return m_state != nullptr ? m_state->bytes : nullptr;
}

size_t OSSerialization::netdext_length() const { return m_state != nullptr ? m_state->length : 0; }

void OSSerialization::free() {
    if (m_state != nullptr) {
        if (m_state->free_buffer)
            m_state->free_buffer(m_state->bytes, m_state->length);
        delete m_state;
        m_state = nullptr;
    }
    OSObject::free();
}
