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
    // The hardware assists the driver has now (NetDextHardwareAssists); the host answers in
    // order, so the reply is in before the snapshot that follows.
    if (m_interface)
        call(Call::GetHardwareAssists, 0, [this](int32_t status, uint32_t value) {
            if (status == 0)
                m_registry.set_hardware_assists(value);
        });
    auto sent = m_channel->send(RegistryRequest{});
    if (!sent)
        return done();
    m_registry.expect(sent.value(), std::move(done));
}

netdext::registry::DriverServiceDescription DextSession::describe_service() const {
    LinkView link;
    if (m_interface) {
        link.name = m_interface->name();
        link.unit = m_interface->unit();
        std::optional<netlink::LinkState> state = m_network->link_state(m_interface->ifindex());
        link.up = state && state->admin_up() && !finished();
        link.promiscuous = state && state->promiscuous();
        link.all_multicast = state && state->all_multicast();
    }
    link.mtu = m_driver_mtu;
    link.max_mtu = m_max_mtu;
    return m_registry.describe(m_interface.get(), link);
}

// `ip -d link` shows who drives the interface; `ethtool` the link the driver reported.
void DextSession::show_driver_to_linux() {
    if (!m_interface)
        return;
    const std::string alias =
        m_options.interface_alias.empty() ? m_bundle.bundle_id : m_options.interface_alias;
    if (auto r = m_network->set_link_alias(m_interface->ifindex(), alias); !r)
        log("netdextd: setting the alias of %s: %s", m_interface->name().c_str(),
            r.error().describe().c_str());
    apply_link_settings();
}

// ethtool's Speed and Duplex: the active medium's while the link is up (kIOUserNetworkLinkStatus
// Active), "Unknown!" otherwise — as a NIC without link shows them.
void DextSession::apply_link_settings() {
    if (!m_interface)
        return;
    const uint32_t active = 0x3; // kIOUserNetworkLinkStatusActive
    const bool up = (m_registry.link_status() & active) == active;
    const uint32_t medium = m_registry.active_medium();
    const uint64_t speed = up ? netdext::registry::link_speed_of_medium(medium) : 0;
    std::optional<bool> full_duplex;
    if (up && speed != 0)
        full_duplex = netdext::registry::medium_is_full_duplex(medium);
    auto r = m_interface->tap().set_link_settings(uint32_t(speed / 1000000), full_duplex);
    if (!r && !r.error().is(EOPNOTSUPP))
        log("netdextd: setting the link speed of %s: %s", m_interface->name().c_str(),
            r.error().describe().c_str());
}

// NetworkingDriverKit has no call to change a registered interface's MAC (the driver gave it at
// RegisterEthernetInterface): the kernel's and the driver's MACs must not drift apart, so a
// change made with `ip link set … address` is put back. `ip` has returned 0 by then (the kernel
// accepted it; nothing asks the daemon first); the log says why and the MAC is the driver's again.
void DextSession::refuse_mac_change(const MacAddress &wanted) {
    if (!m_interface)
        return;
    log("netdextd: MAC %s refused on %s (NetworkingDriverKit has no call to change it); putting "
        "back %s",
        wanted.to_string().c_str(), m_interface->name().c_str(), m_mac.to_string().c_str());
    if (auto r = m_interface->tap().set_mac(m_mac); !r)
        log("netdextd: putting back MAC %s failed: %s", m_mac.to_string().c_str(),
            r.error().describe().c_str());
}

} // namespace netdext::daemon
