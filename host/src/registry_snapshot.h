// The driver service's registry entry as netdext-host reports it to netdextd
// (protocol/registry_messages.h, docs/registry.md): its registry ID, its real retain count and its
// properties — the personality and what the driver set with SetProperties/SetProperty — in the
// registry's typed JSON wire form, cut into RegistrySnapshot chunks. The services the driver's
// service made that registered an interface (its ports) go as its children, the same way.
//
// Threads: the DriverRunner's worker (the only thread that touches the service object).
#pragma once

#include "control_link.h"

#include <netdext/registry/entry.h>

#include <cstdint>
#include <string>
#include <vector>

class IOService;

namespace netdext::host {

class RegistryReporter {
public:
    explicit RegistryReporter(ControlLink &link) : m_link(link) {}

    // Sends the snapshot of `service` (created from `user_class`), answering the daemon's
    // RegistryRequest `request` (0: unsolicited). `ports` are the services it made that
    // registered an interface (each holding one reference of the caller's, not counted in the
    // retain count reported); they go as its children.
    void send(IOService *service, const std::string &user_class,
              const std::vector<IOService *> &ports, uint64_t request);
    // Sends an unsolicited one if the properties (the service's or a port's) or the ports
    // differ from the last snapshot sent.
    void send_if_changed(IOService *service, const std::string &user_class,
                         const std::vector<IOService *> &ports);

private:
    // The service's entry with its ports' as children, without retain counts (they change with
    // every reference taken, so they are left out of what send_if_changed compares).
    static registry::Entry tree_of(IOService *service, const std::string &user_class,
                                   const std::vector<IOService *> &ports);
    // Sends `entry` (tree_of's, whose typed JSON is `state`) with the retain counts filled in.
    void send_document(IOService *service, const std::vector<IOService *> &ports,
                       registry::Entry entry, std::string state, uint64_t request);

    ControlLink &m_link;
    std::string m_last_state; // the typed JSON of tree_of() last sent
};

} // namespace netdext::host
