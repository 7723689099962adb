// IOUserNetworkPacketQueue and the four concrete queues: one shared ring each (see
// IOUserNetworkPacketQueue.h), reached through the interface's DriverEndpoint once registered.

#include <netdext/iig_support.h>
#include <netdext/runtime.h>

#include <algorithm>
#include <vector>

#include "internal.h"
#include "state.h"

using netdext::QueueAttachment;
using netdext::QueueKind;
using netdext::shm::RingId;

namespace {

constexpr uint32_t kBatch = 256;

bool is_submission(QueueKind kind) {
    return kind == QueueKind::tx_submission || kind == QueueKind::rx_submission;
}

const char *kind_name(QueueKind kind) {
    switch (kind) {
    case QueueKind::tx_submission:
        return "TX submission";
    case QueueKind::tx_completion:
        return "TX completion";
    case QueueKind::rx_submission:
        return "RX submission";
    case QueueKind::rx_completion:
        return "RX completion";
    }
    return "?";
}

} // namespace

struct IOUserNetworkPacketQueue_IVars {
    QueueKind kind = QueueKind::tx_submission;
    IOUserNetworkPacketBufferPool *pool = nullptr; // retained
    OSObject *owner = nullptr;                     // not retained (the driver owns the queue)
    uint32_t capacity = 0;
    uint32_t queue_id = 0;
    IODispatchQueue *dispatch_queue = nullptr;       // retained
    IODataQueueDispatchSource *data_queue = nullptr; // retained
    std::atomic<bool> enabled{false};
    std::atomic<QueueAttachment *> attachment{nullptr};
    // NDK 2.x callback queues
    OSObject *target = nullptr; // not retained
    DequeueAction dequeue_action = nullptr;
    EnqueueAction enqueue_action = nullptr;
    QueryFreeSpaceAction free_space_action = nullptr;
    void *refcon = nullptr;
    std::vector<uint32_t> pending; // dequeued from the ring, not yet accepted by dequeue_action
    std::atomic<bool> callback_scheduled{false};
};

NETDEXT_DEFINE_CLASS(IOUserNetworkPacketQueue, OSObject, nullptr, 0)

kern_return_t IOUserNetworkPacketQueue::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    IOUserNetworkPacketQueue *self = static_cast<IOUserNetworkPacketQueue *>(object);
    switch (rpc.message->msgid) {
    case IOUserNetworkPacketQueue_SetEnable_ID:
        if (netdext::dispatch_to(rpc, [self](bool isEnable) {
                return self->IOUserNetworkPacketQueue::SetEnable_Impl(isEnable);
            }))
            return kIOReturnSuccess;
        break;
    case IOUserNetworkPacketQueue_SetDataQueue_ID:
        if (netdext::dispatch_to(rpc, [self](IODataQueueDispatchSource *dataQueue) {
                return self->IOUserNetworkPacketQueue::SetDataQueue_Impl(dataQueue);
            }))
            return kIOReturnSuccess;
        break;
    }
    return OSObject::_Dispatch(object, rpc);
}

bool IOUserNetworkPacketQueue::init() {
    if (!OSObject::init())
        return false;
    ivars = new IOUserNetworkPacketQueue_IVars;
    return true;
}

void IOUserNetworkPacketQueue::free() {
    if (ivars != nullptr) {
        if (ivars->data_queue != nullptr)
            ivars->data_queue->Cancel(nullptr);
        OSSafeReleaseNULL(ivars->data_queue);
        OSSafeReleaseNULL(ivars->dispatch_queue);
        OSSafeReleaseNULL(ivars->pool);
        delete ivars;
        ivars = nullptr;
    }
    OSObject::free();
}

kern_return_t IOUserNetworkPacketQueue::netdext_setup(QueueKind kind,
                                                      IOUserNetworkPacketBufferPool *pool,
                                                      OSObject *owner, uint32_t capacity,
                                                      uint32_t queueId,
                                                      IODispatchQueue *dispatchQueue) {
    if (pool == nullptr || capacity == 0 || capacity > netdext::shm::kMaxPackets)
        return kIOReturnBadArgument;
    ivars->kind = kind;
    pool->retain();
    ivars->pool = pool;
    ivars->owner = owner;
    ivars->capacity = capacity;
    ivars->queue_id = queueId;
    if (dispatchQueue != nullptr) {
        dispatchQueue->retain();
        ivars->dispatch_queue = dispatchQueue;
    } else if (owner != nullptr) {
        owner->CopyDispatchQueue(kIOServiceDefaultQueueName, &ivars->dispatch_queue);
    }
    if (ivars->dispatch_queue == nullptr)
        return kIOReturnBadArgument;
    // The data queue is a doorbell only: NetworkingDriverKit never puts bytes in it.
    return IODataQueueDispatchSource::Create(64, ivars->dispatch_queue, &ivars->data_queue);
}

QueueKind IOUserNetworkPacketQueue::netdext_kind() const { return ivars->kind; }
uint32_t IOUserNetworkPacketQueue::netdext_capacity() const { return ivars->capacity; }
bool IOUserNetworkPacketQueue::netdext_enabled() const { return ivars->enabled.load(); }
IOUserNetworkPacketBufferPool *IOUserNetworkPacketQueue::netdext_pool() const { return ivars->pool; }
IODispatchQueue *IOUserNetworkPacketQueue::netdext_dispatch_queue() const {
    return ivars->dispatch_queue;
}

void IOUserNetworkPacketQueue::netdext_attach(QueueAttachment *attachment) {
    ivars->attachment.store(attachment, std::memory_order_release);
}

void IOUserNetworkPacketQueue::netdext_detach() {
    ivars->attachment.store(nullptr, std::memory_order_release);
}

kern_return_t IOUserNetworkPacketQueue::SetEnable(bool isEnable, OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetEnable_Impl(isEnable);
    return netdext::call_super<kern_return_t, bool>(this, IOUserNetworkPacketQueue_SetEnable_ID,
                                                    supermethod, isEnable);
}

kern_return_t IOUserNetworkPacketQueue::SetEnable_Impl(bool isEnable) {
    bool was = ivars->enabled.exchange(isEnable);
    QueueAttachment *attachment = ivars->attachment.load(std::memory_order_acquire);
    if (was != isEnable && attachment != nullptr) {
        if (netdext::FamilyPort *port = netdext::family_port())
            port->queue_enable_changed(attachment->interface->driver, ivars->kind,
                                       attachment->index, isEnable);
    }
    if (isEnable && !was && ivars->kind == QueueKind::tx_submission && attachment != nullptr &&
        attachment->endpoint->available(attachment->ring) > 0)
        netdext_packets_available();
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkPacketQueue::SetPacketBufferPool(IOUserNetworkPacketBufferPool *pool) {
    if (pool == nullptr)
        return kIOReturnBadArgument;
    if (ivars->attachment.load() != nullptr)
        return kIOReturnBusy;
    pool->retain();
    OSSafeReleaseNULL(ivars->pool);
    ivars->pool = pool;
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkPacketQueue::SetPacketDirection(IOUserNetworkPacketDirection direction) {
    if (direction > kIOUserNetworkPacketDirectionRx)
        return kIOReturnBadArgument;
    return kIOReturnSuccess; // the direction follows from the queue kind
}

kern_return_t IOUserNetworkPacketQueue::CopyDataQueue(IODataQueueDispatchSource **dataQueue) {
    if (dataQueue == nullptr)
        return kIOReturnBadArgument;
    *dataQueue = ivars->data_queue;
    if (*dataQueue == nullptr)
        return kIOReturnNotReady;
    (*dataQueue)->retain();
    return kIOReturnSuccess;
}

kern_return_t IOUserNetworkPacketQueue::SetDataQueue(IODataQueueDispatchSource *dataQueue,
                                                     OSDispatchMethod supermethod) {
    if (supermethod == nullptr)
        return SetDataQueue_Impl(dataQueue);
    return netdext::call_super<kern_return_t, IODataQueueDispatchSource *>(
        this, IOUserNetworkPacketQueue_SetDataQueue_ID, supermethod, dataQueue);
}

kern_return_t IOUserNetworkPacketQueue::SetDataQueue_Impl(IODataQueueDispatchSource *dataQueue) {
    if (dataQueue == nullptr)
        return kIOReturnBadArgument;
    dataQueue->retain();
    OSSafeReleaseNULL(ivars->data_queue);
    ivars->data_queue = dataQueue;
    return kIOReturnSuccess;
}

void IOUserNetworkPacketQueue::netdext_packets_available() {
    if (ivars->dequeue_action != nullptr) {
        requestDequeue(nullptr, 0);
        return;
    }
    if (ivars->data_queue != nullptr)
        ivars->data_queue->SendDataAvailable();
}

// ---- submission queues: the driver takes packets --------------------------------------------

uint32_t IOUserNetworkPacketQueue::DequeuePackets(IOUserNetworkPacket **packets,
                                                  uint32_t maxDequeueCount) {
    if (!is_submission(ivars->kind)) {
        netdext::report_misuse(this, "DequeuePackets on the %s queue (only submission queues "
                                     "are dequeued)",
                               kind_name(ivars->kind));
        return 0;
    }
    if (packets == nullptr || maxDequeueCount == 0)
        return 0;
    QueueAttachment *attachment = ivars->attachment.load(std::memory_order_acquire);
    if (attachment == nullptr)
        return 0;
    netdext::shm::DriverEndpoint &endpoint = *attachment->endpoint;
    netdext::PoolState &pool = *attachment->pool;
    endpoint.finish_sleep(attachment->ring);
    uint32_t total = 0;
    uint32_t ids[kBatch];
    while (total < maxDequeueCount) {
        uint32_t want = std::min(maxDequeueCount - total, kBatch);
        uint32_t got = endpoint.dequeue(attachment->ring, std::span<uint32_t>(ids, want));
        for (uint32_t i = 0; i < got; ++i) {
            IOUserNetworkPacket *packet = pool.object(ids[i]);
            if (packet == nullptr) { // the system handed out an index it never had: skip it
                netdext::log_linef(netdext::LogLevel::fault,
                                   "%s queue: packet index %u out of range", kind_name(ivars->kind),
                                   ids[i]);
                continue;
            }
            packet->netdext_state()->held.store(true, std::memory_order_release);
            packets[total++] = packet;
        }
        if (got < want)
            break;
    }
    // DriverKit drivers dequeue a fixed number per DataAvailable: call again while packets
    // remain; once empty, ask the system to ring the doorbell on the next packet. (On RX
    // submission this notifies only drivers that installed a DataAvailable handler there.)
    if (endpoint.available(attachment->ring) > 0 || !endpoint.prepare_to_sleep(attachment->ring))
        netdext_packets_available();
    return total;
}

kern_return_t IOUserNetworkPacketQueue::DequeuePacket(IOUserNetworkPacket **packet) {
    if (packet == nullptr)
        return kIOReturnBadArgument;
    *packet = nullptr;
    return DequeuePackets(packet, 1) == 1 ? kIOReturnSuccess : kIOReturnUnderrun;
}

// ---- completion queues: the driver hands packets back ----------------------------------------

uint32_t IOUserNetworkPacketQueue::EnqueuePackets(IOUserNetworkPacket **packets,
                                                  uint32_t packetCount) {
    if (is_submission(ivars->kind)) {
        netdext::report_misuse(this, "EnqueuePacket on the %s queue (only completion queues are "
                                     "enqueued)",
                               kind_name(ivars->kind));
        return 0;
    }
    if (packets == nullptr || packetCount == 0)
        return 0;
    QueueAttachment *attachment = ivars->attachment.load(std::memory_order_acquire);
    if (attachment == nullptr)
        return 0;
    netdext::PoolState &pool = *attachment->pool;
    uint32_t accepted = 0;
    uint32_t ids[kBatch];
    IOUserNetworkPacket *batch[kBatch];
    uint32_t i = 0;
    while (i < packetCount) {
        uint32_t n = 0;
        for (; i < packetCount && n < kBatch; ++i) {
            IOUserNetworkPacket *packet = packets[i];
            netdext::PacketState *state = packet ? packet->netdext_state() : nullptr;
            if (state == nullptr || state->pool != &pool) {
                netdext::report_misuse(this, "EnqueuePacket of a packet from another pool");
                continue;
            }
            if (!netdext::take_from_driver(packet, "EnqueuePacket"))
                continue;
            batch[n] = packet;
            ids[n++] = state->index;
        }
        uint32_t taken =
            attachment->endpoint->enqueue(attachment->ring, std::span<const uint32_t>(ids, n));
        accepted += taken;
        for (uint32_t k = taken; k < n; ++k) // ring full: the driver still holds these
            batch[k]->netdext_state()->held.store(true, std::memory_order_release);
        if (taken < n)
            break;
    }
    return accepted;
}

kern_return_t IOUserNetworkPacketQueue::EnqueuePacket(IOUserNetworkPacket *packet) {
    if (is_submission(ivars->kind)) {
        EnqueuePackets(&packet, 1); // reports the misuse
        return kIOReturnBadArgument;
    }
    if (ivars->attachment.load(std::memory_order_acquire) == nullptr)
        return kIOReturnNotReady;
    if (packet == nullptr)
        return kIOReturnBadArgument;
    bool held = packet->netdext_state() && packet->netdext_state()->held.load();
    if (EnqueuePackets(&packet, 1) == 1)
        return kIOReturnSuccess;
    // Distinguish a full ring (the driver still holds the packet) from misuse.
    return held && packet->netdext_state()->held.load() ? kIOReturnOverrun : kIOReturnBadArgument;
}

// ---- NDK 2.x ----------------------------------------------------------------------------------

IOReturn IOUserNetworkPacketQueue::setEnable(bool isEnable) { return SetEnable(isEnable); }

// Runs the driver's dequeue action with packets from the ring (TX: frames to send; RX: empty
// buffers), on the target's Default queue. Packets the action does not accept are offered again
// on the next request.
IOReturn IOUserNetworkPacketQueue::requestDequeue(void *, IOOptionBits) {
    if (ivars->dequeue_action == nullptr || !is_submission(ivars->kind))
        return kIOReturnUnsupported;
    if (ivars->callback_scheduled.exchange(true))
        return kIOReturnSuccess;
    retain();
    IOUserNetworkPacketQueue *self = this;
    ivars->dispatch_queue->DispatchAsync([self] {
        self->ivars->callback_scheduled.store(false);
        QueueAttachment *attachment = self->ivars->attachment.load(std::memory_order_acquire);
        if (attachment != nullptr && self->ivars->enabled.load()) {
            auto &pending = self->ivars->pending;
            uint32_t room = self->ivars->capacity > pending.size()
                                ? uint32_t(self->ivars->capacity - pending.size())
                                : 0;
            std::vector<uint32_t> fresh(room);
            uint32_t got = attachment->endpoint->dequeue(attachment->ring, fresh);
            pending.insert(pending.end(), fresh.begin(), fresh.begin() + got);
            if (!pending.empty()) {
                std::vector<IOUserNetworkPacket *> objects;
                for (uint32_t id : pending) {
                    IOUserNetworkPacket *packet = attachment->pool->object(id);
                    packet->netdext_state()->held.store(true);
                    objects.push_back(packet);
                }
                uint32_t accepted =
                    self->ivars->dequeue_action(self->ivars->target, self, objects.data(),
                                                uint32_t(objects.size()), self->ivars->refcon);
                accepted = std::min<uint32_t>(accepted, uint32_t(objects.size()));
                // The rest stay with the queue (offered again), not with the driver.
                for (size_t i = accepted; i < objects.size(); ++i)
                    objects[i]->netdext_state()->held.store(false);
                pending.erase(pending.begin(), pending.begin() + accepted);
            }
        }
        self->release();
    });
    return kIOReturnSuccess;
}

// Asks the driver's enqueue action for completed packets and passes them on.
IOReturn IOUserNetworkPacketQueue::requestEnqueue(void *, IOOptionBits) {
    if (ivars->enqueue_action == nullptr || is_submission(ivars->kind))
        return kIOReturnUnsupported;
    retain();
    IOUserNetworkPacketQueue *self = this;
    ivars->dispatch_queue->DispatchAsync([self] {
        std::vector<IOUserNetworkPacket *> packets(self->ivars->capacity);
        uint32_t n = self->ivars->enqueue_action(self->ivars->target, self, packets.data(),
                                                 uint32_t(packets.size()), self->ivars->refcon);
        n = std::min<uint32_t>(n, uint32_t(packets.size()));
        uint32_t taken = self->EnqueuePackets(packets.data(), n);
        if (taken < n)
            self->ivars->pool->DeallocatePackets(packets.data() + taken, n - taken);
        self->release();
    });
    return kIOReturnSuccess;
}

IOReturn IOUserNetworkPacketQueue::enqueuePackets(IOUserNetworkPacket **inPackets, uint32_t count,
                                                  IOOptionBits) {
    uint32_t taken = EnqueuePackets(inPackets, count);
    return taken == count ? kIOReturnSuccess : kIOReturnOverrun;
}

IOReturn IOUserNetworkPacketQueue::setPacketPoller(IOUserNetworkPacketPoller *) {
    return kIOReturnUnsupported;
}

// ---- the four concrete queues -----------------------------------------------------------------

#define NETDEXT_DEFINE_PACKET_QUEUE(Kind, kind_value)                                             \
    NETDEXT_DEFINE_CLASS(IOUserNetwork##Kind##Queue, IOUserNetworkPacketQueue, nullptr, 0)        \
    kern_return_t IOUserNetwork##Kind##Queue::_Dispatch(OSMetaClassBase *object,                  \
                                                        const IORPC rpc) {                        \
        auto *self = static_cast<IOUserNetwork##Kind##Queue *>(object);                           \
        if (rpc.message->msgid == IOUserNetworkPacketQueue_SetEnable_ID &&                        \
            netdext::dispatch_to(rpc, [self](bool isEnable) {                                     \
                return self->IOUserNetwork##Kind##Queue::SetEnable_Impl(isEnable);                \
            }))                                                                                   \
            return kIOReturnSuccess;                                                              \
        return IOUserNetworkPacketQueue::_Dispatch(object, rpc);                                  \
    }                                                                                             \
    bool IOUserNetwork##Kind##Queue::init() { return IOUserNetworkPacketQueue::init(); }          \
    void IOUserNetwork##Kind##Queue::free() { IOUserNetworkPacketQueue::free(); }                 \
    kern_return_t IOUserNetwork##Kind##Queue::SetEnable_Impl(bool isEnable) {                     \
        return IOUserNetworkPacketQueue::SetEnable_Impl(isEnable);                                \
    }                                                                                             \
    kern_return_t IOUserNetwork##Kind##Queue::Create(                                             \
        IOUserNetworkPacketBufferPool *pool, OSObject *owner, uint32_t capacity,                  \
        uint32_t queueId, IODispatchQueue *dispatchQueue, IOUserNetwork##Kind##Queue **queue) {   \
        if (queue == nullptr)                                                                     \
            return kIOReturnBadArgument;                                                          \
        *queue = nullptr;                                                                         \
        auto *created = netdext::new_object<IOUserNetwork##Kind##Queue>();                        \
        if (created == nullptr)                                                                   \
            return kIOReturnNoMemory;                                                             \
        kern_return_t kr = created->netdext_setup(kind_value, pool, owner, capacity, queueId,     \
                                                  dispatchQueue);                                 \
        if (kr != kIOReturnSuccess) {                                                             \
            created->release();                                                                   \
            return kr;                                                                            \
        }                                                                                         \
        *queue = created;                                                                         \
        return kIOReturnSuccess;                                                                  \
    }

NETDEXT_DEFINE_PACKET_QUEUE(TxSubmission, QueueKind::tx_submission)
NETDEXT_DEFINE_PACKET_QUEUE(TxCompletion, QueueKind::tx_completion)
NETDEXT_DEFINE_PACKET_QUEUE(RxSubmission, QueueKind::rx_submission)
NETDEXT_DEFINE_PACKET_QUEUE(RxCompletion, QueueKind::rx_completion)

kern_return_t IOUserNetworkTxSubmissionQueue::Create(IOUserNetworkPacketBufferPool *pool,
                                                     OSObject *owner, IOUserNetworkServiceClass,
                                                     uint32_t capacity, uint32_t queueId,
                                                     IODispatchQueue *dispatchQueue,
                                                     IOUserNetworkTxSubmissionQueue **queue) {
    return Create(pool, owner, capacity, queueId, dispatchQueue, queue);
}

// ---- NDK 2.x factories: callback-driven queues on the target's Default queue ---------------

kern_return_t IOUserNetworkPacketQueue::netdext_setup_callbacks(
    QueueKind kind, IOUserNetworkPacketBufferPool *pool, uint32_t capacity, uint32_t queueId,
    OSObject *target, DequeueAction dequeueAction, EnqueueAction enqueueAction,
    QueryFreeSpaceAction freeSpaceAction, void *refCon) {
    if (target == nullptr)
        return kIOReturnBadArgument;
    kern_return_t kr = netdext_setup(kind, pool, target, capacity, queueId, nullptr);
    if (kr != kIOReturnSuccess)
        return kr;
    ivars->target = target;
    ivars->dequeue_action = dequeueAction;
    ivars->enqueue_action = enqueueAction;
    ivars->free_space_action = freeSpaceAction;
    ivars->refcon = refCon;
    ivars->pending.reserve(capacity);
    return kIOReturnSuccess;
}

template <class Q>
Q *netdext_with_callbacks(QueueKind kind, IOUserNetworkPacketBufferPool *pool, uint32_t capacity,
                         uint32_t queueId, OSObject *target, DequeueAction dequeueAction,
                         EnqueueAction enqueueAction, QueryFreeSpaceAction freeSpaceAction,
                         void *refCon) {
    auto *queue = new Q;
    if (!queue->init() ||
        queue->netdext_setup_callbacks(kind, pool, capacity, queueId, target, dequeueAction,
                                       enqueueAction, freeSpaceAction, refCon) != kIOReturnSuccess) {
        queue->release();
        return nullptr;
    }
    return queue;
}

IOUserNetworkTxSubmissionQueue *IOUserNetworkTxSubmissionQueue::withPool(
    IOUserNetworkPacketBufferPool *pool, uint32_t capacity, IOUserNetworkPacketQueueId queueId,
    OSObject *target, QueryFreeSpaceAction freeSpaceAction, DequeueAction dequeueAction,
    void *refCon, IOOptionBits) {
    return netdext_with_callbacks<IOUserNetworkTxSubmissionQueue>(QueueKind::tx_submission, pool,
                                                          capacity, queueId, target, dequeueAction,
                                                          nullptr, freeSpaceAction, refCon);
}

IOUserNetworkTxSubmissionQueue *IOUserNetworkTxSubmissionQueue::withPoolAndServiceClass(
    IOUserNetworkPacketBufferPool *pool, IOUserNetworkServiceClass, uint32_t capacity,
    IOUserNetworkPacketQueueId queueId, OSObject *target, QueryFreeSpaceAction freeSpaceAction,
    DequeueAction dequeueAction, void *refCon, IOOptionBits options) {
    return withPool(pool, capacity, queueId, target, freeSpaceAction, dequeueAction, refCon,
                    options);
}

bool IOUserNetworkTxSubmissionQueue::initWithPool(IOUserNetworkPacketBufferPool *pool,
                                                  uint32_t capacity,
                                                  IOUserNetworkPacketQueueId queueId,
                                                  OSObject *target,
                                                  QueryFreeSpaceAction freeSpaceAction,
                                                  DequeueAction dequeueAction, void *refCon,
                                                  IOOptionBits) {
    return (ivars != nullptr || init()) &&
           netdext_setup_callbacks(QueueKind::tx_submission, pool, capacity, queueId, target,
                                   dequeueAction, nullptr, freeSpaceAction,
                                   refCon) == kIOReturnSuccess;
}

// Drops the packets waiting for the driver's dequeue action (they go back to the pool).
void IOUserNetworkTxSubmissionQueue::purgePackets() {
    IOUserNetworkTxSubmissionQueue *self = this;
    ivars->dispatch_queue->DispatchSync([self] {
        QueueAttachment *attachment = self->ivars->attachment.load(std::memory_order_acquire);
        auto &pending = self->ivars->pending;
        if (attachment == nullptr || pending.empty())
            return;
        std::vector<IOUserNetworkPacket *> objects;
        for (uint32_t id : pending) {
            IOUserNetworkPacket *packet = attachment->pool->object(id);
            packet->netdext_state()->held.store(true);
            objects.push_back(packet);
        }
        pending.clear();
        self->ivars->pool->DeallocatePackets(objects.data(), uint32_t(objects.size()));
    });
}

IOUserNetworkTxCompletionQueue *IOUserNetworkTxCompletionQueue::withPool(
    IOUserNetworkPacketBufferPool *pool, uint32_t capacity, IOUserNetworkPacketQueueId queueId,
    OSObject *target, EnqueueAction enqueueAction, void *refCon, IOOptionBits) {
    return netdext_with_callbacks<IOUserNetworkTxCompletionQueue>(QueueKind::tx_completion, pool,
                                                          capacity, queueId, target, nullptr,
                                                          enqueueAction, nullptr, refCon);
}

bool IOUserNetworkTxCompletionQueue::initWithPool(IOUserNetworkPacketBufferPool *pool,
                                                  uint32_t capacity,
                                                  IOUserNetworkPacketQueueId queueId,
                                                  OSObject *target, EnqueueAction enqueueAction,
                                                  void *refCon, IOOptionBits) {
    return (ivars != nullptr || init()) &&
           netdext_setup_callbacks(QueueKind::tx_completion, pool, capacity, queueId, target,
                                   nullptr, enqueueAction, nullptr, refCon) == kIOReturnSuccess;
}

IOReturn IOUserNetworkTxCompletionQueue::setPacketPoller(IOUserNetworkPacketPoller *) {
    return kIOReturnUnsupported;
}

IOUserNetworkRxSubmissionQueue *IOUserNetworkRxSubmissionQueue::withPool(
    IOUserNetworkPacketBufferPool *pool, uint32_t capacity, uint32_t, IOUserNetworkPacketQueueId queueId,
    OSObject *target, DequeueAction dequeueAction, void *refCon, IOOptionBits) {
    return netdext_with_callbacks<IOUserNetworkRxSubmissionQueue>(QueueKind::rx_submission, pool,
                                                          capacity, queueId, target, dequeueAction,
                                                          nullptr, nullptr, refCon);
}

bool IOUserNetworkRxSubmissionQueue::initWithPool(IOUserNetworkPacketBufferPool *pool,
                                                  uint32_t capacity, uint32_t,
                                                  IOUserNetworkPacketQueueId queueId,
                                                  OSObject *target, DequeueAction dequeueAction,
                                                  void *refCon, IOOptionBits) {
    return (ivars != nullptr || init()) &&
           netdext_setup_callbacks(QueueKind::rx_submission, pool, capacity, queueId, target,
                                   dequeueAction, nullptr, nullptr, refCon) == kIOReturnSuccess;
}

IOUserNetworkRxCompletionQueue *IOUserNetworkRxCompletionQueue::withPool(
    IOUserNetworkPacketBufferPool *pool, uint32_t capacity, IOUserNetworkPacketQueueId queueId,
    OSObject *target, EnqueueAction enqueueAction, void *refCon, IOOptionBits) {
    return netdext_with_callbacks<IOUserNetworkRxCompletionQueue>(QueueKind::rx_completion, pool,
                                                          capacity, queueId, target, nullptr,
                                                          enqueueAction, nullptr, refCon);
}

bool IOUserNetworkRxCompletionQueue::initWithPool(IOUserNetworkPacketBufferPool *pool,
                                                  uint32_t capacity,
                                                  IOUserNetworkPacketQueueId queueId,
                                                  OSObject *target, EnqueueAction enqueueAction,
                                                  void *refCon, IOOptionBits) {
    return (ivars != nullptr || init()) &&
           netdext_setup_callbacks(QueueKind::rx_completion, pool, capacity, queueId, target,
                                   nullptr, enqueueAction, nullptr, refCon) == kIOReturnSuccess;
}

IOReturn IOUserNetworkRxCompletionQueue::setPacketPoller(IOUserNetworkPacketPoller *) {
    return kIOReturnUnsupported;
}
