// Where an app's SystemExtensions delegate runs (netdext's counterpart of the dispatch_queue_t an
// OSSystemExtensionRequest is created with). Two kinds:
//
//   DispatchQueue  a serial queue with a thread of its own, as dispatch_queue_create(label,
//                  DISPATCH_QUEUE_SERIAL) gives: work runs one item at a time, in order.
//   Queue          what a request takes: a DispatchQueue, or an executor of the app's own (a
//                  function that runs the work it is given wherever the app likes: its GUI
//                  loop, its event loop…).
//
// Threads: every member may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace netdext::sysext {

class DispatchQueue {
public:
    static std::shared_ptr<DispatchQueue> create(std::string label);
    // Runs what was already queued (not what is still waiting for its time: after()), then
    // stops the thread. Destroying the queue from its own thread lets the thread finish alone.
    ~DispatchQueue();
    DispatchQueue(const DispatchQueue &) = delete;
    DispatchQueue &operator=(const DispatchQueue &) = delete;

    // Queues `work` and returns at once.
    void async(std::function<void()> work);
    // Runs `work` on the queue and waits for it (inline when called on the queue itself).
    void sync(const std::function<void()> &work);
    // Queues `work` once `delay` has passed.
    void after(std::chrono::milliseconds delay, std::function<void()> work);
    // Whether the calling thread is this queue's.
    [[nodiscard]] bool on_queue() const;
    [[nodiscard]] const std::string &label() const { return m_label; }

private:
    struct State; // shared with the thread, which may outlive this object (see the destructor)
    explicit DispatchQueue(std::string label);

    const std::string m_label;
    std::shared_ptr<State> m_state;
    std::thread m_thread;
};

class Queue {
public:
    using Executor = std::function<void(std::function<void()>)>;
    Queue(std::shared_ptr<DispatchQueue>
              queue);         // NOLINT(google-explicit-constructor): as Apple's API takes a queue
    Queue(Executor executor); // NOLINT(google-explicit-constructor)

    // Hands `work` to the queue or the executor.
    void dispatch(std::function<void()> work) const;

private:
    Executor m_executor;
};

} // namespace netdext::sysext
