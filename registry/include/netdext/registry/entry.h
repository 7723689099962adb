// netdext/registry/entry.h — one entry of the I/O Registry's service plane, with its children:
// what `ioreg` prints and what netdextd serves. A tree of plain values: the daemon builds it, sends
// it as typed JSON (wire.h), and every tool formats it (ioreg.h).
//
// IOKit facts (API-SYSEXT §3): every entry has a name (an IOUserClass name for dext services), an
// optional location, a class and its superclass chain, a unique 64-bit registry ID and a retain
// count; IOService entries also have the state bits below and a busy count and busy time.
#pragma once

#include <netdext/registry/value.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netdext::registry {

// IOService state bits (IOKitLib's IOServiceGetState masks); "active" is the absence of Inactive.
inline constexpr uint32_t kServiceInactiveState = 0x1;
inline constexpr uint32_t kServiceRegisteredState = 0x2;
inline constexpr uint32_t kServiceMatchedState = 0x4;

// macOS numbers registry entries from here upwards (the root is 0x100000100).
inline constexpr uint64_t kFirstRegistryID = 0x100000100;

struct Entry {
    std::string name;
    std::string location;     // empty: none (printed as name@location otherwise)
    std::string class_name;   // IOObjectClass, e.g. "IOUserNetworkEthernet"
    // Superclasses from the base down, ending with class_name; OSObject left out, as `ioreg -i`
    // prints it: {"IORegistryEntry", "IOService", …, class_name}. Empty means {class_name}.
    std::vector<std::string> class_chain;
    uint64_t id = 0;
    bool is_service = true;   // an IOService: has state, busy count and busy time
    uint32_t state = kServiceRegisteredState | kServiceMatchedState;
    uint32_t busy_count = 0;
    uint64_t busy_time_ns = 0; // accumulated busy time
    uint32_t retain_count = 0;
    Value properties = Value::dictionary();
    std::vector<Entry> children;

    bool registered() const { return (state & kServiceRegisteredState) != 0; }
    bool matched() const { return (state & kServiceMatchedState) != 0; }
    bool active() const { return (state & kServiceInactiveState) == 0; }
    // IOObjectConformsTo: the class or one of its superclasses is `class_name` (OSObject always).
    bool conforms_to(std::string_view class_name) const;
    // "Base:…:Leaf", OSObject left out (ioreg -i).
    std::string inheritance() const;

    // Depth-first search (this entry first); nullptr when nothing matches.
    const Entry *find_if(const auto &predicate) const {
        if (predicate(*this))
            return this;
        for (const Entry &child : children)
            if (const Entry *found = child.find_if(predicate))
                return found;
        return nullptr;
    }
    const Entry *find_by_name(std::string_view wanted) const {
        return find_if([wanted](const Entry &e) { return e.name == wanted; });
    }
    const Entry *find_by_class(std::string_view wanted) const {
        return find_if([wanted](const Entry &e) { return e.class_name == wanted; });
    }
};

// Hands out unique registry IDs in increasing order, from kFirstRegistryID.
class IdAllocator {
public:
    explicit IdAllocator(uint64_t first = kFirstRegistryID) : m_next(first) {}
    uint64_t next() { return m_next++; }
    // `count` consecutive IDs (a block another process hands out); returns the first.
    uint64_t reserve(uint64_t count) {
        const uint64_t first = m_next;
        m_next += count;
        return first;
    }

private:
    uint64_t m_next;
};

} // namespace netdext::registry
