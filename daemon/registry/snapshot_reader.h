// Reading the registry snapshots a driver's process sends (protocol/registry_messages.h): the
// chunks put back together, then the document checked as untrusted input. netdext-host runs
// third-party driver code, so nothing in a snapshot is believed beyond what is checked here:
//
//   chunks    in order (each starts where the last ended), all of one request, `total` at most
//             kMaxRegistrySnapshotBytes and the same in every chunk, `length` within the chunk
//             and the payload that carried it
//   document  one registry entry in the typed JSON wire form (registry/wire.h: bounded nesting,
//             typed values, no NUL in strings); its ID inside the host's ID block; a retain
//             count from 1 to kMaxRetainCount; a class name of at most 128 printable
//             characters; properties a dictionary of at most kMaxProperties keys. Its children
//             are the services it made that registered an interface (its ports): at most
//             kMaxPorts, each checked the same way, with an ID of its own and no children
//
// Every refusal is one line naming what was wrong; the session counts it as a protocol error.
// Plain values, no I/O: the fuzz target (daemon/registry/fuzz) drives both halves directly.
#pragma once

#include <netdext/protocol/host_protocol.h>
#include <netdext/protocol/registry_messages.h>
#include <netdext/registry/value.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netdext::daemon::registry {

inline constexpr uint32_t kMaxRetainCount = 1u << 24;
inline constexpr size_t kMaxProperties = 1024; // top-level keys of the service's properties
inline constexpr size_t kMaxPorts = protocol::kMaxInterfaces; // one per interface at most
inline constexpr size_t kMaxClassNameBytes = 128;

// A class name as a snapshot may give one: 1 to kMaxClassNameBytes printable ASCII characters,
// no space (ioreg prints it on the entry's line).
bool is_class_name(std::string_view name);

// What a host may say about its service, after the checks.
struct ServiceSnapshot {
    uint64_t id = 0;           // GetRegistryEntryID
    uint32_t retain_count = 0; // getRetainCount()
    std::string class_name;    // the object's class (the IOUserClass)
    netdext::registry::Value properties = netdext::registry::Value::dictionary();
    std::vector<ServiceSnapshot> ports; // the service's; a port's own is empty
};

// The registry IDs a host may use: [first, first + count).
struct IdBlock {
    uint64_t first = 0;
    uint64_t count = 0;
    bool contains(uint64_t id) const { return id >= first && id - first < count; }
};

class SnapshotAssembler {
public:
    enum class Status { partial, complete, refused };

    // One chunk, as decoded from a message whose payload had `payload_bytes` bytes. `complete`
    // when the document is whole (take it with take()); `refused` with `error` set otherwise,
    // after which the assembler starts afresh.
    Status add(const protocol::RegistrySnapshot &chunk, size_t payload_bytes, std::string &error);
    // The complete document and the request it answers; the assembler is empty afterwards.
    std::string take();
    [[nodiscard]] uint64_t request() const { return m_request; }
    [[nodiscard]] bool in_progress() const { return m_total != 0; }

private:
    void reset();
    std::string m_document;
    uint32_t m_total = 0;
    uint64_t m_request = 0;
};

// Checks a complete document against the rules above.
std::optional<ServiceSnapshot> parse_service_snapshot(std::string_view document,
                                                      const IdBlock &ids, std::string &error);

} // namespace netdext::daemon::registry
