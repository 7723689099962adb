// OSSet and OSOrderedSet: membership by pointer, ordering functions, ownership of members.

#include <gtest/gtest.h>

#include <DriverKit/OSCollections.h>
#include <netdext/runtime.h>

#include <vector>

#include "support/leak_checked.h"

namespace {

using OSSetTest = LeakChecked;
using OSOrderedSetTest = LeakChecked;

OSNumber *number(uint64_t value) { return OSNumber::withNumber(value, 32); }

uint32_t value_of(const OSMetaClassBase *object) {
    const OSNumber *n = OSDynamicCast(OSNumber, object);
    return n != nullptr ? n->unsigned32BitValue() : 0xdeadu;
}

std::vector<uint32_t> values(const OSOrderedSet *set) {
    std::vector<uint32_t> out;
    for (uint32_t i = 0; i < set->getCount(); ++i)
        out.push_back(value_of(set->getObject(i)));
    return out;
}

// Smaller numbers first; equal ones keep their arrival order.
int32_t ascending(const OSMetaClassBase *obj1, const OSMetaClassBase *obj2, void *context) {
    ++*static_cast<int *>(context);
    if (obj2 == nullptr)
        return 0;
    return static_cast<int32_t>(value_of(obj2)) - static_cast<int32_t>(value_of(obj1));
}

} // namespace

TEST_F(OSSetTest, HoldsEachObjectOnce) {
    OSSet *set = OSSet::withCapacity(2);
    ASSERT_NE(set, nullptr);
    OSNumber *a = number(1), *b = number(1);
    EXPECT_TRUE(set->setObject(a));
    EXPECT_FALSE(set->setObject(a)); // already a member
    EXPECT_TRUE(set->setObject(b));  // equal but distinct: membership is by pointer
    EXPECT_FALSE(set->setObject(nullptr));
    EXPECT_EQ(set->getCount(), 2u);
    EXPECT_GE(set->getCapacity(), 2u);
    EXPECT_EQ(a->getRetainCount(), 2);
    EXPECT_TRUE(set->containsObject(a));
    EXPECT_TRUE(set->member(b));
    EXPECT_FALSE(set->containsObject(nullptr));
    EXPECT_NE(set->getAnyObject(), nullptr);
    set->removeObject(a);
    set->removeObject(a); // not a member any more: nothing
    EXPECT_EQ(a->getRetainCount(), 1);
    EXPECT_FALSE(set->containsObject(a));
    EXPECT_GE(set->ensureCapacity(50), 50u);
    set->flushCollection();
    EXPECT_EQ(set->getCount(), 0u);
    EXPECT_EQ(set->getAnyObject(), nullptr);
    EXPECT_EQ(b->getRetainCount(), 1);
    for (OSObject *o : std::initializer_list<OSObject *>{set, a, b})
        o->release();
}

TEST_F(OSSetTest, FactoriesAndMerge) {
    OSNumber *a = number(1), *b = number(2), *c = number(3);
    const OSObject *objects[] = {a, b, a};
    OSSet *set = OSSet::withObjects(objects, 3);
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->getCount(), 2u); // the duplicate is dropped
    const OSObject *with_null[] = {a, nullptr};
    EXPECT_EQ(OSSet::withObjects(with_null, 2), nullptr);
    EXPECT_EQ(OSSet::withObjects(objects, 3, 1), nullptr);

    OSArray *array = OSArray::withCapacity(3);
    array->setObject(c);
    array->setObject(c);
    array->setObject(a);
    OSSet *from_array = OSSet::withArray(array);
    ASSERT_NE(from_array, nullptr);
    EXPECT_EQ(from_array->getCount(), 2u);
    EXPECT_EQ(OSSet::withArray(array, 1), nullptr);
    EXPECT_EQ(OSSet::withArray(nullptr), nullptr);

    OSSet *copy = OSSet::withSet(set, 10);
    ASSERT_NE(copy, nullptr);
    EXPECT_TRUE(copy->isEqualTo(set));
    EXPECT_EQ(OSSet::withSet(set, 1), nullptr);
    EXPECT_TRUE(copy->merge(from_array));
    EXPECT_TRUE(copy->merge(copy));
    EXPECT_TRUE(copy->merge(array));
    EXPECT_FALSE(copy->merge(static_cast<const OSSet *>(nullptr)));
    EXPECT_FALSE(copy->merge(static_cast<const OSArray *>(nullptr)));
    EXPECT_EQ(copy->getCount(), 3u);
    EXPECT_FALSE(copy->isEqualTo(set));
    EXPECT_TRUE(copy->containsObject(c));
    for (OSObject *o : std::initializer_list<OSObject *>{set, from_array, copy, array})
        o->release();
    for (OSObject *o : std::initializer_list<OSObject *>{a, b, c}) {
        EXPECT_EQ(o->getRetainCount(), 1);
        o->release();
    }
}

TEST_F(OSSetTest, IsEqualToAcceptsEqualMembers) {
    OSSet *x = OSSet::withCapacity(2), *y = OSSet::withCapacity(2);
    OSString *s1 = OSString::withCString("s"), *s2 = OSString::withCString("s");
    x->setObject(s1);
    y->setObject(s2);
    EXPECT_TRUE(x->isEqualTo(y));
    EXPECT_TRUE(x->isEqualTo(static_cast<const OSMetaClassBase *>(y)));
    EXPECT_FALSE(x->isEqualTo(static_cast<const OSMetaClassBase *>(s1)));
    y->setObject(s1);
    EXPECT_FALSE(x->isEqualTo(y));
    int seen = 0;
    EXPECT_TRUE(y->iterateObjects([&](OSObject *object) {
        seen += OSDynamicCast(OSString, object) != nullptr;
        return false;
    }));
    EXPECT_EQ(seen, 2);
    for (OSObject *o : std::initializer_list<OSObject *>{x, y, s1, s2})
        o->release();
}

TEST_F(OSOrderedSetTest, WithoutAFunctionItAppends) {
    OSOrderedSet *set = OSOrderedSet::withCapacity(2);
    ASSERT_NE(set, nullptr);
    OSNumber *n[4];
    for (uint32_t i = 0; i < 4; ++i)
        n[i] = number(i);
    EXPECT_TRUE(set->setObject(n[1]));
    EXPECT_TRUE(set->setObject(n[2]));
    EXPECT_FALSE(set->setObject(n[2]));
    EXPECT_TRUE(set->setFirstObject(n[0]));
    EXPECT_TRUE(set->setLastObject(n[3]));
    EXPECT_FALSE(set->setLastObject(n[3]));
    EXPECT_FALSE(set->setObject(9, n[3]));
    EXPECT_EQ(values(set), (std::vector<uint32_t>{0, 1, 2, 3}));
    EXPECT_EQ(set->getFirstObject(), n[0]);
    EXPECT_EQ(set->getLastObject(), n[3]);
    EXPECT_EQ(set->getObject(7), nullptr);
    EXPECT_EQ(set->getNextIndexOfObject(n[2], 0), 2u);
    EXPECT_EQ(set->getNextIndexOfObject(n[2], 3), UINT32_MAX);
    EXPECT_EQ(set->orderObject(n[0]), 0);
    EXPECT_EQ(set->getOrderingRef(), nullptr);
    EXPECT_EQ(n[1]->getRetainCount(), 2);
    set->removeObject(n[1]);
    EXPECT_EQ(n[1]->getRetainCount(), 1);
    EXPECT_FALSE(set->containsObject(n[1]));
    EXPECT_TRUE(set->member(n[0]));
    EXPECT_TRUE(set->setObject(1, n[1]));
    EXPECT_EQ(values(set), (std::vector<uint32_t>{0, 1, 2, 3}));
    EXPECT_GE(set->ensureCapacity(64), 64u);
    EXPECT_GE(set->getCapacity(), 64u);
    set->flushCollection();
    EXPECT_EQ(set->getCount(), 0u);
    EXPECT_EQ(set->getFirstObject(), nullptr);
    for (OSNumber *x : n) {
        EXPECT_EQ(x->getRetainCount(), 1);
        x->release();
    }
    set->release();
}

TEST_F(OSOrderedSetTest, OrderFunctionPlacesObjects) {
    int calls = 0;
    OSOrderedSet *set = OSOrderedSet::withCapacity(4, ascending, &calls);
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->getOrderingRef(), &calls);
    OSNumber *five = number(5), *one = number(1), *three = number(3), *other_three = number(3);
    set->setObject(five);
    set->setObject(one);
    set->setObject(three);
    set->setObject(other_three); // equal rank: after the first 3
    EXPECT_EQ(values(set), (std::vector<uint32_t>{1, 3, 3, 5}));
    EXPECT_EQ(set->getObject(1), three);
    EXPECT_EQ(set->getObject(2), other_three);
    EXPECT_GT(calls, 0);
    // setFirstObject ignores the order.
    OSNumber *nine = number(9);
    EXPECT_TRUE(set->setFirstObject(nine));
    EXPECT_EQ(set->getFirstObject(), nine);
    EXPECT_EQ(set->orderObject(nine), 0);
    OSOrderedSet *same = OSOrderedSet::withCapacity(4);
    for (uint32_t i = 0; i < set->getCount(); ++i)
        same->setLastObject(set->getObject(i));
    EXPECT_TRUE(same->isEqualTo(set));
    EXPECT_TRUE(same->isEqualTo(static_cast<const OSMetaClassBase *>(set)));
    same->removeObject(nine);
    EXPECT_FALSE(same->isEqualTo(set));
    EXPECT_FALSE(same->isEqualTo(static_cast<const OSMetaClassBase *>(nine)));
    std::vector<uint32_t> seen;
    set->iterateObjects([&](OSObject *object) {
        seen.push_back(value_of(object));
        return false;
    });
    EXPECT_EQ(seen, (std::vector<uint32_t>{9, 1, 3, 3, 5}));
    for (OSObject *o :
         std::initializer_list<OSObject *>{set, same, five, one, three, other_three, nine})
        o->release();
}
