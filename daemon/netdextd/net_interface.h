// NetInterface: one registered Ethernet interface of a running dext — the shared memory it moves
// frames through (a shm::DaemonEndpoint over the pool and rings regions) and the frame mover
// thread(s), on a TAP (en<N>) it borrows from the extension's InterfaceSlot, which outlives it
// (DESIGN.md §4, §5).
//
// The frame movers own the DaemonEndpoints and the TAP's data path; nothing else touches them
// while they run. Per loop, in batches, with no allocation or extra syscall per frame (and one
// uncontended lock per ring operation):
//   TX  stack → driver: free packets → read frames from the TAP straight into their buffers →
//       TX submission; TX completions → back to the free list.
//   RX  driver → stack: RX completions (validated) → written to the TAP → free list; RX
//       submission kept stocked with empty buffers.
// When idle it arms the rings' wakeup flags and sleeps in poll() on the TAP (only while it can
// take frames), the daemon doorbell eventfd and a stop eventfd. While it can take a whole batch
// of frames it leaves the TX completion rings unarmed and reaps them when it next wakes (at the
// latest 1 ms later), as a NIC moderates TX-done interrupts.
//
// Several queue sets (NDK 2.x multi-queue) on a TAP with several queues (IFF_MULTI_QUEUE): one
// mover per TAP queue, up to one per queue set. Mover m serves queue sets m, m + M, m + 2M …
// (M movers) — reads the frames the stack sent through TAP queue m onto those sets' TX queues,
// writes their RX completions to TAP queue m — and sleeps on a daemon doorbell of its own, which
// the driver rings for those sets' rings (the free ring: mover 0's). The movers share each
// pool's DaemonEndpoint (one ownership table) under the lane's mutex, held for ring operations
// only, never across TAP I/O. With one TAP queue one mover serves every set, as before.
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
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

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
    X(drop_tx_offload)     /* the stack asked for an offload the interface does not offer */       \
    X(tx_tso_frames)       /* TSO segments handed to the driver (getTSOInfo) */                     \
    X(tx_csum_partial)     /* frames whose checksum the driver completes */                        \
    X(rx_checksum_valid)   /* frames given to the stack as checksum-verified */                     \
    X(rx_lro_frames)       /* coalesced (LRO) frames given to the stack as GRO'd */                 \
    X(drop_index_out_of_range)                                                                    \
    X(drop_not_owned_by_driver)                                                                   \
    X(drop_wrong_queue)                                                                           \
    X(drop_buffer_mismatch)                                                                       \
    X(drop_zero_length_rx)                                                                        \
    X(drop_offset_length_out_of_bounds)                                                           \
    X(drop_bad_offload_metadata)                                                                  \
    X(drop_rx_checksum_wrong)                                                                     \
    X(ring_faults)                                                                                \
    X(wakeups)             /* the mover slept and was woken */                                     \
    X(safety_net_wakeups)  /* frames or completions found only when the 1 s safety net woke   \
                              the mover: a lost doorbell, or a driver that took TX frames      \
                              without completing them while the stack's frames waited */
#define NETDEXT_DECLARE_COUNTER(name) std::atomic<uint64_t> name{0};
    NETDEXT_INTERFACE_COUNTERS(NETDEXT_DECLARE_COUNTER)
#undef NETDEXT_DECLARE_COUNTER

    // Entries dropped by validation (the driver handed back something invalid).
    [[nodiscard]] uint64_t validation_drops() const;
    // Name → value, for status output.
    void for_each(const std::function<void(const char *, uint64_t)> &visit) const;
};

// One pool of the interface and the rings of the queues on it (protocol::InterfaceLane): lane
// 0 carries the TX queues (and the RX queues when they share its pool), lane 1 a separate RX
// pool. Queue n of a kind uses shm::queue_ring(kind, n) of its lane.
struct LaneConfig {
    std::shared_ptr<shm::SharedRegion> pool_region;
    shm::PoolLayout pool_layout;
    std::array<uint32_t, 4> queue_counts{1, 1, 1, 1}; // by QueueKind
    shm::RingCapacities capacities{};
    std::vector<shm::QueueSetCapacities> more; // queue sets 1 …
};

struct InterfaceConfig {
    std::vector<LaneConfig> lanes;    // 1 or 2
    // What the driver declared at registration (kIOUserNetworkHWAssist*, getTSOOptions' largest
    // segment; 0: no limit given): mapped to TUNSETOFFLOAD and to the RX claims the daemon honours.
    uint32_t hardware_assists = 0;
    uint32_t tso_max_bytes = 0;
    uint32_t kept_mtu = 0;            // a TAP a previous driver used: its MTU (0: a new TAP)
    FrameCapture *capture = nullptr;  // the slot's pcap files, or none

    // The queue sets of the lane that has the most: the TAP queues (and frame movers) the
    // interface can use.
    [[nodiscard]] uint32_t queue_sets() const;
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
    [[nodiscard]] size_t lane_count() const { return m_lanes.size(); }
    [[nodiscard]] const shm::SharedRegion &rings_region(size_t lane = 0) const {
        return *m_lanes[lane].rings;
    }
    [[nodiscard]] const shm::RingsLayout &rings_layout(size_t lane = 0) const {
        return m_lanes[lane].layout;
    }
    // The movers (one per TAP queue in use) and their pairs of doorbells: the driver rings
    // daemon doorbell q % mover_count() for the rings of queue set q (0 for the free ring), and
    // the mover rings host doorbell q % mover_count() for set q (0 for the allocation ring),
    // which a doorbell thread of the host sleeps on.
    [[nodiscard]] size_t mover_count() const { return m_movers.size(); }
    [[nodiscard]] const shm::EventFd &daemon_doorbell(size_t mover = 0) const {
        return *m_movers[mover]->doorbell;
    }
    [[nodiscard]] const shm::EventFd &host_doorbell(size_t mover = 0) const {
        return *m_movers[mover]->host_doorbell;
    }
    // Frames mover `mover` read from its TAP queue and wrote to it.
    struct MoverFrames {
        uint64_t read = 0;
        uint64_t written = 0;
    };
    [[nodiscard]] MoverFrames mover_frames(size_t mover) const;
    [[nodiscard]] const InterfaceCounters &counters() const { return m_counters; }

    // Starts the frame movers. `on_fault` runs on a mover thread when the driver breaks the ring
    // protocol or keeps handing back invalid packets (more than `drop_limit` in total).
    void start(std::function<void(const std::string &)> on_fault, uint64_t drop_limit);
    void stop();

    // The movers' loop bodies, once each: TX, then RX, then the drop counters and the fault
    // check. Returns whether anything moved. The mover threads run their own; a test that never
    // start()s may call this from its own thread instead, after set_fault_handler() if it wants
    // faults reported.
    bool run_once();
    void set_fault_handler(std::function<void(const std::string &)> on_fault, uint64_t drop_limit);

    // The queues the driver enabled (the mover only moves through enabled queues); `index`
    // numbers the queues of one kind (NDK 2.x multi-queue), out-of-range ones are ignored.
    void set_queue_enabled(size_t kind, bool enabled, uint32_t index = 0);
    // Every registered queue of `kind` enabled (index: that one only).
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
    [[nodiscard]] bool queue_enabled(size_t kind, uint32_t index) const;
    // Queues of `kind` the driver registered.
    [[nodiscard]] uint32_t queue_count(size_t kind) const;
    // The TUNSETOFFLOAD flags in force, and why a declared assist is not used ("" if all are).
    [[nodiscard]] unsigned tap_offload() const { return m_tap_offload; }
    [[nodiscard]] const std::string &offload_note() const { return m_offload_note; }
    // The largest TSO frame the stack hands over (the TAP's gso_max_size; 0 without TSO).
    [[nodiscard]] uint32_t tso_frame_bytes() const { return m_tso_frame_bytes; }
    // Applies `hardware_assists` (the driver's declaration at registration) to the TAP and the
    // RX checks. Main thread; the mover picks it up. (`ethtool -K` later switches offered
    // offloads off and on within this; the TAP's offer stays.)
    Result<void> apply_assists(uint32_t hardware_assists);
    // `ethtool -K` on the TAP: the kOffload* features (netlink/ethtool_features.h) the TAP
    // offers; the assists of `declared` the driver keeps with only `offloads` of those on (the
    // others are untouched); and the offered features `assists` keeps.
    [[nodiscard]] uint32_t offered_offloads() const;
    [[nodiscard]] uint32_t assists_with(uint32_t declared, uint32_t offloads) const;
    [[nodiscard]] uint32_t offloads_with(uint32_t assists) const;
    // The TX submission queue a frame goes to: a hash of its addresses and ports (so one flow
    // stays in order on one queue) over the enabled queues of `queue_sets` (bit q: set q), or -1
    // when none is enabled.
    [[nodiscard]] int tx_queue_for(std::span<const std::byte> frame,
                                   uint32_t queue_sets = UINT32_MAX) const;

private:
    struct Lane {
        std::shared_ptr<shm::SharedRegion> pool_region;
        shm::PoolLayout pool_layout;
        std::unique_ptr<shm::SharedRegion> rings;
        shm::RingsLayout layout;
        std::optional<shm::DaemonEndpoint> endpoint; // the mover thread's
        std::array<uint32_t, 4> queue_counts{};
        uint32_t rx_capacity = 0; // RX packets the driver may hold: all its RX submission rings
        uint32_t allocation_spares = 0;
        uint32_t rx_assists_applied = UINT32_MAX; // what the endpoint was last told
        // The movers share the endpoint: held for ring operations, never across TAP I/O.
        std::unique_ptr<std::mutex> mutex = std::make_unique<std::mutex>();
    };
    // One frame mover: a TAP queue, the queue sets it serves, its doorbell and thread.
    struct Mover {
        uint32_t index = 0;
        tap::FrameDevice *tap = nullptr;
        uint32_t queue_sets = 0; // bit q: queue set q
        std::unique_ptr<shm::EventFd> doorbell; // the driver rings it for this mover's rings
        std::unique_ptr<shm::EventFd> host_doorbell; // this mover rings it for the host
        std::unique_ptr<shm::EventFd> wake;     // stop and control changes
        std::thread thread;
        bool lazy_wake_found_nothing = false;
        bool safety_net_wake = false; // the last sleep ended by the 1 s timeout
        // What the stack and the driver handed over (TAP frames read, completions and freed
        // packets taken; not buffers restocked): what a doorbell or the TAP should wake it for.
        uint64_t handed_over = 0;
        uint32_t rx_round = 0; // which of its RX queues is restocked first (round robin)
        std::atomic<uint64_t> read{0}, written{0};
        [[nodiscard]] bool serves(uint32_t queue) const { return (queue_sets >> queue) & 1u; }
    };

    explicit NetInterface(tap::FrameDevice &tap) : m_tap(tap) {}
    void run(Mover &mover);
    bool run_once(Mover &mover);
    bool move_tx(Mover &mover); // returns whether anything moved
    bool move_rx(Mover &mover);
    void publish_drops();
    Lane &lane_of(size_t kind) { return m_lanes[kind >= 2 && m_lanes.size() > 1 ? 1 : 0]; }
    bool prepare_to_sleep(Mover &mover, bool tx_completions);
    // The rings a mover sleeps on: its queue sets' completion rings, and the free ring (mover 0).
    static shm::DaemonEndpoint::SleepRings sleep_rings(const Mover &mover, bool tx_completions) {
        return {mover.queue_sets, mover.index == 0, tx_completions};
    }
    // How many frames the mover may read now: what its fullest enabled TX queue has room for (a
    // frame may hash to any of them), at most a batch; 0 with none enabled. Under lane 0's mutex.
    uint32_t tx_room(Mover &mover);
    void finish_sleep(Mover &mover);
    void wake_movers();

    tap::FrameDevice &m_tap;
    std::vector<Lane> m_lanes;
    std::vector<std::unique_ptr<Mover>> m_movers;
    std::vector<shm::RingControl *> m_tx_submissions; // lane 0's, for tx_progress()
    std::atomic<bool> m_stopping{false};
    std::array<std::atomic<uint64_t>, 4> m_queue_batches{}; // published by the movers
    std::array<std::array<std::atomic<bool>, shm::kMaxQueueSets>, 4> m_enabled{};
    std::array<uint32_t, 4> m_queue_counts{};
    uint32_t m_tso_max_bytes = 0;
    unsigned m_tap_offload = 0;
    uint32_t m_tso_frame_bytes = 0;
    std::string m_offload_note;
    std::atomic<uint32_t> m_rx_assists{0};     // set by apply_assists, read by the movers
    uint64_t m_drop_limit = 0;
    std::function<void(const std::string &)> m_on_fault;
    std::mutex m_publish_mutex; // one mover publishes the drop counters at a time
    // Set once, under m_publish_mutex; the movers read it without.
    std::atomic<bool> m_fault_reported{false};
    InterfaceCounters m_counters;
    FrameCapture *m_capture = nullptr; // --capture: pcaps of both driver directions (the slot's)
};

} // namespace netdext::daemon
