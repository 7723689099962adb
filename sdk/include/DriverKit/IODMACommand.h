/*
 * DriverKit/IODMACommand.h — turns memory into the addresses a device uses for DMA.
 *
 * netdext: for a device the system put behind a simulated IOMMU (netdext/iommu.h — every
 * IOPCIDevice), PrepareForDMA maps each range of the memory and returns I/O virtual addresses
 * below maxAddressBits, as DriverKit's DART does; CompleteDMA unmaps them. For other devices the
 * device address of a byte is its address in this process (identity IOVA): PrepareForDMA returns
 * the descriptor's ranges for [offset, offset + length), adjacent ones merged, and refuses with
 * kIOReturnNotPermitted (after logging why) when a segment ends above maxAddressBits. Nothing is
 * copied or bounced.
 * One preparation at a time per command; calls on one command must not race (as in DriverKit).
 */
#ifndef _DRIVERKIT_IODMACOMMAND_H
#define _DRIVERKIT_IODMACOMMAND_H

#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/IOService.h>

/* DriverKit: IODMACommand::Create options. */
enum {
    kIODMACommandCreateNoOptions = 0,
};

/* DriverKit: IODMACommand::PrepareForDMA options. */
enum {
    kIODMACommandPrepareForDMANoOptions = 0,
};

/* DriverKit: IODMACommand::CompleteDMA options. */
enum {
    kIODMACommandCompleteDMANoOptions = 0,
};

/* DriverKit: IODMACommand::PerformOperation options (exactly one). */
enum {
    kIODMACommandPerformOperationOptionRead = 0x00000001,  /* prepared memory -> data */
    kIODMACommandPerformOperationOptionWrite = 0x00000002, /* data -> prepared memory */
    kIODMACommandPerformOperationOptionZero = 0x00000004,  /* zero prepared memory; data NULL */
};

/* DriverKit: IODMACommandSpecification options. */
enum {
    kIODMACommandSpecificationNoOptions = 0,
};

/* What the device can address. maxAddressBits 0 is taken as 64. */
struct IODMACommandSpecification {
    uint64_t options;
    uint64_t maxAddressBits;
    uint64_t _resv[16];
};

struct IODMACommand_IVars;

class IODMACommand : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IODMACommand, OSObject)

    /*
     * A command (+1) for DMA by `device` (retained) within `specification`. Unknown option bits
     * are ignored.
     */
    static kern_return_t Create(IOService *device, uint64_t options,
                                const IODMACommandSpecification *specification,
                                IODMACommand **command);

    bool init() override;
    void free() override;

    /*
     * Prepares [offset, offset + length) of `memory` (retained until CompleteDMA; length 0 means
     * "to the end"). On entry *segmentsCount is the room in `segments` (at most 32 are used);
     * on return it is the number filled. *flags gets the memory's kIOMemoryDirection* bits.
     * kIOReturnBusy if already prepared; kIOReturnBadArgument for a range outside the memory;
     * kIOReturnOverrun if the memory needs more segments than there is room for;
     * kIOReturnNotPermitted if a segment is beyond maxAddressBits. (Apple declares `segments`
     * as IOAddressSegment[32]; the pointer is the same type and spares GCC users a warning when
     * they pass a smaller array with a matching count.)
     */
    virtual kern_return_t PrepareForDMA(uint64_t options, IOMemoryDescriptor *memory,
                                        uint64_t offset, uint64_t length, uint64_t *flags,
                                        uint32_t *segmentsCount, IOAddressSegment *segments);
    /* Ends the preparation and releases the memory; kIOReturnNotReady if not prepared. */
    virtual kern_return_t CompleteDMA(uint64_t options);
    /*
     * The current preparation; each pointer may be NULL. *memory is +1 (as every object that
     * comes back from the kernel in DriverKit): release it. kIOReturnNotReady if not prepared.
     */
    virtual kern_return_t GetPreparation(uint64_t *offset, uint64_t *length,
                                         IOMemoryDescriptor **memory);
    /*
     * Copies between the prepared memory at dmaOffset (relative to the prepared offset) and
     * `data` at dataOffset, or zeroes prepared memory, per `options`. kIOReturnNotReady if not
     * prepared; kIOReturnBadArgument for other options or a range outside either side.
     */
    kern_return_t PerformOperation(uint64_t options, uint64_t dmaOffset, uint64_t length,
                                   uint64_t dataOffset, IOMemoryDescriptor *data);

    /* netdext: the device Create was given (+0). */
    IOService *netdext_device() const;

private:
    IODMACommand_IVars *ivars = nullptr;
};

extern OSMetaClass *gIODMACommandMetaClass;

#endif /* _DRIVERKIT_IODMACOMMAND_H */
