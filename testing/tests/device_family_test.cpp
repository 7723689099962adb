// The USB and PCI families over the shipped device models, without a driver: enumeration and
// registry properties, sessions, configurations and pipes, descriptor parsing, halts, removal;
// PCI configuration space (BAR sizing, capabilities, MSI), decoding rules, the IOMMU catching a
// driver that programs a pointer, and the model registry's knob parsing.

#include <gtest/gtest.h>

#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IOInterruptDispatchSource.h>
#include <PCIDriverKit/PCIDriverKit.h>
#include <USBDriverKit/AppleUSBDescriptorParsing.h>
#include <USBDriverKit/USBDriverKit.h>
#include <netdext/interrupts.h>
#include <netdext/iommu.h>
#include <netdext/model/cdc_ecm.h>
#include <netdext/model/e1000.h>
#include <netdext/model/registry.h>
#include <netdext/runtime.h>
#include <netdext/system_calls.h>

#include <cstring>

using netdext::model::CdcEcmDevice;
using netdext::model::E1000Device;

namespace {

uint64_t number_property(IOService *service, const char *key) {
    OSDictionary *properties = nullptr;
    if (service->CopyProperties(&properties) != kIOReturnSuccess)
        return ~0ull;
    OSNumber *n = OSDynamicCast(OSNumber, properties->getObject(key));
    uint64_t value = n ? n->unsigned64BitValue() : ~0ull;
    properties->release();
    return value;
}

struct UsbFamily : public ::testing::Test {
    std::shared_ptr<CdcEcmDevice> model = CdcEcmDevice::create();
    IOUSBHostDevice *device = nullptr;
    IOService *client = nullptr;

    void SetUp() override {
        ASSERT_EQ(IOUSBHostDevice::netdext_create(model, &device), kIOReturnSuccess);
        client = OSTypeAlloc(IOService);
        ASSERT_TRUE(client->init());
    }
    void TearDown() override {
        if (device != nullptr) {
            device->netdext_terminate();
            device->release();
        }
        OSSafeReleaseNULL(client);
        netdext::wait_until_idle();
    }
};

} // namespace

TEST_F(UsbFamily, EnumerationReadsTheDescriptorsAndPublishesTheMatchingKeys) {
    EXPECT_EQ(number_property(device, "idVendor"), 0x0525u);
    EXPECT_EQ(number_property(device, "idProduct"), 0xa4a1u);
    EXPECT_EQ(number_property(device, "bDeviceClass"), 2u);
    EXPECT_EQ(number_property(device, "USBSpeed"), uint64_t(kIOUSBHostConnectionSpeedHigh));
    const IOUSBDeviceDescriptor *dd = device->CopyDeviceDescriptor();
    ASSERT_NE(dd, nullptr);
    EXPECT_EQ(dd->bNumConfigurations, 1);
    IOUSBHostFreeDescriptor(dd);
    const IOUSBStringDescriptor *mac = device->CopyStringDescriptor(4);
    ASSERT_NE(mac, nullptr);
    EXPECT_EQ(mac->bLength, 2 + 24);
    EXPECT_EQ(mac->bString[0], '0');
    EXPECT_EQ(mac->bString[2], '2');
    IOUSBHostFreeDescriptor(mac);
    EXPECT_EQ(device->CopyStringDescriptor(9), nullptr); // the device stalls: no such string
    EXPECT_EQ(device->CopyCapabilityDescriptors(), nullptr); // USB 2.00: no BOS

    // Walking the configuration: interfaces, the functional descriptors, the endpoints.
    const IOUSBConfigurationDescriptor *cd = device->CopyConfigurationDescriptorWithValue(1);
    ASSERT_NE(cd, nullptr);
    int interfaces = 0, endpoints = 0, functional = 0;
    for (const IOUSBInterfaceDescriptor *id = IOUSBGetNextInterfaceDescriptor(cd, nullptr); id != nullptr;
         id = IOUSBGetNextInterfaceDescriptor(cd, reinterpret_cast<const IOUSBDescriptorHeader *>(id))) {
        ++interfaces;
        for (const IOUSBEndpointDescriptor *ed = IOUSBGetNextEndpointDescriptor(cd, id, nullptr); ed != nullptr;
             ed = IOUSBGetNextEndpointDescriptor(cd, id, reinterpret_cast<const IOUSBDescriptorHeader *>(ed))) {
            ++endpoints;
            EXPECT_EQ(IOUSBGetEndpointMaxPacketSize(kIOUSBHostConnectionSpeedHigh, ed),
                      IOUSBGetEndpointType(ed) == kIOUSBEndpointTypeBulk ? 512 : 16);
        }
        const IOUSBDescriptorHeader *cs = nullptr;
        while ((cs = IOUSBGetNextAssociatedDescriptorWithType(cd, reinterpret_cast<const IOUSBDescriptorHeader *>(id),
                                                              cs, 0x24)) != nullptr)
            ++functional;
    }
    EXPECT_EQ(interfaces, 3); // 0, 1 alt 0, 1 alt 1
    EXPECT_EQ(endpoints, 3);
    EXPECT_EQ(functional, 3); // Header, Union, Ethernet Networking
    EXPECT_EQ(IOUSBGetConfigurationMaxPowerMilliAmps(kIOUSBHostConnectionSpeedHigh, cd), 100u);
    // A corrupted length ends the walk instead of running past the descriptor.
    std::vector<uint8_t> broken(reinterpret_cast<const uint8_t *>(cd),
                                reinterpret_cast<const uint8_t *>(cd) + USBToHost16(cd->wTotalLength));
    broken[9] = 0; // the first interface descriptor's bLength
    auto *bad = reinterpret_cast<const IOUSBConfigurationDescriptor *>(broken.data());
    EXPECT_EQ(IOUSBGetNextDescriptor(bad, nullptr), nullptr);
    IOUSBHostFreeDescriptor(cd);
}

TEST_F(UsbFamily, SessionsConfigurationsAndPipes) {
    EXPECT_EQ(device->SetConfiguration(1, false), kIOReturnNotOpen);
    ASSERT_EQ(device->Open(client, 0, 0), kIOReturnSuccess);
    EXPECT_EQ(device->Open(device, 0, 0), kIOReturnExclusiveAccess);
    EXPECT_EQ(device->SetConfiguration(1, false), kIOReturnSuccess);
    ASSERT_EQ(device->Close(client, 0), kIOReturnSuccess);
    EXPECT_EQ(model->configuration(), 1);
    ASSERT_EQ(device->netdext_interface_count(), 2u);
    IOUSBHostInterface *control = device->netdext_interface(0);
    IOUSBHostInterface *data = device->netdext_interface(1);
    EXPECT_EQ(number_property(data, "bInterfaceClass"), 0x0Au);
    EXPECT_EQ(number_property(control, "bConfigurationValue"), 1u);

    IOUSBHostPipe *pipe = nullptr;
    EXPECT_EQ(data->CopyPipe(0x82, &pipe), kIOReturnNotOpen);
    ASSERT_EQ(data->Open(client, 0, nullptr), kIOReturnSuccess);
    EXPECT_EQ(data->Open(device, 0, nullptr), kIOReturnExclusiveAccess);
    EXPECT_EQ(data->CopyPipe(0x82, &pipe), kIOReturnNotFound); // alternate setting 0 has none
    uint8_t alternate = 1;
    ASSERT_EQ(data->Close(client, 0), kIOReturnSuccess);
    ASSERT_EQ(data->Open(client, kUSBHostOpenOptionSelectAlternateSetting, &alternate), kIOReturnSuccess);
    EXPECT_EQ(model->alternate_setting(1), 1);
    ASSERT_EQ(data->CopyPipe(0x01, &pipe), kIOReturnSuccess);

    // A synchronous bulk OUT goes to the cable once the adapter has link and data alternate 1.
    std::vector<std::vector<uint8_t>> frames;
    model->wire()->connect([&frames](std::span<const uint8_t> f) { frames.emplace_back(f.begin(), f.end()); });
    IOBufferMemoryDescriptor *buffer = nullptr;
    ASSERT_EQ(data->CreateIOBuffer(kIOMemoryDirectionOut, 64, &buffer), kIOReturnSuccess);
    IOAddressSegment range{};
    buffer->GetAddressRange(&range);
    std::memset(reinterpret_cast<void *>(range.address), 0xab, 64);
    uint32_t done = 0;
    EXPECT_EQ(pipe->IO(buffer, 64, &done, 0), kIOReturnSuccess);
    EXPECT_EQ(done, 64u);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].size(), 64u);

    // A halt: every transfer stalls until ClearStall(true) sends CLEAR_FEATURE(ENDPOINT_HALT).
    std::string error;
    ASSERT_TRUE(model->set("stall", "0x01", error)) << error;
    EXPECT_EQ(pipe->IO(buffer, 64, &done, 0), kUSBHostReturnPipeStalled);
    EXPECT_EQ(pipe->IO(buffer, 64, &done, 0), kUSBHostReturnPipeStalled); // the pipe refuses
    EXPECT_TRUE(model->halted(0x01));
    EXPECT_EQ(pipe->ClearStall(true), kIOReturnSuccess);
    EXPECT_FALSE(model->halted(0x01));
    EXPECT_EQ(pipe->IO(buffer, 64, &done, 0), kIOReturnSuccess);

    // Closing invalidates the pipe; removal makes everything fail with kIOReturnNoDevice.
    ASSERT_EQ(data->Close(client, 0), kIOReturnSuccess);
    EXPECT_EQ(pipe->IO(buffer, 64, &done, 0), kIOReturnNotOpen);
    model->remove();
    EXPECT_TRUE(device->netdext_terminated());
    EXPECT_EQ(device->CopyDeviceDescriptor(), nullptr);
    EXPECT_EQ(data->Open(client, 0, nullptr), kIOReturnNoDevice);
    EXPECT_EQ(pipe->IO(buffer, 64, &done, 0), kIOReturnNoDevice);
    pipe->release();
    buffer->release();
    model->wire()->connect(nullptr);
}

TEST(UsbModelKnobs, TheRegistryParsesSpecsAndRefusesMistakes) {
    std::string error;
    EXPECT_TRUE(netdext::model::create_device("cdc-ecm,mac=02:00:00:00:00:05,link=down,fail=2", error)) << error;
    EXPECT_FALSE(netdext::model::create_device("cdc-ecm,mac=03:00:00:00:00:05", error));
    EXPECT_NE(error.find("multicast"), std::string::npos) << error;
    EXPECT_FALSE(netdext::model::create_device("cdc-ecm,stall=0x00", error));
    EXPECT_FALSE(netdext::model::create_device("cdc-ecm,fail", error));
    EXPECT_NE(error.find("expected knob=value"), std::string::npos) << error;
    EXPECT_FALSE(netdext::model::create_device("tulip", error));
    auto device = netdext::model::create_device("e1000", error);
    ASSERT_TRUE(device);
    EXPECT_FALSE(device->set("mac", "02:00:00:00:00:09", error)); // identity: at creation only
    EXPECT_NE(error.find("only be set when the device is created"), std::string::npos) << error;
    EXPECT_FALSE(device->set("link", "sideways", error));
    EXPECT_FALSE(device->set("dma-errors", "-1", error));
    EXPECT_EQ(netdext::model::device_models().size(), 2u);
}

namespace {

struct PciFamily : public ::testing::Test {
    std::shared_ptr<E1000Device> model = E1000Device::create();
    IOPCIDevice *pci = nullptr;
    IOService *client = nullptr;

    void SetUp() override {
        ASSERT_EQ(IOPCIDevice::netdext_create(model, 0, 3, 0, &pci), kIOReturnSuccess);
        client = OSTypeAlloc(IOService);
        ASSERT_TRUE(client->init());
    }
    void TearDown() override {
        if (pci != nullptr) {
            pci->Close(client, 0);
            pci->release();
        }
        OSSafeReleaseNULL(client);
        netdext::wait_until_idle();
    }
};

} // namespace

TEST_F(PciFamily, ConfigurationSpaceBarsAndCapabilities) {
    ASSERT_EQ(pci->Open(client, 0), kIOReturnSuccess);
    EXPECT_EQ(pci->Open(pci, 0), kIOReturnExclusiveAccess); // another client
    uint32_t id = 0, bar = 0;
    pci->ConfigurationRead32(kIOPCIConfigurationOffsetVendorID, &id);
    EXPECT_EQ(id, 0x100E8086u);
    // The "firmware" assigned BAR0; sizing it the standard way gives 128 KiB.
    pci->ConfigurationRead32(kIOPCIConfigurationOffsetBaseAddress0, &bar);
    EXPECT_EQ(bar & 0xFFFF0000u, 0xC0000000u);
    pci->ConfigurationWrite32(kIOPCIConfigurationOffsetBaseAddress0, 0xFFFFFFFF);
    uint32_t sized = 0;
    pci->ConfigurationRead32(kIOPCIConfigurationOffsetBaseAddress0, &sized);
    EXPECT_EQ(~(sized & ~0xFu) + 1, 128u * 1024);
    pci->ConfigurationWrite32(kIOPCIConfigurationOffsetBaseAddress0, bar);
    uint8_t memoryIndex = 9, type = 9;
    uint64_t size = 0;
    ASSERT_EQ(pci->GetBARInfo(0, &memoryIndex, &size, &type), kIOReturnSuccess);
    EXPECT_EQ(memoryIndex, 0);
    EXPECT_EQ(size, 128u * 1024);
    EXPECT_EQ(type, kPCIBARTypeM32);
    EXPECT_EQ(pci->GetBARInfo(1, &memoryIndex), kIOReturnNotFound);
    uint64_t offset = 0;
    ASSERT_EQ(pci->FindPCICapability(kIOPCICapabilityIDPowerManagement, 0, &offset), kIOReturnSuccess);
    EXPECT_EQ(offset, 0xDCu);
    ASSERT_EQ(pci->FindPCICapability(kIOPCICapabilityIDMSI, 0, &offset), kIOReturnSuccess);
    EXPECT_EQ(offset, 0xF0u); // 8254x SDM §4.1.3
    EXPECT_EQ(pci->FindPCICapability(kIOPCICapabilityIDMSIX, 0, &offset), kIOReturnNotFound);
    EXPECT_EQ(pci->HasPCIPowerManagement(kPCIPMCSPowerStateD3), kIOReturnSuccess);
    EXPECT_EQ(pci->HasPCIPowerManagement(kPCIPMCSPowerStateD1), kIOReturnUnsupported);
    EXPECT_TRUE(model->msi_enabled()); // Open enabled MSI
    uint64_t type0 = 0, type1 = 0;
    ASSERT_EQ(IOInterruptDispatchSource::GetInterruptType(pci, 0, &type0), kIOReturnSuccess);
    ASSERT_EQ(IOInterruptDispatchSource::GetInterruptType(pci, 1, &type1), kIOReturnSuccess);
    EXPECT_EQ(type0, uint64_t(kIOInterruptTypeLevel));
    EXPECT_EQ(type1, uint64_t(kIOInterruptTypeEdge) | kIOInterruptTypePCIMessaged);
    EXPECT_EQ(pci->ConfigureInterrupts(kIOInterruptTypePCIMessaged, 2, 2, 0), kIOReturnNoResources);
    EXPECT_EQ(pci->ConfigureInterrupts(kIOInterruptTypePCIMessagedX, 1, 1, 0), kIOReturnUnsupported);
}

TEST_F(PciFamily, DecodingBusMasteringAndTheIOMMU) {
    uint32_t value = 0;
    pci->MemoryRead32(0, 0x8, &value); // no session: all ones, and a misuse (logged here)
    EXPECT_EQ(value, 0xFFFFFFFFu);
    ASSERT_EQ(pci->Open(client, 0), kIOReturnSuccess);
    pci->MemoryRead32(0, 0x8, &value); // memory decoding is still off
    EXPECT_EQ(value, 0xFFFFFFFFu);
    EXPECT_EQ(model->counters()["undecoded_accesses"], 1u);
    pci->ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, kIOPCICommandMemorySpace);
    pci->MemoryRead32(0, 0x8, &value); // STATUS: full duplex, 1000 Mb/s
    EXPECT_EQ(value & 0xC1u, 0x81u);

    // A driver that programs its buffer's *pointer* as the descriptor ring: the IOMMU refuses.
    IOBufferMemoryDescriptor *memory = nullptr;
    ASSERT_EQ(IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, 4096, 0, &memory), kIOReturnSuccess);
    IOAddressSegment range{};
    memory->GetAddressRange(&range);
    pci->ConfigurationWrite16(kIOPCIConfigurationOffsetCommand,
                              kIOPCICommandMemorySpace | kIOPCICommandBusLead);
    pci->MemoryWrite32(0, 0x3800, uint32_t(range.address));       // TDBAL
    pci->MemoryWrite32(0, 0x3804, uint32_t(range.address >> 32)); // TDBAH
    pci->MemoryWrite32(0, 0x3808, 128);                           // TDLEN
    pci->MemoryWrite32(0, 0x0400, 1u << 1);                       // TCTL.EN
    pci->MemoryWrite32(0, 0x3818, 1);                             // TDT
    auto iommu = netdext::iommu_for(pci);
    ASSERT_TRUE(iommu);
    EXPECT_GE(iommu->fault_count(), 1u);
    uint16_t status = 0;
    pci->ConfigurationRead16(kIOPCIConfigurationOffsetStatus, &status);
    EXPECT_NE(status & kIOPCIStatusLeadAbortActive, 0); // the function saw a master abort
    pci->ConfigurationWrite16(kIOPCIConfigurationOffsetStatus, kIOPCIStatusLeadAbortActive);
    pci->ConfigurationRead16(kIOPCIConfigurationOffsetStatus, &status);
    EXPECT_EQ(status & kIOPCIStatusLeadAbortActive, 0); // write one to clear
    memory->release();

    // Close turns decoding and bus mastering off; removal reads all ones.
    pci->Close(client, 0);
    EXPECT_EQ(model->command() & (kIOPCICommandMemorySpace | kIOPCICommandBusLead), 0);
    ASSERT_EQ(pci->Open(client, 0), kIOReturnSuccess);
    model->remove();
    EXPECT_TRUE(pci->netdext_terminated());
    pci->ConfigurationRead32(kIOPCIConfigurationOffsetVendorID, &value);
    EXPECT_EQ(value, 0xFFFFFFFFu);
}
