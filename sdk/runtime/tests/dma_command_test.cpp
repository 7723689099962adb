// IODMACommand: identity device addresses, segments, maxAddressBits, the preparation's life
// cycle and PerformOperation.

#include <gtest/gtest.h>

#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IODMACommand.h>
#include <netdext/runtime.h>

#include <cstring>
#include <vector>

#include "support/test_classes.h"

namespace {

// A device (any IOService), a 64-bit command for it and a buffer of two pages, with every object
// released and counted at the end.
struct DmaTest : public ::testing::Test {
    uint64_t live_at_start = 0;
    IOService *device = nullptr;
    IODMACommand *command = nullptr;
    IOBufferMemoryDescriptor *buffer = nullptr;
    uint8_t *base = nullptr;

    void SetUp() override {
        ASSERT_TRUE(netdext::wait_until_idle());
        live_at_start = netdext::runtime_stats().live_objects.load();
        device = make_object<IOService>("IOService");
        ASSERT_NE(device, nullptr);
        command = make_command(64);
        ASSERT_NE(command, nullptr);
        ASSERT_EQ(IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, 8192, 0, &buffer),
                  kIOReturnSuccess);
        IOAddressSegment range{};
        buffer->GetAddressRange(&range);
        base = reinterpret_cast<uint8_t *>(range.address);
    }
    void TearDown() override {
        OSSafeReleaseNULL(command);
        OSSafeReleaseNULL(buffer);
        OSSafeReleaseNULL(device);
        EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live_at_start);
    }
    IODMACommand *make_command(uint64_t bits) {
        IODMACommandSpecification spec{};
        spec.options = kIODMACommandSpecificationNoOptions;
        spec.maxAddressBits = bits;
        IODMACommand *created = nullptr;
        EXPECT_EQ(IODMACommand::Create(device, kIODMACommandCreateNoOptions, &spec, &created),
                  kIOReturnSuccess);
        return created;
    }
};

} // namespace

TEST_F(DmaTest, CreateRefusesMissingArguments) {
    IODMACommandSpecification spec{};
    IODMACommand *created = nullptr;
    EXPECT_EQ(IODMACommand::Create(nullptr, 0, &spec, &created), kIOReturnBadArgument);
    EXPECT_EQ(IODMACommand::Create(device, 0, nullptr, &created), kIOReturnBadArgument);
    EXPECT_EQ(IODMACommand::Create(device, 0, &spec, nullptr), kIOReturnBadArgument);
    EXPECT_EQ(created, nullptr);
    EXPECT_EQ(command->netdext_device(), device);
}

TEST_F(DmaTest, PreparedSegmentsAreTheAddressesInThisProcess) {
    uint64_t flags = 0;
    uint32_t count = 32;
    IOAddressSegment segments[32] = {};
    ASSERT_EQ(command->PrepareForDMA(kIODMACommandPrepareForDMANoOptions, buffer, 0, 8192, &flags,
                                     &count, segments),
              kIOReturnSuccess);
    EXPECT_EQ(count, 1u);
    EXPECT_EQ(segments[0].address, reinterpret_cast<uint64_t>(base));
    EXPECT_EQ(segments[0].length, 8192u);
    EXPECT_EQ(flags, uint64_t(kIOMemoryDirectionInOut));
    // What a device writes at the segment's address is what the driver reads in the buffer.
    reinterpret_cast<uint8_t *>(segments[0].address)[42] = 0x5A;
    EXPECT_EQ(base[42], 0x5A);
    uint64_t offset = 1, length = 1;
    IOMemoryDescriptor *memory = nullptr;
    ASSERT_EQ(command->GetPreparation(&offset, &length, &memory), kIOReturnSuccess);
    EXPECT_EQ(offset, 0u);
    EXPECT_EQ(length, 8192u);
    EXPECT_EQ(memory, buffer);
    OSSafeReleaseNULL(memory); // +1
    ASSERT_EQ(command->CompleteDMA(kIODMACommandCompleteDMANoOptions), kIOReturnSuccess);
}

TEST_F(DmaTest, OnePreparationAtATime) {
    uint64_t flags = 0;
    uint32_t count = 4;
    IOAddressSegment segments[4];
    EXPECT_EQ(command->CompleteDMA(0), kIOReturnNotReady);
    EXPECT_EQ(command->GetPreparation(nullptr, nullptr, nullptr), kIOReturnNotReady);
    ASSERT_EQ(command->PrepareForDMA(0, buffer, 100, 200, &flags, &count, segments),
              kIOReturnSuccess);
    EXPECT_EQ(segments[0].address, reinterpret_cast<uint64_t>(base) + 100);
    EXPECT_EQ(segments[0].length, 200u);
    EXPECT_EQ(buffer->getRetainCount(), 2); // held by the preparation
    count = 4;
    EXPECT_EQ(command->PrepareForDMA(0, buffer, 0, 0, &flags, &count, segments), kIOReturnBusy);
    ASSERT_EQ(command->CompleteDMA(0), kIOReturnSuccess);
    EXPECT_EQ(buffer->getRetainCount(), 1);
    EXPECT_EQ(command->CompleteDMA(0), kIOReturnNotReady);
    count = 4;
    ASSERT_EQ(command->PrepareForDMA(0, buffer, 4096, 0, &flags, &count, segments),
              kIOReturnSuccess); // length 0: to the end
    EXPECT_EQ(segments[0].length, 4096u);
    // A command freed while prepared lets go of the memory.
}

TEST_F(DmaTest, PrepareChecksTheRangeAndTheRoom) {
    uint64_t flags = 0;
    uint32_t count = 4;
    IOAddressSegment segments[4];
    EXPECT_EQ(command->PrepareForDMA(0, buffer, 8192, 0, &flags, &count, segments),
              kIOReturnBadArgument);
    EXPECT_EQ(command->PrepareForDMA(0, buffer, 8000, 193, &flags, &count, segments),
              kIOReturnBadArgument);
    EXPECT_EQ(command->PrepareForDMA(0, nullptr, 0, 0, &flags, &count, segments),
              kIOReturnBadArgument);
    count = 0;
    EXPECT_EQ(command->PrepareForDMA(0, buffer, 0, 0, &flags, &count, segments),
              kIOReturnBadArgument);

    // Two pieces of the buffer with a gap between them: two segments.
    IOMemoryDescriptor *low = nullptr, *high = nullptr, *both = nullptr;
    ASSERT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(0, 0, 4096, buffer, &low),
              kIOReturnSuccess);
    ASSERT_EQ(IOMemoryDescriptor::CreateSubMemoryDescriptor(kIOMemoryDirectionOut, 6000, 100,
                                                            buffer, &high),
              kIOReturnSuccess);
    IOMemoryDescriptor *parts[] = {low, high};
    ASSERT_EQ(IOMemoryDescriptor::CreateWithMemoryDescriptors(0, 2, parts, &both),
              kIOReturnSuccess);
    count = 1;
    EXPECT_EQ(command->PrepareForDMA(0, both, 0, 0, &flags, &count, segments), kIOReturnOverrun);
    count = 4;
    ASSERT_EQ(command->PrepareForDMA(0, both, 4000, 196, &flags, &count, segments),
              kIOReturnSuccess);
    ASSERT_EQ(count, 2u);
    EXPECT_EQ(segments[0].address, reinterpret_cast<uint64_t>(base) + 4000);
    EXPECT_EQ(segments[0].length, 96u);
    EXPECT_EQ(segments[1].address, reinterpret_cast<uint64_t>(base) + 6000);
    EXPECT_EQ(segments[1].length, 100u);
    EXPECT_EQ(flags, uint64_t(kIOMemoryDirectionInOut));
    ASSERT_EQ(command->CompleteDMA(0), kIOReturnSuccess);
    OSSafeReleaseNULL(both);
    OSSafeReleaseNULL(high);
    OSSafeReleaseNULL(low);
}

TEST_F(DmaTest, SegmentsBeyondMaxAddressBitsAreRefused) {
    // Memory at a high address: a stack array (x86-64 and arm64 stacks are far above 4 GiB).
    std::vector<uint8_t> storage(256);
    auto address = reinterpret_cast<uint64_t>(storage.data());
    IOMemoryDescriptor *high = nullptr;
    ASSERT_EQ(IOMemoryDescriptor::netdext_create_with_range(kIOMemoryDirectionIn, storage.data(),
                                                            storage.size(), nullptr, &high),
              kIOReturnSuccess);
    uint32_t bits = 1;
    while (bits < 64 && (address + storage.size()) > (uint64_t(1) << bits))
        ++bits; // the fewest bits that reach the whole range
    IODMACommand *narrow = make_command(bits - 1);
    IODMACommand *enough = make_command(bits);
    IODMACommand *unlimited = make_command(0); // 0 means 64
    uint64_t flags = 0;
    uint32_t count = 1;
    IOAddressSegment segment{};
    EXPECT_EQ(narrow->PrepareForDMA(0, high, 0, 0, &flags, &count, &segment),
              kIOReturnNotPermitted);
    count = 1;
    EXPECT_EQ(enough->PrepareForDMA(0, high, 0, 0, &flags, &count, &segment), kIOReturnSuccess);
    EXPECT_EQ(segment.address, address);
    count = 1;
    EXPECT_EQ(unlimited->PrepareForDMA(0, high, 0, 0, &flags, &count, &segment), kIOReturnSuccess);
    OSSafeReleaseNULL(narrow);
    OSSafeReleaseNULL(enough);
    OSSafeReleaseNULL(unlimited);
    OSSafeReleaseNULL(high);
}

#if defined(__x86_64__)
TEST_F(DmaTest, BuffersSuitA32BitDevice) {
    // netdext places buffer pages low (MAP_32BIT) so that 32-bit DMA works with identity IOVAs.
    IODMACommand *narrow = make_command(32);
    uint64_t flags = 0;
    uint32_t count = 1;
    IOAddressSegment segment{};
    EXPECT_EQ(narrow->PrepareForDMA(0, buffer, 0, 0, &flags, &count, &segment), kIOReturnSuccess);
    EXPECT_LT(segment.address + segment.length, uint64_t(1) << 32);
    OSSafeReleaseNULL(narrow);
}
#endif

TEST_F(DmaTest, PerformOperationCopiesAndZeroesThePreparedMemory) {
    uint64_t flags = 0;
    uint32_t count = 1;
    IOAddressSegment segment{};
    IOBufferMemoryDescriptor *data = nullptr;
    ASSERT_EQ(IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, 10000, 0, &data),
              kIOReturnSuccess);
    IOAddressSegment data_range{};
    data->GetAddressRange(&data_range);
    auto *bytes = reinterpret_cast<uint8_t *>(data_range.address);
    for (int i = 0; i < 10000; ++i)
        bytes[i] = uint8_t(i * 7);

    EXPECT_EQ(command->PerformOperation(kIODMACommandPerformOperationOptionWrite, 0, 1, 0, data),
              kIOReturnNotReady);
    ASSERT_EQ(command->PrepareForDMA(0, buffer, 1000, 7000, &flags, &count, &segment),
              kIOReturnSuccess);
    // Write: data[5 .. 5+6000) -> prepared memory at 10 (the buffer at 1010), across chunks.
    ASSERT_EQ(
        command->PerformOperation(kIODMACommandPerformOperationOptionWrite, 10, 6000, 5, data),
        kIOReturnSuccess);
    EXPECT_EQ(std::memcmp(base + 1010, bytes + 5, 6000), 0);
    EXPECT_EQ(base[1009], 0);
    EXPECT_EQ(base[7010], 0);
    // Zero part of it, then read it all back into the data buffer.
    ASSERT_EQ(
        command->PerformOperation(kIODMACommandPerformOperationOptionZero, 10, 100, 0, nullptr),
        kIOReturnSuccess);
    EXPECT_EQ(base[1010], 0);
    EXPECT_EQ(base[1110], bytes[105]);
    ASSERT_EQ(
        command->PerformOperation(kIODMACommandPerformOperationOptionRead, 0, 7000, 3000, data),
        kIOReturnSuccess);
    EXPECT_EQ(std::memcmp(bytes + 3000, base + 1000, 7000), 0);

    // Bounds and options.
    EXPECT_EQ(command->PerformOperation(kIODMACommandPerformOperationOptionRead, 6999, 2, 0, data),
              kIOReturnBadArgument);
    EXPECT_EQ(
        command->PerformOperation(kIODMACommandPerformOperationOptionRead, 0, 7000, 3001, data),
        kIOReturnBadArgument);
    EXPECT_EQ(command->PerformOperation(kIODMACommandPerformOperationOptionRead |
                                            kIODMACommandPerformOperationOptionWrite,
                                        0, 1, 0, data),
              kIOReturnBadArgument);
    EXPECT_EQ(command->PerformOperation(0, 0, 1, 0, data), kIOReturnBadArgument);
    EXPECT_EQ(command->PerformOperation(kIODMACommandPerformOperationOptionZero, 0, 1, 0, data),
              kIOReturnBadArgument);
    EXPECT_EQ(command->PerformOperation(kIODMACommandPerformOperationOptionWrite, 0, 1, 0, nullptr),
              kIOReturnBadArgument);
    ASSERT_EQ(command->CompleteDMA(0), kIOReturnSuccess);
    OSSafeReleaseNULL(data);
}
