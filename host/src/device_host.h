// DeviceHost: a simulated USB or PCI device inside netdext-host, beside the driver that matched it
// (docs/devices.md, "Devices under netdextd"). The model runs with exactly the driver's
// privilege: the same sandbox, uid and seccomp filter. netdextd names the device; the host builds
// it, plugs it in as the kernel would (DeviceAttachment: the family's providers, matching, the
// transport entitlement) and starts the driver on the provider the daemon matched.
//
// Its cable is a SOCK_SEQPACKET socket the daemon passes with AttachDevice (one frame per
// datagram, FdWire); netdextd pumps the other end to the device's TAP and checks every frame.
//
// Threads: the main thread (ControlLoop) calls everything. The model's own deliveries run on the
// wire's thread and the driver's queues. A DeviceHost outlives the DriverRunner that started the
// driver on its provider (main.cpp declares it first).
#pragma once

#include "control_link.h"

#include <netdext/bundle/bundle.h>

#include <memory>
#include <string>

namespace netdext::model {
class Device;
class FdWire;
}
namespace netdext::testing {
class DeviceAttachment;
}

namespace netdext::host {

class DriverRunner;

class DeviceHost {
public:
    DeviceHost(ControlLink &link, DriverRunner &runner, bundle::Bundle bundle);
    ~DeviceHost(); // the cable first, then the providers, then the model
    DeviceHost(const DeviceHost &) = delete;
    DeviceHost &operator=(const DeviceHost &) = delete;

    // AttachDevice: creates the device, checks the match, connects the cable, replies
    // DeviceAttached and — on success — posts the driver's Start on the provider.
    void attach(shm::ipc::ReceivedMessage &message);
    // DetachDevice: surprise removal (in-flight I/O fails, the family terminates the provider).
    // The caller then stops the driver.
    void remove();
    // SetDeviceKnob → DeviceKnobSet; QueryDevice → DeviceCounters.
    void set_knob(const shm::ipc::ReceivedMessage &message);
    void query(const shm::ipc::ReceivedMessage &message);

    // netdext-host --describe-device SPEC: creates the device, enumerates it and sends one
    // DeviceDescription (the providers, or why there are none). Returns the exit status.
    static int describe(ControlLink &link, const std::string &spec);

private:
    void refuse(uint64_t sequence, int32_t status, const std::string &reason);

    ControlLink &m_link;
    DriverRunner &m_runner;
    bundle::Bundle m_bundle;
    std::shared_ptr<model::Device> m_device;
    std::unique_ptr<testing::DeviceAttachment> m_attachment;
    std::unique_ptr<model::FdWire> m_wire;
};

} // namespace netdext::host
