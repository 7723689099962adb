/*
 * netdext/iommu.h — a simulated IOMMU: the device address space of one device.
 *
 * On macOS every DriverKit device sits behind an IOMMU (DART): IODMACommand::PrepareForDMA maps
 * the memory and returns I/O virtual addresses, not the driver's pointers. netdext does the same
 * for a device the system gave an Iommu (netdext::set_iommu — the PCI family does, for every
 * IOPCIDevice): PrepareForDMA maps each segment here and returns its IOVA, CompleteDMA unmaps it,
 * and the device (a model, through the family's BusPort) reaches memory only through read() and
 * write(), which check every byte against a live mapping and its direction. A driver that programs
 * a pointer instead of a DMA address, uses a buffer after CompleteDMA or lets the device write
 * memory it prepared for output gets a fault, counted and logged — where real hardware would
 * corrupt memory quietly. Devices without an Iommu keep identity addressing (IODMACommand.h).
 *
 * IOVAs start at 0x10000000 and are allocated page by page (4 KiB), the page offset of the memory
 * kept, below 2^maxAddressBits of the DMA command. Thread-safety: any thread.
 */
#ifndef _NETDEXT_IOMMU_H
#define _NETDEXT_IOMMU_H

#include <DriverKit/IOReturn.h>

#include <stdint.h>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

class IOService;

namespace netdext {

class Iommu {
public:
    static constexpr uint64_t kPageSize = 4096;
    static constexpr uint64_t kBase = 0x10000000;

    /* One fault: what the device tried. */
    struct Fault {
        uint64_t address;
        uint64_t length;
        bool write; /* the device wrote (true) or read */
        std::string reason;
    };

    Iommu() = default;
    Iommu(const Iommu &) = delete;
    Iommu &operator=(const Iommu &) = delete;

    /*
     * Maps [host, host + length) for the device, readable by it if `direction` has
     * kIOMemoryDirectionOut, writable if kIOMemoryDirectionIn (None: both), at an IOVA below
     * 2^address_bits. kIOReturnNoResources when that space is full, kIOReturnBadArgument for a
     * zero length.
     */
    IOReturn map(const void *host, uint64_t length, uint64_t direction, uint64_t address_bits,
                 uint64_t *iova);
    /* Removes the mapping that starts at `iova` (as map returned it); kIOReturnNotFound if none. */
    IOReturn unmap(uint64_t iova);

    /* The device's accesses: false (and a fault recorded) unless every byte is mapped in that
     * direction. */
    bool read(uint64_t iova, void *out, uint64_t length);
    bool write(uint64_t iova, const void *in, uint64_t length);

    /* Makes the next `count` device accesses fail as faults ("injected"): a fault knob. */
    void fail_next(uint32_t count);

    size_t mapping_count() const;
    uint64_t mapped_bytes() const;
    uint64_t fault_count() const;
    std::vector<Fault> faults() const; /* the latest 64 */

private:
    struct Mapping {
        uint8_t *host;   /* the host address of the mapping's first page */
        uint64_t pages;  /* IOVA pages */
        uint64_t offset; /* of the mapped memory in its first page */
        uint64_t length;
        bool device_reads;
        bool device_writes;
    };
    bool access(uint64_t iova, uint8_t *buffer, uint64_t length, bool write);
    void record_fault(uint64_t iova, uint64_t length, bool write, std::string reason);

    mutable std::mutex m_mutex;
    std::map<uint64_t, Mapping> m_mappings;   /* by first IOVA page */
    std::map<uint64_t, uint64_t> m_free;      /* free IOVA ranges: start -> pages */
    uint64_t m_next = kBase;                  /* first never-used IOVA */
    uint32_t m_fail_next = 0;
    uint64_t m_fault_count = 0;
    std::vector<Fault> m_faults;
};

/* The IOMMU in front of `device` (IODMACommand::Create's device), or none. */
std::shared_ptr<Iommu> iommu_for(IOService *device);
/* Puts `iommu` in front of `device` (nullptr removes it); by the device's registry ID. */
void set_iommu(IOService *device, std::shared_ptr<Iommu> iommu);

} // namespace netdext

#endif
