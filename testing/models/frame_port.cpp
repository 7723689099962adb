// FramePort: a simulated NIC's cable (netdext/model/frame_port.h).

#include <netdext/model/frame_port.h>

namespace netdext::model {

void FramePort::set_receiver(Receiver receiver) {
    std::lock_guard lock(m_mutex);
    m_receiver = receiver ? std::make_shared<Receiver>(std::move(receiver)) : nullptr;
}

void FramePort::connect(Peer peer) {
    std::lock_guard lock(m_mutex);
    m_peer = peer ? std::make_shared<Peer>(std::move(peer)) : nullptr;
}

bool FramePort::connected() const {
    std::lock_guard lock(m_mutex);
    return m_peer != nullptr;
}

bool FramePort::deliver(std::span<const uint8_t> frame) {
    std::shared_ptr<Receiver> receiver;
    {
        std::lock_guard lock(m_mutex);
        receiver = m_receiver;
    }
    bool taken = receiver && (*receiver)(frame);
    std::lock_guard lock(m_mutex);
    ++(taken ? m_counters.to_device : m_counters.refused_by_device);
    return taken;
}

void FramePort::send(std::span<const uint8_t> frame) {
    std::shared_ptr<Peer> peer;
    {
        std::lock_guard lock(m_mutex);
        peer = m_peer;
        ++(peer ? m_counters.from_device : m_counters.unplugged_drops);
    }
    if (peer)
        (*peer)(frame);
}

FramePort::Counters FramePort::counters() const {
    std::lock_guard lock(m_mutex);
    return m_counters;
}

} // namespace netdext::model
