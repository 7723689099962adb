// IOBufferMemoryDescriptor: zeroed, page-aligned anonymous pages owned by the descriptor.
//
// The pages come from mmap (zero-filled by the kernel). Where the platform has MAP_32BIT
// (x86-64), they are asked for below 2 GiB first, so that a device whose DMA reaches only 32 bits
// can use them with the identity device addressing of IODMACommand; when that window is full the
// pages come from anywhere and IODMACommand refuses what the device cannot reach.

#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <netdext/iig_support.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>

#include "internal.h"

struct IOBufferMemoryDescriptor_IVars {
    void *mapping = nullptr; // owned: mapping_size bytes from mmap
    size_t mapping_size = 0;
    uint8_t *base = nullptr; // the buffer: `alignment`-aligned, inside the mapping
    uint64_t capacity = 0;
    std::mutex mutex;
    uint64_t length = 0; // current length, <= capacity
};

NETDEXT_DEFINE_CLASS(IOBufferMemoryDescriptor, IOMemoryDescriptor, nullptr, 0)

namespace {

uint64_t page_size() {
    return uint64_t(sysconf(_SC_PAGESIZE));
}

void *map_anonymous(size_t size, int extra_flags) {
    void *mapping = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    return mapping == MAP_FAILED ? nullptr : mapping;
}

// `size` bytes of zeroed pages, preferably at a low address (see the top of the file).
void *map_pages(size_t size) {
#ifdef MAP_32BIT
    if (void *low = map_anonymous(size, MAP_32BIT))
        return low;
#endif
    return map_anonymous(size, 0);
}

// Allocates `size` bytes (a multiple of the page size) aligned to `alignment` (a power of two,
// at least a page): over-allocates and gives the slack at both ends back.
bool allocate(uint64_t size, uint64_t alignment, IOBufferMemoryDescriptor_IVars &out) {
    uint64_t page = page_size();
    uint64_t slack = alignment > page ? alignment - page : 0;
    if (size > SIZE_MAX - slack)
        return false;
    size_t mapped = size_t(size + slack);
    auto *mapping = static_cast<uint8_t *>(map_pages(mapped));
    if (mapping == nullptr)
        return false;
    uintptr_t start = reinterpret_cast<uintptr_t>(mapping);
    uintptr_t aligned = (start + (alignment - 1)) & ~uintptr_t(alignment - 1);
    size_t head = aligned - start;
    size_t tail = mapped - head - size_t(size);
    if (head != 0)
        munmap(mapping, head);
    if (tail != 0)
        munmap(reinterpret_cast<uint8_t *>(aligned) + size, tail);
    out.mapping = reinterpret_cast<void *>(aligned);
    out.mapping_size = size_t(size);
    out.base = reinterpret_cast<uint8_t *>(aligned);
    return true;
}

} // namespace

kern_return_t IOBufferMemoryDescriptor::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return IOMemoryDescriptor::_Dispatch(object, rpc);
}

kern_return_t IOBufferMemoryDescriptor::Create(uint64_t options, uint64_t capacity,
                                               uint64_t alignment,
                                               IOBufferMemoryDescriptor **memory) {
    if (memory == nullptr)
        return kIOReturnBadArgument;
    *memory = nullptr;
    // DriverKit: only the direction bits are create options of a buffer.
    if ((options & ~uint64_t(kIOMemoryDirectionOutIn | kIOMemoryDisableCopyOnWrite)) != 0 ||
        capacity == 0 || (alignment & (alignment - 1)) != 0)
        return kIOReturnBadArgument;
    uint64_t page = page_size();
    if (alignment < page)
        alignment = page;
    if (capacity > UINT64_MAX - (page - 1) || alignment > (uint64_t(1) << 40))
        return kIOReturnBadArgument;
    uint64_t size = (capacity + page - 1) & ~(page - 1);

    auto *created = netdext::new_object<IOBufferMemoryDescriptor>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    if (!allocate(size, alignment, *created->ivars)) {
        created->release();
        return kIOReturnNoMemory;
    }
    created->ivars->capacity = capacity;
    created->ivars->length = capacity;
    created->netdext_set_range(created->ivars->base, capacity);
    created->netdext_set_options(options);
    *memory = created;
    return kIOReturnSuccess;
}

bool IOBufferMemoryDescriptor::init() {
    if (!IOMemoryDescriptor::init())
        return false;
    ivars = new IOBufferMemoryDescriptor_IVars;
    return true;
}

void IOBufferMemoryDescriptor::free() {
    if (ivars != nullptr) {
        // Every map, slice and DMA preparation retains this descriptor, so nothing can still
        // refer to the pages.
        if (ivars->mapping != nullptr)
            munmap(ivars->mapping, ivars->mapping_size);
        delete ivars;
        ivars = nullptr;
    }
    IOMemoryDescriptor::free();
}

kern_return_t IOBufferMemoryDescriptor::GetAddressRange(IOAddressSegment *range) {
    if (range == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    range->address = reinterpret_cast<uint64_t>(ivars->base);
    range->length = ivars->length;
    return kIOReturnSuccess;
}

kern_return_t IOBufferMemoryDescriptor::SetLength(uint64_t length) {
    std::lock_guard lock(ivars->mutex);
    if (length > ivars->capacity)
        return kIOReturnNoSpace;
    ivars->length = length;
    netdext_set_range(ivars->base, length);
    return kIOReturnSuccess;
}

uint64_t IOBufferMemoryDescriptor::netdext_capacity() const {
    return ivars->capacity;
}
