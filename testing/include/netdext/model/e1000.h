/*
 * netdext/model/e1000.h — an Intel 82540EM Gigabit Ethernet controller (the "e1000").
 *
 * Facts from Intel's PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's
 * Manual (8254x SDM); section numbers in e1000.cpp are that manual's. What is modelled:
 *   PCI     vendor 0x8086, device 0x100E, class 0x020000; BAR0: 128 KiB of registers (memory,
 *           32-bit); power management capability at 0xDC and MSI at 0xF0 with one message
 *           (§4.1.3: no new message until ICR is read).
 *   MAC     CTRL (RST, SLU), STATUS (LU, 1000 Mb/s full duplex), EERD reads of a 64-word EEPROM
 *           (words 0-2: the MAC address, §5.6; word 0x3F: the 0xBABA checksum), ICR/ICS/IMS/IMC
 *           (§13.4.17-21), RCTL (EN, UPE, MPE, BAM, BSIZE/BSEX, SECRC, RDMTS), TCTL (EN),
 *           receive addresses RAL/RAH[16] and the multicast table MTA[128] (MO = 0..3), the good
 *           packet/octet and missed packet statistics (read to clear).
 *   rings   legacy receive (§3.2.3) and transmit (§3.3.3) descriptors in DMA memory, head and
 *           tail registers: the device owns [head, tail). Frames span receive descriptors when
 *           larger than a buffer; transmit gathers descriptors up to EOP and writes DD back when
 *           RS is set. Interrupts are immediate (RDTR, RADV, TIDV and ITR are stored, not
 *           applied). Checksum offload and extended descriptors are not modelled (a descriptor
 *           with DEXT set is completed without sending, counted as tx_unsupported).
 *   link    LU = the cable (knob link) and CTRL.SLU; a change raises ICR.LSC.
 *   DMA     through the IOMMU: a faulting buffer write completes the receive descriptor with
 *           RXE (errors 0x80) and length 0; a faulting descriptor fetch drops the frame (MPC);
 *           a transmit that cannot be read is not sent but still completed (DD).
 *
 * Knobs (beside PciFunctionModel's dma-errors, lost-interrupts):
 *   mac=02:…        the EEPROM's address                                  [creation]
 *   link=up|down    the cable
 */
#ifndef _NETDEXT_MODEL_E1000_H
#define _NETDEXT_MODEL_E1000_H

#include <netdext/model/pci.h>

#include <array>
#include <map>

namespace netdext::model {

class E1000Device final : public PciFunctionModel {
public:
    static constexpr uint16_t kVendorID = 0x8086;
    static constexpr uint16_t kDeviceID = 0x100E; /* 82540EM (SDM Table 5-? device IDs) */

    static std::shared_ptr<E1000Device> create();
    static std::shared_ptr<E1000Device> create(const std::vector<std::pair<std::string, std::string>> &knobs,
                                               std::string &error);

    /* Register values as the driver left them (for tests). */
    uint32_t register_value(uint32_t offset) const;

private:
    E1000Device();
    void load_eeprom();

    uint64_t register_read(uint8_t bar, uint64_t offset, uint8_t width) override;
    void register_write(uint8_t bar, uint64_t offset, uint8_t width, uint64_t value) override;
    void power_on_reset() override;

    uint32_t read32(uint32_t offset);
    void write32(uint32_t offset, uint32_t value);
    void raise(uint32_t cause);
    void update_interrupt();
    void update_link();
    bool link_up() const;
    void transmit();
    bool receive(std::span<const uint8_t> frame);
    bool address_accepted(const uint8_t *dst) const;
    uint32_t buffer_size() const;

    std::array<uint8_t, 6> m_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    std::array<uint16_t, 64> m_eeprom{};
    bool m_cable = true;
    bool m_link_reported = false; /* LU as STATUS last showed it */
    bool m_interrupt_latched = false;
    std::map<uint32_t, uint32_t> m_regs; /* every register, by offset */
};

} // namespace netdext::model

#endif
