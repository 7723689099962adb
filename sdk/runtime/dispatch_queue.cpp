// IODispatchQueue: a serial executor on its own thread, plus the process-wide idle tracking that
// the virtual clock and the driver test bench wait on.

#include <DriverKit/IODispatchQueue.h>
#include <DriverKit/IOTimerDispatchSource.h>
#include <netdext/iig_support.h>
#include <netdext/runtime.h>
#include <netdext/time_source.h>

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "internal.h"

namespace {

// ---- idle tracking: blocks queued or running in any queue of the process ----

struct IdleTracker {
    std::mutex mutex;
    std::condition_variable idle;
    uint64_t busy = 0;
};

IdleTracker &idle_tracker() {
    static IdleTracker *tracker = new IdleTracker; // leaked: queues may outlive static destructors
    return *tracker;
}

void work_added() {
    IdleTracker &t = idle_tracker();
    std::lock_guard lock(t.mutex);
    ++t.busy;
}

void work_done() {
    IdleTracker &t = idle_tracker();
    std::lock_guard lock(t.mutex);
    if (--t.busy == 0)
        t.idle.notify_all();
}

// ---- queue state: shared with the worker thread so it can outlive the IODispatchQueue ----

struct Task {
    IODispatchBlock block;
    bool is_cancel_handler = false;
};

struct QueueState {
    std::string name;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Task> tasks;
    bool cancelled = false; // no new blocks accepted
    bool exiting = false;   // the worker leaves its loop
    std::thread::id thread_id;
    bool busy = false; // a block of the queue is running (on its thread, or inline elsewhere)
    std::multiset<void *> wakeups; // Wakeup() events not yet consumed by a sleeper
    int sleepers = 0;
    bool warned_sync_onto_self = false;
};

thread_local IODispatchQueue *t_current_queue = nullptr;
thread_local QueueState *t_current_state = nullptr;
thread_local bool t_inline_dispatch = false; // netdext::InlineDispatchScope

// Runs one block with the thread's current-queue marker set. The caller releases its work unit
// (work_done) once the queue is free again, so that an idle process has idle queues.
template <class F> void run_as(IODispatchQueue *queue, QueueState &state, F &&block) {
    IODispatchQueue *saved_queue = t_current_queue;
    QueueState *saved_state = t_current_state;
    t_current_queue = queue;
    t_current_state = &state;
    block();
    t_current_queue = saved_queue;
    t_current_state = saved_state;
}

void run_task(IODispatchQueue *queue, QueueState &state, Task &task) {
    run_as(queue, state, task.block);
}

std::mutex g_queues_mutex;
std::set<IODispatchQueue *> &all_queues() {
    static auto *queues = new std::set<IODispatchQueue *>;
    return *queues;
}

} // namespace

struct IODispatchQueue_IVars {
    std::shared_ptr<QueueState> state;
    std::thread thread;
};

NETDEXT_DEFINE_CLASS(IODispatchQueue, OSObject, nullptr, 0)

kern_return_t IODispatchQueue::_Dispatch(OSMetaClassBase *object, const IORPC rpc) {
    return OSObject::_Dispatch(object, rpc);
}

bool netdext::wait_until_idle(std::chrono::milliseconds timeout) {
    IdleTracker &t = idle_tracker();
    std::unique_lock lock(t.mutex);
    return t.idle.wait_for(lock, timeout, [&] { return t.busy == 0; });
}

kern_return_t IODispatchQueue::Create(const IODispatchQueueName name, uint64_t options,
                                      uint64_t priority, IODispatchQueue **queue) {
    if (queue == nullptr)
        return kIOReturnBadArgument;
    *queue = nullptr;
    IODispatchQueue *created = new IODispatchQueue;
    if (!created->init()) {
        created->release();
        return kIOReturnNoMemory;
    }
    auto state = created->ivars->state;
    state->name = (name != nullptr && name[0] != '\0') ? name : "Default";
    IODispatchQueue *self = created;
    created->ivars->thread = std::thread([state, self] {
        // Linux thread names are at most 15 characters.
        std::string thread_name = "dq:" + state->name;
        thread_name.resize(std::min<size_t>(thread_name.size(), 15));
        pthread_setname_np(pthread_self(), thread_name.c_str());
        std::unique_lock lock(state->mutex);
        for (;;) {
            // A block running inline on another thread holds the queue (busy) until it returns.
            state->wake.wait(
                lock, [&] { return state->exiting || (!state->tasks.empty() && !state->busy); });
            if (state->tasks.empty() || state->busy)
                break; // exiting with nothing left to run
            Task task = std::move(state->tasks.front());
            state->tasks.pop_front();
            state->busy = true;
            lock.unlock();
            run_task(self, *state, task);
            bool was_cancel = task.is_cancel_handler;
            task = Task{}; // drop captured references outside the lock
            lock.lock();
            state->busy = false;
            work_done();
            if (was_cancel) {
                state->exiting = true;
                // Blocks that slipped in are dropped: the queue is cancelled.
                size_t dropped = state->tasks.size();
                state->tasks.clear();
                lock.unlock();
                for (size_t i = 0; i < dropped; ++i)
                    work_done();
                lock.lock();
                break;
            }
        }
        netdext::runtime_stats().live_queues.fetch_sub(1, std::memory_order_relaxed);
    });
    state->thread_id = created->ivars->thread.get_id();
    netdext::runtime_stats().live_queues.fetch_add(1, std::memory_order_relaxed);
    {
        std::lock_guard lock(g_queues_mutex);
        all_queues().insert(created);
    }
    *queue = created;
    return kIOReturnSuccess;
}

bool IODispatchQueue::init() {
    if (!OSObject::init())
        return false;
    ivars = new IODispatchQueue_IVars;
    ivars->state = std::make_shared<QueueState>();
    return true;
}

void IODispatchQueue::free() {
    if (ivars != nullptr) {
        {
            std::lock_guard lock(g_queues_mutex);
            all_queues().erase(this);
        }
        auto state = ivars->state;
        size_t dropped = 0;
        {
            std::lock_guard lock(state->mutex);
            state->exiting = true;
            state->cancelled = true;
            // Every pending block holds a reference on the queue, so none should be left here.
            dropped = state->tasks.size();
            state->tasks.clear();
        }
        for (size_t i = 0; i < dropped; ++i)
            work_done();
        state->wake.notify_all();
        if (ivars->thread.joinable()) {
            if (ivars->thread.get_id() == std::this_thread::get_id())
                ivars->thread.detach(); // last reference dropped by one of our own blocks
            else
                ivars->thread.join();
        }
        delete ivars;
        ivars = nullptr;
    }
    OSObject::free();
}

IODispatchQueue *IODispatchQueue::netdext_current() { return t_current_queue; }

bool IODispatchQueue::OnQueue() {
    return ivars != nullptr && t_current_state == ivars->state.get();
}

const char *IODispatchQueue::GetName() { return ivars->state->name.c_str(); }

// Queues a block; each pending block keeps the queue alive. Returns false if cancelled.
static bool enqueue(IODispatchQueue *queue, QueueState &state, IODispatchBlock block,
                    bool is_cancel_handler = false) {
    queue->retain();
    work_added();
    {
        std::lock_guard lock(state.mutex);
        if (state.cancelled && !is_cancel_handler) {
            // fall through to the rejection below, outside the lock
        } else {
            state.tasks.push_back(Task{[queue, block] {
                                           block();
                                           queue->release();
                                       },
                                       is_cancel_handler});
            if (is_cancel_handler)
                state.cancelled = true;
            // A queue held by a running block needs no wake-up: its thread goes on to the next
            // block by itself, and an inline runner drains or hands over when it lets go. A
            // block sleeping on the queue (SleepWithDeadline) runs new blocks: it is woken.
            if (!state.busy || state.sleepers > 0)
                state.wake.notify_all();
            return true;
        }
    }
    work_done();
    queue->release();
    netdext::log_linef(netdext::LogLevel::error,
                       "netdext: block dispatched to cancelled queue \"%s\" was dropped",
                       state.name.c_str());
    return false;
}

netdext::InlineDispatchScope::InlineDispatchScope() : m_saved(t_inline_dispatch) {
    t_inline_dispatch = true;
}

netdext::InlineDispatchScope::~InlineDispatchScope() {
    t_inline_dispatch = m_saved;
}

// InlineDispatchScope: runs `block` on this thread if the queue is idle; false if it is not.
static bool run_if_idle(IODispatchQueue *queue, std::shared_ptr<QueueState> state,
                        const IODispatchBlock &block) {
    {
        std::lock_guard lock(state->mutex);
        if (state->busy || !state->tasks.empty() || state->cancelled || state->exiting)
            return false;
        state->busy = true;
    }
    // As enqueue() does: the block keeps the queue alive. (If it drops the last reference, the
    // queue's thread exits; `state` stays alive here.)
    queue->retain();
    work_added();
    run_as(queue, *state, [&] {
        block();
        queue->release();
    });
    // Blocks queued meanwhile run here too, in order, as the queue's own thread would run them
    // (a few: then the queue's thread takes over), which saves waking that thread for each.
    constexpr int kInlineDrain = 16;
    for (int drained = 0;; ++drained) {
        Task task;
        {
            std::lock_guard lock(state->mutex);
            if (state->tasks.empty() || state->exiting || drained == kInlineDrain ||
                state->tasks.front().is_cancel_handler) {
                state->busy = false;
                if (!state->tasks.empty())
                    state->wake.notify_all(); // the queue's thread takes over
                break;
            }
            task = std::move(state->tasks.front());
            state->tasks.pop_front();
        }
        run_task(queue, *state, task); // the task holds a reference: the queue is alive
        task = Task{};
        work_done();
    }
    work_done();
    return true;
}

void IODispatchQueue::DispatchAsync(IODispatchBlock block) {
    if (t_inline_dispatch && t_current_state == nullptr && run_if_idle(this, ivars->state, block))
        return;
    enqueue(this, *ivars->state, std::move(block));
}

void IODispatchQueue::DispatchAsync_f(void *context, IODispatchFunction function) {
    DispatchAsync([context, function] { function(context); });
}

void IODispatchQueue::DispatchSync(IODispatchBlock block) {
    QueueState &state = *ivars->state;
    if (OnQueue()) {
        // libdispatch traps here; netdext runs the block inline and reports the bug.
        netdext::runtime_stats().sync_onto_self.fetch_add(1, std::memory_order_relaxed);
        netdext::log_linef(netdext::LogLevel::error,
                           "netdext: DispatchSync onto queue \"%s\" from a block running on it "
                           "would deadlock; running the block inline",
                           state.name.c_str());
        block();
        return;
    }
    struct Completion {
        std::mutex mutex;
        std::condition_variable done_cv;
        bool done = false;
    };
    auto completion = std::make_shared<Completion>();
    bool queued = enqueue(this, state, [block, completion] {
        block();
        std::lock_guard lock(completion->mutex);
        completion->done = true;
        completion->done_cv.notify_all();
    });
    if (!queued)
        return;
    std::unique_lock lock(completion->mutex);
    completion->done_cv.wait(lock, [&] { return completion->done; });
}

void IODispatchQueue::DispatchSync_f(void *context, IODispatchFunction function) {
    DispatchSync([context, function] { function(context); });
}

void IODispatchQueue::DispatchConcurrent(IODispatchBlock block) { DispatchAsync(std::move(block)); }

void IODispatchQueue::DispatchConcurrent_f(void *context, IODispatchFunction function) {
    DispatchAsync_f(context, function);
}

kern_return_t IODispatchQueue::RunAction(IODispatchAction action) {
    kern_return_t result = kIOReturnAborted;
    DispatchSync([&] { result = action(); });
    return result;
}

kern_return_t IODispatchQueue::Cancel(IODispatchQueueCancelHandler handler) {
    QueueState &state = *ivars->state;
    {
        std::lock_guard lock(state.mutex);
        if (state.cancelled)
            return kIOReturnNotReady;
    }
    enqueue(this, state, std::move(handler), true);
    return kIOReturnSuccess;
}

void IODispatchQueue::Log(const char *message, IODispatchLogFunction output) {
    if (output == nullptr)
        return;
    std::lock_guard lock(g_queues_mutex);
    output("%s: %zu dispatch queue(s)\n", message ? message : "", all_queues().size());
    for (IODispatchQueue *queue : all_queues()) {
        QueueState &state = *queue->ivars->state;
        std::lock_guard queue_lock(state.mutex);
        output("  queue \"%s\": %zu pending%s\n", state.name.c_str(), state.tasks.size(),
               state.cancelled ? ", cancelled" : "");
    }
}

// ---- Sleep / Wakeup: a sleeping block keeps running the queue's other blocks ----

static std::chrono::steady_clock::time_point real_deadline(uint64_t options, uint64_t deadline) {
    using namespace std::chrono;
    // FIXME: the wait is measured in real time even under the virtual clock; a block sleeping with
    // a deadline under the test bench wakes after the same amount of real time.
    netdext::ClockDomain domain = (options == kIOTimerClockMonotonicRaw)
                                      ? netdext::ClockDomain::monotonic
                                      : netdext::ClockDomain::uptime;
    uint64_t now = netdext::time_source().now_ns(domain);
    if (deadline == UINT64_MAX)
        return steady_clock::time_point::max();
    uint64_t delta = deadline > now ? deadline - now : 0;
    return steady_clock::now() + nanoseconds(std::min<uint64_t>(delta, 365ull * 86400 * 1000000000));
}

kern_return_t IODispatchQueue::SleepWithDeadline(void *event, uint64_t options, uint64_t deadline) {
    if (!OnQueue())
        return kIOReturnNotPermitted;
    QueueState &state = *ivars->state;
    auto until = real_deadline(options, deadline);
    std::unique_lock lock(state.mutex);
    ++state.sleepers;
    kern_return_t result = kIOReturnSuccess;
    for (;;) {
        auto woken = state.wakeups.find(event);
        if (woken != state.wakeups.end()) {
            state.wakeups.erase(woken);
            break;
        }
        if (!state.tasks.empty() && !state.tasks.front().is_cancel_handler) {
            Task task = std::move(state.tasks.front());
            state.tasks.pop_front();
            lock.unlock();
            run_task(this, state, task);
            work_done();
            task = Task{};
            lock.lock();
            continue;
        }
        if (state.wake.wait_until(lock, until) == std::cv_status::timeout &&
            state.wakeups.find(event) == state.wakeups.end() && state.tasks.empty()) {
            result = kIOReturnTimeout;
            break;
        }
    }
    --state.sleepers;
    return result;
}

kern_return_t IODispatchQueue::Sleep(void *event, uint64_t timeout) {
    return SleepWithTimeout(event, timeout);
}

kern_return_t IODispatchQueue::SleepWithTimeout(void *event, uint64_t timeout) {
    uint64_t now = netdext::time_source().now_ns(netdext::ClockDomain::uptime);
    uint64_t deadline = (timeout == 0 || timeout > UINT64_MAX - now) ? UINT64_MAX : now + timeout;
    return SleepWithDeadline(event, kIOTimerClockUptimeRaw, deadline);
}

kern_return_t IODispatchQueue::Wakeup(void *event) { return WakeupWithOptions(event, 0); }

kern_return_t IODispatchQueue::WakeupWithOptions(void *event, uint64_t options) {
    QueueState &state = *ivars->state;
    {
        std::lock_guard lock(state.mutex);
        if (state.sleepers == 0)
            return kIOReturnSuccess; // like a condition variable: nobody sleeps, nothing to wake
        int count = (options & kIODispatchQueueWakeupAll) ? state.sleepers : 1;
        for (int i = 0; i < count; ++i)
            state.wakeups.insert(event);
    }
    state.wake.notify_all();
    return kIOReturnSuccess;
}
