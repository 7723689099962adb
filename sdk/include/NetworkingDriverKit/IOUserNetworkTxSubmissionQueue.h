/*
 * NetworkingDriverKit/IOUserNetworkTxSubmissionQueue.h — frames the stack wants sent (system → driver). See IOUserNetworkPacketQueue.h.
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKTXSUBMISSIONQUEUE_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKTXSUBMISSIONQUEUE_H

#include <NetworkingDriverKit/IOUserNetworkPacketQueue.h>

class IOUserNetworkTxSubmissionQueue : public IOUserNetworkPacketQueue {
public:
    NETDEXT_PACKET_QUEUE_MEMBERS(TxSubmission)
    /* DriverKit 24: with a service class. */
    static kern_return_t Create(IOUserNetworkPacketBufferPool *pool, OSObject *owner,
                                IOUserNetworkServiceClass serviceClass, uint32_t capacity,
                                uint32_t queueId, IODispatchQueue *dispatchQueue,
                                IOUserNetworkTxSubmissionQueue **queue);
    /* NDK 2.x: the framework calls dequeueAction to hand packets over. */
    static IOUserNetworkTxSubmissionQueue *withPool(IOUserNetworkPacketBufferPool *pool,
                                                    uint32_t capacity,
                                                    IOUserNetworkPacketQueueId queueId,
                                                    OSObject *target,
                                                    QueryFreeSpaceAction freeSpaceAction,
                                                    DequeueAction dequeueAction,
                                                    void *refCon = nullptr,
                                                    IOOptionBits options = 0);
    static IOUserNetworkTxSubmissionQueue *withPoolAndServiceClass(
        IOUserNetworkPacketBufferPool *pool, IOUserNetworkServiceClass serviceClass,
        uint32_t capacity, IOUserNetworkPacketQueueId queueId, OSObject *target,
        QueryFreeSpaceAction freeSpaceAction, DequeueAction dequeueAction,
        void *refCon = nullptr, IOOptionBits options = 0);
    bool initWithPool(IOUserNetworkPacketBufferPool *pool, uint32_t capacity,
                      IOUserNetworkPacketQueueId queueId, OSObject *target,
                      QueryFreeSpaceAction freeSpaceAction, DequeueAction dequeueAction,
                      void *refCon = nullptr, IOOptionBits options = 0);
    void purgePackets();
};
extern OSMetaClass *gIOUserNetworkTxSubmissionQueueMetaClass;

#endif
