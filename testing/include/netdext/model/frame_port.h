/*
 * netdext/model/frame_port.h — a simulated NIC's network cable.
 *
 * A device model owns one FramePort: what the device transmits goes to the port's peer, and
 * what the peer sends arrives at the device's receiver. The system decides what the peer is:
 * the driver test bench records frames and lets the test send some (DriverBench::send_from_wire
 * / take_from_wire), netdext-sim reads and writes pcap files, and under netdextd the port is
 * connected to a TAP (FdWire on a socket the daemon pumps; docs/devices.md), so that a sample's
 * traffic reaches a network namespace. With no peer
 * the cable is unplugged: the device's frames are dropped and counted.
 *
 * Threading: any thread. The receiver and the peer are called without the port's lock; each
 * call works on a copy of the callable taken under the lock, so whoever installs one keeps what
 * it captures alive for as long as a call may be running (a shared_ptr capture does that).
 */
#ifndef _NETDEXT_MODEL_FRAME_PORT_H
#define _NETDEXT_MODEL_FRAME_PORT_H

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

namespace netdext::model {

class FramePort {
public:
    /* The device side: takes a frame from the cable; false when the device refused it (link
     * down, receiver off, filtered, no buffer). */
    using Receiver = std::function<bool(std::span<const uint8_t>)>;
    /* The peer: gets every frame the device transmits, Ethernet header first, no FCS. */
    using Peer = std::function<void(std::span<const uint8_t>)>;

    struct Counters {
        uint64_t to_device = 0;          /* frames the peer sent that the device took */
        uint64_t refused_by_device = 0;  /* … that the device refused */
        uint64_t from_device = 0;        /* frames the device sent to a connected peer */
        uint64_t unplugged_drops = 0;    /* … with no peer connected */
    };

    /* By the device model, once. */
    void set_receiver(Receiver receiver);
    /* By the system: connects the peer (nullptr unplugs). */
    void connect(Peer peer);
    bool connected() const;

    /* The peer sends a frame into the device. */
    bool deliver(std::span<const uint8_t> frame);
    /* The device transmits a frame. */
    void send(std::span<const uint8_t> frame);

    Counters counters() const;

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<Receiver> m_receiver;
    std::shared_ptr<Peer> m_peer;
    Counters m_counters;
};

} // namespace netdext::model

#endif
