/*
 * netdext/model/pci.h — PciFunctionModel: the base of a simulated PCI function.
 *
 * The base is the function's PCI side (PCI Local Bus 3.0 chapter 6): a 256-byte type-0
 * configuration space with the standard header built from the model's identity, BARs that
 * decode as real ones do (sizing writes, read-only type bits), a command register that gates
 * memory decoding and bus mastering, write-one-to-clear status bits, a power management
 * capability and an MSI capability (64-bit, the vector count the model asks for). A model adds
 * its registers and its DMA engine:
 *
 *   class MyNic : public netdext::model::PciFunctionModel {
 *       uint64_t register_read(uint8_t bar, uint64_t offset, uint8_t width) override;
 *       void register_write(uint8_t bar, uint64_t offset, uint8_t width, uint64_t value) override;
 *       void power_on_reset() override;
 *   };
 *
 * Hooks run with the device's lock held. From them a model does DMA with dma_read/dma_write
 * (through the IOMMU the family put in front of the function; false on a fault) and interrupts
 * with signal_interrupt (MSI when the driver's family enabled it, else INTx).
 *
 * Fault knobs every PCI model has:
 *   dma-errors=N       the next N DMA transactions fail (the function sees a master abort:
 *                      Status bit 13, Received Master Abort, is set)
 *   lost-interrupts=N  the next N interrupt messages are lost
 */
#ifndef _NETDEXT_MODEL_PCI_H
#define _NETDEXT_MODEL_PCI_H

#include <netdext/model/device.h>
#include <netdext/pci_backend.h>

#include <array>

namespace netdext::model {

class PciFunctionModel : public Device,
                         public netdext::pci::FunctionBackend,
                         public std::enable_shared_from_this<PciFunctionModel> {
public:
    struct Identity {
        uint16_t vendor_id = 0;
        uint16_t device_id = 0;
        uint8_t revision_id = 0;
        uint32_t class_code = 0; /* 24 bits: base class, subclass, programming interface */
        uint16_t subsystem_vendor_id = 0;
        uint16_t subsystem_id = 0;
        uint8_t interrupt_pin = 1; /* INTA# */
        std::array<netdext::pci::BarInfo, 6> bars{};
        uint8_t pm_offset = 0;   /* where the PM capability goes (0: none) */
        uint8_t msi_offset = 0;  /* where the MSI capability goes (0: none) */
        uint8_t msi_vectors = 1; /* a power of two up to 32 */
    };

    /* ---- netdext::pci::FunctionBackend ---- */
    void attach(netdext::pci::BusPort *bus) override;
    uint32_t config_space_size() const override { return 256; }
    uint32_t config_read(uint16_t offset, uint8_t width) override;
    void config_write(uint16_t offset, uint8_t width, uint32_t value) override;
    netdext::pci::BarInfo bar(uint8_t index) const override;
    uint64_t memory_read(uint8_t bar, uint64_t offset, uint8_t width) override;
    void memory_write(uint8_t bar, uint64_t offset, uint8_t width, uint64_t value) override;
    IOReturn reset(uint32_t type) override;
    bool removed() const override;
    void set_removal_handler(std::function<void()> handler) override;

    /* ---- Device ---- */
    std::shared_ptr<netdext::pci::FunctionBackend> pci_backend() override { return shared_from_this(); }
    void remove() override;
    bool is_removed() const override { return removed(); }

    /* The command register and whether MSI is enabled (for tests). */
    uint16_t command() const;
    bool msi_enabled() const;

protected:
    PciFunctionModel(std::string model, bool has_wire, Identity identity);

    /* ---- hooks, called with the lock held ---- */
    /* A register access inside a BAR (memory decoding is on, the function present; the
     * offset and width are inside the BAR and aligned). */
    virtual uint64_t register_read(uint8_t bar, uint64_t offset, uint8_t width) = 0;
    virtual void register_write(uint8_t bar, uint64_t offset, uint8_t width, uint64_t value) = 0;
    /* The device's own state returns to power-on values (reset, and once after construction:
     * call it from the subclass constructor). */
    virtual void power_on_reset() = 0;
    /* The function was removed (lock held). */
    virtual void went_away() {}

    /* ---- for the hooks (lock held) ---- */
    bool removed_locked() const { return m_removed; }
    /* DMA through the family's bus (and IOMMU). False, counted and with Received Master Abort
     * set when bus mastering is off, the transaction faults or a dma-errors knob fires. */
    bool dma_read(uint64_t address, void *out, uint64_t length);
    bool dma_write(uint64_t address, const void *in, uint64_t length);
    /* The function raises its interrupt: MSI vector `vector` when MSI is enabled (a lost-
     * interrupts knob may swallow it), else INTx unless Interrupt Disable is set. */
    void signal_interrupt(uint32_t vector = 0);

private:
    uint32_t read_config_locked(uint16_t offset, uint8_t width) const;
    void write_config_byte(uint16_t offset, uint8_t value);
    void reset_config();
    bool msi_enabled_locked() const;
    bool decodes_locked(uint8_t bar);
    bool dma_write_or_read(uint64_t address, void *buffer, uint64_t length, bool write);

    Identity m_identity;
    std::array<uint8_t, 256> m_config{};
    std::array<uint8_t, 256> m_writable{}; /* bits software may write */
    std::array<uint8_t, 256> m_clear_on_one{}; /* write-one-to-clear bits */
    netdext::pci::BusPort *m_bus = nullptr;
    bool m_removed = false;
    std::function<void()> m_removal_handler;
    uint64_t m_dma_errors_next = 0;
    uint64_t m_lost_interrupts_next = 0;
};

} // namespace netdext::model

#endif
