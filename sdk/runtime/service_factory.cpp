// netdext::create_service: a personality's IOUserClass → an init()ed IOService, or the reason why
// not, worded for the driver's author (netdext-host, netdext-sim and the bench print it).

#include <DriverKit/IOService.h>
#include <netdext/runtime.h>

#include <strings.h>

#include "internal.h"

namespace netdext {
namespace {

ServiceCreation failure(kern_return_t status, std::string reason) {
    ServiceCreation result;
    result.status = status;
    result.reason = std::move(reason);
    return result;
}

// "A : B : OSObject", the class's chain as registered.
std::string class_chain(const OSMetaClass *meta) {
    std::string chain;
    for (; meta != nullptr; meta = meta->getSuperClass()) {
        if (!chain.empty())
            chain += " : ";
        chain += meta->getClassName();
    }
    return chain;
}

} // namespace

ServiceCreation create_service(const std::string &class_name) {
    const OSMetaClass *meta = OSMetaClass::find(class_name.c_str());
    if (meta == nullptr) {
        std::string reason = "no class named \"" + class_name +
                             "\" is registered: the personality's IOUserClass must name a class "
                             "declared in the driver's .iig";
        for (const std::string &name : registered_class_names())
            if (strcasecmp(name.c_str(), class_name.c_str()) == 0)
                reason += " (did you mean \"" + name + "\"? class names are case-sensitive)";
        return failure(kIOReturnNotFound, std::move(reason));
    }
    if (meta->isAbstract())
        return failure(kIOReturnUnsupported,
                       "class \"" + class_name +
                           "\" is abstract (it has pure virtual methods) and cannot be created");
    bool is_service = false;
    for (const OSMetaClass *m = meta; m != nullptr; m = m->getSuperClass())
        is_service = is_service || m == gIOServiceMetaClass;
    if (!is_service)
        return failure(kIOReturnUnsupported,
                       "class \"" + class_name + "\" (" + class_chain(meta) +
                           ") is not an IOService: IOUserClass must name an IOService subclass");
    OSObject *object = meta->alloc();
    IOService *service = OSDynamicCast(IOService, object);
    if (service == nullptr) {
        if (object != nullptr)
            object->release();
        return failure(kIOReturnNoMemory, "class \"" + class_name + "\" could not be allocated");
    }
    if (!service->init()) {
        service->release();
        return failure(kIOReturnNoMemory, class_name + "::init() returned false");
    }
    ServiceCreation result;
    result.service = service;
    result.status = kIOReturnSuccess;
    return result;
}

} // namespace netdext
