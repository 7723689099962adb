// OS containers as registry values: how the processes that run drivers (netdext-host, the driver
// test bench) turn a service's properties (IOService::CopyProperties) into what ioreg shows.
#pragma once

#include <netdext/registry/value.h>

class IOService;
class OSObject;

namespace netdext::registry {

// OSString → string, OSNumber → number (its width; a double is truncated, the registry has no
// reals), OSBoolean → bool, OSData → data, OSArray/OSSet/OSOrderedSet → array, OSDictionary →
// dictionary; any other object becomes the string "<Class> is not serializable", as IOKit
// reports it. Nesting deeper than kMaxNesting (wire.h) is cut off the same way.
Value from_os_object(const OSObject *object);

// A service's properties (IOService::CopyProperties) as a dictionary; an empty one when it has
// none to give.
Value properties_of(IOService *service);

} // namespace netdext::registry
