// registry_snapshot_fuzz: netdextd's reader of the registry snapshots a driver's process sends
// (daemon/registry/snapshot_reader.h) under arbitrary input.
//
// Input: a document on its own when it starts with '{' (the JSON reader's rules), else a
// sequence of chunks, each a 24-byte RegistrySnapshot header, a 2-byte payload length (taken
// modulo the message's size) and that many bytes of data — what the control channel could
// deliver. Oracle: an accepted snapshot keeps every rule (ID in the block, retain count,
// a dictionary of bounded size, a printable class name), and written back out it reads again
// the same.

#include "snapshot_reader.h"

#include <netdext/registry/wire.h>

#include <cstdlib>
#include <cstring>
#include <string>

using netdext::daemon::registry::IdBlock;
using netdext::daemon::registry::ServiceSnapshot;
using netdext::daemon::registry::SnapshotAssembler;
using netdext::protocol::RegistrySnapshot;

namespace {

constexpr IdBlock kBlock{0x100000100, 1u << 16};

void check(const ServiceSnapshot &snapshot) {
    if (!kBlock.contains(snapshot.id) || snapshot.retain_count == 0 ||
        snapshot.retain_count > netdext::daemon::registry::kMaxRetainCount ||
        !snapshot.properties.is(netdext::registry::Value::Type::dictionary) ||
        snapshot.properties.members().size() > netdext::daemon::registry::kMaxProperties ||
        snapshot.class_name.empty() || snapshot.class_name.size() > 128)
        std::abort();
    netdext::registry::Entry entry;
    entry.name = snapshot.class_name;
    entry.class_name = snapshot.class_name;
    entry.id = snapshot.id;
    entry.retain_count = snapshot.retain_count;
    entry.properties = snapshot.properties;
    std::string error;
    auto again = netdext::daemon::registry::parse_service_snapshot(
        netdext::registry::to_json(entry), kBlock, error);
    if (!again || again->id != snapshot.id || again->retain_count != snapshot.retain_count ||
        again->class_name != snapshot.class_name || again->properties != snapshot.properties)
        std::abort();
}

void parse(std::string_view document) {
    std::string error;
    if (auto snapshot = netdext::daemon::registry::parse_service_snapshot(document, kBlock, error))
        check(*snapshot);
    else if (error.empty())
        std::abort(); // every refusal says why
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 0 && data[0] == '{') {
        parse(std::string_view(reinterpret_cast<const char *>(data), size));
        return 0;
    }
    SnapshotAssembler assembler;
    constexpr size_t kHeader = offsetof(RegistrySnapshot, data);
    size_t at = 0;
    while (at + kHeader + 2 <= size) {
        RegistrySnapshot chunk{};
        std::memcpy(&chunk, data + at, kHeader);
        at += kHeader;
        size_t payload = (size_t(data[at]) | size_t(data[at + 1]) << 8) % (sizeof chunk + 1);
        at += 2;
        const size_t carried = std::min(payload > kHeader ? payload - kHeader : 0, size - at);
        std::memcpy(chunk.data, data + at, std::min<size_t>(carried, RegistrySnapshot::kMaxData));
        at += carried;
        std::string error;
        switch (assembler.add(chunk, payload, error)) {
        case SnapshotAssembler::Status::partial:
            break;
        case SnapshotAssembler::Status::refused:
            if (error.empty() || assembler.in_progress())
                std::abort();
            break;
        case SnapshotAssembler::Status::complete: {
            const std::string document = assembler.take();
            if (document.size() != chunk.total || assembler.in_progress())
                std::abort();
            parse(document);
            break;
        }
        }
    }
    return 0;
}
