// FakeDaemon: plays netdextd for one real netdext-host process, in the test's own process and
// thread, without root.
//
// It spawns the host binary with the host end of a fresh control channel at fd 3, answers
// CreatePool and RegisterInterface as the daemon does (sealed memfds from shm::SharedRegion, a
// shm::DaemonEndpoint over them, a daemon and a host doorbell), records every other message, and
// acts as the frame mover when asked (restock RX submission, collect RX completions, submit TX
// frames and reap their completions).
//
// Threading: one test thread. Everything happens inside pump_until(), which sleeps in poll() on
// the control socket, the daemon doorbell and the child's pidfd — events, with a deadline.
// Ownership: the harness owns the child; the destructor kills and reaps it if it still runs.
#pragma once

#include <netdext/protocol/host_protocol.h>
#include <netdext/shm/daemon_endpoint.h>
#include <netdext/shm/ipc/channel.h>
#include <netdext/shm/shared_region.h>
#include <netdext/shm/sys/event_fd.h>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netdext::host::testing {

using namespace std::chrono_literals;

struct HostArgs {
    std::vector<std::string> args; // after the binary; e.g. {"--bundle", path}
    bool with_channel = true;      // false: fd 3 stays closed in the child
};

// The usual command line for the sample driver.
HostArgs sample_args(const std::string &boot_args = {});

class FakeDaemon {
public:
    FakeDaemon() = default;
    ~FakeDaemon();
    FakeDaemon(const FakeDaemon &) = delete;
    FakeDaemon &operator=(const FakeDaemon &) = delete;

    // Spawns netdext-host; false (and `error`) if it could not.
    bool spawn(const HostArgs &args, std::string &error);
    [[nodiscard]] pid_t pid() const { return m_pid; }

    // Services the channel (and, once registered, the rings) until `done()` holds or `deadline`
    // passes; returns done().
    bool pump_until(const std::function<bool()> &done, std::chrono::milliseconds deadline = 10s);

    // ---- the daemon's side of the control protocol ----
    // Sends a DriverCall; returns its sequence (0 if the send failed).
    uint64_t send_call(protocol::Call call, uint32_t arg = 0);
    // Sends a DriverCall and waits for its reply.
    std::optional<protocol::DriverCallReply> call(protocol::Call call, uint32_t arg = 0,
                                                  std::chrono::milliseconds deadline = 10s);
    std::optional<protocol::DriverCallReply>
    set_multicast_list(const std::vector<std::array<uint8_t, 6>> &addresses,
                       std::chrono::milliseconds deadline = 10s);
    bool send_terminate();
    // Sends bytes as they are (for malformed-message tests).
    bool send_raw(std::span<const std::byte> bytes);
    template <class M> bool send_message(const M &message, std::span<const int> fds = {}) {
        return m_channel && m_channel->send(message, fds).is_error() == false;
    }
    // Closes the daemon's end of the channel.
    void close_channel();
    // Waits for the child to exit; its wait status, or nullopt at the deadline.
    std::optional<int> wait_exit(std::chrono::milliseconds deadline = 10s);

    // Answers to CreatePool: success (a real pool) unless set.
    std::optional<int32_t> refuse_pools_with;
    // Keep RX submission stocked with empty buffers (as the frame mover does once the
    // interface is up).
    bool restock_rx = false;
    // What InterfaceRegistered names the interface.
    std::string interface_name = "ndx7";
    int32_t interface_unit = 7;

    // ---- the frame mover ----
    [[nodiscard]] bool registered() const { return m_endpoint != nullptr; }
    // Copies `frames` into free packets and submits them on TX submission (the endpoint rings
    // the host doorbell when the driver asked). Returns how many were submitted.
    uint32_t transmit(const std::vector<std::vector<uint8_t>> &frames);
    [[nodiscard]] uint64_t host_doorbell_rings() const;
    [[nodiscard]] const shm::DropCounters *drops() const;

    // ---- what the host sent ----
    std::optional<protocol::Hello> hello;
    std::optional<int32_t> start_result;
    std::optional<protocol::RegisterInterface> registration;
    std::vector<protocol::LinkStatus> link_statuses;
    std::vector<uint32_t> media_types;
    std::vector<protocol::QueueEnable> queue_enables;
    std::vector<std::string> logs;
    std::vector<std::string> misuses;
    std::vector<uint64_t> released_pools;
    int unregistrations = 0;
    std::map<uint64_t, protocol::DriverCallReply> replies; // by the call's sequence
    std::vector<std::vector<uint8_t>> rx_frames;           // validated RX completions
    uint64_t tx_completed = 0;
    bool peer_closed = false;
    std::optional<int> exit_status; // wait status once reaped
    // Simulated devices' messages (types 80–99: DeviceAttached, DeviceDescription, …), in order.
    std::vector<shm::ipc::ReceivedMessage> device_messages;

    // True when some log line contains `text`.
    [[nodiscard]] bool logged(const std::string &text) const;
    // Every log line, for failure messages.
    [[nodiscard]] std::string log_text() const;

private:
    struct Pool {
        std::unique_ptr<shm::SharedRegion> region;
        shm::PoolLayout layout;
    };

    void drain_channel();
    void handle(shm::ipc::ReceivedMessage &message);
    void answer_create_pool(const shm::ipc::ReceivedMessage &message);
    void answer_register_interface(const shm::ipc::ReceivedMessage &message);
    void service_rings();
    void try_reap();

    std::optional<shm::ipc::Channel> m_channel; // the daemon's end
    pid_t m_pid = -1;
    int m_pidfd = -1;
    std::map<uint64_t, Pool> m_pools;
    uint64_t m_next_pool_id = 1;
    std::unique_ptr<shm::SharedRegion> m_rings;
    std::unique_ptr<shm::EventFd> m_daemon_doorbell;
    std::unique_ptr<shm::EventFd> m_host_doorbell;
    std::unique_ptr<shm::DaemonEndpoint> m_endpoint;
};

} // namespace netdext::host::testing
