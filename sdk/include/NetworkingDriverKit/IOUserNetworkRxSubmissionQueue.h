/*
 * NetworkingDriverKit/IOUserNetworkRxSubmissionQueue.h — empty buffers for the driver to fill (system → driver). See IOUserNetworkPacketQueue.h.
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKRXSUBMISSIONQUEUE_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKRXSUBMISSIONQUEUE_H

#include <NetworkingDriverKit/IOUserNetworkPacketQueue.h>

class IOUserNetworkRxSubmissionQueue : public IOUserNetworkPacketQueue {
public:
    NETDEXT_PACKET_QUEUE_MEMBERS(RxSubmission)
    static IOUserNetworkRxSubmissionQueue *withPool(IOUserNetworkPacketBufferPool *pool,
                                                    uint32_t capacity, uint32_t bufferCount,
                                                    IOUserNetworkPacketQueueId queueId,
                                                    OSObject *target, DequeueAction dequeueAction,
                                                    void *refCon = nullptr,
                                                    IOOptionBits options = 0);
    bool initWithPool(IOUserNetworkPacketBufferPool *pool, uint32_t capacity,
                      uint32_t bufferCount, IOUserNetworkPacketQueueId queueId, OSObject *target,
                      DequeueAction dequeueAction, void *refCon = nullptr,
                      IOOptionBits options = 0);
};
extern OSMetaClass *gIOUserNetworkRxSubmissionQueueMetaClass;

#endif
