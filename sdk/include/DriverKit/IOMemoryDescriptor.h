/*
 * DriverKit/IOMemoryDescriptor.h — a description of memory a driver shares with a device or with
 * the system: one or more address ranges, a length, and a transfer direction.
 *
 * netdext: there is no kernel and no IOMMU. A descriptor's ranges are memory of this process:
 * an IOBufferMemoryDescriptor's own pages, a pool's shared region
 * (IOUserNetworkPacketBufferPool::CopyMemoryDescriptor), or slices of other descriptors.
 * CreateMapping does not map anything new: the map's address is where the bytes already are, so a
 * mapping, GetAddressRange and a DMA segment of the same byte all agree. A descriptor keeps
 * whatever owns its memory alive (the pool, the descriptors it slices) until it is freed.
 * Thread-safety: every method may be called from any thread.
 */
#ifndef _DRIVERKIT_IOMEMORYDESCRIPTOR_H
#define _DRIVERKIT_IOMEMORYDESCRIPTOR_H

#include <DriverKit/IOMemoryMap.h> /* drivers call CreateMapping, then map->GetAddress() */
#include <DriverKit/OSObject.h>

class IOService;

/* DriverKit: IOMemoryDescriptor create options (the direction is relative to the device:
 * In = the device writes the memory, Out = the device reads it). */
enum {
    kIOMemoryDirectionNone = 0x00000000,
    kIOMemoryDirectionIn = 0x00000001,
    kIOMemoryDirectionOut = 0x00000002,
    kIOMemoryDirectionOutIn = kIOMemoryDirectionIn | kIOMemoryDirectionOut,
    kIOMemoryDirectionInOut = kIOMemoryDirectionOutIn,
    kIOMemoryDisableCopyOnWrite = 0x00000010,
};

/*
 * DriverKit: IOMemoryDescriptor::CreateMapping options. FixedAddress and ReadOnly are Apple's
 * published values; the guard and cache-mode values follow Apple's IOMemoryDescriptor.iig as far
 * as netdext knows them (unverified against a shipping SDK). netdext honours FixedAddress only
 * when the address is where the memory already is, and ignores the guard, cache and read-only
 * bits (the memory stays writable).
 */
enum {
    kIOMemoryMapFixedAddress = 0x00000001,
    kIOMemoryMapReadOnly = 0x00000002,
    kIOMemoryMapGuardedMask = 0x0000001C,
    kIOMemoryMapGuardedDefault = 0x00000000,
    kIOMemoryMapGuardedNone = 0x00000004,
    kIOMemoryMapGuardedSmall = 0x00000008,
    kIOMemoryMapGuardedLarge = 0x0000000C,
    kIOMemoryMapCacheModeDefault = 0x00000000,
    kIOMemoryMapCacheModeInhibit = 0x00000100,
    kIOMemoryMapCacheModeCopyback = 0x00000200,
    kIOMemoryMapCacheModeWriteThrough = 0x00000400,
    kIOMemoryMapCacheModeRealTime = 0x00000800,
};

/* One contiguous range: a virtual address (GetAddressRange) or a device address (DMA). */
struct IOAddressSegment {
    uint64_t address;
    uint64_t length;
};

/* DriverKit private: what _CopyState reports. */
struct _IOMDPrivateState {
    uint64_t length;
    uint64_t options;
};

struct IOMemoryDescriptor_IVars;

class IOMemoryDescriptor : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IOMemoryDescriptor, OSObject)

    bool init() override;
    void free() override;

    /* The descriptor's length in bytes (an IOBufferMemoryDescriptor's current length). */
    kern_return_t GetLength(uint64_t *returnLength);

    /*
     * A map (+1) of [offset, offset + length) of the memory in this process; length 0 means "to
     * the end". The map keeps the descriptor alive. kIOReturnBadArgument if the range is outside
     * the descriptor; kIOReturnUnsupported if it spans two ranges of a composite descriptor that
     * are not adjacent in memory, or for kIOMemoryMapFixedAddress at another address.
     */
    virtual kern_return_t CreateMapping(uint64_t options, uint64_t address, uint64_t offset,
                                        uint64_t length, uint64_t alignment, IOMemoryMap **map);

    /*
     * DriverKit: maps the memory "internally" and returns the address and length, as
     * CreateMapping of [0, length) (0: all of it) would, without a map object: the address stays
     * valid as long as the descriptor (netdext's memory is always in the driver's process).
     */
    kern_return_t Map(uint64_t options, uint64_t address, uint64_t length, uint64_t alignment,
                      uint64_t *returnAddress, uint64_t *returnLength);

    /* A descriptor (+1) for [offset, offset + length) of ofDescriptor, which it retains.
     * Without kIOMemoryDirection* bits in the options it keeps ofDescriptor's direction. */
    static kern_return_t CreateSubMemoryDescriptor(uint64_t memoryDescriptorCreateOptions,
                                                   uint64_t offset, uint64_t length,
                                                   IOMemoryDescriptor *ofDescriptor,
                                                   IOMemoryDescriptor **memory);
    /* A descriptor (+1) for the concatenation of the given descriptors, which it retains.
     * Without kIOMemoryDirection* bits in the options its direction is the union of theirs. */
    static kern_return_t CreateWithMemoryDescriptors(uint64_t memoryDescriptorCreateOptions,
                                                     uint32_t withDescriptorsCount,
                                                     IOMemoryDescriptor **const withDescriptors,
                                                     IOMemoryDescriptor **memory);

    /* DriverKit private: the length and create options. */
    virtual kern_return_t _CopyState(_IOMDPrivateState *state);

    /*
     * netdext: a descriptor (+1) over `length` bytes at `address` in this process, which it does
     * not own; `owner` (may be NULL) is retained until the descriptor is freed and must keep the
     * memory valid that long. How CopyMemoryDescriptor describes a pool's region.
     */
    static kern_return_t netdext_create_with_range(uint64_t options, void *address, uint64_t length,
                                                   OSObject *owner, IOMemoryDescriptor **memory);
    /* netdext: the direction and other create options (kIOMemoryDirection*). */
    uint64_t netdext_options() const;
    /*
     * netdext: the ranges covering [offset, offset + length) in order, adjacent ones merged, at
     * most `max_segments`; returns how many were written, or 0 if the range is outside the
     * descriptor or needs more segments. With `segments` NULL: how many it needs.
     */
    uint32_t netdext_segments(uint64_t offset, uint64_t length, IOAddressSegment *segments,
                              uint32_t max_segments);
    /* netdext: copies between the descriptor at `offset` and `buffer`; false when out of range. */
    bool netdext_read(uint64_t offset, void *buffer, uint64_t length);
    bool netdext_write(uint64_t offset, const void *buffer, uint64_t length);
    /* netdext: writes `length` zero bytes at `offset`; false when out of range. */
    bool netdext_zero(uint64_t offset, uint64_t length);

protected:
    /* netdext: for subclasses — the memory is one range; `length` may change later. */
    void netdext_set_range(void *address, uint64_t length);
    void netdext_set_options(uint64_t options);

private:
    IOMemoryDescriptor_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOMemoryDescriptorMetaClass;

#endif /* _DRIVERKIT_IOMEMORYDESCRIPTOR_H */
