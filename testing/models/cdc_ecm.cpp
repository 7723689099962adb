// CdcEcmDevice: a CDC-ECM USB Ethernet adapter (netdext/model/cdc_ecm.h). Section numbers are
// those of CDC120 (USB Class Definitions for Communications Devices 1.2) and ECM120 (its Ethernet
// Control Model subclass specification 1.2).

#include <netdext/model/cdc_ecm.h>

#include <USBDriverKit/IOUSBHostFamilyDefinitions.h>

#include <algorithm>
#include <cstdio>

namespace netdext::model {

namespace {

// CDC120 §4.2, §4.5, Table 13: class codes and functional descriptor subtypes.
constexpr uint8_t kCommunicationsClass = 0x02, kEcmSubclass = 0x06, kDataClass = 0x0A;
constexpr uint8_t kCsInterface = 0x24;
constexpr uint8_t kHeaderSubtype = 0x00, kUnionSubtype = 0x06, kEthernetSubtype = 0x0F;
// ECM120 §6.2 Table 6: requests; §6.3 Table 11: notifications.
constexpr uint8_t kSetEthernetPacketFilter = 0x43;
constexpr uint8_t kNetworkConnection = 0x00, kConnectionSpeedChange = 0x2A;
// ECM120 Table 8: the packet filter bitmap.
constexpr uint16_t kPromiscuous = 0x01, kAllMulticast = 0x02, kDirected = 0x04,
                   kBroadcast = 0x08;
constexpr uint8_t kMacString = 4;
constexpr size_t kMaxNotifications = 16;

} // namespace

CdcEcmDevice::CdcEcmDevice()
    : UsbDeviceModel("cdc-ecm", true, kIOUSBHostConnectionSpeedHigh, 0x14100000) {
    add_knob({"mac", "the adapter's MAC address (iMACAddress), e.g. 02:00:00:00:00:01", true},
             [this](const std::string &value, std::string &error) {
                 return parse_mac(value, m_mac.data(), error);
             });
    add_knob({"vid", "idVendor (default 0x0525)", true},
             [this](const std::string &value, std::string &error) {
                 uint64_t v = 0;
                 bool ok = parse_uint(value, 0xFFFF, v, error);
                 m_vid = uint16_t(ok ? v : m_vid);
                 return ok;
             });
    add_knob({"pid", "idProduct (default 0xa4a1)", true},
             [this](const std::string &value, std::string &error) {
                 uint64_t v = 0;
                 bool ok = parse_uint(value, 0xFFFF, v, error);
                 m_pid = uint16_t(ok ? v : m_pid);
                 return ok;
             });
    add_knob({"link", "up|down: the cable (a change sends NETWORK_CONNECTION)"},
             [this](const std::string &value, std::string &error) {
                 bool up = false;
                 if (!parse_bool(value, up, error))
                     return false;
                 if (up != m_link) {
                     m_link = up;
                     count(up ? "link_ups" : "link_downs");
                     if (m_data_active)
                         notify_link();
                 }
                 return true;
             });
    add_knob({"bitrate", "N: bits/s CONNECTION_SPEED_CHANGE reports (default 100000000)"},
             [this](const std::string &value, std::string &error) {
                 uint64_t v = 0;
                 bool ok = parse_uint(value, UINT32_MAX, v, error);
                 m_bitrate = uint32_t(ok ? v : m_bitrate);
                 return ok;
             });
    add_knob({"lost-notifications", "N: the next N notifications never reach the host"},
             [this](const std::string &value, std::string &error) {
                 return parse_uint(value, UINT32_MAX, m_lost_notifications, error);
             });
    add_knob({"rx-fifo", "N: frames held while no bulk IN transfer waits (default 32)"},
             [this](const std::string &value, std::string &error) {
                 return parse_uint(value, 4096, m_fifo_depth, error);
             });
    wire()->set_receiver([this](std::span<const uint8_t> frame) { return receive_from_wire(frame); });
}

std::shared_ptr<CdcEcmDevice> CdcEcmDevice::create() {
    std::shared_ptr<CdcEcmDevice> device(new CdcEcmDevice);
    device->build_descriptors();
    return device;
}

std::shared_ptr<CdcEcmDevice>
CdcEcmDevice::create(const std::vector<std::pair<std::string, std::string>> &knobs,
                     std::string &error) {
    std::shared_ptr<CdcEcmDevice> device(new CdcEcmDevice);
    for (const auto &[name, value] : knobs)
        if (!device->set(name, value, error, true))
            return nullptr;
    device->build_descriptors();
    return device;
}

void CdcEcmDevice::build_descriptors() {
    Descriptors d;
    DescriptorWriter device;
    device.begin(kIOUSBDescriptorTypeDevice)
        .u16(0x0200)                     // bcdUSB
        .u8(kCommunicationsClass).u8(0).u8(0)
        .u8(64)                          // bMaxPacketSize0
        .u16(m_vid).u16(m_pid).u16(0x0100)
        .u8(1).u8(2).u8(3)               // iManufacturer, iProduct, iSerialNumber
        .u8(1)                           // bNumConfigurations
        .end();
    d.device = device.data();

    DescriptorWriter config;
    config.begin(kIOUSBDescriptorTypeConfiguration)
        .u16(0).u8(2).u8(1).u8(0).u8(0x80).u8(50) // total, 2 interfaces, value 1, bus powered, 100 mA
        .end();
    // Interface 0: communications, ECM (ECM120 §5).
    config.begin(kIOUSBDescriptorTypeInterface)
        .u8(0).u8(0).u8(1).u8(kCommunicationsClass).u8(kEcmSubclass).u8(0).u8(0).end();
    config.begin(kCsInterface).u8(kHeaderSubtype).u16(0x0120).end();           // CDC120 §5.2.3.1
    config.begin(kCsInterface).u8(kUnionSubtype).u8(0).u8(1).end();            // CDC120 §5.2.3.2
    config.begin(kCsInterface).u8(kEthernetSubtype)                            // ECM120 §5.4
        .u8(kMacString)           // iMACAddress
        .u32(0)                   // bmEthernetStatistics: none
        .u16(kMaxSegmentSize)     // wMaxSegmentSize
        .u16(0)                   // wNumberMCFilters: no perfect filtering
        .u8(0)                    // bNumberPowerFilters
        .end();
    config.begin(kIOUSBDescriptorTypeEndpoint)
        .u8(kNotifyEndpoint).u8(kIOUSBEndpointTypeInterrupt).u16(16).u8(8).end();
    // Interface 1: data; alternate setting 0 has no endpoints (ECM120 §3.3).
    config.begin(kIOUSBDescriptorTypeInterface)
        .u8(1).u8(0).u8(0).u8(kDataClass).u8(0).u8(0).u8(0).end();
    config.begin(kIOUSBDescriptorTypeInterface)
        .u8(1).u8(1).u8(2).u8(kDataClass).u8(0).u8(0).u8(0).end();
    config.begin(kIOUSBDescriptorTypeEndpoint).u8(kBulkIn).u8(kIOUSBEndpointTypeBulk).u16(512).u8(0).end();
    config.begin(kIOUSBDescriptorTypeEndpoint).u8(kBulkOut).u8(kIOUSBEndpointTypeBulk).u16(512).u8(0).end();
    d.configurations.push_back(config.finish_total());

    d.strings[0] = {4, kIOUSBDescriptorTypeString, 0x09, 0x04}; // English (US)
    d.strings[1] = string_descriptor("netdext");
    d.strings[2] = string_descriptor("CDC-ECM Ethernet (simulated)");
    d.strings[3] = string_descriptor("0001");
    char mac[13];
    std::snprintf(mac, sizeof mac, "%02X%02X%02X%02X%02X%02X", m_mac[0], m_mac[1], m_mac[2],
                  m_mac[3], m_mac[4], m_mac[5]);
    d.strings[kMacString] = string_descriptor(mac); // ECM120 §5.4: 12 hex digits, upper case
    set_descriptors(std::move(d));
}

uint16_t CdcEcmDevice::packet_filter() const {
    auto held = lock();
    return m_filter;
}

bool CdcEcmDevice::data_interface_active() const {
    auto held = lock();
    return m_data_active;
}

bool CdcEcmDevice::link_up() const {
    auto held = lock();
    return m_link;
}

IOReturn CdcEcmDevice::control_request(const netdext::usb::SetupPacket &setup, uint8_t *,
                                       uint32_t &) {
    const bool class_to_interface =
        (setup.bmRequestType & kIOUSBDeviceRequestTypeMask) == kIOUSBDeviceRequestTypeClass &&
        (setup.bmRequestType & kIOUSBDeviceRequestRecipientMask) ==
            kIOUSBDeviceRequestRecipientInterface;
    if (!class_to_interface || setup.wIndex != 0)
        return kUSBHostReturnPipeStalled;
    if (setup.bRequest == kSetEthernetPacketFilter &&
        (setup.bmRequestType & kIOUSBDeviceRequestDirectionMask) == 0) {
        m_filter = setup.wValue; // ECM120 §6.2.4
        count("packet_filter_sets");
        return kIOReturnSuccess;
    }
    // No multicast or power filters and no statistics (the functional descriptor says so).
    return kUSBHostReturnPipeStalled;
}

IOReturn CdcEcmDevice::receive_out(uint8_t endpoint, std::span<const uint8_t> data) {
    if (endpoint != kBulkOut)
        return kIOReturnSuccess;
    if (data.size() < 14 || data.size() > kMaxSegmentSize) {
        count("tx_dropped_size"); // not a frame; the device drops it
    } else if (!m_link) {
        count("tx_dropped_link");
    } else {
        count("tx_frames");
        send_to_wire(data);
    }
    return kIOReturnSuccess;
}

bool CdcEcmDevice::accepted(std::span<const uint8_t> frame) const {
    if ((m_filter & kPromiscuous) != 0)
        return true;
    const uint8_t *dst = frame.data();
    if (std::all_of(dst, dst + 6, [](uint8_t b) { return b == 0xFF; }))
        return (m_filter & kBroadcast) != 0;
    if ((dst[0] & 1) != 0) // with no multicast filters only ALL_MULTICAST lets them in
        return (m_filter & kAllMulticast) != 0;
    return (m_filter & kDirected) != 0 && std::equal(dst, dst + 6, m_mac.begin());
}

bool CdcEcmDevice::receive_from_wire(std::span<const uint8_t> frame) {
    {
        auto held = lock();
        if (removed_locked() || !m_data_active || !m_link) {
            count("rx_dropped_link");
            return false;
        }
        if (frame.size() < 14 || frame.size() > kMaxSegmentSize) {
            count("rx_dropped_size");
            return false;
        }
        if (!accepted(frame)) {
            count("rx_filtered");
            return false;
        }
        count("rx_frames");
        if (!complete_in(kBulkIn, frame)) {
            if (m_rx_fifo.size() >= m_fifo_depth) {
                count("rx_dropped_fifo");
                return false;
            }
            m_rx_fifo.emplace_back(frame.begin(), frame.end());
        }
    }
    run_deferred();
    return true;
}

void CdcEcmDevice::in_queued(uint8_t endpoint) {
    std::deque<std::vector<uint8_t>> &source =
        endpoint == kBulkIn ? m_rx_fifo : m_notifications;
    if ((endpoint == kBulkIn || endpoint == kNotifyEndpoint) && !source.empty() &&
        complete_in(endpoint, source.front()))
        source.pop_front();
}

void CdcEcmDevice::notify(std::vector<uint8_t> notification) {
    if (m_lost_notifications > 0) {
        --m_lost_notifications;
        count("lost_notifications");
        return;
    }
    count("notifications");
    if (complete_in(kNotifyEndpoint, notification))
        return;
    if (m_notifications.size() >= kMaxNotifications)
        m_notifications.pop_front(); // the oldest state is stale anyway
    m_notifications.push_back(std::move(notification));
}

// CDC120 §6.3: an 8-byte header (bmRequestType 0xA1, bNotification, wValue, wIndex = the
// interface, wLength) and wLength bytes of data.
void CdcEcmDevice::notify_link() {
    if (m_link) {
        DescriptorWriter speed; // ECM120 §6.3.3: DLBitRate, ULBitRate
        speed.u8(0xA1).u8(kConnectionSpeedChange).u16(0).u16(0).u16(8).u32(m_bitrate).u32(m_bitrate);
        notify(speed.data());
    }
    DescriptorWriter connection; // ECM120 §6.3.1: wValue 1 connected, 0 disconnected
    connection.u8(0xA1).u8(kNetworkConnection).u16(m_link ? 1 : 0).u16(0).u16(0);
    notify(connection.data());
}

void CdcEcmDevice::configured(uint8_t) {
    m_data_active = false;
    m_filter = kDirected | kBroadcast;
    m_rx_fifo.clear();
    m_notifications.clear();
}

void CdcEcmDevice::interface_selected(uint8_t interface, uint8_t alternate) {
    if (interface != 1)
        return;
    m_data_active = alternate == 1;
    m_rx_fifo.clear();
    if (m_data_active)
        notify_link();
}

void CdcEcmDevice::went_away() {
    m_data_active = false;
    m_rx_fifo.clear();
    m_notifications.clear();
}

} // namespace netdext::model
