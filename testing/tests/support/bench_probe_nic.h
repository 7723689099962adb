// BenchProbeNic: a tiny NIC driver for testing the driver test bench itself. It is written by
// hand in the shape netdext-iig generates (so the bench's own tests need no generator) and is
// linked into the test, so a test runs it with bench.use_class("BenchProbeNic").
//
// What it does is set per test through probe_config() before bench.start():
//  - timers: armed when the interface comes up; each firing is recorded (probe_events()) and
//    turns one empty RX buffer into a 60-byte broadcast frame whose payload names the timer and
//    the firing ("frame of timer T, firing F"), delivered on the RX completion queue;
//  - tx_mode: what it does with each frame the stack transmits;
//  - a few faults (zero-length RX, failing Start) for the bench's drop and error paths.
// Threads: the driver runs on its Default queue; the test reads the records after the bench
// returned (the bench waits for the queues to go idle), under the record lock.
#pragma once

#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <netdext/iig_support.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bench_probe {

struct Timer {
    uint64_t first_ns = 0;  // after interface-up
    uint64_t period_ns = 0; // re-armed from the deadline
    uint32_t firings = 1;   // in all
};

enum class TxMode {
    complete,      // complete every frame at once (TX completion queue)
    hold,          // keep every frame (never completed)
    rx_completion, // hand TX packets back on the RX completion queue (the wrong queue)
};

struct Config {
    std::vector<Timer> timers;
    TxMode tx_mode = TxMode::complete;
    bool rx_zero_length = false;                   // RX frames are completed with length 0
    kern_return_t start_result = kIOReturnSuccess; // anything else: Start fails with it
    uint32_t queue_capacity = 8;
    uint32_t packet_count = 32;
    uint32_t buffer_size = 2048;
    uint32_t max_mtu = 1500;
};

struct Event {
    uint32_t timer = 0;
    uint32_t firing = 0;    // 1-based
    uint64_t deadline = 0;  // the `time` argument of the callback
    uint64_t now = 0;       // clock_gettime_nsec_np(CLOCK_UPTIME_RAW) in the callback
    bool delivered = false; // an RX frame was delivered
};

inline constexpr uint8_t kMac[6] = {0x02, 0x00, 0x00, 0x00, 0xbe, 0x01};

// Resets the configuration and the records (call at the start of each test).
void reset();
Config &config();
std::vector<Event> events();
std::vector<uint32_t> transmitted_lengths();

} // namespace bench_probe

#define BenchProbeNic_Tick_ID 0x2b3c4d5e00000001ULL
#define BenchProbeNic_TxReady_ID 0x2b3c4d5e00000002ULL

struct BenchProbeNic_IVars;

class BenchProbeNic : public IOUserNetworkEthernet {
public:
    NETDEXT_CLASS_MEMBERS(BenchProbeNic, IOUserNetworkEthernet)
    bool init() override;
    void free() override;
    kern_return_t CreateActionTick(size_t referenceSize, OSAction **action);
    kern_return_t CreateActionTxReady(size_t referenceSize, OSAction **action);

protected:
    kern_return_t Start_Impl(IOService *provider) override;
    kern_return_t Stop_Impl(IOService *provider) override;
    kern_return_t SetInterfaceEnable_Impl(bool enable) override;
    kern_return_t SetPromiscuousModeEnable_Impl(bool enable) override;
    kern_return_t SetAllMulticastModeEnable_Impl(bool enable) override;
    kern_return_t SelectMediaType_Impl(IOUserNetworkMediaType mediaType) override;
    kern_return_t SetWakeOnMagicPacketEnable_Impl(bool enable) override;
    kern_return_t SetMTU_Impl(uint32_t mtu) override;
    kern_return_t GetMaxTransferUnit_Impl(uint32_t *mtu) override;
    kern_return_t SetHardwareAssists_Impl(uint32_t hardwareAssists) override;
    kern_return_t GetHardwareAssists_Impl(uint32_t *hardwareAssists) override;
    virtual void Tick_Impl(OSAction *action, uint64_t time);
    virtual void TxReady_Impl(OSAction *action);

private:
    void stop_timers();
    BenchProbeNic_IVars *ivars = nullptr;
};
extern OSMetaClass *gBenchProbeNicMetaClass;

class OSAction_BenchProbeNic_Tick : public OSAction {
public:
    NETDEXT_CLASS_MEMBERS(OSAction_BenchProbeNic_Tick, OSAction)
};
extern OSMetaClass *gOSAction_BenchProbeNic_TickMetaClass;

class OSAction_BenchProbeNic_TxReady : public OSAction {
public:
    NETDEXT_CLASS_MEMBERS(OSAction_BenchProbeNic_TxReady, OSAction)
};
extern OSMetaClass *gOSAction_BenchProbeNic_TxReadyMetaClass;
