// ControlLoop: netdext-host's main thread — receives what netdextd sends, checks it, and hands it
// on: replies to the request waiting for them (ControlLink), DriverCall / SetMulticastList /
// Terminate to the DriverRunner. It never calls into the driver itself, so it is always free to
// route the reply a driver method is waiting for.
//
// The daemon is trusted: anything malformed (a rejected datagram, a type the daemon never sends,
// an unknown call, a count past its array) is a bug, reported with protocol_error() (exit 1).
// The daemon closing the channel stops the driver like Terminate (exit 0).
#pragma once

#include "control_link.h"

#include <netdext/shm/sys/event_fd.h>

#include <atomic>
#include <optional>

namespace netdext::host {

class DeviceHost;
class DriverRunner;

// The exit status the first asker chose, and an eventfd that wakes the main loop. Any thread.
class ExitLatch {
public:
    explicit ExitLatch(shm::EventFd event) : m_event(std::move(event)) {}

    void request(int status);
    [[nodiscard]] std::optional<int> status() const;
    [[nodiscard]] int fd() const { return m_event.fd(); }

private:
    shm::EventFd m_event;
    std::atomic<int> m_status{-1};
};

class ControlLoop {
public:
    // `devices`: the host was started --wait-for-device (nullptr: device messages are errors).
    ControlLoop(ControlLink &link, DriverRunner &runner, ExitLatch &exit,
                DeviceHost *devices = nullptr)
        : m_link(link), m_runner(runner), m_exit(exit), m_devices(devices) {}

    // Receives until an exit is requested; returns its status. Main thread.
    int run();

private:
    void handle(shm::ipc::ReceivedMessage &&message);
    void handle_reply(shm::ipc::ReceivedMessage &&message);
    void handle_driver_call(const shm::ipc::ReceivedMessage &message);
    void handle_multicast_list(const shm::ipc::ReceivedMessage &message);
    void peer_closed();
    bool handle_device(shm::ipc::ReceivedMessage &message); // false: not a device message

    ControlLink &m_link;
    DriverRunner &m_runner;
    ExitLatch &m_exit;
    DeviceHost *m_devices;
    bool m_stopping = false; // a Stop or Terminate was posted
};

} // namespace netdext::host
