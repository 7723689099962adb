/*
 * netdext/model/fd_wire.h — a device's cable on a file descriptor: how netdext-host connects a
 * simulated NIC to the socket netdextd pumps to its TAP (docs/devices.md, "Devices under
 * netdextd").
 *
 * The descriptor carries one Ethernet frame per read and per write: a TAP opened with
 * IFF_TAP | IFF_NO_PI, or one end of a SOCK_SEQPACKET / SOCK_DGRAM socketpair (the other end in
 * another process). Every frame the device transmits is written to it; a thread reads it and
 * delivers each frame into the device. The wire stops — its thread joined, the cable unplugged —
 * when it is destroyed, or by itself when the descriptor reaches end-of-file or an error.
 *
 *     auto wire = netdext::model::FdWire::create(*device->wire(), std::move(tap_fd), error);
 *
 * Threading: the device's frames are written from whatever thread sends them (a full descriptor
 * drops the frame, counted, as a cable does); deliveries come from the wire's own thread.
 */
#ifndef _NETDEXT_MODEL_FD_WIRE_H
#define _NETDEXT_MODEL_FD_WIRE_H

#include <netdext/model/frame_port.h>
#include <netdext/unique_fd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace netdext::model {

class FdWire {
public:
    struct Counters {
        uint64_t to_fd = 0;        /* frames the device sent, written */
        uint64_t write_drops = 0;  /* … dropped: the descriptor was full or failed */
        uint64_t from_fd = 0;      /* frames read and delivered to the device */
        uint64_t refused = 0;      /* … that the device refused */
    };

    /* Connects `port` to `fd` (non-blocking afterwards); nullptr with a message on failure. */
    static std::unique_ptr<FdWire> create(FramePort &port, UniqueFd fd, std::string &error);
    ~FdWire();
    FdWire(const FdWire &) = delete;
    FdWire &operator=(const FdWire &) = delete;

    Counters counters() const;
    /* False once the descriptor reached end-of-file or failed. */
    bool running() const { return m_running.load(); }

private:
    struct Shared;
    FdWire(FramePort &port, std::shared_ptr<Shared> shared);
    void run();

    FramePort &m_port;
    std::shared_ptr<Shared> m_shared;
    std::atomic<bool> m_running{true};
    std::thread m_thread;
};

} // namespace netdext::model

#endif
