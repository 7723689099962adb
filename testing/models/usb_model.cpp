// UsbDeviceModel: a USB device's chapter-9 behaviour for device models (netdext/model/usb.h).

#include <netdext/model/usb.h>

#include <USBDriverKit/AppleUSBDescriptorParsing.h>
#include <USBDriverKit/IOUSBHostFamilyDefinitions.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace netdext::model {

using netdext::usb::SetupPacket;
using netdext::usb::TransferPtr;

// ---- DescriptorWriter -------------------------------------------------------------------------

DescriptorWriter &DescriptorWriter::u8(uint8_t value) {
    m_data.push_back(value);
    return *this;
}
DescriptorWriter &DescriptorWriter::u16(uint16_t value) {
    return u8(uint8_t(value)).u8(uint8_t(value >> 8));
}
DescriptorWriter &DescriptorWriter::u32(uint32_t value) {
    return u16(uint16_t(value)).u16(uint16_t(value >> 16));
}
DescriptorWriter &DescriptorWriter::bytes(std::span<const uint8_t> data) {
    m_data.insert(m_data.end(), data.begin(), data.end());
    return *this;
}
DescriptorWriter &DescriptorWriter::begin(uint8_t type) {
    m_open = m_data.size();
    return u8(0).u8(type);
}
DescriptorWriter &DescriptorWriter::end() {
    m_data[m_open] = uint8_t(m_data.size() - m_open);
    m_open = SIZE_MAX;
    return *this;
}
std::vector<uint8_t> DescriptorWriter::finish_total() {
    m_data[2] = uint8_t(m_data.size());
    m_data[3] = uint8_t(m_data.size() >> 8);
    return m_data;
}

std::vector<uint8_t> string_descriptor(const std::string &ascii) {
    std::vector<uint8_t> out{uint8_t(2 + 2 * ascii.size()), kIOUSBDescriptorTypeString};
    for (char c : ascii) {
        out.push_back(uint8_t(c));
        out.push_back(0);
    }
    return out;
}

// ---- UsbDeviceModel ---------------------------------------------------------------------------

UsbDeviceModel::UsbDeviceModel(std::string model, bool has_wire, uint8_t speed,
                               uint32_t location_id)
    : Device(std::move(model), has_wire), m_speed(speed), m_location_id(location_id) {
    add_knob({"stall", "EP: endpoint EP (e.g. 0x82) halts at its next transfer, until "
                       "CLEAR_FEATURE(ENDPOINT_HALT)"},
             [this](const std::string &value, std::string &error) {
                 uint64_t ep = 0;
                 if (!parse_uint(value, 0xFF, ep, error))
                     return false;
                 if ((ep & 0x0F) == 0 || (ep & 0x70) != 0) {
                     error = "not a data endpoint address (1-15, 0x80 for IN)";
                     return false;
                 }
                 auto it = m_endpoints.find(uint8_t(ep));
                 if (it != m_endpoints.end())
                     it->second.halt_next = true;
                 else
                     m_pending_halts.insert(uint8_t(ep)); // when its setting becomes active
                 return true;
             });
    add_knob({"fail", "N: the next N bulk or interrupt transfers fail (kIOReturnNotResponding)"},
             [this](const std::string &value, std::string &error) {
                 return parse_uint(value, UINT32_MAX, m_fail_next, error);
             });
    add_knob({"short", "N: the next N IN transfers with data are cut to short-length bytes"},
             [this](const std::string &value, std::string &error) {
                 return parse_uint(value, UINT32_MAX, m_short_next, error);
             });
    add_knob({"short-length", "N: bytes a cut IN transfer keeps (default 10)"},
             [this](const std::string &value, std::string &error) {
                 return parse_uint(value, 65535, m_short_length, error);
             });
}

void UsbDeviceModel::set_descriptors(Descriptors descriptors) {
    auto held = lock();
    m_descriptors = std::move(descriptors);
    rebuild_endpoints();
}

void UsbDeviceModel::finish(const TransferPtr &transfer, IOReturn status, uint32_t count) {
    defer([transfer, status, count] { transfer->complete(status, count); });
}

const std::vector<uint8_t> *UsbDeviceModel::active_configuration() const {
    for (const auto &bytes : m_descriptors.configurations)
        if (m_configuration != 0 && bytes.size() > 5 && bytes[5] == m_configuration)
            return &bytes;
    return nullptr;
}

std::map<uint8_t, uint8_t> UsbDeviceModel::active_endpoints(int only_interface) const {
    std::map<uint8_t, uint8_t> active; // address -> type
    const std::vector<uint8_t> *bytes = active_configuration();
    if (bytes == nullptr)
        return active;
    const auto *cd = reinterpret_cast<const IOUSBConfigurationDescriptor *>(bytes->data());
    for (const IOUSBInterfaceDescriptor *id = IOUSBGetNextInterfaceDescriptor(cd, nullptr);
         id != nullptr;
         id = IOUSBGetNextInterfaceDescriptor(cd, reinterpret_cast<const IOUSBDescriptorHeader *>(id))) {
        auto alternate = m_alternates.find(id->bInterfaceNumber);
        if (id->bAlternateSetting != (alternate == m_alternates.end() ? 0 : alternate->second) ||
            (only_interface >= 0 && id->bInterfaceNumber != only_interface))
            continue;
        for (const IOUSBEndpointDescriptor *ed = IOUSBGetNextEndpointDescriptor(cd, id, nullptr);
             ed != nullptr;
             ed = IOUSBGetNextEndpointDescriptor(cd, id, reinterpret_cast<const IOUSBDescriptorHeader *>(ed)))
            active[IOUSBGetEndpointAddress(ed)] = IOUSBGetEndpointType(ed);
    }
    return active;
}

void UsbDeviceModel::rebuild_endpoints() {
    std::map<uint8_t, uint8_t> active = active_endpoints(-1);
    for (auto it = m_endpoints.begin(); it != m_endpoints.end();) {
        if (active.count(it->first) == 0) {
            for (const TransferPtr &transfer : it->second.queue)
                finish(transfer, kIOReturnAborted, 0);
            it = m_endpoints.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto &[address, type] : active) {
        m_endpoints[address].type = type;
        if (m_pending_halts.erase(address) != 0)
            m_endpoints[address].halt_next = true;
    }
}

void UsbDeviceModel::abort_locked(uint8_t endpoint, IOReturn status) {
    auto it = m_endpoints.find(endpoint);
    if (it == m_endpoints.end())
        return;
    std::deque<TransferPtr> queue;
    queue.swap(it->second.queue);
    for (const TransferPtr &transfer : queue)
        finish(transfer, status, 0);
}

void UsbDeviceModel::abort_all_locked(IOReturn status) {
    for (auto &[address, endpoint] : m_endpoints)
        abort_locked(address, status);
}

bool UsbDeviceModel::complete_in(uint8_t endpoint, std::span<const uint8_t> data) {
    auto it = m_endpoints.find(endpoint);
    if (it == m_endpoints.end() || it->second.queue.empty())
        return false;
    TransferPtr transfer = it->second.queue.front();
    it->second.queue.pop_front();
    uint32_t n = uint32_t(std::min<size_t>(data.size(), transfer->length));
    IOReturn status = data.size() > transfer->length ? kIOReturnOverrun : kIOReturnSuccess;
    if (m_short_next > 0 && n > 0) {
        --m_short_next;
        n = uint32_t(std::min<uint64_t>(n, m_short_length));
        count("short_transfers");
    }
    if (n > 0)
        std::memcpy(transfer->data, data.data(), n);
    finish(transfer, status, n);
    return true;
}

IOReturn UsbDeviceModel::submit(const TransferPtr &transfer) {
    if (!transfer || !transfer->complete)
        return kIOReturnBadArgument;
    {
        auto held = lock();
        if (m_removed)
            return kIOReturnNoDevice;
        if (transfer->endpoint == 0 || (transfer->endpoint & 0x7F) == 0) {
            const SetupPacket &setup = transfer->setup;
            const bool in = (setup.bmRequestType & kIOUSBDeviceRequestDirectionMask) != 0;
            std::vector<uint8_t> data(setup.wLength);
            uint32_t length = in ? 0 : std::min<uint32_t>(setup.wLength, transfer->length);
            if (!in && length > 0)
                std::memcpy(data.data(), transfer->data, length);
            IOReturn status = (setup.bmRequestType & kIOUSBDeviceRequestTypeMask) ==
                                      kIOUSBDeviceRequestTypeStandard
                                  ? standard_request(setup, data.data(), length)
                                  : control_request(setup, data.data(), length);
            uint32_t n = 0;
            if (status == kIOReturnSuccess) {
                n = in ? std::min<uint32_t>({length, transfer->length, setup.wLength}) : length;
                if (in && n > 0)
                    std::memcpy(transfer->data, data.data(), n);
            } else {
                count("control_stalls");
            }
            finish(transfer, status, n);
        } else {
            auto it = m_endpoints.find(transfer->endpoint);
            if (it == m_endpoints.end())
                return kIOReturnNotFound;
            Endpoint &endpoint = it->second;
            const bool in = (transfer->endpoint & kIOUSBEndpointDescriptorDirectionIn) != 0;
            if (endpoint.halt_next) {
                endpoint.halt_next = false;
                endpoint.halted = true;
            }
            if (endpoint.halted) {
                count("stalls");
                finish(transfer, kUSBHostReturnPipeStalled, 0);
            } else if (m_fail_next > 0) {
                --m_fail_next;
                count("failed_transfers");
                finish(transfer, kIOReturnNotResponding, 0);
            } else if (in) {
                endpoint.queue.push_back(transfer);
                in_queued(transfer->endpoint);
            } else {
                IOReturn status = receive_out(transfer->endpoint,
                                              std::span<const uint8_t>(transfer->data, transfer->length));
                finish(transfer, status, status == kIOReturnSuccess ? transfer->length : 0);
            }
        }
    }
    run_deferred();
    return kIOReturnSuccess;
}

void UsbDeviceModel::abort(uint8_t endpoint, IOReturn status) {
    {
        auto held = lock();
        abort_locked(endpoint, status);
    }
    run_deferred();
}

bool UsbDeviceModel::cancel(const TransferPtr &transfer, IOReturn status) {
    bool found = false;
    {
        auto held = lock();
        for (auto &[address, endpoint] : m_endpoints) {
            auto it = std::find(endpoint.queue.begin(), endpoint.queue.end(), transfer);
            if (it != endpoint.queue.end()) {
                endpoint.queue.erase(it);
                finish(transfer, status, 0);
                found = true;
                break;
            }
        }
    }
    run_deferred();
    return found;
}

void UsbDeviceModel::reset_endpoint(uint8_t) {
    // The data toggle lives in the host controller and in the device; nothing to model.
}

IOReturn UsbDeviceModel::reset() {
    {
        auto held = lock();
        if (m_removed)
            return kIOReturnNoDevice;
        abort_all_locked(kIOReturnAborted);
        m_configuration = 0;
        m_alternates.clear();
        rebuild_endpoints();
        went_away();
    }
    run_deferred();
    return kIOReturnSuccess;
}

bool UsbDeviceModel::removed() const {
    auto held = lock();
    return m_removed;
}

void UsbDeviceModel::set_removal_handler(std::function<void()> handler) {
    auto held = lock();
    m_removal_handler = std::move(handler);
}

void UsbDeviceModel::remove() {
    {
        auto held = lock();
        if (m_removed)
            return;
        m_removed = true;
        count("removals");
        abort_all_locked(kIOReturnAborted);
        went_away();
        if (m_removal_handler)
            defer(m_removal_handler);
    }
    run_deferred();
}

uint8_t UsbDeviceModel::configuration() const {
    auto held = lock();
    return m_configuration;
}

uint8_t UsbDeviceModel::alternate_locked(uint8_t interface) const {
    auto it = m_alternates.find(interface);
    return it == m_alternates.end() ? 0 : it->second;
}

uint8_t UsbDeviceModel::alternate_setting(uint8_t interface) const {
    auto held = lock();
    return alternate_locked(interface);
}

bool UsbDeviceModel::halted(uint8_t endpoint) const {
    auto held = lock();
    auto it = m_endpoints.find(endpoint);
    return it != m_endpoints.end() && it->second.halted;
}

size_t UsbDeviceModel::queued(uint8_t endpoint) const {
    auto held = lock();
    auto it = m_endpoints.find(endpoint);
    return it == m_endpoints.end() ? 0 : it->second.queue.size();
}

IOReturn UsbDeviceModel::control_request(const SetupPacket &, uint8_t *, uint32_t &) {
    return kUSBHostReturnPipeStalled;
}

IOReturn UsbDeviceModel::receive_out(uint8_t, std::span<const uint8_t>) { return kIOReturnSuccess; }

// USB 2.0 §9.4: the standard requests.
IOReturn UsbDeviceModel::standard_request(const SetupPacket &setup, uint8_t *data,
                                          uint32_t &length) {
    const uint8_t recipient = setup.bmRequestType & kIOUSBDeviceRequestRecipientMask;
    auto reply = [&](const std::vector<uint8_t> &bytes) {
        length = uint32_t(std::min<size_t>(bytes.size(), setup.wLength));
        std::memcpy(data, bytes.data(), length);
        return kIOReturnSuccess;
    };
    switch (setup.bRequest) {
    case kIOUSBDeviceRequestGetStatus:
        if (recipient == kIOUSBDeviceRequestRecipientEndpoint) {
            auto it = m_endpoints.find(uint8_t(setup.wIndex));
            if (setup.wIndex != 0 && it == m_endpoints.end())
                return kUSBHostReturnPipeStalled;
            bool halted = setup.wIndex != 0 && it->second.halted;
            return reply({uint8_t(halted ? IOUSBEndpointStatusHalt : 0), 0});
        }
        return reply({0, 0});
    case kIOUSBDeviceRequestClearFeature:
    case kIOUSBDeviceRequestSetFeature: {
        if (recipient != kIOUSBDeviceRequestRecipientEndpoint)
            return kIOReturnSuccess; // remote wakeup and the like: accepted
        auto it = m_endpoints.find(uint8_t(setup.wIndex));
        if (setup.wValue != IOUSBEndpointFeatureSelectorStall || it == m_endpoints.end())
            return kUSBHostReturnPipeStalled;
        it->second.halted = setup.bRequest == kIOUSBDeviceRequestSetFeature;
        it->second.halt_next = false;
        return kIOReturnSuccess;
    }
    case kIOUSBDeviceRequestSetAddress:
        return kIOReturnSuccess;
    case kIOUSBDeviceRequestGetDescriptor: {
        const uint8_t type = uint8_t(setup.wValue >> 8), index = uint8_t(setup.wValue);
        if (type == kIOUSBDescriptorTypeDevice)
            return reply(m_descriptors.device);
        if (type == kIOUSBDescriptorTypeConfiguration && index < m_descriptors.configurations.size())
            return reply(m_descriptors.configurations[index]);
        if (type == kIOUSBDescriptorTypeString && m_descriptors.strings.count(index) != 0)
            return reply(m_descriptors.strings[index]);
        if (type == kIOUSBDescriptorTypeBOS && !m_descriptors.bos.empty())
            return reply(m_descriptors.bos);
        return kUSBHostReturnPipeStalled;
    }
    case kIOUSBDeviceRequestGetConfiguration:
        return reply({m_configuration});
    case kIOUSBDeviceRequestSetConfiguration: {
        const uint8_t value = uint8_t(setup.wValue);
        m_configuration = value;
        if (value != 0 && active_configuration() == nullptr) {
            m_configuration = 0;
            return kUSBHostReturnPipeStalled;
        }
        abort_all_locked(kIOReturnAborted);
        m_alternates.clear();
        for (auto &[address, endpoint] : m_endpoints)
            endpoint.halted = false;
        rebuild_endpoints();
        configured(value);
        return kIOReturnSuccess;
    }
    case kIOUSBDeviceRequestGetInterface:
        if (m_configuration == 0)
            return kUSBHostReturnPipeStalled;
        return reply({alternate_locked(uint8_t(setup.wIndex))});
    case kIOUSBDeviceRequestSetInterface: {
        const uint8_t interface = uint8_t(setup.wIndex), alternate = uint8_t(setup.wValue);
        const std::vector<uint8_t> *bytes = active_configuration();
        if (bytes == nullptr)
            return kUSBHostReturnPipeStalled;
        const auto *cd = reinterpret_cast<const IOUSBConfigurationDescriptor *>(bytes->data());
        bool exists = false;
        for (const IOUSBInterfaceDescriptor *id = IOUSBGetNextInterfaceDescriptor(cd, nullptr);
             id != nullptr && !exists;
             id = IOUSBGetNextInterfaceDescriptor(cd, reinterpret_cast<const IOUSBDescriptorHeader *>(id)))
            exists = id->bInterfaceNumber == interface && id->bAlternateSetting == alternate;
        if (!exists)
            return kUSBHostReturnPipeStalled;
        // USB 2.0 §9.4.10: the interface's endpoints start over (queues aborted, halts cleared).
        for (const auto &[address, type] : active_endpoints(interface)) {
            abort_locked(address, kIOReturnAborted);
            m_endpoints[address].halted = false;
        }
        m_alternates[interface] = alternate;
        rebuild_endpoints(); // the old setting's endpoints go, their transfers aborted
        interface_selected(interface, alternate);
        return kIOReturnSuccess;
    }
    default:
        return kUSBHostReturnPipeStalled;
    }
}

} // namespace netdext::model
