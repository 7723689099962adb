// DeviceHost: a device model beside the driver in netdext-host (see device_host.h).

#include "device_host.h"

#include "device_attachment.h"
#include "driver_runner.h"

#include <DriverKit/IOReturn.h>
#include <netdext/model/fd_wire.h>
#include <netdext/model/registry.h>
#include <netdext/runtime.h>

namespace netdext::host {

using protocol::AttachDevice;
using protocol::DeviceAttached;
using protocol::DeviceCounters;
using protocol::DeviceDescription;
using protocol::DeviceKnobSet;
using protocol::DeviceProvider;
using protocol::SetDeviceKnob;

DeviceHost::DeviceHost(ControlLink &link, DriverRunner &runner, bundle::Bundle bundle)
    : m_link(link), m_runner(runner), m_bundle(std::move(bundle)) {}

DeviceHost::~DeviceHost() {
    m_wire.reset(); // its thread delivers into the device
    if (m_attachment)
        m_attachment->teardown();
    m_attachment.reset();
    m_device.reset();
}

void DeviceHost::refuse(uint64_t sequence, int32_t status, const std::string &reason) {
    log_linef(LogLevel::error, "netdext-host: device not attached: %s", reason.c_str());
    DeviceAttached reply{};
    reply.status = status;
    copy_string(reply.reason, reason);
    (void)m_link.reply(reply, sequence);
}

void DeviceHost::attach(shm::ipc::ReceivedMessage &message) {
    const uint64_t sequence = message.header().sequence;
    const AttachDevice request = message.as<AttachDevice>().release_value();
    const std::string spec = bounded_string(request.spec);
    const std::string wanted = bounded_string(request.personality);
    if (m_device)
        return refuse(sequence, kIOReturnBusy, "this host already has a device");
    std::string error;
    std::shared_ptr<model::Device> device = model::create_device(spec, error);
    if (!device)
        return refuse(sequence, kIOReturnBadArgument, error);
    auto attachment = testing::DeviceAttachment::create(device, &m_bundle, error);
    if (!attachment)
        return refuse(sequence, kIOReturnNoDevice, error);
    const bundle::Personality *personality = attachment->personality();
    if (attachment->verdict() != kIOReturnSuccess || personality == nullptr) {
        std::string why;
        for (const std::string &line : attachment->log())
            why += (why.empty() ? "" : "; ") + line;
        return refuse(sequence, attachment->verdict() == kIOReturnSuccess ? kIOReturnUnsupported
                                                                          : attachment->verdict(),
                      "the device does not match " + wanted + " here: " + why);
    }
    // The daemon matched across every installed driver; this host must agree for its own bundle.
    if (personality->name != wanted)
        return refuse(sequence, kIOReturnNotPermitted,
                      "netdextd matched the personality " + wanted + ", this host " +
                          personality->name);
    if (message.fd_count() == 1 && device->wire() != nullptr) {
        m_wire = model::FdWire::create(*device->wire(), message.take_fd(0), error);
        if (!m_wire)
            return refuse(sequence, kIOReturnNoResources, "connecting the cable: " + error);
    }
    m_device = std::move(device);
    m_attachment = std::move(attachment);
    log_linef(LogLevel::notice, "netdext-host: %s attached; starting %s on %s", spec.c_str(),
              personality->user_class.c_str(), m_attachment->provider()->GetClassName());
    DeviceAttached reply{};
    reply.status = kIOReturnSuccess;
    (void)m_link.reply(reply, sequence);
    m_runner.post_start(m_bundle, personality->user_class, m_attachment->provider());
}

void DeviceHost::remove() {
    if (!m_device)
        return;
    log_linef(LogLevel::notice, "netdext-host: %s was removed (surprise removal)",
              m_device->model().c_str());
    m_device->remove(); // pending I/O completes with kIOReturnAborted; the provider terminates
}

void DeviceHost::set_knob(const shm::ipc::ReceivedMessage &message) {
    const SetDeviceKnob request = message.as<SetDeviceKnob>().release_value();
    DeviceKnobSet reply{};
    std::string error;
    if (!m_device)
        error = "no device is attached";
    else if (m_device->set(bounded_string(request.name), bounded_string(request.value), error))
        log_linef(LogLevel::info, "netdext-host: %s: %s=%s", m_device->model().c_str(),
                  bounded_string(request.name).c_str(), bounded_string(request.value).c_str());
    reply.status = error.empty() ? kIOReturnSuccess : kIOReturnBadArgument;
    copy_string(reply.error, error);
    (void)m_link.reply(reply, message.header().sequence);
}

void DeviceHost::query(const shm::ipc::ReceivedMessage &message) {
    DeviceCounters reply{};
    auto add = [&reply](const std::string &name, uint64_t value) {
        if (reply.count >= DeviceCounters::kMaxEntries)
            return;
        copy_string(reply.entries[reply.count].name, name);
        reply.entries[reply.count++].value = value;
    };
    if (m_device) {
        reply.removed = m_device->is_removed() ? 1 : 0;
        for (const auto &[name, value] : m_device->counters())
            add(name, value);
        if (model::FramePort *port = m_device->wire()) {
            const model::FramePort::Counters c = port->counters();
            add("cable_to_device", c.to_device);
            add("cable_refused_by_device", c.refused_by_device);
            add("cable_from_device", c.from_device);
            add("cable_unplugged_drops", c.unplugged_drops);
        }
    }
    (void)m_link.reply(reply, message.header().sequence);
}

int DeviceHost::describe(ControlLink &link, const std::string &spec) {
    DeviceDescription out{};
    std::string error;
    std::shared_ptr<model::Device> device = model::create_device(spec, error);
    std::vector<bundle::Provider> providers;
    if (device) {
        copy_string(out.model, device->model());
        providers = testing::DeviceAttachment::describe(device, error);
    }
    out.status = !device ? kIOReturnBadArgument : providers.empty() ? kIOReturnNoDevice : 0;
    copy_string(out.error, error);
    for (const bundle::Provider &p : providers) {
        if (out.count == DeviceDescription::kMaxProviders)
            break;
        DeviceProvider &d = out.providers[out.count++];
        if (p.usb) {
            const bundle::UsbIdentity &u = *p.usb;
            d.kind = u.is_interface ? DeviceProvider::kUsbInterface : DeviceProvider::kUsbDevice;
            d.id_vendor = u.id_vendor;
            d.id_product = u.id_product;
            d.bcd_device = u.bcd_device;
            d.device_class = u.device_class;
            d.device_subclass = u.device_subclass;
            d.device_protocol = u.device_protocol;
            d.configuration_value = u.configuration_value;
            d.interface_number = u.interface_number;
            d.interface_class = u.interface_class;
            d.interface_subclass = u.interface_subclass;
            d.interface_protocol = u.interface_protocol;
        } else if (p.pci) {
            d.kind = DeviceProvider::kPci;
            d.pci_device_vendor = p.pci->device_vendor;
            d.pci_class_revision = p.pci->class_revision;
            d.pci_subsystem = p.pci->subsystem;
        }
    }
    if (auto sent = link.send(out); !sent) {
        std::fprintf(stderr, "netdext-host: sending DeviceDescription: %s\n",
                     sent.error().describe().c_str());
        return kExitProtocolError;
    }
    return out.status == 0 ? kExitStopped : kExitStartFailed;
}

} // namespace netdext::host
