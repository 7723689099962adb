// IOUserNetworkPacketPoller (NDK 2.x): declared for source compatibility; netdext's family has no
// polling mode, so a poller cannot be created (drivers fall back to interrupt-style completion).

#include <netdext/iig_support.h>

#include "state.h"

NETDEXT_DEFINE_CLASS(IOUserNetworkPacketPoller, OSObject, nullptr, 0)

kern_return_t IOUserNetworkPacketPoller::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

IOUserNetworkPacketPoller *IOUserNetworkPacketPoller::poller(OSObject *, IODispatchQueue *,
                                                             PollAction, EventAction, IOOptionBits,
                                                             void *) {
    return nullptr;
}
bool IOUserNetworkPacketPoller::initPoller(OSObject *, IODispatchQueue *, PollAction, EventAction,
                                           IOOptionBits, void *) {
    return false;
}
void IOUserNetworkPacketPoller::enable() {}
void IOUserNetworkPacketPoller::disable() {}
IOReturn IOUserNetworkPacketPoller::setPollerParameters(const IOUserNetworkPacketPollerParameters *) {
    return kIOReturnUnsupported;
}
IOReturn IOUserNetworkPacketPoller::applyPollerParameters(
    const _IOUserNetworkPacketPollerParameters *) {
    return kIOReturnUnsupported;
}
IOReturn IOUserNetworkPacketPoller::updatePacketCounters(uint32_t, uint32_t) {
    return kIOReturnUnsupported;
}
void IOUserNetworkPacketPoller::pollerEngine(bool, uint64_t) {}
