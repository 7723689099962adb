// IODMACommand: device addresses for memory, with identity addressing (no IOMMU).
//
// Ownership: the command retains its device, and the prepared descriptor from PrepareForDMA until
// CompleteDMA (or until the command is freed, for a driver that forgets to complete).

#include <DriverKit/IODMACommand.h>
#include <netdext/iig_support.h>
#include <netdext/iommu.h>
#include <netdext/runtime.h>

#include <mutex>
#include <vector>

#include "internal.h"

namespace {
constexpr uint32_t kMaxSegments = 32; // DriverKit: PrepareForDMA returns at most 32 segments
constexpr uint64_t kCopyChunk = 4096; // PerformOperation copies through a stack buffer
} // namespace

struct IODMACommand_IVars {
    std::mutex mutex;
    IOService *device = nullptr; // retained
    IODMACommandSpecification specification{};
    uint64_t address_bits = 64;
    // The preparation, valid while `memory` is set.
    IOMemoryDescriptor *memory = nullptr; // retained
    uint64_t offset = 0;
    uint64_t length = 0;
    // With an IOMMU in front of the device (netdext/iommu.h): its mappings for the preparation.
    std::shared_ptr<netdext::Iommu> iommu;
    std::vector<uint64_t> iovas;
};

NETDEXT_DEFINE_CLASS(IODMACommand, OSObject, nullptr, 0)

kern_return_t IODMACommand::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

kern_return_t IODMACommand::Create(IOService *device, uint64_t,
                                   const IODMACommandSpecification *specification,
                                   IODMACommand **command) {
    if (device == nullptr || specification == nullptr || command == nullptr)
        return kIOReturnBadArgument;
    *command = nullptr;
    auto *created = netdext::new_object<IODMACommand>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    device->retain();
    created->ivars->device = device;
    created->ivars->specification = *specification;
    uint64_t bits = specification->maxAddressBits;
    created->ivars->address_bits = (bits == 0 || bits > 64) ? 64 : bits;
    created->ivars->iommu = netdext::iommu_for(device);
    *command = created;
    return kIOReturnSuccess;
}

bool IODMACommand::init() {
    if (!OSObject::init())
        return false;
    ivars = new IODMACommand_IVars;
    return true;
}

// Removes the preparation's IOMMU mappings (caller holds the mutex).
static void unmap_all(IODMACommand_IVars *ivars) {
    for (uint64_t iova : ivars->iovas)
        (void)ivars->iommu->unmap(iova);
    ivars->iovas.clear();
}

void IODMACommand::free() {
    if (ivars != nullptr) {
        if (ivars->iommu)
            unmap_all(ivars);
        OSSafeReleaseNULL(ivars->memory);
        OSSafeReleaseNULL(ivars->device);
        delete ivars;
        ivars = nullptr;
    }
    OSObject::free();
}

IOService *IODMACommand::netdext_device() const {
    return ivars->device;
}

// Whether the device can reach [segment.address, segment.address + segment.length).
static bool reachable(const IOAddressSegment &segment, uint64_t address_bits) {
    if (address_bits >= 64)
        return true;
    uint64_t limit = uint64_t(1) << address_bits;
    return segment.address < limit && segment.length <= limit - segment.address;
}

kern_return_t IODMACommand::PrepareForDMA(uint64_t, IOMemoryDescriptor *memory, uint64_t offset,
                                          uint64_t length, uint64_t *flags, uint32_t *segmentsCount,
                                          IOAddressSegment *segments) {
    if (memory == nullptr || segmentsCount == nullptr || segments == nullptr || *segmentsCount == 0)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    if (ivars->memory != nullptr)
        return kIOReturnBusy;
    uint64_t total = 0;
    memory->GetLength(&total);
    if (offset > total)
        return kIOReturnBadArgument;
    if (length == 0)
        length = total - offset;
    if (length == 0 || length > total - offset)
        return kIOReturnBadArgument;
    uint32_t room = *segmentsCount < kMaxSegments ? *segmentsCount : kMaxSegments;
    IOAddressSegment found[kMaxSegments];
    uint32_t count = memory->netdext_segments(offset, length, found, room);
    if (count == 0)
        return kIOReturnOverrun;
    if (ivars->iommu) {
        // DriverKit: the DART maps the memory and the device sees I/O virtual addresses.
        uint64_t direction = memory->netdext_options() & kIOMemoryDirectionOutIn;
        for (uint32_t i = 0; i < count; ++i) {
            uint64_t iova = 0;
            kern_return_t kr = ivars->iommu->map(reinterpret_cast<const void *>(found[i].address),
                                                 found[i].length, direction,
                                                 ivars->address_bits, &iova);
            if (kr != kIOReturnSuccess) {
                unmap_all(ivars);
                return kr;
            }
            ivars->iovas.push_back(iova);
            found[i].address = iova;
        }
    }
    for (uint32_t i = 0; i < count && !ivars->iommu; ++i) {
        if (!reachable(found[i], ivars->address_bits)) {
            netdext::log_linef(netdext::LogLevel::error,
                               "IODMACommand::PrepareForDMA: memory at 0x%llx (+%llu) is beyond "
                               "the device's %llu address bits; netdext has no IOMMU to remap it",
                               static_cast<unsigned long long>(found[i].address),
                               static_cast<unsigned long long>(found[i].length),
                               static_cast<unsigned long long>(ivars->address_bits));
            return kIOReturnNotPermitted;
        }
    }
    // IOVAs from the IOMMU, else identity: the device address is the address in this process.
    for (uint32_t i = 0; i < count; ++i)
        segments[i] = found[i];
    *segmentsCount = count;
    if (flags != nullptr)
        *flags = memory->netdext_options() & kIOMemoryDirectionOutIn;
    memory->retain();
    ivars->memory = memory;
    ivars->offset = offset;
    ivars->length = length;
    return kIOReturnSuccess;
}

kern_return_t IODMACommand::CompleteDMA(uint64_t) {
    IOMemoryDescriptor *memory;
    {
        std::lock_guard lock(ivars->mutex);
        if (ivars->memory == nullptr)
            return kIOReturnNotReady;
        memory = ivars->memory;
        ivars->memory = nullptr;
        if (ivars->iommu)
            unmap_all(ivars);
        ivars->offset = 0;
        ivars->length = 0;
    }
    memory->release();
    return kIOReturnSuccess;
}

kern_return_t IODMACommand::GetPreparation(uint64_t *offset, uint64_t *length,
                                           IOMemoryDescriptor **memory) {
    std::lock_guard lock(ivars->mutex);
    if (ivars->memory == nullptr)
        return kIOReturnNotReady;
    if (offset != nullptr)
        *offset = ivars->offset;
    if (length != nullptr)
        *length = ivars->length;
    if (memory != nullptr) {
        ivars->memory->retain();
        *memory = ivars->memory;
    }
    return kIOReturnSuccess;
}

// Copies `length` bytes from `from` at from_offset to `to` at to_offset, a chunk at a time.
static bool copy_between(IOMemoryDescriptor *from, uint64_t from_offset, IOMemoryDescriptor *to,
                         uint64_t to_offset, uint64_t length) {
    uint8_t chunk[kCopyChunk];
    for (uint64_t done = 0; done < length;) {
        uint64_t n = length - done < kCopyChunk ? length - done : kCopyChunk;
        if (!from->netdext_read(from_offset + done, chunk, n) ||
            !to->netdext_write(to_offset + done, chunk, n))
            return false;
        done += n;
    }
    return true;
}

kern_return_t IODMACommand::PerformOperation(uint64_t options, uint64_t dmaOffset, uint64_t length,
                                             uint64_t dataOffset, IOMemoryDescriptor *data) {
    if (options != kIODMACommandPerformOperationOptionRead &&
        options != kIODMACommandPerformOperationOptionWrite &&
        options != kIODMACommandPerformOperationOptionZero)
        return kIOReturnBadArgument;
    IOMemoryDescriptor *prepared;
    uint64_t base;
    {
        std::lock_guard lock(ivars->mutex);
        if (ivars->memory == nullptr)
            return kIOReturnNotReady;
        if (dmaOffset > ivars->length || length > ivars->length - dmaOffset)
            return kIOReturnBadArgument;
        prepared = ivars->memory;
        prepared->retain(); // a concurrent CompleteDMA must not free it under the copy
        base = ivars->offset + dmaOffset;
    }
    kern_return_t kr = kIOReturnSuccess;
    if (options == kIODMACommandPerformOperationOptionZero) {
        if (data != nullptr)
            kr = kIOReturnBadArgument;
        else if (!prepared->netdext_zero(base, length))
            kr = kIOReturnBadArgument;
    } else {
        uint64_t data_length = 0;
        if (data == nullptr || data->GetLength(&data_length) != kIOReturnSuccess ||
            dataOffset > data_length || length > data_length - dataOffset)
            kr = kIOReturnBadArgument;
        else if (options == kIODMACommandPerformOperationOptionRead)
            kr = copy_between(prepared, base, data, dataOffset, length) ? kIOReturnSuccess
                                                                        : kIOReturnBadArgument;
        else
            kr = copy_between(data, dataOffset, prepared, base, length) ? kIOReturnSuccess
                                                                        : kIOReturnBadArgument;
    }
    prepared->release();
    return kr;
}
