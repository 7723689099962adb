// Who holds each packet, from the daemon's point of view — kept in daemon-private memory, never in
// a shared region, so a driver cannot lie about it (DESIGN §4).
//
// Ownership and the free list are touched only by the daemon thread that runs the interface's
// DaemonEndpoint; neither is thread-safe. Both allocate once in create() and never again.
#pragma once

#include <netdext/shm/result.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace netdext::shm {

enum class PacketState : uint8_t {
    NoBuffer,        // packet index beyond buffer_count: never circulates
    DaemonFree,      // on the daemon's free list
    DaemonHeld,      // taken by the daemon: a TX frame being filled, an RX frame being delivered
    DriverTx,        // published on TX submission (in the ring or in the driver's hands)
    DriverRx,        // published on RX submission
    DriverAllocated, // published on the allocation ring
};
inline constexpr size_t kPacketStateCount = 6;
[[nodiscard]] const char *to_string(PacketState state);
[[nodiscard]] constexpr bool driver_owns(PacketState state) {
    return state == PacketState::DriverTx || state == PacketState::DriverRx ||
           state == PacketState::DriverAllocated;
}

class OwnershipTable {
public:
    // Packets [0, usable) start DaemonFree, the rest NoBuffer.
    [[nodiscard]] static Result<OwnershipTable> create(uint32_t packet_count, uint32_t usable);

    [[nodiscard]] uint32_t size() const { return static_cast<uint32_t>(m_states.size()); }
    // `packet` must be < size(); callers range-check untrusted indices first.
    [[nodiscard]] PacketState state(uint32_t packet) const { return m_states[packet]; }
    void set(uint32_t packet, PacketState state) {
        SHM_VERIFY(packet < m_states.size());
        PacketState &slot = m_states[packet];
        SHM_VERIFY(slot != PacketState::NoBuffer && state != PacketState::NoBuffer);
        --m_counts[static_cast<size_t>(slot)];
        ++m_counts[static_cast<size_t>(state)];
        slot = state;
    }
    // How many packets are in `state` right now (kept incrementally).
    [[nodiscard]] uint32_t count(PacketState state) const {
        return m_counts[static_cast<size_t>(state)];
    }

private:
    OwnershipTable() = default;

    std::vector<PacketState> m_states;
    std::array<uint32_t, kPacketStateCount> m_counts{};
};

// LIFO stack of DaemonFree packet indices (the most recently used buffer is the warmest).
class FreeList {
public:
    [[nodiscard]] static Result<FreeList> create(uint32_t capacity);

    [[nodiscard]] uint32_t size() const { return m_size; }
    // VERIFYs room, which holds because a packet is on the list at most once.
    void push(uint32_t packet) {
        SHM_VERIFY(m_size < m_slots.size());
        m_slots[m_size++] = packet;
    }
    // Pops up to out.size() packets; returns how many.
    [[nodiscard]] uint32_t pop(std::span<uint32_t> out);

private:
    FreeList() = default;

    std::vector<uint32_t> m_slots;
    uint32_t m_size = 0;
};

} // namespace netdext::shm
