/*
 * netdext/model/cdc_ecm.h — a USB Ethernet adapter of the CDC Ethernet Control Model.
 *
 * Facts from the USB Communications Class specification 1.2 (CDC120) and its ECM subclass
 * specification 1.2 (ECM120). The device (descriptors in cdc_ecm.cpp):
 *   configuration 1:
 *     interface 0  Communications class (0x02), ECM subclass (0x06): Header, Union and Ethernet
 *                  Networking functional descriptors (CDC120 §5.2.3, ECM120 §5.4), and an
 *                  interrupt IN endpoint 0x81 for notifications;
 *     interface 1  Data class (0x0A): alternate setting 0 without endpoints, alternate setting 1
 *                  with bulk IN 0x82 and bulk OUT 0x01 (ECM120 §3.3: frames flow only in 1).
 *   Each bulk transfer is one Ethernet frame (no FCS) up to wMaxSegmentSize (1514).
 *   Class requests (ECM120 §6.2): SET_ETHERNET_PACKET_FILTER (0x43) sets the filter bitmap
 *   (ECM120 Table 8: PROMISCUOUS 0x01, ALL_MULTICAST 0x02, DIRECTED 0x04, BROADCAST 0x08,
 *   MULTICAST 0x10); the device has no multicast filters (wNumberMCFilters 0), so
 *   SET_ETHERNET_MULTICAST_FILTERS and the statistics and power-filter requests stall.
 *   Notifications (ECM120 §6.3) on 0x81: CONNECTION_SPEED_CHANGE (0x2A) and NETWORK_CONNECTION
 *   (0x00), sent when the data interface enters alternate setting 1 and when the link changes.
 *   The filter starts as DIRECTED | BROADCAST (netdext's choice; drivers set it).
 *
 * Knobs (beside UsbDeviceModel's stall, fail, short):
 *   mac=02:…       the adapter's address (iMACAddress string)          [creation]
 *   vid=, pid=     idVendor / idProduct (default 0x0525 / 0xa4a1)      [creation]
 *   link=up|down   the cable; a change sends NETWORK_CONNECTION
 *   bitrate=N      bits/s reported by CONNECTION_SPEED_CHANGE (default 100000000)
 *   lost-notifications=N   the next N notifications are lost
 *   rx-fifo=N      frames the device holds while no bulk IN transfer is queued (default 32)
 */
#ifndef _NETDEXT_MODEL_CDC_ECM_H
#define _NETDEXT_MODEL_CDC_ECM_H

#include <netdext/model/usb.h>

#include <array>
#include <deque>
#include <memory>

namespace netdext::model {

class CdcEcmDevice final : public UsbDeviceModel {
public:
    static constexpr uint8_t kNotifyEndpoint = 0x81;
    static constexpr uint8_t kBulkIn = 0x82;
    static constexpr uint8_t kBulkOut = 0x01;
    static constexpr uint16_t kMaxSegmentSize = 1514;

    /* The device, with its knobs at their defaults (set creation knobs through create()). */
    static std::shared_ptr<CdcEcmDevice> create();
    /* Applies creation knobs, then builds the descriptors. */
    static std::shared_ptr<CdcEcmDevice> create(const std::vector<std::pair<std::string, std::string>> &knobs,
                                                std::string &error);

    uint16_t packet_filter() const;
    bool data_interface_active() const;
    bool link_up() const;

private:
    CdcEcmDevice();
    void build_descriptors();

    IOReturn control_request(const netdext::usb::SetupPacket &setup, uint8_t *data,
                             uint32_t &length) override;
    IOReturn receive_out(uint8_t endpoint, std::span<const uint8_t> data) override;
    void in_queued(uint8_t endpoint) override;
    void configured(uint8_t value) override;
    void interface_selected(uint8_t interface, uint8_t alternate) override;
    void went_away() override;

    bool receive_from_wire(std::span<const uint8_t> frame);
    bool accepted(std::span<const uint8_t> frame) const;
    void notify_link();
    void notify(std::vector<uint8_t> notification);

    std::array<uint8_t, 6> m_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    uint16_t m_vid = 0x0525;
    uint16_t m_pid = 0xa4a1;
    bool m_link = true;
    uint32_t m_bitrate = 100000000;
    uint64_t m_lost_notifications = 0;
    uint64_t m_fifo_depth = 32;
    bool m_data_active = false;
    uint16_t m_filter = 0;
    std::deque<std::vector<uint8_t>> m_rx_fifo;
    std::deque<std::vector<uint8_t>> m_notifications;
};

} // namespace netdext::model

#endif
