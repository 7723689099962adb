// E1000Device: an Intel 82540EM controller (netdext/model/e1000.h). Section numbers are those of
// Intel's PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's Manual (8254x SDM).

#include <netdext/model/e1000.h>

#include <PCIDriverKit/IOPCIDevice.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace netdext::model {

namespace {

// §13.4, Table 13-2: register offsets in BAR0.
enum : uint32_t {
    CTRL = 0x0000, STATUS = 0x0008, EECD = 0x0010, EERD = 0x0014, MDIC = 0x0020,
    ICR = 0x00C0, ITR = 0x00C4, ICS = 0x00C8, IMS = 0x00D0, IMC = 0x00D8,
    RCTL = 0x0100, TCTL = 0x0400, TIPG = 0x0410,
    RDBAL = 0x2800, RDBAH = 0x2804, RDLEN = 0x2808, RDH = 0x2810, RDT = 0x2818,
    TDBAL = 0x3800, TDBAH = 0x3804, TDLEN = 0x3808, TDH = 0x3810, TDT = 0x3818,
    MPC = 0x4010, GPRC = 0x4074, BPRC = 0x4078, MPRC = 0x407C, GPTC = 0x4080,
    GORCL = 0x4088, GORCH = 0x408C, GOTCL = 0x4090, GOTCH = 0x4094, TPR = 0x40D0, TPT = 0x40D4,
    MTA = 0x5200, RAL0 = 0x5400, RAH0 = 0x5404,
};
constexpr uint32_t kRegisterSpace = 128 * 1024;
// §13.4.1 CTRL, §13.4.2 STATUS.
constexpr uint32_t CTRL_SLU = 1u << 6, CTRL_RST = 1u << 26, CTRL_PHY_RST = 1u << 31;
constexpr uint32_t STATUS_FD = 1u << 0, STATUS_LU = 1u << 1, STATUS_SPEED_1000 = 2u << 6;
// §13.4.4 EERD (82540EM layout).
constexpr uint32_t EERD_START = 1u << 0, EERD_DONE = 1u << 4;
// §13.4.17 ICR bits.
constexpr uint32_t ICR_TXDW = 1u << 0, ICR_TXQE = 1u << 1, ICR_LSC = 1u << 2, ICR_RXDMT0 = 1u << 4,
                   ICR_RXO = 1u << 6, ICR_RXT0 = 1u << 7;
// §13.4.22 RCTL, §13.4.33 TCTL.
constexpr uint32_t RCTL_EN = 1u << 1, RCTL_UPE = 1u << 3, RCTL_MPE = 1u << 4, RCTL_LPE = 1u << 5,
                   RCTL_BAM = 1u << 15, RCTL_BSEX = 1u << 25, RCTL_SECRC = 1u << 26;
constexpr uint32_t TCTL_EN = 1u << 1;
constexpr uint32_t RAH_AV = 1u << 31;
// §3.2.3 legacy receive descriptor: status and error bits.
constexpr uint8_t RXD_DD = 0x01, RXD_EOP = 0x02, RXD_IXSM = 0x04, RXE_RXE = 0x80;
// §3.3.3 legacy transmit descriptor: command and status bits.
constexpr uint8_t TXD_EOP = 0x01, TXD_RS = 0x08, TXD_DEXT = 0x20, TXD_DD = 0x01;
constexpr size_t kDescriptorSize = 16;
constexpr size_t kMaxTxFrame = 16384;
// §5.6: the EEPROM words the 82540EM uses here.
constexpr uint16_t kEepromChecksumWord = 0x3F, kEepromChecksum = 0xBABA;
// §4.1: PCI identity and the capabilities' places.
constexpr uint8_t kPMOffset = 0xDC, kMSIOffset = 0xF0;

// The Ethernet FCS (IEEE 802.3 §3.2.9): CRC-32, reflected polynomial 0xEDB88320.
uint32_t ethernet_fcs(std::span<const uint8_t> bytes) {
    uint32_t crc = 0xFFFFFFFFu;
    for (uint8_t b : bytes) {
        crc ^= b;
        for (int i = 0; i < 8; ++i)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

PciFunctionModel::Identity identity() {
    PciFunctionModel::Identity id;
    id.vendor_id = E1000Device::kVendorID;
    id.device_id = E1000Device::kDeviceID;
    id.revision_id = 0x02;
    id.class_code = 0x020000; // network controller, Ethernet
    id.subsystem_vendor_id = 0x8086;
    id.subsystem_id = 0x001E;
    id.bars[0] = {kRegisterSpace, kPCIBARTypeM32};
    id.pm_offset = kPMOffset;
    id.msi_offset = kMSIOffset;
    id.msi_vectors = 1; // §4.1.3: a single message
    return id;
}

bool is_statistic(uint32_t offset) { return offset >= 0x4000 && offset < 0x4100; }

} // namespace

E1000Device::E1000Device() : PciFunctionModel("e1000", true, identity()) {
    add_knob({"mac", "the EEPROM's MAC address, e.g. 02:00:00:00:00:01", true},
             [this](const std::string &value, std::string &error) {
                 if (!parse_mac(value, m_mac.data(), error))
                     return false;
                 load_eeprom();
                 power_on_reset();
                 return true;
             });
    add_knob({"link", "up|down: the cable (a change raises ICR.LSC)"},
             [this](const std::string &value, std::string &error) {
                 bool up = false;
                 if (!parse_bool(value, up, error))
                     return false;
                 if (up != m_cable)
                     count(up ? "link_ups" : "link_downs");
                 m_cable = up;
                 update_link();
                 return true;
             });
    wire()->set_receiver([this](std::span<const uint8_t> frame) {
        bool taken;
        {
            auto held = lock();
            taken = receive(frame);
        }
        run_deferred();
        return taken;
    });
    auto held = lock();
    load_eeprom();
    power_on_reset();
}

std::shared_ptr<E1000Device> E1000Device::create() {
    return std::shared_ptr<E1000Device>(new E1000Device);
}

std::shared_ptr<E1000Device>
E1000Device::create(const std::vector<std::pair<std::string, std::string>> &knobs,
                    std::string &error) {
    std::shared_ptr<E1000Device> device(new E1000Device);
    for (const auto &[name, value] : knobs)
        if (!device->set(name, value, error, true))
            return nullptr;
    return device;
}

// §5.6: words 0-2 hold the address, low byte first; the words up to 0x3F sum to 0xBABA.
void E1000Device::load_eeprom() {
    m_eeprom.fill(0);
    for (int i = 0; i < 3; ++i)
        m_eeprom[i] = uint16_t(m_mac[2 * i] | (m_mac[2 * i + 1] << 8));
    uint16_t sum = 0;
    for (uint16_t i = 0; i < kEepromChecksumWord; ++i)
        sum = uint16_t(sum + m_eeprom[i]);
    m_eeprom[kEepromChecksumWord] = uint16_t(kEepromChecksum - sum);
}

// Chapter 14 (general initialization and reset): registers to their defaults; the receive
// address 0 comes from the EEPROM.
void E1000Device::power_on_reset() {
    m_regs.clear();
    m_regs[RAL0] = uint32_t(m_mac[0] | (m_mac[1] << 8) | (m_mac[2] << 16) | (uint32_t(m_mac[3]) << 24));
    m_regs[RAH0] = uint32_t(m_mac[4] | (m_mac[5] << 8)) | RAH_AV;
    m_link_reported = false;
    m_interrupt_latched = false;
}

uint32_t E1000Device::register_value(uint32_t offset) const {
    auto held = lock();
    auto it = m_regs.find(offset);
    return it == m_regs.end() ? 0 : it->second;
}

bool E1000Device::link_up() const { return m_cable && (m_regs.count(CTRL) && (m_regs.at(CTRL) & CTRL_SLU)); }

void E1000Device::update_link() {
    bool up = link_up();
    if (up != m_link_reported) {
        m_link_reported = up;
        raise(ICR_LSC); // §13.4.17: link status change
    }
}

void E1000Device::raise(uint32_t cause) {
    m_regs[ICR] |= cause;
    update_interrupt();
}

// §4.1.3 / §13.4.17: an interrupt when a cause is set whose mask bit is set; with MSI no new
// message until software read ICR.
void E1000Device::update_interrupt() {
    if ((m_regs[ICR] & m_regs[IMS]) == 0 || m_interrupt_latched)
        return;
    m_interrupt_latched = true;
    signal_interrupt(0);
}

uint64_t E1000Device::register_read(uint8_t, uint64_t offset, uint8_t width) {
    // Registers are 32 bits wide (§13.3); narrower reads take the bytes of the dword.
    uint32_t dword = read32(uint32_t(offset & ~uint64_t(3)));
    if (width >= 4)
        return width == 8 ? (uint64_t(read32(uint32_t(offset + 4))) << 32) | dword : dword;
    return (dword >> (8 * (offset & 3))) & ((1u << (8 * width)) - 1);
}

void E1000Device::register_write(uint8_t, uint64_t offset, uint8_t width, uint64_t value) {
    if (width == 8) {
        write32(uint32_t(offset), uint32_t(value));
        write32(uint32_t(offset + 4), uint32_t(value >> 32));
    } else if (width == 4) {
        write32(uint32_t(offset), uint32_t(value));
    } else {
        count("narrow_register_writes"); // §13.3: software writes whole registers
    }
}

uint32_t E1000Device::read32(uint32_t offset) {
    switch (offset) {
    case STATUS:
        return STATUS_FD | STATUS_SPEED_1000 | (link_up() ? STATUS_LU : 0);
    case ICR: { // §13.4.17: read to clear; the next event sends a new message
        uint32_t value = m_regs[ICR];
        m_regs[ICR] = 0;
        m_interrupt_latched = false;
        return value;
    }
    case ICS:
    case IMC:
        return 0; // write-only
    default:
        break;
    }
    uint32_t value = m_regs.count(offset) ? m_regs[offset] : 0;
    if (is_statistic(offset))
        m_regs.erase(offset); // §13.4.x statistics: cleared when read
    return value;
}

void E1000Device::write32(uint32_t offset, uint32_t value) {
    switch (offset) {
    case CTRL:
        if ((value & CTRL_RST) != 0) { // §13.4.1: a software reset, self-clearing
            count("device_resets");
            power_on_reset();
            return;
        }
        m_regs[CTRL] = value & ~CTRL_PHY_RST;
        update_link();
        return;
    case STATUS:
    case ICR:
        return; // read-only (ICR clears when read)
    case EERD: // §13.4.4: the read completes at once
        if ((value & EERD_START) != 0) {
            uint32_t address = (value >> 8) & 0xFF;
            uint16_t word = address < m_eeprom.size() ? m_eeprom[address] : 0xFFFF;
            m_regs[EERD] = (uint32_t(word) << 16) | (address << 8) | EERD_DONE;
        }
        return;
    case MDIC: // PHY access: completes at once, reads 0 (the PHY is not modelled)
        m_regs[MDIC] = (value & 0x03FF0000u) | (1u << 28);
        return;
    case ICS:
        raise(value);
        return;
    case IMS:
        m_regs[IMS] |= value;
        update_interrupt();
        return;
    case IMC:
        m_regs[IMS] &= ~value;
        return;
    case RCTL:
        m_regs[RCTL] = value;
        return;
    case TCTL:
        m_regs[TCTL] = value;
        transmit();
        return;
    case RDLEN:
    case TDLEN:
        m_regs[offset] = value & 0x000FFF80u; // §13.4.26: a multiple of 128 bytes
        return;
    case RDH:
    case RDT:
    case TDH:
    case TDT:
        m_regs[offset] = value & 0xFFFF;
        if (offset == TDT)
            transmit();
        return;
    default:
        if (is_statistic(offset))
            return;
        m_regs[offset] = value;
        return;
    }
}

uint32_t E1000Device::buffer_size() const {
    // §13.4.22: BSIZE with BSEX.
    uint32_t rctl = m_regs.count(RCTL) ? m_regs.at(RCTL) : 0;
    uint32_t bsize = (rctl >> 16) & 0x3;
    if ((rctl & RCTL_BSEX) != 0)
        return bsize == 1 ? 16384 : bsize == 2 ? 8192 : bsize == 3 ? 4096 : 2048;
    return bsize == 0 ? 2048 : bsize == 1 ? 1024 : bsize == 2 ? 512 : 256;
}

// §3.3: walk the transmit ring from head to tail while transmission is enabled.
void E1000Device::transmit() {
    if ((m_regs[TCTL] & TCTL_EN) == 0)
        return;
    const uint32_t count_d = m_regs[TDLEN] / kDescriptorSize;
    if (count_d == 0)
        return;
    const uint64_t base = (uint64_t(m_regs[TDBAH]) << 32) | m_regs[TDBAL];
    std::vector<uint8_t> frame;
    bool report = false, lost = false;
    while (m_regs[TDH] % count_d != m_regs[TDT] % count_d) {
        const uint32_t head = m_regs[TDH] % count_d;
        const uint64_t at = base + uint64_t(head) * kDescriptorSize;
        uint8_t d[kDescriptorSize];
        m_regs[TDH] = (head + 1) % count_d;
        if (!dma_read(at, d, sizeof d)) {
            // The descriptor cannot be fetched: report it done so that the ring moves on.
            uint8_t done = TXD_DD;
            dma_write(at + 12, &done, 1);
            frame.clear();
            lost = true;
            continue;
        }
        uint64_t buffer;
        std::memcpy(&buffer, d, 8);
        const uint16_t length = uint16_t(d[8] | (d[9] << 8));
        const uint8_t cmd = d[11];
        if ((cmd & TXD_DEXT) != 0) {
            count("tx_unsupported");
            lost = true;
        } else if (!lost && frame.size() + length <= kMaxTxFrame) {
            size_t old = frame.size();
            frame.resize(old + length);
            if (length > 0 && !dma_read(buffer, frame.data() + old, length))
                lost = true;
        }
        if ((cmd & TXD_RS) != 0) { // §3.3.3.2: report status
            uint8_t status = TXD_DD;
            dma_write(at + 12, &status, 1);
            report = true;
        }
        if ((cmd & TXD_EOP) != 0 || (cmd & TXD_DEXT) != 0) {
            if (lost) {
                count("tx_lost");
            } else if (!link_up()) {
                count("tx_dropped_link");
            } else if (frame.size() >= 14) {
                count("tx_frames");
                ++m_regs[GPTC];
                ++m_regs[TPT];
                m_regs[GOTCL] += uint32_t(frame.size() + 4);
                send_to_wire(frame);
            }
            frame.clear();
            lost = false;
        }
    }
    raise((report ? ICR_TXDW : 0) | ICR_TXQE);
}

// §13.4.22 / §3.2.1: which destination addresses the receiver takes.
bool E1000Device::address_accepted(const uint8_t *dst) const {
    const uint32_t rctl = m_regs.count(RCTL) ? m_regs.at(RCTL) : 0;
    const bool multicast = (dst[0] & 1) != 0;
    if (std::all_of(dst, dst + 6, [](uint8_t b) { return b == 0xFF; }))
        return (rctl & RCTL_BAM) != 0;
    if ((!multicast && (rctl & RCTL_UPE) != 0) || (multicast && (rctl & RCTL_MPE) != 0))
        return true;
    for (uint32_t i = 0; i < 16; ++i) { // §13.4.39-40: exact filters
        auto lo = m_regs.find(RAL0 + 8 * i), hi = m_regs.find(RAH0 + 8 * i);
        if (hi == m_regs.end() || (hi->second & RAH_AV) == 0)
            continue;
        uint32_t l = lo == m_regs.end() ? 0 : lo->second;
        const uint8_t address[6] = {uint8_t(l), uint8_t(l >> 8), uint8_t(l >> 16), uint8_t(l >> 24),
                                    uint8_t(hi->second), uint8_t(hi->second >> 8)};
        if (std::equal(dst, dst + 6, address))
            return true;
    }
    if (!multicast)
        return false;
    // §13.4.38: the multicast table, 12 bits of the address chosen by RCTL.MO.
    const uint32_t mo = (rctl >> 12) & 0x3;
    const uint32_t bits47_36 = uint32_t(dst[4] >> 4) | (uint32_t(dst[5]) << 4);
    const uint32_t hash = mo == 0   ? bits47_36
                          : mo == 1 ? (uint32_t(dst[4] >> 3) | (uint32_t(dst[5]) << 5)) & 0xFFF
                          : mo == 2 ? (uint32_t(dst[4] >> 2) | (uint32_t(dst[5]) << 6)) & 0xFFF
                                    : (uint32_t(dst[4]) | (uint32_t(dst[5]) << 8)) & 0xFFF;
    auto entry = m_regs.find(MTA + 4 * (hash >> 5));
    return entry != m_regs.end() && (entry->second & (1u << (hash & 31))) != 0;
}

// §3.2: a frame from the cable into the receive ring.
bool E1000Device::receive(std::span<const uint8_t> frame) {
    if (removed_locked() || (m_regs[RCTL] & RCTL_EN) == 0 || !link_up()) {
        count("rx_dropped_disabled");
        return false;
    }
    if (frame.size() < 14 || (frame.size() > 1514 + 4 && (m_regs[RCTL] & RCTL_LPE) == 0)) {
        count("rx_dropped_size");
        return false;
    }
    if (!address_accepted(frame.data())) {
        count("rx_filtered");
        return false;
    }
    std::vector<uint8_t> data(frame.begin(), frame.end());
    if ((m_regs[RCTL] & RCTL_SECRC) == 0) { // the FCS stays unless stripped
        uint32_t fcs = ethernet_fcs(frame);
        for (int i = 0; i < 4; ++i)
            data.push_back(uint8_t(fcs >> (8 * i)));
    }
    const uint32_t count_d = m_regs[RDLEN] / kDescriptorSize;
    const uint64_t base = (uint64_t(m_regs[RDBAH]) << 32) | m_regs[RDBAL];
    const uint32_t size = buffer_size();
    const uint32_t needed = uint32_t((data.size() + size - 1) / size);
    uint32_t head = count_d ? m_regs[RDH] % count_d : 0;
    const uint32_t tail = count_d ? m_regs[RDT] % count_d : 0;
    const uint32_t available = count_d ? (tail + count_d - head) % count_d : 0;
    if (available < needed) { // §3.2.6: no descriptors: the frame is missed
        ++m_regs[MPC];
        count("rx_missed");
        raise(ICR_RXO);
        return false;
    }
    for (uint32_t i = 0, done = 0; i < needed; ++i) {
        const uint64_t at = base + uint64_t(head) * kDescriptorSize;
        uint8_t d[kDescriptorSize];
        if (!dma_read(at, d, sizeof d)) {
            ++m_regs[MPC];
            count("rx_missed");
            raise(ICR_RXO);
            return false;
        }
        uint64_t buffer;
        std::memcpy(&buffer, d, 8);
        const uint32_t chunk = std::min<uint32_t>(size, uint32_t(data.size() - done));
        const bool last = i + 1 == needed;
        uint16_t length = uint16_t(chunk);
        uint8_t status = uint8_t(RXD_DD | RXD_IXSM | (last ? RXD_EOP : 0)), errors = 0;
        if (!dma_write(buffer, data.data() + done, chunk)) {
            length = 0;
            errors = RXE_RXE; // the data did not reach memory
            count("rx_dma_errors");
        }
        done += chunk;
        uint8_t writeback[8] = {uint8_t(length), uint8_t(length >> 8), 0, 0, status, errors, 0, 0};
        dma_write(at + 8, writeback, sizeof writeback);
        head = (head + 1) % count_d;
    }
    m_regs[RDH] = head;
    count("rx_frames");
    ++m_regs[GPRC];
    ++m_regs[TPR];
    m_regs[GORCL] += uint32_t(frame.size() + 4);
    if (frame[0] & 1)
        ++m_regs[std::all_of(frame.begin(), frame.begin() + 6, [](uint8_t b) { return b == 0xFF; }) ? BPRC : MPRC];
    uint32_t cause = ICR_RXT0;
    // §13.4.22 RDMTS: the free descriptors fell to 1/2, 1/4 or 1/8 of the ring.
    const uint32_t left = (tail + count_d - head) % count_d;
    if (left <= (count_d >> (((m_regs[RCTL] >> 8) & 0x3) + 1)))
        cause |= ICR_RXDMT0;
    raise(cause);
    return true;
}

} // namespace netdext::model
