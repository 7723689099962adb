/*
 * NetworkingDriverKit/IOUserNetworkRxCompletionQueue.h — received frames (driver → system). See IOUserNetworkPacketQueue.h.
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKRXCOMPLETIONQUEUE_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKRXCOMPLETIONQUEUE_H

#include <NetworkingDriverKit/IOUserNetworkPacketQueue.h>

class IOUserNetworkRxCompletionQueue : public IOUserNetworkPacketQueue {
public:
    NETDEXT_PACKET_QUEUE_MEMBERS(RxCompletion)
    static IOUserNetworkRxCompletionQueue *withPool(IOUserNetworkPacketBufferPool *pool,
                                                    uint32_t capacity,
                                                    IOUserNetworkPacketQueueId queueId,
                                                    OSObject *target, EnqueueAction enqueueAction,
                                                    void *refCon = nullptr,
                                                    IOOptionBits options = 0);
    bool initWithPool(IOUserNetworkPacketBufferPool *pool, uint32_t capacity,
                      IOUserNetworkPacketQueueId queueId, OSObject *target,
                      EnqueueAction enqueueAction, void *refCon = nullptr,
                      IOOptionBits options = 0);
    IOReturn setPacketPoller(IOUserNetworkPacketPoller *poller) NETDEXT_UNSUPPORTED;
};
extern OSMetaClass *gIOUserNetworkRxCompletionQueueMetaClass;

#endif
