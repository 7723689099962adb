/* A process-wide log of which _Impl ran with which arguments, for iig_dispatch_tests. */
#ifndef NETDEXT_IIG_DISPATCH_TRACE_H
#define NETDEXT_IIG_DISPATCH_TRACE_H

#include <mutex>
#include <string>
#include <vector>

struct DispatchCall {
    std::string what;    /* "Leaf::Start", … */
    const void *pointer; /* the pointer argument, if any */
    uint64_t value;      /* the integer argument, if any */
};

class DispatchTrace {
public:
    static DispatchTrace &instance();
    void record(std::string what, const void *pointer = nullptr, uint64_t value = 0);
    std::vector<DispatchCall> take();

private:
    std::mutex m_mutex;
    std::vector<DispatchCall> m_calls;
};

#endif
