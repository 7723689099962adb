/*
 * DriverKit/IOBufferMemoryDescriptor.h — memory a driver allocates to share with its device
 * (descriptor rings, DMA buffers) or with a client.
 *
 * netdext: Create allocates zeroed, page-aligned pages of this process (aligned further when
 * `alignment` asks for more); they are freed with the descriptor. The length starts at the
 * capacity; SetLength may shrink or regrow it up to the capacity. GetAddressRange gives the
 * buffer's address here, which is also its device address (no IOMMU: see IODMACommand.h).
 * Where the platform can (x86-64's MAP_32BIT), the pages are placed below 2 GiB, so that devices
 * with 32-bit DMA addressing can use them; IODMACommand still checks every segment against its
 * device's maxAddressBits.
 */
#ifndef _DRIVERKIT_IOBUFFERMEMORYDESCRIPTOR_H
#define _DRIVERKIT_IOBUFFERMEMORYDESCRIPTOR_H

#include <DriverKit/IOMemoryDescriptor.h>

struct IOBufferMemoryDescriptor_IVars;

class IOBufferMemoryDescriptor : public IOMemoryDescriptor {
public:
    NETDEXT_CLASS_MEMBERS(IOBufferMemoryDescriptor, IOMemoryDescriptor)

    /*
     * A buffer (+1) of `capacity` bytes. options: kIOMemoryDirection* (and
     * kIOMemoryDisableCopyOnWrite, which changes nothing here); other bits, a zero capacity or an
     * alignment that is not a power of two are kIOReturnBadArgument. alignment 0 means a page.
     */
    static kern_return_t Create(uint64_t options, uint64_t capacity, uint64_t alignment,
                                IOBufferMemoryDescriptor **memory);

    bool init() override;
    void free() override;

    /* The buffer's address in this process and its current length. */
    kern_return_t GetAddressRange(IOAddressSegment *range);
    /* kIOReturnNoSpace above the capacity. */
    kern_return_t SetLength(uint64_t length);

    /* netdext: the capacity Create was given. */
    uint64_t netdext_capacity() const;

private:
    IOBufferMemoryDescriptor_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOBufferMemoryDescriptorMetaClass;

#endif /* _DRIVERKIT_IOBUFFERMEMORYDESCRIPTOR_H */
