// A personality as a driver service's registry properties, as the kernel sets them on macOS:
// what the service reads with CopyProperties and what IOService::Create finds (a
// "UserClientProperties" dictionary, say). For netdext-host and the driver test bench.
#pragma once

#include <netdext/bundle/bundle.h>

class IOService;
class OSDictionary;
class OSObject;

namespace netdext::bundle {

// `value` as an OS container (+1): OSString, OSNumber (64-bit, or a double), OSBoolean, OSData,
// OSArray, OSDictionary. nullptr only without memory.
OSObject *to_os_object(const Value &value);

// The registry properties (+1) of a service created for `personality`: its entries, and the
// bundle's CFBundleIdentifier when the personality has none. nullptr only without memory.
OSDictionary *registry_properties(const Bundle &bundle, const Personality &personality);

// Stores every entry of `properties` on `service` (netdext_set_property). Call after init(),
// before Start. A null `properties` stores nothing.
void set_registry_properties(IOService *service, const OSDictionary *properties);

// The personality of `bundle` whose IOUserClass is `user_class`, or nullptr.
const Personality *find_personality(const Bundle &bundle, const std::string &user_class);

} // namespace netdext::bundle
