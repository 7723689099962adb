// What a DextSession needs from the system besides shared memory: the host process it supervises
// and the network (a TAP per interface, rtnetlink). Memfds, eventfds and the control channel work
// for any user, so sessions use them directly; these two need root or a real child, so they sit
// behind small interfaces (CONVENTIONS 5) and tests substitute fakes: a DextSession then runs its
// whole message handling, supervision and entitlement policy without root
// (daemon/netdextd/tests/).
//
// Production: spawned_host() over HostProcess (pidfd), kernel_network() over TapDevice,
// LinkWatcher and RouteSocket. Threads: the daemon's main thread, like the session.
#pragma once

#include "common/result.h"
#include "host_process.h"
#include "netlink/link_state.h"
#include "tap/frame_device.h"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netdext::netlink {
class LinkWatcher;
class RouteSocket;
} // namespace netdext::netlink

namespace netdext::daemon {

// The netdext-host child of one session.
class SessionHost {
public:
    virtual ~SessionHost() = default;
    [[nodiscard]] virtual pid_t pid() const = 0;
    // Readable (EPOLLIN) once the child has exited.
    [[nodiscard]] virtual int pidfd() const = 0;
    [[nodiscard]] virtual bool running() const = 0;
    virtual void kill() = 0; // SIGKILL
    // Reaps the child if it has exited; returns true and sets `status` (a wait status) then.
    virtual bool try_reap(int &status) = 0;
    // The host's standard output and error (docs/sandbox.md): the read end (-1 once closed), and
    // each complete line read from it now.
    [[nodiscard]] virtual int output_fd() const = 0;
    virtual void drain_output(const std::function<void(const std::string &)> &line) = 0;
    // The extension's uid (0 without the sandbox) and cgroup directory ("" without one).
    [[nodiscard]] virtual uid_t uid() const = 0;
    [[nodiscard]] virtual std::string cgroup() const = 0;
};

// The Linux side of a session's interface.
class SessionNetwork {
public:
    virtual ~SessionNetwork() = default;
    // A new device named `name_pattern`: "en%d" takes the lowest free unit, "en3" exactly that
    // name. With `queues` > 1, a device of that many queues (a multi-queue TAP, one per queue set
    // of the driver).
    virtual Result<std::unique_ptr<tap::FrameDevice>> create_device(const std::string &name_pattern,
                                                                    uint32_t queues) = 0;
    // Link events of `ifindex` start (stop) reaching DextSession::on_link_event.
    virtual Result<void> watch_link(int ifindex) = 0;
    virtual void unwatch_link(int ifindex) = 0;
    // RTM_NEWLINK IFLA_MTU: puts back an MTU the driver refused.
    virtual Result<void> set_link_mtu(int ifindex, uint32_t mtu) = 0;
    // ETHTOOL_SFEATURES: puts back offloads (kOffload* in `mask`) the driver refused to change.
    virtual Result<void> set_link_offloads(int ifindex, uint32_t mask, uint32_t offloads) = 0;
    // RTM_NEWLINK IFLA_IFALIAS: who drives the interface, for `ip -d link` (the bundle ID).
    virtual Result<void> set_link_alias(int ifindex, const std::string &alias) = 0;
    // RTM_GETLINK: the link as the kernel has it now (a kept interface's MTU).
    virtual Result<netlink::LinkState> query_link(int ifindex) = 0;
    // What the link watcher last reported for a watched link (nullopt: nothing yet), and its
    // link-layer multicast groups: told to a new driver on a kept interface.
    [[nodiscard]] virtual std::optional<netlink::LinkState> link_state(int ifindex) const = 0;
    [[nodiscard]] virtual std::vector<MacAddress> multicast_addresses(int ifindex) const = 0;
};

std::unique_ptr<SessionHost> spawned_host(HostProcess process);
// The watcher and route socket are the daemon's and must outlive the session.
// `batched_io`: the TAPs' frames go through io_uring (tap::TapDevice::Options::batched_io).
std::unique_ptr<SessionNetwork> kernel_network(netlink::LinkWatcher &watcher,
                                               netlink::RouteSocket &route, bool batched_io);

} // namespace netdext::daemon
