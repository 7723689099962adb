// IOPCIDevice: the family side of one PCI function — firmware set-up (BAR addresses, MSI
// address/data), sessions, configuration and memory accessors, MSI, the IOMMU, reset.
//
// The function reaches back through FamilyBus (a netdext::pci::BusPort): DMA goes through the
// function's IOMMU, MSI message v becomes interrupt index 1 + v of this provider, INTx index 0.

#include <DriverKit/IOInterruptDispatchSource.h>
#include <PCIDriverKit/IOPCIDevice.h>
#include <netdext/iig_support.h>
#include <netdext/interrupts.h>
#include <netdext/iommu.h>
#include <netdext/pci_backend.h>
#include <netdext/runtime.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "../internal.h"
#include "../provider_support.h"

using netdext::pci::BarInfo;
using netdext::pci::FunctionBackend;

namespace {

// Where the "firmware" puts BARs (PCI Local Bus 3.0 §6.2.5.1: naturally aligned).
constexpr uint64_t kMemoryWindow32 = 0xC0000000;
constexpr uint64_t kMemoryWindow64 = 0x4000000000ull;
constexpr uint64_t kIOWindow = 0x1000;
// The MSI message the family programs (x86's interrupt address range; any value works here).
constexpr uint32_t kMSIAddress = 0xFEE00000;
constexpr uint16_t kMSIData = 0x4000;
// MSI capability registers (PCI Local Bus 3.0 §6.8.1).
constexpr uint16_t kMSIControl = 2, kMSIAddressLow = 4;
constexpr uint16_t kMSIControlEnable = 0x0001, kMSIControl64Bit = 0x0080;
constexpr uint16_t kMSIControlMMCShift = 1, kMSIControlMMEShift = 4;
// Power management capability registers (PCI PM 1.2 §3.2).
constexpr uint16_t kPMCapabilities = 2, kPMControlStatus = 4;

class FamilyBus;

} // namespace

struct IOPCIDevice_IVars {
    std::mutex mutex;
    std::shared_ptr<FunctionBackend> backend;
    std::unique_ptr<FamilyBus> bus;
    std::shared_ptr<netdext::Iommu> iommu;
    std::shared_ptr<netdext::ServiceLink<IOPCIDevice>> link;
    IOService *client = nullptr; // the session's client (not retained)
    uint8_t location[3] = {0, 0, 0};
    std::vector<uint8_t> bars;    // memory index -> BAR number
    uint8_t msi = 0;              // MSI capability offset; 0: none
    uint32_t msi_capable = 0;     // vectors the function can send
    IOPCILinkSpeed link_speed = kPCILinkSpeed_2_5_GTs;
    std::array<uint32_t, 16> saved{};
    bool has_saved = false;
    bool terminated = false;
};

namespace {

class FamilyBus final : public netdext::pci::BusPort {
public:
    FamilyBus(std::shared_ptr<netdext::ServiceLink<IOPCIDevice>> link,
              std::shared_ptr<netdext::Iommu> iommu)
        : m_link(std::move(link)), m_iommu(std::move(iommu)) {}

    bool dma_read(uint64_t address, void *out, uint64_t length) override {
        return m_iommu->read(address, out, length);
    }
    bool dma_write(uint64_t address, const void *in, uint64_t length) override {
        return m_iommu->write(address, in, length);
    }
    void signal_msi(uint32_t vector) override { raise(1 + vector); }
    void set_intx(bool asserted) override {
        if (asserted)
            raise(0);
    }

private:
    void raise(uint32_t index) {
        if (IOPCIDevice *device = m_link->retain_service()) {
            if (!device->netdext_terminated())
                netdext::raise_interrupt(device, index);
            device->release();
        }
    }
    std::shared_ptr<netdext::ServiceLink<IOPCIDevice>> m_link;
    std::shared_ptr<netdext::Iommu> m_iommu;
};

uint32_t all_ones(uint8_t width) { return width >= 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1; }

// The offset of standard capability `id` after `after` (0: from the start), or 0.
uint8_t find_capability(FunctionBackend &backend, uint8_t id, uint64_t after) {
    if ((backend.config_read(kIOPCIConfigurationOffsetStatus, 2) & kIOPCIStatusCapabilities) == 0)
        return 0;
    uint8_t at = uint8_t(backend.config_read(kIOPCIConfigurationOffsetCapabilitiesPtr, 1) & 0xFC);
    for (int hops = 0; at >= 0x40 && hops < 48; ++hops) {
        uint32_t header = backend.config_read(at, 2);
        if ((header & 0xFF) == id && at > after)
            return at;
        at = uint8_t((header >> 8) & 0xFC);
    }
    return 0;
}

// The offset of extended capability `id` after `after`, or 0 (PCI Express 4.0 §7.6.3).
uint16_t find_extended_capability(FunctionBackend &backend, uint16_t id, uint64_t after) {
    if (backend.config_space_size() <= 0x100)
        return 0;
    uint16_t at = 0x100;
    for (int hops = 0; at >= 0x100 && hops < 960; ++hops) {
        uint32_t header = backend.config_read(at, 4);
        if (header == 0 || header == 0xFFFFFFFF)
            return 0;
        if ((header & 0xFFFF) == id && at > after)
            return at;
        at = uint16_t((header >> 20) & 0xFFC);
    }
    return 0;
}

// Assigns every BAR an address, as firmware does before the OS runs; returns the present BARs
// in order (memory index -> BAR number).
std::vector<uint8_t> assign_bars(FunctionBackend &backend) {
    std::vector<uint8_t> present;
    uint64_t next32 = kMemoryWindow32, next64 = kMemoryWindow64, next_io = kIOWindow;
    for (uint8_t i = 0; i < 6; ++i) {
        BarInfo info = backend.bar(i);
        if (info.size == 0)
            continue;
        present.push_back(i);
        const uint16_t reg = uint16_t(kIOPCIConfigurationOffsetBaseAddress0 + 4 * i);
        uint64_t &next = info.type == kPCIBARTypeIO ? next_io
                         : (info.type & kPCIBARTypeM64) != 0 ? next64
                                                             : next32;
        uint64_t address = (next + info.size - 1) & ~(info.size - 1);
        next = address + info.size;
        backend.config_write(reg, 4, uint32_t(address));
        if ((info.type & kPCIBARTypeM64) != 0 && i < 5) {
            backend.config_write(uint16_t(reg + 4), 4, uint32_t(address >> 32));
            ++i; // the upper half is the next BAR register
        }
    }
    return present;
}

} // namespace

NETDEXT_DEFINE_CLASS(IOPCIDevice, IOService, nullptr, 0)

kern_return_t IOPCIDevice::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return IOService::_Dispatch(object, rpc);
}

bool IOPCIDevice::init() {
    if (!IOService::init())
        return false;
    ivars = new IOPCIDevice_IVars;
    ivars->link = std::make_shared<netdext::ServiceLink<IOPCIDevice>>(this);
    return true;
}

void IOPCIDevice::free() {
    if (ivars != nullptr) {
        ivars->link->clear();
        if (ivars->backend) {
            ivars->backend->set_removal_handler(nullptr);
            ivars->backend->attach(nullptr);
        }
        netdext::offer_interrupts(this, 0, 0);
        netdext::set_iommu(this, nullptr);
        delete ivars;
        ivars = nullptr;
    }
    IOService::free();
}

// ---- the system's side -----------------------------------------------------------------------

kern_return_t IOPCIDevice::netdext_create(std::shared_ptr<FunctionBackend> backend, uint8_t bus,
                                          uint8_t device, uint8_t function,
                                          IOPCIDevice **pciDevice) {
    if (!backend || pciDevice == nullptr)
        return kIOReturnBadArgument;
    *pciDevice = nullptr;
    uint32_t id = backend->config_read(kIOPCIConfigurationOffsetVendorID, 4);
    if ((id & 0xFFFF) == 0xFFFF || (id & 0xFFFF) == 0)
        return kIOReturnNoDevice;
    auto *created = netdext::new_object<IOPCIDevice>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    IOPCIDevice_IVars *iv = created->ivars;
    iv->backend = backend;
    iv->location[0] = bus;
    iv->location[1] = device;
    iv->location[2] = function;
    iv->bars = assign_bars(*backend);
    // MSI: the family programs the message; Open enables it.
    iv->msi = find_capability(*backend, kIOPCICapabilityIDMSI, 0);
    if (iv->msi != 0) {
        uint16_t control = uint16_t(backend->config_read(uint16_t(iv->msi + kMSIControl), 2));
        iv->msi_capable = 1u << ((control >> kMSIControlMMCShift) & 0x7);
        backend->config_write(uint16_t(iv->msi + kMSIAddressLow), 4, kMSIAddress);
        uint16_t data_at = uint16_t(iv->msi + ((control & kMSIControl64Bit) != 0 ? 12 : 8));
        if ((control & kMSIControl64Bit) != 0)
            backend->config_write(uint16_t(iv->msi + 8), 4, 0);
        backend->config_write(data_at, 2, kMSIData);
    }
    iv->iommu = std::make_shared<netdext::Iommu>();
    netdext::set_iommu(created, iv->iommu);
    // IOPCIFamily's numbering: the INTx pin first, then the MSI vectors.
    std::vector<uint64_t> types{uint64_t(kIOInterruptTypeLevel)};
    for (uint32_t v = 0; v < iv->msi_capable; ++v)
        types.push_back(uint64_t(kIOInterruptTypeEdge) | kIOInterruptTypePCIMessaged);
    netdext::offer_interrupt_types(created, types.data(), uint32_t(types.size()));

    // The registry properties IOPCIFamily publishes from configuration space (4-byte OSData).
    auto data32 = [&](const char *key, uint32_t value) {
        netdext::set_data_property(created, key, &value, sizeof value);
    };
    uint32_t class_rev = backend->config_read(kIOPCIConfigurationOffsetRevisionID, 4);
    uint32_t subsystem = backend->config_read(kIOPCIConfigurationOffsetSubSystemVendorID, 4);
    data32("vendor-id", id & 0xFFFF);
    data32("device-id", id >> 16);
    data32("revision-id", class_rev & 0xFF);
    data32("class-code", class_rev >> 8);
    data32("subsystem-vendor-id", subsystem & 0xFFFF);
    data32("subsystem-id", subsystem >> 16);
    char location[32];
    std::snprintf(location, sizeof location, "%x:%x.%x", bus, device, function);
    netdext::set_string_property(created, "pcidebug", location);
    created->SetName("IOPCIDevice");

    iv->bus = std::make_unique<FamilyBus>(iv->link, iv->iommu);
    backend->attach(iv->bus.get());
    std::weak_ptr<netdext::ServiceLink<IOPCIDevice>> weak = iv->link;
    backend->set_removal_handler([weak] {
        auto link = weak.lock();
        if (IOPCIDevice *alive = link ? link->retain_service() : nullptr) {
            alive->netdext_terminate();
            alive->release();
        }
    });
    kern_return_t kr = created->Start(nullptr);
    if (kr != kIOReturnSuccess) {
        created->release();
        return kr;
    }
    *pciDevice = created;
    return kIOReturnSuccess;
}

void IOPCIDevice::netdext_terminate() {
    std::lock_guard lock(ivars->mutex);
    ivars->terminated = true;
}

bool IOPCIDevice::netdext_terminated() const {
    // Only the family's flag: FamilyBus asks from inside the function's own calls, where asking
    // the backend back would deadlock. The removal handler sets it.
    std::lock_guard lock(ivars->mutex);
    return ivars->terminated;
}

const std::shared_ptr<FunctionBackend> &IOPCIDevice::netdext_backend() const {
    return ivars->backend;
}

// ---- sessions ---------------------------------------------------------------------------------

// Programs the MSI capability for `vectors` messages (0: MSI off).
static void set_msi(IOPCIDevice_IVars *iv, uint32_t vectors) {
    if (iv->msi == 0)
        return;
    uint16_t at = uint16_t(iv->msi + kMSIControl);
    uint16_t control = uint16_t(iv->backend->config_read(at, 2));
    control &= uint16_t(~(kMSIControlEnable | (0x7 << kMSIControlMMEShift)));
    if (vectors > 0) {
        uint16_t log2 = 0;
        while ((1u << (log2 + 1)) <= vectors)
            ++log2;
        control |= uint16_t(kMSIControlEnable | (log2 << kMSIControlMMEShift));
    }
    iv->backend->config_write(at, 2, control);
}

kern_return_t IOPCIDevice::Open(IOService *forClient, IOOptionBits) {
    if (forClient == nullptr)
        return kIOReturnBadArgument;
    {
        std::lock_guard lock(ivars->mutex);
        if (ivars->terminated)
            return kIOReturnNoDevice;
        if (ivars->client != nullptr)
            return ivars->client == forClient ? kIOReturnSuccess : kIOReturnExclusiveAccess;
        ivars->client = forClient;
    }
    // DriverKit's PCI providers deliver MSI: one vector until ConfigureInterrupts asks for more.
    set_msi(ivars, 1);
    return kIOReturnSuccess;
}

void IOPCIDevice::Close(IOService *forClient, IOOptionBits) {
    {
        std::lock_guard lock(ivars->mutex);
        if (forClient == nullptr || ivars->client != forClient)
            return;
        ivars->client = nullptr;
    }
    // IOPCIFamily: closing clears Memory Space and Bus Lead enable.
    uint32_t command = ivars->backend->config_read(kIOPCIConfigurationOffsetCommand, 2);
    ivars->backend->config_write(kIOPCIConfigurationOffsetCommand, 2,
                                 command & ~uint32_t(kIOPCICommandMemorySpace | kIOPCICommandBusLead));
    set_msi(ivars, 0);
}

kern_return_t IOPCIDevice::ClientCrashed_Impl(IOService *client, uint64_t) {
    Close(client, 0);
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::_ManageSession(IOService *forClient, bool openClient,
                                          IOOptionBits openOptions) {
    if (openClient)
        return Open(forClient, openOptions);
    Close(forClient, openOptions);
    return kIOReturnSuccess;
}

// Whether a client holds the session; reports the misuse otherwise.
static bool session_open(IOPCIDevice *self, IOPCIDevice_IVars *iv, const char *what) {
    {
        std::lock_guard lock(iv->mutex);
        if (iv->client != nullptr)
            return true;
    }
    netdext::report_provider_misuse(self, std::string(what) +
                                              " without an open session (call Open first)");
    return false;
}

// ---- configuration space ----------------------------------------------------------------------

static uint32_t config_read(IOPCIDevice *self, IOPCIDevice_IVars *iv, uint64_t offset,
                            uint8_t width) {
    if (!session_open(self, iv, "ConfigurationRead"))
        return all_ones(width);
    if (offset % width != 0 || offset + width > iv->backend->config_space_size()) {
        netdext::report_provider_misuse(self, "ConfigurationRead at offset " +
                                                  std::to_string(offset) +
                                                  " (unaligned or past the configuration space)");
        return all_ones(width);
    }
    return iv->backend->config_read(uint16_t(offset), width);
}

static void config_write(IOPCIDevice *self, IOPCIDevice_IVars *iv, uint64_t offset,
                         uint8_t width, uint32_t value) {
    if (!session_open(self, iv, "ConfigurationWrite"))
        return;
    if (offset % width != 0 || offset + width > iv->backend->config_space_size()) {
        netdext::report_provider_misuse(self, "ConfigurationWrite at offset " +
                                                  std::to_string(offset) +
                                                  " (unaligned or past the configuration space)");
        return;
    }
    iv->backend->config_write(uint16_t(offset), width, value);
}

void IOPCIDevice::ConfigurationRead32(uint64_t offset, uint32_t *readData) {
    if (readData != nullptr)
        *readData = config_read(this, ivars, offset, 4);
}
void IOPCIDevice::ConfigurationRead16(uint64_t offset, uint16_t *readData) {
    if (readData != nullptr)
        *readData = uint16_t(config_read(this, ivars, offset, 2));
}
void IOPCIDevice::ConfigurationRead8(uint64_t offset, uint8_t *readData) {
    if (readData != nullptr)
        *readData = uint8_t(config_read(this, ivars, offset, 1));
}
void IOPCIDevice::ConfigurationWrite32(uint64_t offset, uint32_t data) {
    config_write(this, ivars, offset, 4, data);
}
void IOPCIDevice::ConfigurationWrite16(uint64_t offset, uint16_t data) {
    config_write(this, ivars, offset, 2, data);
}
void IOPCIDevice::ConfigurationWrite8(uint64_t offset, uint8_t data) {
    config_write(this, ivars, offset, 1, data);
}

// ---- memory space -----------------------------------------------------------------------------

// The BAR behind `memory_index` if [offset, offset + width) is inside it; else reports misuse.
static bool memory_target(IOPCIDevice *self, IOPCIDevice_IVars *iv, uint8_t memory_index,
                          uint64_t offset, uint8_t width, uint8_t &bar) {
    if (!session_open(self, iv, "MemoryRead/MemoryWrite"))
        return false;
    if (memory_index >= iv->bars.size()) {
        netdext::report_provider_misuse(self, "memory index " + std::to_string(memory_index) +
                                                  " names no BAR (GetBARInfo gives the index)");
        return false;
    }
    bar = iv->bars[memory_index];
    uint64_t size = iv->backend->bar(bar).size;
    if (offset % width != 0 || offset > size || width > size - offset) {
        netdext::report_provider_misuse(self, "memory access of " + std::to_string(width) +
                                                  " bytes at offset " + std::to_string(offset) +
                                                  " of BAR" + std::to_string(bar) +
                                                  " (unaligned or past its end)");
        return false;
    }
    return true;
}

static uint64_t memory_read(IOPCIDevice *self, IOPCIDevice_IVars *iv, uint8_t memory_index,
                            uint64_t offset, uint8_t width) {
    uint8_t bar = 0;
    if (!memory_target(self, iv, memory_index, offset, width, bar))
        return width == 8 ? ~uint64_t(0) : all_ones(width);
    return iv->backend->memory_read(bar, offset, width);
}

static void memory_write(IOPCIDevice *self, IOPCIDevice_IVars *iv, uint8_t memory_index,
                         uint64_t offset, uint8_t width, uint64_t value) {
    uint8_t bar = 0;
    if (memory_target(self, iv, memory_index, offset, width, bar))
        iv->backend->memory_write(bar, offset, width, value);
}

void IOPCIDevice::MemoryRead64(uint8_t memoryIndex, uint64_t offset, uint64_t *readData) {
    if (readData != nullptr)
        *readData = memory_read(this, ivars, memoryIndex, offset, 8);
}
void IOPCIDevice::MemoryRead32(uint8_t memoryIndex, uint64_t offset, uint32_t *readData) {
    if (readData != nullptr)
        *readData = uint32_t(memory_read(this, ivars, memoryIndex, offset, 4));
}
void IOPCIDevice::MemoryRead16(uint8_t memoryIndex, uint64_t offset, uint16_t *readData) {
    if (readData != nullptr)
        *readData = uint16_t(memory_read(this, ivars, memoryIndex, offset, 2));
}
void IOPCIDevice::MemoryRead8(uint8_t memoryIndex, uint64_t offset, uint8_t *readData) {
    if (readData != nullptr)
        *readData = uint8_t(memory_read(this, ivars, memoryIndex, offset, 1));
}
void IOPCIDevice::MemoryWrite64(uint8_t memoryIndex, uint64_t offset, uint64_t data) {
    memory_write(this, ivars, memoryIndex, offset, 8, data);
}
void IOPCIDevice::MemoryWrite32(uint8_t memoryIndex, uint64_t offset, uint32_t data) {
    memory_write(this, ivars, memoryIndex, offset, 4, data);
}
void IOPCIDevice::MemoryWrite16(uint8_t memoryIndex, uint64_t offset, uint16_t data) {
    memory_write(this, ivars, memoryIndex, offset, 2, data);
}
void IOPCIDevice::MemoryWrite8(uint8_t memoryIndex, uint64_t offset, uint8_t data) {
    memory_write(this, ivars, memoryIndex, offset, 1, data);
}
void IOPCIDevice::MemoryRead64(uint8_t memoryIndex, uint64_t offset, uint64_t *readData, IOOptionBits) {
    MemoryRead64(memoryIndex, offset, readData);
}
void IOPCIDevice::MemoryRead32(uint8_t memoryIndex, uint64_t offset, uint32_t *readData, IOOptionBits) {
    MemoryRead32(memoryIndex, offset, readData);
}
void IOPCIDevice::MemoryRead16(uint8_t memoryIndex, uint64_t offset, uint16_t *readData, IOOptionBits) {
    MemoryRead16(memoryIndex, offset, readData);
}
void IOPCIDevice::MemoryRead8(uint8_t memoryIndex, uint64_t offset, uint8_t *readData, IOOptionBits) {
    MemoryRead8(memoryIndex, offset, readData);
}
void IOPCIDevice::MemoryWrite64(uint8_t memoryIndex, uint64_t offset, uint64_t data, IOOptionBits) {
    MemoryWrite64(memoryIndex, offset, data);
}
void IOPCIDevice::MemoryWrite32(uint8_t memoryIndex, uint64_t offset, uint32_t data, IOOptionBits) {
    MemoryWrite32(memoryIndex, offset, data);
}
void IOPCIDevice::MemoryWrite16(uint8_t memoryIndex, uint64_t offset, uint16_t data, IOOptionBits) {
    MemoryWrite16(memoryIndex, offset, data);
}
void IOPCIDevice::MemoryWrite8(uint8_t memoryIndex, uint64_t offset, uint8_t data, IOOptionBits) {
    MemoryWrite8(memoryIndex, offset, data);
}

kern_return_t IOPCIDevice::_MemoryAccess(uint64_t, uint64_t, uint64_t, uint64_t *readData,
                                         IOService *, IOOptionBits) {
    // FIXME: the private operation encoding is not published; drivers use MemoryRead/Write.
    if (readData != nullptr)
        *readData = ~uint64_t(0);
    return kIOReturnUnsupported;
}

kern_return_t IOPCIDevice::_CopyDeviceMemoryWithIndex(uint64_t memoryIndex,
                                                      IOMemoryDescriptor **returnMemory,
                                                      IOService *) {
    if (returnMemory != nullptr)
        *returnMemory = nullptr;
    netdext::log_linef(netdext::LogLevel::error,
                       "IOPCIDevice::_CopyDeviceMemoryWithIndex(%llu): the registers of a "
                       "simulated function are reached with MemoryRead/MemoryWrite, not mapped",
                       static_cast<unsigned long long>(memoryIndex));
    return kIOReturnUnsupported;
}

// ---- dispatchable methods ---------------------------------------------------------------------

kern_return_t IOPCIDevice::FindPCICapability(uint32_t capabilityID, uint64_t searchOffset,
                                             uint64_t *foundCapabilityOffset,
                                             OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return FindPCICapability_Impl(capabilityID, searchOffset, foundCapabilityOffset);
    return netdext::call_super<kern_return_t, uint32_t, uint64_t, uint64_t *>(
        this, netdext::method_id("FindPCICapability"), supermethod, capabilityID, searchOffset,
        foundCapabilityOffset);
}

kern_return_t IOPCIDevice::GetBusDeviceFunction(uint8_t *returnBusNumber,
                                                uint8_t *returnDeviceNumber,
                                                uint8_t *returnFunctionNumber,
                                                OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetBusDeviceFunction_Impl(returnBusNumber, returnDeviceNumber, returnFunctionNumber);
    return netdext::call_super<kern_return_t, uint8_t *, uint8_t *, uint8_t *>(
        this, netdext::method_id("GetBusDeviceFunction"), supermethod, returnBusNumber,
        returnDeviceNumber, returnFunctionNumber);
}

kern_return_t IOPCIDevice::HasPCIPowerManagement(uint64_t state, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return HasPCIPowerManagement_Impl(state);
    return netdext::call_super<kern_return_t, uint64_t>(
        this, netdext::method_id("HasPCIPowerManagement"), supermethod, state);
}

kern_return_t IOPCIDevice::EnablePCIPowerManagement(uint64_t state, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return EnablePCIPowerManagement_Impl(state);
    return netdext::call_super<kern_return_t, uint64_t>(
        this, netdext::method_id("EnablePCIPowerManagement"), supermethod, state);
}

kern_return_t IOPCIDevice::SaveDeviceState(IOOptionBits options, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SaveDeviceState_Impl(options);
    return netdext::call_super<kern_return_t, IOOptionBits>(
        this, netdext::method_id("SaveDeviceState"), supermethod, options);
}

kern_return_t IOPCIDevice::RestoreDeviceState(IOOptionBits options, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return RestoreDeviceState_Impl(options);
    return netdext::call_super<kern_return_t, IOOptionBits>(
        this, netdext::method_id("RestoreDeviceState"), supermethod, options);
}

kern_return_t IOPCIDevice::GetBARInfo(uint8_t barIndex, uint8_t *memoryIndex, uint64_t *barSize,
                                      uint8_t *barType, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetBARInfo_Impl(barIndex, memoryIndex, barSize, barType);
    return netdext::call_super<kern_return_t, uint8_t, uint8_t *, uint64_t *, uint8_t *>(
        this, netdext::method_id("GetBARInfo"), supermethod, barIndex, memoryIndex, barSize,
        barType);
}

kern_return_t IOPCIDevice::SetLinkSpeed(IOPCILinkSpeed linkSpeed, bool retrain,
                                        OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetLinkSpeed_Impl(linkSpeed, retrain);
    return netdext::call_super<kern_return_t, IOPCILinkSpeed, bool>(
        this, netdext::method_id("SetLinkSpeed"), supermethod, linkSpeed, retrain);
}

kern_return_t IOPCIDevice::GetLinkSpeed(IOPCILinkSpeed *linkSpeed, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return GetLinkSpeed_Impl(linkSpeed);
    return netdext::call_super<kern_return_t, IOPCILinkSpeed *>(
        this, netdext::method_id("GetLinkSpeed"), supermethod, linkSpeed);
}

kern_return_t IOPCIDevice::ConfigureInterrupts(uint32_t interruptType, uint32_t numRequired,
                                               uint32_t numRequested, IOOptionBits options,
                                               OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return ConfigureInterrupts_Impl(interruptType, numRequired, numRequested, options);
    return netdext::call_super<kern_return_t, uint32_t, uint32_t, uint32_t, IOOptionBits>(
        this, netdext::method_id("ConfigureInterrupts"), supermethod, interruptType, numRequired,
        numRequested, options);
}

kern_return_t IOPCIDevice::Reset(IOOptionBits type, IOOptionBits options,
                                 OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return Reset_Impl(type, options);
    return netdext::call_super<kern_return_t, IOOptionBits, IOOptionBits>(
        this, netdext::method_id("Reset"), supermethod, type, options);
}

kern_return_t IOPCIDevice::SetASPMState(IOOptionBits aspmLinkControl,
                                        OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetASPMState_Impl(aspmLinkControl);
    return netdext::call_super<kern_return_t, IOOptionBits>(
        this, netdext::method_id("SetASPMState"), supermethod, aspmLinkControl);
}

// ---- implementations --------------------------------------------------------------------------

kern_return_t IOPCIDevice::FindPCICapability_Impl(uint32_t capabilityID, uint64_t searchOffset,
                                                  uint64_t *foundCapabilityOffset) {
    if (foundCapabilityOffset == nullptr)
        return kIOReturnBadArgument;
    *foundCapabilityOffset = 0;
    if (netdext_terminated())
        return kIOReturnNoDevice;
    uint64_t found;
    if (capabilityID & 0x80000000u) // extended capabilities are asked for by negated ID
        found = find_extended_capability(*ivars->backend, uint16_t(-capabilityID), searchOffset);
    else
        found = find_capability(*ivars->backend, uint8_t(capabilityID), searchOffset);
    if (found == 0)
        return kIOReturnNotFound;
    *foundCapabilityOffset = found;
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::GetBusDeviceFunction_Impl(uint8_t *returnBusNumber,
                                                     uint8_t *returnDeviceNumber,
                                                     uint8_t *returnFunctionNumber) {
    if (returnBusNumber != nullptr)
        *returnBusNumber = ivars->location[0];
    if (returnDeviceNumber != nullptr)
        *returnDeviceNumber = ivars->location[1];
    if (returnFunctionNumber != nullptr)
        *returnFunctionNumber = ivars->location[2];
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::HasPCIPowerManagement_Impl(uint64_t state) {
    uint8_t pm = find_capability(*ivars->backend, kIOPCICapabilityIDPowerManagement, 0);
    if (pm == 0)
        return kIOReturnUnsupported;
    uint32_t pmc = ivars->backend->config_read(uint16_t(pm + kPMCapabilities), 2);
    bool supported = state == kPCIPMCSPowerStateD0 || state == kPCIPMCSPowerStateD3 ||
                     (state == kPCIPMCSPowerStateD1 && (pmc & 0x0200) != 0) ||
                     (state == kPCIPMCSPowerStateD2 && (pmc & 0x0400) != 0);
    return supported ? kIOReturnSuccess : kIOReturnUnsupported;
}

kern_return_t IOPCIDevice::EnablePCIPowerManagement_Impl(uint64_t state) {
    if (HasPCIPowerManagement_Impl(state) != kIOReturnSuccess)
        return kIOReturnUnsupported;
    uint8_t pm = find_capability(*ivars->backend, kIOPCICapabilityIDPowerManagement, 0);
    uint16_t at = uint16_t(pm + kPMControlStatus);
    uint32_t pmcsr = ivars->backend->config_read(at, 2);
    ivars->backend->config_write(at, 2, (pmcsr & ~0x3u) | uint32_t(state & 0x3));
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::SaveDeviceState_Impl(IOOptionBits) {
    std::array<uint32_t, 16> header{};
    for (uint16_t i = 0; i < header.size(); ++i)
        header[i] = ivars->backend->config_read(uint16_t(4 * i), 4);
    std::lock_guard lock(ivars->mutex);
    ivars->saved = header;
    ivars->has_saved = true;
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::RestoreDeviceState_Impl(IOOptionBits) {
    std::array<uint32_t, 16> header;
    {
        std::lock_guard lock(ivars->mutex);
        if (!ivars->has_saved)
            return kIOReturnNotReady;
        header = ivars->saved;
    }
    // Everything but the IDs (read-only) and the status register (write-one-to-clear); the
    // command register last, so that decoding resumes with the BARs in place.
    for (uint16_t i = 2; i < header.size(); ++i)
        ivars->backend->config_write(uint16_t(4 * i), 4, header[i]);
    ivars->backend->config_write(kIOPCIConfigurationOffsetCommand, 2, header[1] & 0xFFFF);
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::GetBARInfo_Impl(uint8_t barIndex, uint8_t *memoryIndex,
                                           uint64_t *barSize, uint8_t *barType) {
    for (size_t i = 0; i < ivars->bars.size(); ++i) {
        if (ivars->bars[i] != barIndex)
            continue;
        BarInfo info = ivars->backend->bar(barIndex);
        if (memoryIndex != nullptr)
            *memoryIndex = uint8_t(i);
        if (barSize != nullptr)
            *barSize = info.size;
        if (barType != nullptr)
            *barType = info.type;
        return kIOReturnSuccess;
    }
    return kIOReturnNotFound;
}

kern_return_t IOPCIDevice::SetLinkSpeed_Impl(IOPCILinkSpeed linkSpeed, bool) {
    if (find_capability(*ivars->backend, kIOPCICapabilityIDPCIExpress, 0) == 0)
        return kIOReturnUnsupported;
    if (linkSpeed < kPCILinkSpeed_2_5_GTs || linkSpeed > kPCILinkSpeed_32_GTs)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    ivars->link_speed = linkSpeed;
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::GetLinkSpeed_Impl(IOPCILinkSpeed *linkSpeed) {
    if (linkSpeed == nullptr)
        return kIOReturnBadArgument;
    if (find_capability(*ivars->backend, kIOPCICapabilityIDPCIExpress, 0) == 0)
        return kIOReturnUnsupported; // conventional PCI has no link
    std::lock_guard lock(ivars->mutex);
    *linkSpeed = ivars->link_speed;
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::ConfigureInterrupts_Impl(uint32_t interruptType, uint32_t numRequired,
                                                    uint32_t numRequested, IOOptionBits) {
    if (!session_open(this, ivars, "ConfigureInterrupts"))
        return kIOReturnNotOpen;
    if ((interruptType & kIOInterruptTypePCIMessagedX) != 0)
        return kIOReturnUnsupported; // FIXME: MSI-X is not modelled
    if ((interruptType & kIOInterruptTypePCIMessaged) == 0) {
        set_msi(ivars, 0); // INTx
        return kIOReturnSuccess;
    }
    if (ivars->msi == 0)
        return kIOReturnUnsupported;
    uint32_t want = numRequested < numRequired ? numRequired : numRequested;
    uint32_t granted = want > ivars->msi_capable ? ivars->msi_capable : want;
    while ((granted & (granted - 1)) != 0) // MSI grants powers of two
        granted &= granted - 1;
    if (granted == 0 || granted < numRequired)
        return kIOReturnNoResources;
    set_msi(ivars, granted);
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::Reset_Impl(IOOptionBits type, IOOptionBits) {
    if (netdext_terminated())
        return kIOReturnNoDevice;
    // IOPCIFamily keeps the configuration across the reset.
    SaveDeviceState_Impl(0);
    uint32_t msi_control = ivars->msi != 0
                               ? ivars->backend->config_read(uint16_t(ivars->msi + kMSIControl), 2)
                               : 0;
    IOReturn kr = ivars->backend->reset(type);
    if (kr != kIOReturnSuccess)
        return kr;
    RestoreDeviceState_Impl(0);
    if (ivars->msi != 0) {
        ivars->backend->config_write(uint16_t(ivars->msi + kMSIAddressLow), 4, kMSIAddress);
        bool wide = (msi_control & kMSIControl64Bit) != 0;
        ivars->backend->config_write(uint16_t(ivars->msi + (wide ? 12 : 8)), 2, kMSIData);
        ivars->backend->config_write(uint16_t(ivars->msi + kMSIControl), 2, msi_control);
    }
    return kIOReturnSuccess;
}

kern_return_t IOPCIDevice::SetASPMState_Impl(IOOptionBits aspmLinkControl) {
    return aspmLinkControl <= kIOPCILinkControlASPMBitsL0sL1 ? kIOReturnSuccess
                                                             : kIOReturnBadArgument;
}
