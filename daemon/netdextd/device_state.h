// What netdextd keeps about simulated devices (devices.cpp; docs/devices.md): the devices that
// are attached, the probes describing devices about to be, and the requests waiting for a
// driver's host to answer. Only devices.cpp and the daemon's destructor see it.
//
// Threads: the daemon's main thread (a DeviceWire's pump is its own).
#pragma once

#include "device_probe.h"
#include "device_spec.h"
#include "device_wire.h"

#include "control_server.h"
#include "tap/tap_device.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netdext::daemon {

struct AttachedDevice {
    uint64_t id = 0;
    devices::DeviceSpec spec;
    devices::DeviceDescription description;
    std::string driver_key;  // the driver it is bound to (one device per driver)
    std::string identifier;  // … its bundle ID
    std::string personality; // the personality that matched
    size_t provider = 0;     // index into description.providers: the driver's provider
    std::optional<tap::TapDevice> tap;        // the cable's far end (none: --wire none)
    std::unique_ptr<devices::DeviceWire> wire; // pumps between the TAP and the host
    uint64_t session_serial = 0; // the session AttachDevice went to (0: not sent)
    bool attached = false;       // that host built the device and started the driver
    bool removing = false;       // detached: waiting for the driver to stop
    std::string note;            // the last thing that went wrong, for `device list`
    std::map<std::string, std::string> knobs; // set with `device set` since it was attached
    std::optional<control_server::Responder> attach_request; // answered at DeviceAttached
};

// A device request waiting for a driver's host to reply.
struct HostQuery {
    uint64_t serial = 0;   // the session it went to
    uint64_t sequence = 0; // … and the message's sequence
    uint16_t reply_type = 0;
    std::chrono::steady_clock::time_point deadline;
    // Called once: with the reply, or with nullptr when the host did not answer in time or went.
    std::function<void(const shm::ipc::ReceivedMessage *reply)> done;
};

struct PendingProbe {
    std::unique_ptr<DeviceProbe> probe;
    control_server::Responder respond;
    devices::DeviceSpec spec;
    devices::WireSpec wire;
};

struct DeviceState {
    std::map<uint64_t, AttachedDevice> devices; // by id
    uint64_t next_id = 1;
    std::map<uint64_t, PendingProbe> probes; // by probe serial (its epoll tag)
    uint64_t next_probe = 1;
    std::vector<HostQuery> queries;
};

} // namespace netdext::daemon
