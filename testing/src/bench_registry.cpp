// The driver test bench's I/O Registry view: DriverBench::registry() and ioreg(), and the fake
// family's description of its interfaces (docs/registry.md). The tree has the shape netdextd
// serves: Root → IOResources, IOUserResources → the service → IOSkywalkLegacyEthernet → en0; an
// interface a port service registered hangs below that port, which hangs below the service.

#include <netdext/registry/network.h>
#include <netdext/registry/os_value.h>
#include <netdext/runtime.h>
#include <netdext/system_calls.h>
#include <netdext/testing/driver_bench.h>

#include "fake_family.h"

namespace netdext::testing {

namespace {

constexpr shm::RingId kQueueRings[4] = {shm::RingId::TxSubmission, shm::RingId::TxCompletion,
                                        shm::RingId::RxSubmission, shm::RingId::RxCompletion};

uint64_t registry_id(IOService *service) {
    uint64_t id = 0;
    (void)service->GetRegistryEntryID(&id);
    return id;
}

// The kernel class a dext's service shows in ioreg: its personality's IOClass, else the family
// class the object derives from.
std::string io_class_of(IOService *service, const registry::Value &properties) {
    if (const registry::Value *io_class = properties.find("IOClass");
        io_class != nullptr && io_class->is(registry::Value::Type::string))
        return io_class->text();
    return OSDynamicCast(IOUserNetworkEthernet, service) != nullptr ? "IOUserNetworkEthernet"
                                                                    : "IOUserService";
}

} // namespace

void FakeFamily::set_entitlements(std::optional<entitlements::Entitlements> granted,
                                  std::string who) {
    std::lock_guard lock(mutex);
    m_entitlements = std::move(granted);
    m_who = std::move(who);
}

std::optional<registry::EthernetDescription>
FakeFamily::describe_interface(size_t index, IOUserNetworkEthernet **driver) const {
    std::lock_guard lock(mutex);
    if (index >= m_interfaces.size())
        return std::nullopt;
    const Interface &iface = *m_interfaces[index];
    if (driver != nullptr) {
        *driver = iface.driver;
        if (iface.driver != nullptr)
            iface.driver->retain();
    }
    registry::EthernetDescription out;
    out.bsd_name = iface.name;
    out.unit = iface.unit;
    std::copy(std::begin(iface.mac.octet), std::end(iface.mac.octet), out.mac.begin());
    out.link_status = iface.link_status;
    out.active_medium = iface.active_media;
    out.media = iface.media_types;
    out.feature_flags = iface.feature_flags;
    out.tx_headroom = iface.tx_headroom;
    out.tx_tailroom = iface.tx_tailroom;
    // FIXME: the registry shows the first queue of each kind (and its counters) only.
    for (size_t i = 0; i < 4; ++i) {
        const BenchLane &lane = iface.lane_of(QueueKind(i));
        const shm::RingCounters &counters = lane.endpoint->counters(kQueueRings[i]);
        out.queues[i] = {lane.layout.capacity(kQueueRings[i]), iface.any_enabled(QueueKind(i)),
                         counters.packets, counters.batches};
    }
    return out;
}

registry::Entry DriverBench::registry() {
    if (m_root_id == 0) {
        m_root_id = allocate_registry_id();
        m_resources_id = allocate_registry_id();
    }
    registry::IdAllocator unused;
    registry::Entry root = registry::make_root(unused);
    root.id = m_root_id;
    root.children.at(0).id = m_resources_id;
    IOService *provider = user_resources();
    registry::Entry *resources = registry::user_resources(root);
    resources->id = registry_id(provider);
    std::vector<uint64_t> real = {resources->id};

    if (m_service != nullptr) {
        registry::DriverServiceDescription service;
        service.id = registry_id(m_service);
        real.push_back(service.id);
        service.user_class = m_class_name;
        service.properties = registry::properties_of(m_service);
        service.io_class = io_class_of(m_service, service.properties);
        if (m_properties != nullptr)
            service.matched_personality = registry::from_os_object(m_properties);
        service.cdhash = m_cdhash;
        service.busy_time_ns = m_busy_time_ns;
        service.started = true;

        // Every interface: the service's own below it, each port service's (IOService::Create)
        // below that port. The bench drives the first interface (enable, MTU, modes); the others
        // show what their drivers registered and reported.
        std::map<std::string, std::pair<uint64_t, uint64_t>> ids; // kept per interface name
        for (size_t index = 0;; ++index) {
            IOUserNetworkEthernet *driver = nullptr;
            std::optional<registry::EthernetDescription> nic =
                m_family->describe_interface(index, &driver);
            if (!nic)
                break;
            auto [controller_id, interface_id] = m_entry_ids[nic->bsd_name];
            if (controller_id == 0) { // the entries of this registration keep their IDs
                controller_id = allocate_registry_id();
                interface_id = allocate_registry_id();
            }
            ids[nic->bsd_name] = {controller_id, interface_id};
            nic->controller_id = controller_id;
            nic->interface_id = interface_id;
            if (index == 0) {
                if (m_max_mtu == 0)
                    if (IOUserNetworkEthernet *eth = ethernet()) // asked once, not a call
                        (void)call_on_method_queue(
                            eth, IOUserNetworkEthernet_GetMaxTransferUnit_ID,
                            [eth, this] { return eth->GetMaxTransferUnit(&m_max_mtu); });
                nic->mtu = m_mtu;
                nic->max_mtu = m_max_mtu != 0 ? m_max_mtu : m_mtu;
                nic->enabled = m_enabled;
                nic->promiscuous = m_promiscuous;
                nic->all_multicast = m_all_multicast;
                nic->hardware_assists = m_hardware_assists;
                for (const auto &[reason, count] : drops())
                    if (count != 0)
                        nic->drops[reason] = count;
            } else {
                nic->max_mtu = nic->mtu;
                nic->enabled = m_others_enabled[index];
            }
            if (driver == nullptr || driver == m_service) {
                if (!service.ethernet)
                    service.ethernet = std::move(nic);
            } else {
                registry::PortServiceDescription port;
                port.id = registry_id(driver);
                real.push_back(port.id);
                port.user_class = driver->GetClassName();
                port.properties = registry::properties_of(driver);
                port.io_class = io_class_of(driver, port.properties);
                port.ethernet = std::move(*nic);
                // Without the reference describe_interface() gave.
                port.retain_count = uint32_t(driver->getRetainCount()) - 1;
                service.ports.push_back(std::move(port));
            }
            OSSafeReleaseNULL(driver);
        }
        m_entry_ids = std::move(ids);
        // Last, so that the count is the object's own, not one a copy above still held.
        service.retain_count = uint32_t(m_service->getRetainCount());
        resources->children.push_back(registry::make_driver_service(service));
    }
    registry::model_retain_counts(root, real);
    resources->retain_count = uint32_t(provider->getRetainCount());
    return root;
}

std::string DriverBench::ioreg(const registry::IoregOptions &options) {
    return registry::format(registry(), options);
}

} // namespace netdext::testing
