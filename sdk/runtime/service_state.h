// IOService's private state, shared by service.cpp (lifecycle) and service_properties.cpp.
#pragma once

#include <DriverKit/IOService.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

struct IOService_IVars {
    std::mutex mutex;
    // +1, created by the first write (most services never get one, and the process-lifetime
    // IOUserResources stays a single live object); guarded by mutex.
    OSDictionary *properties = nullptr;
    std::string name;
    IOService *provider = nullptr; // not retained: the provider outlives its clients
    uint64_t registry_id = 0;
    uint32_t power_state = kIOServicePowerCapabilityOff;
    uint32_t busy = 0; // AdjustBusy's count
    bool started = false;
    bool registered = false;
    // Services this one created with IOService::Create (retained; guarded by mutex): the system
    // stops them before their provider (netdext::stop_clients), as the kernel terminates a
    // provider's clients first.
    std::vector<IOService *> clients;
};
