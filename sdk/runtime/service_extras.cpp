// IOService: power assertions, Stop_async, state notification items, IOReporting, CoreAnalytics
// and platform functions — the parts of DriverKit's IOService that reach system services macOS
// has and Linux does not (what each does here is in IOService.h).

#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOService.h>
#include <DriverKit/OSCollections.h>
#include <netdext/runtime.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace {

struct ProcessState {
    std::mutex mutex;
    std::set<uint64_t> assertions;
    uint64_t next_assertion = 1;
    std::map<std::string, OSDictionary *> items; // +1 each; process lifetime
};

// Deliberately leaked: services may be freed by static destructors after this one would run.
ProcessState &process_state() {
    static ProcessState *state = new ProcessState;
    return *state;
}

} // namespace

kern_return_t IOService::CreatePMAssertion(uint32_t assertionBits, uint64_t *assertionID, bool) {
    if (assertionBits == 0 || assertionID == nullptr)
        return kIOReturnBadArgument;
    ProcessState &state = process_state();
    std::lock_guard lock(state.mutex);
    *assertionID = state.next_assertion++;
    state.assertions.insert(*assertionID);
    return kIOReturnSuccess;
}

kern_return_t IOService::ReleasePMAssertion(uint64_t assertionID) {
    ProcessState &state = process_state();
    std::lock_guard lock(state.mutex);
    return state.assertions.erase(assertionID) > 0 ? kIOReturnSuccess : kIOReturnNotFound;
}

void IOService::Stop_async(IOService *provider) {
    IODispatchQueue *queue = nullptr;
    if (CopyDispatchQueue(kIOServiceDefaultQueueName, &queue) != kIOReturnSuccess ||
        queue == nullptr) {
        (void)Stop(provider);
        return;
    }
    retain();
    IOService *self = this;
    queue->DispatchAsync([self, provider] {
        (void)self->Stop(provider);
        self->release();
    });
    queue->release();
}

kern_return_t IOService::StateNotificationItemCreate(OSString *itemName, OSDictionary *value) {
    if (itemName == nullptr || value == nullptr)
        return kIOReturnBadArgument;
    ProcessState &state = process_state();
    std::lock_guard lock(state.mutex);
    auto [it, inserted] = state.items.emplace(itemName->getCStringNoCopy(), nullptr);
    if (!inserted)
        return kIOReturnExclusiveAccess;
    it->second = OSDictionary::withDictionary(value, 0);
    return it->second != nullptr ? kIOReturnSuccess : kIOReturnNoMemory;
}

kern_return_t IOService::StateNotificationItemSet(OSString *itemName, OSDictionary *value) {
    if (itemName == nullptr || value == nullptr)
        return kIOReturnBadArgument;
    OSDictionary *copy = OSDictionary::withDictionary(value, 0);
    if (copy == nullptr)
        return kIOReturnNoMemory;
    ProcessState &state = process_state();
    std::lock_guard lock(state.mutex);
    auto it = state.items.find(itemName->getCStringNoCopy());
    if (it == state.items.end()) {
        copy->release();
        return kIOReturnNotFound;
    }
    it->second->release();
    it->second = copy;
    return kIOReturnSuccess;
}

kern_return_t IOService::StateNotificationItemCopy(OSString *itemName, OSDictionary **value) {
    if (itemName == nullptr || value == nullptr)
        return kIOReturnBadArgument;
    ProcessState &state = process_state();
    std::lock_guard lock(state.mutex);
    auto it = state.items.find(itemName->getCStringNoCopy());
    if (it == state.items.end())
        return kIOReturnNotFound;
    *value = OSDictionary::withDictionary(it->second, 0);
    return *value != nullptr ? kIOReturnSuccess : kIOReturnNoMemory;
}

kern_return_t IOService::CopySystemStateNotificationService(IOService **) {
    return kIOReturnUnsupported;
}

IOReturn IOService::ConfigureReport(OSData *channels, uint32_t action, uint32_t *outCount,
                                    OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return ConfigureReport_Impl(channels, action, outCount);
    return netdext::call_super<IOReturn, OSData *, uint32_t, uint32_t *>(
        this, IOService_ConfigureReport_ID, supermethod, channels, action, outCount);
}

IOReturn IOService::UpdateReport(OSData *channels, uint32_t action, uint32_t *outElementCount,
                                 uint64_t offset, uint64_t capacity, IOMemoryDescriptor *buffer,
                                 OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return UpdateReport_Impl(channels, action, outElementCount, offset, capacity, buffer);
    return netdext::call_super<IOReturn, OSData *, uint32_t, uint32_t *, uint64_t, uint64_t,
                               IOMemoryDescriptor *>(this, IOService_UpdateReport_ID, supermethod,
                                                     channels, action, outElementCount, offset,
                                                     capacity, buffer);
}

IOReturn IOService::ConfigureReport_Impl(OSData *, uint32_t, uint32_t *) {
    return kIOReturnUnsupported;
}

IOReturn IOService::UpdateReport_Impl(OSData *, uint32_t, uint32_t *, uint64_t, uint64_t,
                                      IOMemoryDescriptor *) {
    return kIOReturnUnsupported;
}

IOReturn IOService::SetLegend(OSArray *legend, bool is_public) {
    if (legend == nullptr)
        return kIOReturnBadArgument;
    OSDictionary *properties = OSDictionary::withCapacity(2);
    if (properties == nullptr)
        return kIOReturnNoMemory;
    properties->setObject("IOReportLegend", legend);
    properties->setObject("IOReportLegendPublic", is_public ? kOSBooleanTrue : kOSBooleanFalse);
    IOReturn kr = SetProperties(properties);
    properties->release();
    return kr;
}

kern_return_t IOService::CoreAnalyticsSendEvent(uint64_t, OSString *eventName,
                                                OSDictionary *eventPayload) {
    if (eventName == nullptr || eventPayload == nullptr)
        return kIOReturnBadArgument;
    netdext::log_linef(netdext::LogLevel::debug, "%s: CoreAnalytics event %s (%u keys)",
                       GetClassName(), eventName->getCStringNoCopy(),
                       eventPayload->getCount());
    return kIOReturnSuccess;
}

kern_return_t IOService::CallPlatformFunction(OSString *, bool, OSDictionary *,
                                              OSDictionary **outParam) {
    if (outParam != nullptr)
        *outParam = nullptr;
    return kIOReturnUnsupported;
}
