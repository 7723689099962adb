/*
 * NetworkingDriverKit/IOUserNetworkPacket.h — one packet of a buffer pool.
 *
 * netdext: a packet is named by its index in the pool's shared memory; its descriptor (offset,
 * length, link-header length) lives there too. getDataVirtualAddress() is the BUFFER BASE and the
 * frame starts at getDataOffset() (Apple's sample writes at base + offset). Setters refuse an
 * offset + length past the buffer with kIOReturnBadArgument and report the misuse to the family
 * (a test failure under the driver test bench). The driver may touch a packet only while it holds
 * it: from a Dequeue/Allocate until the Enqueue/Deallocate that hands it back.
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKPACKET_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKPACKET_H

#include <DriverKit/OSObject.h>
#include <NetworkingDriverKit/IOUserNetworkTypes.h>

typedef uint32_t IOUserNetworkPacketDirection;
enum {
    kIOUserNetworkPacketDirectionNone = 0,
    kIOUserNetworkPacketDirectionTx = 1,
    kIOUserNetworkPacketDirectionRx = 2,
};

class IOUserNetworkPacketBufferPool;
class IOUserNetworkPacketQueue;
namespace netdext {
struct PacketState;
}

class IOUserNetworkPacket : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IOUserNetworkPacket, OSObject)

    bool init() override;
    void free() override;

    virtual uint64_t getDataVirtualAddress() const;
    virtual uint64_t getDataIOVirtualAddress() const;
    virtual IOUserNetworkPacketBufferPool *getPacketBufferPool() const;
    virtual uint64_t getMemorySegmentOffset() const;
    virtual kern_return_t setDataLength(uint32_t length) final;
    virtual uint32_t getDataLength() const final;
    virtual kern_return_t setDataOffset(uint16_t offset) final;
    virtual uint16_t getDataOffset() const final;
    virtual kern_return_t setDataOffsetAndLength(uint16_t offset, uint32_t length) final;

    /* Deprecated capital-letter accessors (Apple's sample uses Set/GetLinkHeaderLength). */
    kern_return_t SetDataLength(uint32_t length);
    kern_return_t GetDataLength(uint32_t *length) const;
    kern_return_t SetDataOffset(uint16_t offset);
    kern_return_t GetDataOffset(uint16_t *offset) const;
    kern_return_t SetHeadroom(uint8_t headroom);
    kern_return_t GetHeadroom(uint8_t *headroom) const;
    kern_return_t SetLinkHeaderLength(uint8_t length);
    kern_return_t GetLinkHeaderLength(uint8_t *length) const;
    kern_return_t GetMemorySegmentOffset(uint64_t *offset) const;
    kern_return_t GetPacketBufferPool(IOUserNetworkPacketBufferPool **pool) const;

    /* Framework-internal in Apple's SDK. */
    kern_return_t _GetPacketIndex(uint32_t *index) const;
    kern_return_t _Print(uint64_t options) const;

    /* NDK 2.x */
    kern_return_t getTxChecksumInfo(IOUserNetworkPacketTxChecksumFlags *flags, uint16_t *start,
                                    uint16_t *stuff) const;
    uint32_t getTxCsumFlags() const;
    kern_return_t getTSOInfo(uint16_t *segsz, IOUserNetworkPacketTSOFlags *flags) const;
    uint16_t getMSS() const;
    kern_return_t setRxChecksumInfo(IOUserNetworkPacketRxChecksumFlags flags, uint16_t value);
    kern_return_t getRxChecksumInfo(IOUserNetworkPacketRxChecksumFlags *flags,
                                    uint16_t *value) const;
    kern_return_t setLROInfo(IOUserNetworkPacketLROFlags flags, uint8_t segcount);
    kern_return_t setLinkHeaderLength(uint8_t length);
    uint8_t getLinkHeaderLength() const;
    size_t getDataOff() const;
    kern_return_t setDataOff(size_t offset);
    kern_return_t setDataOffAndLen(size_t offset, size_t length);
    kern_return_t setTimestamp(uint64_t timestamp);
    kern_return_t getTimestamp(uint64_t *timestamp) const;
    kern_return_t clearTimestamp();
    bool isTimestampRequested() const;
    kern_return_t getExpiryTime(uint64_t *expiry) const NETDEXT_UNSUPPORTED;
    uint32_t getServiceClass() const;
    bool isLinkBroadcast() const;
    bool isLinkMulticast() const;
    kern_return_t setIsLinkMulticast(bool multicast);
    bool isTransportTrafficBackground() const;
    bool isTransportTrafficRealtime() const;
    void setWakeFlag();
    void setCompletionStatus(IOReturn status);
    uint32_t getTraceID() const;
    void traceEvent(uint32_t event) const;
    kern_return_t prepareWithQueue(IOUserNetworkPacketQueue *queue,
                                   IOUserNetworkPacketDirection direction);
    /* DriverKit 24: hardware VLAN tags need kFeatureHardwareVlan, which netdext's family never
     * enables: getVlanTag returns false (as documented for that case) and setVlanTag, which
     * must not be used then, is reported as misuse. */
    bool getVlanTag(uint16_t *vlanTag) const;
    void setVlanTag(uint16_t vlanTag);
    /* The packet of `pool` that `descriptor` names (+0, as IOUserNetworkPacketBufferPool::
     * newPacket returns it); NULL if it names none. */
    static IOUserNetworkPacket *withPool(IOUserNetworkPacketBufferPool *pool,
                                         IOUserNetworkPacketDescriptor *descriptor,
                                         IOOptionBits options);
    bool initWithPool(IOUserNetworkPacketBufferPool *pool,
                      IOUserNetworkPacketDescriptor *descriptor,
                      IOOptionBits options) NETDEXT_UNSUPPORTED;

    /* netdext: the shared state behind this packet (set up by its pool). */
    netdext::PacketState *netdext_state() const { return m_state; }
    void netdext_bind(netdext::PacketState *state) { m_state = state; }

private:
    netdext::PacketState *m_state = nullptr;
};

extern OSMetaClass *gIOUserNetworkPacketMetaClass;

#endif
