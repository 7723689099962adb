// Registry snapshots from netdext-host, put together and checked (see snapshot_reader.h).

#include "snapshot_reader.h"

#include <netdext/registry/wire.h>

#include <algorithm>
#include <cstring>

namespace netdext::daemon::registry {

using protocol::RegistrySnapshot;

void SnapshotAssembler::reset() {
    m_document.clear();
    m_document.shrink_to_fit();
    m_total = 0;
}

SnapshotAssembler::Status SnapshotAssembler::add(const RegistrySnapshot &chunk,
                                                 size_t payload_bytes, std::string &error) {
    auto refuse = [&](std::string why) {
        error = "RegistrySnapshot: " + why;
        reset();
        return Status::refused;
    };
    const size_t header = offsetof(RegistrySnapshot, data);
    if (payload_bytes < header || payload_bytes > sizeof(RegistrySnapshot))
        return refuse("payload of " + std::to_string(payload_bytes) + " bytes");
    if (chunk.length > RegistrySnapshot::kMaxData || chunk.length > payload_bytes - header)
        return refuse("chunk of " + std::to_string(chunk.length) + " bytes in a payload of " +
                      std::to_string(payload_bytes));
    if (chunk.total == 0 || chunk.total > protocol::kMaxRegistrySnapshotBytes)
        return refuse("a document of " + std::to_string(chunk.total) + " bytes (at most " +
                      std::to_string(protocol::kMaxRegistrySnapshotBytes) + ")");
    if (m_total == 0) {
        if (chunk.offset != 0)
            return refuse("the first chunk starts at " + std::to_string(chunk.offset));
        m_total = chunk.total;
        m_request = chunk.request;
        m_document.reserve(chunk.total);
    } else if (chunk.total != m_total || chunk.request != m_request ||
               chunk.offset != m_document.size()) {
        return refuse("chunk at " + std::to_string(chunk.offset) + " of " +
                      std::to_string(chunk.total) + " bytes (request " +
                      std::to_string(chunk.request) + ") does not continue the document at " +
                      std::to_string(m_document.size()) + " of " + std::to_string(m_total) +
                      " (request " + std::to_string(m_request) + ")");
    }
    if (uint64_t(chunk.offset) + chunk.length > m_total)
        return refuse("chunk ends at " + std::to_string(uint64_t(chunk.offset) + chunk.length) +
                      ", beyond the document's " + std::to_string(m_total) + " bytes");
    if (chunk.length == 0 && m_document.size() < m_total)
        return refuse("an empty chunk in an unfinished document");
    m_document.append(chunk.data, chunk.length);
    return m_document.size() == m_total ? Status::complete : Status::partial;
}

std::string SnapshotAssembler::take() {
    std::string document = std::move(m_document);
    reset();
    return document;
}

bool is_class_name(std::string_view name) {
    return !name.empty() && name.size() <= kMaxClassNameBytes &&
           std::all_of(name.begin(), name.end(),
                       [](unsigned char c) { return c >= 0x21 && c <= 0x7e; });
}

namespace {

// One entry's own fields (not its children); nullopt with `why` set when it breaks a rule.
std::optional<ServiceSnapshot> check_entry(netdext::registry::Entry &entry, const IdBlock &ids,
                                           std::string &why) {
    if (!ids.contains(entry.id)) {
        why = "registry ID " + std::to_string(entry.id) + " is outside the host's block [" +
              std::to_string(ids.first) + ", +" + std::to_string(ids.count) + ")";
        return std::nullopt;
    }
    if (entry.retain_count == 0 || entry.retain_count > kMaxRetainCount) {
        why = "retain count " + std::to_string(entry.retain_count);
        return std::nullopt;
    }
    if (entry.name.empty() || entry.name.size() > kMaxClassNameBytes) {
        why = "a class name of " + std::to_string(entry.name.size()) + " bytes";
        return std::nullopt;
    }
    if (!is_class_name(entry.name)) {
        why = "the class name holds a character that is not printable ASCII";
        return std::nullopt;
    }
    if (!entry.properties.is(netdext::registry::Value::Type::dictionary)) {
        why = "properties are not a dictionary";
        return std::nullopt;
    }
    if (entry.properties.members().size() > kMaxProperties) {
        why = std::to_string(entry.properties.members().size()) + " properties (at most " +
              std::to_string(kMaxProperties) + ")";
        return std::nullopt;
    }
    ServiceSnapshot snapshot;
    snapshot.id = entry.id;
    snapshot.retain_count = entry.retain_count;
    snapshot.class_name = std::move(entry.name);
    snapshot.properties = std::move(entry.properties);
    return snapshot;
}

} // namespace

std::optional<ServiceSnapshot> parse_service_snapshot(std::string_view document,
                                                      const IdBlock &ids, std::string &error) {
    netdext::registry::WireError wire;
    auto entry = netdext::registry::entry_from_json(document, wire);
    if (!entry) {
        error = "registry snapshot: " + wire.message;
        return std::nullopt;
    }
    auto refuse = [&](const std::string &why) {
        error = "registry snapshot: " + why;
        return std::nullopt;
    };
    std::string why;
    auto snapshot = check_entry(*entry, ids, why);
    if (!snapshot)
        return refuse(why);
    if (entry->children.size() > kMaxPorts)
        return refuse(std::to_string(entry->children.size()) + " port services (at most " +
                      std::to_string(kMaxPorts) + ")");
    for (netdext::registry::Entry &child : entry->children) {
        if (!child.children.empty())
            return refuse("a port service's entry has children (the family's entries are "
                          "netdextd's)");
        auto port = check_entry(child, ids, why);
        if (!port)
            return refuse("a port service: " + why);
        if (port->id == snapshot->id)
            return refuse("a port service has the service's own registry ID");
        for (const ServiceSnapshot &other : snapshot->ports)
            if (other.id == port->id)
                return refuse("two port services have registry ID " + std::to_string(port->id));
        snapshot->ports.push_back(std::move(*port));
    }
    return snapshot;
}

} // namespace netdext::daemon::registry
