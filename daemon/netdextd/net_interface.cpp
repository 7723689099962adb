// NetInterface: TAP + shared rings + the frame mover thread (see net_interface.h).

#include "net_interface.h"

#include "netlink/ethtool_features.h"

#include <netdext/shm/offload.h>

#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>

namespace netdext::daemon {

namespace {
constexpr uint32_t kBatch = 64;
// How long TX completions may wait to be reaped when the driver was not asked to ring for them.
constexpr int kTxCompletionDelayMs = 1;
constexpr uint16_t kEthernetHeader = 14;
using shm::RingId;
// Queue kinds as netdext::QueueKind numbers them.
enum : size_t { kTxSubmission = 0, kTxCompletion = 1, kRxSubmission = 2, kRxCompletion = 3 };
// kIOUserNetworkHWAssist* (NetworkingDriverKit/IOUserNetworkTypes.h; the daemon has no SDK).
constexpr uint32_t kAssistTxChecksumTCP = 0x00000002, kAssistTxChecksumUDP = 0x00000004,
                   kAssistTSO4 = 0x00200000, kAssistTSO6 = 0x00400000, kAssistLRO = 0x10000000,
                   kAssistRxChecksum = 0x20000000;
// The largest frame a TSO segment from the stack can be (the TAP's gso_max_size, 64 KiB unless
// lowered); what a TX buffer holds beyond it (Ethernet header and a VLAN tag); and the smallest
// TSO limit worth having (two full-size segments).
constexpr uint32_t kTsoFrameBytes = 65536;
constexpr uint32_t kTsoFrameSlack = 18;
constexpr uint32_t kMinTsoFrameBytes = 2 * 1518;

bool all_zero(const tap::VnetBytes &vnet) {
    uint64_t a;
    uint16_t b;
    std::memcpy(&a, vnet.bytes, 8);
    std::memcpy(&b, vnet.bytes + 8, 2);
    return (a | b) == 0;
}
} // namespace

uint32_t InterfaceConfig::queue_sets() const {
    uint32_t sets = 1;
    for (const LaneConfig &lane : lanes)
        sets = std::max(sets, 1 + uint32_t(lane.more.size()));
    return sets;
}

uint64_t InterfaceCounters::validation_drops() const {
    return drop_index_out_of_range + drop_not_owned_by_driver + drop_wrong_queue +
           drop_buffer_mismatch + drop_zero_length_rx + drop_offset_length_out_of_bounds +
           drop_bad_offload_metadata + drop_rx_checksum_wrong;
}

void InterfaceCounters::for_each(const std::function<void(const char *, uint64_t)> &visit) const {
#define NETDEXT_VISIT_COUNTER(name) visit(#name, name.load(std::memory_order_relaxed));
    NETDEXT_INTERFACE_COUNTERS(NETDEXT_VISIT_COUNTER)
#undef NETDEXT_VISIT_COUNTER
}

Result<std::unique_ptr<NetInterface>>
NetInterface::create(const InterfaceConfig &config, tap::FrameDevice &device, std::string &error) {
    auto fail = [&](const std::string &what, const Error &e) {
        error = what + ": " + e.describe();
        return e;
    };
    if (config.lanes.empty() || config.lanes.size() > 2) {
        error = "an interface has one or two pools";
        return Error::from_errno(EINVAL, "lanes");
    }
    std::unique_ptr<NetInterface> iface(new NetInterface(device));
    // One mover per TAP queue, up to one per queue set.
    const uint32_t movers =
        std::min(config.queue_sets(), std::max<uint32_t>(1, device.queue_count()));
    if (device.queue_count() > 1)
        if (auto r = device.set_active_queues(movers); !r)
            return fail("attaching the queues of " + device.name(), r.error());
    for (uint32_t m = 0; m < movers; ++m) {
        auto mover = std::make_unique<Mover>();
        mover->index = m;
        mover->tap = &device.queue(m);
        for (uint32_t q = m; q < shm::kMaxQueueSets; q += movers)
            mover->queue_sets |= 1u << q;
        auto doorbell = shm::EventFd::create();
        auto host_doorbell = shm::EventFd::create();
        auto wake = shm::EventFd::create();
        if (!doorbell || !host_doorbell || !wake) {
            error = "creating the doorbells failed";
            return Error::from_errno(ENOMEM, "doorbells");
        }
        mover->doorbell = std::make_unique<shm::EventFd>(doorbell.release_value());
        mover->host_doorbell = std::make_unique<shm::EventFd>(host_doorbell.release_value());
        mover->wake = std::make_unique<shm::EventFd>(wake.release_value());
        iface->m_movers.push_back(std::move(mover));
    }

    uint32_t smallest_buffer = UINT32_MAX;
    for (size_t index = 0; index < config.lanes.size(); ++index) {
        const LaneConfig &lane_config = config.lanes[index];
        Lane &lane = iface->m_lanes.emplace_back();
        lane.pool_region = lane_config.pool_region;
        lane.pool_layout = lane_config.pool_layout;
        lane.queue_counts = lane_config.queue_counts;
        auto layout = shm::RingsLayout::compute(lane_config.capacities, lane_config.more);
        if (!layout) {
            error = "ring capacities refused: " + layout.error().describe();
            return Error::from_errno(EINVAL, "ring capacities");
        }
        for (size_t kind = 0; kind < 4; ++kind)
            if (lane.queue_counts[kind] > layout.value().queue_sets) {
                error = "more queues of one kind than queue sets";
                return Error::from_errno(EINVAL, "queue counts");
            }
        lane.layout = layout.value();
        auto rings = shm::SharedRegion::create("netdext-rings", lane.layout.total_size);
        if (!rings) {
            error = "creating the rings failed";
            return Error::from_errno(ENOMEM, "rings");
        }
        lane.rings = std::make_unique<shm::SharedRegion>(rings.release_value());
        // The daemon produces TX submission, RX submission and allocation: those wake the host,
        // queue set q through the host doorbell of its mover.
        shm::RingDoorbells doorbells;
        for (size_t slot = 0; slot < lane.layout.ring_count(); ++slot)
            if (shm::daemon_produces(RingId(slot)))
                doorbells.peer[slot] =
                    iface->m_movers[shm::ring_queue(RingId(slot)) % movers]->host_doorbell.get();
        auto endpoint = shm::DaemonEndpoint::create(lane.pool_region->bytes(), lane.pool_layout,
                                                    lane.rings->bytes(), lane.layout, doorbells);
        if (!endpoint) {
            error = "initialising the shared memory: " + endpoint.error().describe();
            return Error::from_errno(EINVAL, "endpoint");
        }
        lane.endpoint.emplace(endpoint.release_value());
        for (uint32_t q = 0; q < lane.queue_counts[kRxSubmission]; ++q)
            lane.rx_capacity += lane.layout.capacity(shm::queue_ring(RingId::RxSubmission, q));
        lane.allocation_spares = std::min<uint32_t>(4, lane.layout.capacity(RingId::Allocation));
        for (size_t kind = 0; kind < 4; ++kind) {
            // Lane 0 holds the TX queues; the RX queues are on the last lane.
            const bool tx = kind < 2;
            if ((tx && index == 0) || (!tx && index + 1 == config.lanes.size()))
                iface->m_queue_counts[kind] = lane.queue_counts[kind];
        }
        smallest_buffer = std::min(smallest_buffer, lane.pool_layout.buffer_size);
        if (index == 0)
            for (uint32_t q = 0; q < lane.queue_counts[kTxSubmission]; ++q)
                iface->m_tx_submissions.push_back(
                    lane.layout.view(lane.rings->bytes(), shm::queue_ring(RingId::TxSubmission, q))
                        .control);
    }

    tap::FrameDevice &t = iface->m_tap;
    // DriverKit interfaces start at the Ethernet MTU; the stack may raise it up to the driver's
    // GetMaxTransferUnit. A frame must also fit one packet buffer. A kept TAP keeps its MTU (the
    // session tells the new driver), unless its frames no longer fit.
    const uint32_t largest = smallest_buffer - 18;
    uint32_t mtu = std::min<uint32_t>(1500, largest);
    if (config.kept_mtu >= 68)
        mtu = std::min(config.kept_mtu, largest);
    if (auto r = t.set_mtu(mtu); !r)
        return fail("setting the MTU of " + t.name(), r.error());
    uint32_t txq = 0;
    for (uint32_t q = 0; q < iface->m_queue_counts[kTxSubmission]; ++q)
        txq += iface->m_lanes[0].layout.capacity(shm::queue_ring(RingId::TxSubmission, q));
    // A TAP drops what its queue cannot hold (it never stops the stack's queue, as a NIC with a
    // full ring does), so the queue is at least a NIC's default however small the rings are.
    constexpr uint32_t kMinTxQueueLength = 1000;
    uint32_t qlen = std::max<uint32_t>(kMinTxQueueLength, txq);
    if (auto r = t.set_txqueuelen(qlen); !r)
        return fail("setting the txqueuelen of " + t.name(), r.error());
    if (auto r = t.set_carrier(false); !r)
        return fail("dropping the carrier of " + t.name(), r.error());
    iface->m_tso_max_bytes = config.tso_max_bytes;
    if (auto r = iface->apply_assists(config.hardware_assists); !r)
        return fail("setting the offloads of " + t.name(), r.error());
    iface->m_capture = config.capture;
    return iface;
}

Result<void> NetInterface::apply_assists(uint32_t assists) {
    // TX: what the stack may hand over unfinished. TUN_F_CSUM: any partial checksum (the driver
    // declared TCP or UDP checksums); TSO needs the checksum too, and frames that fit its TX
    // buffers and its declared limit.
    unsigned flags = 0;
    m_offload_note.clear();
    m_tso_frame_bytes = 0;
    if (assists & (kAssistTxChecksumTCP | kAssistTxChecksumUDP))
        flags |= TUN_F_CSUM;
    if (assists & (kAssistTSO4 | kAssistTSO6)) {
        // The stack's TSO frames must fit a TX buffer and the driver's limit (getTSOOptions):
        // the TAP's gso_max_size is the smaller of the two (64 KiB at most).
        const uint32_t buffer = m_lanes[0].pool_layout.buffer_size;
        const uint32_t fits = buffer > kTsoFrameSlack ? buffer - kTsoFrameSlack : 0;
        uint32_t largest = std::min(fits, kTsoFrameBytes);
        if (m_tso_max_bytes != 0)
            largest = std::min(largest, m_tso_max_bytes);
        if (!(flags & TUN_F_CSUM)) {
            m_offload_note = "TSO declared without TX checksums: not used";
        } else if (largest < kMinTsoFrameBytes) {
            m_offload_note = "TSO declared but " +
                             (largest == m_tso_max_bytes
                                  ? "its limit is " + std::to_string(m_tso_max_bytes) + " bytes"
                                  : "the TX pool's buffers hold " + std::to_string(buffer) +
                                        " bytes") +
                             ", less than two full-size segments: not used";
        } else if (auto r = m_tap.set_gso_max_size(largest); !r && largest < kTsoFrameBytes) {
            m_offload_note = "TSO declared with frames up to " + std::to_string(largest) +
                             " bytes, but the TAP's gso_max_size could not be lowered (" +
                             r.error().describe() + "): not used";
        } else {
            // (At 64 KiB a device without the setting keeps its default, which is that.)
            flags |= ((assists & kAssistTSO4) ? TUN_F_TSO4 : 0) |
                     ((assists & kAssistTSO6) ? TUN_F_TSO6 : 0);
            m_tso_frame_bytes = largest;
        }
    }
    if (m_tap.has_vnet_header() || flags != 0)
        NETDEXT_TRY(m_tap.set_offload(flags));
    m_tap_offload = flags;
    m_rx_assists.store(assists & (kAssistRxChecksum | kAssistLRO), std::memory_order_release);
    return {};
}

uint32_t NetInterface::offered_offloads() const {
    return offloads_with(~0u);
}

namespace {
// Each TUNSETOFFLOAD flag, the ethtool feature it makes switchable, and the assists behind it.
struct OffloadAssists {
    unsigned tun_flag;
    uint32_t offload;
    uint32_t assists;
};
constexpr OffloadAssists kOffloadAssists[] = {
    {TUN_F_CSUM, netlink::kOffloadTxChecksum, kAssistTxChecksumTCP | kAssistTxChecksumUDP},
    {TUN_F_TSO4, netlink::kOffloadTso4, kAssistTSO4},
    {TUN_F_TSO6, netlink::kOffloadTso6, kAssistTSO6},
};
} // namespace

uint32_t NetInterface::offloads_with(uint32_t assists) const {
    uint32_t offloads = 0;
    for (const OffloadAssists &o : kOffloadAssists)
        if ((m_tap_offload & o.tun_flag) && (assists & o.assists))
            offloads |= o.offload;
    return offloads;
}

uint32_t NetInterface::assists_with(uint32_t declared, uint32_t offloads) const {
    uint32_t off = offered_offloads() & ~offloads;
    // Segmentation needs the checksum (the kernel switches TSO off with it): never TSO alone.
    if (off & netlink::kOffloadTxChecksum)
        off |= netlink::kOffloadTso4 | netlink::kOffloadTso6;
    uint32_t assists = declared;
    for (const OffloadAssists &o : kOffloadAssists)
        if (off & o.offload)
            assists &= ~o.assists;
    return assists;
}

NetInterface::~NetInterface() { stop(); }

int NetInterface::unit() const {
    const std::string &n = m_tap.name();
    size_t digits = 0;
    while (digits < n.size() && std::isdigit(static_cast<unsigned char>(n[n.size() - 1 - digits])))
        ++digits;
    return digits == 0 ? -1 : std::stoi(n.substr(n.size() - digits));
}

void NetInterface::set_queue_enabled(size_t kind, bool enabled, uint32_t index) {
    if (kind < m_enabled.size() && index < m_queue_counts[kind]) {
        m_enabled[kind][index].store(enabled, std::memory_order_release);
        wake_movers(); // re-evaluate what they may do (each re-checks m_stopping)
    }
}

void NetInterface::wake_movers() {
    for (auto &mover : m_movers)
        (void)mover->wake->signal();
}

NetInterface::MoverFrames NetInterface::mover_frames(size_t mover) const {
    if (mover >= m_movers.size())
        return {};
    return {m_movers[mover]->read.load(std::memory_order_relaxed),
            m_movers[mover]->written.load(std::memory_order_relaxed)};
}

bool NetInterface::queue_enabled(size_t kind, uint32_t index) const {
    return kind < m_enabled.size() && index < m_queue_counts[kind] &&
           m_enabled[kind][index].load(std::memory_order_acquire);
}

bool NetInterface::queue_enabled(size_t kind) const {
    if (kind >= m_enabled.size() || m_queue_counts[kind] == 0)
        return false;
    for (uint32_t q = 0; q < m_queue_counts[kind]; ++q)
        if (!queue_enabled(kind, q))
            return false;
    return true;
}

uint32_t NetInterface::queue_count(size_t kind) const {
    return kind < m_queue_counts.size() ? m_queue_counts[kind] : 0;
}

int NetInterface::tx_queue_for(std::span<const std::byte> frame, uint32_t queue_sets) const {
    uint32_t enabled[shm::kMaxQueueSets];
    uint32_t count = 0;
    for (uint32_t q = 0; q < m_queue_counts[kTxSubmission]; ++q)
        if (((queue_sets >> q) & 1u) && queue_enabled(kTxSubmission, q))
            enabled[count++] = q;
    if (count <= 1)
        return count == 0 ? -1 : int(enabled[0]);
    // IPv4: addresses and ports (bytes 26-37 without options); otherwise the MAC addresses.
    size_t begin = 0, end = std::min<size_t>(frame.size(), 12);
    if (frame.size() >= 38 && frame[12] == std::byte{0x08} && frame[13] == std::byte{0x00}) {
        begin = 26;
        end = 38;
    } else if (frame.size() >= 58 && frame[12] == std::byte{0x86} &&
               frame[13] == std::byte{0xdd}) { // IPv6: addresses and ports
        begin = 22;
        end = 58;
    }
    uint32_t hash = 2166136261u;
    for (size_t i = begin; i < end; ++i)
        hash = (hash ^ uint32_t(frame[i])) * 16777619u;
    return int(enabled[hash % count]);
}

NetInterface::TxProgress NetInterface::tx_progress() const {
    TxProgress progress;
    progress.enabled = queue_enabled(0); // QueueKind tx_submission: all of them
    // The endpoint starts every ring at index 0 and only submit_tx produces on TX submission.
    progress.produced = uint32_t(m_counters.tx_submitted.load(std::memory_order_relaxed));
    // Every TX submission queue starts at 0, so the consumer indices add up to what the driver
    // took of all of them (modulo 2^32, like the counter).
    for (shm::RingControl *control : m_tx_submissions)
        progress.consumed += std::atomic_ref<uint32_t>(control->consumer_index)
                                 .load(std::memory_order_acquire);
    return progress;
}

void NetInterface::set_fault_handler(std::function<void(const std::string &)> on_fault,
                                     uint64_t drop_limit) {
    std::lock_guard lock(m_publish_mutex);
    m_on_fault = std::move(on_fault);
    m_drop_limit = drop_limit;
}

void NetInterface::start(std::function<void(const std::string &)> on_fault, uint64_t drop_limit) {
    if (m_movers.empty() || m_movers[0]->thread.joinable())
        return;
    set_fault_handler(std::move(on_fault), drop_limit);
    m_stopping = false;
    for (auto &mover : m_movers)
        mover->thread = std::thread([this, m = mover.get()] { run(*m); });
}

void NetInterface::stop() {
    m_stopping = true;
    wake_movers();
    for (auto &mover : m_movers)
        if (mover->thread.joinable())
            mover->thread.join();
}

bool NetInterface::move_tx(Mover &mover) {
    Lane &lane = m_lanes[0];
    shm::DaemonEndpoint &endpoint = *lane.endpoint;
    bool moved = false;
    uint32_t ids[kBatch];
    tap::FrameSlot slots[kBatch];
    uint32_t taken = 0;
    {
        std::lock_guard lock(*lane.mutex);
        // A frame waits in the stack rather than meet a full ring.
        const uint32_t room = tx_room(mover);
        taken = room ? endpoint.take_free(std::span<uint32_t>(ids, room)) : 0;
        for (uint32_t i = 0; i < taken; ++i) {
            auto buffer = endpoint.buffer(ids[i]);
            slots[i] = tap::FrameSlot{buffer.data(), uint32_t(buffer.size()), 0};
        }
    }
    if (taken > 0) {
        // The packets taken are this mover's alone (DaemonHeld): filled without the lock.
        auto read = mover.tap->read_frames(std::span<tap::FrameSlot>(slots, taken));
        uint32_t got = read ? uint32_t(read.value()) : 0;
        bool published[kBatch] = {};
        shm::TxFrame frames[kBatch];
        int queue_of[kBatch];
        shm::offload::TxOffload offloads[kBatch];
        uint64_t bytes = 0;
        for (uint32_t i = 0; i < got; ++i) {
            queue_of[i] =
                m_queue_counts[kTxSubmission] > 1
                    ? tx_queue_for(std::span<const std::byte>(slots[i].data, slots[i].length),
                                   mover.queue_sets)
                    : 0;
            offloads[i] = {};
            if (!all_zero(slots[i].vnet)) {
                shm::offload::VnetHeader header;
                std::memcpy(&header, slots[i].vnet.bytes, sizeof header);
                auto wanted = shm::offload::to_descriptor(
                    header, std::span<const std::byte>(slots[i].data, slots[i].length));
                if (!wanted) {
                    queue_of[i] = -1; // not offered: dropped, counted
                    m_counters.drop_tx_offload.fetch_add(1, std::memory_order_relaxed);
                } else {
                    offloads[i] = *wanted;
                    if (wanted->flags & shm::offload::kTsoMask)
                        m_counters.tx_tso_frames.fetch_add(1, std::memory_order_relaxed);
                    if (wanted->flags & shm::offload::kTxCsumPartial)
                        m_counters.tx_csum_partial.fetch_add(1, std::memory_order_relaxed);
                }
            }
            bytes += slots[i].length;
            if (m_capture)
                m_capture->tx_submitted(std::span<const std::byte>(slots[i].data, slots[i].length));
        }
        uint32_t submitted = 0;
        std::lock_guard lock(*lane.mutex);
        // One submission per queue, the frames of each in the order they were read.
        for (uint32_t q = 0; q < m_queue_counts[kTxSubmission] && got > 0; ++q) {
            uint32_t n = 0, index[kBatch];
            for (uint32_t i = 0; i < got; ++i)
                if (queue_of[i] == int(q)) {
                    index[n] = i;
                    frames[n++] = shm::TxFrame{ids[i],
                                               slots[i].length,
                                               0,
                                               kEthernetHeader,
                                               offloads[i].flags,
                                               offloads[i].gso_size,
                                               offloads[i].csum_start,
                                               offloads[i].csum_stuff};
                }
            if (n == 0)
                continue;
            uint32_t done = endpoint.submit_tx(std::span<const shm::TxFrame>(frames, n), q);
            for (uint32_t k = 0; k < done; ++k)
                published[index[k]] = true;
            submitted += done;
        }
        if (got > 0) {
            m_counters.tap_read_frames.fetch_add(got, std::memory_order_relaxed);
            m_counters.tap_read_bytes.fetch_add(bytes, std::memory_order_relaxed);
            m_counters.tx_submitted.fetch_add(submitted, std::memory_order_relaxed);
            mover.read.fetch_add(got, std::memory_order_relaxed);
            uint32_t refused = 0;
            for (uint32_t i = 0; i < got; ++i)
                refused += queue_of[i] < 0 ? 1 : 0;
            if (submitted + refused < got)
                m_counters.drop_tx_ring_full.fetch_add(got - submitted - refused,
                                                       std::memory_order_relaxed);
            mover.handed_over += got;
            moved = true;
        }
        // Packets not published (no frame pending, or refused by the ring) go back.
        uint32_t back[kBatch], n_back = 0;
        for (uint32_t i = 0; i < taken; ++i)
            if (!published[i])
                back[n_back++] = ids[i];
        endpoint.release(std::span<const uint32_t>(back, n_back));
    }
    std::lock_guard lock(*lane.mutex);
    for (uint32_t q = 0; q < lane.queue_counts[kTxCompletion]; ++q) {
        if (!mover.serves(q))
            continue;
        uint32_t reaped = endpoint.reap_tx_completions(UINT32_MAX, q);
        if (reaped > 0) {
            m_counters.tx_completed.fetch_add(reaped, std::memory_order_relaxed);
            mover.handed_over += reaped;
            moved = true;
        }
    }
    return moved;
}

uint32_t NetInterface::tx_room(Mover &mover) {
    shm::DaemonEndpoint &endpoint = *m_lanes[0].endpoint;
    uint32_t room = kBatch;
    bool any = false;
    for (uint32_t q = 0; q < m_queue_counts[kTxSubmission]; ++q)
        if (mover.serves(q) && queue_enabled(kTxSubmission, q)) {
            room = std::min(room, endpoint.free_space(shm::queue_ring(RingId::TxSubmission, q)));
            any = true;
        }
    return any ? room : 0;
}

bool NetInterface::move_rx(Mover &mover) {
    bool moved = false;
    shm::RxFrame frames[kBatch];
    tap::ConstFrame out[kBatch];
    uint32_t ids[kBatch];
    Lane &rx_lane = lane_of(kRxCompletion);
    shm::DaemonEndpoint &endpoint = *rx_lane.endpoint;
    tap::FrameDevice &tap = *mover.tap;
    for (uint32_t q = 0; q < rx_lane.queue_counts[kRxCompletion]; ++q) {
        if (!mover.serves(q))
            continue;
        for (;;) {
            uint32_t n = 0;
            {
                std::lock_guard lock(*rx_lane.mutex);
                if (const uint32_t rx = m_rx_assists.load(std::memory_order_acquire);
                    rx != rx_lane.rx_assists_applied) {
                    endpoint.set_rx_offloads((rx & kAssistRxChecksum) != 0, (rx & kAssistLRO) != 0);
                    rx_lane.rx_assists_applied = rx;
                }
                n = endpoint.poll_rx_completions(frames, q);
                for (uint32_t i = 0; i < n; ++i) {
                    auto data = endpoint.frame_bytes(frames[i]);
                    out[i] = tap::ConstFrame{data.data(), uint32_t(data.size()), {}};
                }
            }
            if (n == 0)
                break;
            // The frames polled are DaemonHeld, this mover's until it releases them.
            for (uint32_t i = 0; i < n; ++i) {
                if (frames[i].data_valid || frames[i].gso_type != 0) {
                    shm::offload::VnetHeader header = shm::offload::from_descriptor(
                        {frames[i].data_valid, frames[i].gso_type, frames[i].gso_size,
                         frames[i].hdr_len, frames[i].csum_start});
                    std::memcpy(out[i].vnet.bytes, &header, sizeof header);
                    if (frames[i].data_valid)
                        m_counters.rx_checksum_valid.fetch_add(1, std::memory_order_relaxed);
                    if (frames[i].gso_type != 0)
                        m_counters.rx_lro_frames.fetch_add(1, std::memory_order_relaxed);
                }
                ids[i] = frames[i].packet;
                if (m_capture)
                    m_capture->rx_completed(std::span<const std::byte>(out[i].data, out[i].length));
            }
            // This thread is its TAP queue's only writer: the rejection counters' deltas are
            // this batch's.
            const tap::TapCounters &tap_counters = tap.counters();
            const uint64_t rejected_before =
                tap_counters.tx_rejected.load(std::memory_order_relaxed);
            const uint64_t rejected_bytes_before =
                tap_counters.tx_rejected_bytes.load(std::memory_order_relaxed);
            auto written = tap.write_frames(std::span<const tap::ConstFrame>(out, n));
            uint32_t consumed = written ? uint32_t(written.value()) : 0;
            uint64_t bytes = 0;
            for (uint32_t i = 0; i < consumed; ++i)
                bytes += out[i].length;
            // A full stack backlog (EAGAIN) drops the rest; frames the kernel refused (counted
            // by the TAP in tx_rejected) were consumed but not received: neither is "written".
            const uint64_t rejected =
                tap_counters.tx_rejected.load(std::memory_order_relaxed) - rejected_before;
            bytes -= tap_counters.tx_rejected_bytes.load(std::memory_order_relaxed) -
                     rejected_bytes_before;
            if (consumed < n || rejected > 0)
                m_counters.drop_tap_rejected.fetch_add(n - consumed + rejected,
                                                       std::memory_order_relaxed);
            {
                std::lock_guard lock(*rx_lane.mutex);
                endpoint.release(std::span<const uint32_t>(ids, n));
            }
            m_counters.rx_completed.fetch_add(n, std::memory_order_relaxed);
            m_counters.tap_written_frames.fetch_add(consumed - rejected,
                                                    std::memory_order_relaxed);
            m_counters.tap_written_bytes.fetch_add(bytes, std::memory_order_relaxed);
            mover.written.fetch_add(consumed - rejected, std::memory_order_relaxed);
            mover.handed_over += n;
            moved = true;
            if (n < kBatch)
                break;
        }
    }
    if (mover.index == 0) // the pools' own rings are the first mover's
        for (Lane &lane : m_lanes) {
            std::lock_guard lock(*lane.mutex);
            uint32_t freed = lane.endpoint->reap_free_ring(UINT32_MAX);
            if (freed > 0) {
                m_counters.free_reaped.fetch_add(freed, std::memory_order_relaxed);
                mover.handed_over += freed;
                moved = true;
            }
            if (lane.endpoint->restock_allocation(lane.allocation_spares) > 0)
                moved = true;
        }
    // Every enabled RX queue gets buffers; which one goes first rotates, so a pool smaller than
    // all the rings together is shared. A driver keeps buffers it has dequeued (posted to its
    // hardware) as well as those still in the ring, so with several queues one queue's buffers
    // alone can reach all the rings' capacity: the bound grows with the queue count, so that a
    // queue whose neighbour holds all it can still gets buffers while the pool has them.
    const uint32_t rx_queues = rx_lane.queue_counts[kRxSubmission];
    const uint32_t rx_limit = rx_lane.rx_capacity * std::max<uint32_t>(1, rx_queues);
    // With one RX queue, buffers go out in batches: while the driver is short of less than an
    // eighth of what it may hold (and of fewer than kBatch / 2), it gets none, so a driver woken
    // for empty buffers is not woken once per frame it fills.
    const uint32_t rx_slack = rx_queues == 1 ? std::min(kBatch / 2, rx_limit / 8) : 0;
    std::lock_guard lock(*rx_lane.mutex);
    const uint32_t rx_held = endpoint.ownership().count(shm::PacketState::DriverRx);
    const bool rx_stocked = rx_slack > 0 && rx_held + rx_slack > rx_limit;
    for (uint32_t k = 0; k < rx_queues && !rx_stocked; ++k) {
        const uint32_t q = (mover.rx_round + k) % rx_queues;
        if (!mover.serves(q) || !queue_enabled(kRxSubmission, q))
            continue;
        uint32_t restocked = endpoint.restock_rx(rx_limit, q);
        if (restocked > 0) {
            m_counters.rx_restocked.fetch_add(restocked, std::memory_order_relaxed);
            moved = true;
        }
    }
    if (rx_queues > 1)
        ++mover.rx_round;
    return moved;
}

void NetInterface::publish_drops() {
    std::lock_guard publishing(m_publish_mutex);
    shm::DropCounters d{};
    bool faulted = false;
    for (const Lane &lane : m_lanes) {
        std::lock_guard lock(*lane.mutex);
        const shm::DropCounters &l = lane.endpoint->drops();
        d.index_out_of_range += l.index_out_of_range;
        d.not_owned_by_driver += l.not_owned_by_driver;
        d.wrong_queue += l.wrong_queue;
        d.buffer_mismatch += l.buffer_mismatch;
        d.zero_length_rx += l.zero_length_rx;
        d.offset_length_out_of_bounds += l.offset_length_out_of_bounds;
        d.bad_offload_metadata += l.bad_offload_metadata;
        d.rx_checksum_wrong += l.rx_checksum_wrong;
        d.ring_faults += l.ring_faults;
        faulted = faulted || lane.endpoint->faulted();
    }
    m_counters.drop_index_out_of_range.store(d.index_out_of_range, std::memory_order_relaxed);
    m_counters.drop_not_owned_by_driver.store(d.not_owned_by_driver, std::memory_order_relaxed);
    m_counters.drop_wrong_queue.store(d.wrong_queue, std::memory_order_relaxed);
    m_counters.drop_buffer_mismatch.store(d.buffer_mismatch, std::memory_order_relaxed);
    m_counters.drop_zero_length_rx.store(d.zero_length_rx, std::memory_order_relaxed);
    m_counters.drop_offset_length_out_of_bounds.store(d.offset_length_out_of_bounds,
                                                      std::memory_order_relaxed);
    m_counters.drop_bad_offload_metadata.store(d.bad_offload_metadata, std::memory_order_relaxed);
    m_counters.drop_rx_checksum_wrong.store(d.rx_checksum_wrong, std::memory_order_relaxed);
    m_counters.ring_faults.store(d.ring_faults, std::memory_order_relaxed);
    uint64_t truncated = 0;
    for (const auto &mover : m_movers)
        truncated += mover->tap->counters().rx_truncated.load(std::memory_order_relaxed);
    m_counters.drop_tap_truncated.store(truncated, std::memory_order_relaxed);
    for (RingId ring : {RingId::TxSubmission, RingId::TxCompletion, RingId::RxSubmission,
                        RingId::RxCompletion}) {
        const size_t kind = shm::ring_slot(ring);
        const Lane &lane = lane_of(kind);
        uint64_t batches = 0;
        std::lock_guard lock(*lane.mutex);
        for (uint32_t q = 0; q < lane.queue_counts[kind]; ++q)
            batches += lane.endpoint->counters(shm::queue_ring(ring, q)).batches;
        m_queue_batches[kind].store(batches, std::memory_order_relaxed);
    }
    if (m_fault_reported.load(std::memory_order_relaxed) || !m_on_fault)
        return;
    if (faulted) {
        m_fault_reported.store(true, std::memory_order_release);
        m_on_fault("the driver corrupted its ring indices (ring fault)");
    } else if (d.dropped() > m_drop_limit) {
        m_fault_reported.store(true, std::memory_order_release);
        m_on_fault("the driver handed back " + std::to_string(d.dropped()) +
                   " invalid packets (limit " + std::to_string(m_drop_limit) + ")");
    }
}

bool NetInterface::prepare_to_sleep(Mover &mover, bool tx_completions) {
    // This mover's rings only: the other movers arm theirs, each waits on its own doorbell.
    const shm::DaemonEndpoint::SleepRings rings = sleep_rings(mover, tx_completions);
    for (size_t armed = 0; armed < m_lanes.size(); ++armed) {
        std::lock_guard lock(*m_lanes[armed].mutex);
        shm::DaemonEndpoint::SleepRings lane_rings = rings;
        lane_rings.tx_completions = tx_completions || armed > 0;
        if (!m_lanes[armed].endpoint->prepare_to_sleep(lane_rings)) {
            for (size_t i = 0; i < armed; ++i) {
                std::lock_guard earlier(*m_lanes[i].mutex);
                m_lanes[i].endpoint->finish_sleep(rings);
            }
            return false;
        }
    }
    return true;
}

void NetInterface::finish_sleep(Mover &mover) {
    const shm::DaemonEndpoint::SleepRings rings = sleep_rings(mover, true);
    for (Lane &lane : m_lanes) {
        std::lock_guard lock(*lane.mutex);
        lane.endpoint->finish_sleep(rings);
    }
}

bool NetInterface::run_once(Mover &mover) {
    bool moved = move_tx(mover);
    moved = move_rx(mover) || moved;
    publish_drops();
    return moved;
}

bool NetInterface::run_once() {
    bool moved = false;
    for (auto &mover : m_movers)
        moved = run_once(*mover) || moved;
    return moved;
}

void NetInterface::run(Mover &mover) {
    std::string thread_name =
        (mover.index == 0 ? "mover:" : "mover" + std::to_string(mover.index) + ":") + m_tap.name();
    thread_name.resize(std::min<size_t>(thread_name.size(), 15));
    pthread_setname_np(pthread_self(), thread_name.c_str());
    Lane &lane = m_lanes[0];
    shm::DaemonEndpoint &tx = *lane.endpoint;
    while (!m_stopping.load(std::memory_order_acquire)) {
        const uint64_t handed_over = mover.handed_over;
        bool moved = run_once(mover);
        if (moved)
            mover.lazy_wake_found_nothing = false;
        // (Buffers restocked after the driver took some are not counted: it asks no doorbell
        // for taking them, and they wait for the next wake by design.)
        if (mover.safety_net_wake && mover.handed_over != handed_over)
            m_counters.safety_net_wakeups.fetch_add(1, std::memory_order_relaxed);
        mover.safety_net_wake = false;
        if (moved || m_fault_reported.load(std::memory_order_acquire))
            continue;
        if (m_capture && mover.index == 0)
            m_capture->flush();
        bool can_take = false;
        bool lazy_tx_completions = false;
        {
            std::lock_guard lock(*lane.mutex);
            // As move_tx() reads: else a TAP it cannot read from would wake it again at once.
            can_take = tx.free_packets() > 0 && tx_room(mover) > 0;
            // TX completions, like a NIC's moderated TX-done interrupt: while a whole batch of
            // free packets is left for the stack's next frames, the driver need not ring for
            // each one; the mover reaps them when it next wakes, at the latest
            // kTxCompletionDelayMs later. If such a wake finds nothing (a driver holding its TX
            // packets), the next sleep asks again.
            const bool tx_held = tx.ownership().count(shm::PacketState::DriverTx) > 0;
            lazy_tx_completions = can_take && tx.free_packets() >= kBatch && tx_held &&
                                  !mover.lazy_wake_found_nothing;
        }
        if (!prepare_to_sleep(mover, !lazy_tx_completions))
            continue; // the driver produced something while we armed the flags
        // Sleep until the driver rings, the stack sends a frame we can take, or a control change.
        struct pollfd fds[3] = {{mover.wake->fd(), POLLIN, 0},
                                {mover.doorbell->fd(), POLLIN, 0},
                                {mover.tap->fd(), POLLIN, 0}};
        // The 1 s timeout is only a safety net against a lost wakeup; it costs nothing idle.
        const int ready =
            poll(fds, can_take ? 3 : 2, lazy_tx_completions ? kTxCompletionDelayMs : 1000);
        if (ready > 0) {
            if (fds[1].revents & POLLIN)
                (void)mover.doorbell->drain();
            if (fds[0].revents & POLLIN)
                (void)mover.wake->drain();
        }
        mover.lazy_wake_found_nothing = lazy_tx_completions && ready == 0;
        mover.safety_net_wake = !lazy_tx_completions && ready == 0;
        finish_sleep(mover);
        m_counters.wakeups.fetch_add(1, std::memory_order_relaxed);
    }
    publish_drops();
}

} // namespace netdext::daemon
