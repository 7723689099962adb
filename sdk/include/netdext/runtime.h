/*
 * netdext/runtime.h — process-wide settings of the DriverKit runtime, for hosts and test benches.
 * Drivers never include this; it is how "the system" configures the process a driver runs in.
 */
#ifndef _NETDEXT_RUNTIME_H
#define _NETDEXT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <DriverKit/IOReturn.h>
#include <atomic>
#include <chrono>
#include <string>
#include <functional>

class IOService;

namespace netdext {

/* ---- boot-args (IOParseBootArgNumber / IOParseBootArgString read these) ---- */
/* Replaces the boot-args, e.g. "ndks-enable=1 ndks-debug -v". Until called, NETDEXT_BOOT_ARGS. */
void set_boot_args(const std::string &boot_args);
std::string boot_args();

/* ---- logging (IOLog, os_log) ---- */
enum class LogLevel : uint8_t { fault, error, notice, info, debug };
struct LogRecord {
    LogLevel level;
    const char *subsystem; /* os_log_create subsystem, or "" */
    const char *category;  /* os_log_create category, or "" */
    const char *message;   /* formatted, no trailing newline */
};
using LogSink = std::function<void(const LogRecord &)>;
/* Replaces where log lines go (default: standard error, "<identity>: <message>"). nullptr resets. */
void set_log_sink(LogSink sink);
/* The identity prefixed to log lines by the default sink (a bundle ID; default "netdext"). */
void set_log_identity(const std::string &identity);
const std::string &log_identity();
/* Whether os_log shows %{private} / unannotated string arguments (default: redacted, as Apple). */
void set_log_show_private(bool show);
/* Sends a formatted line through the sink (used by the runtime itself). */
void log_line(LogLevel level, const char *message);
void log_linef(LogLevel level, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* ---- the I/O Registry ---- */
/* The next registry entry ID of the process's sequence (the one every IOService's
 * GetRegistryEntryID comes from, starting at 0x100000100), for the entries the system models
 * without an object of its own (the test bench's root and interface entries). */
uint64_t allocate_registry_id();
/* Where the sequence continues: netdext-host starts it at the block netdextd gave it, so that IDs
 * are unique across every driver process (docs/registry.md). Call before any IOService exists. */
void set_registry_id_base(uint64_t first);

/* ---- dispatch ---- */
struct RuntimeStats {
    std::atomic<uint64_t> sync_onto_self{0};   /* DispatchSync onto the caller's own queue */
    std::atomic<uint64_t> unhandled_messages{0}; /* SUPERDISPATCH/action with no implementation */
    std::atomic<uint64_t> live_objects{0};     /* OSObjects allocated and not yet freed */
    std::atomic<uint64_t> live_queues{0};      /* IODispatchQueue threads alive */
};
RuntimeStats &runtime_stats();

/* ---- kern_return_t values ---- */
/* The IOReturn.h name of a value ("kIOReturnNotFound"), or NULL for other values. */
const char *ioreturn_name(kern_return_t kr);
/* "kIOReturnNotFound (0xe00002f0)", or "0x12345678" for a value IOReturn.h does not name. */
std::string describe_return(kern_return_t kr);

/* ---- creating a personality's service ---- */
struct ServiceCreation {
    IOService *service = nullptr; /* +1, init()ed; nullptr on failure */
    kern_return_t status = 0;      /* kIOReturnSuccess, or why not (see below) */
    std::string reason;            /* on failure: one line naming the class and the problem */
};
/*
 * What the kernel does with a personality's IOUserClass: finds the class among those the
 * driver's image registered, allocates it and calls init(). Failures (each with its reason):
 * kIOReturnNotFound (no such class; suggests a registered name that differs only in case),
 * kIOReturnUnsupported (the class is abstract, or not an IOService), kIOReturnNoMemory (init()
 * returned false). netdext-host and the driver test bench both create drivers with this.
 */
ServiceCreation create_service(const std::string &class_name);

/*
 * Waits until every dispatch queue of the process is idle (no block queued or running) or the
 * timeout passes; returns whether it became idle.
 */
bool wait_until_idle(std::chrono::milliseconds timeout = std::chrono::seconds(10));

/*
 * While one is alive on a thread that is not running a dispatch queue's block, a block dispatched
 * asynchronously (DispatchAsync) to an idle queue (nothing queued, nothing running, not cancelled)
 * runs at once on this thread, which holds the queue as its worker would: no other block of the
 * queue runs meanwhile, and OnQueue() is true in it. Serial queues promise order and exclusion,
 * not a thread (libdispatch's run on whichever thread drains them). Blocks the inline block
 * dispatches go through the queues as usual. The host's doorbell threads use it, so that a
 * doorbell reaches the driver's handler without waking the queue's thread as well.
 */
class InlineDispatchScope {
public:
    InlineDispatchScope();
    ~InlineDispatchScope();
    InlineDispatchScope(const InlineDispatchScope &) = delete;
    InlineDispatchScope &operator=(const InlineDispatchScope &) = delete;

private:
    bool m_saved;
};

} // namespace netdext

#endif
