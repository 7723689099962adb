// OSSerialization: round trips through xnu's binary format, known byte layouts, malformed input.

#include <gtest/gtest.h>

#include <DriverKit/OSCollections.h>
#include <netdext/runtime.h>

#include <cstring>
#include <vector>

#include "support/leak_checked.h"

namespace {

using OSSerializationTest = LeakChecked;

std::vector<uint32_t> words_of(const OSSerialization *s) {
    std::vector<uint32_t> words(s->netdext_length() / 4);
    std::memcpy(words.data(), s->netdext_bytes(), words.size() * 4);
    return words;
}

// Decodes `words` (+1 result, or nullptr).
OSObject *decode(const std::vector<uint32_t> &words) {
    static const uint32_t nothing = 0;
    OSSerialization *s = OSSerialization::createFromBytes(words.empty() ? &nothing : words.data(),
                                                          words.size() * 4, nullptr);
    if (s == nullptr)
        return nullptr;
    OSObject *object = s->copyObject();
    s->release();
    return object;
}

} // namespace

TEST_F(OSSerializationTest, RoundTripsEveryContainerType) {
    OSDictionary *root = OSDictionary::withCapacity(4);
    OSString *text = OSString::withCString("hello");
    OSNumber *n16 = OSNumber::withNumber(0xbeef, 16);
    OSNumber *n64 = OSNumber::withNumber(0x123456789abcdefull, 64);
    OSData *data = OSData::withBytes("\x01\x02\x03\x04\x05", 5);
    OSArray *array = OSArray::withCapacity(3);
    OSDictionary *empty = OSDictionary::withCapacity(0);
    OSSet *set = OSSet::withCapacity(1);
    array->setObject(n16);
    array->setObject(kOSBooleanFalse);
    array->setObject(empty);
    set->setObject(text);
    root->setObject("text", text);
    root->setObject("n64", n64);
    root->setObject("data", data);
    root->setObject("array", array);
    root->setObject("set", set);
    root->setObject("yes", kOSBooleanTrue);

    OSSerialization *s = OSSerialization::createFromObject(root);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->netdext_length() % 4, 0u);
    OSObject *copy = s->copyObject();
    ASSERT_NE(copy, nullptr);
    OSDictionary *dict = OSDynamicCast(OSDictionary, copy);
    ASSERT_NE(dict, nullptr);
    EXPECT_NE(dict, root);
    EXPECT_TRUE(dict->isEqualTo(root));
    EXPECT_EQ(dict->getObject("yes"), kOSBooleanTrue);
    OSNumber *big = OSDynamicCast(OSNumber, dict->getObject("n64"));
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(big->unsigned64BitValue(), 0x123456789abcdefull);
    EXPECT_NE(OSDynamicCast(OSSet, dict->getObject("set")), nullptr);
    copy->release();
    s->release();
    for (OSObject *o :
         std::initializer_list<OSObject *>{root, text, n16, n64, data, array, empty, set})
        o->release();
}

TEST_F(OSSerializationTest, WritesXnusLayout) {
    // ["ab", true] → signature, array of 2, string "ab" padded, boolean with the end flag.
    OSArray *array = OSArray::withCapacity(2);
    OSString *ab = OSString::withCString("ab");
    array->setObject(ab);
    array->setObject(kOSBooleanTrue);
    OSSerialization *s = OSSerialization::createFromObject(array);
    ASSERT_NE(s, nullptr);
    uint32_t ab_word = 0;
    std::memcpy(&ab_word, "ab\0\0", 4);
    EXPECT_EQ(words_of(s), (std::vector<uint32_t>{0xd3, 0x82000002u, 0x09000002u, ab_word,
                                                  0x8b000001u}));
    s->release();
    ab->release();
    array->release();
}

TEST_F(OSSerializationTest, ReadsBackReferencesAndNestedEnds) {
    // {"k": ["v", <ref to "v">], "z": 8-bit 7}: keys and values share one index space.
    uint32_t k = 0, v = 0, z = 0;
    std::memcpy(&k, "k\0\0\0", 4);
    std::memcpy(&v, "v\0\0\0", 4);
    std::memcpy(&z, "z\0\0\0", 4);
    std::vector<uint32_t> words = {
        0xd3,        0x81000002u, // dictionary of 2 (index 0), the root
        0x08000002u, k,           // symbol "k" (index 1)
        0x02000002u,              // array of 2 (index 2)
        0x09000001u, v,           // string "v" (index 3)
        0x8c000003u,              // reference to index 3, last in the array
        0x08000002u, z,           // symbol "z"
        0x84000008u, 7, 0,        // 8-bit number, last in the dictionary
    };
    OSObject *object = decode(words);
    OSDictionary *dict = OSDynamicCast(OSDictionary, object);
    ASSERT_NE(dict, nullptr);
    OSArray *array = OSDynamicCast(OSArray, dict->getObject("k"));
    ASSERT_NE(array, nullptr);
    EXPECT_EQ(array->getCount(), 2u);
    EXPECT_EQ(array->getObject(0), array->getObject(1));
    EXPECT_TRUE(OSRequiredCast(OSString, array->getObject(0))->isEqualTo("v"));
    OSNumber *number = OSDynamicCast(OSNumber, dict->getObject("z"));
    ASSERT_NE(number, nullptr);
    EXPECT_EQ(number->unsigned8BitValue(), 7u);
    EXPECT_EQ(number->numberOfBits(), 8u);
    object->release();
}

TEST_F(OSSerializationTest, RejectsMalformedInput) {
    EXPECT_EQ(decode({}), nullptr);
    EXPECT_EQ(decode({0xd4, 0x8b000001u}), nullptr);                 // bad signature
    EXPECT_EQ(decode({0xd3, 0x82000002u, 0x0b000001u}), nullptr);    // the input ends first
    EXPECT_EQ(decode({0xd3, 0x89000010u, 0}), nullptr);              // string past the end
    EXPECT_EQ(decode({0xd3, 0x81000001u, 0x8b000001u}), nullptr);    // non-string key
    EXPECT_EQ(decode({0xd3, 0x81000001u, 0x8c000000u}), nullptr);    // self-reference
    EXPECT_EQ(decode({0xd3, 0x8c000005u}), nullptr);                 // reference to nothing
    EXPECT_EQ(decode({0xd3, 0x0b000001u, 0x8b000001u}), nullptr);    // two roots
    EXPECT_EQ(decode({0xd3, 0xff000000u}), nullptr);                 // unknown type
    EXPECT_EQ(decode({0xd3, 0x84000041u, 0, 0}), nullptr);           // 65-bit number
    OSObject *ok = decode({0xd3, 0x8b000000u});
    EXPECT_EQ(ok, kOSBooleanFalse);
    OSSafeReleaseNULL(ok);
}

TEST_F(OSSerializationTest, CreateFromBytesCallsTheFreeHandlerOnce) {
    OSArray *array = OSArray::withCapacity(0);
    OSSerialization *made = OSSerialization::createFromObject(array);
    std::vector<unsigned char> bytes(static_cast<const unsigned char *>(made->netdext_bytes()),
                                     static_cast<const unsigned char *>(made->netdext_bytes()) +
                                         made->netdext_length());
    made->release();
    array->release();
    int freed = 0;
    const void *freed_buffer = nullptr;
    OSSerialization *s = OSSerialization::createFromBytes(
        bytes.data(), bytes.size(), [&](const void *buffer, size_t length) {
            ++freed;
            freed_buffer = buffer;
            EXPECT_EQ(length, bytes.size());
        });
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->netdext_bytes(), bytes.data());
    OSObject *copy = s->copyObject();
    ASSERT_NE(OSDynamicCast(OSArray, copy), nullptr);
    EXPECT_EQ(OSRequiredCast(OSArray, copy)->getCount(), 0u);
    copy->release();
    EXPECT_EQ(freed, 0);
    s->release();
    EXPECT_EQ(freed, 1);
    EXPECT_EQ(freed_buffer, bytes.data());
    EXPECT_EQ(OSSerialization::createFromBytes(nullptr, 4, nullptr), nullptr);
}

TEST_F(OSSerializationTest, RefusesObjectsThatAreNotContainers) {
    OSArray *array = OSArray::withCapacity(1);
    OSSerialization *inner = OSSerialization::createFromObject(array);
    array->setObject(inner); // an OSSerialization is not a container
    EXPECT_EQ(OSSerialization::createFromObject(array), nullptr);
    EXPECT_EQ(OSSerialization::createFromObject(nullptr), nullptr);
    inner->release();
    array->release();
}
