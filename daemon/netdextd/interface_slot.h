// InterfaceSlot: an extension's network interface, apart from any one driver process. The TAP
// (and with it the interface's name, ifindex, addresses and routes, which the kernel keeps on
// the device) lives in the slot; a DextSession only borrows it while its driver runs. So when
// the driver is replaced by another version, restarted, or (later) relaunched after a crash, the
// next session re-attaches to the same en<N> and the stack sees only the carrier go down and up.
//
// The slot is released — the TAP closed, the interface deleted — when the extension is
// uninstalled, when its driver gives the interface up while running (UnregisterInterface), when
// the administrator deletes the link, and when netdextd stops.
//
// A dext that registers several interfaces (a multi-port driver, several services) has one slot
// per interface id: the first is the extension's own (its Driver keeps it), the others are its
// siblings (sibling(id)), kept by the first and released with it.
//
// Threads: the daemon's main thread. The TAP's data path is used by the frame mover of the
// session attached at the time (NetInterface), never by two at once.
#pragma once

#include "frame_capture.h"
#include "session_ports.h"
#include "tap/frame_device.h"

#include <map>
#include <memory>
#include <vector>
#include <optional>
#include <string>

namespace netdext::daemon {

class InterfaceSlot {
public:
    // `name_pattern` ("en%d") names a new interface; `preferred_name` ("en0", may be empty) is
    // the name the extension had before (tried first, so a restart gives it back).
    InterfaceSlot(std::string name_pattern, std::string preferred_name, std::string capture_dir)
        : m_pattern(std::move(name_pattern)), m_preferred(std::move(preferred_name)),
          m_capture_dir(std::move(capture_dir)) {}

    // The TAP for a driver registering an interface with `mac`: the kept one (its MAC updated
    // if the new driver has another), or a new one made by `network` (a real TAP, or a test's
    // fake) with `queues` queues. `fresh` tells which. nullptr and `error` on failure. (A kept
    // TAP keeps its queues: a driver with more queue sets shares them among fewer movers.)
    tap::FrameDevice *attach(SessionNetwork &network, const MacAddress &mac, uint32_t queues,
                             bool &fresh, std::string &error);
    // Closes the TAP: the interface and its addresses disappear (the siblings' too). For the
    // extension as a whole (uninstall); a running driver may still use a sibling's otherwise.
    void release();
    // Closes this slot's TAP only (one interface given up or deleted while the others run).
    void release_own();
    // The slot of interface `interface_id` of the same dext (0: this one), made on first use.
    std::shared_ptr<InterfaceSlot> sibling(uint32_t interface_id);
    // The slot of this tree (this one or a sibling) whose interface has `mac`; nullptr if none.
    InterfaceSlot *slot_with_mac(const MacAddress &mac);
    // Trades interfaces (TAP, MAC, name, capture, offloads switched off) with `other`: a kept
    // interface follows its MAC to the interface id that registers it now.
    void swap_interface(InterfaceSlot &other);
    // Whether this slot or a sibling (other than `except`) has an interface with `mac`; its name
    // in `name`.
    [[nodiscard]] bool owns_mac(const MacAddress &mac, std::string *name = nullptr,
                                const InterfaceSlot *except = nullptr) const;
    // The names of this slot's interface and its siblings' (those that have one).
    [[nodiscard]] std::vector<std::string> interface_names() const;

    [[nodiscard]] bool has_interface() const { return m_tap != nullptr; }
    [[nodiscard]] tap::FrameDevice *tap() { return m_tap.get(); }
    // The interface's name (the last one it had, after a release).
    [[nodiscard]] const std::string &name() const { return m_name; }
    [[nodiscard]] int ifindex() const { return m_tap ? m_tap->ifindex() : 0; }
    [[nodiscard]] std::optional<MacAddress> mac() const { return m_tap ? m_mac : std::nullopt; }
    [[nodiscard]] FrameCapture *capture() { return m_capture.get(); }
    // The kOffload* features (netlink/ethtool_features.h) the user switched off with `ethtool -K`
    // while the TAP offered them: a driver re-attaching to the kept interface gets them off again
    // (a new TUNSETOFFLOAD offers all its assists afresh). Forgotten with the TAP.
    [[nodiscard]] uint32_t offloads_off() const { return m_offloads_off; }
    void set_offloads_off(uint32_t offloads) { m_offloads_off = offloads; }

private:
    std::string m_pattern;
    std::string m_preferred;
    std::string m_capture_dir;
    std::unique_ptr<tap::FrameDevice> m_tap;
    std::optional<MacAddress> m_mac;
    std::string m_name;
    std::unique_ptr<FrameCapture> m_capture;
    uint32_t m_offloads_off = 0;
    std::map<uint32_t, std::shared_ptr<InterfaceSlot>> m_siblings; // by interface id (≥ 1)
};

} // namespace netdext::daemon
