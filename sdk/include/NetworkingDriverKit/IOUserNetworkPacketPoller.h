/*
 * NetworkingDriverKit/IOUserNetworkPacketPoller.h — NDK 2.x receive polling.
 * netdext: declared for source compatibility; creating a poller returns NULL (no polling mode in
 * netdext's family yet; see docs/api-coverage.md).
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKPACKETPOLLER_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKPACKETPOLLER_H

#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/OSAction.h>
#include <NetworkingDriverKit/IOUserNetworkTypes.h>

class IOUserNetworkPacketPoller;
typedef int (*PollAction)(OSObject *target, IOUserNetworkPacketPoller *poller, void *refCon);
typedef int (*EventAction)(OSObject *target, IOUserNetworkPacketPoller *poller, uint32_t event,
                           void *refCon);
struct _IOUserNetworkPacketPollerParameters;

class IOUserNetworkPacketPoller : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IOUserNetworkPacketPoller, OSObject)
    static IOUserNetworkPacketPoller *poller(OSObject *target, IODispatchQueue *queue,
                                             PollAction pollAction, EventAction eventAction,
                                             IOOptionBits options, void *refCon) NETDEXT_UNSUPPORTED;
    bool initPoller(OSObject *target, IODispatchQueue *queue, PollAction pollAction,
                    EventAction eventAction, IOOptionBits options, void *refCon) NETDEXT_UNSUPPORTED;
    void enable() NETDEXT_UNSUPPORTED;
    void disable() NETDEXT_UNSUPPORTED;
    IOReturn setPollerParameters(const IOUserNetworkPacketPollerParameters *parameters) NETDEXT_UNSUPPORTED;
    IOReturn applyPollerParameters(const _IOUserNetworkPacketPollerParameters *parameters) NETDEXT_UNSUPPORTED;
    IOReturn updatePacketCounters(uint32_t packetCount, uint32_t byteCount) NETDEXT_UNSUPPORTED;
    void pollerEngine(bool timerPoll, uint64_t now) NETDEXT_UNSUPPORTED;
};
extern OSMetaClass *gIOUserNetworkPacketPollerMetaClass;

#endif
