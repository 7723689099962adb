// Calls from the system into a driver, the IOUserResources provider, and IOUserServer.

#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOUserServer.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>
#include <netdext/system_calls.h>

#include <mutex>
#include <utility>

namespace netdext {

kern_return_t call_on_method_queue(OSObject *target, uint64_t msgid,
                                   Block<kern_return_t()> call) {
    if (target == nullptr)
        return kIOReturnBadArgument;
    return call_on_named_queue(target, target->getMetaClass()->queueNameForMethod(msgid),
                               std::move(call));
}

kern_return_t call_on_named_queue(OSObject *target, const char *queue_name,
                                  Block<kern_return_t()> call) {
    if (target == nullptr)
        return kIOReturnBadArgument;
    IODispatchQueue *queue = nullptr;
    kern_return_t kr = target->CopyDispatchQueue(queue_name, &queue);
    if (kr != kIOReturnSuccess || queue == nullptr)
        return kIOReturnNotReady;
    kern_return_t result = kIOReturnAborted;
    if (queue->OnQueue())
        result = call();
    else
        queue->DispatchSync([&] { result = call(); });
    queue->release();
    return result;
}

} // namespace netdext

// DriverKit: software drivers match on IOUserResources (IOResourceMatch IOKit).
class IOUserResources : public IOService {
public:
    NETDEXT_CLASS_MEMBERS(IOUserResources, IOService)
};
extern OSMetaClass *gIOUserResourcesMetaClass;
NETDEXT_DEFINE_CLASS(IOUserResources, IOService, nullptr, 0)

kern_return_t IOUserResources::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return IOService::_Dispatch(object, rpc);
}

IOService *netdext::user_resources() {
    static std::once_flag once;
    static IOService *resources = nullptr; // lives for the process
    std::call_once(once, [] {
        auto *created = new IOUserResources;
        if (created->init()) {
            created->SetName("IOUserResources");
            created->Start(nullptr);
            resources = created;
            // It lives as long as the process, like a static: leave it out of the count of
            // live objects that leak checks compare.
            runtime_stats().live_objects.fetch_sub(1, std::memory_order_relaxed);
        } else {
            created->release();
        }
    });
    return resources;
}

// ---- IOUserServer: declared for source compatibility (the server is netdext-host itself) ----

NETDEXT_DEFINE_CLASS(IOUserServer, IOService, nullptr, 0)

kern_return_t IOUserServer::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return IOService::_Dispatch(object, rpc);
}

kern_return_t IOUserServer::Create(const char *, uint64_t, uint64_t, OSString *,
                                   IOUserServer **server) {
    if (server != nullptr)
        *server = nullptr;
    return kIOReturnUnsupported;
}

kern_return_t IOUserServer::Exit(const char *) { return kIOReturnUnsupported; }

kern_return_t IOUserServer::LoadModule(const char *) { return kIOReturnUnsupported; }
