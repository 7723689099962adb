// netdext/registry/network.h — the registry entries of a NetworkingDriverKit driver, built from
// what the family knows about it, with IOKit's key names where IOKit has one.
//
// The shape follows what macOS shows for a NIC dext (a CDC-ECM dext's dump, API-SYSEXT §3.6):
//
//   +-o IOUserResources                  <class IOUserResources, …>
//     +-o <IOUserClass>                  <class IOUserNetworkEthernet, …>  the driver's service
//       +-o IOSkywalkLegacyEthernet      <class IOSkywalkLegacyEthernet, !registered, !matched, …>
//         +-o en<N>                      <class IOSkywalkLegacyEthernetInterface, …>
//
// The service holds the matched personality and what the driver set (SetProperties/SetProperty);
// the controller holds the family's view of the hardware (IOMACAddress, IOLinkStatus,
// IOLinkSpeed, the media, IOMaxPacketSize, and netdext's queue/assist keys, which have no IOKit
// name); the interface holds the BSD side ("BSD Name", IOInterfaceUnit, IOMaxTransferUnit, …).
// No daemon or runtime types: the daemon, netdext-host and the driver test bench fill the
// descriptions from their own state.
#pragma once

#include <netdext/registry/entry.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netdext::registry {

// One of the four packet queues of a registered interface.
struct QueueDescription {
    uint32_t capacity = 0;  // entries (the ring's, a power of two)
    bool enabled = false;
    uint64_t packets = 0;   // entries moved through the ring
    uint64_t batches = 0;   // non-empty ring operations
};

// Indexes of EthernetDescription::queues (NetworkingDriverKit's four queue kinds).
enum class QueueIndex : size_t { tx_submission, tx_completion, rx_submission, rx_completion };
const char *queue_name(QueueIndex index); // "TxSubmission", …

// A registered Ethernet interface, as the family sees it.
struct EthernetDescription {
    uint64_t controller_id = 0; // registry IDs of the two entries (IdAllocator)
    uint64_t interface_id = 0;
    std::string bsd_name;       // "en0"
    int32_t unit = 0;
    std::array<uint8_t, 6> mac{};
    uint32_t link_status = 0;   // IOUserNetworkLinkStatus (= IOKit's IOLinkStatus bits)
    uint32_t active_medium = 0; // IOUserNetworkMediaType
    std::vector<uint32_t> media; // ReportAvailableMediaTypes
    uint64_t link_speed = 0;    // bit/s; 0: derived from the active medium when the link is up
    uint32_t mtu = 1500;
    uint32_t max_mtu = 1500;    // GetMaxTransferUnit
    bool enabled = false;       // SetInterfaceEnable(true) succeeded
    bool promiscuous = false;
    bool all_multicast = false;
    uint32_t feature_flags = 0; // kIOUserNetworkFeatureFlag…
    uint32_t hardware_assists = 0;
    uint16_t tx_headroom = 0;
    uint16_t tx_tailroom = 0;
    std::array<QueueDescription, 4> queues{}; // by QueueIndex
    std::map<std::string, uint64_t> drops;    // packets refused by validation, by reason
};

// A service the driver's service made (IOService::Create, e.g. one per port) that registered
// an interface: an entry of its own below the driver's service, with the controller and
// interface below it.
struct PortServiceDescription {
    uint64_t id = 0;
    std::string user_class; // IOUserClass: the entry's name
    std::string io_class = "IOUserNetworkEthernet";
    Value properties = Value::dictionary(); // its own (from Create's dictionary and the driver)
    uint32_t retain_count = 0;              // the object's real retain count
    EthernetDescription ethernet;
};

// A driver's service (an IOUserNetworkEthernet subclass, or an IOService that makes the ports)
// and what hangs below it.
struct DriverServiceDescription {
    uint64_t id = 0;
    std::string user_class;                     // IOUserClass: the entry's name
    std::string io_class = "IOUserNetworkEthernet";
    Value properties = Value::dictionary();     // the service's own (personality + driver's)
    std::optional<Value> matched_personality;   // becomes IOMatchedPersonality
    std::string cdhash;                         // hex; becomes IOUserServerCDHash when signed
    uint32_t retain_count = 0;                  // the service object's real retain count
    uint64_t busy_time_ns = 0;                  // time spent matching and starting
    uint32_t busy_count = 0;                    // 1 while Start runs
    bool started = false;                       // Start succeeded: registered, matched
    std::optional<EthernetDescription> ethernet; // the interface the service registered itself
    std::vector<PortServiceDescription> ports;   // interfaces its own services registered
};

// The interface named `bsd_name` ("en0") of the service or of one of its ports; nullptr if none.
const EthernetDescription *find_interface(const DriverServiceDescription &service,
                                          const std::string &bsd_name);

// The root with IOResources and IOUserResources below it (IDs from `ids`, in that order).
Entry make_root(IdAllocator &ids);
// IOUserResources in a tree make_root() made; nullptr if it is not there.
Entry *user_resources(Entry &root);

// The service entry with the controller and interface below it (when `ethernet` is set), then
// an entry per port service, each with its controller and interface below it.
Entry make_driver_service(const DriverServiceDescription &service);

// The IOService class chain netdext reports for a class (known IOKit classes; otherwise
// IORegistryEntry:IOService:`class_name`).
std::vector<std::string> class_chain_of(const std::string &class_name);

// Link speed in bit/s of an IOUserNetworkMediaType (0 for auto/none/unknown) and whether it is
// full duplex (kIOUserNetworkMediaOptionFullDuplex).
uint64_t link_speed_of_medium(uint32_t medium);
bool medium_is_full_duplex(uint32_t medium);

// Refreshes the retain counts of entries that stand for no object of their own (the root,
// IOResources, IOUserResources, the controller and interface): one reference for the registry,
// one per attachment (parent and each child), as IORegistryEntry::attach takes them. Entries
// whose count came from a real object (`keep`) are left alone.
void model_retain_counts(Entry &root, const std::vector<uint64_t> &keep);

} // namespace netdext::registry
