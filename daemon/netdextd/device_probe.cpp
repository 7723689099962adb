// DeviceProbe: netdext-host --describe-device in its sandbox (see device_probe.h).

#include "device_probe.h"

#include <netdext/protocol/host_protocol.h>

#include <poll.h>

namespace netdext::daemon {

namespace ipc = netdext::shm::ipc;

std::unique_ptr<DeviceProbe> DeviceProbe::start(const std::string &spec,
                                                const std::string &host_binary,
                                                const sandbox::SandboxSettings &sandbox,
                                                uint64_t number, std::string &error) {
    auto pair = ipc::Channel::create_pair(protocol::kProtocol);
    if (!pair) {
        error = "creating the probe's channel: " + pair.error().describe();
        return nullptr;
    }
    auto [daemon_end, host_end] = pair.release_value();
    HostOptions options;
    options.host_binary = host_binary;
    options.bundle_id = "netdext.device-probe." + std::to_string(number);
    options.describe_device = spec;
    options.sandbox = sandbox;
    auto process = HostProcess::spawn(options, host_end.fd());
    if (!process) {
        error = "starting the device probe (netdext-host): " + process.error().describe();
        return nullptr;
    }
    return std::unique_ptr<DeviceProbe>(
        new DeviceProbe(process.release_value(), std::move(daemon_end)));
}

DeviceProbe::DeviceProbe(HostProcess process, ipc::Channel channel)
    : m_process(std::move(process)), m_channel(std::move(channel)),
      m_deadline(std::chrono::steady_clock::now() + kTimeout) {}

DeviceProbe::~DeviceProbe() = default; // HostProcess kills and reaps what still runs

void DeviceProbe::fail(const std::string &why) {
    m_done = true;
    m_error = why;
    m_channel.reset();
}

void DeviceProbe::time_out() {
    if (m_done)
        return;
    m_process.kill();
    fail("the device probe did not answer within " + std::to_string(kTimeout.count()) + " s");
}

bool DeviceProbe::on_readable() {
    if (m_done || !m_channel)
        return true;
    for (;;) {
        auto received = m_channel->receive();
        if (!received) {
            const shm::Error &e = received.error();
            if (e.code() == shm::ErrorCode::WouldBlock)
                return false;
            if (e.code() != shm::ErrorCode::PeerClosed) {
                m_process.kill();
                fail("the device probe sent a malformed message: " + e.describe());
                return true;
            }
            // It ended without describing the device: say how (a seccomp kill, a crash).
            std::string last;
            m_process.output().drain([&](const std::string &line) { last = line; });
            int status = 0;
            std::string how = "ended without describing the device";
            pollfd exited{m_process.pidfd(), POLLIN, 0}; // its channel closed: it is exiting
            (void)poll(&exited, 1, 1000);
            if (m_process.try_reap(status))
                how += " (" + describe_wait_status(status) + ")";
            fail("the device probe " + how + (last.empty() ? "" : ": " + last));
            return true;
        }
        ipc::ReceivedMessage &message = received.value();
        auto description = message.as<protocol::DeviceDescription>();
        if (message.type() != protocol::DeviceDescription::kType || !description) {
            m_process.kill();
            fail("the device probe sent message type " + std::to_string(message.type()));
            return true;
        }
        std::string why;
        m_result = devices::check_description(description.value(), message.payload().size(), why);
        if (!m_result)
            fail(why);
        m_done = true;
        m_channel.reset();
        return true;
    }
}

} // namespace netdext::daemon
