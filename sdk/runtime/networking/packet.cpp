// IOUserNetworkPacket: accessors over the packet's shared descriptor, and the family-port switch.

#include <netdext/iig_support.h>
#include <netdext/runtime.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>

#include "state.h"

namespace netdext {

namespace {
std::atomic<FamilyPort *> g_family_port{nullptr};
}

FamilyPort *family_port() { return g_family_port.load(std::memory_order_acquire); }
FamilyPort *install_family_port(FamilyPort *port) {
    return g_family_port.exchange(port, std::memory_order_acq_rel);
}

void report_misuse(const OSObject *object, const char *format, ...) {
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    log_linef(LogLevel::fault, "API misuse: %s", message);
    if (FamilyPort *port = family_port())
        port->report_misuse(object, message);
}

bool take_from_driver(IOUserNetworkPacket *packet, const char *operation) {
    if (packet == nullptr) {
        report_misuse(nullptr, "%s(NULL)", operation);
        return false;
    }
    PacketState *state = packet->netdext_state();
    if (state == nullptr) {
        report_misuse(packet, "%s of a packet that belongs to no pool", operation);
        return false;
    }
    bool expected = true;
    if (!state->held.compare_exchange_strong(expected, false, std::memory_order_acq_rel)) {
        report_misuse(packet,
                      "%s of packet %u which the driver does not hold (already enqueued or "
                      "deallocated, or never dequeued)",
                      operation, state->index);
        return false;
    }
    return true;
}

} // namespace netdext

using netdext::PacketState;

NETDEXT_DEFINE_CLASS(IOUserNetworkPacket, OSObject, nullptr, 0)

kern_return_t IOUserNetworkPacket::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

bool IOUserNetworkPacket::init() { return OSObject::init(); }
void IOUserNetworkPacket::free() { OSObject::free(); }

uint64_t IOUserNetworkPacket::getDataVirtualAddress() const {
    return m_state ? reinterpret_cast<uint64_t>(m_state->buffer) : 0;
}

// netdext: no IOMMU; the device address of a buffer is its address in this process.
uint64_t IOUserNetworkPacket::getDataIOVirtualAddress() const { return getDataVirtualAddress(); }

IOUserNetworkPacketBufferPool *IOUserNetworkPacket::getPacketBufferPool() const {
    return m_state ? m_state->pool->pool : nullptr;
}

uint64_t IOUserNetworkPacket::getMemorySegmentOffset() const {
    if (m_state == nullptr)
        return 0;
    return uint64_t(m_state->buffer - m_state->pool->grant.region.data());
}

// A packet may be changed only while the driver holds it; reports misuse otherwise.
static bool held_for(const IOUserNetworkPacket *packet, PacketState *state, const char *operation) {
    if (state == nullptr)
        return false;
    if (!state->held.load(std::memory_order_acquire)) {
        netdext::report_misuse(packet,
                               "%s on packet %u which the driver does not hold (changed after it "
                               "was enqueued or deallocated)",
                               operation, state->index);
        return false;
    }
    return true;
}

// Checks that the driver holds the packet and offset + length against the buffer; reports misuse.
static bool fits(const IOUserNetworkPacket *packet, PacketState *state, uint64_t offset,
                 uint64_t length, const char *operation) {
    if (!held_for(packet, state, operation))
        return false;
    if (offset + length > state->buffer_size) {
        netdext::report_misuse(packet,
                               "%s: offset %llu + length %llu is past the end of packet %u's "
                               "%u-byte buffer",
                               operation, (unsigned long long)offset, (unsigned long long)length,
                               state->index, state->buffer_size);
        return false;
    }
    return true;
}

kern_return_t IOUserNetworkPacket::setDataLength(uint32_t length) {
    if (!fits(this, m_state, m_state ? m_state->descriptor->data_offset : 0, length,
              "setDataLength"))
        return kIOReturnBadArgument;
    m_state->descriptor->data_length = length;
    return kIOReturnSuccess;
}

uint32_t IOUserNetworkPacket::getDataLength() const {
    return m_state ? m_state->descriptor->data_length : 0;
}

kern_return_t IOUserNetworkPacket::setDataOffset(uint16_t offset) {
    if (!fits(this, m_state, offset, m_state ? m_state->descriptor->data_length : 0,
              "setDataOffset"))
        return kIOReturnBadArgument;
    m_state->descriptor->data_offset = offset;
    return kIOReturnSuccess;
}

uint16_t IOUserNetworkPacket::getDataOffset() const {
    return m_state ? m_state->descriptor->data_offset : 0;
}

kern_return_t IOUserNetworkPacket::setDataOffsetAndLength(uint16_t offset, uint32_t length) {
    if (!fits(this, m_state, offset, length, "setDataOffsetAndLength"))
        return kIOReturnBadArgument;
    m_state->descriptor->data_offset = offset;
    m_state->descriptor->data_length = length;
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkPacket::SetDataLength(uint32_t length) { return setDataLength(length); }
kern_return_t IOUserNetworkPacket::GetDataLength(uint32_t *length) const {
    if (length == nullptr)
        return kIOReturnBadArgument;
    *length = getDataLength();
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::SetDataOffset(uint16_t offset) { return setDataOffset(offset); }
kern_return_t IOUserNetworkPacket::GetDataOffset(uint16_t *offset) const {
    if (offset == nullptr)
        return kIOReturnBadArgument;
    *offset = getDataOffset();
    return kIOReturnSuccess;
}
// DriverKit: the headroom is the space before the frame, i.e. the data offset.
kern_return_t IOUserNetworkPacket::SetHeadroom(uint8_t headroom) { return setDataOffset(headroom); }
kern_return_t IOUserNetworkPacket::GetHeadroom(uint8_t *headroom) const {
    if (headroom == nullptr)
        return kIOReturnBadArgument;
    uint16_t offset = getDataOffset();
    *headroom = offset > 0xff ? 0xff : uint8_t(offset);
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::SetLinkHeaderLength(uint8_t length) {
    return setLinkHeaderLength(length);
}
kern_return_t IOUserNetworkPacket::GetLinkHeaderLength(uint8_t *length) const {
    if (length == nullptr)
        return kIOReturnBadArgument;
    *length = getLinkHeaderLength();
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::GetMemorySegmentOffset(uint64_t *offset) const {
    if (offset == nullptr)
        return kIOReturnBadArgument;
    *offset = getMemorySegmentOffset();
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::GetPacketBufferPool(IOUserNetworkPacketBufferPool **pool) const {
    if (pool == nullptr)
        return kIOReturnBadArgument;
    *pool = getPacketBufferPool();
    if (*pool == nullptr)
        return kIOReturnNotFound;
    (*pool)->retain(); // "Get" of an object out-parameter returns +1 in the capital-letter API
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::_GetPacketIndex(uint32_t *index) const {
    if (index == nullptr || m_state == nullptr)
        return kIOReturnBadArgument;
    *index = m_state->index;
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::_Print(uint64_t) const {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    netdext::log_linef(netdext::LogLevel::notice,
                       "packet %u: offset %u length %u link header %u direction %u held %d",
                       m_state->index, m_state->descriptor->data_offset,
                       m_state->descriptor->data_length, m_state->descriptor->link_header_length,
                       m_state->descriptor->direction, int(m_state->held.load()));
    return kIOReturnSuccess;
}

// ---- NDK 2.x ----------------------------------------------------------------------------------
// Offload metadata travels in the descriptor (shm/pool_layout.h): the flags word (bits 0-15
// checksum flags, 20-21 TSO flags, skywalk values; LRO in bits 28-29), the TSO segment size and
// checksum offsets netdextd fills in from the TAP's virtio header on TX, and the LRO segment
// count and checksum value the driver sets on RX. A TX packet asks for an offload only when the
// driver declared that assist (GetHardwareAssists) and the stack uses it.

namespace {
using netdext::shm::offload::kCsumMask;
using netdext::shm::offload::kLinkMulticast;
using netdext::shm::offload::kLroMask;
using netdext::shm::offload::kLroShift;
using netdext::shm::offload::kTimestampRequested;
using netdext::shm::offload::kTsoMask;
} // namespace

kern_return_t IOUserNetworkPacket::getTxChecksumInfo(IOUserNetworkPacketTxChecksumFlags *flags,
                                                     uint16_t *start, uint16_t *stuff) const {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    if (flags)
        *flags = m_state->descriptor->flags & kCsumMask & 0xff;
    if (start)
        *start = m_state->descriptor->csum_start;
    if (stuff)
        *stuff = m_state->descriptor->csum_stuff;
    return kIOReturnSuccess;
}
uint32_t IOUserNetworkPacket::getTxCsumFlags() const {
    return m_state ? (m_state->descriptor->flags & kCsumMask & 0xff) : 0;
}
kern_return_t IOUserNetworkPacket::getTSOInfo(uint16_t *segsz,
                                              IOUserNetworkPacketTSOFlags *flags) const {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    if (segsz)
        *segsz = (m_state->descriptor->flags & kTsoMask) ? m_state->descriptor->gso_size : 0;
    if (flags)
        *flags = m_state->descriptor->flags & kTsoMask;
    return kIOReturnSuccess;
}
uint16_t IOUserNetworkPacket::getMSS() const {
    return m_state && (m_state->descriptor->flags & kTsoMask) ? m_state->descriptor->gso_size : 0;
}
kern_return_t IOUserNetworkPacket::setRxChecksumInfo(IOUserNetworkPacketRxChecksumFlags flags,
                                                     uint16_t value) {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    if (!held_for(this, m_state, "setRxChecksumInfo"))
        return kIOReturnNotPermitted;
    m_state->descriptor->flags = (m_state->descriptor->flags & ~kCsumMask) | (flags & kCsumMask);
    m_state->descriptor->rx_csum_value = value;
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::getRxChecksumInfo(IOUserNetworkPacketRxChecksumFlags *flags,
                                                     uint16_t *value) const {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    if (flags)
        *flags = m_state->descriptor->flags & kCsumMask;
    if (value)
        *value = m_state->descriptor->rx_csum_value;
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::setLROInfo(IOUserNetworkPacketLROFlags flags, uint8_t segcount) {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    if (!held_for(this, m_state, "setLROInfo"))
        return kIOReturnNotPermitted;
    m_state->descriptor->flags =
        (m_state->descriptor->flags & ~kLroMask) | ((flags << kLroShift) & kLroMask);
    m_state->descriptor->lro_segments = segcount;
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::setLinkHeaderLength(uint8_t length) {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    if (!held_for(this, m_state, "setLinkHeaderLength"))
        return kIOReturnNotPermitted;
    m_state->descriptor->link_header_length = length;
    return kIOReturnSuccess;
}
uint8_t IOUserNetworkPacket::getLinkHeaderLength() const {
    return m_state ? m_state->descriptor->link_header_length : 0;
}
size_t IOUserNetworkPacket::getDataOff() const { return getDataOffset(); }
kern_return_t IOUserNetworkPacket::setDataOff(size_t offset) {
    if (offset > UINT16_MAX)
        return kIOReturnBadArgument;
    return setDataOffset(uint16_t(offset));
}
kern_return_t IOUserNetworkPacket::setDataOffAndLen(size_t offset, size_t length) {
    if (offset > UINT16_MAX || length > UINT32_MAX)
        return kIOReturnBadArgument;
    return setDataOffsetAndLength(uint16_t(offset), uint32_t(length));
}
kern_return_t IOUserNetworkPacket::setTimestamp(uint64_t timestamp) {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    if (!held_for(this, m_state, "setTimestamp"))
        return kIOReturnNotPermitted;
    m_state->descriptor->timestamp = timestamp;
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::getTimestamp(uint64_t *timestamp) const {
    if (m_state == nullptr || timestamp == nullptr)
        return kIOReturnBadArgument;
    *timestamp = m_state->descriptor->timestamp;
    return kIOReturnSuccess;
}
kern_return_t IOUserNetworkPacket::clearTimestamp() { return setTimestamp(0); }
bool IOUserNetworkPacket::isTimestampRequested() const {
    return m_state && (m_state->descriptor->flags & kTimestampRequested);
}
kern_return_t IOUserNetworkPacket::getExpiryTime(uint64_t *) const { return kIOReturnUnsupported; }
uint32_t IOUserNetworkPacket::getServiceClass() const {
    return kIOUserNetworkPacketServiceClassBE;
}
static const uint8_t *frame_start(PacketState *state) {
    if (state == nullptr || state->descriptor->data_length < 6)
        return nullptr;
    return reinterpret_cast<const uint8_t *>(state->buffer) + state->descriptor->data_offset;
}
bool IOUserNetworkPacket::isLinkBroadcast() const {
    const uint8_t *frame = frame_start(m_state);
    if (frame == nullptr)
        return false;
    for (int i = 0; i < 6; ++i)
        if (frame[i] != 0xff)
            return false;
    return true;
}
bool IOUserNetworkPacket::isLinkMulticast() const {
    if (m_state && (m_state->descriptor->flags & kLinkMulticast))
        return true;
    const uint8_t *frame = frame_start(m_state);
    return frame != nullptr && (frame[0] & 1) && !isLinkBroadcast();
}
kern_return_t IOUserNetworkPacket::setIsLinkMulticast(bool multicast) {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    if (!held_for(this, m_state, "setIsLinkMulticast"))
        return kIOReturnNotPermitted;
    if (multicast)
        m_state->descriptor->flags |= kLinkMulticast;
    else
        m_state->descriptor->flags &= ~kLinkMulticast;
    return kIOReturnSuccess;
}
bool IOUserNetworkPacket::isTransportTrafficBackground() const { return false; }
bool IOUserNetworkPacket::isTransportTrafficRealtime() const { return false; }
bool IOUserNetworkPacket::getVlanTag(uint16_t *vlanTag) const {
    if (vlanTag != nullptr)
        *vlanTag = 0;
    return false;
}

void IOUserNetworkPacket::setVlanTag(uint16_t) {
    netdext::report_misuse(this, "setVlanTag without hardware VLAN support (the family never "
                                 "enables kFeatureHardwareVlan)");
}

IOUserNetworkPacket *IOUserNetworkPacket::withPool(IOUserNetworkPacketBufferPool *pool,
                                                   IOUserNetworkPacketDescriptor *descriptor,
                                                   IOOptionBits) {
    IOUserNetworkPacket *packet = nullptr;
    if (pool == nullptr || pool->newPacket(descriptor, &packet) != kIOReturnSuccess)
        return nullptr;
    return packet;
}

// Apple's two-step construction cannot attach an object the caller allocated to the pool's
// shared memory; use withPool (or the pool's newPacket).
bool IOUserNetworkPacket::initWithPool(IOUserNetworkPacketBufferPool *,
                                       IOUserNetworkPacketDescriptor *, IOOptionBits) {
    return false;
}

void IOUserNetworkPacket::setWakeFlag() {}
void IOUserNetworkPacket::setCompletionStatus(IOReturn status) {
    if (m_state != nullptr)
        m_state->descriptor->completion_status = uint32_t(status);
}
uint32_t IOUserNetworkPacket::getTraceID() const { return m_state ? m_state->index : 0; }
void IOUserNetworkPacket::traceEvent(uint32_t) const {}
kern_return_t IOUserNetworkPacket::prepareWithQueue(IOUserNetworkPacketQueue *,
                                                    IOUserNetworkPacketDirection direction) {
    if (m_state == nullptr)
        return kIOReturnNotReady;
    m_state->descriptor->direction = uint8_t(direction);
    return kIOReturnSuccess;
}
