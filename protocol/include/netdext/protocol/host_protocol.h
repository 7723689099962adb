// The control protocol between netdextd and netdext-host (one SOCK_SEQPACKET channel per dext).
//
// Every message is a fixed-size POD (shm/ipc/message.h checks size, type and fd count before a
// byte is read). Requests that need an answer get a reply of the named type with
// kMessageFlagReply and the request's sequence. Strings are NUL-terminated within their arrays;
// the receiver never trusts that and bounds every read.
//
//   host → daemon                          daemon → host
//   Hello                                  (after Hello) DriverCall / SetMulticastList / Terminate
//   CreatePool ──────── reply ──────────── PoolCreated + [pool memfd]
//   RegisterInterface ─ reply ──────────── InterfaceRegistered + [rings memfds, daemon
//                                                                 doorbells, host doorbells]
//   ReleasePool, UnregisterInterface, LinkStatus, MediaTypes, LinkQuality, DataBandwidths,
//   QueueEnable, Misuse, Log, StartResult  (no reply)
//   DriverCallReply ◄── reply ──────────── DriverCall, SetMulticastList
//   (simulated devices, types 80–99: device_protocol.h)
//
// Interfaces: one dext may register several (services it creates, a multi-port driver). The
// host names each with an interface id (0 … kMaxInterfaces-1, the lowest free one, given at the
// driver's first call that concerns it — a report may come before RegisterInterface); every
// per-interface message carries it, and the daemon refuses ids it does not know or that are out
// of range. An interface has one or two lanes (a pool shared by TX and RX, or separate TX and RX
// pools), each with its own rings memfd.
//
// Doorbells come in pairs, one pair per frame mover of the daemon (`doorbells`, 1 …
// kMaxDoorbells): a "daemon doorbell" is the eventfd a mover sleeps on (the host rings it when it
// produces TX/RX completions or frees packets and the daemon asked to be woken); a "host
// doorbell" is the eventfd a doorbell thread of the host sleeps on (the daemon rings it when it
// produces TX submissions or RX buffers and the driver asked to be woken). The rings of queue set
// q ring the doorbells q % doorbells; the free and allocation rings doorbells 0.
#pragma once

#include <netdext/protocol/registry_messages.h>
#include <netdext/protocol/device_protocol.h>
#include <netdext/shm/ipc/message.h>

#include <cstdint>

namespace netdext::protocol {

inline constexpr uint16_t kProtocolVersion = 4;

inline constexpr uint32_t kMaxInterfaces = 8; // per dext (netdext::kMaxInterfacesPerDext)
inline constexpr uint32_t kMaxLanes = 2;      // netdext::kMaxInterfaceLanes
inline constexpr uint32_t kMaxDoorbells = 8;  // pairs; one per queue set at most (kMaxQueueSets)

// ---- host → daemon -----------------------------------------------------------------------------

struct Hello {
    static constexpr uint16_t kType = 1;
    static constexpr const char *kName = "Hello";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t protocol_version;
    uint32_t pid;
    char bundle_id[128];
    char class_name[128];
};

struct StartResult { // Start() returned on the driver's Default queue
    static constexpr uint16_t kType = 2;
    static constexpr const char *kName = "StartResult";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    int32_t status;
    uint32_t reserved;
};

struct CreatePool {
    static constexpr uint16_t kType = 3;
    static constexpr const char *kName = "CreatePool";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t packet_count;
    uint32_t buffer_count;
    uint32_t buffer_size;
    uint32_t pool_flags;
    char name[64];
};

struct PoolCreated { // reply to CreatePool; one fd (the sealed pool memfd) on success
    static constexpr uint16_t kType = 4;
    static constexpr const char *kName = "PoolCreated";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 1;
    int32_t status;
    uint32_t reserved;
    uint64_t pool_id;
    uint64_t total_size;
    uint32_t packet_count;
    uint32_t buffer_count;
    uint32_t buffer_size;
    uint32_t reserved2;
};

struct ReleasePool {
    static constexpr uint16_t kType = 5;
    static constexpr const char *kName = "ReleasePool";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint64_t pool_id;
};

// One pool of an interface and the rings of the queues on it (netdext::LaneRequest): lane 0
// carries the TX queues (and the RX queues when they share its pool), lane 1 a separate RX pool.
struct InterfaceLane {
    uint64_t pool_id;
    uint32_t queue_counts[4];            // by netdext::QueueKind; each ≤ shm::kMaxQueueSets
    uint32_t capacities[6];              // queue set 0, free, allocation (shm::ring_slot)
    uint32_t more[7][4];                 // queue sets 1 …: by QueueKind (TX/RX sub., compl.)
    uint32_t reserved;
};

struct RegisterInterface {
    static constexpr uint16_t kType = 6;
    static constexpr const char *kName = "RegisterInterface";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t interface_id;
    uint8_t mac[6];
    uint16_t tx_headroom;
    uint16_t tx_tailroom;
    uint16_t lane_count; // 1 or 2
    uint32_t feature_flags;
    InterfaceLane lanes[kMaxLanes];
    // The hardware assists the driver declared (GetHardwareAssists, kIOUserNetworkHWAssist*) and
    // its largest TSO segment (getTSOOptions; 0: none given): the TAP's offloads.
    uint32_t hardware_assists;
    uint32_t tso_max_bytes;
    // The registry ID of the object that registered it (GetRegistryEntryID): the driver's
    // service itself, or a service it made (IOService::Create), which ioreg shows as a port.
    uint64_t registry_id;
};

// Reply to RegisterInterface; on success lane_count rings memfds (by lane), then `doorbells`
// daemon doorbells, then as many host doorbells.
struct InterfaceRegistered {
    static constexpr uint16_t kType = 7;
    static constexpr const char *kName = "InterfaceRegistered";
    static constexpr uint8_t kMinFds = 0, kMaxFds = kMaxLanes + 2 * kMaxDoorbells;
    int32_t status;
    int32_t unit;
    uint64_t rings_size[kMaxLanes];
    char name[16];
    uint32_t interface_id;
    uint32_t lane_count;
    uint32_t doorbells;
    uint32_t reserved;
};

struct UnregisterInterface {
    static constexpr uint16_t kType = 8;
    static constexpr const char *kName = "UnregisterInterface";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t interface_id;
};

struct LinkStatus {
    static constexpr uint16_t kType = 9;
    static constexpr const char *kName = "LinkStatus";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t status;
    uint32_t media;
    uint32_t interface_id;
};

struct MediaTypes {
    static constexpr uint16_t kType = 10;
    static constexpr const char *kName = "MediaTypes";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    static constexpr uint32_t kMaxMedia = 64;
    uint32_t interface_id;
    uint32_t count; // entries of media[] in use (≤ kMaxMedia; the receiver clamps)
    uint32_t media[kMaxMedia];
};

struct LinkQuality {
    static constexpr uint16_t kType = 11;
    static constexpr const char *kName = "LinkQuality";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    int32_t quality;
    uint32_t interface_id;
};

struct DataBandwidths {
    static constexpr uint16_t kType = 12;
    static constexpr const char *kName = "DataBandwidths";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint64_t max_input;
    uint64_t max_output;
    uint64_t effective_input;
    uint64_t effective_output;
    uint32_t interface_id;
    uint32_t reserved;
};

struct QueueEnable {
    static constexpr uint16_t kType = 13;
    static constexpr const char *kName = "QueueEnable";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint8_t kind; // netdext::QueueKind
    uint8_t enabled;
    uint16_t index; // among the interface's queues of that kind
    uint32_t interface_id;
};

struct Misuse {
    static constexpr uint16_t kType = 14;
    static constexpr const char *kName = "Misuse";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    static constexpr uint32_t kMinPayload = 1;
    char text[512];
};

struct Log {
    static constexpr uint16_t kType = 15;
    static constexpr const char *kName = "Log";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    static constexpr uint32_t kMinPayload = 4;
    uint8_t level; // netdext::LogLevel
    uint8_t reserved[3];
    char text[1100];
};

struct DriverCallReply { // reply to DriverCall / SetMulticastList
    static constexpr uint16_t kType = 16;
    static constexpr const char *kName = "DriverCallReply";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    int32_t status;
    uint32_t value; // GetMaxTransferUnit / GetHardwareAssists
};

// ---- daemon → host -----------------------------------------------------------------------------

enum class Call : uint32_t {
    SetInterfaceEnable = 1, // arg: 0/1
    SetMTU = 2,             // arg: mtu
    GetMaxTransferUnit = 3,
    SetPromiscuousModeEnable = 4,
    SetAllMulticastModeEnable = 5,
    SelectMediaType = 6,
    SetWakeOnMagicPacketEnable = 7,
    SetHardwareAssists = 8,
    GetHardwareAssists = 9,
    Stop = 10, // Stop(provider) then release: the host exits after replying
};

struct DriverCall { // to the driver of interface_id (Stop: to the dext's started service)
    static constexpr uint16_t kType = 32;
    static constexpr const char *kName = "DriverCall";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t call; // Call
    uint32_t arg;
    uint32_t interface_id;
};

struct SetMulticastList {
    static constexpr uint16_t kType = 33;
    static constexpr const char *kName = "SetMulticastList";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    static constexpr uint32_t kMaxAddresses = 128;
    static constexpr uint32_t kMinPayload = 8;
    uint32_t interface_id;
    uint32_t count;
    uint8_t addresses[kMaxAddresses][6];
};

struct Terminate { // the host stops its driver (as DriverCall Stop) and exits; no reply
    static constexpr uint16_t kType = 34;
    static constexpr const char *kName = "Terminate";
    static constexpr uint8_t kMinFds = 0, kMaxFds = 0;
    uint32_t reserved;
};

static_assert(sizeof(Hello) == 264);
static_assert(sizeof(PoolCreated) == 40);
static_assert(sizeof(InterfaceLane) == 168);
static_assert(sizeof(RegisterInterface) == 376);
static_assert(sizeof(InterfaceRegistered) == 56);
static_assert(sizeof(MediaTypes) == 264);
static_assert(sizeof(DataBandwidths) == 40);
static_assert(sizeof(Log) == 1104);
static_assert(sizeof(SetMulticastList) == 776);

inline constexpr auto kProtocolTable =
    shm::ipc::make_protocol<Hello, StartResult, CreatePool, PoolCreated, ReleasePool,
                            RegisterInterface, InterfaceRegistered, UnregisterInterface,
                            LinkStatus, MediaTypes, LinkQuality, DataBandwidths, QueueEnable,
                            Misuse, Log, DriverCallReply, DriverCall, SetMulticastList,
                            Terminate,
                            RegistrySnapshot, RegistryRequest, // 40–49: registry_messages.h
                            // devices (device_protocol.h, 80–99)
                            AttachDevice, DeviceAttached, DetachDevice, SetDeviceKnob,
                            DeviceKnobSet, QueryDevice, DeviceCounters, DeviceDescription>(
        kProtocolVersion);
inline constexpr shm::ipc::Protocol kProtocol = kProtocolTable.view();

// The control socket's fd number in netdext-host (netdextd passes it there across exec).
inline constexpr int kHostControlFd = 3;

} // namespace netdext::protocol
