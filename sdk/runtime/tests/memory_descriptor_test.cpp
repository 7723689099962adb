// IOBufferMemoryDescriptor, IOMemoryDescriptor (slices, composites, raw ranges) and IOMemoryMap:
// allocation, alignment, zeroing, lengths, mappings and their bounds, and reference counts.

#include <gtest/gtest.h>

#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IOMemoryMap.h>
#include <netdext/runtime.h>

#include <unistd.h>

#include <cstring>
#include <vector>

namespace {

const uint64_t kPage = uint64_t(sysconf(_SC_PAGESIZE));

// Checks that every object a test created was released.
struct MemoryTest : public ::testing::Test {
    uint64_t live_at_start = 0;
    void SetUp() override {
        ASSERT_TRUE(netdext::wait_until_idle());
        live_at_start = netdext::runtime_stats().live_objects.load();
    }
    void TearDown() override {
        EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_at_start);
    }
};

IOBufferMemoryDescriptor *make_buffer(uint64_t capacity, uint64_t options = kIOMemoryDirectionInOut,
                                      uint64_t alignment = 0) {
    IOBufferMemoryDescriptor *buffer = nullptr;
    EXPECT_EQ(IOBufferMemoryDescriptor::Create(options, capacity, alignment, &buffer),
              kIOReturnSuccess);
    return buffer;
}

uint8_t *address_of(IOBufferMemoryDescriptor *buffer) {
    IOAddressSegment range{};
    EXPECT_EQ(buffer->GetAddressRange(&range), kIOReturnSuccess);
    return reinterpret_cast<uint8_t *>(range.address);
}

} // namespace

TEST_F(MemoryTest, BufferIsZeroedPageAlignedAndAsLongAsItsCapacity) {
    IOBufferMemoryDescriptor *buffer = make_buffer(10000);
    ASSERT_NE(buffer, nullptr);
    IOAddressSegment range{};
    ASSERT_EQ(buffer->GetAddressRange(&range), kIOReturnSuccess);
    EXPECT_EQ(range.address % kPage, 0u);
    EXPECT_EQ(range.length, 10000u);
    uint64_t length = 0;
    ASSERT_EQ(buffer->GetLength(&length), kIOReturnSuccess);
    EXPECT_EQ(length, 10000u);
    EXPECT_EQ(buffer->netdext_capacity(), 10000u);
    const auto *bytes = reinterpret_cast<const uint8_t *>(range.address);
    std::vector<uint8_t> zeros(10000, 0);
    EXPECT_EQ(std::memcmp(bytes, zeros.data(), zeros.size()), 0);
    std::memset(reinterpret_cast<void *>(range.address), 0xA5, 10000); // writable
    _IOMDPrivateState state{};
    ASSERT_EQ(buffer->_CopyState(&state), kIOReturnSuccess);
    EXPECT_EQ(state.length, 10000u);
    EXPECT_EQ(state.options, uint64_t(kIOMemoryDirectionInOut));
    EXPECT_EQ(OSDynamicCast(IOMemoryDescriptor, buffer), buffer);
    EXPECT_STREQ(buffer->GetClassName(), "IOBufferMemoryDescriptor");
    OSSafeReleaseNULL(buffer);
}

TEST_F(MemoryTest, AlignmentIsHonoured) {
    for (uint64_t alignment : {uint64_t(64), kPage, uint64_t(64 * 1024), uint64_t(2 << 20)}) {
        IOBufferMemoryDescriptor *buffer = make_buffer(100, kIOMemoryDirectionOut, alignment);
        ASSERT_NE(buffer, nullptr);
        uint64_t want = alignment < kPage ? kPage : alignment;
        EXPECT_EQ(reinterpret_cast<uint64_t>(address_of(buffer)) % want, 0u) << alignment;
        OSSafeReleaseNULL(buffer);
    }
}

TEST_F(MemoryTest, CreateRefusesBadArguments) {
    IOBufferMemoryDescriptor *buffer = nullptr;
    EXPECT_EQ(IOBufferMemoryDescriptor::Create(kIOMemoryDirectionIn, 0, 0, &buffer),
              kIOReturnBadArgument);
    EXPECT_EQ(IOBufferMemoryDescriptor::Create(kIOMemoryDirectionIn, 100, 3, &buffer),
              kIOReturnBadArgument);
    EXPECT_EQ(IOBufferMemoryDescriptor::Create(0x100, 100, 0, &buffer), kIOReturnBadArgument);
    EXPECT_EQ(IOBufferMemoryDescriptor::Create(kIOMemoryDirectionIn, 100, 0, nullptr),
              kIOReturnBadArgument);
    EXPECT_EQ(buffer, nullptr);
    ASSERT_EQ(IOBufferMemoryDescriptor::Create(
                  kIOMemoryDirectionInOut | kIOMemoryDisableCopyOnWrite, 100, 0, &buffer),
              kIOReturnSuccess);
    OSSafeReleaseNULL(buffer);
}

TEST_F(MemoryTest, SetLengthUpToTheCapacity) {
    IOBufferMemoryDescriptor *buffer = make_buffer(3000);
    ASSERT_EQ(buffer->SetLength(1500), kIOReturnSuccess);
    uint64_t length = 0;
    buffer->GetLength(&length);
    EXPECT_EQ(length, 1500u);
    IOAddressSegment range{};
    buffer->GetAddressRange(&range);
    EXPECT_EQ(range.length, 1500u);
    EXPECT_EQ(buffer->SetLength(3001), kIOReturnNoSpace);
    ASSERT_EQ(buffer->SetLength(3000), kIOReturnSuccess);
    buffer->GetLength(&length);
    EXPECT_EQ(length, 3000u);
    OSSafeReleaseNULL(buffer);
}

TEST_F(MemoryTest, MappingIsWhereTheBytesAre) {
    IOBufferMemoryDescriptor *buffer = make_buffer(8192);
    uint8_t *base = address_of(buffer);
    IOMemoryMap *map = nullptr;
    ASSERT_EQ(buffer->CreateMapping(0, 0, 0, 0, 0, &map), kIOReturnSuccess);
    EXPECT_EQ(map->GetAddress(), reinterpret_cast<uint64_t>(base));
    EXPECT_EQ(map->GetLength(), 8192u);
    EXPECT_EQ(map->GetOffset(), 0u);
    EXPECT_EQ(map->netdext_memory(), buffer);
    OSSafeReleaseNULL(map);

    ASSERT_EQ(buffer->CreateMapping(kIOMemoryMapReadOnly, 0, 100, 50, 0, &map), kIOReturnSuccess);
    EXPECT_EQ(map->GetAddress(), reinterpret_cast<uint64_t>(base) + 100);
    EXPECT_EQ(map->GetLength(), 50u);
    EXPECT_EQ(map->GetOffset(), 100u);
    _IOMemoryMapPrivateState state{};
    ASSERT_EQ(map->_CopyState(&state), kIOReturnSuccess);
    EXPECT_EQ(state.address, map->GetAddress());
    EXPECT_EQ(state.options, uint64_t(kIOMemoryMapReadOnly));
    OSSafeReleaseNULL(map);

    ASSERT_EQ(buffer->CreateMapping(0, 0, 4096, 0, 0, &map), kIOReturnSuccess); // to the end
    EXPECT_EQ(map->GetLength(), 4096u);
    OSSafeReleaseNULL(map);
    OSSafeReleaseNULL(buffer);
}

TEST_F(MemoryTest, MapReturnsTheAddressWithoutAMapObject) {
    IOBufferMemoryDescriptor *buffer = make_buffer(8192);
    uint64_t address = 0, length = 0;
    ASSERT_EQ(buffer->Map(0, 0, 0, 0, &address, &length), kIOReturnSuccess);
    EXPECT_EQ(address, reinterpret_cast<uint64_t>(address_of(buffer)));
    EXPECT_EQ(length, 8192u);
    ASSERT_EQ(buffer->Map(0, 0, 100, 0, &address, &length), kIOReturnSuccess);
    EXPECT_EQ(length, 100u);
    EXPECT_EQ(buffer->Map(0, 0, 8193, 0, &address, &length), kIOReturnBadArgument);
    EXPECT_EQ(buffer->getRetainCount(), 1) << "Map keeps no reference to the descriptor";
    OSSafeReleaseNULL(buffer);
}

TEST_F(MemoryTest, MappingBoundsAndOptions) {
    IOBufferMemoryDescriptor *buffer = make_buffer(4096);
    uint64_t base = reinterpret_cast<uint64_t>(address_of(buffer));
    IOMemoryMap *map = nullptr;
    EXPECT_EQ(buffer->CreateMapping(0, 0, 4097, 0, 0, &map), kIOReturnBadArgument);
    EXPECT_EQ(buffer->CreateMapping(0, 0, 4096, 0, 0, &map), kIOReturnBadArgument); // empty
    EXPECT_EQ(buffer->CreateMapping(0, 0, 4000, 97, 0, &map), kIOReturnBadArgument);
    EXPECT_EQ(buffer->CreateMapping(0, 0, 1, UINT64_MAX, 0, &map), kIOReturnBadArgument);
    EXPECT_EQ(buffer->CreateMapping(0, 0, 0, 0, 0, nullptr), kIOReturnBadArgument);
    EXPECT_EQ(map, nullptr);
    EXPECT_EQ(buffer->CreateMapping(kIOMemoryMapFixedAddress, base + kPage, 0, 0, 0, &map),
              kIOReturnUnsupported);
    ASSERT_EQ(buffer->CreateMapping(kIOMemoryMapFixedAddress, base, 0, 0, 0, &map),
              kIOReturnSuccess);
    OSSafeReleaseNULL(map);
    OSSafeReleaseNULL(buffer);
}

TEST_F(MemoryTest, AMapKeepsItsMemoryAlive) {
    IOBufferMemoryDescriptor *buffer = make_buffer(4096);
    IOMemoryMap *map = nullptr;
    ASSERT_EQ(buffer->CreateMapping(0, 0, 0, 0, 0, &map), kIOReturnSuccess);
    OSSafeReleaseNULL(buffer);
    auto *bytes = reinterpret_cast<uint8_t *>(map->GetAddress());
    bytes[4095] = 7; // still mapped (ASan would catch a use after unmap)
    EXPECT_EQ(bytes[4095], 7);
    OSSafeReleaseNULL(map);
}

TEST_F(MemoryTest, SubDescriptorSlicesItsParent) {
    IOBufferMemoryDescriptor *buffer = make_buffer(8192, kIOMemoryDirectionOut);
    uint8_t *base = address_of(buffer);
    for (int i = 0; i < 8192; ++i)
        base[i] = uint8_t(i);
    IOMemoryDescriptor *sub = nullptr;
    ASSERT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(0, 1000, 2000, buffer, &sub),
              kIOReturnSuccess);
    OSSafeReleaseNULL(buffer); // the slice keeps it
    uint64_t length = 0;
    sub->GetLength(&length);
    EXPECT_EQ(length, 2000u);
    EXPECT_EQ(sub->netdext_options(), uint64_t(kIOMemoryDirectionOut)); // inherited
    EXPECT_EQ(OSDynamicCast(IOBufferMemoryDescriptor, sub), nullptr);
    uint8_t first = 0;
    ASSERT_TRUE(sub->netdext_read(0, &first, 1));
    EXPECT_EQ(first, uint8_t(1000));
    IOMemoryMap *map = nullptr;
    ASSERT_EQ(sub->CreateMapping(0, 0, 10, 10, 0, &map), kIOReturnSuccess);
    EXPECT_EQ(map->GetAddress(), reinterpret_cast<uint64_t>(base) + 1010);
    OSSafeReleaseNULL(map);
    IOMemoryDescriptor *bad = nullptr;
    EXPECT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(0, 1, 2000, sub, &bad),
              kIOReturnBadArgument);
    EXPECT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(0, 0, 0, sub, &bad),
              kIOReturnBadArgument);
    EXPECT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(0, 0, 1, nullptr, &bad),
              kIOReturnBadArgument);
    ASSERT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(kIOMemoryDirectionIn, 0, 1, sub, &bad),
              kIOReturnSuccess);
    EXPECT_EQ(bad->netdext_options(), uint64_t(kIOMemoryDirectionIn));
    OSSafeReleaseNULL(bad);
    OSSafeReleaseNULL(sub);
}

TEST_F(MemoryTest, CompositeConcatenatesAndMapsOnlyContiguousPieces) {
    // Two slices of one buffer with a page between them, so they are never adjacent.
    IOBufferMemoryDescriptor *buffer = make_buffer(3 * 4096);
    uint8_t *base = address_of(buffer);
    std::memset(base, 'a', 4096);
    std::memset(base + 4096, 'x', 4096);
    std::memset(base + 8192, 'b', 4096);
    IOMemoryDescriptor *a = nullptr, *b = nullptr;
    ASSERT_EQ(
        IOMemoryDescriptor::CreateSubMemoryDescriptor(kIOMemoryDirectionIn, 0, 4096, buffer, &a),
        kIOReturnSuccess);
    ASSERT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(kIOMemoryDirectionOut, 8192, 4096,
                                                            buffer, &b),
              kIOReturnSuccess);
    OSSafeReleaseNULL(buffer);
    IOMemoryDescriptor *parts[] = {a, b};
    IOMemoryDescriptor *whole = nullptr;
    ASSERT_EQ(IOMemoryDescriptor::CreateWithMemoryDescriptors(0, 2, parts, &whole),
              kIOReturnSuccess);
    OSSafeReleaseNULL(a);
    OSSafeReleaseNULL(b);
    uint64_t length = 0;
    whole->GetLength(&length);
    EXPECT_EQ(length, 8192u);
    EXPECT_EQ(whole->netdext_options(), uint64_t(kIOMemoryDirectionInOut)); // In | Out
    char edge[4] = {};
    ASSERT_TRUE(whole->netdext_read(4094, edge, 4));
    EXPECT_EQ(std::string(edge, 4), "aabb");
    EXPECT_FALSE(whole->netdext_read(8190, edge, 4));
    IOAddressSegment segments[4];
    EXPECT_EQ(whole->netdext_segments(0, 8192, segments, 4), 2u);
    EXPECT_EQ(whole->netdext_segments(0, 8192, nullptr, 0), 2u);
    EXPECT_EQ(whole->netdext_segments(0, 8192, segments, 1), 0u);
    IOMemoryMap *map = nullptr;
    EXPECT_EQ(whole->CreateMapping(0, 0, 4000, 200, 0, &map), kIOReturnUnsupported);
    ASSERT_EQ(whole->CreateMapping(0, 0, 4096, 4096, 0, &map), kIOReturnSuccess);
    EXPECT_EQ(map->GetAddress(), reinterpret_cast<uint64_t>(base) + 8192);
    EXPECT_EQ(reinterpret_cast<char *>(map->GetAddress())[0], 'b');
    OSSafeReleaseNULL(map);
    IOMemoryDescriptor *none = nullptr;
    EXPECT_EQ(IOMemoryDescriptor::CreateWithMemoryDescriptors(0, 0, parts, &none),
              kIOReturnBadArgument);
    OSSafeReleaseNULL(whole);
}

TEST_F(MemoryTest, AdjacentPiecesMergeIntoOneRange) {
    IOBufferMemoryDescriptor *buffer = make_buffer(8192);
    IOMemoryDescriptor *low = nullptr, *high = nullptr, *both = nullptr;
    ASSERT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(0, 0, 3000, buffer, &low),
              kIOReturnSuccess);
    ASSERT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(0, 3000, 5192, buffer, &high),
              kIOReturnSuccess);
    IOMemoryDescriptor *parts[] = {low, high};
    ASSERT_EQ(IOMemoryDescriptor::CreateWithMemoryDescriptors(0, 2, parts, &both),
              kIOReturnSuccess);
    IOAddressSegment segment{};
    ASSERT_EQ(both->netdext_segments(0, 8192, &segment, 1), 1u);
    EXPECT_EQ(segment.address, reinterpret_cast<uint64_t>(address_of(buffer)));
    IOMemoryMap *map = nullptr;
    ASSERT_EQ(both->CreateMapping(0, 0, 2000, 2000, 0, &map), kIOReturnSuccess);
    OSSafeReleaseNULL(map);
    OSSafeReleaseNULL(both);
    OSSafeReleaseNULL(high);
    OSSafeReleaseNULL(low);
    OSSafeReleaseNULL(buffer);
}

TEST_F(MemoryTest, RangeDescriptorRetainsItsOwner) {
    IOBufferMemoryDescriptor *owner = make_buffer(4096);
    uint8_t *base = address_of(owner);
    IOMemoryDescriptor *view = nullptr;
    ASSERT_EQ(IOMemoryDescriptor::netdext_create_with_range(kIOMemoryDirectionIn, base + 16, 32,
                                                            owner, &view),
              kIOReturnSuccess);
    EXPECT_EQ(owner->getRetainCount(), 2);
    OSSafeReleaseNULL(owner);
    const char text[] = "through the view";
    ASSERT_TRUE(view->netdext_write(0, text, sizeof text));
    EXPECT_STREQ(reinterpret_cast<const char *>(base + 16), text);
    EXPECT_TRUE(view->netdext_zero(0, 32));
    EXPECT_EQ(base[16], 0);
    EXPECT_FALSE(view->netdext_zero(1, 32));
    OSSafeReleaseNULL(view);
}
