#include <netdext/shm/ownership.h>
#include <netdext/shm/validation.h>

namespace netdext::shm {

const char *to_string(PacketState state) {
    switch (state) {
    case PacketState::NoBuffer:
        return "no-buffer";
    case PacketState::DaemonFree:
        return "daemon-free";
    case PacketState::DaemonHeld:
        return "daemon-held";
    case PacketState::DriverTx:
        return "driver-tx";
    case PacketState::DriverRx:
        return "driver-rx";
    case PacketState::DriverAllocated:
        return "driver-allocated";
    }
    return "unknown";
}

Result<OwnershipTable> OwnershipTable::create(uint32_t packet_count, uint32_t usable) {
    if (usable > packet_count)
        return Error::from_code(ErrorCode::InvalidArgument, "usable packets exceed packet count");
    OwnershipTable table;
    table.m_states.assign(packet_count, PacketState::NoBuffer);
    for (uint32_t packet = 0; packet < usable; ++packet)
        table.m_states[packet] = PacketState::DaemonFree;
    table.m_counts[static_cast<size_t>(PacketState::DaemonFree)] = usable;
    table.m_counts[static_cast<size_t>(PacketState::NoBuffer)] = packet_count - usable;
    return table;
}

Result<FreeList> FreeList::create(uint32_t capacity) {
    FreeList list;
    list.m_slots.resize(capacity);
    return list;
}

uint32_t FreeList::pop(std::span<uint32_t> out) {
    uint32_t count = out.size() < m_size ? static_cast<uint32_t>(out.size()) : m_size;
    for (uint32_t i = 0; i < count; ++i)
        out[i] = m_slots[--m_size];
    return count;
}

const char *to_string(DropReason reason) {
    switch (reason) {
    case DropReason::IndexOutOfRange:
        return "index_out_of_range";
    case DropReason::NotOwnedByDriver:
        return "not_owned_by_driver";
    case DropReason::WrongQueue:
        return "wrong_queue";
    case DropReason::BufferMismatch:
        return "buffer_mismatch";
    case DropReason::ZeroLengthRx:
        return "zero_length_rx";
    case DropReason::OffsetLengthOutOfBounds:
        return "offset_length_out_of_bounds";
    case DropReason::BadOffloadMetadata:
        return "bad_offload_metadata";
    case DropReason::ChecksumWrong:
        return "rx_checksum_wrong";
    }
    return "unknown";
}

void DropCounters::count(DropReason reason) {
    switch (reason) {
    case DropReason::IndexOutOfRange:
        ++index_out_of_range;
        return;
    case DropReason::NotOwnedByDriver:
        ++not_owned_by_driver;
        return;
    case DropReason::WrongQueue:
        ++wrong_queue;
        return;
    case DropReason::BufferMismatch:
        ++buffer_mismatch;
        return;
    case DropReason::ZeroLengthRx:
        ++zero_length_rx;
        return;
    case DropReason::OffsetLengthOutOfBounds:
        ++offset_length_out_of_bounds;
        return;
    case DropReason::BadOffloadMetadata:
        ++bad_offload_metadata;
        return;
    case DropReason::ChecksumWrong:
        ++rx_checksum_wrong;
        return;
    }
}

uint64_t DropCounters::of(DropReason reason) const {
    switch (reason) {
    case DropReason::IndexOutOfRange:
        return index_out_of_range;
    case DropReason::NotOwnedByDriver:
        return not_owned_by_driver;
    case DropReason::WrongQueue:
        return wrong_queue;
    case DropReason::BufferMismatch:
        return buffer_mismatch;
    case DropReason::ZeroLengthRx:
        return zero_length_rx;
    case DropReason::OffsetLengthOutOfBounds:
        return offset_length_out_of_bounds;
    case DropReason::BadOffloadMetadata:
        return bad_offload_metadata;
    case DropReason::ChecksumWrong:
        return rx_checksum_wrong;
    }
    return 0;
}

uint64_t DropCounters::dropped() const {
    return index_out_of_range + not_owned_by_driver + wrong_queue + buffer_mismatch +
           zero_length_rx + offset_length_out_of_bounds + bad_offload_metadata +
           rx_checksum_wrong;
}

} // namespace netdext::shm
