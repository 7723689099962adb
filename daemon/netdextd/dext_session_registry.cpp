// DextSession's I/O Registry view and what Linux tools show of the driver (docs/registry.md):
// the snapshot requests, the service's description, the interface alias, ethtool's speed and
// duplex, and refusing MAC changes. The rest of the session is in dext_session.cpp.

#include "dext_session.h"

#include <netdext/registry/network.h>

namespace netdext::daemon {

using namespace netdext::protocol;

void DextSession::request_registry(std::function<void()> done) {
    if (!m_channel || finished() || !m_started ||
        m_registry.pending() >= SessionRegistry::kMaxPendingRequests)
        return done(); // nothing to ask (or it does not answer): the last snapshot stands
    // The hardware assists each driver has now (NetDextHardwareAssists); the host answers in
    // order, so the replies are in before the snapshot that follows.
    for (auto &[id, p] : m_ports)
        if (p.interface)
            call(p, Call::GetHardwareAssists, 0, [this, id = id](int32_t status, uint32_t value) {
                if (status == 0)
                    m_registry.set_hardware_assists(id, value);
            });
    auto sent = m_channel->send(RegistryRequest{});
    if (!sent)
        return done();
    m_registry.expect(sent.value(), std::move(done));
}

netdext::registry::DriverServiceDescription DextSession::describe_service() const {
    std::vector<PortView> views;
    for (const auto &[id, p] : m_ports) {
        if (!p.interface)
            continue;
        PortView view;
        view.interface_id = id;
        view.iface = p.interface.get();
        LinkView &link = view.link;
        link.name = view.iface->name();
        link.unit = view.iface->unit();
        std::optional<netlink::LinkState> state = m_network->link_state(view.iface->ifindex());
        link.up = state && state->admin_up() && !finished();
        link.promiscuous = state && state->promiscuous();
        link.all_multicast = state && state->all_multicast();
        link.mtu = p.driver_mtu;
        link.max_mtu = p.max_mtu;
        views.push_back(std::move(view));
    }
    return m_registry.describe(views);
}

// `ip -d link` shows who drives the interface; `ethtool` the link the driver reported.
void DextSession::show_driver_to_linux(Port &port) {
    if (!port.interface)
        return;
    const std::string alias =
        m_options.interface_alias.empty() ? m_bundle.bundle_id : m_options.interface_alias;
    if (auto r = m_network->set_link_alias(port.interface->ifindex(), alias); !r)
        log("netdextd: setting the alias of %s: %s", port.interface->name().c_str(),
            r.error().describe().c_str());
    apply_link_settings(port);
}

// ethtool's Speed and Duplex: the active medium's while the link is up (kIOUserNetworkLinkStatus
// Active), "Unknown!" otherwise — as a NIC without link shows them.
void DextSession::apply_link_settings(Port &port) {
    if (!port.interface)
        return;
    const uint32_t active = 0x3; // kIOUserNetworkLinkStatusActive
    const bool up = (port.link_status & active) == active;
    const uint32_t medium = port.media;
    const uint64_t speed = up ? netdext::registry::link_speed_of_medium(medium) : 0;
    std::optional<bool> full_duplex;
    if (up && speed != 0)
        full_duplex = netdext::registry::medium_is_full_duplex(medium);
    auto r = port.interface->tap().set_link_settings(uint32_t(speed / 1000000), full_duplex);
    if (!r && !r.error().is(EOPNOTSUPP))
        log("netdextd: setting the link speed of %s: %s", port.interface->name().c_str(),
            r.error().describe().c_str());
}

// NetworkingDriverKit has no call to change a registered interface's MAC (the driver gave it at
// RegisterEthernetInterface): the kernel's and the driver's MACs must not drift apart, so a
// change made with `ip link set … address` is put back. `ip` has returned 0 by then (the kernel
// accepted it; nothing asks the daemon first); the log says why and the MAC is the driver's again.
void DextSession::refuse_mac_change(Port &port, const MacAddress &wanted) {
    if (!port.interface)
        return;
    log("netdextd: MAC %s refused on %s (NetworkingDriverKit has no call to change it); putting "
        "back %s",
        wanted.to_string().c_str(), port.interface->name().c_str(), port.mac.to_string().c_str());
    if (auto r = port.interface->tap().set_mac(port.mac); !r)
        log("netdextd: putting back MAC %s failed: %s", port.mac.to_string().c_str(),
            r.error().describe().c_str());
}

} // namespace netdext::daemon
