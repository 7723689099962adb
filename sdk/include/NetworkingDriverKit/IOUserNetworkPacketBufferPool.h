/*
 * NetworkingDriverKit/IOUserNetworkPacketBufferPool.h — the packets and buffers an interface's
 * four queues share.
 *
 * netdext: CreateWithOptions asks the family (netdextd, or the driver test bench) for the pool;
 * its memory is shared with the system and sealed against resizing. Only packetCount,
 * bufferCount, bufferSize and maxBuffersPerPacket of the options are read — memorySegmentSize,
 * poolFlags other than the four PoolFlag bits, dmaSpecification and _resv are ignored (Apple's
 * sample leaves them uninitialised). Every packet object exists from creation; the pool owns them.
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKPACKETBUFFERPOOL_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKPACKETBUFFERPOOL_H

#include <DriverKit/IOService.h>
#include <NetworkingDriverKit/IOUserNetworkPacket.h>

class IOMemoryDescriptor;
struct IOUserNetworkPacketBufferPool_IVars;
namespace netdext {
struct PoolState;
}

class IOUserNetworkPacketBufferPool : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IOUserNetworkPacketBufferPool, OSObject)

    bool init() override;
    void free() override;

    static kern_return_t CreateWithOptions(IOService *device, const char name[1024],
                                           const IOUserNetworkPacketBufferPoolOptions *options,
                                           IOUserNetworkPacketBufferPool **pool);
    static kern_return_t Create(OSObject *poolOwner, const char name[1024], uint32_t packetCount,
                                uint32_t bufferCount, uint32_t bufferSize,
                                IOUserNetworkPacketBufferPool **pool);

    virtual kern_return_t DeallocatePacket(IOUserNetworkPacket *packet);
    virtual kern_return_t DeallocatePackets(IOUserNetworkPacket **packets, uint32_t packetsCount);
    /* A descriptor (+1) over the pool's whole shared region (header, packet descriptors and
     * buffers: IOUserNetworkPacket::getMemorySegmentOffset() is an offset into it). It keeps the
     * pool alive; the memory stays the pool's. */
    virtual kern_return_t CopyMemoryDescriptor(IOMemoryDescriptor **memory);
    virtual kern_return_t GetPacketCount(uint32_t *count);
    virtual kern_return_t GetBufferCount(uint32_t *count);

    /* NDK 2.x. Public drivers call both allocatePacket(&packet) and
     * allocatePacket(&packet, kIOUserNetworkNonBlocking), so `options` has a default; its value
     * is not published (netdext: non-blocking, which is all netdext does). */
    IOReturn allocatePacket(IOUserNetworkPacket **packet,
                            IOOptionBits options = kIOUserNetworkNonBlocking);
    IOReturn deallocatePacket(IOUserNetworkPacket *packet);
    IOReturn deallocatePackets(IOUserNetworkPacket **packets, uint32_t count);
    IOReturn newPacket(IOUserNetworkPacketDescriptor *descriptor, IOUserNetworkPacket **packet);
    IOService *getPoolOwnerDevice();
    static IOUserNetworkPacketBufferPool *withName(const char *poolName, OSObject *owner,
                                                   IONetworkPacketType packetType,
                                                   const IOUserNetworkPacketBufferPoolOptions *options);
    bool initWithName(const char *poolName, OSObject *owner, IONetworkPacketType packetType,
                      const IOUserNetworkPacketBufferPoolOptions *options) NETDEXT_UNSUPPORTED;

    /* Deprecated spellings still found in drivers. */
    kern_return_t AllocatePacket(IOUserNetworkPacket **packet);

    /* netdext: the pool's shared state (for the packet queues and the family). */
    netdext::PoolState *netdext_state() const;

private:
    IOUserNetworkPacketBufferPool_IVars *ivars = nullptr;
};

extern OSMetaClass *gIOUserNetworkPacketBufferPoolMetaClass;

#endif
