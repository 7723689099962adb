// InterfaceSlot (see interface_slot.h).

#include "interface_slot.h"

#include "daemon_log.h"

namespace netdext::daemon {

tap::FrameDevice *InterfaceSlot::attach(SessionNetwork &network, const MacAddress &mac,
                                        uint32_t queues, bool &fresh, std::string &error) {
    fresh = m_tap == nullptr;
    if (fresh) {
        Result<std::unique_ptr<tap::FrameDevice>> created = Error::from_errno(ENODEV, "no name");
        if (!m_preferred.empty()) {
            created = network.create_device(m_preferred, queues);
            if (!created)
                daemon_log::say(daemon_log::Level::warning, "", m_preferred,
                                "cannot have %s back (%s); taking the next free %s",
                                m_preferred.c_str(), created.error().describe().c_str(),
                                m_pattern.c_str());
        }
        if (!created)
            created = network.create_device(m_pattern, queues);
        if (!created) {
            error = "creating the TAP " + m_pattern + ": " + created.error().describe();
            return nullptr;
        }
        m_tap = created.release_value();
        m_name = m_tap->name();
        m_preferred = m_name;
        if (!m_capture_dir.empty() && !m_capture) {
            m_capture = FrameCapture::open(m_capture_dir, m_name, error);
            if (!m_capture) {
                m_tap.reset();
                return nullptr;
            }
        }
    }
    if (!m_mac || *m_mac != mac) {
        if (auto r = m_tap->set_mac(mac); !r) {
            error = "setting the MAC of " + m_name + ": " + r.error().describe();
            return nullptr;
        }
        m_mac = mac;
    }
    return m_tap.get();
}

void InterfaceSlot::release() {
    release_own();
    for (auto &[id, sibling] : m_siblings)
        sibling->release();
}

void InterfaceSlot::release_own() {
    m_tap.reset();
    m_mac.reset();
    m_capture.reset();
    m_offloads_off = 0;
}

std::shared_ptr<InterfaceSlot> InterfaceSlot::sibling(uint32_t interface_id) {
    std::shared_ptr<InterfaceSlot> &slot = m_siblings[interface_id];
    if (!slot)
        slot = std::make_shared<InterfaceSlot>(m_pattern, "", m_capture_dir);
    return slot;
}

bool InterfaceSlot::owns_mac(const MacAddress &mac, std::string *name,
                             const InterfaceSlot *except) const {
    if (this != except && m_tap && m_mac == mac) {
        if (name)
            *name = m_name;
        return true;
    }
    for (const auto &[id, sibling] : m_siblings)
        if (sibling->owns_mac(mac, name, except))
            return true;
    return false;
}

InterfaceSlot *InterfaceSlot::slot_with_mac(const MacAddress &mac) {
    if (m_tap && m_mac == mac)
        return this;
    for (auto &[id, sibling] : m_siblings)
        if (InterfaceSlot *found = sibling->slot_with_mac(mac))
            return found;
    return nullptr;
}

void InterfaceSlot::swap_interface(InterfaceSlot &other) {
    std::swap(m_tap, other.m_tap);
    std::swap(m_mac, other.m_mac);
    std::swap(m_name, other.m_name);
    std::swap(m_preferred, other.m_preferred);
    std::swap(m_capture, other.m_capture);
    std::swap(m_offloads_off, other.m_offloads_off);
}

std::vector<std::string> InterfaceSlot::interface_names() const {
    std::vector<std::string> names;
    if (m_tap)
        names.push_back(m_name);
    for (const auto &[id, sibling] : m_siblings)
        for (std::string &name : sibling->interface_names())
            names.push_back(std::move(name));
    return names;
}

} // namespace netdext::daemon
