// NetInterface: TAP + shared rings + the frame mover thread (see net_interface.h).

#include "net_interface.h"

#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cctype>

namespace netdext::daemon {

namespace {
constexpr uint32_t kBatch = 64;
constexpr uint16_t kEthernetHeader = 14;
using shm::RingId;
} // namespace

uint64_t InterfaceCounters::validation_drops() const {
    return drop_index_out_of_range + drop_not_owned_by_driver + drop_wrong_queue +
           drop_buffer_mismatch + drop_zero_length_rx + drop_offset_length_out_of_bounds;
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
    std::unique_ptr<NetInterface> iface(new NetInterface(device));
    iface->m_pool_region = config.pool_region;
    iface->m_pool_layout = config.pool_layout;

    auto layout = shm::RingsLayout::compute(config.capacities);
    if (!layout) {
        error = "ring capacities refused: " + layout.error().describe();
        return Error::from_errno(EINVAL, "ring capacities");
    }
    iface->m_rings_layout = layout.value();
    auto rings = shm::SharedRegion::create("netdext-rings", layout.value().total_size);
    auto daemon_doorbell = shm::EventFd::create();
    auto host_doorbell = shm::EventFd::create();
    auto stop = shm::EventFd::create();
    if (!rings || !daemon_doorbell || !host_doorbell || !stop) {
        error = "creating the rings or doorbells failed";
        return Error::from_errno(ENOMEM, "rings");
    }
    iface->m_rings = std::make_unique<shm::SharedRegion>(rings.release_value());
    iface->m_daemon_doorbell = std::make_unique<shm::EventFd>(daemon_doorbell.release_value());
    iface->m_host_doorbell = std::make_unique<shm::EventFd>(host_doorbell.release_value());
    iface->m_stop = std::make_unique<shm::EventFd>(stop.release_value());

    // The daemon produces TX submission, RX submission and allocation: those wake the host.
    shm::RingDoorbells doorbells;
    for (RingId ring : {RingId::TxSubmission, RingId::RxSubmission, RingId::Allocation})
        doorbells.peer[shm::ring_slot(ring)] = iface->m_host_doorbell.get();
    auto endpoint = shm::DaemonEndpoint::create(config.pool_region->bytes(), config.pool_layout,
                                                iface->m_rings->bytes(), iface->m_rings_layout,
                                                doorbells);
    if (!endpoint) {
        error = "initialising the shared memory: " + endpoint.error().describe();
        return Error::from_errno(EINVAL, "endpoint");
    }
    iface->m_endpoint.emplace(endpoint.release_value());
    iface->m_tx_submission =
        iface->m_rings_layout.view(iface->m_rings->bytes(), RingId::TxSubmission).control;
    iface->m_rx_capacity = iface->m_rings_layout.capacity(RingId::RxSubmission);
    iface->m_allocation_spares =
        std::min<uint32_t>(4, iface->m_rings_layout.capacity(RingId::Allocation));

    tap::FrameDevice &t = iface->m_tap;
    // DriverKit interfaces start at the Ethernet MTU; the stack may raise it up to the driver's
    // GetMaxTransferUnit. A frame must also fit one packet buffer. A kept TAP keeps its MTU (the
    // session tells the new driver), unless its frames no longer fit.
    const uint32_t largest = config.pool_layout.buffer_size - 18;
    uint32_t mtu = std::min<uint32_t>(1500, largest);
    if (config.kept_mtu >= 68)
        mtu = std::min(config.kept_mtu, largest);
    if (auto r = t.set_mtu(mtu); !r)
        return fail("setting the MTU of " + t.name(), r.error());
    uint32_t qlen = std::max<uint32_t>(8, iface->m_rings_layout.capacity(RingId::TxSubmission));
    if (auto r = t.set_txqueuelen(qlen); !r)
        return fail("setting the txqueuelen of " + t.name(), r.error());
    if (auto r = t.set_carrier(false); !r)
        return fail("dropping the carrier of " + t.name(), r.error());
    iface->m_capture = config.capture;
    return iface;
}

NetInterface::~NetInterface() { stop(); }

int NetInterface::unit() const {
    const std::string &n = m_tap.name();
    size_t digits = 0;
    while (digits < n.size() && std::isdigit(static_cast<unsigned char>(n[n.size() - 1 - digits])))
        ++digits;
    return digits == 0 ? -1 : std::stoi(n.substr(n.size() - digits));
}

void NetInterface::set_queue_enabled(size_t kind, bool enabled) {
    if (kind < m_enabled.size()) {
        m_enabled[kind].store(enabled, std::memory_order_release);
        (void)m_stop->signal(); // re-evaluate what the mover may do (it re-checks m_stopping)
    }
}

bool NetInterface::queue_enabled(size_t kind) const {
    return kind < m_enabled.size() && m_enabled[kind].load(std::memory_order_acquire);
}

NetInterface::TxProgress NetInterface::tx_progress() const {
    TxProgress progress;
    progress.enabled = queue_enabled(0); // QueueKind tx_submission
    // The endpoint starts every ring at index 0 and only submit_tx produces on TX submission.
    progress.produced = uint32_t(m_counters.tx_submitted.load(std::memory_order_relaxed));
    progress.consumed = std::atomic_ref<uint32_t>(m_tx_submission->consumer_index)
                            .load(std::memory_order_acquire);
    return progress;
}

void NetInterface::set_fault_handler(std::function<void(const std::string &)> on_fault,
                                     uint64_t drop_limit) {
    m_on_fault = std::move(on_fault);
    m_drop_limit = drop_limit;
}

void NetInterface::start(std::function<void(const std::string &)> on_fault, uint64_t drop_limit) {
    if (m_thread.joinable())
        return;
    set_fault_handler(std::move(on_fault), drop_limit);
    m_stopping = false;
    m_thread = std::thread([this] { run(); });
}

void NetInterface::stop() {
    if (!m_thread.joinable())
        return;
    m_stopping = true;
    (void)m_stop->signal();
    m_thread.join();
}

// Queue kinds as netdext::QueueKind numbers them.
enum : size_t { kTxSubmission = 0, kTxCompletion = 1, kRxSubmission = 2, kRxCompletion = 3 };

bool NetInterface::move_tx() {
    shm::DaemonEndpoint &endpoint = *m_endpoint;
    bool moved = false;
    if (m_enabled[kTxSubmission].load(std::memory_order_acquire)) {
        uint32_t room = std::min(endpoint.free_space(RingId::TxSubmission), kBatch);
        uint32_t ids[kBatch];
        uint32_t taken = room ? endpoint.take_free(std::span<uint32_t>(ids, room)) : 0;
        if (taken > 0) {
            tap::FrameSlot slots[kBatch];
            for (uint32_t i = 0; i < taken; ++i) {
                auto buffer = endpoint.buffer(ids[i]);
                slots[i] = tap::FrameSlot{buffer.data(), uint32_t(buffer.size()), 0};
            }
            auto read = m_tap.read_frames(std::span<tap::FrameSlot>(slots, taken));
            uint32_t got = read ? uint32_t(read.value()) : 0;
            uint32_t submitted = 0;
            if (got > 0) {
                shm::TxFrame frames[kBatch];
                uint64_t bytes = 0;
                for (uint32_t i = 0; i < got; ++i) {
                    frames[i] = shm::TxFrame{ids[i], slots[i].length, 0, kEthernetHeader};
                    bytes += slots[i].length;
                    if (m_capture)
                        m_capture->tx_submitted(std::span<const std::byte>(slots[i].data,
                                                                           slots[i].length));
                }
                submitted = endpoint.submit_tx(std::span<const shm::TxFrame>(frames, got));
                m_counters.tap_read_frames.fetch_add(got, std::memory_order_relaxed);
                m_counters.tap_read_bytes.fetch_add(bytes, std::memory_order_relaxed);
                m_counters.tx_submitted.fetch_add(submitted, std::memory_order_relaxed);
                if (submitted < got)
                    m_counters.drop_tx_ring_full.fetch_add(got - submitted,
                                                           std::memory_order_relaxed);
                moved = true;
            }
            // Packets not published (no frame pending, or refused by the ring) go back.
            endpoint.release(std::span<const uint32_t>(ids + submitted, taken - submitted));
        }
    }
    uint32_t reaped = endpoint.reap_tx_completions(UINT32_MAX);
    if (reaped > 0) {
        m_counters.tx_completed.fetch_add(reaped, std::memory_order_relaxed);
        moved = true;
    }
    return moved;
}

bool NetInterface::move_rx() {
    shm::DaemonEndpoint &endpoint = *m_endpoint;
    bool moved = false;
    shm::RxFrame frames[kBatch];
    tap::ConstFrame out[kBatch];
    uint32_t ids[kBatch];
    for (;;) {
        uint32_t n = endpoint.poll_rx_completions(frames);
        if (n == 0)
            break;
        for (uint32_t i = 0; i < n; ++i) {
            auto data = endpoint.frame_bytes(frames[i]);
            out[i] = tap::ConstFrame{data.data(), uint32_t(data.size())};
            ids[i] = frames[i].packet;
            if (m_capture)
                m_capture->rx_completed(data);
        }
        // This thread is the TAP's only writer: the rejection counters' deltas are this batch's.
        const tap::TapCounters &tap_counters = m_tap.counters();
        const uint64_t rejected_before = tap_counters.tx_rejected.load(std::memory_order_relaxed);
        const uint64_t rejected_bytes_before =
            tap_counters.tx_rejected_bytes.load(std::memory_order_relaxed);
        auto written = m_tap.write_frames(std::span<const tap::ConstFrame>(out, n));
        uint32_t consumed = written ? uint32_t(written.value()) : 0;
        uint64_t bytes = 0;
        for (uint32_t i = 0; i < consumed; ++i)
            bytes += out[i].length;
        // A full stack backlog (EAGAIN) drops the rest; frames the kernel refused (counted by
        // the TAP in tx_rejected) were consumed but not received: neither is "written".
        const uint64_t rejected =
            tap_counters.tx_rejected.load(std::memory_order_relaxed) - rejected_before;
        bytes -= tap_counters.tx_rejected_bytes.load(std::memory_order_relaxed) -
                 rejected_bytes_before;
        if (consumed < n || rejected > 0)
            m_counters.drop_tap_rejected.fetch_add(n - consumed + rejected,
                                                   std::memory_order_relaxed);
        endpoint.release(std::span<const uint32_t>(ids, n));
        m_counters.rx_completed.fetch_add(n, std::memory_order_relaxed);
        m_counters.tap_written_frames.fetch_add(consumed - rejected, std::memory_order_relaxed);
        m_counters.tap_written_bytes.fetch_add(bytes, std::memory_order_relaxed);
        moved = true;
        if (n < kBatch)
            break;
    }
    uint32_t freed = endpoint.reap_free_ring(UINT32_MAX);
    if (freed > 0) {
        m_counters.free_reaped.fetch_add(freed, std::memory_order_relaxed);
        moved = true;
    }
    if (m_enabled[kRxSubmission].load(std::memory_order_acquire)) {
        uint32_t restocked = endpoint.restock_rx(m_rx_capacity);
        if (restocked > 0) {
            m_counters.rx_restocked.fetch_add(restocked, std::memory_order_relaxed);
            moved = true;
        }
    }
    if (endpoint.restock_allocation(m_allocation_spares) > 0)
        moved = true;
    return moved;
}

void NetInterface::publish_drops() {
    const shm::DropCounters &d = m_endpoint->drops();
    m_counters.drop_index_out_of_range.store(d.index_out_of_range, std::memory_order_relaxed);
    m_counters.drop_not_owned_by_driver.store(d.not_owned_by_driver, std::memory_order_relaxed);
    m_counters.drop_wrong_queue.store(d.wrong_queue, std::memory_order_relaxed);
    m_counters.drop_buffer_mismatch.store(d.buffer_mismatch, std::memory_order_relaxed);
    m_counters.drop_zero_length_rx.store(d.zero_length_rx, std::memory_order_relaxed);
    m_counters.drop_offset_length_out_of_bounds.store(d.offset_length_out_of_bounds,
                                                      std::memory_order_relaxed);
    m_counters.ring_faults.store(d.ring_faults, std::memory_order_relaxed);
    m_counters.drop_tap_truncated.store(m_tap.counters().rx_truncated.load(),
                                        std::memory_order_relaxed);
    for (RingId ring : {RingId::TxSubmission, RingId::TxCompletion, RingId::RxSubmission,
                        RingId::RxCompletion})
        m_queue_batches[shm::ring_slot(ring)].store(m_endpoint->counters(ring).batches,
                                                    std::memory_order_relaxed);
    if (m_fault_reported || !m_on_fault)
        return;
    if (m_endpoint->faulted()) {
        m_fault_reported = true;
        m_on_fault("the driver corrupted its ring indices (ring fault)");
    } else if (d.dropped() > m_drop_limit) {
        m_fault_reported = true;
        m_on_fault("the driver handed back " + std::to_string(d.dropped()) +
                   " invalid packets (limit " + std::to_string(m_drop_limit) + ")");
    }
}

bool NetInterface::run_once() {
    bool moved = move_tx();
    moved = move_rx() || moved;
    publish_drops();
    return moved;
}

void NetInterface::run() {
    std::string thread_name = "mover:" + m_tap.name();
    thread_name.resize(std::min<size_t>(thread_name.size(), 15));
    pthread_setname_np(pthread_self(), thread_name.c_str());
    shm::DaemonEndpoint &endpoint = *m_endpoint;
    while (!m_stopping.load(std::memory_order_acquire)) {
        bool moved = run_once();
        if (moved || m_fault_reported)
            continue;
        if (m_capture)
            m_capture->flush();
        if (!endpoint.prepare_to_sleep())
            continue; // the driver produced something while we armed the flags
        // Sleep until the driver rings, the stack sends a frame we can take, or a control change.
        const bool can_take = m_enabled[kTxSubmission].load(std::memory_order_acquire) &&
                              endpoint.free_packets() > 0 &&
                              endpoint.free_space(RingId::TxSubmission) > 0;
        struct pollfd fds[3] = {{m_stop->fd(), POLLIN, 0},
                                {m_daemon_doorbell->fd(), POLLIN, 0},
                                {m_tap.fd(), POLLIN, 0}};
        // FIXME: the timeout is only a safety net against a lost wakeup; it costs nothing idle.
        poll(fds, can_take ? 3 : 2, 1000);
        (void)m_daemon_doorbell->drain();
        (void)m_stop->drain();
        endpoint.finish_sleep();
        m_counters.wakeups.fetch_add(1, std::memory_order_relaxed);
    }
    publish_drops();
}

} // namespace netdext::daemon
