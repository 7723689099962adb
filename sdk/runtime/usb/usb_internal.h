// Private helpers of the USB family (sdk/runtime/usb): data buffers for transfers, waiting for a
// transfer, in-flight bookkeeping, and completion delivery.
#pragma once

#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/OSAction.h>
#include <USBDriverKit/AppleUSBDefinitions.h>
#include <netdext/usb_backend.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace netdext::usb {

// The data stage of a transfer over an IOMemoryDescriptor: the descriptor's own memory when
// [0, length) is one range, else a bounce buffer copied out before and back after the transfer.
// Keeps the descriptor retained while it lives.
class DataBuffer {
public:
    // kIOReturnBadArgument if `memory` is shorter than `length` (or NULL with a length).
    static IOReturn create(IOMemoryDescriptor *memory, uint32_t length, bool device_to_host,
                           std::shared_ptr<DataBuffer> &out);
    ~DataBuffer();
    DataBuffer(const DataBuffer &) = delete;
    DataBuffer &operator=(const DataBuffer &) = delete;

    uint8_t *data() { return m_data; }
    uint32_t length() const { return m_length; }
    // After an IN transfer: copies what arrived back into the descriptor (bounce only).
    void finish(uint32_t transferred);

private:
    DataBuffer() = default;
    IOMemoryDescriptor *m_memory = nullptr; // retained
    uint8_t *m_data = nullptr;
    uint32_t m_length = 0;
    bool m_in = false;
    std::vector<uint8_t> m_bounce;
};

// Submits `transfer` and waits for it (timeout_ms 0: forever; otherwise, in real time, the
// transfer is cancelled with kIOReturnTimeout). Replaces transfer->complete.
IOReturn run_and_wait(DeviceBackend &backend, const TransferPtr &transfer, uint32_t timeout_ms,
                      uint32_t *transferred);

// An asynchronous transfer's completionTimeoutMs (0: none): unless it has completed by then (in
// real time), `transfer` is cancelled with kIOReturnTimeout, as USBDriverKit aborts a request
// whose timeout expires. One watchdog thread serves the process; it holds neither the transfer
// nor the backend alive.
void cancel_after(const std::shared_ptr<DeviceBackend> &backend, const TransferPtr &transfer,
                  uint32_t timeout_ms);

// Transfers in flight, by owner (a client, a pipe), so that they can be aborted or cancelled.
class InFlight {
public:
    void add(const void *owner, const TransferPtr &transfer);
    void remove(const Transfer *transfer);
    std::vector<TransferPtr> take(const void *owner); // nullptr: all
    size_t count(const void *owner) const;

private:
    mutable std::mutex m_mutex;
    std::set<std::pair<const void *, TransferPtr>> m_transfers;
};

// The time a completion carries (mach_absolute_time(): nanoseconds of the process clock).
uint64_t completion_timestamp();

// Whether bmRequestType says device-to-host.
inline bool request_is_in(uint8_t bmRequestType) {
    return (bmRequestType & kIOUSBDeviceRequestDirectionMask) != 0;
}

// A malloc'ed copy (IOUSBHostFreeDescriptor frees it) of `bytes`, or NULL when empty.
const void *copy_descriptor(const std::vector<uint8_t> &bytes);

} // namespace netdext::usb
