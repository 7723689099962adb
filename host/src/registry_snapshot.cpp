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

std::string RegistryReporter::state_of(IOService *service, const std::vector<IOService *> &ports) {
    std::string state = properties_of(service);
    for (IOService *port : ports) {
        uint64_t id = 0;
        (void)port->GetRegistryEntryID(&id);
        state += "\n" + std::to_string(id) + " " + properties_of(port);
    }
    return state;
}

void RegistryReporter::send(IOService *service, const std::string &user_class,
                            const std::vector<IOService *> &ports, uint64_t request) {
    if (service == nullptr)
        return;
    send_document(service, user_class, ports, state_of(service, ports), request);
}

void RegistryReporter::send_if_changed(IOService *service, const std::string &user_class,
                                       const std::vector<IOService *> &ports) {
    if (service == nullptr)
        return;
    std::string state = state_of(service, ports);
    if (state != m_last_state)
        send_document(service, user_class, ports, std::move(state), 0);
}

namespace {

registry::Entry entry_of(IOService *service, std::string name) {
    registry::Entry entry;
    entry.name = std::move(name);
    entry.class_name = service->GetClassName();
    (void)service->GetRegistryEntryID(&entry.id);
    OSDictionary *properties = nullptr;
    if (service->CopyProperties(&properties) == kIOReturnSuccess) {
        entry.properties = registry::from_os_object(properties);
        OSSafeReleaseNULL(properties);
    }
    return entry;
}

} // namespace

void RegistryReporter::send_document(IOService *service, const std::string &user_class,
                                     const std::vector<IOService *> &ports, std::string state,
                                     uint64_t request) {
    registry::Entry entry = entry_of(service, user_class);
    for (IOService *port : ports) {
        registry::Entry child = entry_of(port, port->GetClassName());
        // Without the reference the caller holds to hand it here.
        const uint32_t count = uint32_t(port->getRetainCount());
        child.retain_count = count > 1 ? count - 1 : count;
        entry.children.push_back(std::move(child));
    }
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
    m_last_state = std::move(state);
    // A failed send: the daemon went away, or is not reading; it keeps the last snapshot.
    (void)protocol::send_snapshot_chunks(document, request, [this](const RegistrySnapshot &chunk) {
        return bool(m_link.send(chunk));
    });
}

} // namespace netdext::host
