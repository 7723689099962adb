// Fakes of what a DextSession and a NetInterface need from the system (session_ports.h,
// tap/frame_device.h), so the daemon's logic runs in tests without root:
//   FakeFrameDevice  a TAP: the test plays the stack (send() a frame out of the interface, see
//                    what the daemon wrote with received()); its fd() is an eventfd readable
//                    while a frame is pending, so the mover's poll() works as with a TAP.
//   FakeNetwork      creates FakeFrameDevices ("en0", "en1"… as the kernel names them) and
//                    records watch/unwatch and MTU puts-back.
//   FakeHost         a netdext-host that never runs: its pidfd is an eventfd the test makes
//                    readable with exit(); kill() records the SIGKILL and "exits" by it.
// Threads: FakeFrameDevice is used by the mover thread and the test thread at once (one mutex);
// the others belong to the test thread.
#pragma once

#include "session_ports.h"

#include <netdext/unique_fd.h>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace netdext::daemon::testing {

using Bytes = std::vector<uint8_t>;

class FakeFrameDevice final : public tap::FrameDevice {
public:
    // `queues` > 1: a multi-queue device; queue(i) is a FakeFrameDevice of its own (same name
    // and ifindex) that the test plays the stack on separately.
    FakeFrameDevice(std::string name, int ifindex, uint32_t queues = 1);

    // ---- the stack (test thread) ----
    // A frame the stack sends out of the interface: pending until the daemon reads it.
    void send(Bytes frame, tap::VnetBytes vnet = {});
    [[nodiscard]] size_t pending() const;
    // Frames the daemon wrote (the stack received them), in order; take_received() empties.
    [[nodiscard]] std::vector<Bytes> received() const;
    std::vector<Bytes> take_received();
    // The virtio headers of the frames written, in the same order (take_received_vnet empties).
    std::vector<tap::VnetBytes> take_received_vnet();
    // Frames write_frames() accepts before answering "backlog full" (EAGAIN), then resets; a
    // negative value means unlimited.
    void set_write_budget(int frames);
    // Frames shorter than this are refused by "the kernel" (counted in tx_rejected), as a TAP
    // refuses frames shorter than an Ethernet header.
    void set_min_frame(uint32_t bytes);

    // ---- what the daemon set ----
    [[nodiscard]] std::optional<bool> carrier() const;
    [[nodiscard]] std::optional<MacAddress> mac() const;
    [[nodiscard]] std::optional<uint32_t> mtu() const;
    [[nodiscard]] std::optional<uint32_t> txqueuelen() const;
    [[nodiscard]] uint64_t read_calls() const;
    // The last set_link_settings(): Mb/s (0 unknown) and duplex (nullopt unknown).
    [[nodiscard]] std::optional<std::pair<uint32_t, std::optional<bool>>> link_settings() const;

    // ---- FrameDevice ----
    int fd() const override { return m_event.get(); }
    int ifindex() const override { return m_ifindex; }
    const std::string &name() const override { return m_name; }
    Result<void> set_mac(const MacAddress &mac) override;
    Result<void> set_mtu(uint32_t mtu) override;
    Result<void> set_txqueuelen(uint32_t length) override;
    Result<void> set_offload(unsigned tun_flags) override {
        offload = tun_flags;
        return {};
    }
    [[nodiscard]] bool has_vnet_header() const override { return true; }
    unsigned offload = 0; // the last TUNSETOFFLOAD
    Result<void> set_gso_max_size(uint32_t bytes) override {
        gso_max_size = bytes;
        return {};
    }
    uint32_t gso_max_size = 65536;
    Result<void> set_carrier(bool on) override;
    Result<void> set_link_settings(uint32_t speed_mbps, std::optional<bool> full_duplex) override;
    Result<size_t> read_frames(std::span<tap::FrameSlot> slots) override;
    Result<size_t> write_frames(std::span<const tap::ConstFrame> frames) override;
    const tap::TapCounters &counters() const override { return m_counters; }
    uint32_t queue_count() const override { return 1 + uint32_t(m_queues.size()); }
    FrameDevice &queue(uint32_t index) override { return queue_device(index); }
    Result<void> set_active_queues(uint32_t count) override {
        if (count == 0 || count > queue_count())
            return Error::from_errno(EINVAL, "active queues");
        active_queues = count;
        return {};
    }
    [[nodiscard]] FakeFrameDevice &queue_device(uint32_t index) {
        return index == 0 || index > m_queues.size() ? *this : *m_queues[index - 1];
    }
    uint32_t active_queues = 1; // the last set_active_queues()

private:
    void update_readable_locked();

    std::string m_name;
    int m_ifindex;
    UniqueFd m_event;
    mutable std::mutex m_mutex;
    std::deque<Bytes> m_pending;
    std::deque<tap::VnetBytes> m_pending_vnet;
    std::vector<tap::VnetBytes> m_received_vnet;
    std::vector<Bytes> m_received;
    int m_write_budget = -1;
    uint32_t m_min_frame = 14;
    bool m_readable = false;
    std::optional<bool> m_carrier;
    std::optional<MacAddress> m_mac;
    std::optional<uint32_t> m_mtu, m_txqueuelen;
    std::optional<std::pair<uint32_t, std::optional<bool>>> m_link_settings;
    uint64_t m_read_calls = 0;
    tap::TapCounters m_counters;
    std::vector<std::unique_ptr<FakeFrameDevice>> m_queues; // queues 1 …
};

class FakeNetwork final : public SessionNetwork {
public:
    Result<std::unique_ptr<tap::FrameDevice>> create_device(const std::string &name_pattern,
                                                            uint32_t queues) override;
    Result<void> watch_link(int ifindex) override;
    void unwatch_link(int ifindex) override;
    Result<void> set_link_mtu(int ifindex, uint32_t mtu) override;
    Result<void> set_link_offloads(int ifindex, uint32_t mask, uint32_t offloads) override;
    Result<void> set_link_alias(int ifindex, const std::string &alias) override;
    Result<netlink::LinkState> query_link(int ifindex) override;
    std::optional<netlink::LinkState> link_state(int ifindex) const override;
    std::vector<MacAddress> multicast_addresses(int ifindex) const override;

    // What the kernel and the link watcher say of a link (query_link, link_state); unset links
    // are unknown (query_link: no MTU known), deleted ones gone (query_link: ENODEV).
    std::map<int, netlink::LinkState> links;
    std::set<int> deleted;
    std::map<int, std::vector<MacAddress>> groups;
    // The last device created (owned by the session's InterfaceSlot; valid while it exists).
    FakeFrameDevice *device = nullptr;
    size_t devices_created = 0;
    bool refuse_devices = false; // create_device fails with EPERM, as without CAP_NET_ADMIN
    std::map<int, bool> watched;  // ifindex → watched now
    std::vector<std::pair<int, uint32_t>> mtu_puts; // set_link_mtu calls
    struct OffloadPut {
        int ifindex;
        uint32_t mask;
        uint32_t offloads;
    };
    std::vector<OffloadPut> offload_puts; // set_link_offloads calls
    std::map<int, std::string> aliases;             // set_link_alias: ifindex → alias
};

class FakeHost final : public SessionHost {
public:
    FakeHost();
    pid_t pid() const override { return 4242; }
    int pidfd() const override { return m_pidfd.get(); }
    bool running() const override { return !m_reaped; }
    void kill() override;
    bool try_reap(int &status) override;
    int output_fd() const override { return -1; }
    void drain_output(const std::function<void(const std::string &)> &line) override {
        for (const std::string &text : output)
            line(text);
        output.clear();
    }
    uid_t uid() const override { return 61234; }
    std::string cgroup() const override { return {}; }

    std::vector<std::string> output; // lines the host "wrote", delivered by the next drain

    // The host exits with this wait status (e.g. W_EXITCODE(0, 0), or a signal number).
    void exit(int wait_status);
    [[nodiscard]] int kills() const { return m_kills; }

private:
    UniqueFd m_pidfd;
    std::optional<int> m_status;
    bool m_reaped = false;
    int m_kills = 0;
};

} // namespace netdext::daemon::testing
