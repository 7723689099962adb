// The registry entries of a NetworkingDriverKit driver (network.h).

#include <netdext/registry/network.h>

#include <algorithm>
#include <cstdio>

namespace netdext::registry {
namespace {

// IOUserNetworkTypes.h (NetworkingDriverKit): the medium subtype mask, the Ethernet subtypes and
// the full-duplex option. Kept here as numbers so that this library needs no SDK header; the
// driver test bench static_asserts them against the SDK's enum.
constexpr uint32_t kMediumSubtypeMask = 0x00000fff;
constexpr uint32_t kMediumFullDuplex = 0x00100000;

// IONetworkInterface.h: kIONetworkInterfaceRegisteredState, kIONetworkInterfaceOpenedState.
constexpr uint32_t kInterfaceRegisteredState = 0x1;
constexpr uint32_t kInterfaceOpenedState = 0x2;

// Darwin's <net/if.h> interface flags, as IOInterfaceFlags carries them.
constexpr uint32_t kIffUp = 0x1, kIffBroadcast = 0x2, kIffNotrailers = 0x20,
                   kIffRunning = 0x40, kIffPromisc = 0x100, kIffAllmulti = 0x200,
                   kIffSimplex = 0x800, kIffMulticast = 0x8000;

constexpr uint32_t kEthernetHeader = 14, kEthernetFcs = 4, kEthernetMinFrame = 64;
constexpr uint32_t kIftEther = 6; // <net/if_types.h> IFT_ETHER

Value number32(uint64_t v) { return Value::number(v & 0xffffffffu, 32); }

std::string medium_key(uint32_t medium) {
    char text[16];
    std::snprintf(text, sizeof text, "%08x", medium);
    return text;
}

Entry make_entry(uint64_t id, std::string name, const std::string &class_name, uint32_t state) {
    Entry e;
    e.id = id;
    e.name = std::move(name);
    e.class_name = class_name;
    e.class_chain = class_chain_of(class_name);
    e.state = state;
    return e;
}

Entry make_controller(const EthernetDescription &eth) {
    // macOS: IOSkywalkLegacyEthernet is neither registered nor matched (API-SYSEXT §3.6).
    Entry c = make_entry(eth.controller_id, "IOSkywalkLegacyEthernet", "IOSkywalkLegacyEthernet",
                         0);
    Value &p = c.properties;
    p.set("IOMACAddress", Value::data(std::span<const uint8_t>(eth.mac)));
    p.set("IOLinkStatus", number32(eth.link_status));
    const bool up = (eth.link_status & 0x3) == 0x3;
    uint64_t speed = eth.link_speed != 0 ? eth.link_speed
                     : up              ? link_speed_of_medium(eth.active_medium)
                                       : 0;
    p.set("IOLinkSpeed", Value::number(speed));
    Value media = Value::dictionary();
    for (size_t i = 0; i < eth.media.size(); ++i)
        media.set(medium_key(eth.media[i]),
                  Value::dictionary({{"Index", number32(i)},
                                     {"Type", number32(eth.media[i])},
                                     {"Speed", Value::number(link_speed_of_medium(eth.media[i]))},
                                     {"Flags", number32(0)}}));
    p.set("IOMediumDictionary", std::move(media));
    const bool known = std::find(eth.media.begin(), eth.media.end(), eth.active_medium) !=
                       eth.media.end();
    p.set("IOActiveMedium", Value::string(up && known ? medium_key(eth.active_medium) : ""));
    p.set("IOSelectedMedium", Value::string(known ? medium_key(eth.active_medium) : ""));
    p.set("IOMaxPacketSize", number32(eth.max_mtu + kEthernetHeader + kEthernetFcs));
    p.set("IOMinPacketSize", number32(kEthernetMinFrame));
    // netdext's own keys: what a NetworkingDriverKit driver declared, which IOKit publishes under
    // no public name.
    p.set("NetDextFeatureFlags", number32(eth.feature_flags));
    p.set("NetDextHardwareAssists", number32(eth.hardware_assists));
    p.set("NetDextTxHeadroom", Value::number(eth.tx_headroom, 16));
    p.set("NetDextTxTailroom", Value::number(eth.tx_tailroom, 16));
    Value queues = Value::array();
    for (size_t i = 0; i < eth.queues.size(); ++i) {
        const QueueDescription &q = eth.queues[i];
        queues.append(Value::dictionary({{"Queue", Value::string(queue_name(QueueIndex(i)))},
                                         {"Capacity", number32(q.capacity)},
                                         {"Enabled", Value::boolean(q.enabled)},
                                         {"Packets", Value::number(q.packets)},
                                         {"Batches", Value::number(q.batches)}}));
    }
    p.set("NetDextQueues", std::move(queues));
    if (!eth.drops.empty()) {
        Value drops = Value::dictionary();
        for (const auto &[reason, count] : eth.drops)
            drops.set(reason, Value::number(count));
        p.set("NetDextDrops", std::move(drops));
    }
    return c;
}

Entry make_interface(const EthernetDescription &eth) {
    Entry i = make_entry(eth.interface_id, eth.bsd_name, "IOSkywalkLegacyEthernetInterface",
                         kServiceRegisteredState | kServiceMatchedState);
    uint32_t flags = kIffBroadcast | kIffNotrailers | kIffSimplex | kIffMulticast;
    if (eth.enabled)
        flags |= kIffUp | kIffRunning;
    if (eth.promiscuous)
        flags |= kIffPromisc;
    if (eth.all_multicast)
        flags |= kIffAllmulti;
    Value &p = i.properties;
    p.set("BSD Name", Value::string(eth.bsd_name));
    p.set("IOInterfaceNamePrefix", Value::string("en"));
    p.set("IOInterfaceUnit", number32(uint32_t(eth.unit)));
    p.set("IOInterfaceType", number32(kIftEther));
    p.set("IOMaxTransferUnit", number32(eth.mtu));
    p.set("IOMediaAddressLength", number32(6));
    p.set("IOMediaHeaderLength", number32(kEthernetHeader));
    p.set("IOInterfaceFlags", number32(flags));
    p.set("IOInterfaceState",
          number32(kInterfaceRegisteredState | (eth.enabled ? kInterfaceOpenedState : 0)));
    p.set("IOBuiltin", Value::boolean(false));
    p.set("IOControllerEnabled", Value::boolean(eth.enabled));
    return i;
}

uint32_t model(Entry &entry, bool has_parent, const std::vector<uint64_t> &keep) {
    for (Entry &child : entry.children)
        model(child, true, keep);
    if (std::find(keep.begin(), keep.end(), entry.id) == keep.end())
        entry.retain_count = 1 + (has_parent ? 1 : 0) + uint32_t(entry.children.size());
    return entry.retain_count;
}

} // namespace

const char *queue_name(QueueIndex index) {
    static const char *const names[] = {"TxSubmission", "TxCompletion", "RxSubmission",
                                        "RxCompletion"};
    return names[size_t(index) & 3];
}

std::vector<std::string> class_chain_of(const std::string &class_name) {
    // Superclasses as far as they are documented; OSObject is never listed (ioreg -i).
    if (class_name == "IORegistryEntry")
        return {"IORegistryEntry"};
    if (class_name == "IOSkywalkLegacyEthernetInterface")
        return {"IORegistryEntry", "IOService", "IONetworkInterface", "IOEthernetInterface",
                "IOSkywalkLegacyEthernetInterface"};
    if (class_name == "IOSkywalkLegacyEthernet")
        return {"IORegistryEntry", "IOService", "IONetworkController", "IOEthernetController",
                "IOSkywalkLegacyEthernet"};
    if (class_name == "IOUserNetworkEthernet")
        // The ECM dext's controller names its provider class IOSkywalkEthernetInterface.
        return {"IORegistryEntry", "IOService", "IOSkywalkEthernetInterface",
                "IOUserNetworkEthernet"};
    if (class_name == "IOService")
        return {"IORegistryEntry", "IOService"};
    return {"IORegistryEntry", "IOService", class_name};
}

Entry make_root(IdAllocator &ids) {
    Entry root = make_entry(ids.next(), "Root", "IORegistryEntry", 0);
    root.is_service = false;
    Entry resources = make_entry(ids.next(), "IOResources", "IOResources",
                                 kServiceRegisteredState | kServiceMatchedState);
    resources.properties.set("IOKit", Value::string("IOService"));
    Entry user = make_entry(ids.next(), "IOUserResources", "IOUserResources",
                            kServiceRegisteredState | kServiceMatchedState);
    user.properties.set("IOKit", Value::string("IOService"));
    user.properties.set("IOResourceMatched", Value::array({Value::string("IOKit")}));
    root.children.push_back(std::move(resources));
    root.children.push_back(std::move(user));
    model_retain_counts(root, {});
    return root;
}

Entry *user_resources(Entry &root) {
    for (Entry &child : root.children)
        if (child.class_name == "IOUserResources")
            return &child;
    return nullptr;
}

Entry make_driver_service(const DriverServiceDescription &service) {
    Entry s = make_entry(service.id, service.user_class, service.io_class,
                         service.started ? kServiceRegisteredState | kServiceMatchedState : 0);
    s.retain_count = service.retain_count;
    s.busy_time_ns = service.busy_time_ns;
    s.busy_count = service.busy_count;
    s.properties = service.properties.is(Value::Type::dictionary) ? service.properties
                                                                  : Value::dictionary();
    if (service.matched_personality)
        s.properties.set("IOMatchedPersonality", *service.matched_personality);
    if (!service.cdhash.empty())
        s.properties.set("IOUserServerCDHash", Value::string(service.cdhash));
    auto add_interface = [](Entry &parent, const EthernetDescription &eth) {
        Entry controller = make_controller(eth);
        controller.children.push_back(make_interface(eth));
        parent.children.push_back(std::move(controller));
        model(parent.children.back(), true, {});
    };
    if (service.ethernet)
        add_interface(s, *service.ethernet);
    for (const PortServiceDescription &port : service.ports) {
        // Create starts the service it makes and registers it (RegisterService).
        Entry p = make_entry(port.id, port.user_class, port.io_class,
                             kServiceRegisteredState | kServiceMatchedState);
        p.retain_count = port.retain_count;
        p.properties =
            port.properties.is(Value::Type::dictionary) ? port.properties : Value::dictionary();
        add_interface(p, port.ethernet);
        s.children.push_back(std::move(p));
    }
    return s;
}

const EthernetDescription *find_interface(const DriverServiceDescription &service,
                                          const std::string &bsd_name) {
    if (service.ethernet && service.ethernet->bsd_name == bsd_name)
        return &*service.ethernet;
    for (const PortServiceDescription &port : service.ports)
        if (port.ethernet.bsd_name == bsd_name)
            return &port.ethernet;
    return nullptr;
}

uint64_t link_speed_of_medium(uint32_t medium) {
    constexpr uint64_t M = 1000000, G = 1000 * M;
    switch (medium & kMediumSubtypeMask) {
    case 0x23: case 0x24: case 0x25: case 0x2c: case 0x2d: // 10BaseT/2/5/STP/FL
        return 10 * M;
    case 0x26: case 0x27: case 0x28: case 0x29: case 0x2a: // 100BaseTX/FX/T4/VG/T2
        return 100 * M;
    case 0x2b: case 0x2e: case 0x2f: case 0x30: case 0x38: case 0x39: // 1000Base…
        return G;
    case 0x31: // HomePNA1
        return 1 * M;
    case 0x36: // 2500BaseT
        return 2500 * M;
    case 0x37: // 5000BaseT
        return 5 * G;
    case 0x32: case 0x33: case 0x34: case 0x35: case 0x3a: case 0x3b: case 0x3c: case 0x3d:
        return 10 * G; // 10GBase…
    case 0x3e: // 20GBaseKR2
        return 20 * G;
    case 0x3f: case 0x820: case 0x821: case 0x822: // 25GBase…
        return 25 * G;
    case 0x823: case 0x824: case 0x825: case 0x826: // 40GBase…
        return 40 * G;
    case 0x827: case 0x828: case 0x829: case 0x82a: // 50GBase…
        return 50 * G;
    case 0x82b: // 56GBaseR4
        return 56 * G;
    case 0x82c: case 0x82d: case 0x82e: case 0x82f: // 100GBase…
        return 100 * G;
    default: // auto, manual, none, unknown
        return 0;
    }
}

bool medium_is_full_duplex(uint32_t medium) { return (medium & kMediumFullDuplex) != 0; }

void model_retain_counts(Entry &root, const std::vector<uint64_t> &keep) {
    model(root, false, keep);
}

} // namespace netdext::registry
