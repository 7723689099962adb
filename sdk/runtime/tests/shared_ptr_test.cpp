// OSSharedPtr: which operations take, move or drop a reference, the casts, attach() for +1 out
// parameters, and class template argument deduction from the retain tags.

#include <gtest/gtest.h>

#include <DriverKit/IOUserClient.h>
#include <DriverKit/OSSharedPtr.h>
#include <DriverKit/OSString.h>

#include "support/test_classes.h"

namespace {

// A +1 string, as the with* factories return.
OSString *fresh(const char *text) {
    return OSString::withCString(text);
}

// A call with a +1 out parameter, shaped like CopyDispatchQueue.
kern_return_t copy_out(OSString *source, OSString **out) {
    source->retain();
    *out = source;
    return kIOReturnSuccess;
}

} // namespace

TEST(OSSharedPtr, RetainTagRetainsAndNoRetainAdopts) {
    OSString *s = fresh("a");
    {
        OSSharedPtr<OSString> borrowed(s, OSRetain);
        EXPECT_EQ(s->getRetainCount(), 2);
        OSSharedPtr<OSString> adopted(s, OSNoRetain);
        EXPECT_EQ(s->getRetainCount(), 2);
        s->retain(); // adopted gives its reference back when it goes
    }
    EXPECT_EQ(s->getRetainCount(), 1);
    s->release();
}

TEST(OSSharedPtr, CopiesRetainMovesTransferAndResetReleases) {
    OSSharedPtr<OSString> a(fresh("b"), OSNoRetain);
    OSString *raw = a.get();
    OSSharedPtr<OSString> copy = a;
    EXPECT_EQ(raw->getRetainCount(), 2);
    OSSharedPtr<OSString> moved = std::move(copy);
    EXPECT_FALSE(copy);
    EXPECT_EQ(raw->getRetainCount(), 2);
    copy = moved; // copy-assignment retains
    EXPECT_EQ(raw->getRetainCount(), 3);
    copy = nullptr;
    moved.reset();
    EXPECT_EQ(raw->getRetainCount(), 1);
    a.reset(a.get(), OSRetain); // self-reset keeps the object alive
    EXPECT_EQ(raw->getRetainCount(), 1);
    EXPECT_TRUE(a);
    EXPECT_EQ(a->getLength(), 1u);
    EXPECT_EQ((*a).getCStringNoCopy()[0], 'b');
}

TEST(OSSharedPtr, ConvertsToABaseAndCastsBack) {
    OSSharedPtr<OSString> s(fresh("c"), OSNoRetain);
    OSString *raw = s.get();
    OSSharedPtr<OSObject> base = s; // converting copy
    EXPECT_EQ(raw->getRetainCount(), 2);
    OSSharedPtr<OSString> back = OSDynamicPtrCast<OSString>(base);
    EXPECT_EQ(back.get(), raw);
    EXPECT_EQ(raw->getRetainCount(), 3);
    EXPECT_FALSE(OSDynamicPtrCast<IOService>(base));
    OSSharedPtr<OSString> stolen = OSDynamicPtrCast<OSString>(std::move(base));
    EXPECT_FALSE(base);
    EXPECT_EQ(raw->getRetainCount(), 3);
    OSSharedPtr<OSObject> up = OSStaticPtrCast<OSObject>(std::move(stolen));
    EXPECT_EQ(raw->getRetainCount(), 3);
    OSSharedPtr<const OSString> constant = OSStaticPtrCast<const OSString>(back);
    OSSharedPtr<OSString> mutable_again = OSConstPtrCast<OSString>(constant);
    EXPECT_EQ(raw->getRetainCount(), 5);
}

TEST(OSSharedPtr, AttachTakesAPlusOneOutParameterAndDetachGivesItUp) {
    OSString *source = fresh("d");
    OSSharedPtr<OSString> out(fresh("old"), OSNoRetain);
    ASSERT_EQ(copy_out(source, out.attach()), kIOReturnSuccess); // "old" is released first
    EXPECT_EQ(out.get(), source);
    EXPECT_EQ(source->getRetainCount(), 2);
    OSString *detached = out.detach();
    EXPECT_FALSE(out);
    EXPECT_EQ(source->getRetainCount(), 2);
    detached->release();
    source->release();
}

TEST(OSSharedPtr, DeducesItsTypeFromTheTaggedConstructor) {
    OSString *s = fresh("e");
    auto deduced = OSSharedPtr(s, OSNoRetain);
    static_assert(std::is_same_v<decltype(deduced), OSSharedPtr<OSString>>);
    auto also = OSSharedPtr(OSDynamicCast(OSString, s), OSRetain);
    static_assert(std::is_same_v<decltype(also), OSSharedPtr<OSString>>);
    EXPECT_EQ(s->getRetainCount(), 2);
    OSSharedPtr<OSString> a(fresh("f"), OSNoRetain);
    OSString *f = a.get();
    swap(a, deduced);
    EXPECT_EQ(a.get(), s);
    EXPECT_EQ(deduced.get(), f);
}

TEST(OSSharedPtr, MakeSharedOwnsTheOnlyReference) {
    OSSharedPtr<OSString> s = OSMakeShared<OSString>();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->getRetainCount(), 1);
}

// Apple's IOUserClient.h includes IOBufferMemoryDescriptor.h: a user client source that includes
// only its generated header can create buffers.
TEST(IOUserClientHeader, BringsIOBufferMemoryDescriptor) {
    IOBufferMemoryDescriptor *buffer = nullptr;
    ASSERT_EQ(IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, 64, 0, &buffer),
              kIOReturnSuccess);
    OSSharedPtr<IOBufferMemoryDescriptor> owned(buffer, OSNoRetain);
    uint64_t length = 0;
    EXPECT_EQ(owned->GetLength(&length), kIOReturnSuccess);
    EXPECT_EQ(length, 64u);
}
