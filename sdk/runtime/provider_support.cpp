// Registry properties of provider nubs (provider_support.h).

#include <DriverKit/OSCollections.h>
#include <netdext/family_port.h>
#include <netdext/runtime.h>

#include "provider_support.h"

namespace netdext {

namespace {
void store(IOService *service, const char *key, OSObject *value) {
    if (value == nullptr)
        return;
    service->netdext_set_property(key, value);
    value->release();
}
} // namespace

void set_number_property(IOService *service, const char *key, uint64_t value, size_t bits) {
    store(service, key, OSNumber::withNumber(value, bits));
}

void set_data_property(IOService *service, const char *key, const void *bytes, size_t length) {
    store(service, key, OSData::withBytes(bytes, length));
}

void set_string_property(IOService *service, const char *key, const char *value) {
    store(service, key, OSString::withCString(value));
}

void report_provider_misuse(const OSObject *object, const std::string &what) {
    if (FamilyPort *port = family_port())
        port->report_misuse(object, what);
    else
        log_linef(LogLevel::error, "%s: %s", object ? object->GetClassName() : "?", what.c_str());
}

} // namespace netdext
