/*
 * NetworkingDriverKit/IOUserNetworkTxCompletionQueue.h — sent frames handed back (driver → system). See IOUserNetworkPacketQueue.h.
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKTXCOMPLETIONQUEUE_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKTXCOMPLETIONQUEUE_H

#include <NetworkingDriverKit/IOUserNetworkPacketQueue.h>

class IOUserNetworkTxCompletionQueue : public IOUserNetworkPacketQueue {
public:
    NETDEXT_PACKET_QUEUE_MEMBERS(TxCompletion)
    static IOUserNetworkTxCompletionQueue *withPool(IOUserNetworkPacketBufferPool *pool,
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
extern OSMetaClass *gIOUserNetworkTxCompletionQueueMetaClass;

#endif
