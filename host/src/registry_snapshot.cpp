// The service's registry snapshot, sent to netdextd (see registry_snapshot.h).

#include "registry_snapshot.h"

#include <DriverKit/IOService.h>
#include <netdext/registry/os_value.h>
#include <netdext/registry/wire.h>
#include <netdext/runtime.h>

#include <algorithm>
#include <cstring>

namespace netdext::host {

using protocol::RegistrySnapshot;

std::string RegistryReporter::properties_of(IOService *service) {
    OSDictionary *properties = nullptr;
    registry::Value value = registry::Value::dictionary();
    if (service->CopyProperties(&properties) == kIOReturnSuccess) {
        value = registry::from_os_object(properties);
        OSSafeReleaseNULL(properties);
    }
    return registry::to_json(value);
}

void RegistryReporter::send(IOService *service, const std::string &user_class, uint64_t request) {
    if (service == nullptr)
        return;
    send_document(service, user_class, properties_of(service), request);
}

void RegistryReporter::send_if_changed(IOService *service, const std::string &user_class) {
    if (service == nullptr)
        return;
    std::string properties = properties_of(service);
    if (properties != m_last_properties)
        send_document(service, user_class, properties, 0);
}

void RegistryReporter::send_document(IOService *service, const std::string &user_class,
                                     const std::string &properties, uint64_t request) {
    registry::Entry entry;
    entry.name = user_class;
    entry.class_name = service->GetClassName();
    (void)service->GetRegistryEntryID(&entry.id);
    registry::WireError ignored;
    if (auto value = registry::value_from_json(properties, ignored))
        entry.properties = std::move(*value);
    // Last, so that the count is the object's own, not one a copy above still held.
    entry.retain_count = uint32_t(service->getRetainCount());
    const std::string document = registry::to_json(entry);
    if (document.size() > protocol::kMaxRegistrySnapshotBytes) {
        log_linef(LogLevel::error,
                  "netdext-host: the service's registry entry is %zu bytes, more than netdextd "
                  "takes (%u); ioreg shows the last one that fit",
                  document.size(), protocol::kMaxRegistrySnapshotBytes);
        return;
    }
    m_last_properties = properties;
    // A failed send: the daemon went away, or is not reading; it keeps the last snapshot.
    (void)protocol::send_snapshot_chunks(document, request, [this](const RegistrySnapshot &chunk) {
        return bool(m_link.send(chunk));
    });
}

} // namespace netdext::host
