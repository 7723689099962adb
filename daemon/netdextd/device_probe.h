// DeviceProbe: asks a sandboxed netdext-host what a device looks like before netdextd matches it
// (docs/devices.md, "Devices under netdextd").
//
// Models are code; netdextd runs none of it. `netdextctl device attach SPEC` starts
// `netdext-host --describe-device SPEC` in the same sandbox a driver gets (its own uid, no
// capabilities, seccomp, no bundle in its view): it creates the model, enumerates it as the
// kernel would and sends one DeviceDescription — the providers matching needs, or why the spec is
// wrong — then exits. The daemon checks that message like anything else from a host
// (daemon/devices/device_description.h).
//
// Threads: the daemon's main thread; fd() goes into its epoll.
#pragma once

#include "host_process.h"

#include "device_description.h"

#include <netdext/shm/ipc/channel.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace netdext::daemon {

class DeviceProbe {
public:
    static constexpr std::chrono::seconds kTimeout{10};

    // Starts the probe; nullptr and `error` when netdext-host cannot be started. `number` makes
    // its sandbox identity (uid lease, cgroup) unique among probes running at once.
    static std::unique_ptr<DeviceProbe> start(const std::string &spec,
                                              const std::string &host_binary,
                                              const sandbox::SandboxSettings &sandbox,
                                              uint64_t number, std::string &error);
    ~DeviceProbe(); // kills and reaps a probe still running

    [[nodiscard]] int fd() const { return m_channel ? m_channel->fd() : -1; }
    // Reads what arrived; true once the probe has answered or failed (then result() or error()).
    bool on_readable();
    // The deadline passed: the probe is killed and fails.
    void time_out();
    [[nodiscard]] std::chrono::steady_clock::time_point deadline() const { return m_deadline; }
    [[nodiscard]] bool done() const { return m_done; }
    [[nodiscard]] const std::optional<devices::DeviceDescription> &result() const {
        return m_result;
    }
    [[nodiscard]] const std::string &error() const { return m_error; }

private:
    DeviceProbe(HostProcess process, shm::ipc::Channel channel);
    void fail(const std::string &why);

    HostProcess m_process;
    std::optional<shm::ipc::Channel> m_channel;
    std::chrono::steady_clock::time_point m_deadline;
    bool m_done = false;
    std::optional<devices::DeviceDescription> m_result;
    std::string m_error;
};

} // namespace netdext::daemon
