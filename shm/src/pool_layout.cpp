#include <netdext/shm/pool_layout.h>

#include "checked_math.h"

#include <cstring>

namespace netdext::shm {

Result<PoolLayout> PoolLayout::compute(uint32_t packet_count, uint32_t buffer_count,
                                       uint32_t buffer_size) {
    if (packet_count == 0 || packet_count > kMaxPackets)
        return Error::from_code(ErrorCode::InvalidArgument, "pool packet count");
    if (buffer_count == 0 || buffer_count > kMaxBuffers)
        return Error::from_code(ErrorCode::InvalidArgument, "pool buffer count");
    if (buffer_size < kMinBufferSize || buffer_size > kMaxBufferSize)
        return Error::from_code(ErrorCode::InvalidArgument, "pool buffer size");

    PoolLayout layout;
    layout.packet_count = packet_count;
    layout.buffer_count = buffer_count;
    layout.buffer_size = buffer_size;

    uint64_t stride = 0, descriptors = 0, descriptor_end = 0, buffers = 0, end = 0, total = 0;
    if (!checked_align_up(buffer_size, kBufferAlignment, stride) ||
        !checked_mul(packet_count, sizeof(PacketDescriptor), descriptors) ||
        !checked_add(sizeof(PoolHeader), descriptors, descriptor_end) ||
        !checked_align_up(descriptor_end, kRegionAlignment, layout.buffer_offset) ||
        !checked_mul(buffer_count, stride, buffers) ||
        !checked_add(layout.buffer_offset, buffers, end) ||
        !checked_align_up(end, kRegionAlignment, total))
        return Error::from_code(ErrorCode::InvalidArgument, "pool size overflows");
    if (total > kMaxPoolBytes)
        return Error::from_code(ErrorCode::InvalidArgument, "pool larger than kMaxPoolBytes");

    layout.buffer_stride = static_cast<uint32_t>(stride);
    layout.descriptor_offset = sizeof(PoolHeader);
    layout.total_size = total;
    return layout;
}

namespace {

PoolHeader header_for(const PoolLayout &layout) {
    PoolHeader header{};
    header.magic = kPoolMagic;
    header.version = kPoolLayoutVersion;
    header.header_size = sizeof(PoolHeader);
    header.descriptor_size = sizeof(PacketDescriptor);
    header.packet_count = layout.packet_count;
    header.buffer_count = layout.buffer_count;
    header.buffer_size = layout.buffer_size;
    header.buffer_stride = layout.buffer_stride;
    header.descriptor_offset = layout.descriptor_offset;
    header.buffer_offset = layout.buffer_offset;
    header.total_size = layout.total_size;
    return header;
}

} // namespace

void PoolLayout::initialize(std::span<std::byte> region) const {
    SHM_VERIFY(region.size() == total_size);
    PoolHeader header = header_for(*this);
    std::memcpy(region.data(), &header, sizeof header);
    uint32_t usable = usable_packet_count();
    for (uint32_t packet = 0; packet < packet_count; ++packet) {
        PacketDescriptor descriptor{};
        descriptor.buffer_index = packet < usable ? packet : kNoBuffer;
        std::memcpy(region.data() + descriptor_offset_of(packet), &descriptor, sizeof descriptor);
    }
}

Result<void> PoolLayout::check(std::span<const std::byte> region) const {
    if (region.size() != total_size)
        return Error::from_code(ErrorCode::LayoutMismatch, "pool region size");
    PoolHeader found;
    std::memcpy(&found, region.data(), sizeof found);
    if (found.magic != kPoolMagic)
        return Error::from_code(ErrorCode::LayoutMismatch, "pool header magic");
    if (found.version != kPoolLayoutVersion)
        return Error::from_code(ErrorCode::LayoutMismatch, "pool layout version");
    PoolHeader expected = header_for(*this);
    if (std::memcmp(&found, &expected, sizeof found) != 0)
        return Error::from_code(ErrorCode::LayoutMismatch, "pool header fields");
    return {};
}

} // namespace netdext::shm
