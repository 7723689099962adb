//
//  TwoPortCable.cpp
//  TwoPortCable
//
//  The cable and its two ports. Every queue of both ports calls back on the cable's Default
//  queue (the cable is the queues' target), so the data path of the two ends never runs
//  concurrently: a frame one port transmits is copied into a receive buffer the other port was
//  given, completed on that port's RX completion queue, and the transmitted packet completed.
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IOUserServer.h>
#include <DriverKit/OSCollections.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>

#include "TwoPortCable.h"
#include "TwoPortCablePort.h"

#define Log(fmt, ...) os_log(OS_LOG_DEFAULT, "TwoPortCable: " fmt "\n", ##__VA_ARGS__)

static constexpr uint32_t kPorts = 2;
static constexpr uint32_t kPacketCount = 2048;
static constexpr uint32_t kBufferSize = 2048;
// With TSO: buffers for a 64 KiB segment, fewer of them.
static constexpr uint32_t kTsoPacketCount = 160;
static constexpr uint32_t kTsoBufferSize = 65536;
static constexpr uint32_t kTsoMaximum = 65535;
// The boot-arg twoportcable-tso-bytes=N declares a smaller TSO limit (a NIC's tso_mtu); the buffers
// shrink with it. At least two full-size segments.
static constexpr uint32_t kTsoMinimum = 3036;
// Deep rings, as on a 10G NIC: the TAP's txqueuelen is the TX ring's capacity, and the TAP drops
// what does not fit (it does not push back on the stack). With TSO, 64 segments of up to 64 KiB.
static constexpr uint32_t kQueueCapacity = 1024;
static constexpr uint32_t kTsoQueueCapacity = 64;
static constexpr uint32_t kSupportedAssists =
    kIOUserNetworkHWAssistTxChecksumTCP | kIOUserNetworkHWAssistTxChecksumUDP |
    kIOUserNetworkHWAssistTSO4 | kIOUserNetworkHWAssistTSO6 | kIOUserNetworkHWAssistRxChecksum |
    kIOUserNetworkHWAssistLRO;
static constexpr uint32_t kRxChecksumValid = kIOUserNetworkPacketRxCsumDataValid |
                                             kIOUserNetworkPacketRxCsumPseudoHdr;
static const MediaWord kMedia = kIOUserNetworkMediaEthernet10GBaseT | kIOUserNetworkMediaOptionFullDuplex;
static const char *const kPortKeys[kPorts] = {"CablePortA", "CablePortB"};

struct TwoPortCable_IVars {
    TwoPortCablePort *ports[kPorts];
    IODispatchQueue *queue; // the Default queue: every port's data path runs here
};

struct TwoPortCablePort_IVars {
    uint32_t index;
    TwoPortCable *cable; // the provider; not retained (it outlives its ports)
    IOUserNetworkPacketBufferPool *pool;
    IOUserNetworkTxSubmissionQueue *txSubmission;
    IOUserNetworkTxCompletionQueue *txCompletion;
    IOUserNetworkRxSubmissionQueue *rxSubmission;
    IOUserNetworkRxCompletionQueue *rxCompletion;
    IOUserNetworkPacket *emptyRx[kQueueCapacity];
    uint32_t emptyRxCount;
    uint32_t queueCapacity;
    uint32_t assists;
    uint32_t tsoBytes; // the largest TSO packet it takes (getTSOOptions)
    uint32_t bufferSize;
    uint64_t carried;
    uint64_t dropped;
    bool enabled;     // the interface is up: its end takes frames
    bool peerWaiting; // the other end holds frames back until this end has buffers again
};

#pragma mark - Data path (on the Default queue of the cable)

static TwoPortCablePort *PortOf(TwoPortCable *cable, IOUserNetworkPacketQueue *queue,
                                uint32_t *index)
{
    for (uint32_t i = 0; i < kPorts; i++) {
        TwoPortCablePort *port = cable->ivars->ports[i];
        if (port != nullptr &&
            (port->ivars->txSubmission == queue || port->ivars->rxSubmission == queue)) {
            *index = i;
            return port;
        }
    }
    return nullptr;
}

// The other end waits for receive buffers of `index`: offer it its frames again.
static void ResumePeer(TwoPortCable *cable, uint32_t index)
{
    TwoPortCablePort *port = cable->ivars->ports[index];
    TwoPortCablePort *peer = cable->ivars->ports[(index + 1) % kPorts];
    if (port == nullptr || peer == nullptr) {
        return;
    }
    TwoPortCablePort_IVars *p = port->ivars;
    if (p->peerWaiting && (p->emptyRxCount > 0 || !p->enabled)) {
        p->peerWaiting = false;
        peer->ivars->txSubmission->requestDequeue();
    }
}

static uint32_t RxBuffersAvailable(OSObject *target, IOUserNetworkPacketQueue *queue,
                                   IOUserNetworkPacket **packets, uint32_t count, void *refCon)
{
    TwoPortCable *cable = OSDynamicCast(TwoPortCable, target);
    uint32_t index = 0;
    TwoPortCablePort *port = cable ? PortOf(cable, queue, &index) : nullptr;
    if (port == nullptr) {
        return 0; // not connected yet: offered again later
    }
    TwoPortCablePort_IVars *p = port->ivars;
    uint32_t accepted = 0;
    while (accepted < count && p->emptyRxCount < p->queueCapacity) {
        p->emptyRx[p->emptyRxCount++] = packets[accepted++];
    }
    ResumePeer(cable, index);
    return accepted;
}

// Completes a partial checksum as TX checksum hardware does: the field at `stuff` holds the
// pseudo-header sum; the checksum covers everything from `start` to the end of the frame.
static bool CompleteChecksum(uint8_t *frame, uint32_t length, uint16_t start, uint16_t stuff,
                             bool udp)
{
    if (start >= length || uint32_t(stuff) + 2 > length) {
        return false;
    }
    uint32_t sum = 0;
    uint32_t i = start;
    for (; i + 1 < length; i += 2) {
        sum += uint32_t(frame[i]) << 8 | frame[i + 1];
    }
    if (i < length) {
        sum += uint32_t(frame[i]) << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    uint16_t check = uint16_t(~sum);
    if (check == 0 && udp) {
        check = 0xffff; // 0 means "no checksum" to UDP
    }
    frame[stuff] = uint8_t(check >> 8);
    frame[stuff + 1] = uint8_t(check);
    return true;
}

// Hands what the stack asked of the "hardware" on to the receiving end: a TSO segment arrives
// coalesced (LRO, the segment count the receiver's stack needs), a partial checksum completed
// and reported valid. Returns false when the frame cannot be delivered.
static bool PassOffloads(TwoPortCablePort_IVars *from, TwoPortCablePort_IVars *to,
                         IOUserNetworkPacket *tx, IOUserNetworkPacket *rx, uint8_t *frame,
                         uint32_t length)
{
    if (from->assists == 0) {
        return true;
    }
    uint16_t segmentSize = 0;
    IOUserNetworkPacketTSOFlags tso = 0;
    tx->getTSOInfo(&segmentSize, &tso);
    IOUserNetworkPacketTxChecksumFlags checksum = 0;
    uint16_t start = 0;
    uint16_t stuff = 0;
    tx->getTxChecksumInfo(&checksum, &start, &stuff);
    const bool udp = (checksum & (kIOUserNetworkPacketTxCsumUDPIPV4 |
                                  kIOUserNetworkPacketTxCsumUDPIPV6)) != 0;
    bool valid = false;
    if (segmentSize != 0 && uint32_t(start) + 20 <= length) {
        uint32_t headerLength = start + (frame[start + 12] >> 4) * 4u;
        uint32_t payload = length > headerLength ? length - headerLength : 0;
        uint32_t segments = (payload + segmentSize - 1) / segmentSize;
        if (segments > 1) {
            if (segments > 255 || (to->assists & kIOUserNetworkHWAssistLRO) == 0) {
                return false; // the receiver cannot take it whole
            }
            rx->setLROInfo((tso & kIOUserNetworkPacketTSOIPV6) ? kIOUserNetworkPacketLROIPV6
                                                                 : kIOUserNetworkPacketLROIPV4,
                           uint8_t(segments));
            valid = true;
        }
    }
    if (!valid && (checksum & kIOUserNetworkPacketTxCsumPartial) != 0) {
        valid = CompleteChecksum(frame, length, start, stuff, udp);
    }
    if (valid && (to->assists & kIOUserNetworkHWAssistRxChecksum) != 0) {
        rx->setRxChecksumInfo(kRxChecksumValid, 0xffff);
    }
    return true;
}

static uint32_t TxFramesAvailable(OSObject *target, IOUserNetworkPacketQueue *queue,
                                  IOUserNetworkPacket **packets, uint32_t count, void *refCon)
{
    TwoPortCable *cable = OSDynamicCast(TwoPortCable, target);
    uint32_t index = 0;
    TwoPortCablePort *port = cable ? PortOf(cable, queue, &index) : nullptr;
    if (port == nullptr) {
        return 0;
    }
    TwoPortCablePort *peer = cable->ivars->ports[(index + 1) % kPorts];
    TwoPortCablePort_IVars *q = peer != nullptr ? peer->ivars : nullptr;
    uint32_t taken = 0;
    for (; taken < count; taken++) {
        IOUserNetworkPacket *tx = packets[taken];
        uint32_t length = tx->getDataLength();
        if (q != nullptr && q->enabled && q->emptyRxCount == 0 && length <= q->bufferSize) {
            // The far end is up but out of buffers: keep the rest in the queue (the stack
            // backs off) until it has buffers again, as flow control on a cable would.
            q->peerWaiting = true;
            break;
        }
        if (q == nullptr || !q->enabled || length > q->bufferSize) {
            port->ivars->dropped++;
            continue;
        }
        IOUserNetworkPacket *rx = q->emptyRx[--q->emptyRxCount];
        if (rx->setDataOffsetAndLength(0, length) != kIOReturnSuccess) {
            q->pool->deallocatePacket(rx);
            port->ivars->dropped++;
            continue;
        }
        uint8_t *to = reinterpret_cast<uint8_t *>(rx->getDataVirtualAddress());
        memcpy(to,
               reinterpret_cast<const uint8_t *>(tx->getDataVirtualAddress()) + tx->getDataOffset(),
               length);
        if (!PassOffloads(port->ivars, q, tx, rx, to, length)) {
            q->pool->deallocatePacket(rx);
            port->ivars->dropped++;
            continue;
        }
        if (q->rxCompletion->enqueuePackets(&rx, 1) != kIOReturnSuccess) {
            q->pool->deallocatePacket(rx);
            port->ivars->dropped++;
            continue;
        }
        port->ivars->carried++;
    }
    if (taken > 0 && port->ivars->txCompletion->enqueuePackets(packets, taken) != kIOReturnSuccess) {
        Log("could not complete %u transmitted packets", taken);
    }
    return taken;
}

// Gives the receive buffers a port holds back to its pool (on the cable's queue); the other end
// no longer waits for them (what it sends is dropped while this end is down).
static void DropEmptyBuffers(void *context)
{
    TwoPortCablePort_IVars *p = static_cast<TwoPortCablePort_IVars *>(context);
    p->enabled = false;
    if (p->emptyRxCount > 0) {
        p->pool->deallocatePackets(p->emptyRx, p->emptyRxCount);
        p->emptyRxCount = 0;
    }
    ResumePeer(p->cable, p->index);
}

static void Enabled(void *context)
{
    static_cast<TwoPortCablePort_IVars *>(context)->enabled = true;
}

#pragma mark - The cable

bool TwoPortCable::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(TwoPortCable_IVars, 1);
    return ivars != nullptr;
}

void TwoPortCable::free()
{
    if (ivars != nullptr) {
        for (uint32_t i = 0; i < kPorts; i++) {
            OSSafeReleaseNULL(ivars->ports[i]);
        }
        OSSafeReleaseNULL(ivars->queue);
    }
    IOSafeDeleteNULL(ivars, TwoPortCable_IVars, 1);
    super::free();
}

kern_return_t IMPL(TwoPortCable, Start)
{
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->queue);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    for (uint32_t i = 0; i < kPorts; i++) {
        IOService *created = nullptr;
        ret = Create(this, kPortKeys[i], &created);
        if (ret != kIOReturnSuccess) {
            Log("creating port %u failed: 0x%x", i, ret);
            return ret;
        }
        ivars->ports[i] = OSDynamicCast(TwoPortCablePort, created);
        if (ivars->ports[i] == nullptr) {
            OSSafeReleaseNULL(created);
            return kIOReturnUnsupported;
        }
    }
    Log("plugged in: %{public}s <-> %{public}s", ivars->ports[0]->getBSDName(),
        ivars->ports[1]->getBSDName());
    return RegisterService();
}

kern_return_t IMPL(TwoPortCable, Stop)
{
    // The system stops the ports first (they are our clients).
    return Stop(provider, SUPERDISPATCH);
}

#pragma mark - A port

bool TwoPortCablePort::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(TwoPortCablePort_IVars, 1);
    return ivars != nullptr;
}

void TwoPortCablePort::free()
{
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->txSubmission);
        OSSafeReleaseNULL(ivars->txCompletion);
        OSSafeReleaseNULL(ivars->rxSubmission);
        OSSafeReleaseNULL(ivars->rxCompletion);
        OSSafeReleaseNULL(ivars->pool);
    }
    IOSafeDeleteNULL(ivars, TwoPortCablePort_IVars, 1);
    super::free();
}

bool TwoPortCablePort::start(IOService *provider)
{
    if (!super::start(provider)) {
        return false;
    }
    ivars->cable = OSDynamicCast(TwoPortCable, provider);
    if (ivars->cable == nullptr) {
        Log("a port needs the cable as its provider");
        return false;
    }
    // Which end: from the dictionary the cable created us with.
    OSDictionary *properties = nullptr;
    if (CopyProperties(&properties) == kIOReturnSuccess && properties != nullptr) {
        OSNumber *index = OSDynamicCast(OSNumber, properties->getObject("CablePortIndex"));
        ivars->index = index != nullptr ? index->unsigned32BitValue() % kPorts : 0;
        OSSafeReleaseNULL(properties);
    }

    // Hardware assists unless the boot-args say otherwise; TSO needs buffers for 64 KiB segments.
    uint64_t assists = 1;
    if (IOParseBootArgNumber("twoportcable-assists", &assists, sizeof(assists)) && assists == 0) {
        ivars->assists = 0;
    } else {
        ivars->assists = kSupportedAssists;
    }
    const bool tso = (ivars->assists & kIOUserNetworkHWAssistTSO4) != 0;
    uint64_t tsoBytes = kTsoMaximum;
    if (IOParseBootArgNumber("twoportcable-tso-bytes", &tsoBytes, sizeof(tsoBytes)) &&
        (tsoBytes < kTsoMinimum || tsoBytes > kTsoMaximum)) {
        Log("twoportcable-tso-bytes=%llu is outside [%u, %u]: using %u",
            (unsigned long long)tsoBytes, kTsoMinimum, kTsoMaximum, kTsoMaximum);
        tsoBytes = kTsoMaximum;
    }
    ivars->tsoBytes = (uint32_t)tsoBytes;
    // A TSO frame is the packet plus an Ethernet header and a VLAN tag, in 64-byte steps.
    const uint32_t tsoBuffer = (ivars->tsoBytes + 18 + 63) & ~63u;
    ivars->bufferSize = !tso ? kBufferSize : tsoBuffer < kTsoBufferSize ? tsoBuffer : kTsoBufferSize;
    ivars->queueCapacity = tso ? kTsoQueueCapacity : kQueueCapacity;
    const uint32_t capacity = ivars->queueCapacity;
    IOUserNetworkPacketBufferPoolOptions options = {};
    options.packetCount = tso ? kTsoPacketCount : kPacketCount;
    options.bufferCount = options.packetCount;
    options.bufferSize = ivars->bufferSize;
    options.maxBuffersPerPacket = 1;
    options.poolFlags = PoolFlagMapToDext;
    ivars->pool = IOUserNetworkPacketBufferPool::withName("TwoPortCable", this,
                                                          IONetworkPacketTypeNetwork, &options);
    if (ivars->pool == nullptr) {
        return false;
    }
    // The cable is every queue's target: both ends' callbacks run on its Default queue.
    OSObject *cable = ivars->cable;
    ivars->txSubmission = IOUserNetworkTxSubmissionQueue::withPool(
        ivars->pool, capacity, 0, cable, nullptr, TxFramesAvailable);
    ivars->txCompletion = IOUserNetworkTxCompletionQueue::withPool(ivars->pool, capacity, 0,
                                                                   cable, nullptr);
    ivars->rxSubmission = IOUserNetworkRxSubmissionQueue::withPool(
        ivars->pool, capacity, capacity, 0, cable, RxBuffersAvailable);
    ivars->rxCompletion = IOUserNetworkRxCompletionQueue::withPool(ivars->pool, capacity, 0,
                                                                   cable, nullptr);
    if (ivars->txSubmission == nullptr || ivars->txCompletion == nullptr ||
        ivars->rxSubmission == nullptr || ivars->rxCompletion == nullptr) {
        return false;
    }
    IOUserNetworkPacketQueue *queues[] = {ivars->txSubmission, ivars->txCompletion,
                                          ivars->rxSubmission, ivars->rxCompletion};
    ether_addr_t mac = {{0x02, 0x43, 0x41, 0x42, 0x4c, uint8_t(0x0a + ivars->index)}};
    IOReturn ret = registerEthernetInterface(mac, queues, 4, ivars->pool, nullptr);
    if (ret != kIOReturnSuccess) {
        Log("port %u: registerEthernetInterface failed: 0x%x", ivars->index, ret);
        return false;
    }
    reportLinkStatus(kIOUserNetworkLinkStatusInactive, kMedia);
    Log("port %u is %{public}s", ivars->index, getBSDName());
    return true;
}

void TwoPortCablePort::stop(IOService *provider)
{
    if (ivars->cable != nullptr && ivars->cable->ivars->queue != nullptr) {
        ivars->cable->ivars->queue->DispatchSync_f(ivars, DropEmptyBuffers);
    }
    IOLog("TwoPortCable: port %u carried %llu frames, dropped %llu\n", ivars->index,
          ivars->carried, ivars->dropped);
    super::stop(provider);
}

IOReturn TwoPortCablePort::setInterfaceEnable(bool enable)
{
    IOReturn ret = super::setInterfaceEnable(enable);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    if (ivars->cable->ivars->queue != nullptr) {
        ivars->cable->ivars->queue->DispatchSync_f(ivars, enable ? Enabled : DropEmptyBuffers);
    }
    return reportLinkStatus(enable ? kIOUserNetworkLinkStatusActive : kIOUserNetworkLinkStatusInactive,
                            kMedia);
}

uint32_t TwoPortCablePort::getMaxTransferUnit()
{
    return ivars->bufferSize > 9018 ? 9000 : ivars->bufferSize - 18;
}

uint32_t TwoPortCablePort::getHardwareAssists()
{
    return ivars->assists;
}

IOReturn TwoPortCablePort::setHardwareAssists(uint32_t hardwareAssists)
{
    if ((hardwareAssists & ~kSupportedAssists) != 0) {
        return kIOReturnUnsupported;
    }
    ivars->assists = hardwareAssists;
    Log("port %u: hardware assists 0x%x", ivars->index, hardwareAssists);
    return kIOReturnSuccess;
}

IOReturn TwoPortCablePort::getTSOOptions(IOUserNetworkTSOOptions *options)
{
    if (options == nullptr) {
        return kIOReturnBadArgument;
    }
    memset(options, 0, sizeof(*options));
    if (ivars->assists & (kIOUserNetworkHWAssistTSO4 | kIOUserNetworkHWAssistTSO6)) {
        options->tso_mtu4 = ivars->tsoBytes;
        options->tso_mtu6 = ivars->tsoBytes;
    }
    return kIOReturnSuccess;
}

IOReturn TwoPortCablePort::getSupportedMediaArray(MediaWord *mediaArray, uint32_t *mediaCount)
{
    if (mediaCount == nullptr) {
        return kIOReturnBadArgument;
    }
    if (mediaArray != nullptr && *mediaCount >= 1) {
        mediaArray[0] = kMedia;
    }
    *mediaCount = 1;
    return kIOReturnSuccess;
}

MediaWord TwoPortCablePort::getInitialMedia()
{
    return kMedia;
}
