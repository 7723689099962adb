// DriverBench's devices: attach (providers, matching, entitlement, Start), surprise removal, and
// the device's cable.

#include <netdext/model/device.h>
#include <netdext/runtime.h>
#include <netdext/virtual_clock.h>
#include <netdext/system_calls.h>
#include <netdext/testing/driver_bench.h>

#include <netdext/bundle/registry_properties.h>

#include "bench_devices.h"
#include "fake_family.h"

namespace netdext::testing {

kern_return_t DriverBench::attach_device(std::shared_ptr<model::Device> device) {
    if (!device)
        return kIOReturnBadArgument;
    if (m_devices->attachment || m_service != nullptr)
        return kIOReturnBusy;
    std::string error;
    const bundle::Bundle *bundle = m_devices->bundle ? &*m_devices->bundle : nullptr;
    auto attachment = DeviceAttachment::create(device, bundle, error);
    settle();
    if (!attachment) {
        m_family->report_misuse(nullptr, "attach_device: " + error);
        return kIOReturnNoDevice;
    }
    m_devices->match_log = attachment->log();
    if (model::FramePort *port = device->wire()) {
        auto wire = std::make_shared<BenchDevices::Wire>();
        VirtualClock *clock = &m_family->clock();
        port->connect([wire, clock](std::span<const uint8_t> frame) {
            std::lock_guard lock(wire->mutex);
            wire->frames.push_back(Frame{clock->now_ns(ClockDomain::uptime),
                                         std::vector<uint8_t>(frame.begin(), frame.end())});
        });
        m_devices->wire = wire;
    }
    kern_return_t verdict = attachment->verdict();
    const bundle::Personality *personality = attachment->personality();
    m_devices->attachment = std::move(attachment);
    {
        std::lock_guard lock(m_family->mutex);
        m_family->note_call("AttachDevice(" + device->model() + ") -> " +
                            (verdict == kIOReturnSuccess  ? "matched " + (personality ? personality->name : m_class_name)
                             : verdict == kIOReturnNotPermitted ? std::string("not entitled")
                                                                : std::string("no match")));
    }
    if (verdict != kIOReturnSuccess)
        return verdict;
    if (personality != nullptr) {
        // The winning personality's class and registry properties, as the kernel starts it.
        m_class_name = personality->user_class;
        OSSafeReleaseNULL(m_properties);
        m_properties = bundle::registry_properties(*m_devices->bundle, *personality);
    }
    return start();
}

kern_return_t DriverBench::detach_device() {
    if (!m_devices->attachment)
        return kIOReturnNotAttached;
    {
        std::lock_guard lock(m_family->mutex);
        m_family->note_call("DetachDevice(" + m_devices->attachment->device()->model() + ")");
    }
    m_devices->attachment->device()->remove(); // in-flight work fails; the family terminates
    settle();
    kern_return_t kr = kIOReturnSuccess;
    if (m_service != nullptr)
        kr = stop(); // the kernel stops a driver whose provider terminated
    m_devices->release_device();
    settle();
    return kr;
}

std::shared_ptr<model::Device> DriverBench::device() const {
    return m_devices->attachment ? m_devices->attachment->device() : nullptr;
}

IOService *DriverBench::provider() const {
    if (m_devices->attachment && m_devices->attachment->provider() != nullptr)
        return m_devices->attachment->provider();
    return user_resources();
}

std::vector<std::string> DriverBench::match_log() const { return m_devices->match_log; }

std::vector<Frame> DriverBench::take_from_wire() {
    std::vector<Frame> out;
    if (m_devices->wire) {
        std::lock_guard lock(m_devices->wire->mutex);
        out.swap(m_devices->wire->frames);
    }
    return out;
}

bool DriverBench::send_from_wire(std::span<const uint8_t> frame) {
    std::shared_ptr<model::Device> device = this->device();
    model::FramePort *port = device ? device->wire() : nullptr;
    if (port == nullptr)
        return false;
    bool taken = port->deliver(frame);
    settle();
    return taken;
}

} // namespace netdext::testing
