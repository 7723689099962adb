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

void FakeFamily::release_pool(uint64_t pool_id) {
    std::lock_guard lock(mutex);
    if (m_interface && m_interface->endpoint)
        return; // FIXME: a pool released while its interface is registered stays mapped
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
    if (m_interface) {
        note_call("RegisterEthernetInterface refused: the bench runs one interface");
        return kIOReturnBusy;
    }
    auto pool = m_pools.find(request.pool_id);
    if (pool == m_pools.end())
        return kIOReturnBadArgument;
    auto layout = shm::RingsLayout::compute(request.capacities);
    if (!layout)
        return kIOReturnBadArgument;
    auto rings = shm::SharedRegion::create("netdext-bench-rings", layout.value().total_size);
    if (!rings)
        return kIOReturnNoMemory;
    Interface &iface = m_interface.emplace();
    iface.driver = request.driver;
    iface.name = "en0";
    iface.mac = request.mac;
    iface.queues = request.queues;
    iface.rings.emplace(rings.release_value());
    iface.rx_capacity = layout.value().capacity(shm::RingId::RxSubmission);
    iface.layout = layout.value();
    iface.feature_flags = request.feature_flags;
    iface.tx_headroom = request.tx_headroom;
    iface.tx_tailroom = request.tx_tailroom;
    auto endpoint = shm::DaemonEndpoint::create(pool->second.region->bytes(), pool->second.layout,
                                                iface.rings->bytes(), layout.value());
    if (!endpoint) {
        m_interface.reset();
        return kIOReturnInternalError;
    }
    iface.endpoint.emplace(endpoint.release_value());
    grant.rings_region = iface.rings->bytes();
    grant.layout = layout.value();
    grant.bsd_name = iface.name;
    grant.unit = 0;
    note_call("RegisterEthernetInterface(" + iface.name + ", " + mac_text(request.mac) +
              ", features " + hex(request.feature_flags) + ", headroom " +
              std::to_string(request.tx_headroom) + ", tailroom " +
              std::to_string(request.tx_tailroom) + ")");
    return kIOReturnSuccess;
}

void FakeFamily::unregister_interface(IOUserNetworkEthernet *driver) {
    std::lock_guard lock(mutex);
    if (m_interface && m_interface->driver == driver) {
        check_drops_locked();
        if (m_interface->endpoint) {
            const shm::DropCounters &d = m_interface->endpoint->drops();
            shm::DropCounters &past = m_past_drops.emplace(m_past_drops.value_or(shm::DropCounters{}));
            past.index_out_of_range += d.index_out_of_range;
            past.not_owned_by_driver += d.not_owned_by_driver;
            past.wrong_queue += d.wrong_queue;
            past.buffer_mismatch += d.buffer_mismatch;
            past.zero_length_rx += d.zero_length_rx;
            past.offset_length_out_of_bounds += d.offset_length_out_of_bounds;
            past.ring_faults += d.ring_faults;
        }
        note_call("UnregisterInterface(" + m_interface->name + ")");
        m_interface.reset();
    }
}

void FakeFamily::report_link_status(IOUserNetworkEthernet *, uint32_t status, uint32_t media) {
    std::lock_guard lock(mutex);
    if (m_interface) {
        m_interface->link_status = status;
        m_interface->active_media = media;
    }
    note_call("ReportLinkStatus(" + hex(status) + ", " + hex(media) + ")");
}

void FakeFamily::report_media_types(IOUserNetworkEthernet *, std::span<const uint32_t> media) {
    std::lock_guard lock(mutex);
    std::string list;
    for (uint32_t m : media)
        list += (list.empty() ? "" : ", ") + hex(m);
    if (m_interface)
        m_interface->media_types.assign(media.begin(), media.end());
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

void FakeFamily::queue_enable_changed(IOUserNetworkEthernet *, QueueKind kind, bool enabled) {
    std::lock_guard lock(mutex);
    if (m_interface)
        m_interface->enabled[size_t(kind)] = enabled;
    note_call(std::string(kind_text(kind)) + ".SetEnable(" + (enabled ? "true" : "false") + ")");
}

void FakeFamily::report_misuse(const OSObject *object, const std::string &what) {
    std::lock_guard lock(mutex);
    misuses.push_back(object ? std::string(object->GetClassName()) + ": " + what : what);
}

void FakeFamily::check_drops_locked() {
    if (!m_interface || !m_interface->endpoint)
        return;
    const shm::DropCounters &now = m_interface->endpoint->drops();
    shm::DropCounters &seen = m_interface->reported_drops;
    static constexpr shm::DropReason kReasons[] = {
        shm::DropReason::IndexOutOfRange, shm::DropReason::NotOwnedByDriver,
        shm::DropReason::WrongQueue,      shm::DropReason::BufferMismatch,
        shm::DropReason::ZeroLengthRx,    shm::DropReason::OffsetLengthOutOfBounds};
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
    if (!m_interface || !m_interface->endpoint)
        return;
    shm::DaemonEndpoint &endpoint = *m_interface->endpoint;
    tx_completed += endpoint.reap_tx_completions(UINT32_MAX);
    const uint64_t now = m_clock.now_ns(ClockDomain::uptime);
    shm::RxFrame frames[64];
    for (;;) {
        uint32_t n = endpoint.poll_rx_completions(frames);
        uint32_t ids[64];
        for (uint32_t i = 0; i < n; ++i) {
            auto bytes = endpoint.frame_bytes(frames[i]);
            const auto *data = reinterpret_cast<const uint8_t *>(bytes.data());
            received.push_back(Frame{now, std::vector<uint8_t>(data, data + bytes.size())});
            ids[i] = frames[i].packet;
        }
        endpoint.release(std::span<const uint32_t>(ids, n));
        if (n < 64)
            break;
    }
    endpoint.reap_free_ring(UINT32_MAX);
    if (m_auto_restock && m_interface->enabled[size_t(QueueKind::rx_submission)] &&
        endpoint.restock_rx(m_interface->rx_capacity) > 0) {
        // Drivers that wait for empty buffers (a DataAvailable handler on RX submission) hear
        // about them, as netdextd's doorbell would tell them.
        if (IOUserNetworkPacketQueue *rxs = m_interface->queues[size_t(QueueKind::rx_submission)])
            rxs->netdext_packets_available();
    }
    check_drops_locked();
}

bool FakeFamily::transmit(std::span<const uint8_t> frame, IOUserNetworkPacketQueue **notify) {
    std::lock_guard lock(mutex);
    *notify = nullptr;
    if (!m_interface || !m_interface->endpoint ||
        !m_interface->enabled[size_t(QueueKind::tx_submission)])
        return false;
    shm::DaemonEndpoint &endpoint = *m_interface->endpoint;
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
    if (endpoint.submit_tx(std::span<const shm::TxFrame>(&tx, 1)) != 1) {
        endpoint.release(std::span<const uint32_t>(&packet, 1));
        return false;
    }
    ++tx_submitted;
    *notify = m_interface->queues[size_t(QueueKind::tx_submission)];
    return true;
}

std::map<std::string, uint64_t> FakeFamily::drops() const {
    std::lock_guard lock(mutex);
    std::map<std::string, uint64_t> out;
    const bool live = m_interface && m_interface->endpoint;
    if (!live && !m_past_drops)
        return out; // no interface was ever registered
    auto add = [&out](const shm::DropCounters &d) {
        out["index_out_of_range"] += d.index_out_of_range;
        out["not_owned_by_driver"] += d.not_owned_by_driver;
        out["wrong_queue"] += d.wrong_queue;
        out["buffer_mismatch"] += d.buffer_mismatch;
        out["zero_length_rx"] += d.zero_length_rx;
        out["offset_length_out_of_bounds"] += d.offset_length_out_of_bounds;
        out["ring_faults"] += d.ring_faults;
    };
    add(m_past_drops.value_or(shm::DropCounters{}));
    if (live)
        add(m_interface->endpoint->drops());
    return out;
}

} // namespace netdext::testing
