// netdext::ioreturn_name / describe_return: kern_return_t values by their IOReturn.h names.

#include <DriverKit/IOReturn.h>
#include <netdext/runtime.h>

#include <cstdio>

namespace netdext {
namespace {

struct ReturnName {
    kern_return_t value;
    const char *name;
};

#define NETDEXT_NAME(name) {name, #name}
constexpr ReturnName kNames[] = {
    NETDEXT_NAME(kIOReturnSuccess),
    NETDEXT_NAME(kIOReturnError),
    NETDEXT_NAME(kIOReturnNoMemory),
    NETDEXT_NAME(kIOReturnNoResources),
    NETDEXT_NAME(kIOReturnIPCError),
    NETDEXT_NAME(kIOReturnNoDevice),
    NETDEXT_NAME(kIOReturnNotPrivileged),
    NETDEXT_NAME(kIOReturnBadArgument),
    NETDEXT_NAME(kIOReturnLockedRead),
    NETDEXT_NAME(kIOReturnLockedWrite),
    NETDEXT_NAME(kIOReturnExclusiveAccess),
    NETDEXT_NAME(kIOReturnBadMessageID),
    NETDEXT_NAME(kIOReturnUnsupported),
    NETDEXT_NAME(kIOReturnVMError),
    NETDEXT_NAME(kIOReturnInternalError),
    NETDEXT_NAME(kIOReturnIOError),
    NETDEXT_NAME(kIOReturnCannotLock),
    NETDEXT_NAME(kIOReturnNotOpen),
    NETDEXT_NAME(kIOReturnNotReadable),
    NETDEXT_NAME(kIOReturnNotWritable),
    NETDEXT_NAME(kIOReturnNotAligned),
    NETDEXT_NAME(kIOReturnBadMedia),
    NETDEXT_NAME(kIOReturnStillOpen),
    NETDEXT_NAME(kIOReturnRLDError),
    NETDEXT_NAME(kIOReturnDMAError),
    NETDEXT_NAME(kIOReturnBusy),
    NETDEXT_NAME(kIOReturnTimeout),
    NETDEXT_NAME(kIOReturnOffline),
    NETDEXT_NAME(kIOReturnNotReady),
    NETDEXT_NAME(kIOReturnNotAttached),
    NETDEXT_NAME(kIOReturnNoChannels),
    NETDEXT_NAME(kIOReturnNoSpace),
    NETDEXT_NAME(kIOReturnPortExists),
    NETDEXT_NAME(kIOReturnCannotWire),
    NETDEXT_NAME(kIOReturnNoInterrupt),
    NETDEXT_NAME(kIOReturnNoFrames),
    NETDEXT_NAME(kIOReturnMessageTooLarge),
    NETDEXT_NAME(kIOReturnNotPermitted),
    NETDEXT_NAME(kIOReturnNoPower),
    NETDEXT_NAME(kIOReturnNoMedia),
    NETDEXT_NAME(kIOReturnUnformattedMedia),
    NETDEXT_NAME(kIOReturnUnsupportedMode),
    NETDEXT_NAME(kIOReturnUnderrun),
    NETDEXT_NAME(kIOReturnOverrun),
    NETDEXT_NAME(kIOReturnDeviceError),
    NETDEXT_NAME(kIOReturnNoCompletion),
    NETDEXT_NAME(kIOReturnAborted),
    NETDEXT_NAME(kIOReturnNoBandwidth),
    NETDEXT_NAME(kIOReturnNotResponding),
    NETDEXT_NAME(kIOReturnIsoTooOld),
    NETDEXT_NAME(kIOReturnIsoTooNew),
    NETDEXT_NAME(kIOReturnNotFound),
    NETDEXT_NAME(kIOReturnInvalid),
};
#undef NETDEXT_NAME

} // namespace

const char *ioreturn_name(kern_return_t kr) {
    for (const ReturnName &entry : kNames)
        if (entry.value == kr)
            return entry.name;
    return nullptr;
}

std::string describe_return(kern_return_t kr) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(kr));
    const char *name = ioreturn_name(kr);
    return name != nullptr ? std::string(name) + " (" + hex + ")" : std::string(hex);
}

} // namespace netdext
