/*
 * netdext/testing/driver_bench.h — the driver test bench: run a NetworkingDriverKit driver
 * in-process against a fake network family and a virtual clock, deterministically and without
 * root. Link NetDext::testbench into your own GoogleTest suite.
 *
 *   netdext::testing::DriverBench bench({.boot_args = "mydrv-debug=1"});
 *   ASSERT_TRUE(bench.load_bundle("build/MyDriver.dext"));   // or bench.use_class("MyDriver")
 *   ASSERT_EQ(bench.start(), kIOReturnSuccess);              // init + Start, as the system does
 *   bench.set_interface_enable(true);                         // `ip link set en0 up`
 *   bench.advance(5s);                                        // fires every timer due, in order
 *   auto frames = bench.take_received();                      // what the driver delivered
 *   bench.transmit(frame);                                    // the stack sends a frame
 *   EXPECT_TRUE(bench.misuses().empty());                     // API contract violations
 *   bench.stop();                                             // Stop; reports leaked packets
 *
 * Before driver code runs the bench applies DriverKit's entitlement rules, as netdextd does
 * (BenchOptions::check_entitlements): a bundle needs com.apple.developer.driverkit (and the
 * transport its provider needs) to load, and RegisterEthernetInterface needs
 * …driverkit.family.networking (else kIOReturnNotPermitted). Entitlements come from the signed
 * Entitlements.plist of a signed bundle (which must verify), from the bundle's own file when it
 * is unsigned (developer mode, the default here), or from use_class().
 * registry() is the I/O Registry as `ioreg` shows it (docs/registry.md).
 *
 * The bench plays the network stack: it keeps the RX submission queue stocked with empty buffers,
 * collects RX completions (stamped with the virtual time at which the driver completed them),
 * frees TX completions, and validates every packet the driver hands back exactly as netdextd does.
 * Threading: use a bench from one thread. Only one bench may exist at a time (it installs the
 * process-wide time source and family).
 */
#ifndef _NETDEXT_TESTING_DRIVER_BENCH_H
#define _NETDEXT_TESTING_DRIVER_BENCH_H

#include <NetworkingDriverKit/NetworkingDriverKit.h>
#include <netdext/codesign/entitlements.h>
#include <netdext/registry/entry.h>
#include <netdext/registry/ioreg.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace netdext::model {
class Device;
}

namespace netdext::testing {

struct BenchOptions {
    std::string boot_args;        /* what IOParseBootArgNumber reads */
    bool echo_logs = false;       /* also print the driver's log lines to stderr */
    bool auto_restock_rx = true;  /* keep RX submission full, as the stack does */
    bool check_entitlements = true; /* false: netdext-sim --no-entitlement-check */
    bool allow_unsigned = true;     /* developer mode: unsigned bundles load with team "-" */
    std::string trust_dir{};        /* trusted team keys; empty: a signature's team is unchecked */
};

struct Frame {
    uint64_t time_ns = 0; /* virtual time when the driver completed it */
    std::vector<uint8_t> bytes;
    uint32_t interface = 0; /* which registered interface received it (0: the first) */
    /* The driver's offload claims the stack honoured (it declared RxChecksum / LRO): verified
     * checksum; an LRO frame's segment size (0: not coalesced). */
    bool checksum_valid = false;
    uint16_t lro_segment_size = 0;
};

struct CallRecord {
    uint64_t time_ns = 0;
    std::string call; /* e.g. "ReportLinkStatus(0x3, 0x30)" */
};

class FakeFamily;
struct BenchDevices;

class DriverBench {
public:
    explicit DriverBench(BenchOptions options = {});
    ~DriverBench();
    DriverBench(const DriverBench &) = delete;
    DriverBench &operator=(const DriverBench &) = delete;

    /* ---- loading ---- */
    /* Loads NAME.dext (dlopen of its executable) and uses its first personality's IOUserClass. */
    bool load_bundle(const std::string &dext_path, std::string *error = nullptr);
    /* Uses a driver class linked into the test (created by name through its metaclass), with
     * the entitlements it would have (by default those of a network dext). */
    void use_class(const std::string &class_name,
                   entitlements::Entitlements entitlements =
                       entitlements::Entitlements::network_driver());
    const std::string &bundle_id() const { return m_bundle_id; }
    const std::string &class_name() const { return m_class_name; }
    const std::string &team_id() const { return m_team_id; } /* "-": unsigned */
    const entitlements::Entitlements &entitlements() const { return m_entitlements; }

    /* ---- lifecycle, as the system runs it ---- */
    /* Creates the class, init(), then Start(provider) on its Default queue. */
    kern_return_t start();
    /* Why the last start() failed, in one line: the class could not be created (no such class,
     * abstract, not an IOService, init() false), or "X::Start returned kIOReturn… (0x…)";
     * empty after a successful start(). */
    const std::string &start_failure() const { return m_start_failure; }
    /* Brings the interface down if up, Stop(provider), releases the driver; reports packets the
     * driver still held as misuse. */
    kern_return_t stop();
    bool running() const { return m_service != nullptr; }
    IOService *service() const { return m_service; }
    /* The Ethernet driver of interface `interface` (registration order): the started service
     * itself, or a service it created (IOService::Create) that registered an interface.
     * nullptr when there is none. */
    IOUserNetworkEthernet *ethernet(size_t interface = 0) const;
    /* Interfaces registered now (a multi-port driver registers several). */
    size_t interface_count() const;

    /* ---- playing the stack ---- */
    /* `interface` picks the interface of a multi-port driver (registration order). */
    kern_return_t set_interface_enable(bool enable, size_t interface = 0);
    kern_return_t set_mtu(uint32_t mtu); /* refused above GetMaxTransferUnit, as netdextd does */
    kern_return_t set_promiscuous(bool enable);
    kern_return_t set_all_multicast(bool enable);
    kern_return_t set_multicast_list(const std::vector<ether_addr_t> &addresses);
    kern_return_t select_media(uint32_t media);
    kern_return_t set_wake_on_magic_packet(bool enable);
    kern_return_t set_hardware_assists(uint32_t assists);
    uint32_t max_transfer_unit();
    uint32_t mtu() const { return m_mtu; }

    /* Hands a frame to the driver's TX submission queue; false if no free packet or the queue is
     * not enabled. */
    bool transmit(std::span<const uint8_t> frame, size_t interface = 0, uint32_t queue = 0);
    /* Advances virtual time, firing due timers in order; returns how many fired. */
    size_t advance(std::chrono::nanoseconds delta);
    /* Waits for the driver's queues to go idle and processes the rings. */
    void settle();
    uint64_t now_ns() const;

    /* ---- what happened ---- */
    std::vector<Frame> take_received();
    /* Only the frames interface `interface` received (the others stay). */
    std::vector<Frame> take_received(size_t interface);
    const std::vector<Frame> &received() const;
    uint64_t tx_submitted() const;
    uint64_t tx_completed() const;
    bool registered() const;
    std::string interface_name(size_t interface = 0) const;
    ether_addr_t mac(size_t interface = 0) const;
    uint32_t link_status(size_t interface = 0) const;
    uint32_t active_media(size_t interface = 0) const;
    std::vector<uint32_t> media_types(size_t interface = 0) const;
    /* Whether every registered queue of `kind` is enabled (false when none is registered). */
    bool queue_enabled(QueueKind kind, size_t interface = 0) const;
    /* Queues of `kind` the interface registered (NDK 2.x multi-queue: may be more than one). */
    uint32_t queue_count(QueueKind kind, size_t interface = 0) const;
    /* Pools the interface registered with: 1 (shared) or 2 (separate TX and RX pools). */
    uint32_t pool_count(size_t interface = 0) const;
    /* Packets the bench dropped because the driver handed back something invalid, by reason,
     * since the bench was created (still readable after stop()); empty if no interface was ever
     * registered, otherwise every reason is listed, 0 when none was dropped for it. */
    std::map<std::string, uint64_t> drops() const;
    /* API misuse the runtime or the bench detected, in order. */
    std::vector<std::string> misuses() const;
    std::vector<CallRecord> calls() const;
    std::vector<std::string> logs() const;
    /* DispatchSync onto the caller's own queue (a deadlock on macOS) since the bench started. */
    uint64_t sync_onto_self() const;

    /* ---- devices: a simulated USB or PCI device as the driver's provider (docs/devices.md) ---- */
    /*
     * Plugs `device` in, as the kernel does when hardware appears: the family creates its
     * provider (IOUSBHostDevice — and, when no device personality matches, the interfaces of its
     * first configuration — or IOPCIDevice), the loaded bundle's personalities are matched against
     * it with IOKit's keys and probe scores, the bundle's transport entitlement is checked, and
     * the winning personality's driver is started on it (start()). Returns Start's result, or
     * kIOReturnUnsupported when no personality matches (nothing is started; match_log() says
     * why), kIOReturnNotPermitted when the transport entitlement does not cover the device,
     * kIOReturnBusy when a device is attached or the driver is running, kIOReturnNoDevice when
     * the device does not enumerate. After use_class() (no bundle) the class starts on the
     * device-level provider without matching. The device stays attached when nothing started
     * (start() then refuses with kIOReturnUnsupported); stop() and start() restart the driver on
     * the same provider.
     */
    kern_return_t attach_device(std::shared_ptr<netdext::model::Device> device);
    /* Surprise removal: the device goes away (its in-flight work completes with errors), then
     * the system stops the driver (Stop, release) and the providers are torn down.
     * kIOReturnNotAttached without a device. */
    kern_return_t detach_device();
    std::shared_ptr<netdext::model::Device> device() const;
    /* The provider the driver starts on (IOUserResources without a device). */
    IOService *provider() const;
    /* One line per personality and provider: matched with which score, or why not. */
    std::vector<std::string> match_log() const;
    /* The device's cable. take_from_wire: the frames the device transmitted, stamped with the
     * virtual time they left; send_from_wire: a frame from the network into the device (false
     * when the device refused it), then settles. */
    std::vector<Frame> take_from_wire();
    bool send_from_wire(std::span<const uint8_t> frame);

    /* ---- the I/O Registry ---- */
    /* Root → IOResources, IOUserResources → the driver's service (its IOUserClass name, its
     * properties, its real retain count) → IOSkywalkLegacyEthernet → en0 while an interface is
     * registered, with the family's view of it (MAC, link, media, MTU, queues, assists). */
    registry::Entry registry();
    /* The registry as `ioreg` with `options` prints it. */
    std::string ioreg(const registry::IoregOptions &options = {});

private:
    kern_return_t call_driver(IOService *target, uint64_t msgid, const char *what,
                              netdext::Block<kern_return_t()> fn);

    BenchOptions m_options;
    std::unique_ptr<FakeFamily> m_family;
    std::string m_bundle_id;
    OSDictionary *m_properties = nullptr; // the personality's registry properties (+1), if loaded
    std::string m_class_name;
    std::string m_start_failure;
    void *m_image = nullptr;
    IOService *m_service = nullptr;
    bool m_enabled = false;
    std::map<size_t, bool> m_others_enabled; // interfaces after the first (the registry's view)
    uint32_t m_mtu = 1500;
    uint64_t m_sync_onto_self_start = 0;
    std::unique_ptr<BenchDevices> m_devices; // the loaded bundle and the attached device
    // Code identity and the registry's view (bench_registry.cpp).
    entitlements::Entitlements m_entitlements = entitlements::Entitlements::network_driver();
    std::string m_team_id = "-";
    std::string m_cdhash;
    uint64_t m_busy_time_ns = 0; // how long Start took
    bool m_promiscuous = false;
    bool m_all_multicast = false;
    uint32_t m_hardware_assists = 0;
    uint32_t m_max_mtu = 0;      // GetMaxTransferUnit, once asked
    uint64_t m_root_id = 0, m_resources_id = 0;
    // Registry IDs of each registered interface's controller and interface entries, by name.
    std::map<std::string, std::pair<uint64_t, uint64_t>> m_entry_ids;
};

} // namespace netdext::testing

#endif
