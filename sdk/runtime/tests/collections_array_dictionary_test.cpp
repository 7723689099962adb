// OSArray and OSDictionary: every method, ownership of members, iteration with blocks, lambdas
// and function pointers.

#include <gtest/gtest.h>

#include <DriverKit/OSCollections.h>
#include <netdext/runtime.h>

#include <string>
#include <vector>

#include "support/leak_checked.h"

namespace {

using OSArrayTest = LeakChecked;
using OSDictionaryTest = LeakChecked;

OSNumber *number(uint64_t value) { return OSNumber::withNumber(value, 32); }

uint32_t value_of(OSObject *object) {
    OSNumber *n = OSDynamicCast(OSNumber, object);
    return n != nullptr ? n->unsigned32BitValue() : 0xdeadu;
}

// Values of an array of OSNumbers, in order.
std::vector<uint32_t> values(const OSArray *array) {
    std::vector<uint32_t> out;
    for (uint32_t i = 0; i < array->getCount(); ++i)
        out.push_back(value_of(array->getObject(i)));
    return out;
}

} // namespace

TEST_F(OSArrayTest, SetObjectRetainsAndRemoveReleases) {
    OSArray *array = OSArray::withCapacity(1);
    ASSERT_NE(array, nullptr);
    EXPECT_EQ(array->getCount(), 0u);
    EXPECT_GE(array->getCapacity(), 1u);
    OSNumber *one = number(1);
    EXPECT_TRUE(array->setObject(one));
    EXPECT_EQ(one->getRetainCount(), 2);
    EXPECT_TRUE(array->setObject(one)); // the same object twice is allowed
    EXPECT_EQ(one->getRetainCount(), 3);
    EXPECT_FALSE(array->setObject(nullptr));
    EXPECT_EQ(array->getCount(), 2u);
    array->removeObject(0);
    EXPECT_EQ(one->getRetainCount(), 2);
    array->removeObject(5); // out of range: nothing
    EXPECT_EQ(array->getCount(), 1u);
    array->release(); // releases what it still holds
    EXPECT_EQ(one->getRetainCount(), 1);
    one->release();
}

TEST_F(OSArrayTest, InsertReplaceAndIndices) {
    OSArray *array = OSArray::withCapacity(0);
    OSNumber *n[5];
    for (uint32_t i = 0; i < 5; ++i)
        n[i] = number(i);
    EXPECT_TRUE(array->setObject(n[1]));
    EXPECT_TRUE(array->setObject(0, n[0]));          // insert at the front
    EXPECT_TRUE(array->setObject(2, n[3]));          // at the end
    EXPECT_TRUE(array->setObject(2, n[2]));          // in the middle
    EXPECT_FALSE(array->setObject(9, n[4]));         // past the end
    EXPECT_FALSE(array->setObject(0, nullptr));
    EXPECT_EQ(values(array), (std::vector<uint32_t>{0, 1, 2, 3}));
    array->replaceObject(1, n[4]);
    EXPECT_EQ(values(array), (std::vector<uint32_t>{0, 4, 2, 3}));
    EXPECT_EQ(n[1]->getRetainCount(), 1); // released by the replacement
    EXPECT_EQ(n[4]->getRetainCount(), 2);
    array->replaceObject(4, n[1]); // out of range: nothing
    array->replaceObject(0, nullptr);
    EXPECT_EQ(array->getCount(), 4u);
    EXPECT_EQ(array->getObject(2), n[2]);
    EXPECT_EQ(array->getObject(4), nullptr);
    EXPECT_EQ(array->getLastObject(), n[3]);
    EXPECT_EQ(array->getNextIndexOfObject(n[2], 0), 2u);
    EXPECT_EQ(array->getNextIndexOfObject(n[2], 3), UINT32_MAX);
    EXPECT_EQ(array->getNextIndexOfObject(n[1], 0), UINT32_MAX);
    OSNumber *equal_but_distinct = number(2);
    EXPECT_EQ(array->getNextIndexOfObject(equal_but_distinct, 0), UINT32_MAX); // by pointer
    equal_but_distinct->release();
    array->flushCollection();
    EXPECT_EQ(array->getCount(), 0u);
    EXPECT_EQ(array->getLastObject(), nullptr);
    for (OSNumber *x : n)
        EXPECT_EQ(x->getRetainCount(), 1);
    for (OSNumber *x : n)
        x->release();
    array->release();
}

TEST_F(OSArrayTest, GrowsPastItsCapacity) {
    OSArray *array = OSArray::withCapacity(2);
    OSNumber *x = number(7);
    for (int i = 0; i < 1000; ++i)
        ASSERT_TRUE(array->setObject(x));
    EXPECT_EQ(array->getCount(), 1000u);
    EXPECT_GE(array->getCapacity(), 1000u);
    EXPECT_EQ(x->getRetainCount(), 1001);
    EXPECT_GE(array->ensureCapacity(5000), 5000u);
    array->release();
    EXPECT_EQ(x->getRetainCount(), 1);
    x->release();
}

TEST_F(OSArrayTest, WithObjectsAndWithArray) {
    OSNumber *a = number(1), *b = number(2);
    const OSObject *objects[] = {a, b, a};
    OSArray *array = OSArray::withObjects(objects, 3);
    ASSERT_NE(array, nullptr);
    EXPECT_EQ(values(array), (std::vector<uint32_t>{1, 2, 1}));
    EXPECT_EQ(a->getRetainCount(), 3);
    EXPECT_EQ(OSArray::withObjects(objects, 3, 2), nullptr); // capacity < count
    const OSObject *with_null[] = {a, nullptr};
    EXPECT_EQ(OSArray::withObjects(with_null, 2), nullptr);
    EXPECT_EQ(a->getRetainCount(), 3); // the failed attempts released what they took

    OSArray *copy = OSArray::withArray(array, 10);
    ASSERT_NE(copy, nullptr);
    EXPECT_GE(copy->getCapacity(), 10u);
    EXPECT_TRUE(copy->isEqualTo(array));
    EXPECT_EQ(copy->getObject(0), a); // shallow
    EXPECT_EQ(OSArray::withArray(array, 1), nullptr);
    EXPECT_EQ(OSArray::withArray(nullptr), nullptr);
    copy->release();
    array->release();
    EXPECT_EQ(a->getRetainCount(), 1);
    a->release();
    b->release();
}

TEST_F(OSArrayTest, MergeAppendsIncludingItself) {
    OSArray *array = OSArray::withCapacity(2);
    OSArray *other = OSArray::withCapacity(2);
    OSNumber *a = number(1), *b = number(2);
    array->setObject(a);
    other->setObject(b);
    EXPECT_TRUE(array->merge(other));
    EXPECT_EQ(values(array), (std::vector<uint32_t>{1, 2}));
    EXPECT_TRUE(array->merge(array));
    EXPECT_EQ(values(array), (std::vector<uint32_t>{1, 2, 1, 2}));
    EXPECT_FALSE(array->merge(nullptr));
    EXPECT_EQ(b->getRetainCount(), 4);
    for (OSObject *o : std::initializer_list<OSObject *>{array, other, a, b})
        o->release();
}

TEST_F(OSArrayTest, IsEqualToComparesMembers) {
    OSArray *x = OSArray::withCapacity(2), *y = OSArray::withCapacity(2);
    OSString *s1 = OSString::withCString("a"), *s2 = OSString::withCString("a");
    x->setObject(s1);
    y->setObject(s2);
    EXPECT_TRUE(x->isEqualTo(y));
    EXPECT_TRUE(x->isEqualTo(static_cast<const OSMetaClassBase *>(y)));
    y->setObject(s2);
    EXPECT_FALSE(x->isEqualTo(y));
    EXPECT_FALSE(x->isEqualTo(static_cast<const OSMetaClassBase *>(s1)));
    for (OSObject *o : std::initializer_list<OSObject *>{x, y, s1, s2})
        o->release();
}

TEST_F(OSArrayTest, IterateObjectsWithALambdaStopsWhenAsked) {
    OSArray *array = OSArray::withCapacity(4);
    for (uint32_t i = 0; i < 4; ++i) {
        OSNumber *n = number(i);
        array->setObject(n);
        n->release();
    }
    std::vector<uint32_t> seen;
    EXPECT_TRUE(array->iterateObjects([&](OSObject *object) {
        seen.push_back(value_of(object));
        return false;
    }));
    EXPECT_EQ(seen, (std::vector<uint32_t>{0, 1, 2, 3}));
    seen.clear();
    EXPECT_TRUE(array->iterateObjects([&](OSObject *object) {
        seen.push_back(value_of(object));
        return seen.size() == 2; // true stops
    }));
    EXPECT_EQ(seen.size(), 2u);
    // Modifying the array during the iteration stops it and reports false.
    int calls = 0;
    EXPECT_FALSE(array->iterateObjects([&](OSObject *) {
        ++calls;
        array->removeObject(0);
        return false;
    }));
    EXPECT_EQ(calls, 1);
    array->release();
}

TEST_F(OSArrayTest, IterateObjectsWithAFunctionPointer) {
    OSArray *array = OSArray::withCapacity(2);
    OSNumber *n = number(3);
    array->setObject(n);
    array->setObject(n);
    uint32_t sum = 0;
    EXPECT_TRUE(array->iterateObjects(&sum, [](void *refcon, OSObject *object) {
        *static_cast<uint32_t *>(refcon) += value_of(object);
        return false;
    }));
    EXPECT_EQ(sum, 6u);
    EXPECT_FALSE(array->iterateObjects(nullptr, nullptr));
    n->release();
    array->release();
}

TEST_F(OSDictionaryTest, SetGetAndReplace) {
    OSDictionary *dict = OSDictionary::withCapacity(2);
    ASSERT_NE(dict, nullptr);
    OSNumber *one = number(1), *two = number(2);
    OSString *key = OSString::withCString("k");
    EXPECT_TRUE(dict->setObject(key, one));
    EXPECT_EQ(key->getRetainCount(), 2); // the key is retained
    EXPECT_EQ(one->getRetainCount(), 2);
    EXPECT_EQ(dict->getObject("k"), one);
    EXPECT_EQ(dict->getObject(key), one);
    OSString *same_key = OSString::withCString("k");
    EXPECT_EQ(dict->getObject(same_key), one); // keys compare by characters
    EXPECT_TRUE(dict->setObject("k", two));    // replaces
    EXPECT_EQ(dict->getCount(), 1u);
    EXPECT_EQ(one->getRetainCount(), 1);
    EXPECT_EQ(dict->getObject(same_key), two);
    EXPECT_EQ(dict->getObject("missing"), nullptr);
    EXPECT_EQ(dict->getObject(static_cast<const char *>(nullptr)), nullptr);
    EXPECT_EQ(dict->getObject(static_cast<const OSString *>(nullptr)), nullptr);
    EXPECT_FALSE(dict->setObject("x", nullptr));
    EXPECT_FALSE(dict->setObject(static_cast<const char *>(nullptr), one));
    EXPECT_FALSE(dict->setObject(static_cast<const OSString *>(nullptr), one));
    EXPECT_TRUE(dict->setObject("", one)); // an empty key is a key
    EXPECT_EQ(dict->getObject(""), one);
    dict->release();
    EXPECT_EQ(key->getRetainCount(), 1);
    EXPECT_EQ(two->getRetainCount(), 1);
    for (OSObject *o : std::initializer_list<OSObject *>{one, two, key, same_key})
        o->release();
}

TEST_F(OSDictionaryTest, RemoveObjectAndFlush) {
    OSDictionary *dict = OSDictionary::withCapacity(0);
    OSNumber *n = number(5);
    OSString *key = OSString::withCString("b");
    dict->setObject("a", n);
    dict->setObject(key, n);
    dict->setObject("c", n);
    EXPECT_EQ(n->getRetainCount(), 4);
    dict->removeObject("a");
    dict->removeObject("nope");
    dict->removeObject(static_cast<const char *>(nullptr));
    EXPECT_EQ(dict->getCount(), 2u);
    OSString *b = OSString::withCString("b");
    dict->removeObject(b);
    EXPECT_EQ(key->getRetainCount(), 1);
    EXPECT_EQ(dict->getCount(), 1u);
    EXPECT_NE(dict->getObject("c"), nullptr);
    dict->flushCollection();
    EXPECT_EQ(dict->getCount(), 0u);
    EXPECT_EQ(n->getRetainCount(), 1);
    for (OSObject *o : std::initializer_list<OSObject *>{dict, n, key, b})
        o->release();
}

TEST_F(OSDictionaryTest, KeepsInsertionOrderAndGrows) {
    OSDictionary *dict = OSDictionary::withCapacity(1);
    for (uint32_t i = 0; i < 100; ++i) {
        OSNumber *n = number(i);
        ASSERT_TRUE(dict->setObject(std::to_string(i).c_str(), n));
        n->release();
    }
    EXPECT_EQ(dict->getCount(), 100u);
    EXPECT_GE(dict->getCapacity(), 100u);
    EXPECT_GE(dict->ensureCapacity(300), 300u);
    uint32_t expected = 0;
    dict->iterateObjects([&](const OSString *key, OSObject *value) {
        EXPECT_EQ(std::to_string(expected), key->getCStringNoCopy());
        EXPECT_EQ(value_of(value), expected);
        ++expected;
        return false;
    });
    EXPECT_EQ(expected, 100u);
    dict->release();
}

TEST_F(OSDictionaryTest, WithObjectsWithDictionaryAndMerge) {
    OSNumber *a = number(1), *b = number(2), *c = number(3);
    OSString *ka = OSString::withCString("a"), *kb = OSString::withCString("b");
    const OSObject *objects[] = {a, b};
    const OSString *keys[] = {ka, kb};
    OSDictionary *dict = OSDictionary::withObjects(objects, keys, 2);
    ASSERT_NE(dict, nullptr);
    EXPECT_EQ(dict->getObject("b"), b);
    EXPECT_EQ(OSDictionary::withObjects(objects, keys, 2, 1), nullptr);
    const OSString *null_keys[] = {ka, nullptr};
    EXPECT_EQ(OSDictionary::withObjects(objects, null_keys, 2), nullptr);

    OSDictionary *copy = OSDictionary::withDictionary(dict, 8);
    ASSERT_NE(copy, nullptr);
    EXPECT_TRUE(copy->isEqualTo(dict));
    EXPECT_EQ(copy->getObject("a"), a); // shallow
    EXPECT_EQ(OSDictionary::withDictionary(dict, 1), nullptr);
    EXPECT_EQ(OSDictionary::withDictionary(nullptr), nullptr);

    OSDictionary *extra = OSDictionary::withCapacity(2);
    extra->setObject("b", c); // replaces b
    extra->setObject("c", c);
    EXPECT_TRUE(copy->merge(extra));
    EXPECT_TRUE(copy->merge(copy));
    EXPECT_FALSE(copy->merge(nullptr));
    EXPECT_EQ(copy->getCount(), 3u);
    EXPECT_EQ(copy->getObject("b"), c);
    EXPECT_FALSE(copy->isEqualTo(dict));
    for (OSObject *o : std::initializer_list<OSObject *>{dict, copy, extra})
        o->release();
    for (OSObject *o : std::initializer_list<OSObject *>{a, b, c, ka, kb}) {
        EXPECT_EQ(o->getRetainCount(), 1);
        o->release();
    }
}

TEST_F(OSDictionaryTest, IsEqualTo) {
    OSDictionary *x = OSDictionary::withCapacity(2), *y = OSDictionary::withCapacity(2);
    OSString *v1 = OSString::withCString("v"), *v2 = OSString::withCString("v");
    OSString *w = OSString::withCString("w");
    x->setObject("k", v1);
    x->setObject("j", w);
    y->setObject("j", w); // order does not matter
    y->setObject("k", v2);
    EXPECT_TRUE(x->isEqualTo(y));
    EXPECT_TRUE(x->isEqualTo(static_cast<const OSMetaClassBase *>(y)));
    EXPECT_FALSE(x->isEqualTo(static_cast<const OSMetaClassBase *>(v1)));
    EXPECT_FALSE(x->isEqualTo(static_cast<const OSDictionary *>(nullptr)));
    y->setObject("k", w);
    EXPECT_FALSE(x->isEqualTo(y));
    // Only the listed keys.
    OSArray *keys = OSArray::withCapacity(1);
    OSString *j = OSString::withCString("j"), *k = OSString::withCString("k");
    keys->setObject(j);
    EXPECT_TRUE(x->isEqualTo(y, keys));
    keys->setObject(k);
    EXPECT_FALSE(x->isEqualTo(y, keys));
    y->removeObject("k");
    x->removeObject("k");
    EXPECT_FALSE(x->isEqualTo(y, keys)); // a listed key missing from both still differs (xnu)
    for (OSObject *o : std::initializer_list<OSObject *>{x, y, v1, v2, w, keys, j, k})
        o->release();
}

TEST_F(OSDictionaryTest, IterateObjectsKeyTypesAndForms) {
    OSDictionary *dict = OSDictionary::withCapacity(2);
    OSNumber *n = number(4);
    dict->setObject("a", n);
    dict->setObject("b", n);
    std::string keys;
    // Key as const OSString *, OSString * and OSObject * are all accepted.
    dict->iterateObjects([&](const OSString *key, OSObject *) {
        keys += key->getCStringNoCopy();
        return false;
    });
    dict->iterateObjects([&](OSString *key, OSObject *) {
        keys += key->getCStringNoCopy();
        return false;
    });
    dict->iterateObjects([&](OSObject *key, OSObject *) {
        keys += OSRequiredCast(OSString, key)->getCStringNoCopy();
        return false;
    });
    EXPECT_EQ(keys, "ababab");
    // As a collection, a dictionary yields its keys.
    dict->iterateObjects([&](OSObject *key) {
        keys += OSRequiredCast(OSString, key)->getCStringNoCopy();
        return true; // stop after the first
    });
    EXPECT_EQ(keys, "abababa");
    uint32_t sum = 0;
    EXPECT_TRUE(dict->iterateObjects(&sum, [](void *refcon, const OSString *, OSObject *value) {
        *static_cast<uint32_t *>(refcon) += value_of(value);
        return false;
    }));
    EXPECT_EQ(sum, 8u);
    EXPECT_FALSE(dict->iterateObjects([&](OSString *, OSObject *) {
        dict->setObject("c", n); // modification: the iteration stops and reports it
        return false;
    }));
    EXPECT_FALSE(dict->iterateObjects(
        nullptr, static_cast<bool (*)(void *, const OSString *, OSObject *)>(nullptr)));
    n->release();
    dict->release();
}

#if defined(__BLOCKS__)
TEST_F(OSDictionaryTest, IterateObjectsWithAppleBlocks) {
    OSDictionary *dict = OSDictionary::withCapacity(2);
    OSNumber *n = number(6);
    dict->setObject("x", n);
    dict->setObject("y", n);
    __block uint32_t sum = 0;
    __block int keys = 0;
    dict->iterateObjects(^bool(const OSString *key, OSObject *value) {
      keys += key->getLength();
      sum += value_of(value);
      return false;
    });
    dict->iterateObjects(^(OSObject *key, OSObject *) {
      keys += OSDynamicCast(OSString, key) != nullptr;
      return false;
    });
    EXPECT_EQ(sum, 12u);
    EXPECT_EQ(keys, 4);
    OSArray *array = OSArray::withCapacity(1);
    array->setObject(n);
    __block int seen = 0;
    EXPECT_TRUE(array->iterateObjects(^bool(OSObject *object) {
      seen += OSDynamicCast(OSNumber, object) == n;
      return false;
    }));
    EXPECT_EQ(seen, 1);
    array->release();
    n->release();
    dict->release();
}
#endif
