// USB family helpers (usb_internal.h) and IOUSBHostFreeDescriptor.

#include <USBDriverKit/USBDriverKitDefs.h>
#include <netdext/time_source.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "usb_internal.h"

namespace netdext::usb {

IOReturn DataBuffer::create(IOMemoryDescriptor *memory, uint32_t length, bool device_to_host,
                            std::shared_ptr<DataBuffer> &out) {
    std::shared_ptr<DataBuffer> buffer(new DataBuffer);
    buffer->m_length = length;
    buffer->m_in = device_to_host;
    if (length == 0) {
        out = std::move(buffer);
        return kIOReturnSuccess;
    }
    uint64_t available = 0;
    if (memory == nullptr || memory->GetLength(&available) != kIOReturnSuccess ||
        available < length)
        return kIOReturnBadArgument;
    memory->retain();
    buffer->m_memory = memory;
    IOAddressSegment segment{};
    if (memory->netdext_segments(0, length, &segment, 1) == 1) {
        buffer->m_data = reinterpret_cast<uint8_t *>(segment.address);
    } else {
        buffer->m_bounce.resize(length);
        if (!device_to_host && !memory->netdext_read(0, buffer->m_bounce.data(), length))
            return kIOReturnBadArgument;
        buffer->m_data = buffer->m_bounce.data();
    }
    out = std::move(buffer);
    return kIOReturnSuccess;
}

DataBuffer::~DataBuffer() {
    if (m_memory != nullptr)
        m_memory->release();
}

void DataBuffer::finish(uint32_t transferred) {
    if (m_in && !m_bounce.empty() && transferred > 0)
        (void)m_memory->netdext_write(0, m_bounce.data(), transferred < m_length ? transferred
                                                                                 : m_length);
}

IOReturn run_and_wait(DeviceBackend &backend, const TransferPtr &transfer, uint32_t timeout_ms,
                      uint32_t *transferred) {
    struct Wait {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
        IOReturn status = kIOReturnSuccess;
        uint32_t transferred = 0;
    };
    auto wait = std::make_shared<Wait>();
    transfer->complete = [wait](IOReturn status, uint32_t count) {
        std::lock_guard lock(wait->mutex);
        wait->done = true;
        wait->status = status;
        wait->transferred = count;
        wait->cv.notify_all();
    };
    IOReturn kr = backend.submit(transfer);
    if (kr != kIOReturnSuccess)
        return kr;
    std::unique_lock lock(wait->mutex);
    if (timeout_ms != 0 &&
        !wait->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return wait->done; })) {
        lock.unlock();
        backend.cancel(transfer, kIOReturnTimeout);
        lock.lock();
    }
    wait->cv.wait(lock, [&] { return wait->done; });
    if (transferred != nullptr)
        *transferred = wait->transferred;
    return wait->status;
}

namespace {

struct Watchdog {
    struct Entry {
        std::weak_ptr<DeviceBackend> backend;
        std::weak_ptr<Transfer> transfer;
    };
    std::mutex mutex;
    std::condition_variable wake;
    std::multimap<std::chrono::steady_clock::time_point, Entry> deadlines;
    bool running = false;

    void run() {
        std::unique_lock lock(mutex);
        for (;;) {
            if (deadlines.empty()) {
                wake.wait(lock);
                continue;
            }
            const auto first = deadlines.begin()->first; // a copy: insertions may move the node
            if (wake.wait_until(lock, first) != std::cv_status::timeout &&
                std::chrono::steady_clock::now() < first)
                continue;
            std::vector<Entry> due;
            const auto now = std::chrono::steady_clock::now();
            while (!deadlines.empty() && deadlines.begin()->first <= now) {
                due.push_back(std::move(deadlines.begin()->second));
                deadlines.erase(deadlines.begin());
            }
            lock.unlock();
            for (Entry &entry : due) {
                // A transfer that completed (or a device that went away) is simply gone.
                std::shared_ptr<DeviceBackend> backend = entry.backend.lock();
                TransferPtr transfer = entry.transfer.lock();
                if (backend && transfer)
                    (void)backend->cancel(transfer, kIOReturnTimeout);
            }
            lock.lock();
        }
    }
};

Watchdog &watchdog() {
    static Watchdog *instance = new Watchdog; // leaked: transfers may outlive static destructors
    return *instance;
}

} // namespace

void cancel_after(const std::shared_ptr<DeviceBackend> &backend, const TransferPtr &transfer,
                  uint32_t timeout_ms) {
    if (timeout_ms == 0 || !backend || !transfer)
        return;
    Watchdog &w = watchdog();
    std::lock_guard lock(w.mutex);
    w.deadlines.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms),
                        Watchdog::Entry{backend, transfer});
    if (!w.running) {
        w.running = true;
        std::thread([&w] { w.run(); }).detach();
    }
    w.wake.notify_all();
}

void InFlight::add(const void *owner, const TransferPtr &transfer) {
    std::lock_guard lock(m_mutex);
    m_transfers.emplace(owner, transfer);
}

void InFlight::remove(const Transfer *transfer) {
    std::lock_guard lock(m_mutex);
    for (auto it = m_transfers.begin(); it != m_transfers.end(); ++it) {
        if (it->second.get() == transfer) {
            m_transfers.erase(it);
            return;
        }
    }
}

std::vector<TransferPtr> InFlight::take(const void *owner) {
    std::lock_guard lock(m_mutex);
    std::vector<TransferPtr> out;
    for (auto it = m_transfers.begin(); it != m_transfers.end();) {
        if (owner == nullptr || it->first == owner) {
            out.push_back(it->second);
            it = m_transfers.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

size_t InFlight::count(const void *owner) const {
    std::lock_guard lock(m_mutex);
    size_t n = 0;
    for (const auto &entry : m_transfers)
        n += (owner == nullptr || entry.first == owner) ? 1 : 0;
    return n;
}

uint64_t completion_timestamp() { return time_source().now_ns(ClockDomain::uptime); }

const void *copy_descriptor(const std::vector<uint8_t> &bytes) {
    if (bytes.empty())
        return nullptr;
    void *copy = std::malloc(bytes.size());
    if (copy != nullptr)
        std::memcpy(copy, bytes.data(), bytes.size());
    return copy;
}

} // namespace netdext::usb

// Descriptors the family hands out are malloc'ed copies.
void IOUSBHostFreeDescriptor(const IOUSBDeviceDescriptor *descriptor) {
    std::free(const_cast<IOUSBDeviceDescriptor *>(descriptor));
}
void IOUSBHostFreeDescriptor(const IOUSBConfigurationDescriptor *descriptor) {
    std::free(const_cast<IOUSBConfigurationDescriptor *>(descriptor));
}
void IOUSBHostFreeDescriptor(const IOUSBBOSDescriptor *descriptor) {
    std::free(const_cast<IOUSBBOSDescriptor *>(descriptor));
}
void IOUSBHostFreeDescriptor(const IOUSBStringDescriptor *descriptor) {
    std::free(const_cast<IOUSBStringDescriptor *>(descriptor));
}
