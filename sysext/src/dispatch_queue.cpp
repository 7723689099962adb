// A serial queue with its own thread (see dispatch_queue.h).

#include <netdext/sysext/dispatch_queue.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <vector>

namespace netdext::sysext {

struct DispatchQueue::State {
    using Clock = std::chrono::steady_clock;
    struct Timed {
        Clock::time_point when;
        uint64_t order;
        std::function<void()> work;
    };
    // std::push_heap keeps the "largest" first: here the earliest, then the oldest.
    static bool later(const Timed &a, const Timed &b) {
        return a.when != b.when ? a.when > b.when : a.order > b.order;
    }

    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::function<void()>> work;
    std::vector<Timed> timed; // a heap
    uint64_t next_order = 0;
    bool stopping = false;

    void run() {
        std::unique_lock lock(mutex);
        for (;;) {
            while (!timed.empty() && timed.front().when <= Clock::now()) {
                std::pop_heap(timed.begin(), timed.end(), later);
                work.push_back(std::move(timed.back().work));
                timed.pop_back();
            }
            if (!work.empty()) {
                std::function<void()> next = std::move(work.front());
                work.pop_front();
                lock.unlock();
                next();
                next = nullptr; // what it captured goes before the lock is taken again
                lock.lock();
                continue;
            }
            if (stopping)
                return;
            if (timed.empty())
                changed.wait(lock);
            else {
                // A copy: wait_until reads the deadline again after waking, and after() may
                // have grown (moved) the heap meanwhile.
                const Clock::time_point deadline = timed.front().when;
                changed.wait_until(lock, deadline);
            }
        }
    }
};

std::shared_ptr<DispatchQueue> DispatchQueue::create(std::string label) {
    return std::shared_ptr<DispatchQueue>(new DispatchQueue(std::move(label)));
}

DispatchQueue::DispatchQueue(std::string label)
    : m_label(std::move(label)), m_state(std::make_shared<State>()) {
    m_thread = std::thread([state = m_state] { state->run(); });
}

DispatchQueue::~DispatchQueue() {
    {
        std::lock_guard lock(m_state->mutex);
        m_state->stopping = true;
    }
    m_state->changed.notify_all();
    // The last reference went away in work on this very queue: the thread ends on its own
    // (it holds the state).
    if (m_thread.get_id() == std::this_thread::get_id())
        m_thread.detach();
    else
        m_thread.join();
}

void DispatchQueue::async(std::function<void()> work) {
    {
        std::lock_guard lock(m_state->mutex);
        m_state->work.push_back(std::move(work));
    }
    m_state->changed.notify_all();
}

void DispatchQueue::sync(const std::function<void()> &work) {
    if (on_queue()) {
        work();
        return;
    }
    std::promise<void> done;
    async([&] {
        work();
        done.set_value();
    });
    done.get_future().wait();
}

void DispatchQueue::after(std::chrono::milliseconds delay, std::function<void()> work) {
    {
        std::lock_guard lock(m_state->mutex);
        m_state->timed.push_back(
            State::Timed{State::Clock::now() + delay, m_state->next_order++, std::move(work)});
        std::push_heap(m_state->timed.begin(), m_state->timed.end(), State::later);
    }
    m_state->changed.notify_all();
}

bool DispatchQueue::on_queue() const {
    return m_thread.get_id() == std::this_thread::get_id();
}

Queue::Queue(std::shared_ptr<DispatchQueue> queue)
    : m_executor([queue = std::move(queue)](std::function<void()> work) {
          queue->async(std::move(work));
      }) {}

Queue::Queue(Executor executor) : m_executor(std::move(executor)) {}

void Queue::dispatch(std::function<void()> work) const {
    m_executor(std::move(work));
}

} // namespace netdext::sysext
