// kern_return_t / IOReturn values against the table in API.md §2.10 (Apple's xnu IOReturn.h).
#include <DriverKit/IOReturn.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>

namespace {

// Each entry: the code, its unsigned bit pattern and its int32 value.
#define CHECK_IORETURN(name, hex)                                                                  \
    static_assert(static_cast<uint32_t>(name) == (hex), #name " has the wrong value");             \
    static_assert((name) == static_cast<int32_t>(hex), #name " is not the int32 of " #hex);        \
    static_assert(std::is_same_v<decltype(name), int>, #name " is not an int")

CHECK_IORETURN(kIOReturnError, 0xE00002BCu);
CHECK_IORETURN(kIOReturnNoMemory, 0xE00002BDu);
CHECK_IORETURN(kIOReturnNoResources, 0xE00002BEu);
CHECK_IORETURN(kIOReturnIPCError, 0xE00002BFu);
CHECK_IORETURN(kIOReturnNoDevice, 0xE00002C0u);
CHECK_IORETURN(kIOReturnNotPrivileged, 0xE00002C1u);
CHECK_IORETURN(kIOReturnBadArgument, 0xE00002C2u);
CHECK_IORETURN(kIOReturnLockedRead, 0xE00002C3u);
CHECK_IORETURN(kIOReturnLockedWrite, 0xE00002C4u);
CHECK_IORETURN(kIOReturnExclusiveAccess, 0xE00002C5u);
CHECK_IORETURN(kIOReturnBadMessageID, 0xE00002C6u);
CHECK_IORETURN(kIOReturnUnsupported, 0xE00002C7u);
CHECK_IORETURN(kIOReturnVMError, 0xE00002C8u);
CHECK_IORETURN(kIOReturnInternalError, 0xE00002C9u);
CHECK_IORETURN(kIOReturnIOError, 0xE00002CAu);
CHECK_IORETURN(kIOReturnCannotLock, 0xE00002CCu);
CHECK_IORETURN(kIOReturnNotOpen, 0xE00002CDu);
CHECK_IORETURN(kIOReturnNotReadable, 0xE00002CEu);
CHECK_IORETURN(kIOReturnNotWritable, 0xE00002CFu);
CHECK_IORETURN(kIOReturnNotAligned, 0xE00002D0u);
CHECK_IORETURN(kIOReturnBadMedia, 0xE00002D1u);
CHECK_IORETURN(kIOReturnStillOpen, 0xE00002D2u);
CHECK_IORETURN(kIOReturnRLDError, 0xE00002D3u);
CHECK_IORETURN(kIOReturnDMAError, 0xE00002D4u);
CHECK_IORETURN(kIOReturnBusy, 0xE00002D5u);
CHECK_IORETURN(kIOReturnTimeout, 0xE00002D6u);
CHECK_IORETURN(kIOReturnOffline, 0xE00002D7u);
CHECK_IORETURN(kIOReturnNotReady, 0xE00002D8u);
CHECK_IORETURN(kIOReturnNotAttached, 0xE00002D9u);
CHECK_IORETURN(kIOReturnNoChannels, 0xE00002DAu);
CHECK_IORETURN(kIOReturnNoSpace, 0xE00002DBu);
CHECK_IORETURN(kIOReturnPortExists, 0xE00002DDu);
CHECK_IORETURN(kIOReturnCannotWire, 0xE00002DEu);
CHECK_IORETURN(kIOReturnNoInterrupt, 0xE00002DFu);
CHECK_IORETURN(kIOReturnNoFrames, 0xE00002E0u);
CHECK_IORETURN(kIOReturnMessageTooLarge, 0xE00002E1u);
CHECK_IORETURN(kIOReturnNotPermitted, 0xE00002E2u);
CHECK_IORETURN(kIOReturnNoPower, 0xE00002E3u);
CHECK_IORETURN(kIOReturnNoMedia, 0xE00002E4u);
CHECK_IORETURN(kIOReturnUnformattedMedia, 0xE00002E5u);
CHECK_IORETURN(kIOReturnUnsupportedMode, 0xE00002E6u);
CHECK_IORETURN(kIOReturnUnderrun, 0xE00002E7u);
CHECK_IORETURN(kIOReturnOverrun, 0xE00002E8u);
CHECK_IORETURN(kIOReturnDeviceError, 0xE00002E9u);
CHECK_IORETURN(kIOReturnNoCompletion, 0xE00002EAu);
CHECK_IORETURN(kIOReturnAborted, 0xE00002EBu);
CHECK_IORETURN(kIOReturnNoBandwidth, 0xE00002ECu);
CHECK_IORETURN(kIOReturnNotResponding, 0xE00002EDu);
CHECK_IORETURN(kIOReturnIsoTooOld, 0xE00002EEu);
CHECK_IORETURN(kIOReturnIsoTooNew, 0xE00002EFu);
CHECK_IORETURN(kIOReturnNotFound, 0xE00002F0u);
CHECK_IORETURN(kIOReturnInvalid, 0xE0000001u);

static_assert(kIOReturnSuccess == 0 && KERN_SUCCESS == 0);
static_assert(std::is_same_v<IOReturn, kern_return_t> && std::is_same_v<kern_return_t, int>);
static_assert(static_cast<uint32_t>(sys_iokit) == 0xE0000000u);
static_assert(sub_iokit_common == 0);
static_assert(sub_iokit_networking == 0x18000);
static_assert(static_cast<uint32_t>(iokit_family_err(sub_iokit_networking, 0x10)) == 0xE0018010u);

// The int32 column of the table, spelled out as decimal literals.
TEST(IOReturnTest, Int32Values) {
    EXPECT_EQ(kIOReturnError, -536870212);
    EXPECT_EQ(kIOReturnNoMemory, -536870211);
    EXPECT_EQ(kIOReturnNoResources, -536870210);
    EXPECT_EQ(kIOReturnIPCError, -536870209);
    EXPECT_EQ(kIOReturnNoDevice, -536870208);
    EXPECT_EQ(kIOReturnNotPrivileged, -536870207);
    EXPECT_EQ(kIOReturnBadArgument, -536870206);
    EXPECT_EQ(kIOReturnExclusiveAccess, -536870203);
    EXPECT_EQ(kIOReturnUnsupported, -536870201);
    EXPECT_EQ(kIOReturnBusy, -536870187);
    EXPECT_EQ(kIOReturnTimeout, -536870186);
    EXPECT_EQ(kIOReturnNotReady, -536870184);
    EXPECT_EQ(kIOReturnNoSpace, -536870181);
    EXPECT_EQ(kIOReturnOverrun, -536870168);
    EXPECT_EQ(kIOReturnAborted, -536870165);
    EXPECT_EQ(kIOReturnNotFound, -536870160);
    EXPECT_EQ(kIOReturnInvalid, -536870911);
}

TEST(IOReturnTest, ErrorFieldMacros) {
    EXPECT_EQ(err_system(0x38), static_cast<int>(0xE0000000u));
    EXPECT_EQ(err_sub(6), 6 << 14);
    EXPECT_EQ(err_get_system(kIOReturnError), 0x38);
    EXPECT_EQ(err_get_sub(kIOReturnError), 0);
    EXPECT_EQ(err_get_code(kIOReturnError), 0x2bc);
    EXPECT_EQ(err_get_code(kIOReturnInvalid), 0x1);

    IOReturn networking = iokit_family_err(sub_iokit_networking, 0x123);
    EXPECT_EQ(err_get_system(networking), 0x38);
    EXPECT_EQ(err_get_sub(networking), 6);
    EXPECT_EQ(err_get_code(networking), 0x123);
    EXPECT_EQ(err_get_sub(iokit_vendor_specific_err(1)), 0xffe);
}

} // namespace
