/*
 * DriverKit/IODataQueueDispatchSource.h — a byte queue of variable-size entries with
 * "data available" / "data serviced" notifications delivered as OSActions.
 *
 * netdext: the queue lives in process memory. Enqueue() into an empty queue sends DataAvailable;
 * Dequeue() after an Enqueue failed for lack of space sends DataServiced. SendDataAvailable()
 * can be called directly (NetworkingDriverKit's packet queues use the source only as a doorbell).
 * Notifications are suppressed while the source is disabled; enabling it again with data pending
 * sends DataAvailable.
 */
#ifndef _DRIVERKIT_IODATAQUEUEDISPATCHSOURCE_H
#define _DRIVERKIT_IODATAQUEUEDISPATCHSOURCE_H

#include <DriverKit/IODispatchSource.h>
#include <DriverKit/OSAction.h>

#define IODataQueueDispatchSource_DataAvailable_ID 0xf799c876baf566f3ULL
#define IODataQueueDispatchSource_DataServiced_ID 0x8daa79f78047d8d8ULL

typedef netdext::Block<void(const void *data, size_t dataSize)> IODataQueueClientDequeueEntryBlock;
typedef netdext::Block<void(void *data, size_t dataSize)> IODataQueueClientEnqueueEntryBlock;

class IOMemoryDescriptor;
struct IODataQueueDispatchSource_IVars;

class IODataQueueDispatchSource : public IODispatchSource {
public:
    NETDEXT_CLASS_MEMBERS(IODataQueueDispatchSource, IODispatchSource)

    static kern_return_t Create(uint64_t queueByteCount, IODispatchQueue *queue,
                                IODataQueueDispatchSource **source);

    bool init() override;
    void free() override;

    virtual kern_return_t SetDataAvailableHandler(OSAction *action);
    virtual kern_return_t SetDataServicedHandler(OSAction *action);
    kern_return_t SetEnableWithCompletion(bool enable,
                                          IODispatchSourceCancelHandler handler) override;
    kern_return_t Cancel(IODispatchSourceCancelHandler handler) override;
    kern_return_t CheckForWork(bool synchronous) override;

    bool IsDataAvailable(void);
    kern_return_t Peek(IODataQueueClientDequeueEntryBlock callback);
    kern_return_t Dequeue(IODataQueueClientDequeueEntryBlock callback);
    kern_return_t Enqueue(uint32_t dataSize, IODataQueueClientEnqueueEntryBlock callback);
    kern_return_t DequeueWithCoalesce(bool *sendDataServiced,
                                      IODataQueueClientDequeueEntryBlock callback);
    kern_return_t EnqueueWithCoalesce(uint32_t dataSize, bool *sendDataAvailable,
                                      IODataQueueClientEnqueueEntryBlock callback);
    bool CanEnqueueData(uint32_t dataSize);
    bool CanEnqueueData(uint32_t dataSize, uint32_t entryCount);
    void SendDataAvailable(void);
    void SendDataServiced(void);
    static size_t GetDataQueueEntryHeaderSize(void);

    kern_return_t CopyDataAvailableHandler(OSAction **action);
    kern_return_t CopyDataServicedHandler(OSAction **action);

protected:
    void netdext_enable_changed(bool enabled) override;

private:
    IODataQueueDispatchSource_IVars *ivars = nullptr;
};

extern OSMetaClass *gIODataQueueDispatchSourceMetaClass;

#endif /* _DRIVERKIT_IODATAQUEUEDISPATCHSOURCE_H */
