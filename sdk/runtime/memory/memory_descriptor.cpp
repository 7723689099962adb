// IOMemoryDescriptor and IOMemoryMap: ranges of this process's memory, sliced and concatenated,
// and "mappings" that are views of where the bytes already are.
//
// Ownership: a descriptor retains every object in `owners` (the pool whose region it describes,
// the descriptors it slices or concatenates); an IOBufferMemoryDescriptor owns its pages itself.
// A map retains its descriptor. Ranges never outlive what keeps them valid.

#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/IOMemoryMap.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

#include "internal.h"

using Ranges = std::vector<IOAddressSegment>;

struct IOMemoryDescriptor_IVars {
    std::mutex mutex;
    Ranges ranges;                  // addresses in this process, in descriptor order
    uint64_t options = 0;           // kIOMemoryDirection* and the other create options
    std::vector<OSObject *> owners; // retained; keep the ranges valid
};

struct IOMemoryMap_IVars {
    IOMemoryDescriptor *memory = nullptr; // retained
    uint64_t options = 0;
    uint64_t address = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
};

NETDEXT_DEFINE_CLASS(IOMemoryDescriptor, OSObject, nullptr, 0)
NETDEXT_DEFINE_CLASS(IOMemoryMap, OSObject, nullptr, 0)

namespace {

uint64_t total_length(const Ranges &ranges) {
    uint64_t total = 0;
    for (const IOAddressSegment &range : ranges)
        total += range.length;
    return total;
}

// [offset, offset + length) lies within `total` bytes (overflow-safe).
bool in_bounds(uint64_t total, uint64_t offset, uint64_t length) {
    return offset <= total && length <= total - offset;
}

// The pieces of `ranges` covering [offset, offset + length), adjacent ones merged; false when the
// range is outside them.
bool slice(const Ranges &ranges, uint64_t offset, uint64_t length, Ranges &out) {
    out.clear();
    if (!in_bounds(total_length(ranges), offset, length))
        return false;
    for (const IOAddressSegment &range : ranges) {
        if (length == 0)
            break;
        if (offset >= range.length) {
            offset -= range.length;
            continue;
        }
        uint64_t take = std::min(range.length - offset, length);
        uint64_t address = range.address + offset;
        if (!out.empty() && out.back().address + out.back().length == address)
            out.back().length += take;
        else
            out.push_back({address, take});
        length -= take;
        offset = 0;
    }
    return true;
}

} // namespace

// ---- IOMemoryDescriptor ----------------------------------------------------------------------

kern_return_t IOMemoryDescriptor::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

bool IOMemoryDescriptor::init() {
    if (!OSObject::init())
        return false;
    ivars = new IOMemoryDescriptor_IVars;
    return true;
}

void IOMemoryDescriptor::free() {
    if (ivars != nullptr) {
        for (OSObject *owner : ivars->owners)
            owner->release();
        delete ivars;
        ivars = nullptr;
    }
    OSObject::free();
}

void IOMemoryDescriptor::netdext_set_range(void *address, uint64_t length) {
    std::lock_guard lock(ivars->mutex);
    ivars->ranges.assign(1, IOAddressSegment{reinterpret_cast<uint64_t>(address), length});
}

void IOMemoryDescriptor::netdext_set_options(uint64_t options) {
    std::lock_guard lock(ivars->mutex);
    ivars->options = options;
}

uint64_t IOMemoryDescriptor::netdext_options() const {
    std::lock_guard lock(ivars->mutex);
    return ivars->options;
}

kern_return_t IOMemoryDescriptor::GetLength(uint64_t *returnLength) {
    if (returnLength == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *returnLength = total_length(ivars->ranges);
    return kIOReturnSuccess;
}

kern_return_t IOMemoryDescriptor::_CopyState(_IOMDPrivateState *state) {
    if (state == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    state->length = total_length(ivars->ranges);
    state->options = ivars->options;
    return kIOReturnSuccess;
}

uint32_t IOMemoryDescriptor::netdext_segments(uint64_t offset, uint64_t length,
                                              IOAddressSegment *segments, uint32_t max_segments) {
    Ranges pieces;
    {
        std::lock_guard lock(ivars->mutex);
        if (!slice(ivars->ranges, offset, length, pieces))
            return 0;
    }
    if (segments == nullptr)
        return uint32_t(pieces.size());
    if (pieces.size() > max_segments)
        return 0;
    std::copy(pieces.begin(), pieces.end(), segments);
    return uint32_t(pieces.size());
}

// Calls fn(pointer, bytes, position) for each piece of [offset, offset + length), where position
// counts bytes from `offset`; false when the range is outside the descriptor.
template <class Fn>
static bool for_each_piece(IOMemoryDescriptor *memory, uint64_t offset, uint64_t length, Fn fn) {
    if (length == 0) {
        uint64_t total = 0;
        return memory->GetLength(&total) == kIOReturnSuccess && offset <= total;
    }
    Ranges pieces;
    uint32_t count = 0;
    do { // the count can change under a concurrent SetLength: ask again until it is stable
        count = memory->netdext_segments(offset, length, nullptr, 0);
        if (count == 0)
            return false;
        pieces.resize(count);
    } while (memory->netdext_segments(offset, length, pieces.data(), count) != count);
    uint64_t position = 0;
    for (const IOAddressSegment &piece : pieces) {
        fn(reinterpret_cast<uint8_t *>(piece.address), piece.length, position);
        position += piece.length;
    }
    return true;
}

bool IOMemoryDescriptor::netdext_read(uint64_t offset, void *buffer, uint64_t length) {
    auto *out = static_cast<uint8_t *>(buffer);
    return for_each_piece(this, offset, length, [out](uint8_t *piece, uint64_t n, uint64_t at) {
        std::memcpy(out + at, piece, n);
    });
}

bool IOMemoryDescriptor::netdext_write(uint64_t offset, const void *buffer, uint64_t length) {
    const auto *in = static_cast<const uint8_t *>(buffer);
    return for_each_piece(this, offset, length, [in](uint8_t *piece, uint64_t n, uint64_t at) {
        std::memcpy(piece, in + at, n);
    });
}

bool IOMemoryDescriptor::netdext_zero(uint64_t offset, uint64_t length) {
    return for_each_piece(this, offset, length,
                          [](uint8_t *piece, uint64_t n, uint64_t) { std::memset(piece, 0, n); });
}

// netdext: memory is always in this process, so the "internal" mapping is the address a
// CreateMapping would return; it stays valid for the descriptor's life with no map object (a
// map retains its descriptor, which would then never be freed).
kern_return_t IOMemoryDescriptor::Map(uint64_t options, uint64_t address, uint64_t length,
                                      uint64_t alignment, uint64_t *returnAddress,
                                      uint64_t *returnLength) {
    IOMemoryMap *map = nullptr;
    kern_return_t kr = CreateMapping(options, address, 0, length, alignment, &map);
    if (kr != kIOReturnSuccess)
        return kr;
    if (returnAddress != nullptr)
        *returnAddress = map->GetAddress();
    if (returnLength != nullptr)
        *returnLength = map->GetLength();
    map->release();
    return kIOReturnSuccess;
}

kern_return_t IOMemoryDescriptor::CreateMapping(uint64_t options, uint64_t address, uint64_t offset,
                                                uint64_t length, uint64_t, IOMemoryMap **map) {
    if (map == nullptr)
        return kIOReturnBadArgument;
    *map = nullptr;
    uint64_t total = 0;
    GetLength(&total);
    if (offset > total)
        return kIOReturnBadArgument;
    if (length == 0)
        length = total - offset;
    if (length == 0 || !in_bounds(total, offset, length))
        return kIOReturnBadArgument;
    IOAddressSegment where{};
    if (netdext_segments(offset, length, &where, 1) != 1) {
        // FIXME: a contiguous view of non-adjacent ranges would need the pages to be shareable
        // (memfd-backed); no driver has needed one yet.
        netdext::log_linef(netdext::LogLevel::error,
                           "IOMemoryDescriptor::CreateMapping: [%llu, +%llu) spans memory that is "
                           "not contiguous in this process; netdext cannot map it",
                           static_cast<unsigned long long>(offset),
                           static_cast<unsigned long long>(length));
        return kIOReturnUnsupported;
    }
    // netdext: the memory does not move, so `alignment` is not applied and a fixed address is
    // possible only where the memory already is.
    if ((options & kIOMemoryMapFixedAddress) != 0 && address != where.address)
        return kIOReturnUnsupported;
    return IOMemoryMap::netdext_create(this, options, where.address, offset, length, map);
}

kern_return_t IOMemoryDescriptor::CreateSubMemoryDescriptor(uint64_t memoryDescriptorCreateOptions,
                                                            uint64_t offset, uint64_t length,
                                                            IOMemoryDescriptor *ofDescriptor,
                                                            IOMemoryDescriptor **memory) {
    if (memory == nullptr || ofDescriptor == nullptr || length == 0)
        return kIOReturnBadArgument;
    *memory = nullptr;
    Ranges pieces;
    uint64_t options;
    {
        std::lock_guard lock(ofDescriptor->ivars->mutex);
        if (!slice(ofDescriptor->ivars->ranges, offset, length, pieces))
            return kIOReturnBadArgument;
        options = ofDescriptor->ivars->options;
    }
    IOMemoryDescriptor *created = netdext::new_object<IOMemoryDescriptor>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    // netdext: without direction bits the slice keeps its parent's direction.
    if ((memoryDescriptorCreateOptions & kIOMemoryDirectionOutIn) != 0)
        options = memoryDescriptorCreateOptions;
    ofDescriptor->retain();
    created->ivars->owners.push_back(ofDescriptor);
    created->ivars->ranges = std::move(pieces);
    created->ivars->options = options;
    *memory = created;
    return kIOReturnSuccess;
}

kern_return_t IOMemoryDescriptor::CreateWithMemoryDescriptors(
    uint64_t memoryDescriptorCreateOptions, uint32_t withDescriptorsCount,
    IOMemoryDescriptor **const withDescriptors, IOMemoryDescriptor **memory) {
    if (memory == nullptr || withDescriptors == nullptr || withDescriptorsCount == 0)
        return kIOReturnBadArgument;
    *memory = nullptr;
    for (uint32_t i = 0; i < withDescriptorsCount; ++i)
        if (withDescriptors[i] == nullptr)
            return kIOReturnBadArgument;
    IOMemoryDescriptor *created = netdext::new_object<IOMemoryDescriptor>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    uint64_t directions = 0;
    for (uint32_t i = 0; i < withDescriptorsCount; ++i) {
        IOMemoryDescriptor *part = withDescriptors[i];
        {
            std::lock_guard lock(part->ivars->mutex);
            for (const IOAddressSegment &range : part->ivars->ranges) {
                Ranges &ranges = created->ivars->ranges;
                if (!ranges.empty() &&
                    ranges.back().address + ranges.back().length == range.address)
                    ranges.back().length += range.length;
                else if (range.length != 0)
                    ranges.push_back(range);
            }
            directions |= part->ivars->options & kIOMemoryDirectionOutIn;
        }
        part->retain();
        created->ivars->owners.push_back(part);
    }
    // netdext: without direction bits the whole takes the union of its parts' directions.
    created->ivars->options = (memoryDescriptorCreateOptions & kIOMemoryDirectionOutIn) != 0
                                  ? memoryDescriptorCreateOptions
                                  : (memoryDescriptorCreateOptions | directions);
    *memory = created;
    return kIOReturnSuccess;
}

kern_return_t IOMemoryDescriptor::netdext_create_with_range(uint64_t options, void *address,
                                                            uint64_t length, OSObject *owner,
                                                            IOMemoryDescriptor **memory) {
    if (memory == nullptr || (address == nullptr && length != 0))
        return kIOReturnBadArgument;
    *memory = nullptr;
    IOMemoryDescriptor *created = netdext::new_object<IOMemoryDescriptor>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    created->netdext_set_range(address, length);
    created->ivars->options = options;
    if (owner != nullptr) {
        owner->retain();
        created->ivars->owners.push_back(owner);
    }
    *memory = created;
    return kIOReturnSuccess;
}

// ---- IOMemoryMap -----------------------------------------------------------------------------

kern_return_t IOMemoryMap::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

bool IOMemoryMap::init() {
    if (!OSObject::init())
        return false;
    ivars = new IOMemoryMap_IVars;
    return true;
}

void IOMemoryMap::free() {
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->memory);
        delete ivars;
        ivars = nullptr;
    }
    OSObject::free();
}

kern_return_t IOMemoryMap::netdext_create(IOMemoryDescriptor *memory, uint64_t options,
                                          uint64_t address, uint64_t offset, uint64_t length,
                                          IOMemoryMap **map) {
    if (memory == nullptr || map == nullptr)
        return kIOReturnBadArgument;
    *map = nullptr;
    auto *created = netdext::new_object<IOMemoryMap>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    memory->retain();
    created->ivars->memory = memory;
    created->ivars->options = options;
    created->ivars->address = address;
    created->ivars->offset = offset;
    created->ivars->length = length;
    *map = created;
    return kIOReturnSuccess;
}

uint64_t IOMemoryMap::GetAddress() {
    return ivars->address;
}
uint64_t IOMemoryMap::GetLength() {
    return ivars->length;
}
uint64_t IOMemoryMap::GetOffset() {
    return ivars->offset;
}
IOMemoryDescriptor *IOMemoryMap::netdext_memory() const {
    return ivars->memory;
}

kern_return_t IOMemoryMap::_CopyState(_IOMemoryMapPrivateState *state) {
    if (state == nullptr)
        return kIOReturnBadArgument;
    state->length = ivars->length;
    state->offset = ivars->offset;
    state->options = ivars->options;
    state->address = ivars->address;
    return kIOReturnSuccess;
}
