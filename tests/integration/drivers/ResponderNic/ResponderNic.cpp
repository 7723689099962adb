//
//  ResponderNic.cpp
//  ResponderNic
//
//  A virtual Ethernet NIC whose "cable" leads to every other host of its subnet: an ARP request
//  for any address but the asker's own is answered with kPeerMAC, and an ICMP echo request to any
//  address is answered with an echo reply from it. So `ip addr add 10.77.0.1/24 dev en0; ping
//  10.77.0.2` works, which is how netdextd's supervision tests see a relaunched driver really move
//  frames again. Written the way a DriverKit author would: ivars, IMPL(), SUPERDISPATCH, a data
//  queue handler for TX, a timer source.
//
//  Threads: everything runs on the driver's Default queue.
//
//  Ownership at each hand-off: a TX packet dequeued from TX submission is the driver's until it
//  is enqueued on TX completion; an RX buffer dequeued from RX submission is the driver's until
//  it is enqueued on RX completion or deallocated.
//
//  Boot-args (netdextd --boot-args), each a way to fail that supervision must catch:
//    rsp-start-hang=1   Start never returns (sleeps in a loop)
//    rsp-no-register=1  Start returns success without registering the interface
//    rsp-wedge=N        after answering N frames TxReady never returns (its queue is stuck)
//    rsp-flood=1        a 1 ms timer writes 40 log lines and 40 lines to standard error a tick
//

#include <os/log.h>

#include <DriverKit/IOLib.h>
#include <DriverKit/IOService.h>
#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <DriverKit/IODataQueueDispatchSource.h>
#include <DriverKit/OSAction.h>
#include <NetworkingDriverKit/NetworkingDriverKit.h>

#include <stdio.h>
#include <unistd.h>

#include "ResponderNic.h"

#undef super
#define super IOUserNetworkEthernet

#define LOG(fmt, ...) os_log(OS_LOG_DEFAULT, "ResponderNic: " fmt, ##__VA_ARGS__)

static const uint32_t kQueueCapacity = 16;
static const uint32_t kPacketCount = 64;
static const uint32_t kBufferSize = 2048;
static const uint32_t kMaxMTU = 1500;
static const uint32_t kEtherHeaderLength = 14;
static const uint64_t kFloodPeriodNs = 1000000;   // 1 ms
static const uint32_t kFloodLinesPerTick = 40;
static const IOUserNetworkMediaType kMedium =
    kIOUserNetworkMediaEthernet1000BaseT | kIOUserNetworkMediaOptionFullDuplex;

// The interface's own address, and the one "the other hosts" answer from (locally administered).
static const ether_addr_t kMACAddress = { .octet = { 0x02, 0x00, 0x52, 0x53, 0x50, 0x01 } };
static const uint8_t kPeerMAC[6] = { 0x02, 0x00, 0x52, 0x53, 0x50, 0x02 };

struct ResponderNic_IVars
{
    IODispatchQueue                 * defaultQueue;
    IOUserNetworkPacketBufferPool   * pool;
    IOUserNetworkTxSubmissionQueue  * txsQueue;
    IOUserNetworkTxCompletionQueue  * txcQueue;
    IOUserNetworkRxSubmissionQueue  * rxsQueue;
    IOUserNetworkRxCompletionQueue  * rxcQueue;
    OSAction                        * txReadyAction;
    IOTimerDispatchSource           * floodTimer;
    OSAction                        * floodTickAction;
    uint32_t                          mtu;
    uint32_t                          wedgeAfter;      // rsp-wedge: 0 = never
    uint64_t                          answered;
    uint64_t                          ignored;
    uint64_t                          noBuffer;
    uint64_t                          floodLines;
    bool                              up;
};

bool
ResponderNic::init()
{
    if (!super::init()) {
        return false;
    }
    ivars = IONewZero(ResponderNic_IVars, 1);
    if (ivars == nullptr) {
        return false;
    }
    ivars->mtu = kMaxMTU;
    return true;
}

void
ResponderNic::free()
{
    IOSafeDeleteNULL(ivars, ResponderNic_IVars, 1);
    super::free();
}

static bool
BootArg(const char * name, uint32_t * value)
{
    *value = 0;
    return IOParseBootArgNumber(name, value, sizeof(*value)) && *value != 0;
}

kern_return_t
IMPL(ResponderNic, Start)
{
    kern_return_t ret;
    uint32_t flag = 0;
    IODataQueueDispatchSource * dataQueue = nullptr;
    IOUserNetworkPacketQueue * queues[4];
    IOUserNetworkPacketBufferPoolOptions poolOptions = {};

    ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess) {
        return ret;
    }
    if (BootArg("rsp-start-hang", &flag)) {
        LOG("rsp-start-hang: Start never returns");
        for (;;) {
            IOSleep(1000);
        }
    }
    BootArg("rsp-wedge", &ivars->wedgeAfter);

    ret = CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->defaultQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    if (BootArg("rsp-flood", &flag)) {
        ret = IOTimerDispatchSource::Create(ivars->defaultQueue, &ivars->floodTimer);
        if (ret == kIOReturnSuccess) {
            ret = CreateActionFloodTick(sizeof(void *), &ivars->floodTickAction);
        }
        if (ret == kIOReturnSuccess) {
            ret = ivars->floodTimer->SetHandler(ivars->floodTickAction);
        }
        if (ret == kIOReturnSuccess) {
            ret = ivars->floodTimer->WakeAtTime(kIOTimerClockUptimeRaw,
                                                clock_gettime_nsec_np(CLOCK_UPTIME_RAW) + kFloodPeriodNs, 0);
        }
        if (ret != kIOReturnSuccess) {
            goto fail;
        }
        LOG("rsp-flood: flooding the log");
    }

    poolOptions.packetCount = kPacketCount;
    poolOptions.bufferCount = kPacketCount;
    poolOptions.bufferSize = kBufferSize;
    poolOptions.maxBuffersPerPacket = 1;
    poolOptions.poolFlags = PoolFlagMapToDext;
    ret = IOUserNetworkPacketBufferPool::CreateWithOptions(this, "ResponderNic", &poolOptions,
                                                           &ivars->pool);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = IOUserNetworkTxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                 ivars->defaultQueue, &ivars->txsQueue);
    if (ret == kIOReturnSuccess) {
        ret = IOUserNetworkTxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                     ivars->defaultQueue, &ivars->txcQueue);
    }
    if (ret == kIOReturnSuccess) {
        ret = IOUserNetworkRxSubmissionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                     ivars->defaultQueue, &ivars->rxsQueue);
    }
    if (ret == kIOReturnSuccess) {
        ret = IOUserNetworkRxCompletionQueue::Create(ivars->pool, this, kQueueCapacity, 0,
                                                     ivars->defaultQueue, &ivars->rxcQueue);
    }
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = CreateActionTxReady(0, &ivars->txReadyAction);
    if (ret == kIOReturnSuccess) {
        ret = ivars->txsQueue->CopyDataQueue(&dataQueue);
    }
    if (ret == kIOReturnSuccess) {
        ret = dataQueue->SetDataAvailableHandler(ivars->txReadyAction);
    }
    OSSafeReleaseNULL(dataQueue);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }

    if (BootArg("rsp-no-register", &flag)) {
        LOG("rsp-no-register: Start returns without registering the interface");
        return kIOReturnSuccess;
    }
    queues[0] = ivars->txsQueue;
    queues[1] = ivars->txcQueue;
    queues[2] = ivars->rxsQueue;
    queues[3] = ivars->rxcQueue;
    ret = RegisterEthernetInterface(kMACAddress, ivars->pool, queues, 4);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    ret = ReportLinkStatus(kIOUserNetworkLinkStatusInactive, kMedium);
    if (ret != kIOReturnSuccess) {
        goto fail;
    }
    LOG("started");
    return kIOReturnSuccess;

fail:
    LOG("Start failed 0x%08x", ret);
    Stop_Impl(provider);
    return ret;
}

static void
SetQueuesEnabled(ResponderNic_IVars * ivars, bool enable)
{
    IOUserNetworkPacketQueue * queues[] = { ivars->txsQueue, ivars->txcQueue, ivars->rxsQueue,
                                            ivars->rxcQueue };
    for (IOUserNetworkPacketQueue * queue : queues) {
        if (queue != nullptr) {
            queue->SetEnable(enable);
        }
    }
}

kern_return_t
IMPL(ResponderNic, Stop)
{
    LOG("stopping: %llu answered, %llu ignored, %llu without an RX buffer",
        ivars->answered, ivars->ignored, ivars->noBuffer);
    if (ivars->floodTimer != nullptr) {
#if __BLOCKS__
        ivars->floodTimer->Cancel(^{});
#else
        ivars->floodTimer->Cancel([] {});
#endif
    }
    SetQueuesEnabled(ivars, false);
    ivars->up = false;
    OSSafeReleaseNULL(ivars->floodTimer);
    OSSafeReleaseNULL(ivars->floodTickAction);
    OSSafeReleaseNULL(ivars->txReadyAction);
    OSSafeReleaseNULL(ivars->txsQueue);
    OSSafeReleaseNULL(ivars->txcQueue);
    OSSafeReleaseNULL(ivars->rxsQueue);
    OSSafeReleaseNULL(ivars->rxcQueue);
    OSSafeReleaseNULL(ivars->pool);
    OSSafeReleaseNULL(ivars->defaultQueue);
    return Stop(provider, SUPERDISPATCH);
}

kern_return_t
IMPL(ResponderNic, SetInterfaceEnable)
{
    LOG("interface %{public}s", isEnable ? "up" : "down");
    SetQueuesEnabled(ivars, isEnable);
    ivars->up = isEnable;
    // The cable is always plugged in: the link follows the interface.
    return ReportLinkStatus(isEnable ? kIOUserNetworkLinkStatusActive
                                     : kIOUserNetworkLinkStatusInactive,
                            kMedium);
}

kern_return_t
IMPL(ResponderNic, SetMTU)
{
    if (mtu < 68 || mtu > kMaxMTU) {
        return kIOReturnBadArgument;
    }
    ivars->mtu = mtu;
    return kIOReturnSuccess;
}

kern_return_t
IMPL(ResponderNic, GetMaxTransferUnit)
{
    *mtu = kMaxMTU;
    return kIOReturnSuccess;
}

// ---- the other hosts ----------------------------------------------------------------------------

static uint16_t
Get16(const uint8_t * p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void
Put16(uint8_t * p, uint16_t value)
{
    p[0] = (uint8_t)(value >> 8);
    p[1] = (uint8_t)value;
}

// RFC 1071: the one's complement of the one's complement sum of 16-bit words.
static uint16_t
InternetChecksum(const uint8_t * data, uint32_t length)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i + 1 < length; i += 2) {
        sum += Get16(data + i);
    }
    if (length & 1) {
        sum += (uint32_t)data[length - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

// The answer to `frame` (length bytes) in `reply`; its length, or 0 when nobody answers it.
static uint32_t
Answer(const uint8_t * frame, uint32_t length, uint8_t * reply)
{
    if (length < kEtherHeaderLength) {
        return 0;
    }
    const uint16_t type = Get16(frame + 12);
    const uint8_t * in = frame + kEtherHeaderLength;
    uint8_t * out = reply + kEtherHeaderLength;

    if (type == 0x0806 && length >= kEtherHeaderLength + 28) {
        // ARP request (Ethernet, IPv4) for an address that is not the asker's own.
        if (Get16(in) != 1 || Get16(in + 2) != 0x0800 || in[4] != 6 || in[5] != 4 ||
            Get16(in + 6) != 1 || memcmp(in + 14, in + 24, 4) == 0) {
            return 0;
        }
        memcpy(reply, frame + 6, 6);                // to the asker
        memcpy(reply + 6, kPeerMAC, 6);
        Put16(reply + 12, 0x0806);
        memcpy(out, in, 6);                         // htype, ptype, hlen, plen
        Put16(out + 6, 2);                          // reply
        memcpy(out + 8, kPeerMAC, 6);               // sender: the peer, with the address asked for
        memcpy(out + 14, in + 24, 4);
        memcpy(out + 18, in + 8, 6);                // target: the asker
        memcpy(out + 24, in + 14, 4);
        return kEtherHeaderLength + 28;
    }
    if (type == 0x0800 && length >= kEtherHeaderLength + 20) {
        const uint32_t headerLength = (uint32_t)(in[0] & 0x0f) * 4;
        const uint32_t total = Get16(in + 2);
        if ((in[0] >> 4) != 4 || headerLength < 20 || total < headerLength + 8 ||
            kEtherHeaderLength + total > length || in[9] != 1 || in[headerLength] != 8) {
            return 0;                               // only IPv4 ICMP echo requests
        }
        memcpy(reply, frame + 6, 6);
        memcpy(reply + 6, kPeerMAC, 6);
        Put16(reply + 12, 0x0800);
        memcpy(out, in, total);
        memcpy(out + 12, in + 16, 4);               // from the address pinged …
        memcpy(out + 16, in + 12, 4);               // … to the pinger
        out[8] = 64;                                // TTL
        Put16(out + 10, 0);
        Put16(out + 10, InternetChecksum(out, headerLength));
        uint8_t * icmp = out + headerLength;
        icmp[0] = 0;                                // echo reply
        Put16(icmp + 2, 0);
        Put16(icmp + 2, InternetChecksum(icmp, total - headerLength));
        return kEtherHeaderLength + total;
    }
    return 0;
}

// Hands `reply` to the stack in an RX buffer it gave us; false when it gave none.
static bool
Deliver(ResponderNic_IVars * ivars, const uint8_t * reply, uint32_t length)
{
    IOUserNetworkPacket * packet = nullptr;
    if (ivars->rxsQueue->DequeuePacket(&packet) != kIOReturnSuccess) {
        return false;
    }
    if (packet->setDataOffsetAndLength(0, length) != kIOReturnSuccess) {
        ivars->pool->DeallocatePacket(packet);
        return false;
    }
    memcpy((uint8_t *)packet->getDataVirtualAddress(), reply, length);
    packet->SetLinkHeaderLength(kEtherHeaderLength);
    if (ivars->rxcQueue->EnqueuePacket(packet) != kIOReturnSuccess) {
        ivars->pool->DeallocatePacket(packet);
        return false;
    }
    return true;
}

void
IMPL(ResponderNic, TxReady)
{
    IOUserNetworkPacket * packets[kQueueCapacity];
    uint8_t reply[kBufferSize];
    uint32_t count = ivars->txsQueue->DequeuePackets(packets, kQueueCapacity);

    for (uint32_t i = 0; i < count; i++) {
        IOUserNetworkPacket * packet = packets[i];
        const uint8_t * frame = (const uint8_t *)packet->getDataVirtualAddress() + packet->getDataOffset();
        uint32_t length = Answer(frame, packet->getDataLength(), reply);

        if (length == 0) {
            ivars->ignored++;
        } else if (!ivars->up || !Deliver(ivars, reply, length)) {
            ivars->noBuffer++;
        } else {
            ivars->answered++;
        }
        if (ivars->txcQueue->EnqueuePacket(packet) != kIOReturnSuccess) {
            ivars->pool->DeallocatePacket(packet);
        }
        if (ivars->wedgeAfter != 0 && ivars->answered >= ivars->wedgeAfter) {
            LOG("rsp-wedge: answered %llu frame(s); TxReady never returns now", ivars->answered);
            for (;;) {
                IOSleep(1000);
            }
        }
    }
}

void
IMPL(ResponderNic, FloodTick)
{
    for (uint32_t i = 0; i < kFloodLinesPerTick; i++) {
        char line[96];
        int n = snprintf(line, sizeof(line), "ResponderNic: flood line %llu on stderr\n",
                         (unsigned long long)ivars->floodLines);
        if (n > 0) {
            (void)!write(STDERR_FILENO, line, (size_t)n);
        }
        LOG("flood line %llu", ivars->floodLines);
        ivars->floodLines++;
    }
    ivars->floodTimer->WakeAtTime(kIOTimerClockUptimeRaw, time + kFloodPeriodNs, 0);
}
