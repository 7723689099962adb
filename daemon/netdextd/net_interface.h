// NetInterface: one registered Ethernet interface of a running dext — the shared memory it moves
// frames through (a shm::DaemonEndpoint over the pool and rings regions) and the frame mover
// thread, on a TAP (en<N>) it borrows from the extension's InterfaceSlot, which outlives it
// (DESIGN.md §4, §5).
//
// The frame mover owns the DaemonEndpoint and the TAP's data path; nothing else touches them
// while it runs. Per loop, in batches, with no allocation, lock or extra syscall per frame:
//   TX  stack → driver: free packets → read frames from the TAP straight into their buffers →
//       TX submission; TX completions → back to the free list.
//   RX  driver → stack: RX completions (validated) → written to the TAP → free list; RX
//       submission kept stocked with empty buffers.
// When idle it arms the rings' wakeup flags and sleeps in poll() on the TAP (only while it can
// take frames), the daemon doorbell eventfd and a stop eventfd.
//
// Counters are published as relaxed atomics after every busy iteration; every drop has a name.
// Control calls (set_*) come from the daemon's main thread.
//
// The TAP is reached only through tap::FrameDevice, so tests give create() a fake device and
// drive the mover's loop body with run_once() from the test thread (no root, exact counters).
#pragma once

#include "common/result.h"
#include "frame_capture.h"
#include "tap/frame_device.h"

#include <netdext/shm/daemon_endpoint.h>
#include <netdext/shm/shared_region.h>
#include <netdext/shm/sys/event_fd.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace netdext::daemon {

struct InterfaceCounters {
#define NETDEXT_INTERFACE_COUNTERS(X)                                                             \
    X(tap_read_frames)     /* frames the stack sent (read from the TAP) = ip -s link TX */         \
    X(tap_read_bytes)                                                                             \
    X(tx_submitted)        /* handed to the driver on TX submission */                             \
    X(tx_completed)        /* valid TX completions taken back */                                   \
    X(tap_written_frames)  /* frames given to the stack = ip -s link RX */                         \
    X(tap_written_bytes)                                                                          \
    X(rx_completed)        /* valid RX completions from the driver */                              \
    X(rx_restocked)        /* empty buffers put on RX submission */                                \
    X(free_reaped)         /* packets the driver deallocated */                                    \
    X(drop_tap_truncated)  /* a frame larger than a packet buffer */                               \
    X(drop_tap_rejected)   /* the kernel refused a frame the driver received, or its backlog  \
                              was full */                                                         \
    X(drop_tx_ring_full)   /* read from the TAP but TX submission had no room */                   \
    X(drop_index_out_of_range)                                                                    \
    X(drop_not_owned_by_driver)                                                                   \
    X(drop_wrong_queue)                                                                           \
    X(drop_buffer_mismatch)                                                                       \
    X(drop_zero_length_rx)                                                                        \
    X(drop_offset_length_out_of_bounds)                                                           \
    X(ring_faults)                                                                                \
    X(wakeups)             /* the mover slept and was woken */
#define NETDEXT_DECLARE_COUNTER(name) std::atomic<uint64_t> name{0};
    NETDEXT_INTERFACE_COUNTERS(NETDEXT_DECLARE_COUNTER)
#undef NETDEXT_DECLARE_COUNTER

    // Entries dropped by validation (the driver handed back something invalid).
    [[nodiscard]] uint64_t validation_drops() const;
    // Name → value, for status output.
    void for_each(const std::function<void(const char *, uint64_t)> &visit) const;
};

struct InterfaceConfig {
    std::shared_ptr<shm::SharedRegion> pool_region;
    shm::PoolLayout pool_layout;
    shm::RingCapacities capacities{};
    uint32_t kept_mtu = 0;            // a TAP a previous driver used: its MTU (0: a new TAP)
    FrameCapture *capture = nullptr;  // the slot's pcap files, or none
};

class NetInterface {
public:
    // Sets up `device` (which must outlive this object: the extension's InterfaceSlot keeps it)
    // for the driver: the rings region, the two doorbells, the shared memory, MTU, txqueuelen,
    // carrier off. The MAC is the slot's business. The mover is not started yet.
    static Result<std::unique_ptr<NetInterface>>
    create(const InterfaceConfig &config, tap::FrameDevice &device, std::string &error);
    ~NetInterface(); // stops the mover; the TAP stays with its slot

    NetInterface(const NetInterface &) = delete;
    NetInterface &operator=(const NetInterface &) = delete;

    [[nodiscard]] const std::string &name() const { return m_tap.name(); }
    [[nodiscard]] int ifindex() const { return m_tap.ifindex(); }
    [[nodiscard]] int unit() const;
    [[nodiscard]] tap::FrameDevice &tap() { return m_tap; }
    [[nodiscard]] const shm::SharedRegion &rings_region() const { return *m_rings; }
    [[nodiscard]] const shm::RingsLayout &rings_layout() const { return m_rings_layout; }
    [[nodiscard]] const shm::EventFd &daemon_doorbell() const { return *m_daemon_doorbell; }
    [[nodiscard]] const shm::EventFd &host_doorbell() const { return *m_host_doorbell; }
    [[nodiscard]] const InterfaceCounters &counters() const { return m_counters; }

    // Starts the frame mover. `on_fault` runs on the mover thread when the driver breaks the ring
    // protocol or keeps handing back invalid packets (more than `drop_limit` in total).
    void start(std::function<void(const std::string &)> on_fault, uint64_t drop_limit);
    void stop();

    // The mover's loop body, once: TX, then RX, then the drop counters and the fault check.
    // Returns whether anything moved. The mover thread calls it; a test that never start()s may
    // call it from its own thread instead, after set_fault_handler() if it wants faults reported.
    bool run_once();
    void set_fault_handler(std::function<void(const std::string &)> on_fault, uint64_t drop_limit);

    // The queues the driver enabled (the mover only moves through enabled queues).
    void set_queue_enabled(size_t kind, bool enabled);
    [[nodiscard]] bool queue_enabled(size_t kind) const;
    // Non-empty ring operations on each of the four queues (ioreg -l's NetDextQueues).
    [[nodiscard]] uint64_t queue_batches(size_t kind) const {
        return m_queue_batches[kind & 3].load(std::memory_order_relaxed);
    }

    // Liveness (daemon/supervision/liveness.h), from any thread and off the mover's path: how far
    // the mover has published TX submission (its relaxed counter) and how far the driver has
    // consumed it (the driver's index in shared memory: untrusted, it can only fool its own check).
    struct TxProgress {
        bool enabled = false;
        uint32_t produced = 0;
        uint32_t consumed = 0;
    };
    [[nodiscard]] TxProgress tx_progress() const;

private:
    explicit NetInterface(tap::FrameDevice &tap) : m_tap(tap) {}
    void run();
    bool move_tx(); // returns whether anything moved
    bool move_rx();
    void publish_drops();

    tap::FrameDevice &m_tap;
    std::shared_ptr<shm::SharedRegion> m_pool_region;
    shm::PoolLayout m_pool_layout;
    std::unique_ptr<shm::SharedRegion> m_rings;
    shm::RingsLayout m_rings_layout;
    std::unique_ptr<shm::EventFd> m_daemon_doorbell; // the mover sleeps on it
    std::unique_ptr<shm::EventFd> m_host_doorbell;   // the host's doorbell thread sleeps on it
    std::optional<shm::DaemonEndpoint> m_endpoint;   // the mover thread's
    std::unique_ptr<shm::EventFd> m_stop;
    shm::RingControl *m_tx_submission = nullptr; // in m_rings, for tx_progress()
    std::thread m_thread;
    std::atomic<bool> m_stopping{false};
    std::array<std::atomic<bool>, 4> m_enabled{};
    std::array<std::atomic<uint64_t>, 4> m_queue_batches{}; // published by the mover
    uint32_t m_rx_capacity = 0;
    uint32_t m_allocation_spares = 0;
    uint64_t m_drop_limit = 0;
    std::function<void(const std::string &)> m_on_fault;
    bool m_fault_reported = false;
    InterfaceCounters m_counters;
    FrameCapture *m_capture = nullptr; // --capture: pcaps of both driver directions (the slot's)
};

} // namespace netdext::daemon
