// DaemonRegistry: netdextd's I/O Registry (docs/registry.md) — the registry IDs it hands out and
// the tree it serves to `netdextctl ioreg`:
//
//   Root → IOResources, IOUserResources → each running driver's service (its IOUserClass name,
//   the personality's IOClass and class chain, the host's snapshot: real ID, retain count,
//   properties) → IOSkywalkLegacyEthernet → en<N>
//
// IDs: one increasing sequence from kFirstRegistryID, as macOS numbers entries, never reused.
// The root, IOResources and IOUserResources take the first three. Each netdext-host gets a block
// of kHostIdBlock IDs for the IOService objects it creates (netdext-host --registry-id-base), so
// a driver's own GetRegistryEntryID is the ID ioreg shows, unique across every driver; the
// family's entries (controller, interface) take single IDs, kept while the interface is
// registered.
//
// Threads: the daemon's main thread.
#pragma once

#include "snapshot_reader.h"

#include <netdext/registry/entry.h>
#include <netdext/registry/network.h>

#include <cstdint>
#include <vector>

namespace netdext::daemon::registry {

inline constexpr uint64_t kHostIdBlock = 1u << 16;

class DaemonRegistry {
public:
    DaemonRegistry();

    // One ID for an entry of the daemon's own (a controller, an interface).
    uint64_t allocate_id() { return m_ids.next(); }
    // A block of kHostIdBlock IDs for one host process.
    IdBlock reserve_host_block();

    // The whole tree with `services` below IOUserResources, in that order, with the retain
    // counts of entries that stand for no object modelled (their services' counts are kept).
    [[nodiscard]] netdext::registry::Entry
    tree(const std::vector<netdext::registry::DriverServiceDescription> &services) const;

    [[nodiscard]] uint64_t root_id() const { return m_root_id; }

private:
    netdext::registry::IdAllocator m_ids;
    uint64_t m_root_id = 0, m_resources_id = 0, m_user_resources_id = 0;
};

} // namespace netdext::daemon::registry
