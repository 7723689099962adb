// A small registry tree for the registry's tests: Root → IOResources, IOUserResources → a NIC
// dext's service (as in the seed's ioreg line) → two children, the first with a child.
#pragma once

#include <netdext/registry/entry.h>

namespace registry_fixture {

using netdext::registry::Entry;
using netdext::registry::Value;

inline Entry entry(const char *name, const char *class_name, uint64_t id, uint32_t retain) {
    Entry e;
    e.name = name;
    e.class_name = class_name;
    e.class_chain = {"IORegistryEntry", "IOService", class_name};
    e.id = id;
    e.retain_count = retain;
    return e;
}

inline Entry sample_tree() {
    Entry root = entry("Root", "IORegistryEntry", 0x100000100, 3);
    root.class_chain = {"IORegistryEntry"};
    root.is_service = false;
    root.state = 0;

    Entry resources = entry("IOResources", "IOResources", 0x100000101, 2);
    resources.properties.set("IOKit", Value::string("IOService"));

    Entry user = entry("IOUserResources", "IOUserResources", 0x100000102, 3);
    user.busy_time_ns = 1025000000;

    Entry nic = entry("NetworkingDriverKitSample", "IOUserNetworkEthernet", 0x100028cee, 16);
    nic.busy_time_ns = 4200000;
    nic.properties.set("IOClass", Value::string("IOUserNetworkEthernet"));
    nic.properties.set("IOProbeScore", Value::number(100000, 32));
    nic.properties.set("IOMACAddress",
                       Value::data(std::string_view("\x00\x0c\x29\x69\x17\x26", 6)));

    Entry controller = entry("IOSkywalkLegacyEthernet", "IOSkywalkLegacyEthernet", 0x100028cf0, 8);
    controller.state = 0; // !registered, !matched
    Entry en0 = entry("en0", "IOSkywalkLegacyEthernetInterface", 0x100028cf2, 10);
    en0.properties.set("BSD Name", Value::string("en0"));
    controller.children.push_back(en0);

    Entry client = entry("UserClient", "IOUserUserClient", 0x100028cf4, 5);
    client.location = "1";

    nic.children.push_back(controller);
    nic.children.push_back(client);
    user.children.push_back(nic);
    root.children.push_back(resources);
    root.children.push_back(user);
    return root;
}

} // namespace registry_fixture
