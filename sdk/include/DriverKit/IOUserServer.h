/*
 * DriverKit/IOUserServer.h — the object that represents a dext's process to the system.
 *
 * netdext: Xcode's DriverKit template includes this header, so it exists; the server object
 * itself belongs to netdext-host (one process per dext) and is not created by drivers. The
 * calls below are for driver code that asks its server to exit or load a module: netdext-host
 * does not offer them (kIOReturnUnsupported); docs/api-coverage.md lists them.
 */
#ifndef _DRIVERKIT_IOUSERSERVER_H
#define _DRIVERKIT_IOUSERSERVER_H

#include <DriverKit/IOService.h>

class OSString;

class IOUserServer : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(IOUserServer, IOService)

    static kern_return_t Create(const char name[64], uint64_t tag, uint64_t options,
                                OSString *bundleID, IOUserServer **server) NETDEXT_UNSUPPORTED;
    kern_return_t Exit(const char reason[1024]) NETDEXT_UNSUPPORTED;
    kern_return_t LoadModule(const char path[1024]) NETDEXT_UNSUPPORTED;
};

extern OSMetaClass *gIOUserServerMetaClass;

#endif /* _DRIVERKIT_IOUSERSERVER_H */
