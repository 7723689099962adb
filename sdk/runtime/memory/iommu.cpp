// The simulated IOMMU (netdext/iommu.h) and which device it serves.
//
// Page table: one Mapping per map() call, keyed by its first IOVA page; a device access walks the
// mappings it spans (each must allow the direction) and copies under the lock, so an unmap never
// races a transfer. Free IOVA ranges are kept coalesced by start.

#include <DriverKit/IOMemoryDescriptor.h>
#include <DriverKit/IOService.h>
#include <netdext/iommu.h>
#include <netdext/runtime.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <iterator>

namespace netdext {
namespace {

constexpr size_t kFaultsKept = 64;

uint64_t pages_for(uint64_t offset, uint64_t length) {
    return (offset + length + Iommu::kPageSize - 1) / Iommu::kPageSize;
}

} // namespace

IOReturn Iommu::map(const void *host, uint64_t length, uint64_t direction, uint64_t address_bits,
                    uint64_t *iova) {
    if (host == nullptr || length == 0 || iova == nullptr)
        return kIOReturnBadArgument;
    const uintptr_t address = reinterpret_cast<uintptr_t>(host);
    const uint64_t offset = address % kPageSize;
    const uint64_t pages = pages_for(offset, length);
    const uint64_t limit = address_bits >= 64 ? UINT64_MAX : (uint64_t(1) << address_bits);
    const uint64_t bytes = pages * kPageSize;
    std::lock_guard lock(m_mutex);
    uint64_t start = 0;
    // First fit among freed ranges, else fresh space.
    for (auto it = m_free.begin(); it != m_free.end(); ++it) {
        if (it->second >= pages && it->first + bytes <= limit) {
            start = it->first;
            uint64_t rest = it->second - pages;
            m_free.erase(it);
            if (rest > 0)
                m_free[start + bytes] = rest;
            break;
        }
    }
    if (start == 0) {
        if (m_next > limit || bytes > limit - m_next)
            return kIOReturnNoResources;
        start = m_next;
        m_next += bytes;
    }
    const bool both = (direction & kIOMemoryDirectionOutIn) == 0;
    m_mappings[start] = Mapping{reinterpret_cast<uint8_t *>(address - offset), pages, offset,
                                length, both || (direction & kIOMemoryDirectionOut) != 0,
                                both || (direction & kIOMemoryDirectionIn) != 0};
    *iova = start + offset;
    return kIOReturnSuccess;
}

IOReturn Iommu::unmap(uint64_t iova) {
    std::lock_guard lock(m_mutex);
    auto it = m_mappings.find(iova - iova % kPageSize);
    if (it == m_mappings.end() || iova % kPageSize != it->second.offset)
        return kIOReturnNotFound;
    uint64_t start = it->first, pages = it->second.pages;
    m_mappings.erase(it);
    // Give the pages back, merged with free neighbours.
    auto next = m_free.find(start + pages * kPageSize);
    if (next != m_free.end()) {
        pages += next->second;
        m_free.erase(next);
    }
    auto before = m_free.lower_bound(start);
    if (before != m_free.begin()) {
        --before;
        if (before->first + before->second * kPageSize == start) {
            before->second += pages;
            return kIOReturnSuccess;
        }
    }
    m_free[start] = pages;
    return kIOReturnSuccess;
}

void Iommu::record_fault(uint64_t iova, uint64_t length, bool write, std::string reason) {
    ++m_fault_count;
    if (m_faults.size() == kFaultsKept)
        m_faults.erase(m_faults.begin());
    log_linef(LogLevel::error, "IOMMU fault: device %s of %" PRIu64 " bytes at 0x%" PRIx64 ": %s",
              write ? "write" : "read", length, iova, reason.c_str());
    m_faults.push_back(Fault{iova, length, write, std::move(reason)});
}

bool Iommu::access(uint64_t iova, uint8_t *buffer, uint64_t length, bool write) {
    std::lock_guard lock(m_mutex);
    if (m_fail_next > 0) {
        --m_fail_next;
        record_fault(iova, length, write, "injected");
        return false;
    }
    // Check the whole range first: a faulting access moves no byte.
    for (uint64_t at = iova, left = length; left > 0;) {
        auto it = m_mappings.upper_bound(at);
        if (it == m_mappings.begin()) {
            record_fault(iova, length, write, "not mapped");
            return false;
        }
        --it;
        const Mapping &m = it->second;
        const uint64_t first = it->first + m.offset, end = first + m.length;
        if (at < first || at >= end) {
            record_fault(iova, length, write, "not mapped");
            return false;
        }
        if (write ? !m.device_writes : !m.device_reads) {
            record_fault(iova, length, write,
                         write ? "mapped for the device to read only (kIOMemoryDirectionOut)"
                               : "mapped for the device to write only (kIOMemoryDirectionIn)");
            return false;
        }
        uint64_t n = end - at < left ? end - at : left;
        at += n;
        left -= n;
    }
    for (uint64_t at = iova, done = 0; done < length;) {
        auto it = std::prev(m_mappings.upper_bound(at));
        const Mapping &m = it->second;
        uint8_t *host = m.host + (at - it->first);
        uint64_t n = std::min(it->first + m.offset + m.length - at, length - done);
        if (write)
            std::memcpy(host, buffer + done, n);
        else
            std::memcpy(buffer + done, host, n);
        at += n;
        done += n;
    }
    return true;
}

bool Iommu::read(uint64_t iova, void *out, uint64_t length) {
    return access(iova, static_cast<uint8_t *>(out), length, false);
}

bool Iommu::write(uint64_t iova, const void *in, uint64_t length) {
    return access(iova, const_cast<uint8_t *>(static_cast<const uint8_t *>(in)), length, true);
}

void Iommu::fail_next(uint32_t count) {
    std::lock_guard lock(m_mutex);
    m_fail_next = count;
}

size_t Iommu::mapping_count() const {
    std::lock_guard lock(m_mutex);
    return m_mappings.size();
}

uint64_t Iommu::mapped_bytes() const {
    std::lock_guard lock(m_mutex);
    uint64_t total = 0;
    for (const auto &entry : m_mappings)
        total += entry.second.length;
    return total;
}

uint64_t Iommu::fault_count() const {
    std::lock_guard lock(m_mutex);
    return m_fault_count;
}

std::vector<Iommu::Fault> Iommu::faults() const {
    std::lock_guard lock(m_mutex);
    return m_faults;
}

// ---- which device has which IOMMU -------------------------------------------------------------

namespace {
struct IommuRegistry {
    std::mutex mutex;
    std::map<uint64_t, std::shared_ptr<Iommu>> by_device; // registry ID -> IOMMU
};
IommuRegistry &iommus() {
    static IommuRegistry *instance = new IommuRegistry; // never destroyed: used until exit
    return *instance;
}
uint64_t registry_id_of(IOService *device) {
    uint64_t id = 0;
    if (device == nullptr || device->GetRegistryEntryID(&id) != kIOReturnSuccess)
        return 0;
    return id;
}
} // namespace

std::shared_ptr<Iommu> iommu_for(IOService *device) {
    uint64_t id = registry_id_of(device);
    IommuRegistry &registry = iommus();
    std::lock_guard lock(registry.mutex);
    auto it = registry.by_device.find(id);
    return it == registry.by_device.end() ? nullptr : it->second;
}

void set_iommu(IOService *device, std::shared_ptr<Iommu> iommu) {
    uint64_t id = registry_id_of(device);
    if (id == 0)
        return;
    IommuRegistry &registry = iommus();
    std::lock_guard lock(registry.mutex);
    if (iommu)
        registry.by_device[id] = std::move(iommu);
    else
        registry.by_device.erase(id);
}

} // namespace netdext
