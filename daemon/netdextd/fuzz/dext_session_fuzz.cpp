// Fuzz target: netdextd's side of the real control protocol (protocol/host_protocol.h) — what a
// DextSession does with everything a driver's netdext-host may send it, interleaved with what
// the rest of the system does to the session: link events from the stack, replies to the
// daemon's driver calls, the host's output, its exit, faults, Terminate, and a relaunch in the
// same interface slot (the supervision path: a kept interface whose state is replayed to the new
// driver). The session runs against the fakes of daemon/netdextd/tests/support (no root), over a
// real SOCK_SEQPACKET channel whose host end the fuzzer drives.
//
// It must never crash, trip a sanitizer or leak, and after every step:
//   - every message the daemon sent parses under the protocol (the host end validates each);
//   - a session that counted more protocol errors than its limit is stopped and its host killed;
//   - a finished session stays finished (until the relaunch replaces it);
//   - with an interface, the TAP's carrier is what the session says it is.
//
// Input (integers little-endian; a short read ends the input):
//   u8 setup: bit 0 the bundle lacks family.networking, bit 1 the stack's link state is known
//   then steps, each an opcode byte (mod kStepCount) and its arguments:
//     Message   u16 type, u8 flags, u16 length, bytes  a framed message (type: a host→daemon
//                                                       type's index when < 64, else itself)
//     Typed     u8 type index, bytes (sizeof, zero-padded) exactly one struct's worth
//     Raw       u16 length, bytes                      a datagram as is (header included)
//     Reply     u8 which, i32 status, u32 value        DriverCallReply to a pending call
//     Link      u8 kind, u32 value                     a link event for the interface (up/down,
//                                                       MTU, promisc, allmulti, multicast list,
//                                                       deleted, offloads, MAC)
//     Exit      u8 how                                 the host exits (0 clean, 9 SIGKILL, …)
//     Fault     —                                      the mover reports a fault
//     Terminate —
//     Output    u8 length, bytes                       a line on the host's stderr
//     Bring up  u8 variant                             CreatePool + RegisterInterface, well formed
//                                                       (0x80: declaring TSO and checksums)
//     Relaunch  u8 state, u16 mtu                      the host dies; a new session takes the slot
// daemon/netdextd/fuzz/make_seeds.py writes the seed corpus in this format. FUZZ_VERBOSE=1 in the
// environment shows the session's log lines (they are off otherwise: the fuzzer's time is better
// spent elsewhere).

#include "dext_session.h"
#include "support/fake_network.h"
#include "support/test_bundle.h"

#include "daemon_log.h"

#include <netdext/protocol/host_protocol.h>
#include <netdext/protocol/registry_messages.h>

#include <net/if.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace netdext::daemon {
namespace {

using namespace netdext::protocol;
namespace ipc = netdext::shm::ipc;
using testing::FakeFrameDevice;
using testing::FakeHost;
using testing::FakeNetwork;

enum Step : uint8_t {
    kMessage, kTyped, kRaw, kReply, kLink, kExit, kFault, kTerminate, kOutput, kBringUp,
    kRelaunch, kStepCount
};

// The host → daemon messages (Typed picks one by index; Message maps small type values here).
constexpr uint16_t kHostTypes[] = {Hello::kType,        StartResult::kType,  CreatePool::kType,
                                   ReleasePool::kType,  RegisterInterface::kType,
                                   UnregisterInterface::kType, LinkStatus::kType,
                                   MediaTypes::kType,   LinkQuality::kType,  DataBandwidths::kType,
                                   QueueEnable::kType,  Misuse::kType,       Log::kType,
                                   DriverCallReply::kType, RegistrySnapshot::kType};
constexpr size_t kHostTypeCount = sizeof kHostTypes / sizeof kHostTypes[0];

size_t struct_size(uint16_t type) {
    switch (type) {
    case Hello::kType: return sizeof(Hello);
    case StartResult::kType: return sizeof(StartResult);
    case CreatePool::kType: return sizeof(CreatePool);
    case ReleasePool::kType: return sizeof(ReleasePool);
    case RegisterInterface::kType: return sizeof(RegisterInterface);
    case UnregisterInterface::kType: return sizeof(UnregisterInterface);
    case LinkStatus::kType: return sizeof(LinkStatus);
    case MediaTypes::kType: return sizeof(MediaTypes);
    case LinkQuality::kType: return sizeof(LinkQuality);
    case DataBandwidths::kType: return sizeof(DataBandwidths);
    case QueueEnable::kType: return sizeof(QueueEnable);
    case Misuse::kType: return sizeof(Misuse);
    case Log::kType: return sizeof(Log);
    case DriverCallReply::kType: return sizeof(DriverCallReply);
    case RegistrySnapshot::kType: return sizeof(RegistrySnapshot);
    }
    return 0;
}

class Input {
public:
    Input(const uint8_t *data, size_t size) : m_data(data), m_size(size) {}
    [[nodiscard]] bool empty() const { return m_at >= m_size; }
    template <class T> std::optional<T> take() {
        if (m_size - m_at < sizeof(T))
            return std::nullopt;
        T value;
        std::memcpy(&value, m_data + m_at, sizeof(T));
        m_at += sizeof(T);
        return value;
    }
    // Up to `n` bytes (fewer at the end of the input).
    std::span<const uint8_t> bytes(size_t n) {
        n = std::min(n, m_size - m_at);
        std::span<const uint8_t> out(m_data + m_at, n);
        m_at += n;
        return out;
    }

private:
    const uint8_t *m_data;
    size_t m_size;
    size_t m_at = 0;
};

[[noreturn]] void broken(const char *what) {
    std::fprintf(stderr, "dext_session_fuzz: invariant broken: %s\n", what);
    std::abort();
}

struct Harness {
    bundle::Bundle bundle;
    SessionOptions options;
    std::shared_ptr<InterfaceSlot> slot = std::make_shared<InterfaceSlot>("en%d", "", "");
    std::unique_ptr<DextSession> session;
    FakeHost *host = nullptr;
    FakeNetwork *network = nullptr;
    std::optional<ipc::Channel> host_end;
    std::deque<uint64_t> pending_calls; // sequences of DriverCall / SetMulticastList received
    uint64_t next_sequence = 1;
    bool was_finished = false;
    bool link_known = false;

    bool attach(uint32_t kept_flags = 0, uint32_t kept_mtu = 0) {
        auto pair = ipc::Channel::create_pair(kProtocol);
        if (!pair)
            return false;
        auto [daemon_side, host_side] = pair.release_value();
        auto fake_network = std::make_unique<FakeNetwork>();
        auto fake_host = std::make_unique<FakeHost>();
        network = fake_network.get();
        host = fake_host.get();
        if (slot->has_interface() && link_known) { // a kept interface, as the stack has it
            netlink::LinkState state;
            state.ifindex = slot->ifindex();
            state.name = slot->name();
            state.flags = kept_flags;
            state.mtu = kept_mtu;
            network->links[state.ifindex] = state;
            network->groups[state.ifindex] = {MacAddress{{0x01, 0x00, 0x5e, 0, 0, 1}}};
        }
        host_end.emplace(std::move(host_side));
        pending_calls.clear();
        was_finished = false;
        std::string error;
        session = DextSession::attach(options, bundle, std::move(fake_network),
                                      std::move(fake_host), std::move(daemon_side), slot, error);
        return session != nullptr;
    }

    void send_datagram(std::span<const std::byte> bytes) {
        if (host_end->send_datagram(bytes))
            session->on_channel_readable();
    }
    void send_framed(uint16_t type, uint32_t flags, std::span<const uint8_t> payload,
                     uint64_t sequence = 0) {
        std::vector<std::byte> datagram(sizeof(ipc::MessageHeader) + payload.size());
        ipc::MessageHeader header{ipc::kMessageMagic, kProtocolVersion, type, flags,
                                  uint32_t(payload.size()), sequence ? sequence : next_sequence++};
        std::memcpy(datagram.data(), &header, sizeof header);
        if (!payload.empty())
            std::memcpy(datagram.data() + sizeof header, payload.data(), payload.size());
        send_datagram(datagram);
    }
    template <class M> void send(const M &message, uint32_t flags = 0, uint64_t sequence = 0) {
        send_framed(M::kType, flags,
                    std::span(reinterpret_cast<const uint8_t *>(&message), sizeof message),
                    sequence);
    }
    // Everything the daemon sent: each must parse; calls are remembered for Reply.
    void drain() {
        for (;;) {
            auto received = host_end->receive();
            if (!received) {
                const auto code = received.error().code();
                if (code == shm::ErrorCode::WouldBlock || code == shm::ErrorCode::PeerClosed)
                    return;
                broken("the daemon sent a message its own protocol refuses");
            }
            const uint16_t type = received.value().type();
            if (type == DriverCall::kType || type == SetMulticastList::kType)
                pending_calls.push_back(received.value().header().sequence);
            if (pending_calls.size() > 64)
                pending_calls.pop_front();
        }
    }
    void check() {
        if (session->protocol_errors() > options.protocol_error_limit &&
            (session->state() != DextSession::State::stopped_for_misbehaviour || host->kills() == 0))
            broken("too many protocol errors, yet the dext was not stopped");
        if (was_finished && !session->finished())
            broken("a finished session came back");
        was_finished = session->finished();
        if (NetInterface *iface = session->interface()) {
            auto *device = dynamic_cast<FakeFrameDevice *>(&iface->tap());
            if (device == nullptr || device->carrier().value_or(false) != session->carrier())
                broken("the TAP's carrier is not the session's");
        }
    }
    void bring_up(uint8_t variant) {
        CreatePool pool{};
        pool.packet_count = 16u << (variant & 3);
        pool.buffer_count = pool.packet_count;
        // 0x80: a driver declaring checksums, TSO (16 KiB frames), RX checksums and LRO, so that
        // offload changes reach it.
        pool.buffer_size = (variant & 0x80) ? 16448 : 2048;
        std::snprintf(pool.name, sizeof pool.name, "fuzz");
        send(pool);
        uint64_t pool_id = 0;
        for (;;) {
            auto received = host_end->receive();
            if (!received)
                break;
            if (received.value().type() == PoolCreated::kType) {
                if (auto created = received.value().as<PoolCreated>(); created)
                    pool_id = created.value().pool_id;
            }
        }
        RegisterInterface r{};
        r.lane_count = 1;
        r.lanes[0].pool_id = pool_id;
        for (uint32_t &count : r.lanes[0].queue_counts)
            count = 1;
        const uint8_t mac[6] = {0x02, 0x00, 0x46, 0x5a, 0x5a, uint8_t(variant)};
        std::memcpy(r.mac, mac, 6);
        for (uint32_t &capacity : r.lanes[0].capacities)
            capacity = 8u << ((variant >> 2) & 3);
        if (variant & 0x80) {
            r.hardware_assists = 0x2 | 0x4 | 0x00200000 | 0x00400000 | 0x10000000 | 0x20000000;
            r.tso_max_bytes = 16384;
        }
        send(r);
        if (variant & 0x10)
            send(StartResult{0, 0});
        if (variant & 0x20)
            send(LinkStatus{0x3, 0, 0});
        if (variant & 0x40)
            for (uint8_t kind = 0; kind < 4; ++kind)
                send(QueueEnable{kind, 1, 0, 0});
    }
    void link_event(uint8_t kind, uint32_t value) {
        const int ifindex = session->interface() ? session->interface()->ifindex() : int(value & 7);
        const MacAddress groups[2] = {MacAddress{{0x01, 0x00, 0x5e, 0, 0, uint8_t(value)}},
                                      MacAddress{{0x33, 0x33, 0, 0, 0, uint8_t(value >> 8)}}};
        netlink::LinkChange change = netlink::LinkDeleted{};
        switch (kind % 8) {
        case 0: change = netlink::AdminStateChanged{(value & 1) != 0}; break;
        case 1: change = netlink::MtuChanged{1500, value % 70000}; break;
        case 2: change = netlink::PromiscuousChanged{(value & 1) != 0}; break;
        case 3: change = netlink::AllMulticastChanged{(value & 1) != 0}; break;
        case 4: change = netlink::MulticastListChanged{std::span(groups, value % 3)}; break;
        case 5: break; // deleted
        case 6: // `ethtool -K`, or a TUNSETOFFLOAD: any bits, even ones the TAP does not offer
            change = netlink::OffloadsChanged{value & 7, (value >> 3) & 7};
            break;
        case 7: // `ip link set … address`: the registered MAC or another
            change = netlink::MacChanged{MacAddress{{0x10, 0x22, 0x33, 0x44, 0x55, 0x66}},
                                         MacAddress{{0x02, 0, 0, 0, uint8_t(value >> 8),
                                                     uint8_t(value)}}};
            break;
        }
        session->on_link_event(netlink::LinkEvent{ifindex, change});
    }
};

bool run(Input &in) {
    auto setup = in.take<uint8_t>();
    if (!setup)
        return false;
    Harness h;
    h.bundle = testing::test_bundle(true, (*setup & 1) == 0);
    h.link_known = (*setup & 2) != 0;
    h.options.drop_limit = 4;
    h.options.mac_owner = [](const MacAddress &mac) {
        return mac.bytes[5] == 0xee ? std::string("en9 of com.example.Other") : std::string();
    };
    if (!h.attach())
        return false;
    for (int steps = 0; steps < 256 && !in.empty(); ++steps) {
        auto op = in.take<uint8_t>();
        if (!op)
            break;
        switch (Step(*op % kStepCount)) {
        case kMessage: {
            auto type = in.take<uint16_t>();
            auto flags = in.take<uint8_t>();
            auto length = in.take<uint16_t>();
            if (!type || !flags || !length)
                return true;
            const uint16_t t = *type < 64 ? kHostTypes[*type % kHostTypeCount] : *type;
            h.send_framed(t, *flags, in.bytes(*length % (ipc::kMaxPayloadSize + 8)));
            break;
        }
        case kTyped: {
            auto index = in.take<uint8_t>();
            if (!index)
                return true;
            const uint16_t type = kHostTypes[*index % kHostTypeCount];
            std::vector<uint8_t> payload(struct_size(type));
            auto bytes = in.bytes(payload.size());
            std::memcpy(payload.data(), bytes.data(), bytes.size());
            const bool reply = type == DriverCallReply::kType;
            const uint64_t sequence = reply && !h.pending_calls.empty() ? h.pending_calls.front() : 0;
            h.send_framed(type, reply ? ipc::kMessageFlagReply : 0, payload, sequence);
            break;
        }
        case kRaw: {
            auto length = in.take<uint16_t>();
            if (!length)
                return true;
            auto bytes = in.bytes(*length % (ipc::kMaxMessageSize + 64));
            h.send_datagram(std::as_bytes(bytes));
            break;
        }
        case kReply: {
            auto which = in.take<uint8_t>();
            auto status = in.take<int32_t>();
            auto value = in.take<uint32_t>();
            if (!which || !status || !value)
                return true;
            uint64_t sequence = *which; // sometimes a sequence nobody asked for
            if (!h.pending_calls.empty() && (*which & 0x80) == 0) {
                sequence = h.pending_calls[*which % h.pending_calls.size()];
                h.pending_calls.erase(h.pending_calls.begin() + (*which % h.pending_calls.size()));
            }
            h.send(DriverCallReply{(*which & 0x40) ? *status : 0, *value},
                   ipc::kMessageFlagReply, sequence);
            break;
        }
        case kLink: {
            auto kind = in.take<uint8_t>();
            auto value = in.take<uint32_t>();
            if (!kind || !value)
                return true;
            h.link_event(*kind, *value);
            break;
        }
        case kExit: {
            auto how = in.take<uint8_t>();
            if (!how)
                return true;
            h.host->exit(*how == 0 ? 0 : (*how & 1) ? (*how & 0x3f) /* a signal */ : (*how << 8));
            h.session->on_host_exit();
            break;
        }
        case kFault:
            h.session->on_fault();
            break;
        case kTerminate:
            h.session->terminate();
            break;
        case kOutput: {
            auto length = in.take<uint8_t>();
            if (!length)
                return true;
            auto bytes = in.bytes(*length);
            h.host->output.emplace_back(reinterpret_cast<const char *>(bytes.data()), bytes.size());
            h.session->on_output_readable();
            break;
        }
        case kBringUp: {
            auto variant = in.take<uint8_t>();
            if (!variant)
                return true;
            h.bring_up(*variant);
            break;
        }
        case kRelaunch: {
            auto state = in.take<uint8_t>();
            auto mtu = in.take<uint16_t>();
            if (!state || !mtu)
                return true;
            h.host->exit(SIGKILL);
            h.session->on_host_exit();
            h.session.reset(); // as Daemon::start_driver does before the next launch
            const uint32_t flags = ((*state & 1) ? IFF_UP : 0) | ((*state & 2) ? IFF_PROMISC : 0) |
                                   ((*state & 4) ? IFF_ALLMULTI : 0);
            if (!h.attach(flags, *mtu))
                return true;
            break;
        }
        case kStepCount:
            break;
        }
        h.drain();
        h.check();
    }
    return true;
}

} // namespace
} // namespace netdext::daemon

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const bool quiet = [] {
        netdext::daemon_log::log().set_minimum(getenv("FUZZ_VERBOSE") ? netdext::daemon_log::Level::info : netdext::daemon_log::Level::error);
        return true;
    }();
    (void)quiet;
    netdext::daemon::Input in(data, size);
    (void)netdext::daemon::run(in);
    return 0;
}
