// IODataQueueDispatchSource: a byte queue of variable-size entries with DataAvailable /
// DataServiced notifications. Entries are a 4-byte size header followed by the data, padded to 4
// bytes; an entry that does not fit before the end of the buffer starts again at offset 0 (the
// tail space is skipped with a wrap marker).

#include <DriverKit/IODataQueueDispatchSource.h>
#include <netdext/iig_support.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "internal.h"

namespace {
constexpr uint32_t kEntryHeaderSize = 4;
constexpr uint32_t kWrapMarker = 0xFFFFFFFFu;
constexpr uint32_t padded(uint32_t size) { return (size + 3u) & ~3u; }
} // namespace

struct IODataQueueDispatchSource_IVars {
    std::mutex mutex;
    std::vector<uint8_t> buffer;
    uint32_t head = 0; // next entry to dequeue
    uint32_t tail = 0; // next free byte
    uint32_t used = 0; // bytes in use incl. headers and skipped wrap space
    uint32_t entries = 0;
    bool needs_serviced = false; // an enqueue failed for lack of space
    bool available_pending = false; // a DataAvailable delivery is queued and has not started
    OSAction *available_action = nullptr;
    OSAction *serviced_action = nullptr;
};

NETDEXT_DEFINE_CLASS(IODataQueueDispatchSource, IODispatchSource, nullptr, 0)

kern_return_t IODataQueueDispatchSource::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return IODispatchSource::_Dispatch(object, rpc);
}

kern_return_t IODataQueueDispatchSource::Create(uint64_t queueByteCount, IODispatchQueue *queue,
                                                IODataQueueDispatchSource **source) {
    if (queue == nullptr || source == nullptr || queueByteCount < kEntryHeaderSize ||
        queueByteCount > (1ull << 30))
        return kIOReturnBadArgument;
    *source = nullptr;
    auto *created = netdext::new_object<IODataQueueDispatchSource>();
    if (created == nullptr)
        return kIOReturnNoMemory;
    created->ivars->buffer.resize(padded(uint32_t(queueByteCount)));
    kern_return_t kr = created->netdext_set_queue(queue);
    if (kr != kIOReturnSuccess) {
        created->release();
        return kr;
    }
    *source = created;
    return kIOReturnSuccess;
}

bool IODataQueueDispatchSource::init() {
    if (!IODispatchSource::init())
        return false;
    ivars = new IODataQueueDispatchSource_IVars;
    return true;
}

void IODataQueueDispatchSource::free() {
    if (ivars != nullptr) {
        OSSafeReleaseNULL(ivars->available_action);
        OSSafeReleaseNULL(ivars->serviced_action);
        delete ivars;
        ivars = nullptr;
    }
    IODispatchSource::free();
}

static kern_return_t replace_action(std::mutex &mutex, OSAction *&slot, OSAction *action) {
    if (action != nullptr)
        action->retain();
    OSAction *old;
    {
        std::lock_guard lock(mutex);
        old = slot;
        slot = action;
    }
    if (old != nullptr)
        old->release();
    return kIOReturnSuccess;
}

kern_return_t IODataQueueDispatchSource::SetDataAvailableHandler(OSAction *action) {
    return replace_action(ivars->mutex, ivars->available_action, action);
}

kern_return_t IODataQueueDispatchSource::SetDataServicedHandler(OSAction *action) {
    return replace_action(ivars->mutex, ivars->serviced_action, action);
}

kern_return_t IODataQueueDispatchSource::CopyDataAvailableHandler(OSAction **action) {
    if (action == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *action = ivars->available_action;
    if (*action != nullptr)
        (*action)->retain();
    return *action != nullptr ? kIOReturnSuccess : kIOReturnNotFound;
}

kern_return_t IODataQueueDispatchSource::CopyDataServicedHandler(OSAction **action) {
    if (action == nullptr)
        return kIOReturnBadArgument;
    std::lock_guard lock(ivars->mutex);
    *action = ivars->serviced_action;
    if (*action != nullptr)
        (*action)->retain();
    return *action != nullptr ? kIOReturnSuccess : kIOReturnNotFound;
}

kern_return_t IODataQueueDispatchSource::SetEnableWithCompletion(
    bool enable, IODispatchSourceCancelHandler handler) {
    return netdext_set_enable(enable, std::move(handler));
}

void IODataQueueDispatchSource::netdext_enable_changed(bool enabled) {
    if (enabled && IsDataAvailable())
        SendDataAvailable();
}

kern_return_t IODataQueueDispatchSource::Cancel(IODispatchSourceCancelHandler handler) {
    return netdext_cancel(std::move(handler));
}

kern_return_t IODataQueueDispatchSource::CheckForWork(bool) { return kIOReturnSuccess; }

size_t IODataQueueDispatchSource::GetDataQueueEntryHeaderSize(void) { return kEntryHeaderSize; }

bool IODataQueueDispatchSource::IsDataAvailable(void) {
    std::lock_guard lock(ivars->mutex);
    return ivars->entries > 0;
}

// Where an entry of `size` bytes would go, or false if it does not fit. Lock held.
static bool reserve(IODataQueueDispatchSource_IVars &q, uint32_t size, uint32_t &offset,
                    uint32_t &skipped) {
    const uint32_t capacity = uint32_t(q.buffer.size());
    const uint64_t need = uint64_t(kEntryHeaderSize) + padded(size);
    if (need > capacity)
        return false;
    skipped = 0;
    if (q.tail >= q.head && !(q.used > 0 && q.tail == q.head)) {
        // free space is [tail, capacity) and [0, head)
        if (q.tail + need <= capacity) {
            offset = q.tail;
        } else if (need <= q.head) {
            skipped = capacity - q.tail;
            offset = 0;
        } else {
            return false;
        }
    } else {
        // free space is [tail, head)
        if (q.tail + need > q.head || (q.used > 0 && q.tail == q.head))
            return false;
        offset = q.tail;
    }
    return uint64_t(q.used) + skipped + need <= capacity;
}

kern_return_t IODataQueueDispatchSource::EnqueueWithCoalesce(
    uint32_t dataSize, bool *sendDataAvailable, IODataQueueClientEnqueueEntryBlock callback) {
    if (sendDataAvailable == nullptr)
        return kIOReturnBadArgument;
    *sendDataAvailable = false;
    std::lock_guard lock(ivars->mutex);
    IODataQueueDispatchSource_IVars &q = *ivars;
    if (dataSize >= kWrapMarker)
        return kIOReturnBadArgument;
    uint32_t offset = 0, skipped = 0;
    if (!reserve(q, dataSize, offset, skipped)) {
        q.needs_serviced = true;
        return kIOReturnOverrun;
    }
    if (skipped > 0 && skipped >= kEntryHeaderSize)
        std::memcpy(&q.buffer[q.tail], &kWrapMarker, kEntryHeaderSize);
    std::memcpy(&q.buffer[offset], &dataSize, kEntryHeaderSize);
    callback(&q.buffer[offset + kEntryHeaderSize], dataSize);
    const uint32_t need = kEntryHeaderSize + padded(dataSize);
    bool was_empty = q.entries == 0;
    q.used += skipped + need;
    q.tail = (offset + need) % uint32_t(q.buffer.size());
    ++q.entries;
    *sendDataAvailable = was_empty;
    return kIOReturnSuccess;
}

kern_return_t IODataQueueDispatchSource::Enqueue(uint32_t dataSize,
                                                 IODataQueueClientEnqueueEntryBlock callback) {
    bool send = false;
    kern_return_t kr = EnqueueWithCoalesce(dataSize, &send, std::move(callback));
    if (kr == kIOReturnSuccess && send)
        SendDataAvailable();
    return kr;
}

// Reads the entry at head (skipping a wrap). Lock held.
static bool front_entry(IODataQueueDispatchSource_IVars &q, uint32_t &offset, uint32_t &size) {
    if (q.entries == 0)
        return false;
    const uint32_t capacity = uint32_t(q.buffer.size());
    uint32_t at = q.head;
    uint32_t header = kWrapMarker;
    if (capacity - at >= kEntryHeaderSize)
        std::memcpy(&header, &q.buffer[at], kEntryHeaderSize);
    if (header == kWrapMarker) {
        q.used -= capacity - at;
        q.head = at = 0;
        std::memcpy(&header, &q.buffer[0], kEntryHeaderSize);
    }
    offset = at;
    size = header;
    return true;
}

kern_return_t IODataQueueDispatchSource::Peek(IODataQueueClientDequeueEntryBlock callback) {
    std::lock_guard lock(ivars->mutex);
    uint32_t offset, size;
    if (!front_entry(*ivars, offset, size))
        return kIOReturnUnderrun;
    callback(&ivars->buffer[offset + kEntryHeaderSize], size);
    return kIOReturnSuccess;
}

kern_return_t IODataQueueDispatchSource::DequeueWithCoalesce(
    bool *sendDataServiced, IODataQueueClientDequeueEntryBlock callback) {
    if (sendDataServiced == nullptr)
        return kIOReturnBadArgument;
    *sendDataServiced = false;
    std::lock_guard lock(ivars->mutex);
    IODataQueueDispatchSource_IVars &q = *ivars;
    uint32_t offset, size;
    if (!front_entry(q, offset, size))
        return kIOReturnUnderrun;
    callback(&q.buffer[offset + kEntryHeaderSize], size);
    const uint32_t need = kEntryHeaderSize + padded(size);
    q.head = (offset + need) % uint32_t(q.buffer.size());
    q.used -= need;
    --q.entries;
    if (q.entries == 0) {
        q.head = q.tail = 0;
        q.used = 0;
    }
    if (q.needs_serviced) {
        q.needs_serviced = false;
        *sendDataServiced = true;
    }
    return kIOReturnSuccess;
}

kern_return_t IODataQueueDispatchSource::Dequeue(IODataQueueClientDequeueEntryBlock callback) {
    bool send = false;
    kern_return_t kr = DequeueWithCoalesce(&send, std::move(callback));
    if (kr == kIOReturnSuccess && send)
        SendDataServiced();
    return kr;
}

bool IODataQueueDispatchSource::CanEnqueueData(uint32_t dataSize) {
    return CanEnqueueData(dataSize, 1);
}

bool IODataQueueDispatchSource::CanEnqueueData(uint32_t dataSize, uint32_t entryCount) {
    std::lock_guard lock(ivars->mutex);
    if (entryCount == 0)
        return true;
    if (dataSize >= kWrapMarker)
        return false;
    uint64_t need = uint64_t(entryCount) * (kEntryHeaderSize + padded(dataSize));
    if (entryCount == 1) {
        uint32_t offset, skipped;
        return reserve(*ivars, dataSize, offset, skipped);
    }
    // Conservative for several entries: contiguous free space only.
    return uint64_t(ivars->used) + need + kEntryHeaderSize <= ivars->buffer.size();
}

void IODataQueueDispatchSource::SendDataAvailable(void) {
    OSAction *action;
    {
        std::lock_guard lock(ivars->mutex);
        // Coalesced: one delivery queued at a time; the handler drains everything there is.
        if (ivars->available_action == nullptr || ivars->available_pending)
            return;
        action = ivars->available_action;
        action->retain();
        ivars->available_pending = true;
    }
    HandlerTicket ticket;
    IODataQueueDispatchSource *self = this;
    if (netdext_begin_handler(ticket)) {
        auto gate = ticket.gate;
        bool sent = action->netdext_send(
            [self, gate] {
                {
                    std::lock_guard lock(self->ivars->mutex);
                    self->ivars->available_pending = false;
                }
                return gate();
            },
            ticket.done);
        if (!sent) {
            std::lock_guard lock(ivars->mutex);
            ivars->available_pending = false;
        }
    } else {
        std::lock_guard lock(ivars->mutex);
        ivars->available_pending = false;
    }
    action->release();
}

void IODataQueueDispatchSource::SendDataServiced(void) {
    OSAction *action;
    {
        std::lock_guard lock(ivars->mutex);
        if (ivars->serviced_action == nullptr)
            return;
        action = ivars->serviced_action;
        action->retain();
    }
    HandlerTicket ticket;
    if (netdext_begin_handler(ticket))
        action->netdext_send(ticket.gate, ticket.done);
    action->release();
}
