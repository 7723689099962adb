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

namespace {

// An entry's name, class, ID and properties (its retain count is filled in last, when sent).
registry::Entry entry_of(IOService *service, std::string name) {
    registry::Entry entry;
    entry.name = std::move(name);
    entry.class_name = service->GetClassName();
    (void)service->GetRegistryEntryID(&entry.id);
    entry.properties = registry::properties_of(service);
    return entry;
}

} // namespace

registry::Entry RegistryReporter::tree_of(IOService *service, const std::string &user_class,
                                          const std::vector<IOService *> &ports) {
    registry::Entry entry = entry_of(service, user_class);
    for (IOService *port : ports)
        entry.children.push_back(entry_of(port, port->GetClassName()));
    return entry;
}

void RegistryReporter::send(IOService *service, const std::string &user_class,
                            const std::vector<IOService *> &ports, uint64_t request) {
    if (service == nullptr)
        return;
    registry::Entry tree = tree_of(service, user_class, ports);
    std::string state = registry::to_json(tree);
    send_document(service, ports, std::move(tree), std::move(state), request);
}

void RegistryReporter::send_if_changed(IOService *service, const std::string &user_class,
                                       const std::vector<IOService *> &ports) {
    if (service == nullptr)
        return;
    registry::Entry tree = tree_of(service, user_class, ports);
    std::string state = registry::to_json(tree);
    if (state != m_last_state)
        send_document(service, ports, std::move(tree), std::move(state), 0);
}

void RegistryReporter::send_document(IOService *service, const std::vector<IOService *> &ports,
                                     registry::Entry entry, std::string state, uint64_t request) {
    for (size_t i = 0; i < ports.size(); ++i) {
        // Without the reference the caller holds to hand it here.
        const uint32_t count = uint32_t(ports[i]->getRetainCount());
        entry.children[i].retain_count = count > 1 ? count - 1 : count;
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
