// OSString, OSNumber, OSBoolean and OSData: every method, equality rules and reference counts.

#include <gtest/gtest.h>

#include <DriverKit/OSCollections.h>
#include <netdext/runtime.h>

#include <cmath>
#include <cstring>

#include "support/leak_checked.h"

namespace {

using Collections = LeakChecked;

using OSStringTest = Collections;
using OSNumberTest = Collections;
using OSBooleanTest = Collections;
using OSDataTest = Collections;

} // namespace

TEST_F(OSStringTest, WithCStringCopies) {
    char text[] = "hello";
    OSString *s = OSString::withCString(text);
    ASSERT_NE(s, nullptr);
    text[0] = 'j';
    EXPECT_STREQ(s->getCStringNoCopy(), "hello");
    EXPECT_NE(s->getCStringNoCopy(), text);
    EXPECT_EQ(s->getLength(), 5u);
    EXPECT_EQ(s->getChar(1), 'e');
    EXPECT_EQ(s->getChar(5), '\0');
    EXPECT_EQ(s->getChar(100), '\0');
    EXPECT_EQ(s->getRetainCount(), 1);
    OSSafeReleaseNULL(s);
    EXPECT_EQ(s, nullptr);
}

TEST_F(OSStringTest, WithCStringNoCopyRefersToTheCallersCharacters) {
    static const char text[] = "literal";
    OSString *s = OSString::withCStringNoCopy(text);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->getCStringNoCopy(), text);
    EXPECT_EQ(s->getLength(), 7u);
    s->release();
}

TEST_F(OSStringTest, WithStringCopiesAnotherString) {
    OSString *a = OSString::withCString("abc");
    OSString *b = OSString::withString(a);
    ASSERT_NE(b, nullptr);
    EXPECT_NE(a, b);
    EXPECT_NE(a->getCStringNoCopy(), b->getCStringNoCopy());
    EXPECT_TRUE(b->isEqualTo(a));
    a->release();
    b->release();
}

TEST_F(OSStringTest, NullArgumentsGiveNull) {
    EXPECT_EQ(OSString::withCString(nullptr), nullptr);
    EXPECT_EQ(OSString::withCStringNoCopy(nullptr), nullptr);
    EXPECT_EQ(OSString::withString(nullptr), nullptr);
}

TEST_F(OSStringTest, EmptyString) {
    OSString *s = OSString::withCString("");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->getLength(), 0u);
    EXPECT_STREQ(s->getCStringNoCopy(), "");
    EXPECT_TRUE(s->isEqualTo(""));
    EXPECT_FALSE(s->isEqualTo("x"));
    s->release();
}

TEST_F(OSStringTest, IsEqualToEveryOverload) {
    OSString *s = OSString::withCString("key");
    OSString *same = OSString::withCString("key");
    OSString *longer = OSString::withCString("key2");
    OSData *data = OSData::withBytes("key", 3);
    OSData *data_nul = OSData::withBytes("key", 4); // with the NUL: still equal (xnu)
    OSData *other_data = OSData::withBytes("kez", 3);
    OSNumber *number = OSNumber::withNumber(1, 8);

    EXPECT_TRUE(s->isEqualTo("key"));
    EXPECT_FALSE(s->isEqualTo("ke"));
    EXPECT_FALSE(s->isEqualTo("key2"));
    EXPECT_FALSE(s->isEqualTo(static_cast<const char *>(nullptr)));
    EXPECT_TRUE(s->isEqualTo(same));
    EXPECT_TRUE(s->isEqualTo(s));
    EXPECT_FALSE(s->isEqualTo(longer));
    EXPECT_FALSE(s->isEqualTo(static_cast<const OSString *>(nullptr)));
    EXPECT_TRUE(s->isEqualTo(data));
    EXPECT_TRUE(s->isEqualTo(data_nul));
    EXPECT_FALSE(s->isEqualTo(other_data));
    // Through the virtual OSMetaClassBase overload.
    const OSMetaClassBase *as_base = same;
    EXPECT_TRUE(s->isEqualTo(as_base));
    as_base = data;
    EXPECT_TRUE(s->isEqualTo(as_base));
    as_base = number;
    EXPECT_FALSE(s->isEqualTo(as_base));
    EXPECT_FALSE(s->isEqualTo(static_cast<const OSMetaClassBase *>(nullptr)));

    for (OSObject *o : std::initializer_list<OSObject *>{s, same, longer, data, data_nul,
                                                         other_data, number})
        o->release();
}

TEST_F(OSStringTest, RetainAndReleaseBalance) {
    OSString *s = OSString::withCString("x");
    s->retain();
    EXPECT_EQ(s->getRetainCount(), 2);
    s->release();
    EXPECT_EQ(s->getRetainCount(), 1);
    s->release();
}

TEST_F(OSNumberTest, WithNumberMasksToItsWidth) {
    OSNumber *n = OSNumber::withNumber(0x1234567890abcdefull, 32);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->numberOfBits(), 32u);
    EXPECT_EQ(n->numberOfBytes(), 4u);
    EXPECT_EQ(n->unsigned64BitValue(), 0x90abcdefull);
    EXPECT_EQ(n->unsigned32BitValue(), 0x90abcdefu);
    EXPECT_EQ(n->unsigned16BitValue(), 0xcdefu);
    EXPECT_EQ(n->unsigned8BitValue(), 0xefu);
    EXPECT_DOUBLE_EQ(n->doubleValue(), static_cast<double>(0x90abcdefull));
    n->release();

    OSNumber *odd = OSNumber::withNumber(0xff, 3);
    ASSERT_NE(odd, nullptr);
    EXPECT_EQ(odd->unsigned64BitValue(), 7u);
    EXPECT_EQ(odd->numberOfBytes(), 1u);
    odd->release();

    OSNumber *wide = OSNumber::withNumber(~0ull, 64);
    EXPECT_EQ(wide->unsigned64BitValue(), ~0ull);
    EXPECT_EQ(wide->numberOfBytes(), 8u);
    wide->release();
}

TEST_F(OSNumberTest, RejectsZeroAndMoreThan64Bits) {
    EXPECT_EQ(OSNumber::withNumber(1, 0), nullptr);
    EXPECT_EQ(OSNumber::withNumber(1, 65), nullptr);
}

TEST_F(OSNumberTest, WithDouble) {
    OSNumber *d = OSNumber::withDouble(2.75);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->numberOfBits(), 64u);
    EXPECT_DOUBLE_EQ(d->doubleValue(), 2.75);
    EXPECT_EQ(d->unsigned32BitValue(), 2u);
    d->release();

    OSNumber *negative = OSNumber::withDouble(-1.0);
    EXPECT_EQ(negative->unsigned64BitValue(), ~0ull); // through int64_t
    EXPECT_EQ(negative->unsigned8BitValue(), 0xffu);
    negative->release();

    OSNumber *nan = OSNumber::withDouble(std::nan(""));
    EXPECT_EQ(nan->unsigned64BitValue(), 0u);
    nan->release();

    OSNumber *huge = OSNumber::withDouble(1e30);
    EXPECT_EQ(huge->unsigned64BitValue(), ~0ull);
    huge->release();
}

TEST_F(OSNumberTest, IsEqualToComparesValues) {
    OSNumber *a = OSNumber::withNumber(5, 8);
    OSNumber *b = OSNumber::withNumber(5, 64); // widths may differ (xnu compares values)
    OSNumber *c = OSNumber::withNumber(6, 8);
    OSNumber *d = OSNumber::withDouble(5.0);
    OSNumber *e = OSNumber::withDouble(5.5);
    OSString *s = OSString::withCString("5");
    EXPECT_TRUE(a->isEqualTo(b));
    EXPECT_FALSE(a->isEqualTo(c));
    EXPECT_TRUE(a->isEqualTo(d));
    EXPECT_FALSE(a->isEqualTo(e));
    EXPECT_FALSE(a->isEqualTo(static_cast<const OSNumber *>(nullptr)));
    EXPECT_TRUE(a->isEqualTo(static_cast<const OSMetaClassBase *>(b)));
    EXPECT_FALSE(a->isEqualTo(static_cast<const OSMetaClassBase *>(s)));
    for (OSObject *o : std::initializer_list<OSObject *>{a, b, c, d, e, s})
        o->release();
}

TEST_F(OSBooleanTest, SingletonsAreNeverFreed) {
    ASSERT_NE(kOSBooleanTrue, nullptr);
    ASSERT_NE(kOSBooleanFalse, nullptr);
    EXPECT_NE(kOSBooleanTrue, kOSBooleanFalse);
    EXPECT_EQ(OSBoolean::withBoolean(true), kOSBooleanTrue);
    EXPECT_EQ(OSBoolean::withBoolean(false), kOSBooleanFalse);
    for (int i = 0; i < 10; ++i)
        kOSBooleanTrue->release(); // over-releasing a singleton is harmless
    kOSBooleanFalse->retain();
    EXPECT_EQ(kOSBooleanTrue->getRetainCount(), 1);
    EXPECT_EQ(kOSBooleanFalse->getRetainCount(), 1);
    EXPECT_TRUE(kOSBooleanTrue->getValue());
    EXPECT_FALSE(kOSBooleanFalse->getValue());
}

TEST_F(OSBooleanTest, Accessors) {
    EXPECT_TRUE(kOSBooleanTrue->isTrue());
    EXPECT_FALSE(kOSBooleanTrue->isFalse());
    EXPECT_TRUE(kOSBooleanFalse->isFalse());
    EXPECT_FALSE(kOSBooleanFalse->isTrue());
    EXPECT_TRUE(kOSBooleanTrue->isEqualTo(kOSBooleanTrue));
    EXPECT_FALSE(kOSBooleanTrue->isEqualTo(kOSBooleanFalse));
    OSNumber *one = OSNumber::withNumber(1, 8);
    EXPECT_FALSE(kOSBooleanTrue->isEqualTo(static_cast<const OSMetaClassBase *>(one)));
    one->release();
    EXPECT_STREQ(kOSBooleanTrue->GetClassName(), "OSBoolean");
    EXPECT_EQ(OSDynamicCast(OSBoolean, static_cast<OSObject *>(kOSBooleanFalse)),
              kOSBooleanFalse);
    EXPECT_EQ(OSTypeAlloc(OSBoolean), nullptr); // no instances besides the two
}

TEST_F(OSDataTest, WithBytesCopies) {
    unsigned char bytes[] = {1, 2, 3, 4};
    OSData *d = OSData::withBytes(bytes, sizeof(bytes));
    ASSERT_NE(d, nullptr);
    bytes[0] = 9;
    EXPECT_EQ(d->getLength(), 4u);
    EXPECT_GE(d->getCapacity(), 4u);
    EXPECT_NE(d->getBytesNoCopy(), bytes);
    EXPECT_EQ(static_cast<const unsigned char *>(d->getBytesNoCopy())[0], 1);
    d->release();
    EXPECT_EQ(OSData::withBytes(nullptr, 3), nullptr);
}

TEST_F(OSDataTest, WithCapacityStartsEmptyAndAppends) {
    OSData *d = OSData::withCapacity(2);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->getLength(), 0u);
    EXPECT_EQ(d->getBytesNoCopy(), nullptr); // empty data has no bytes (xnu)
    EXPECT_GE(d->getCapacity(), 2u);
    EXPECT_TRUE(d->appendBytes("abc", 3));
    EXPECT_TRUE(d->appendBytes(nullptr, 2)); // zeroes
    EXPECT_TRUE(d->appendByte(0x7f, 3));
    EXPECT_TRUE(d->appendBytes("", 0));
    const unsigned char expected[] = {'a', 'b', 'c', 0, 0, 0x7f, 0x7f, 0x7f};
    EXPECT_TRUE(d->isEqualTo(expected, sizeof(expected)));
    EXPECT_GE(d->ensureCapacity(100), 100u);
    EXPECT_EQ(d->getLength(), sizeof(expected));
    // Appending itself (the source moves when the buffer grows).
    for (int i = 0; i < 6; ++i)
        EXPECT_TRUE(d->appendBytes(d));
    EXPECT_EQ(d->getLength(), sizeof(expected) << 6);
    EXPECT_EQ(std::memcmp(d->getBytesNoCopy(sizeof(expected) * 63, sizeof(expected)), expected,
                          sizeof(expected)),
              0);
    d->release();
}

TEST_F(OSDataTest, NoCopyRefersToTheCallersBytesAndCannotGrow) {
    unsigned char bytes[] = {5, 6, 7};
    OSData *d = OSData::withBytesNoCopy(bytes, sizeof(bytes));
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->getBytesNoCopy(), bytes);
    EXPECT_FALSE(d->appendBytes("x", 1));
    EXPECT_FALSE(d->appendByte(1, 1));
    EXPECT_TRUE(d->appendBytes(nullptr, 0));
    EXPECT_EQ(d->ensureCapacity(10), 3u);
    EXPECT_EQ(d->getLength(), 3u);
    d->release(); // must not free the caller's bytes (ASan would see it)
    EXPECT_EQ(bytes[2], 7);
}

TEST_F(OSDataTest, WithDataAndRanges) {
    OSData *src = OSData::withBytes("0123456789", 10);
    OSData *copy = OSData::withData(src);
    ASSERT_NE(copy, nullptr);
    EXPECT_TRUE(copy->isEqualTo(src));
    EXPECT_NE(copy->getBytesNoCopy(), src->getBytesNoCopy());
    OSData *part = OSData::withData(src, 2, 3);
    ASSERT_NE(part, nullptr);
    EXPECT_TRUE(part->isEqualTo("234", 3));
    EXPECT_EQ(OSData::withData(src, 8, 3), nullptr);
    EXPECT_EQ(OSData::withData(src, 10, 0), nullptr);
    EXPECT_EQ(OSData::withData(nullptr), nullptr);

    EXPECT_EQ(src->getBytesNoCopy(9, 1), static_cast<const char *>(src->getBytesNoCopy()) + 9);
    EXPECT_EQ(src->getBytesNoCopy(9, 2), nullptr);
    EXPECT_EQ(src->getBytesNoCopy(10, 0), nullptr);
    EXPECT_EQ(src->getBytesNoCopy(~size_t{0}, 2), nullptr);
    for (OSObject *o : std::initializer_list<OSObject *>{src, copy, part})
        o->release();
}

TEST_F(OSDataTest, IsEqualToEveryOverload) {
    OSData *a = OSData::withBytes("abc", 3);
    OSData *b = OSData::withBytes("abc", 3);
    OSData *c = OSData::withBytes("abd", 3);
    OSData *empty = OSData::withCapacity(0);
    OSData *empty2 = OSData::withCapacity(8);
    OSString *s = OSString::withCString("abc");
    OSString *t = OSString::withCString("ab");
    EXPECT_TRUE(a->isEqualTo(b));
    EXPECT_FALSE(a->isEqualTo(c));
    EXPECT_FALSE(a->isEqualTo(static_cast<const OSData *>(nullptr)));
    EXPECT_TRUE(a->isEqualTo("abc", 3));
    EXPECT_FALSE(a->isEqualTo("abc", 2));
    EXPECT_TRUE(empty->isEqualTo(empty2));
    EXPECT_TRUE(empty->isEqualTo(nullptr, 0));
    EXPECT_TRUE(a->isEqualTo(s));
    EXPECT_FALSE(a->isEqualTo(t));
    EXPECT_TRUE(a->isEqualTo(static_cast<const OSMetaClassBase *>(b)));
    EXPECT_TRUE(a->isEqualTo(static_cast<const OSMetaClassBase *>(s)));
    EXPECT_FALSE(a->isEqualTo(static_cast<const OSMetaClassBase *>(kOSBooleanTrue)));
    for (OSObject *o : std::initializer_list<OSObject *>{a, b, c, empty, empty2, s, t})
        o->release();
}

TEST_F(Collections, DynamicCastBetweenContainerTypes) {
    OSString *s = OSString::withCString("s");
    OSNumber *n = OSNumber::withNumber(1, 32);
    OSData *d = OSData::withCapacity(1);
    OSArray *a = OSArray::withCapacity(1);
    OSDictionary *dict = OSDictionary::withCapacity(1);
    OSSet *set = OSSet::withCapacity(1);
    OSOrderedSet *oset = OSOrderedSet::withCapacity(1);
    OSObject *objects[] = {s, n, d, a, dict, set, oset, kOSBooleanTrue};
    for (OSObject *o : objects)
        EXPECT_NE(OSDynamicCast(OSContainer, o), nullptr) << o->GetClassName();
    EXPECT_EQ(OSDynamicCast(OSString, static_cast<OSObject *>(s)), s);
    EXPECT_EQ(OSDynamicCast(OSString, static_cast<OSObject *>(n)), nullptr);
    EXPECT_EQ(OSDynamicCast(OSNumber, static_cast<OSObject *>(n)), n);
    EXPECT_EQ(OSDynamicCast(OSData, static_cast<OSObject *>(s)), nullptr);
    EXPECT_EQ(OSDynamicCast(OSCollection, static_cast<OSObject *>(a)), a);
    EXPECT_EQ(OSDynamicCast(OSCollection, static_cast<OSObject *>(dict)), dict);
    EXPECT_EQ(OSDynamicCast(OSCollection, static_cast<OSObject *>(s)), nullptr);
    EXPECT_EQ(OSDynamicCast(OSArray, static_cast<OSObject *>(dict)), nullptr);
    EXPECT_EQ(OSDynamicCast(OSDictionary, static_cast<OSObject *>(a)), nullptr);
    EXPECT_EQ(OSDynamicCast(OSSet, static_cast<OSObject *>(oset)), nullptr);
    EXPECT_EQ(OSDynamicCast(OSOrderedSet, static_cast<OSObject *>(oset)), oset);
    EXPECT_EQ(OSRequiredCast(OSArray, static_cast<OSObject *>(a)), a);
    EXPECT_STREQ(dict->GetClassName(), "OSDictionary");
    EXPECT_EQ(gOSArrayMetaClass->getSuperClass(), gOSCollectionMetaClass);
    EXPECT_EQ(gOSCollectionMetaClass->getSuperClass(), gOSContainerMetaClass);
    EXPECT_EQ(gOSContainerMetaClass->getSuperClass(), gOSObjectMetaClass);
    EXPECT_EQ(OSMetaClass::find("OSDictionary"), gOSDictionaryMetaClass);
    for (OSObject *o : objects)
        o->release();
}

TEST_F(Collections, TypeAllocGivesUsableEmptyObjects) {
    OSString *s = OSTypeAlloc(OSString);
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->init());
    EXPECT_STREQ(s->getCStringNoCopy(), "");
    EXPECT_EQ(s->getLength(), 0u);
    s->release();
    OSDictionary *d = OSTypeAlloc(OSDictionary);
    ASSERT_NE(d, nullptr);
    ASSERT_TRUE(d->init());
    OSNumber *n = OSNumber::withNumber(3, 8);
    EXPECT_TRUE(d->setObject("n", n));
    n->release();
    EXPECT_EQ(d->getCount(), 1u);
    d->release();
    EXPECT_EQ(OSTypeAlloc(OSCollection), nullptr); // abstract
}
