/*
 * netdext/pci_backend.h — what sits behind an IOPCIDevice: the provider interface between
 * PCIDriverKit (IOPCIDevice in libdriverkit) and one PCI function.
 *
 * Drivers never include this. The system creates the function's provider with
 * IOPCIDevice::netdext_create(backend, …); the driver's configuration and BAR accesses become
 * calls on the backend, and the function reaches back through the BusPort the family attaches:
 * DMA through the function's IOMMU (netdext/iommu.h) and message-signalled interrupts. Meant to be
 * implemented by a device model in the same process (netdext::model::PciFunctionModel,
 * <netdext/model/pci.h>), a proxy for a model in a process of its own, or a real function behind
 * Linux VFIO (not available on these machines' kernels): see docs/devices.md.
 *
 * Threading: any thread may call the backend; the backend may call the BusPort from inside any
 * of its methods (a register write that raises an interrupt, a doorbell that starts DMA) and from
 * its own threads. The family never holds a lock while calling the backend.
 */
#ifndef _NETDEXT_PCI_BACKEND_H
#define _NETDEXT_PCI_BACKEND_H

#include <DriverKit/IOReturn.h>

#include <stdint.h>
#include <functional>

namespace netdext::pci {

/* One base address register as the function decodes it. */
struct BarInfo {
    uint64_t size = 0;  /* bytes; 0: the BAR is not implemented */
    uint8_t type = 0;   /* kPCIBARType* (memory 32/64, I/O, prefetchable) */
};

/* The bus as the function sees it; implemented by the family. */
class BusPort {
public:
    virtual ~BusPort() = default;
    /* DMA: the function reads or writes `length` bytes at bus address `address` (what the driver
     * got from IODMACommand::PrepareForDMA). False when the transaction fails — bus mastering is
     * off, the IOMMU has no mapping for the range or not in that direction — and the function
     * then behaves as on a master abort. */
    virtual bool dma_read(uint64_t address, void *out, uint64_t length) = 0;
    virtual bool dma_write(uint64_t address, const void *in, uint64_t length) = 0;
    /* The function sent MSI/MSI-X message `vector` (0-based). */
    virtual void signal_msi(uint32_t vector) = 0;
    /* The function asserts (true) or deasserts its INTx pin. */
    virtual void set_intx(bool asserted) = 0;
};

class FunctionBackend {
public:
    virtual ~FunctionBackend() = default;

    /* The family attaches its BusPort before the first access and detaches (nullptr) before it
     * goes away; after attach(nullptr) returns the function makes no more BusPort calls. */
    virtual void attach(BusPort *bus) = 0;

    /* Configuration space: width 1, 2 or 4, naturally aligned, offset < config_space_size().
     * A removed function reads all ones and ignores writes. */
    virtual uint32_t config_space_size() const = 0;
    virtual uint32_t config_read(uint16_t offset, uint8_t width) = 0;
    virtual void config_write(uint16_t offset, uint8_t width, uint32_t value) = 0;

    /* BAR `index` (0-5): its size and type. */
    virtual BarInfo bar(uint8_t index) const = 0;
    /* Memory (or I/O) space accesses inside a BAR: width 1, 2, 4 or 8. As on a bus, an access the
     * function does not decode (memory decoding off, removed) reads all ones. */
    virtual uint64_t memory_read(uint8_t bar, uint64_t offset, uint8_t width) = 0;
    virtual void memory_write(uint8_t bar, uint64_t offset, uint8_t width, uint64_t value) = 0;

    /* A reset of `type` (kIOPCIDeviceResetType*); the function returns to its power-on state
     * (configuration registers included). */
    virtual IOReturn reset(uint32_t type) = 0;

    virtual bool removed() const = 0;
    /* The family's removal handler: called once, from any thread, after the function went away. */
    virtual void set_removal_handler(std::function<void()> handler) = 0;
};

} // namespace netdext::pci

#endif
