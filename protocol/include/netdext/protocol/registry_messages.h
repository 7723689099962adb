// The I/O Registry's messages between netdextd and netdext-host (types 40–49; docs/registry.md).
//
// netdextd keeps the registry tree; only netdext-host knows the driver service object: its
// registry ID (GetRegistryEntryID, from the ID block netdextd gave the host with
// --registry-id-base), its real retain count and its properties (the personality and what the
// driver set with SetProperties/SetProperty). The host sends them as one document — the service's
// entry in the registry's typed JSON wire form (netdext/registry/wire.h), without children — cut
// into RegistrySnapshot chunks:
//
//   host → daemon   RegistrySnapshot…  after Start, after a driver call changed the properties,
//                                      and in answer to a RegistryRequest (request = its
//                                      sequence); 0 for the unsolicited ones
//   daemon → host   RegistryRequest    "send a fresh snapshot" (netdextctl ioreg asks)
//
// The daemon treats a snapshot like any message from a driver's process: chunks must arrive in
// order and add up to `total` (at most kMaxRegistrySnapshotBytes), the document must parse as an
// entry with typed values, the ID must lie in the host's block; anything else is a protocol error
// (daemon/registry/snapshot_reader.h).
#pragma once

#include <netdext/shm/ipc/message.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace netdext::protocol {

// One snapshot document, at most (a driver's properties are a few KB; this leaves room for a
// large personality without letting a driver make the daemon buffer much).
inline constexpr uint32_t kMaxRegistrySnapshotBytes = 64u << 10;

struct RegistrySnapshot {
    static constexpr uint16_t kType = 40;
    static constexpr const char *kName = "RegistrySnapshot";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    static constexpr uint32_t kMaxData = 4040;
    static constexpr uint32_t kMinPayload = 24; // the fields before data: a chunk may be short
    uint64_t request; // the RegistryRequest's sequence this answers; 0: unsolicited
    uint32_t total;   // bytes of the whole document
    uint32_t offset;  // where this chunk's bytes go in it
    uint32_t length;  // bytes of data[] in use
    uint32_t reserved;
    char data[kMaxData];
};

struct RegistryRequest {
    static constexpr uint16_t kType = 41;
    static constexpr const char *kName = "RegistryRequest";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t reserved;
};

static_assert(sizeof(RegistrySnapshot) == 4064 && offsetof(RegistrySnapshot, data) == 24);
static_assert(sizeof(RegistrySnapshot) <= shm::ipc::kMaxPayloadSize);

// Cuts `document` into RegistrySnapshot chunks of at most `chunk_size` (≤ kMaxData) bytes, in
// order, and hands each to `send`; stops early when `send` returns false. False then.
template <class Send>
bool send_snapshot_chunks(std::string_view document, uint64_t request, Send &&send,
                          size_t chunk_size = RegistrySnapshot::kMaxData) {
    RegistrySnapshot chunk{};
    chunk.request = request;
    chunk.total = uint32_t(document.size());
    chunk_size = std::min<size_t>(chunk_size, RegistrySnapshot::kMaxData);
    for (size_t offset = 0; offset < document.size(); offset += chunk_size) {
        chunk.offset = uint32_t(offset);
        chunk.length = uint32_t(std::min(chunk_size, document.size() - offset));
        std::memcpy(chunk.data, document.data() + offset, chunk.length);
        if (!send(static_cast<const RegistrySnapshot &>(chunk)))
            return false;
    }
    return true;
}

} // namespace netdext::protocol
