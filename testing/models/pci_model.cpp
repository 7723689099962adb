// PciFunctionModel: a PCI function's configuration space, decoding, DMA and interrupts for device
// models (netdext/model/pci.h). Section numbers are PCI Local Bus 3.0's unless said otherwise.

#include <netdext/model/pci.h>

#include <PCIDriverKit/IOPCIDevice.h>

#include <algorithm>

namespace netdext::model {

namespace {

constexpr uint16_t kStatusInterrupt = 0x0008;          // §6.2.3: Interrupt Status
constexpr uint16_t kStatusReceivedMasterAbort = 0x2000; // §6.2.3: bit 13
// MSI capability (§6.8.1): control bits.
constexpr uint16_t kMSIEnable = 0x0001, kMSI64Bit = 0x0080;

uint32_t ones(uint8_t width) { return width >= 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1; }

} // namespace

PciFunctionModel::PciFunctionModel(std::string model, bool has_wire, Identity identity)
    : Device(std::move(model), has_wire), m_identity(identity) {
    add_knob({"dma-errors", "N: the next N DMA transactions fail (a master abort)"},
             [this](const std::string &value, std::string &error) {
                 return parse_uint(value, UINT32_MAX, m_dma_errors_next, error);
             });
    add_knob({"lost-interrupts", "N: the next N interrupt messages are lost"},
             [this](const std::string &value, std::string &error) {
                 return parse_uint(value, UINT32_MAX, m_lost_interrupts_next, error);
             });
    reset_config();
}

// The power-on configuration header (§6.2) and capabilities.
void PciFunctionModel::reset_config() {
    m_config.fill(0);
    m_writable.fill(0);
    m_clear_on_one.fill(0);
    auto put16 = [this](uint16_t at, uint16_t v) {
        m_config[at] = uint8_t(v);
        m_config[at + 1] = uint8_t(v >> 8);
    };
    const Identity &id = m_identity;
    put16(kIOPCIConfigurationOffsetVendorID, id.vendor_id);
    put16(kIOPCIConfigurationOffsetDeviceID, id.device_id);
    bool has_io = false;
    for (const auto &bar : id.bars)
        has_io |= bar.size != 0 && bar.type == kPCIBARTypeIO;
    // Command (§6.2.2): I/O and memory decoding, bus mastering, parity, SERR#, Interrupt Disable.
    m_writable[4] = uint8_t((has_io ? kIOPCICommandIOSpace : 0) | kIOPCICommandMemorySpace |
                            kIOPCICommandBusLead | kIOPCICommandParityError);
    m_writable[5] = uint8_t((kIOPCICommandSERR | kIOPCICommandInterruptDisable) >> 8);
    // Status (§6.2.3): the error bits are write-one-to-clear.
    m_clear_on_one[7] = 0xF9;
    m_config[kIOPCIConfigurationOffsetRevisionID] = id.revision_id;
    m_config[0x09] = uint8_t(id.class_code);
    m_config[0x0A] = uint8_t(id.class_code >> 8);
    m_config[0x0B] = uint8_t(id.class_code >> 16);
    m_writable[kIOPCIConfigurationOffsetCacheLineSize] = 0xFF;
    m_writable[kIOPCIConfigurationOffsetLatencyTimer] = 0xFF;
    // BARs (§6.2.5.1): the low bits say the type; address bits below the size read as zero.
    for (uint8_t i = 0; i < 6; ++i) {
        const netdext::pci::BarInfo &bar = id.bars[i];
        if (bar.size == 0)
            continue;
        const uint16_t at = uint16_t(kIOPCIConfigurationOffsetBaseAddress0 + 4 * i);
        const uint64_t low_bits = bar.type == kPCIBARTypeIO ? 0x3 : 0xF;
        const uint64_t mask = ~(bar.size - 1) & ~low_bits;
        m_config[at] = bar.type;
        for (int b = 0; b < 4; ++b)
            m_writable[at + b] = uint8_t(mask >> (8 * b));
        if ((bar.type & kPCIBARTypeM64) != 0 && i < 5) {
            for (int b = 0; b < 4; ++b)
                m_writable[at + 4 + b] = uint8_t(mask >> (32 + 8 * b));
            ++i;
        }
    }
    put16(kIOPCIConfigurationOffsetSubSystemVendorID, id.subsystem_vendor_id);
    put16(kIOPCIConfigurationOffsetSubSystemID, id.subsystem_id);
    m_writable[kIOPCIConfigurationOffsetInterruptLine] = 0xFF;
    m_config[kIOPCIConfigurationOffsetInterruptPin] = id.interrupt_pin;
    // Capabilities, linked in offset order (§6.7).
    uint8_t first = 0, second = 0;
    if (id.pm_offset != 0 && id.msi_offset != 0) {
        first = std::min(id.pm_offset, id.msi_offset);
        second = std::max(id.pm_offset, id.msi_offset);
    } else {
        first = id.pm_offset != 0 ? id.pm_offset : id.msi_offset;
    }
    if (first != 0) {
        put16(kIOPCIConfigurationOffsetStatus, kIOPCIStatusCapabilities);
        m_config[kIOPCIConfigurationOffsetCapabilitiesPtr] = first;
    }
    auto next_of = [&](uint8_t at) { return uint8_t(at == first ? second : 0); };
    if (id.pm_offset != 0) {
        // PCI PM 1.2 §3.2: PMC (version 2, D0 and D3 only), PMCSR (power state, PME_En, PME_Status).
        const uint8_t pm = id.pm_offset;
        m_config[pm] = kIOPCICapabilityIDPowerManagement;
        m_config[pm + 1] = next_of(pm);
        put16(uint16_t(pm + 2), 0x0002);
        m_writable[pm + 4] = 0x03;
        m_writable[pm + 5] = 0x01;
        m_clear_on_one[pm + 5] = 0x80;
    }
    if (id.msi_offset != 0) {
        // §6.8.1: 64-bit message address; Multiple Message Capable = log2(vectors).
        const uint8_t msi = id.msi_offset;
        uint8_t log2 = 0;
        while ((1u << (log2 + 1)) <= id.msi_vectors && log2 < 5)
            ++log2;
        m_config[msi] = kIOPCICapabilityIDMSI;
        m_config[msi + 1] = next_of(msi);
        put16(uint16_t(msi + 2), uint16_t(kMSI64Bit | (log2 << 1)));
        m_writable[msi + 2] = uint8_t(kMSIEnable | (0x7 << 4));
        for (int b = 0; b < 4; ++b) {
            m_writable[msi + 4 + b] = b == 0 ? 0xFC : 0xFF; // address, dword aligned
            m_writable[msi + 8 + b] = 0xFF;                 // upper address
        }
        m_writable[msi + 12] = m_writable[msi + 13] = 0xFF; // data
    }
}

uint32_t PciFunctionModel::read_config_locked(uint16_t offset, uint8_t width) const {
    uint32_t value = 0;
    for (uint8_t i = 0; i < width && offset + i < m_config.size(); ++i)
        value |= uint32_t(m_config[offset + i]) << (8 * i);
    return value;
}

void PciFunctionModel::write_config_byte(uint16_t offset, uint8_t value) {
    uint8_t old = m_config[offset];
    uint8_t kept = uint8_t((old & ~m_writable[offset]) | (value & m_writable[offset]));
    m_config[offset] = uint8_t(kept & ~(value & m_clear_on_one[offset]));
}

uint32_t PciFunctionModel::config_read(uint16_t offset, uint8_t width) {
    auto held = lock();
    if (m_removed || offset + width > m_config.size())
        return ones(width); // §6.1: a read no function claims completes with all ones
    return read_config_locked(offset, width);
}

void PciFunctionModel::config_write(uint16_t offset, uint8_t width, uint32_t value) {
    auto held = lock();
    if (m_removed || offset + width > m_config.size())
        return;
    for (uint8_t i = 0; i < width; ++i)
        write_config_byte(uint16_t(offset + i), uint8_t(value >> (8 * i)));
}

netdext::pci::BarInfo PciFunctionModel::bar(uint8_t index) const {
    return index < 6 ? m_identity.bars[index] : netdext::pci::BarInfo{};
}

bool PciFunctionModel::decodes_locked(uint8_t bar) {
    if (m_removed || bar >= 6)
        return false;
    const uint16_t decode = m_identity.bars[bar].type == kPCIBARTypeIO ? kIOPCICommandIOSpace
                                                                        : kIOPCICommandMemorySpace;
    if ((read_config_locked(kIOPCIConfigurationOffsetCommand, 2) & decode) != 0)
        return true;
    count("undecoded_accesses"); // §6.2.2: decoding is off; the access master-aborts
    return false;
}

uint64_t PciFunctionModel::memory_read(uint8_t bar, uint64_t offset, uint8_t width) {
    uint64_t value = width == 8 ? ~uint64_t(0) : ones(width);
    {
        auto held = lock();
        if (decodes_locked(bar))
            value = register_read(bar, offset, width);
    }
    run_deferred();
    return value;
}

void PciFunctionModel::memory_write(uint8_t bar, uint64_t offset, uint8_t width, uint64_t value) {
    {
        auto held = lock();
        if (decodes_locked(bar))
            register_write(bar, offset, width, value);
    }
    run_deferred();
}

IOReturn PciFunctionModel::reset(uint32_t) {
    {
        auto held = lock();
        if (m_removed)
            return kIOReturnNoDevice;
        reset_config();
        power_on_reset();
        count("resets");
    }
    run_deferred();
    return kIOReturnSuccess;
}

void PciFunctionModel::attach(netdext::pci::BusPort *bus) {
    auto held = lock();
    m_bus = bus;
}

bool PciFunctionModel::removed() const {
    auto held = lock();
    return m_removed;
}

void PciFunctionModel::set_removal_handler(std::function<void()> handler) {
    auto held = lock();
    m_removal_handler = std::move(handler);
}

void PciFunctionModel::remove() {
    {
        auto held = lock();
        if (m_removed)
            return;
        m_removed = true;
        count("removals");
        went_away();
        if (m_removal_handler)
            defer(m_removal_handler);
    }
    run_deferred();
}

uint16_t PciFunctionModel::command() const {
    auto held = lock();
    return uint16_t(read_config_locked(kIOPCIConfigurationOffsetCommand, 2));
}

bool PciFunctionModel::msi_enabled_locked() const {
    return m_identity.msi_offset != 0 &&
           (read_config_locked(uint16_t(m_identity.msi_offset + 2), 2) & kMSIEnable) != 0;
}

bool PciFunctionModel::msi_enabled() const {
    auto held = lock();
    return msi_enabled_locked();
}

bool PciFunctionModel::dma_read(uint64_t address, void *out, uint64_t length) {
    return dma_write_or_read(address, out, length, false);
}

bool PciFunctionModel::dma_write(uint64_t address, const void *in, uint64_t length) {
    return dma_write_or_read(address, const_cast<void *>(in), length, true);
}

bool PciFunctionModel::dma_write_or_read(uint64_t address, void *buffer, uint64_t length,
                                         bool write) {
    if (m_removed || m_bus == nullptr)
        return false;
    bool ok;
    if ((read_config_locked(kIOPCIConfigurationOffsetCommand, 2) & kIOPCICommandBusLead) == 0) {
        count("dma_without_bus_master"); // §6.2.2: the function may not initiate transactions
        ok = false;
    } else if (m_dma_errors_next > 0) {
        --m_dma_errors_next;
        count("dma_errors");
        ok = false;
    } else {
        ok = write ? m_bus->dma_write(address, buffer, length) : m_bus->dma_read(address, buffer, length);
        if (!ok)
            count("dma_faults");
    }
    if (!ok) {
        uint16_t status = uint16_t(read_config_locked(kIOPCIConfigurationOffsetStatus, 2) |
                                   kStatusReceivedMasterAbort);
        m_config[kIOPCIConfigurationOffsetStatus] = uint8_t(status);
        m_config[kIOPCIConfigurationOffsetStatus + 1] = uint8_t(status >> 8);
    }
    return ok;
}

void PciFunctionModel::signal_interrupt(uint32_t vector) {
    if (m_removed || m_bus == nullptr)
        return;
    uint16_t status = uint16_t(read_config_locked(kIOPCIConfigurationOffsetStatus, 2) | kStatusInterrupt);
    if (msi_enabled_locked()) {
        if (m_lost_interrupts_next > 0) {
            --m_lost_interrupts_next;
            count("lost_interrupts");
            return;
        }
        uint16_t control = uint16_t(read_config_locked(uint16_t(m_identity.msi_offset + 2), 2));
        uint32_t enabled = 1u << ((control >> 4) & 0x7); // Multiple Message Enable
        count("msi_messages");
        m_bus->signal_msi(vector & (enabled - 1));
        return;
    }
    m_config[kIOPCIConfigurationOffsetStatus] = uint8_t(status);
    if ((read_config_locked(kIOPCIConfigurationOffsetCommand, 2) & kIOPCICommandInterruptDisable) == 0) {
        count("intx_assertions");
        m_bus->set_intx(true);
    }
}

} // namespace netdext::model
