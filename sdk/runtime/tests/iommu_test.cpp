// The simulated IOMMU (netdext/iommu.h): mappings and their directions, faults, address bits,
// IOVA reuse, injected failures, and IODMACommand handing out IOVAs for a device behind one.

#include <gtest/gtest.h>

#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IODMACommand.h>
#include <DriverKit/IOService.h>
#include <netdext/iommu.h>

#include <cstring>
#include <memory>
#include <vector>

using netdext::Iommu;

TEST(Iommu, MapsKeepThePageOffsetAndCopyBothWays) {
    Iommu iommu;
    std::vector<uint8_t> memory(10000, 0);
    uint64_t iova = 0;
    ASSERT_EQ(iommu.map(memory.data() + 100, 5000, kIOMemoryDirectionOutIn, 64, &iova), kIOReturnSuccess);
    EXPECT_GE(iova, Iommu::kBase);
    EXPECT_EQ(iova % Iommu::kPageSize, reinterpret_cast<uintptr_t>(memory.data() + 100) % Iommu::kPageSize);
    const char text[] = "device wrote this";
    ASSERT_TRUE(iommu.write(iova + 10, text, sizeof text));
    EXPECT_EQ(std::memcmp(memory.data() + 110, text, sizeof text), 0);
    memory[200] = 0x5a;
    uint8_t byte = 0;
    ASSERT_TRUE(iommu.read(iova + 100, &byte, 1));
    EXPECT_EQ(byte, 0x5a);
    EXPECT_EQ(iommu.mapping_count(), 1u);
    EXPECT_EQ(iommu.mapped_bytes(), 5000u);
    EXPECT_EQ(iommu.fault_count(), 0u);
}

TEST(Iommu, EveryByteMustBeMappedInTheRightDirection) {
    Iommu iommu;
    std::vector<uint8_t> memory(4096 * 3, 0);
    uint64_t out = 0, in = 0;
    ASSERT_EQ(iommu.map(memory.data(), 4096, kIOMemoryDirectionOut, 64, &out), kIOReturnSuccess);
    ASSERT_EQ(iommu.map(memory.data() + 8192, 4096, kIOMemoryDirectionIn, 64, &in), kIOReturnSuccess);
    uint8_t buffer[16] = {};
    EXPECT_TRUE(iommu.read(out, buffer, sizeof buffer));
    EXPECT_FALSE(iommu.write(out, buffer, sizeof buffer)); // the device may only read it
    EXPECT_TRUE(iommu.write(in, buffer, sizeof buffer));
    EXPECT_FALSE(iommu.read(in, buffer, sizeof buffer));   // … only write it
    EXPECT_FALSE(iommu.read(out + 4090, buffer, sizeof buffer)); // runs past the mapping
    EXPECT_FALSE(iommu.read(0x1000, buffer, 1));                  // never mapped
    EXPECT_EQ(iommu.fault_count(), 4u);
    auto faults = iommu.faults();
    ASSERT_EQ(faults.size(), 4u);
    EXPECT_TRUE(faults[0].write);
    EXPECT_EQ(faults[3].reason, "not mapped");
    // After unmap the same IOVA faults (a use after CompleteDMA).
    ASSERT_EQ(iommu.unmap(out), kIOReturnSuccess);
    EXPECT_FALSE(iommu.read(out, buffer, 1));
    EXPECT_EQ(iommu.unmap(out), kIOReturnNotFound);
}

TEST(Iommu, AddressBitsBoundTheIOVAAndFreedSpaceIsReused) {
    Iommu iommu;
    std::vector<uint8_t> memory(4096 * 4);
    uint64_t iova = 0;
    EXPECT_EQ(iommu.map(memory.data(), 4096, 0, 28, &iova), kIOReturnNoResources); // below the base
    ASSERT_EQ(iommu.map(memory.data(), 4096 * 2, 0, 32, &iova), kIOReturnSuccess);
    EXPECT_LT(iova + 4096 * 2, uint64_t(1) << 32);
    uint64_t second = 0;
    ASSERT_EQ(iommu.map(memory.data(), 4096, 0, 32, &second), kIOReturnSuccess);
    ASSERT_EQ(iommu.unmap(iova), kIOReturnSuccess);
    uint64_t again = 0;
    ASSERT_EQ(iommu.map(memory.data() + 4096, 4096, 0, 32, &again), kIOReturnSuccess);
    EXPECT_EQ(again, iova); // first fit in the freed range
    EXPECT_EQ(iommu.map(memory.data(), 0, 0, 64, &again), kIOReturnBadArgument);
}

TEST(Iommu, InjectedFailuresFaultTheNextAccesses) {
    Iommu iommu;
    std::vector<uint8_t> memory(64);
    uint64_t iova = 0;
    ASSERT_EQ(iommu.map(memory.data(), memory.size(), 0, 64, &iova), kIOReturnSuccess);
    iommu.fail_next(2);
    uint8_t byte = 0;
    EXPECT_FALSE(iommu.read(iova, &byte, 1));
    EXPECT_FALSE(iommu.write(iova, &byte, 1));
    EXPECT_TRUE(iommu.read(iova, &byte, 1));
    EXPECT_EQ(iommu.faults().back().reason, "injected");
}

TEST(Iommu, IODMACommandHandsOutIOVAsForADeviceBehindOne) {
    IOService *device = OSTypeAlloc(IOService);
    ASSERT_TRUE(device->init());
    auto iommu = std::make_shared<Iommu>();
    netdext::set_iommu(device, iommu);
    IOBufferMemoryDescriptor *memory = nullptr;
    ASSERT_EQ(IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, 8192, 0, &memory), kIOReturnSuccess);
    IODMACommandSpecification spec{};
    spec.maxAddressBits = 32;
    IODMACommand *command = nullptr;
    ASSERT_EQ(IODMACommand::Create(device, 0, &spec, &command), kIOReturnSuccess);
    IOAddressSegment segment{};
    uint32_t count = 1;
    uint64_t flags = 0;
    ASSERT_EQ(command->PrepareForDMA(0, memory, 0, 0, &flags, &count, &segment), kIOReturnSuccess);
    IOAddressSegment range{};
    memory->GetAddressRange(&range);
    EXPECT_EQ(count, 1u);
    EXPECT_NE(segment.address, range.address); // an IOVA, not the driver's pointer
    EXPECT_GE(segment.address, Iommu::kBase);
    EXPECT_EQ(segment.length, 8192u);
    const uint32_t value = 0xfeedface;
    ASSERT_TRUE(iommu->write(segment.address + 4, &value, sizeof value));
    EXPECT_EQ(std::memcmp(reinterpret_cast<uint8_t *>(range.address) + 4, &value, sizeof value), 0);
    ASSERT_EQ(command->CompleteDMA(0), kIOReturnSuccess);
    EXPECT_EQ(iommu->mapping_count(), 0u);
    // A second preparation while mapped, then freeing the command unmaps it.
    count = 1;
    ASSERT_EQ(command->PrepareForDMA(0, memory, 0, 4096, &flags, &count, &segment), kIOReturnSuccess);
    EXPECT_EQ(iommu->mapping_count(), 1u);
    command->release();
    EXPECT_EQ(iommu->mapping_count(), 0u);
    memory->release();
    netdext::set_iommu(device, nullptr);
    device->release();
}
