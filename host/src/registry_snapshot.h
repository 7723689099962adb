// The driver service's registry entry as netdext-host reports it to netdextd
// (protocol/registry_messages.h, docs/registry.md): its registry ID, its real retain count and its
// properties — the personality and what the driver set with SetProperties/SetProperty — in the
// registry's typed JSON wire form, cut into RegistrySnapshot chunks.
//
// Threads: the DriverRunner's worker (the only thread that touches the service object).
#pragma once

#include "control_link.h"

#include <cstdint>
#include <string>

class IOService;

namespace netdext::host {

class RegistryReporter {
public:
    explicit RegistryReporter(ControlLink &link) : m_link(link) {}

    // Sends the snapshot of `service` (created from `user_class`), answering the daemon's
    // RegistryRequest `request` (0: unsolicited).
    void send(IOService *service, const std::string &user_class, uint64_t request);
    // Sends an unsolicited one if the properties differ from the last snapshot sent.
    void send_if_changed(IOService *service, const std::string &user_class);

private:
    static std::string properties_of(IOService *service);
    void send_document(IOService *service, const std::string &user_class,
                       const std::string &properties, uint64_t request);

    ControlLink &m_link;
    std::string m_last_properties; // the typed JSON of the properties last sent
};

} // namespace netdext::host
