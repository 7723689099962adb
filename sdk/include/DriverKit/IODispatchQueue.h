/*
 * DriverKit/IODispatchQueue.h — a serial executor backed by one thread.
 *
 * netdext semantics:
 *  - Blocks run one at a time, in submission order, on the queue's own thread.
 *  - DispatchSync from another thread waits until the block has run on the queue.
 *  - DispatchSync onto the queue the caller is running on would deadlock on macOS (libdispatch
 *    traps). netdext runs the block inline at once, logs an error naming the queue, and counts
 *    it (netdext::runtime_stats().sync_onto_self); the driver test bench fails such a test.
 *  - Cancel(handler): blocks already submitted still run, later ones are dropped, then the handler
 *    runs on the queue and the thread exits.
 *  - Sleep()/SleepWithDeadline() on the queue keep running the queue's other blocks until
 *    Wakeup() for the same event or the deadline (Apple's reentrant sleep).
 */
#ifndef _DRIVERKIT_IODISPATCHQUEUE_H
#define _DRIVERKIT_IODISPATCHQUEUE_H

#include <DriverKit/OSObject.h>
#include <netdext/block.h>

typedef netdext::Block<void()> IODispatchBlock;
typedef void (*IODispatchFunction)(void *context);
typedef netdext::Block<kern_return_t()> IODispatchAction;
typedef netdext::Block<void()> IODispatchQueueCancelHandler;
typedef void (*IODispatchLogFunction)(const char *format, ...);

enum {
    kIODispatchQueueReentrant = 0x00000001,
    kIODispatchQueueMethodsNotSynchronized = 0x00000002,
};
enum {
    kIODispatchQueueWakeupAll = 0x00000001,
};
enum {
    kIODispatchQueueSleepReuseEvent = 0x00000100,
};

struct IODispatchQueue_IVars;

class IODispatchQueue : public OSObject {
public:
    NETDEXT_CLASS_MEMBERS(IODispatchQueue, OSObject)

    static kern_return_t Create(const IODispatchQueueName name, uint64_t options,
                                uint64_t priority, IODispatchQueue **queue);

    bool init() override;
    void free() override;

    bool OnQueue();
    const char *GetName();
    kern_return_t Cancel(IODispatchQueueCancelHandler handler);

    void DispatchAsync(IODispatchBlock block);
    void DispatchAsync_f(void *context, IODispatchFunction function);
    void DispatchSync(IODispatchBlock block);
    void DispatchSync_f(void *context, IODispatchFunction function);
    /* A serial queue runs concurrent work serially. */
    void DispatchConcurrent(IODispatchBlock block);
    void DispatchConcurrent_f(void *context, IODispatchFunction function);
    kern_return_t RunAction(IODispatchAction action);

    static void Log(const char *message, IODispatchLogFunction output);

    kern_return_t Sleep(void *event, uint64_t timeout);
    kern_return_t SleepWithDeadline(void *event, uint64_t options, uint64_t deadline);
    kern_return_t SleepWithTimeout(void *event, uint64_t timeout);
    kern_return_t Wakeup(void *event);
    kern_return_t WakeupWithOptions(void *event, uint64_t options);

    /* netdext: the queue the calling thread is running a block of, or NULL. */
    static IODispatchQueue *netdext_current();

private:
    IODispatchQueue_IVars *ivars = nullptr;
};

extern OSMetaClass *gIODispatchQueueMetaClass;

#endif /* _DRIVERKIT_IODISPATCHQUEUE_H */
