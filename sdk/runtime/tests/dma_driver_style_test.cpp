// Compile test and smoke test: a driver written the way DriverKit PCI drivers are, using
// IOBufferMemoryDescriptor, IOMemoryMap, IODMACommand and IOInterruptDispatchSource with Apple's
// idioms (IMPL, SUPERDISPATCH, ivars, OSSafeReleaseNULL, Cancel with a block under -fblocks).
// This target builds with -Wall -Wextra -Werror under GCC and Clang; the pragma below also turns
// unused parameters back into errors for this file, headers included, as a driver's build would.
//
// The first part is written by hand in the shape netdext-iig generates for the .iig quoted there
// (tests here do not run the generator); the second part is the driver's .cpp; the test plays a
// device that DMAs into the driver's ring and raises its interrupt.
#pragma GCC diagnostic error "-Wunused-parameter"

#include <DriverKit/IOBufferMemoryDescriptor.h>
#include <DriverKit/IODMACommand.h>
#include <DriverKit/IOInterruptDispatchSource.h>
#include <DriverKit/IOLib.h>
#include <DriverKit/IOMemoryMap.h>
#include <DriverKit/IOService.h>
#include <DriverKit/OSAction.h>
#include <netdext/iig_support.h>
#include <os/log.h>

#include <string.h>

// ---- "DmaNic.h", as generated from:
//   class DmaNic : public IOService {
//   public:
//       virtual bool init() override;
//       virtual void free() override;
//       virtual kern_return_t Start(IOService *provider) override;
//       virtual kern_return_t Stop(IOService *provider) override;
//       virtual void InterruptOccurred(OSAction *action, uint64_t count, uint64_t time)
//           TYPE(IOInterruptDispatchSource::InterruptOccurred);
//   };
#define DmaNic_InterruptOccurred_ID 0x3000000000000001ULL
#define DmaNic_Start_Args IOService *provider
#define DmaNic_Stop_Args IOService *provider
#define DmaNic_InterruptOccurred_Args OSAction *action, uint64_t count, uint64_t time

struct DmaNic_IVars;
class DmaNic : public IOService {
public:
    union {
        DmaNic_IVars *ivars = nullptr;
        struct DmaNic_LocalIVars *lvars;
    };
    NETDEXT_CLASS_MEMBERS(DmaNic, IOService)
    kern_return_t CreateActionInterruptOccurred(size_t referenceSize, OSAction **action);
    bool init() override;
    void free() override;

protected:
    kern_return_t Start_Impl(DmaNic_Start_Args) override;
    kern_return_t Stop_Impl(DmaNic_Stop_Args) override;
    virtual void InterruptOccurred_Impl(DmaNic_InterruptOccurred_Args);
};
extern OSMetaClass *gDmaNicMetaClass;
class OSAction_DmaNic_InterruptOccurred : public OSAction {
public:
    NETDEXT_CLASS_MEMBERS(OSAction_DmaNic_InterruptOccurred, OSAction)
};
extern OSMetaClass *gOSAction_DmaNic_InterruptOccurredMetaClass;

NETDEXT_DEFINE_CLASS(DmaNic, IOService, nullptr, 0)
NETDEXT_DEFINE_CLASS(OSAction_DmaNic_InterruptOccurred, OSAction, nullptr, 0)
kern_return_t OSAction_DmaNic_InterruptOccurred::_Dispatch(OSMetaClassBase *self, const IORPC rpc) {
    return OSAction::_Dispatch(self, rpc);
}
kern_return_t DmaNic::CreateActionInterruptOccurred(size_t referenceSize, OSAction **action) {
    return netdext::create_action<OSAction_DmaNic_InterruptOccurred>(
        this, DmaNic_InterruptOccurred_ID, IOInterruptDispatchSource_InterruptOccurred_ID,
        referenceSize, action);
}
kern_return_t DmaNic::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    DmaNic *self = static_cast<DmaNic *>(object);
    switch (rpc.message->msgid) {
    case IOService_Start_ID:
        if (netdext::dispatch_to(
                rpc, [self](IOService *provider) { return self->DmaNic::Start_Impl(provider); }))
            return kIOReturnSuccess;
        break;
    case IOService_Stop_ID:
        if (netdext::dispatch_to(
                rpc, [self](IOService *provider) { return self->DmaNic::Stop_Impl(provider); }))
            return kIOReturnSuccess;
        break;
    case DmaNic_InterruptOccurred_ID:
        if (netdext::dispatch_to(rpc, [self](OSAction *action, uint64_t count, uint64_t time) {
                self->DmaNic::InterruptOccurred_Impl(action, count, time);
            }))
            return kIOReturnSuccess;
        break;
    }
    return IOService::_Dispatch(object, rpc);
}

// ---- "DmaNic.cpp", the driver --------------------------------------------------------------

// What the device's registers would hold (a real driver writes them through IOPCIDevice MMIO).
struct DmaNicRegisters {
    uint64_t ring_iova;
    uint32_t ring_entries;
};
static DmaNicRegisters gDmaNicRegisters;

struct DmaNicDescriptor {
    uint32_t status; // the device sets 1 when it completed the descriptor
    uint32_t length;
};

struct DmaNic_IVars {
    IODispatchQueue *queue;
    IOBufferMemoryDescriptor *ring;
    IOMemoryMap *ringMap;
    IODMACommand *dma;
    IOInterruptDispatchSource *interruptSource;
    OSAction *interruptAction;
    uint64_t completed;
    uint64_t lastCount;
    uint64_t lastTime;
};

constexpr uint32_t kRingEntries = 64;

bool DmaNic::init() {
    if (!super::init())
        return false;
    ivars = IONewZero(DmaNic_IVars, 1);
    return ivars != NULL;
}

void DmaNic::free() {
    if (ivars != NULL) {
        OSSafeReleaseNULL(ivars->interruptSource);
        OSSafeReleaseNULL(ivars->interruptAction);
        OSSafeReleaseNULL(ivars->dma);
        OSSafeReleaseNULL(ivars->ringMap);
        OSSafeReleaseNULL(ivars->ring);
        OSSafeReleaseNULL(ivars->queue);
    }
    IOSafeDeleteNULL(ivars, DmaNic_IVars, 1);
    super::free();
}

kern_return_t IMPL(DmaNic, Start) {
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->queue);
    if (ret != kIOReturnSuccess)
        return ret;

    ret = IOBufferMemoryDescriptor::Create(
        kIOMemoryDirectionInOut, kRingEntries * sizeof(DmaNicDescriptor), 0, &ivars->ring);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = ivars->ring->CreateMapping(0, 0, 0, 0, 0, &ivars->ringMap);
    if (ret != kIOReturnSuccess)
        return ret;

    IODMACommandSpecification dmaSpecification;
    memset(&dmaSpecification, 0, sizeof(dmaSpecification));
    dmaSpecification.options = kIODMACommandSpecificationNoOptions;
    dmaSpecification.maxAddressBits = 64;
    ret = IODMACommand::Create(provider, kIODMACommandCreateNoOptions, &dmaSpecification,
                               &ivars->dma);
    if (ret != kIOReturnSuccess)
        return ret;
    uint64_t dmaFlags = 0;
    uint32_t dmaSegmentCount = 1;
    IOAddressSegment physicalAddressSegment;
    ret = ivars->dma->PrepareForDMA(kIODMACommandPrepareForDMANoOptions, ivars->ring, 0, 0,
                                    &dmaFlags, &dmaSegmentCount, &physicalAddressSegment);
    if (ret != kIOReturnSuccess || dmaSegmentCount != 1)
        return kIOReturnNoResources;
    gDmaNicRegisters.ring_iova = physicalAddressSegment.address;
    gDmaNicRegisters.ring_entries = kRingEntries;

    uint64_t interruptType = 0;
    ret = IOInterruptDispatchSource::GetInterruptType(provider, 0, &interruptType);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = IOInterruptDispatchSource::Create(provider, 0, ivars->queue, &ivars->interruptSource);
    if (ret != kIOReturnSuccess)
        return ret;
    ret = CreateActionInterruptOccurred(0, &ivars->interruptAction);
    if (ret != kIOReturnSuccess)
        return ret;
    ivars->interruptSource->SetHandler(ivars->interruptAction);
    ivars->interruptSource->SetEnableWithCompletion(true, nullptr);
    os_log(OS_LOG_DEFAULT, "DmaNic: ring at 0x%llx, interrupt type %llu",
           (unsigned long long)physicalAddressSegment.address, (unsigned long long)interruptType);
    return RegisterService();
}

kern_return_t IMPL(DmaNic, Stop) {
    if (ivars->dma != NULL)
        ivars->dma->CompleteDMA(kIODMACommandCompleteDMANoOptions);
    if (ivars->interruptSource == NULL)
        return Stop(provider, SUPERDISPATCH);
        // The rest of Stop runs once the interrupt source is quiet. The source held the action and
        // the action holds this driver: let both go.
#if defined(__BLOCKS__)
    ivars->interruptSource->Cancel(^{
      OSSafeReleaseNULL(ivars->interruptSource);
      OSSafeReleaseNULL(ivars->interruptAction);
      Stop(provider, SUPERDISPATCH);
    });
#else
    ivars->interruptSource->Cancel([this, provider] {
        OSSafeReleaseNULL(ivars->interruptSource);
        OSSafeReleaseNULL(ivars->interruptAction);
        Stop(provider, SUPERDISPATCH);
    });
#endif
    return kIOReturnSuccess;
}

void IMPL(DmaNic, InterruptOccurred) {
    (void)action;
    auto *ring = reinterpret_cast<volatile DmaNicDescriptor *>(ivars->ringMap->GetAddress());
    for (uint32_t i = 0; i < kRingEntries; ++i) {
        if (ring[i].status == 1) {
            ring[i].status = 0;
            ivars->completed++;
        }
    }
    ivars->lastCount = count;
    ivars->lastTime = time;
}

// ---- the test ------------------------------------------------------------------------------

#include <gtest/gtest.h>

#include <netdext/interrupts.h>
#include <netdext/runtime.h>
#include <netdext/virtual_clock.h>

#include "support/test_classes.h"

TEST(DmaDriverStyle, DeviceDmaAndInterruptReachTheDriver) {
    ASSERT_TRUE(netdext::wait_until_idle());
    uint64_t live = netdext::runtime_stats().live_objects.load();
    netdext::VirtualClock clock;
    clock.install();
    IOService *provider = make_object<IOService>("IOService");
    ASSERT_NE(provider, nullptr);
    netdext::offer_interrupts(provider, 1, kIOInterruptTypeEdge);
    DmaNic *driver = make_object<DmaNic>("DmaNic");
    ASSERT_NE(driver, nullptr);
    ASSERT_EQ(driver->Start(provider), kIOReturnSuccess);

    // The device completes descriptors 3 and 9 through the IOVA it was given, then interrupts.
    ASSERT_NE(gDmaNicRegisters.ring_iova, 0u);
    auto *ring = reinterpret_cast<DmaNicDescriptor *>(gDmaNicRegisters.ring_iova);
    ring[3] = {1, 60};
    ring[9] = {1, 1514};
    EXPECT_EQ(netdext::raise_interrupt(provider, 0), 1u);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(driver->ivars->completed, 2u);
    EXPECT_EQ(driver->ivars->lastCount, 1u);
    EXPECT_EQ(driver->ivars->lastTime, clock.now_ns(netdext::ClockDomain::uptime));

    ASSERT_EQ(driver->Stop(provider), kIOReturnSuccess);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::raise_interrupt(provider, 0), 0u); // the source is gone
    OSSafeReleaseNULL(driver);
    netdext::offer_interrupts(provider, 0, 0);
    OSSafeReleaseNULL(provider);
    ASSERT_TRUE(netdext::wait_until_idle());
    EXPECT_EQ(netdext::runtime_stats().live_objects.load(), live);
}
