// The production SessionHost and SessionNetwork (see session_ports.h).

#include "session_ports.h"

#include "netlink/link_watcher.h"
#include "netlink/route_socket.h"
#include "tap/tap_device.h"

#include <algorithm>
#include <utility>

namespace netdext::daemon {

namespace {

class SpawnedHost final : public SessionHost {
public:
    explicit SpawnedHost(HostProcess process) : m_process(std::move(process)) {}
    pid_t pid() const override { return m_process.pid(); }
    int pidfd() const override { return m_process.pidfd(); }
    bool running() const override { return m_process.running(); }
    void kill() override { m_process.kill(); }
    bool try_reap(int &status) override { return m_process.try_reap(status); }
    int output_fd() const override { return m_process.output_fd(); }
    void drain_output(const std::function<void(const std::string &)> &line) override {
        if (m_process.output_fd() >= 0)
            m_process.output().drain(line);
    }
    uid_t uid() const override { return m_process.uid(); }
    std::string cgroup() const override { return m_process.cgroup(); }

private:
    HostProcess m_process;
};

class KernelNetwork final : public SessionNetwork {
public:
    KernelNetwork(netlink::LinkWatcher &watcher, netlink::RouteSocket &route, bool batched_io)
        : m_watcher(watcher), m_route(route), m_batched_io(batched_io) {}

    Result<std::unique_ptr<tap::FrameDevice>> create_device(const std::string &name_pattern,
                                                            uint32_t queues) override {
        // Always with virtio headers: the offloads a driver declares are switched on later
        // (TUNSETOFFLOAD); without any the headers stay zero and the frames are unchanged.
        tap::TapDevice::Options options;
        options.vnet_header = true;
        options.batched_io = m_batched_io;
        options.queues = std::max<uint32_t>(1, queues);
        auto tap = tap::TapDevice::create(name_pattern, options);
        if (!tap)
            return tap.error();
        return std::unique_ptr<tap::FrameDevice>(
            std::make_unique<tap::TapDevice>(tap.release_value()));
    }
    Result<void> watch_link(int ifindex) override { return m_watcher.watch(ifindex); }
    void unwatch_link(int ifindex) override { m_watcher.unwatch(ifindex); }
    Result<void> set_link_mtu(int ifindex, uint32_t mtu) override {
        return m_route.set_mtu(ifindex, mtu);
    }
    Result<void> set_link_offloads(int ifindex, uint32_t mask, uint32_t offloads) override {
        return m_watcher.set_offloads(ifindex, mask, offloads);
    }
    Result<void> set_link_alias(int ifindex, const std::string &alias) override {
        return m_route.set_alias(ifindex, alias);
    }
    Result<netlink::LinkState> query_link(int ifindex) override {
        return m_route.get_link(ifindex);
    }
    std::optional<netlink::LinkState> link_state(int ifindex) const override {
        const netlink::LinkState *state = m_watcher.state(ifindex);
        return state ? std::optional<netlink::LinkState>(*state) : std::nullopt;
    }
    std::vector<MacAddress> multicast_addresses(int ifindex) const override {
        auto groups = m_watcher.multicast_addresses(ifindex);
        return {groups.begin(), groups.end()};
    }

private:
    netlink::LinkWatcher &m_watcher;
    netlink::RouteSocket &m_route;
    bool m_batched_io;
};

} // namespace

std::unique_ptr<SessionHost> spawned_host(HostProcess process) {
    return std::make_unique<SpawnedHost>(std::move(process));
}

std::unique_ptr<SessionNetwork> kernel_network(netlink::LinkWatcher &watcher,
                                               netlink::RouteSocket &route, bool batched_io) {
    return std::make_unique<KernelNetwork>(watcher, route, batched_io);
}

} // namespace netdext::daemon
