/*
 * netdext/service_observer.h — how "the system" (netdext-host or the driver test bench) hears
 * about IOService calls that are requests to it: RegisterService and Terminate.
 */
#ifndef _NETDEXT_SERVICE_OBSERVER_H
#define _NETDEXT_SERVICE_OBSERVER_H

#include <DriverKit/IOReturn.h>
#include <stdint.h>

class IOService;

namespace netdext {

class ServiceObserver {
public:
    virtual ~ServiceObserver() = default;
    virtual void service_registered(IOService * /*service*/) {}
    virtual kern_return_t service_terminate_requested(IOService * /*service*/, uint64_t /*options*/) {
        return kIOReturnSuccess;
    }
};

/* Installs the observer (nullptr: none); returns the previous one. */
ServiceObserver *set_service_observer(ServiceObserver *observer);

} // namespace netdext

#endif
