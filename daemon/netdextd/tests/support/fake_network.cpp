// Fakes of the daemon's system side (see fake_network.h).

#include "fake_network.h"

#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace netdext::daemon::testing {

namespace {

void bump(std::atomic<uint64_t> &counter, uint64_t by = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

UniqueFd make_eventfd() { return UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)); }

void set_readable(int fd, bool readable) {
    uint64_t value = 1;
    if (readable)
        (void)!write(fd, &value, sizeof value);
    else
        (void)!read(fd, &value, sizeof value);
}

} // namespace

// ---- FakeFrameDevice -----------------------------------------------------------------------------

FakeFrameDevice::FakeFrameDevice(std::string name, int ifindex, uint32_t queues)
    : m_name(std::move(name)), m_ifindex(ifindex), m_event(make_eventfd()) {
    for (uint32_t q = 1; q < queues; ++q)
        m_queues.push_back(std::make_unique<FakeFrameDevice>(m_name, m_ifindex));
}

void FakeFrameDevice::update_readable_locked() {
    bool readable = !m_pending.empty();
    if (readable != m_readable)
        set_readable(m_event.get(), readable);
    m_readable = readable;
}

void FakeFrameDevice::send(Bytes frame, tap::VnetBytes vnet) {
    std::lock_guard lock(m_mutex);
    m_pending.push_back(std::move(frame));
    m_pending_vnet.push_back(vnet);
    update_readable_locked();
}

size_t FakeFrameDevice::pending() const {
    std::lock_guard lock(m_mutex);
    return m_pending.size();
}

std::vector<Bytes> FakeFrameDevice::received() const {
    std::lock_guard lock(m_mutex);
    return m_received;
}

std::vector<Bytes> FakeFrameDevice::take_received() {
    std::lock_guard lock(m_mutex);
    std::vector<Bytes> out;
    out.swap(m_received);
    return out;
}

std::vector<tap::VnetBytes> FakeFrameDevice::take_received_vnet() {
    std::lock_guard lock(m_mutex);
    std::vector<tap::VnetBytes> out;
    out.swap(m_received_vnet);
    return out;
}

void FakeFrameDevice::set_write_budget(int frames) {
    std::lock_guard lock(m_mutex);
    m_write_budget = frames;
}

void FakeFrameDevice::set_min_frame(uint32_t bytes) {
    std::lock_guard lock(m_mutex);
    m_min_frame = bytes;
}

std::optional<bool> FakeFrameDevice::carrier() const {
    std::lock_guard lock(m_mutex);
    return m_carrier;
}

std::optional<MacAddress> FakeFrameDevice::mac() const {
    std::lock_guard lock(m_mutex);
    return m_mac;
}

std::optional<uint32_t> FakeFrameDevice::mtu() const {
    std::lock_guard lock(m_mutex);
    return m_mtu;
}

std::optional<uint32_t> FakeFrameDevice::txqueuelen() const {
    std::lock_guard lock(m_mutex);
    return m_txqueuelen;
}

uint64_t FakeFrameDevice::read_calls() const {
    std::lock_guard lock(m_mutex);
    return m_read_calls;
}

Result<void> FakeFrameDevice::set_mac(const MacAddress &mac) {
    std::lock_guard lock(m_mutex);
    m_mac = mac;
    return {};
}

Result<void> FakeFrameDevice::set_mtu(uint32_t mtu) {
    std::lock_guard lock(m_mutex);
    m_mtu = mtu;
    return {};
}

Result<void> FakeFrameDevice::set_txqueuelen(uint32_t length) {
    std::lock_guard lock(m_mutex);
    m_txqueuelen = length;
    return {};
}

Result<void> FakeFrameDevice::set_carrier(bool on) {
    std::lock_guard lock(m_mutex);
    m_carrier = on;
    return {};
}

Result<void> FakeFrameDevice::set_link_settings(uint32_t speed_mbps,
                                                std::optional<bool> full_duplex) {
    std::lock_guard lock(m_mutex);
    m_link_settings.emplace(speed_mbps, full_duplex);
    return {};
}

std::optional<std::pair<uint32_t, std::optional<bool>>> FakeFrameDevice::link_settings() const {
    std::lock_guard lock(m_mutex);
    return m_link_settings;
}

// TapDevice::read_frames: slots in order until full or nothing pending; a frame larger than its
// slot is dropped and counted (rx_truncated) and the slot reused.
Result<size_t> FakeFrameDevice::read_frames(std::span<tap::FrameSlot> slots) {
    std::lock_guard lock(m_mutex);
    ++m_read_calls;
    size_t filled = 0;
    while (filled < slots.size() && !m_pending.empty()) {
        Bytes frame = std::move(m_pending.front());
        m_pending.pop_front();
        tap::VnetBytes vnet = m_pending_vnet.front();
        m_pending_vnet.pop_front();
        tap::FrameSlot &slot = slots[filled];
        slot.vnet = vnet;
        if (frame.size() > slot.capacity) {
            bump(m_counters.rx_truncated);
            continue;
        }
        std::memcpy(slot.data, frame.data(), frame.size());
        slot.length = uint32_t(frame.size());
        ++filled;
    }
    update_readable_locked();
    return filled;
}

// TapDevice::write_frames: frames in order; one "the kernel" refuses is consumed and counted
// (tx_rejected); a full backlog stops early.
Result<size_t> FakeFrameDevice::write_frames(std::span<const tap::ConstFrame> frames) {
    std::lock_guard lock(m_mutex);
    size_t consumed = 0;
    for (const tap::ConstFrame &frame : frames) {
        if (m_write_budget == 0) {
            m_write_budget = -1; // the backlog drains: the next call is accepted again
            break;
        }
        if (m_write_budget > 0)
            --m_write_budget;
        if (frame.length < m_min_frame) {
            bump(m_counters.tx_rejected);
            bump(m_counters.tx_rejected_bytes, frame.length);
        } else {
            const auto *data = reinterpret_cast<const uint8_t *>(frame.data);
            m_received.emplace_back(data, data + frame.length);
            m_received_vnet.push_back(frame.vnet);
        }
        ++consumed;
    }
    return consumed;
}

// ---- FakeNetwork ---------------------------------------------------------------------------------

Result<std::unique_ptr<tap::FrameDevice>>
FakeNetwork::create_device(const std::string &name_pattern, uint32_t queues) {
    if (refuse_devices)
        return Error::from_errno(EPERM, "open(/dev/net/tun)");
    std::string name = name_pattern;
    if (size_t unit = name.find("%d"); unit != std::string::npos)
        name.replace(unit, 2, std::to_string(devices_created));
    auto created = std::make_unique<FakeFrameDevice>(name, int(100 + devices_created),
                                                     std::max<uint32_t>(1, queues));
    device = created.get();
    ++devices_created;
    return std::unique_ptr<tap::FrameDevice>(std::move(created));
}

Result<void> FakeNetwork::watch_link(int ifindex) {
    watched[ifindex] = true;
    return {};
}

void FakeNetwork::unwatch_link(int ifindex) { watched[ifindex] = false; }

Result<void> FakeNetwork::set_link_mtu(int ifindex, uint32_t mtu) {
    mtu_puts.emplace_back(ifindex, mtu);
    return {};
}

Result<void> FakeNetwork::set_link_offloads(int ifindex, uint32_t mask, uint32_t offloads) {
    offload_puts.push_back({ifindex, mask, offloads});
    return {};
}

Result<void> FakeNetwork::set_link_alias(int ifindex, const std::string &alias) {
    aliases[ifindex] = alias;
    return {};
}

// ---- FakeHost --------------------------------------------------------------------------------------

FakeHost::FakeHost() : m_pidfd(make_eventfd()) {}

void FakeHost::kill() {
    ++m_kills;
    if (!m_status)
        exit(SIGKILL); // a wait status "killed by signal 9"
}

void FakeHost::exit(int wait_status) {
    if (m_status)
        return;
    m_status = wait_status;
    set_readable(m_pidfd.get(), true);
}

bool FakeHost::try_reap(int &status) {
    if (!m_status || m_reaped)
        return false;
    status = *m_status;
    m_reaped = true;
    return true;
}

Result<netlink::LinkState> FakeNetwork::query_link(int ifindex) {
    if (deleted.count(ifindex) != 0)
        return Error::from_errno(ENODEV, "RTM_GETLINK");
    auto link = links.find(ifindex);
    if (link == links.end()) {
        netlink::LinkState unknown;
        unknown.ifindex = ifindex;
        return unknown;
    }
    return link->second;
}

std::optional<netlink::LinkState> FakeNetwork::link_state(int ifindex) const {
    auto link = links.find(ifindex);
    return link == links.end() ? std::nullopt : std::optional<netlink::LinkState>(link->second);
}

std::vector<MacAddress> FakeNetwork::multicast_addresses(int ifindex) const {
    auto found = groups.find(ifindex);
    return found == groups.end() ? std::vector<MacAddress>{} : found->second;
}

} // namespace netdext::daemon::testing
