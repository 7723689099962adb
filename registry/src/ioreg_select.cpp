// What `ioreg -a` and `--json` print: the same selection as the text (-r roots, -d depth) with
// properties only where the text would list them, as a plist archive or as typed JSON.

#include <netdext/registry/ioreg.h>
#include <netdext/registry/wire.h>

#include "archive_keys.h"

namespace netdext::registry {
namespace {

Entry prune(const Entry &entry, uint32_t depth, const IoregOptions &options) {
    Entry out;
    out.name = entry.name;
    out.location = entry.location;
    out.class_name = entry.class_name;
    out.class_chain = entry.class_chain;
    out.id = entry.id;
    out.is_service = entry.is_service;
    out.state = entry.state;
    out.busy_count = entry.busy_count;
    out.busy_time_ns = entry.busy_time_ns;
    out.retain_count = entry.retain_count;
    if (options.list || matches(entry, options))
        out.properties = entry.properties;
    if (options.depth == 0 || options.depth > depth + 1)
        for (const Entry &child : entry.children)
            out.children.push_back(prune(child, depth + 1, options));
    return out;
}

void collect_roots(const Entry &entry, const IoregOptions &options, std::vector<Entry> &out) {
    if (matches(entry, options)) {
        out.push_back(prune(entry, 0, options));
        return;
    }
    for (const Entry &child : entry.children)
        collect_roots(child, options, out);
}

std::vector<Entry> select(const Entry &root, const IoregOptions &options) {
    std::vector<Entry> out;
    if (options.root)
        collect_roots(root, options, out);
    else
        out.push_back(prune(root, 0, options));
    return out;
}

Value archive_node(const Entry &entry) {
    Value node = Value::dictionary();
    node.set(archive::kName, Value::string(entry.name));
    if (!entry.location.empty())
        node.set(archive::kLocation, Value::string(entry.location));
    node.set(archive::kID, Value::number(entry.id));
    node.set(archive::kClass, Value::string(entry.class_name));
    node.set(archive::kRetainCount, Value::number(entry.retain_count, 32));
    if (entry.is_service) {
        node.set(archive::kServiceState, Value::number(entry.state));
        node.set(archive::kBusyState, Value::number(entry.busy_count, 32));
        node.set(archive::kBusyTime, Value::number(entry.busy_time_ns));
    }
    for (const Value::Member &member : entry.properties.members())
        node.set(member.key, member.value);
    if (!entry.children.empty()) {
        Value children = Value::array();
        for (const Entry &child : entry.children)
            children.append(archive_node(child));
        node.set(archive::kChildren, std::move(children));
    }
    return node;
}

} // namespace

std::string format_archive(const Entry &root, const IoregOptions &options) {
    std::vector<Entry> roots = select(root, options);
    if (!options.root)
        return to_plist(archive_node(roots.front()));
    Value array = Value::array();
    for (const Entry &entry : roots)
        array.append(archive_node(entry));
    return to_plist(array);
}

std::string format_json(const Entry &root, const IoregOptions &options) {
    std::vector<Entry> roots = select(root, options);
    if (!options.root)
        return to_json(roots.front(), true) + "\n";
    return to_json(roots, true) + "\n";
}

} // namespace netdext::registry
