/*
 * netdext/usb_backend.h — what sits behind an IOUSBHostDevice: the provider interface between
 * USBDriverKit (the family classes in libdriverkit) and a USB device.
 *
 * Drivers never include this. The system creates a device's provider with
 * IOUSBHostDevice::netdext_create(backend, …); from then on every control request, pipe transfer,
 * abort and reset of the driver becomes a call on the backend. Three kinds of backend are meant to
 * implement it (docs/devices.md):
 *   - a device model in the same process (netdext::model::UsbDeviceModel, <netdext/model/usb.h>),
 *   - a proxy for a model in a process of its own (messages carry Transfer and its completion),
 *   - a real device through Linux usbfs / libusb (not available on these machines' kernels).
 * Hence the shape: asynchronous transfers that complete exactly once, from any thread, and no
 * shared memory between family and backend beyond each transfer's data buffer.
 *
 * Threading: every method may be called from any thread (driver queues, the system's threads);
 * the family never holds one of its locks while it calls the backend, so a backend may complete
 * a transfer inside submit() and call back into the family from its completion.
 */
#ifndef _NETDEXT_USB_BACKEND_H
#define _NETDEXT_USB_BACKEND_H

#include <DriverKit/IOReturn.h>

#include <stdint.h>
#include <functional>
#include <memory>

namespace netdext::usb {

/* The setup stage of a control transfer (USB 2.0 §9.3), in host byte order. */
struct SetupPacket {
    uint8_t bmRequestType = 0;
    uint8_t bRequest = 0;
    uint16_t wValue = 0;
    uint16_t wIndex = 0;
    uint16_t wLength = 0;
};

/*
 * One transfer. The family fills it and owns `data` (it stays valid until `complete` ran); the
 * backend owns the transfer from a successful submit() until it calls `complete`, exactly once:
 *   status      kIOReturnSuccess; kUSBHostReturnPipeStalled (the endpoint halted: it refuses
 *               every transfer until CLEAR_FEATURE(ENDPOINT_HALT)); kIOReturnAborted (abort(),
 *               cancel(), surprise removal); kIOReturnNotResponding (a transaction error);
 *               kIOReturnOverrun (the device sent more than `length`);
 *   transferred the bytes of the data stage actually moved (≤ length; fewer is a short packet).
 */
struct Transfer {
    uint8_t endpoint = 0; /* bEndpointAddress (0x80 = IN); 0 = the default control pipe */
    uint8_t type = 0;     /* kIOUSBEndpointType*: control, bulk or interrupt */
    SetupPacket setup;    /* control transfers only */
    uint8_t *data = nullptr;
    uint32_t length = 0;
    std::function<void(IOReturn status, uint32_t transferred)> complete;
};
using TransferPtr = std::shared_ptr<Transfer>;

class DeviceBackend {
public:
    virtual ~DeviceBackend() = default;

    /* The connection speed (tIOUSBHostConnectionSpeed), bus address and location ID. */
    virtual uint8_t speed() const = 0;
    virtual uint8_t address() const = 0;
    virtual uint32_t location_id() const = 0;

    /*
     * Queues `transfer` on its endpoint (transfers of one endpoint complete in order). Returns
     * kIOReturnSuccess when queued — `complete` will run, possibly before submit returns — or an
     * error and never calls `complete`: kIOReturnNoDevice after removal, kIOReturnNotFound for an
     * endpoint the current configuration and alternate settings do not have.
     */
    virtual IOReturn submit(const TransferPtr &transfer) = 0;
    /* Completes every queued transfer of `endpoint` with `status`; returns after their
     * `complete` calls returned. */
    virtual void abort(uint8_t endpoint, IOReturn status) = 0;
    /* Completes `transfer` with `status` if it is still queued; false if it already completed. */
    virtual bool cancel(const TransferPtr &transfer, IOReturn status) = 0;
    /* The host side of an endpoint starts over after a halt (data toggle DATA0). The device's
     * halt is cleared by CLEAR_FEATURE(ENDPOINT_HALT), which the family sends as a control
     * transfer when the driver asks for it. */
    virtual void reset_endpoint(uint8_t endpoint) = 0;
    /* A port reset: queued transfers are aborted and the device returns to the default,
     * unconfigured state. */
    virtual IOReturn reset() = 0;

    /* Whether the device was removed. After removal submit() fails with kIOReturnNoDevice. */
    virtual bool removed() const = 0;
    /* The family's removal handler: called once, from any thread, after the device went away and
     * its queued transfers completed. Set before the first submit. */
    virtual void set_removal_handler(std::function<void()> handler) = 0;
};

} // namespace netdext::usb

#endif
