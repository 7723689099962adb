// The driver test bench's in-process family (see fake_family.h).

#include "fake_family.h"

#include <NetworkingDriverKit/IOUserNetworkEthernet.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace netdext::testing {
namespace {

std::string hex(uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%" PRIx64, value);
    return text;
}

std::string mac_text(const ether_addr_t &mac) {
    char text[24];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac.octet[0], mac.octet[1],
                  mac.octet[2], mac.octet[3], mac.octet[4], mac.octet[5]);
    return text;
}

const char *kind_text(QueueKind kind) {
    static const char *names[] = {"TxSubmission", "TxCompletion", "RxSubmission", "RxCompletion"};
    return names[size_t(kind)];
}

} // namespace

FakeFamily::FakeFamily() {
    m_clock.install();
    m_clock.set_settle_hook([this] { process_rings(); });
    m_previous_port = install_family_port(this);
}

FakeFamily::~FakeFamily() {
    install_family_port(m_previous_port);
    m_clock.set_settle_hook(nullptr);
}

void FakeFamily::note_call(const std::string &call) {
    calls.push_back(CallRecord{m_clock.now_ns(ClockDomain::uptime), call});
}

kern_return_t FakeFamily::create_pool(const PoolRequest &request, PoolGrant &grant) {
    auto layout = shm::PoolLayout::compute(request.packet_count, request.buffer_count,
                                           request.buffer_size);
    std::lock_guard lock(mutex);
    if (!layout) {
        note_call("CreatePool(" + request.name + ") refused: " + layout.error().describe());
        return kIOReturnBadArgument;
    }
    auto region = shm::SharedRegion::create("netdext-bench-pool", layout.value().total_size);
    if (!region)
        return kIOReturnNoMemory;
    uint64_t id = m_next_pool_id++;
    Pool &pool = m_pools[id];
    pool.layout = layout.value();
    pool.region.emplace(region.release_value());
    pool.layout.initialize(pool.region->bytes());
    grant.region = pool.region->bytes();
    grant.layout = pool.layout;
    grant.pool_id = id;
    note_call("CreatePool(" + request.name + ", packets " + std::to_string(request.packet_count) +
              ", buffers " + std::to_string(request.buffer_count) + " x " +
              std::to_string(request.buffer_size) + ")");
    return kIOReturnSuccess;
}

bool BenchInterface::any_enabled(QueueKind kind) const {
    for (bool on : enabled[size_t(kind)])
        if (on)
            return true;
    return false;
}

IOUserNetworkPacketQueue *BenchInterface::queue(QueueKind kind, uint32_t index) const {
    for (const QueueBinding &b : queues)
        if (b.kind == kind && b.index == index)
            return b.queue;
    return nullptr;
}

BenchLane &BenchInterface::lane_of(QueueKind kind) {
    const bool rx = kind == QueueKind::rx_submission || kind == QueueKind::rx_completion;
    return lanes[rx && lanes.size() > 1 ? 1 : 0];
}

const BenchLane &BenchInterface::lane_of(QueueKind kind) const {
    return const_cast<BenchInterface *>(this)->lane_of(kind);
}

shm::DropCounters BenchInterface::drops() const {
    shm::DropCounters sum{};
    for (const BenchLane &lane : lanes) {
        if (!lane.endpoint)
            continue;
        const shm::DropCounters &d = lane.endpoint->drops();
        sum.index_out_of_range += d.index_out_of_range;
        sum.not_owned_by_driver += d.not_owned_by_driver;
        sum.wrong_queue += d.wrong_queue;
        sum.buffer_mismatch += d.buffer_mismatch;
        sum.zero_length_rx += d.zero_length_rx;
        sum.offset_length_out_of_bounds += d.offset_length_out_of_bounds;
        sum.bad_offload_metadata += d.bad_offload_metadata;
        sum.rx_checksum_wrong += d.rx_checksum_wrong;
        sum.ring_faults += d.ring_faults;
    }
    return sum;
}

FakeFamily::Interface *FakeFamily::find(IOUserNetworkEthernet *driver) {
    for (auto &iface : m_interfaces)
        if (iface->driver == driver)
            return iface.get();
    return nullptr;
}

void FakeFamily::release_pool(uint64_t pool_id) {
    std::lock_guard lock(mutex);
    if (!m_interfaces.empty())
        return; // FIXME: a pool released while an interface is registered stays mapped
    m_pools.erase(pool_id);
}

kern_return_t FakeFamily::register_interface(const InterfaceRequest &request,
                                             InterfaceGrant &grant) {
    std::lock_guard lock(mutex);
    if (m_entitlements)
        if (auto denial = entitlements::check_register_ethernet(*m_entitlements, m_who)) {
            note_call("RegisterEthernetInterface refused: " + denial->message);
            return kIOReturnNotPermitted; // DriverKit: the family entitlement check
        }
    if (find(request.driver) != nullptr || m_interfaces.size() >= kMaxInterfacesPerDext) {
        note_call("RegisterEthernetInterface refused: " +
                  std::string(find(request.driver) ? "this driver has an interface"
                                                   : "too many interfaces"));
        return kIOReturnBusy;
    }
    if (request.lanes.empty() || request.lanes.size() > kMaxInterfaceLanes)
        return kIOReturnBadArgument;
    auto iface = std::make_unique<Interface>();
    // The lowest free unit, as netdextd names TAPs.
    uint32_t unit = 0;
    for (bool taken = true; taken; ++unit) {
        taken = false;
        for (const auto &other : m_interfaces)
            taken = taken || other->unit == unit;
        if (!taken)
            break;
    }
    iface->unit = unit;
    iface->name = "en" + std::to_string(unit);
    iface->driver = request.driver;
    iface->mac = request.mac;
    iface->queues = request.queues;
    iface->feature_flags = request.feature_flags;
    iface->tx_headroom = request.tx_headroom;
    iface->tx_tailroom = request.tx_tailroom;
    iface->hardware_assists = request.hardware_assists;
    for (const QueueBinding &b : request.queues) {
        auto &flags = iface->enabled[size_t(b.kind)];
        flags.resize(std::max<size_t>(flags.size(), b.index + 1), false);
    }
    for (const LaneRequest &lane_request : request.lanes) {
        auto pool = m_pools.find(lane_request.pool_id);
        if (pool == m_pools.end())
            return kIOReturnBadArgument;
        auto layout = shm::RingsLayout::compute(lane_request.capacities, lane_request.more);
        if (!layout)
            return kIOReturnBadArgument;
        auto rings = shm::SharedRegion::create("netdext-bench-rings", layout.value().total_size);
        if (!rings)
            return kIOReturnNoMemory;
        BenchLane &lane = iface->lanes.emplace_back();
        lane.rings.emplace(rings.release_value());
        lane.layout = layout.value();
        lane.queue_counts = lane_request.queue_counts;
        for (uint32_t q = 0; q < lane.queue_counts[size_t(QueueKind::rx_submission)]; ++q)
            lane.rx_capacity +=
                lane.layout.capacity(shm::queue_ring(shm::RingId::RxSubmission, q));
        auto endpoint = shm::DaemonEndpoint::create(pool->second.region->bytes(),
                                                    pool->second.layout, lane.rings->bytes(),
                                                    lane.layout);
        if (!endpoint)
            return kIOReturnInternalError;
        lane.endpoint.emplace(endpoint.release_value());
        // The checksum-valid and LRO claims of a driver that declared them, as netdextd honours.
        lane.endpoint->set_rx_offloads((request.hardware_assists & 0x20000000) != 0,
                                       (request.hardware_assists & 0x10000000) != 0);
        grant.lanes.push_back(LaneGrant{lane.rings->bytes(), lane.layout, {}});
    }
    grant.bsd_name = iface->name;
    grant.unit = int32_t(unit);
    std::string queues;
    if (request.queues.size() != 4 || request.lanes.size() != 1)
        queues = ", queues " + std::to_string(request.queues.size()) + ", pools " +
                 std::to_string(request.lanes.size());
    note_call("RegisterEthernetInterface(" + iface->name + ", " + mac_text(request.mac) +
              ", features " + hex(request.feature_flags) + ", headroom " +
              std::to_string(request.tx_headroom) + ", tailroom " +
              std::to_string(request.tx_tailroom) + queues + ")");
    m_interfaces.push_back(std::move(iface));
    return kIOReturnSuccess;
}

void FakeFamily::unregister_interface(IOUserNetworkEthernet *driver) {
    std::lock_guard lock(mutex);
    for (auto it = m_interfaces.begin(); it != m_interfaces.end(); ++it) {
        if ((*it)->driver != driver)
            continue;
        check_drops_locked(**it);
        const shm::DropCounters d = (*it)->drops();
        shm::DropCounters &past = m_past_drops.emplace(m_past_drops.value_or(shm::DropCounters{}));
        past.index_out_of_range += d.index_out_of_range;
        past.not_owned_by_driver += d.not_owned_by_driver;
        past.wrong_queue += d.wrong_queue;
        past.buffer_mismatch += d.buffer_mismatch;
        past.zero_length_rx += d.zero_length_rx;
        past.offset_length_out_of_bounds += d.offset_length_out_of_bounds;
        past.bad_offload_metadata += d.bad_offload_metadata;
        past.rx_checksum_wrong += d.rx_checksum_wrong;
        past.ring_faults += d.ring_faults;
        note_call("UnregisterInterface(" + (*it)->name + ")");
        m_interfaces.erase(it);
        return;
    }
}

void FakeFamily::report_link_status(IOUserNetworkEthernet *driver, uint32_t status,
                                    uint32_t media) {
    std::lock_guard lock(mutex);
    Interface *iface = find(driver);
    if (iface) {
        iface->link_status = status;
        iface->active_media = media;
    }
    note_call("ReportLinkStatus(" + std::string(iface && iface->unit ? iface->name + ", " : "") +
              hex(status) + ", " + hex(media) + ")");
}

void FakeFamily::report_media_types(IOUserNetworkEthernet *driver,
                                    std::span<const uint32_t> media) {
    std::lock_guard lock(mutex);
    std::string list;
    for (uint32_t m : media)
        list += (list.empty() ? "" : ", ") + hex(m);
    if (Interface *iface = find(driver))
        iface->media_types.assign(media.begin(), media.end());
    note_call("ReportAvailableMediaTypes(" + list + ")");
}

void FakeFamily::report_link_quality(IOUserNetworkEthernet *, int32_t quality) {
    std::lock_guard lock(mutex);
    note_call("ReportLinkQuality(" + std::to_string(quality) + ")");
}

void FakeFamily::report_data_bandwidths(IOUserNetworkEthernet *, uint64_t max_in, uint64_t max_out,
                                        uint64_t effective_in, uint64_t effective_out) {
    std::lock_guard lock(mutex);
    note_call("ReportDataBandwidths(" + std::to_string(max_in) + ", " + std::to_string(max_out) +
              ", " + std::to_string(effective_in) + ", " + std::to_string(effective_out) + ")");
}

void FakeFamily::queue_enable_changed(IOUserNetworkEthernet *driver, QueueKind kind,
                                      uint32_t index, bool enabled) {
    std::lock_guard lock(mutex);
    if (Interface *iface = find(driver)) {
        auto &flags = iface->enabled[size_t(kind)];
        if (index < flags.size())
            flags[index] = enabled;
    }
    note_call(std::string(kind_text(kind)) + (index ? "[" + std::to_string(index) + "]" : "") +
              ".SetEnable(" + (enabled ? "true" : "false") + ")");
}

void FakeFamily::report_misuse(const OSObject *object, const std::string &what) {
    std::lock_guard lock(mutex);
    misuses.push_back(object ? std::string(object->GetClassName()) + ": " + what : what);
}

void FakeFamily::check_drops_locked(Interface &iface) {
    const shm::DropCounters now = iface.drops();
    shm::DropCounters &seen = iface.reported_drops;
    static constexpr shm::DropReason kReasons[] = {
        shm::DropReason::IndexOutOfRange, shm::DropReason::NotOwnedByDriver,
        shm::DropReason::WrongQueue,      shm::DropReason::BufferMismatch,
        shm::DropReason::ZeroLengthRx,    shm::DropReason::OffsetLengthOutOfBounds,
        shm::DropReason::BadOffloadMetadata, shm::DropReason::ChecksumWrong};
    for (shm::DropReason reason : kReasons) {
        uint64_t delta = now.of(reason) - seen.of(reason);
        if (delta > 0)
            misuses.push_back("the stack dropped " + std::to_string(delta) +
                              " packet(s) the driver handed back: " + shm::to_string(reason));
    }
    if (now.ring_faults > seen.ring_faults)
        misuses.push_back("the driver corrupted a ring's indices (ring fault)");
    seen = now;
}

void FakeFamily::process_rings() {
    std::lock_guard lock(mutex);
    const uint64_t now = m_clock.now_ns(ClockDomain::uptime);
    for (size_t number = 0; number < m_interfaces.size(); ++number) {
        Interface &iface = *m_interfaces[number];
        for (BenchLane &lane : iface.lanes) {
            shm::DaemonEndpoint &endpoint = *lane.endpoint;
            for (uint32_t q = 0; q < lane.queue_counts[size_t(QueueKind::tx_completion)]; ++q)
                tx_completed += endpoint.reap_tx_completions(UINT32_MAX, q);
            shm::RxFrame frames[64];
            for (uint32_t q = 0; q < lane.queue_counts[size_t(QueueKind::rx_completion)]; ++q) {
                for (;;) {
                    uint32_t n = endpoint.poll_rx_completions(frames, q);
                    uint32_t ids[64];
                    for (uint32_t i = 0; i < n; ++i) {
                        auto bytes = endpoint.frame_bytes(frames[i]);
                        const auto *data = reinterpret_cast<const uint8_t *>(bytes.data());
                        received.push_back(Frame{now,
                                                 std::vector<uint8_t>(data, data + bytes.size()),
                                                 uint32_t(number), frames[i].data_valid,
                                                 frames[i].gso_size});
                        ids[i] = frames[i].packet;
                    }
                    endpoint.release(std::span<const uint32_t>(ids, n));
                    if (n < 64)
                        break;
                }
            }
            endpoint.reap_free_ring(UINT32_MAX);
            if (!m_auto_restock)
                continue;
            const auto &rx_enabled = iface.enabled[size_t(QueueKind::rx_submission)];
            for (uint32_t q = 0; q < lane.queue_counts[size_t(QueueKind::rx_submission)]; ++q) {
                if (q >= rx_enabled.size() || !rx_enabled[q] ||
                    endpoint.restock_rx(lane.rx_capacity, q) == 0)
                    continue;
                // Drivers that wait for empty buffers (a DataAvailable handler on RX submission)
                // hear about them, as netdextd's doorbell would tell them.
                if (IOUserNetworkPacketQueue *rxs = iface.queue(QueueKind::rx_submission, q))
                    rxs->netdext_packets_available();
            }
        }
        check_drops_locked(iface);
    }
}

bool FakeFamily::transmit(std::span<const uint8_t> frame, IOUserNetworkPacketQueue **notify,
                          size_t interface, uint32_t queue) {
    std::lock_guard lock(mutex);
    *notify = nullptr;
    if (interface >= m_interfaces.size())
        return false;
    Interface &iface = *m_interfaces[interface];
    const auto &tx_enabled = iface.enabled[size_t(QueueKind::tx_submission)];
    if (queue >= tx_enabled.size() || !tx_enabled[queue])
        return false;
    shm::DaemonEndpoint &endpoint = *iface.lane_of(QueueKind::tx_submission).endpoint;
    uint32_t packet = 0;
    if (endpoint.take_free(std::span<uint32_t>(&packet, 1)) != 1)
        return false;
    auto buffer = endpoint.buffer(packet);
    if (frame.size() > buffer.size()) {
        endpoint.release(std::span<const uint32_t>(&packet, 1));
        return false;
    }
    std::memcpy(buffer.data(), frame.data(), frame.size());
    shm::TxFrame tx{packet, uint32_t(frame.size()), 0, 14};
    if (endpoint.submit_tx(std::span<const shm::TxFrame>(&tx, 1), queue) != 1) {
        endpoint.release(std::span<const uint32_t>(&packet, 1));
        return false;
    }
    ++tx_submitted;
    *notify = iface.queue(QueueKind::tx_submission, queue);
    return true;
}

std::map<std::string, uint64_t> FakeFamily::drops() const {
    std::lock_guard lock(mutex);
    std::map<std::string, uint64_t> out;
    if (m_interfaces.empty() && !m_past_drops)
        return out; // no interface was ever registered
    auto add = [&out](const shm::DropCounters &d) {
        out["index_out_of_range"] += d.index_out_of_range;
        out["not_owned_by_driver"] += d.not_owned_by_driver;
        out["wrong_queue"] += d.wrong_queue;
        out["buffer_mismatch"] += d.buffer_mismatch;
        out["zero_length_rx"] += d.zero_length_rx;
        out["offset_length_out_of_bounds"] += d.offset_length_out_of_bounds;
        out["bad_offload_metadata"] += d.bad_offload_metadata;
        out["rx_checksum_wrong"] += d.rx_checksum_wrong;
        out["ring_faults"] += d.ring_faults;
    };
    add(m_past_drops.value_or(shm::DropCounters{}));
    for (const auto &iface : m_interfaces)
        add(iface->drops());
    return out;
}

} // namespace netdext::testing
