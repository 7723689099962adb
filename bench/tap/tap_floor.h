// The raw TAP floor: how many frames per second cross a TAP interface when nothing but a tight
// read or write loop sits on the other side. DESIGN.md §9 compares the framework path (TAP → daemon
// → rings → dext and back) against these figures, measured in the same run.
//
// The harness owns the traffic and the clock; the code under test is a callback:
//  - stack → TAP: a thread inside the namespace sends UDP datagrams to a static neighbour on the
//    interface's /24 as fast as it can; the *sink* is called in a loop and returns how many
//    frames it took off the interface in that call (a raw sink reads the TAP fd; a framework sink
//    counts frames the dext received).
//  - TAP → stack: the *source* is called in a loop and returns how many frames it handed to the
//    interface (a raw source writes the TAP fd); a thread inside the namespace counts the UDP
//    datagrams that reach a bound socket. Only received datagrams count.
// Whoever created the interface (a bare TapDevice, or the daemon) passes it as a FloorLink.
//
// Threads: measure_* run the callback on the calling thread; the traffic threads are the
// harness's own and are joined before measure_* returns.
#pragma once

#include "common/function_ref.h"
#include "common/mac_address.h"
#include "common/result.h"
#include "netns/scoped_netns.h"
#include "tap/tap_device.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace netdext::bench {

// 10.215.0.1/24 on the interface, the neighbour 10.215.0.2 at kPeerMac (a permanent ARP entry:
// no ARP traffic during the run), UDP port 5555 both ways.
inline constexpr MacAddress kPeerMac{{0x02, 0x00, 0x00, 0x00, 0xbe, 0x01}};

struct FloorLink {
    const testing::ScopedNetns *netns = nullptr;
    std::string ifname;
    MacAddress mac; // the interface's own address (destination of inbound frames)
};

struct FloorResult {
    uint64_t frames = 0;  // taken by the sink / received by the stack
    uint64_t offered = 0; // sent by the UDP sender / handed over by the source
    double seconds = 0;
    [[nodiscard]] double frames_per_second() const { return seconds > 0 ? frames / seconds : 0; }
    [[nodiscard]] double offered_per_second() const { return seconds > 0 ? offered / seconds : 0; }
};

// Addresses, static neighbour, IPv6 off (no stray MLD/ND frames), link up.
Result<void> prepare_link(const FloorLink &link);

// A complete inbound frame: kPeerMac → link.mac, IPv4 10.215.0.2 → 10.215.0.1 (header checksum
// set), UDP 5555 → 5555 without checksum, `payload_bytes` of payload.
std::vector<std::byte> make_inbound_udp_frame(const FloorLink &link, size_t payload_bytes);

// `senders` threads send, each from a UDP socket of its own (so many flows; a multi-queue
// interface spreads them over its queues).
FloorResult measure_stack_to_tap(const FloorLink &link, size_t payload_bytes,
                                 std::chrono::milliseconds duration, FunctionRef<uint64_t()> sink,
                                 unsigned senders = 1);
FloorResult measure_tap_to_stack(const FloorLink &link, std::chrono::milliseconds duration,
                                 FunctionRef<uint64_t()> source);

// The raw references, one batch per call.
// Reads up to slots.size() frames; when none is pending, waits up to 10 ms for the fd.
uint64_t raw_tap_read_batch(tap::TapDevice &tap, std::span<tap::FrameSlot> slots);
// Writes the batch; when the fd would block, waits up to 10 ms for it.
uint64_t raw_tap_write_batch(tap::TapDevice &tap, std::span<const tap::ConstFrame> frames);

} // namespace netdext::bench
