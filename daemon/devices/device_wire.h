// DeviceWire: a simulated device's cable under netdextd — the daemon's end of it (docs/devices.md).
//
//   TAP nxdev<N> (the daemon's namespace; a test may move it elsewhere)
//        ▲ │ one frame per read/write
//        │ ▼
//   DeviceWire: one pump thread ── SOCK_SEQPACKET pair, one frame per datagram ── netdext-host:
//                                                          FdWire → the model's FramePort
//
// The model runs in the driver's sandboxed netdext-host, which has no TAP: it gets one end of a
// socket pair (connect()), and this pump moves frames between the other end and the TAP. Frames
// from the host are untrusted: one that is shorter than an Ethernet header or longer than
// kMaxFrame (or truncated) is refused and counted, never written. Frames go both ways without
// blocking: a full socket or a TAP that refuses one drops it and counts it, as a cable would.
//
// A relaunched driver gets a fresh connect(); the TAP (and its addresses, its namespace) stays.
// When the host's end closes, the cable is unplugged until the next connect().
//
// Threads: the daemon's main thread calls everything; the pump is the wire's own thread.
// counters() may be read from any thread.
#pragma once

#include <netdext/result.h>
#include <netdext/unique_fd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace netdext::devices {

class DeviceWire {
public:
    // An Ethernet header up to a 16 KiB jumbo frame (more than either shipped model sends).
    static constexpr size_t kMinFrame = 14;
    static constexpr size_t kMaxFrame = 16384;

    struct Counters {
        uint64_t to_device = 0;       // frames from the TAP written to the host's socket
        uint64_t to_device_drops = 0; // … dropped: no host connected, or its socket was full
        uint64_t from_device = 0;     // frames from the host written to the TAP
        uint64_t refused = 0;         // … refused: shorter than 14 or longer than kMaxFrame bytes
        uint64_t tap_errors = 0;      // … the TAP did not take (interface down, no buffer)
    };

    // Pumps between `frames` (a TAP: one frame per read and write; non-blocking afterwards) and
    // the host connected later.
    static Result<std::unique_ptr<DeviceWire>> create(UniqueFd frames);
    ~DeviceWire(); // stops the pump, closes both ends
    DeviceWire(const DeviceWire &) = delete;
    DeviceWire &operator=(const DeviceWire &) = delete;

    // A new cable end for a host (SOCK_SEQPACKET, close-on-exec); the previous host's end is
    // dropped.
    Result<UniqueFd> connect();
    // Unplugs the host's end.
    void disconnect();
    [[nodiscard]] Counters counters() const;
    // Whether a host end is plugged in (false once the host closed it).
    [[nodiscard]] bool connected() const { return m_connected.load(); }

private:
    explicit DeviceWire(UniqueFd frames, UniqueFd wake);
    void run();
    void from_frames(int host, std::vector<uint8_t> &buffer);
    bool from_host(int host, std::vector<uint8_t> &buffer); // false: the host closed its end
    void wake();

    UniqueFd m_frames;
    UniqueFd m_wake; // eventfd: a new host end, or stop
    std::mutex m_mutex;          // guards m_pending, m_pending_set, m_stop
    UniqueFd m_pending;          // the next host end for the pump to take
    bool m_pending_set = false;  // take m_pending (an invalid one unplugs)
    bool m_stop = false;
    std::atomic<bool> m_connected{false};
    struct AtomicCounters {
        std::atomic<uint64_t> to_device{0}, to_device_drops{0}, from_device{0}, refused{0},
            tap_errors{0};
    } m_counters;
    std::thread m_thread; // last: starts after everything above exists
};

} // namespace netdext::devices
