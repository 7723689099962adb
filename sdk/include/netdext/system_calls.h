/*
 * netdext/system_calls.h — how "the system" (netdext-host, the driver test bench) calls into a
 * driver: on the dispatch queue that serves the method (its QUEUENAME, else "Default"), waiting
 * for the result, as the kernel's RPC does on macOS.
 */
#ifndef _NETDEXT_SYSTEM_CALLS_H
#define _NETDEXT_SYSTEM_CALLS_H

#include <DriverKit/IOService.h>
#include <netdext/block.h>

namespace netdext {

/*
 * Runs `call` on the queue of `target` that serves method `msgid` and returns its result; inline
 * when the caller already runs on that queue. kIOReturnNotReady if the target has no such queue.
 */
kern_return_t call_on_method_queue(OSObject *target, uint64_t msgid,
                                   Block<kern_return_t()> call);
/* The same on the queue `target` has under `queue_name` (kIOReturnNotReady if none). */
kern_return_t call_on_named_queue(OSObject *target, const char *queue_name,
                                  Block<kern_return_t()> call);

/* Stops (Stop on its queue, then the system's release) every service `provider` created with
 * IOService::Create, newest first and each after its own, as the kernel terminates a provider's
 * clients before the provider. netdext-host and the bench call it before the provider's Stop. */
void stop_clients(IOService *provider);

/* The provider of software drivers (IOProviderClass IOUserResources), created on first use. */
IOService *user_resources();

} // namespace netdext

#endif
