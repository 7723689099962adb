/*
 * netdext/model/usb.h — UsbDeviceModel: the base of a simulated USB device.
 *
 * The base is the device's USB side as chapter 9 of the USB 2.0 specification describes it:
 * it answers the standard requests from the descriptors the model gives it (GET_DESCRIPTOR,
 * SET_CONFIGURATION, SET_INTERFACE, GET_STATUS, CLEAR_FEATURE/SET_FEATURE(ENDPOINT_HALT), …),
 * knows which endpoints the current configuration and alternate settings have, keeps each IN
 * endpoint's queue of transfers, halts endpoints and stalls, and implements the common fault
 * knobs. A model adds its function: class and vendor requests, what an OUT transfer means, and
 * when it has data for an IN endpoint.
 *
 *   class MyDevice : public netdext::model::UsbDeviceModel {
 *       IOReturn control_request(const usb::SetupPacket &setup, uint8_t *data,
 *                                uint32_t &length) override;           // class/vendor requests
 *       IOReturn receive_out(uint8_t endpoint, std::span<const uint8_t> data) override;
 *       void in_queued(uint8_t endpoint) override { feed it with complete_in(endpoint, …) }
 *   };
 *
 * All hooks run with the device's lock held; completions are delivered after it is released.
 *
 * Fault knobs every USB model has:
 *   stall=EP          the endpoint (e.g. 0x82) halts at its next transfer: that transfer and every
 *                     later one stall (kUSBHostReturnPipeStalled) until CLEAR_FEATURE(ENDPOINT_HALT)
 *   fail=N            the next N bulk or interrupt transfers fail with kIOReturnNotResponding
 *                     (OUT: the data is lost; IN: the transfer ends without data)
 *   short=N           the next N IN transfers that carry data are cut to short-length bytes
 *   short-length=N    (default 10: shorter than an Ethernet header)
 */
#ifndef _NETDEXT_MODEL_USB_H
#define _NETDEXT_MODEL_USB_H

#include <netdext/model/device.h>
#include <netdext/usb_backend.h>

#include <deque>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace netdext::model {

/* Builds descriptors byte by byte (little-endian fields, as on the wire). */
class DescriptorWriter {
public:
    DescriptorWriter &u8(uint8_t value);
    DescriptorWriter &u16(uint16_t value);
    DescriptorWriter &u32(uint32_t value);
    DescriptorWriter &bytes(std::span<const uint8_t> data);
    /* Starts a descriptor (bLength filled in by end()). */
    DescriptorWriter &begin(uint8_t type);
    DescriptorWriter &end();
    /* For a configuration (or BOS) descriptor: writes wTotalLength at bytes 2-3. */
    std::vector<uint8_t> finish_total();
    const std::vector<uint8_t> &data() const { return m_data; }

private:
    std::vector<uint8_t> m_data;
    size_t m_open = SIZE_MAX;
};

/* The string descriptor (UTF-16LE) of an ASCII string. */
std::vector<uint8_t> string_descriptor(const std::string &ascii);

class UsbDeviceModel : public Device,
                       public netdext::usb::DeviceBackend,
                       public std::enable_shared_from_this<UsbDeviceModel> {
public:
    struct Descriptors {
        std::vector<uint8_t> device;                      /* 18 bytes */
        std::vector<std::vector<uint8_t>> configurations; /* whole, by index */
        std::map<uint8_t, std::vector<uint8_t>> strings;  /* index -> descriptor; 0: LANGIDs */
        std::vector<uint8_t> bos;                         /* empty: none */
    };

    /* ---- netdext::usb::DeviceBackend ---- */
    uint8_t speed() const override { return m_speed; }
    uint8_t address() const override { return 1; }
    uint32_t location_id() const override { return m_location_id; }
    IOReturn submit(const netdext::usb::TransferPtr &transfer) override;
    void abort(uint8_t endpoint, IOReturn status) override;
    bool cancel(const netdext::usb::TransferPtr &transfer, IOReturn status) override;
    void reset_endpoint(uint8_t endpoint) override;
    IOReturn reset() override;
    bool removed() const override;
    void set_removal_handler(std::function<void()> handler) override;

    /* ---- Device ---- */
    std::shared_ptr<netdext::usb::DeviceBackend> usb_backend() override { return shared_from_this(); }
    void remove() override;
    bool is_removed() const override { return removed(); }

    /* The current configuration (0: none) and an interface's alternate setting. */
    uint8_t configuration() const;
    uint8_t alternate_setting(uint8_t interface) const;
    /* Whether `endpoint` is halted. */
    bool halted(uint8_t endpoint) const;
    /* Transfers queued on `endpoint`. */
    size_t queued(uint8_t endpoint) const;

protected:
    UsbDeviceModel(std::string model, bool has_wire, uint8_t speed, uint32_t location_id);
    /* Sets the descriptors (in the constructor). */
    void set_descriptors(Descriptors descriptors);

    /* ---- hooks, called with the lock held ---- */
    /* A class or vendor request on the default pipe. `data` holds wLength bytes (OUT: what the
     * host sent; IN: fill it and set `length` to what was written). Return kIOReturnSuccess or
     * kUSBHostReturnPipeStalled (the request is not supported: a protocol stall). */
    virtual IOReturn control_request(const netdext::usb::SetupPacket &setup, uint8_t *data,
                                     uint32_t &length);
    /* Data of an OUT transfer; the transfer completes with the returned status (all bytes taken
     * on success). */
    virtual IOReturn receive_out(uint8_t endpoint, std::span<const uint8_t> data);
    /* An IN transfer was queued on `endpoint`: feed it if there is data. */
    virtual void in_queued(uint8_t endpoint) {}
    /* SET_CONFIGURATION (0: unconfigured) and SET_INTERFACE took effect. */
    virtual void configured(uint8_t value) {}
    virtual void interface_selected(uint8_t interface, uint8_t alternate) {}
    /* The port was reset or the device removed. */
    virtual void went_away() {}

    /* ---- for the hooks (lock held) ---- */
    bool removed_locked() const { return m_removed; }
    /* Completes the first IN transfer queued on `endpoint` with `data` (cut to the transfer's
     * length: kIOReturnOverrun; to short-length by the short knob). False when none is queued. */
    bool complete_in(uint8_t endpoint, std::span<const uint8_t> data);

private:
    struct Endpoint {
        uint8_t type = 0;
        std::deque<netdext::usb::TransferPtr> queue; /* IN transfers waiting for data */
        bool halted = false;
        bool halt_next = false;
    };
    void finish(const netdext::usb::TransferPtr &transfer, IOReturn status, uint32_t count);
    IOReturn standard_request(const netdext::usb::SetupPacket &setup, uint8_t *data,
                              uint32_t &length);
    void rebuild_endpoints();
    /* Endpoints (address -> type) of the active settings; of one interface if only_interface
     * is not negative. */
    std::map<uint8_t, uint8_t> active_endpoints(int only_interface) const;
    uint8_t alternate_locked(uint8_t interface) const;
    void abort_locked(uint8_t endpoint, IOReturn status);
    void abort_all_locked(IOReturn status);
    const std::vector<uint8_t> *active_configuration() const;

    uint8_t m_speed;
    uint32_t m_location_id;
    Descriptors m_descriptors;
    uint8_t m_configuration = 0;
    std::map<uint8_t, uint8_t> m_alternates;   /* interface -> alternate setting */
    std::map<uint8_t, Endpoint> m_endpoints;   /* of the active settings, by address */
    std::set<uint8_t> m_pending_halts;         /* stall= for endpoints not active yet */
    bool m_removed = false;
    std::function<void()> m_removal_handler;
    uint64_t m_fail_next = 0;
    uint64_t m_short_next = 0;
    uint64_t m_short_length = 10;
};

} // namespace netdext::model

#endif
