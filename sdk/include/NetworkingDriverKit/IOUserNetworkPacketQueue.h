/*
 * NetworkingDriverKit/IOUserNetworkPacketQueue.h — the base of the four packet queues.
 *
 * netdext: each queue is a single-producer single-consumer ring of packet indices in memory
 * shared with the system (netdextd, or the driver test bench):
 *   TX submission  system → driver  frames to send; its data queue's DataAvailable handler runs
 *                                   when packets arrive (and again while any are left)
 *   TX completion  driver → system  sent (or dropped) frames handed back
 *   RX submission  system → driver  empty buffers to fill
 *   RX completion  driver → system  received frames
 * Queues start disabled; the system moves packets only while a queue is enabled. Dequeue* is for
 * submission queues, Enqueue* for completion queues; calls run on the queue's dispatch queue
 * (one thread at a time per queue). A packet enqueued must be held by the driver; on failure the
 * driver still holds it and must DeallocatePacket it.
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKPACKETQUEUE_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKPACKETQUEUE_H

#include <DriverKit/IODataQueueDispatchSource.h>
#include <DriverKit/IODispatchQueue.h>
#include <NetworkingDriverKit/IOUserNetworkPacket.h>
#include <NetworkingDriverKit/IOUserNetworkPacketBufferPool.h>

class IOUserNetworkPacketQueue;
class IOUserNetworkPacketPoller;

/* NDK 2.x C callbacks. */
typedef uint32_t (*DequeueAction)(OSObject *target, IOUserNetworkPacketQueue *queue,
                                  IOUserNetworkPacket **packets, uint32_t count, void *refCon);
typedef uint32_t (*EnqueueAction)(OSObject *target, IOUserNetworkPacketQueue *queue,
                                  IOUserNetworkPacket **packets, uint32_t count, void *refCon);
typedef uint32_t (*QueryFreeSpaceAction)(OSObject *target, IOUserNetworkPacketQueue *queue,
                                         uint32_t *freeSpace);

#define IOUserNetworkPacketQueue_SetEnable_ID netdext::method_id("SetEnable")
#define IOUserNetworkPacketQueue_SetDataQueue_ID netdext::method_id("SetDataQueue")

namespace netdext {
/* Which of the four queues (also the index into an interface's queue array). */
enum class QueueKind : uint8_t { tx_submission = 0, tx_completion = 1, rx_submission = 2, rx_completion = 3 };
struct QueueAttachment;
} // namespace netdext

struct IOUserNetworkPacketQueue_IVars;

class IOUserNetworkPacketQueue : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IOUserNetworkPacketQueue, OSObject)

    bool init() override;
    void free() override;

    kern_return_t SetEnable(bool isEnable, OSDispatchMethod supermethod = NULL);
    virtual kern_return_t SetPacketBufferPool(IOUserNetworkPacketBufferPool *pool);
    virtual kern_return_t SetPacketDirection(IOUserNetworkPacketDirection direction);
    virtual kern_return_t CopyDataQueue(IODataQueueDispatchSource **dataQueue);
    kern_return_t SetDataQueue(IODataQueueDispatchSource *dataQueue,
                               OSDispatchMethod supermethod = NULL);
    virtual kern_return_t EnqueuePacket(IOUserNetworkPacket *packet);
    virtual uint32_t EnqueuePackets(IOUserNetworkPacket **packets, uint32_t packetCount);
    virtual kern_return_t DequeuePacket(IOUserNetworkPacket **packet);
    virtual uint32_t DequeuePackets(IOUserNetworkPacket **packets, uint32_t maxDequeueCount);

    /* NDK 2.x */
    IOReturn setEnable(bool isEnable);
    IOReturn requestDequeue(void *refCon = nullptr, IOOptionBits options = 0);
    IOReturn requestEnqueue(void *refCon = nullptr, IOOptionBits options = 0);
    /* Public drivers call enqueuePackets(packets, count): `options` has a default (value not
     * published; netdext ignores options). */
    IOReturn enqueuePackets(IOUserNetworkPacket **inPackets, uint32_t count,
                            IOOptionBits options = 0);
    IOReturn setPacketPoller(IOUserNetworkPacketPoller *poller) NETDEXT_UNSUPPORTED;

    /* netdext */
    netdext::QueueKind netdext_kind() const;
    uint32_t netdext_capacity() const;
    bool netdext_enabled() const;
    IOUserNetworkPacketBufferPool *netdext_pool() const;
    IODispatchQueue *netdext_dispatch_queue() const;
    /* Binds the queue to its shared ring once the interface is registered (family side). */
    void netdext_attach(netdext::QueueAttachment *attachment);
    void netdext_detach();
    /* Family side: the system produced packets into a submission queue (runs the handler). */
    void netdext_packets_available();

protected:
    /* Concrete queues: common set-up for Create() and the NDK 2.x factories. */
    kern_return_t netdext_setup(netdext::QueueKind kind, IOUserNetworkPacketBufferPool *pool,
                                OSObject *owner, uint32_t capacity, uint32_t queueId,
                                IODispatchQueue *dispatchQueue);
    /* NDK 2.x callback queues: set-up with the driver's C actions. */
    kern_return_t netdext_setup_callbacks(netdext::QueueKind kind,
                                          IOUserNetworkPacketBufferPool *pool, uint32_t capacity,
                                          uint32_t queueId, OSObject *target,
                                          DequeueAction dequeueAction,
                                          EnqueueAction enqueueAction,
                                          QueryFreeSpaceAction freeSpaceAction, void *refCon);
    virtual kern_return_t SetEnable_Impl(bool isEnable);
    virtual kern_return_t SetDataQueue_Impl(IODataQueueDispatchSource *dataQueue);

    IOUserNetworkPacketQueue_IVars *ivars = nullptr;
    template <class Q>
    friend Q *netdext_with_callbacks(netdext::QueueKind, IOUserNetworkPacketBufferPool *,
                                     uint32_t, uint32_t, OSObject *, DequeueAction, EnqueueAction,
                                     QueryFreeSpaceAction, void *);
};

extern OSMetaClass *gIOUserNetworkPacketQueueMetaClass;

/* The members the four concrete queues share (Apple's legacy API); used inside each class. */
#define NETDEXT_PACKET_QUEUE_MEMBERS(Kind)                                                       \
    NETDEXT_CLASS_MEMBERS(IOUserNetwork##Kind##Queue, IOUserNetworkPacketQueue)                   \
    static kern_return_t Create(IOUserNetworkPacketBufferPool *pool, OSObject *owner,             \
                                uint32_t capacity, uint32_t queueId,                              \
                                IODispatchQueue *dispatchQueue, IOUserNetwork##Kind##Queue **queue); \
    bool init() override;                                                                         \
    void free() override;                                                                         \
                                                                                                  \
protected:                                                                                        \
    kern_return_t SetEnable_Impl(bool isEnable) override;                                         \
                                                                                                  \
public:

#endif
