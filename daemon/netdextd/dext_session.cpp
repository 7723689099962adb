// DextSession (see dext_session.h).

#include "dext_session.h"

#include "daemon_log.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace netdext::daemon {

using namespace netdext::protocol;
namespace ipc = netdext::shm::ipc;

namespace {

// A NUL-terminated copy of a fixed-size char array from an untrusted message.
template <size_t N> std::string bounded(const char (&text)[N]) {
    return std::string(text, strnlen(text, N));
}

// Keeps printable ASCII (and tabs); replaces anything else, so a driver cannot forge log lines.
std::string printable(const std::string &text) { return sandbox::printable_log_text(text); }

const char *level_name(uint8_t level) {
    static const char *names[] = {"fault", "error", "notice", "info", "debug"};
    return level < 5 ? names[level] : "notice";
}

} // namespace

DextSession::DextSession(const SessionOptions &options, const bundle::Bundle &bundle,
                         std::unique_ptr<SessionNetwork> network,
                         std::shared_ptr<InterfaceSlot> slot)
    : m_options(options), m_bundle(bundle), m_network(std::move(network)), m_slot(std::move(slot)),
      m_log_limit(options.sandbox.limits.log_lines_per_second, options.sandbox.limits.log_burst),
      m_entitlements(options.entitlements ? *options.entitlements : bundle_entitlements(bundle)),
      m_registry(options.service) {}

entitlements::Entitlements DextSession::bundle_entitlements(const bundle::Bundle &bundle) {
    netdext::registry::Value granted = netdext::registry::Value::dictionary();
    for (const auto &[key, value] : bundle.entitlements)
        granted.set(key, netdext::registry::Value::boolean(value));
    return entitlements::Entitlements::from_dictionary(std::move(granted));
}

bool DextSession::check_bundle(const bundle::Bundle &bundle,
                               const entitlements::Entitlements &granted, std::string &error) {
    if (!granted.granted(entitlements::kDriverKit)) {
        error = bundle.path + ": missing the entitlement " + std::string(entitlements::kDriverKit);
        return false;
    }
    if (bundle.personalities.empty()) {
        error = bundle.path + ": Info.plist has no IOKitPersonalities to match";
        return false;
    }
    return true;
}

std::unique_ptr<DextSession> DextSession::attach(const SessionOptions &options,
                                                 const bundle::Bundle &bundle,
                                                 std::unique_ptr<SessionNetwork> network,
                                                 std::unique_ptr<SessionHost> host,
                                                 ipc::Channel channel,
                                                 std::shared_ptr<InterfaceSlot> slot,
                                                 std::string &error) {
    if (!check_bundle(bundle, options.entitlements ? *options.entitlements
                                                   : bundle_entitlements(bundle),
                      error))
        return nullptr;
    std::unique_ptr<DextSession> session(
        new DextSession(options, bundle, std::move(network), std::move(slot)));
    session->m_fault_fd = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!session->m_fault_fd.is_valid()) {
        error = std::string("eventfd: ") + strerror(errno);
        return nullptr;
    }
    session->m_host = std::move(host);
    session->m_channel.emplace(std::move(channel));
    return session;
}

std::unique_ptr<DextSession> DextSession::launch(const SessionOptions &options,
                                                 const bundle::Bundle &bundle,
                                                 netlink::LinkWatcher &watcher,
                                                 netlink::RouteSocket &route,
                                                 std::shared_ptr<InterfaceSlot> slot,
                                                 std::string &error) {
    if (!check_bundle(bundle, options.entitlements ? *options.entitlements
                                                   : bundle_entitlements(bundle),
                      error))
        return nullptr;
    auto pair = ipc::Channel::create_pair(kProtocol);
    if (!pair) {
        error = "creating the control channel: " + pair.error().describe();
        return nullptr;
    }
    auto [daemon_end, host_end] = pair.release_value();
    HostOptions host;
    host.host_binary = options.host_binary;
    host.bundle_path = bundle.path;
    host.bundle_id = bundle.bundle_id;
    host.driver_executable = bundle.executable_path;
    host.class_name = options.class_name;
    host.boot_args = options.boot_args;
    host.registry_id_base = options.service.ids.first;
    host.sandbox = options.sandbox;
    host.wait_for_device = options.wait_for_device;
    auto process = HostProcess::spawn(host, host_end.fd());
    if (!process) {
        error = "starting netdext-host: " + process.error().describe();
        return nullptr;
    }
    auto session = attach(options, bundle, kernel_network(watcher, route, options.tap_io_uring),
                          spawned_host(process.release_value()), std::move(daemon_end),
                          std::move(slot), error);
    if (!session)
        return nullptr;
    if (options.sandbox.enabled)
        session->log("started netdext-host, pid %d, uid %u%s%s", int(session->m_host->pid()),
                     unsigned(session->m_host->uid()),
                     session->m_host->cgroup().empty() ? "" : ", cgroup ",
                     session->m_host->cgroup().c_str());
    else
        session->log("started netdext-host, pid %d (no sandbox)", int(session->m_host->pid()));
    return session;
}

DextSession::~DextSession() {
    for (auto &[id, port] : m_ports)
        if (port.interface) {
            port.interface->stop();
            m_network->unwatch_link(port.interface->ifindex());
        }
}

DextSession::Port *DextSession::port(uint32_t interface_id) {
    if (interface_id >= kMaxInterfaces)
        return nullptr;
    Port &port = m_ports[interface_id];
    if (!port.slot) {
        port.id = interface_id;
        port.slot = interface_id == 0 ? m_slot : m_slot->sibling(interface_id);
    }
    return &port;
}

const DextSession::Port *DextSession::find_port(uint32_t interface_id) const {
    auto found = m_ports.find(interface_id);
    return found == m_ports.end() ? nullptr : &found->second;
}

DextSession::Port *DextSession::port_of_ifindex(int ifindex) {
    for (auto &[id, port] : m_ports)
        if (port.interface && port.interface->ifindex() == ifindex)
            return &port;
    return nullptr;
}

NetInterface *DextSession::interface(uint32_t interface_id) const {
    const Port *port = find_port(interface_id);
    return port ? port->interface.get() : nullptr;
}

bool DextSession::carrier(uint32_t interface_id) const {
    const Port *port = find_port(interface_id);
    return port && port->carrier;
}

uint32_t DextSession::driver_mtu(uint32_t interface_id) const {
    const Port *port = find_port(interface_id);
    return port ? port->driver_mtu : 1500;
}

uint32_t DextSession::max_mtu(uint32_t interface_id) const {
    const Port *port = find_port(interface_id);
    return port ? port->max_mtu : 0;
}

std::vector<uint32_t> DextSession::interface_ids() const {
    std::vector<uint32_t> ids;
    for (const auto &[id, port] : m_ports)
        if (port.interface)
            ids.push_back(id);
    return ids;
}

const char *DextSession::state_name() const {
    switch (m_state) {
    case State::starting: return "starting";
    case State::running: return "running";
    case State::stopping: return "stopping";
    case State::exited: return "exited";
    case State::crashed: return "crashed";
    case State::stopped_for_misbehaviour: return "stopped (misbehaviour)";
    }
    return "?";
}

bool DextSession::finished() const {
    return m_state == State::exited || m_state == State::crashed ||
           m_state == State::stopped_for_misbehaviour;
}

void DextSession::log(const char *format, ...) const {
    char text[1200];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    daemon_log::log().write(daemon_log::Level::notice, m_bundle.bundle_id,
                            m_slot && m_slot->has_interface() ? m_slot->name() : "", text);
    // FIXME: lines about a second interface carry the first one's name as their label.
}

template <class M>
void DextSession::send(const M &message, std::span<const int> fds, uint64_t reply_to) {
    if (!m_channel)
        return;
    auto sent = m_channel->send(message, fds, reply_to ? ipc::kMessageFlagReply : 0, reply_to);
    if (!sent)
        log("netdextd: sending %s failed: %s", M::kName, sent.error().describe().c_str());
}

void DextSession::call(Port &port, Call which, uint32_t arg, ReplyHandler on_reply) {
    if (!m_channel || !m_host || !m_host->running())
        return;
    auto sent = m_channel->send(DriverCall{uint32_t(which), arg, port.id});
    if (!sent) {
        log("netdextd: sending a driver call failed: %s", sent.error().describe().c_str());
        return;
    }
    // The reply is for this registration of the id only: one that crosses an
    // UnregisterInterface is not applied to the interface registered with the id next.
    if (on_reply)
        m_pending[sent.value()] = [this, id = port.id, registration = port.registration,
                                   on_reply = std::move(on_reply)](int32_t status, uint32_t value) {
            const Port *now = find_port(id);
            if (now != nullptr && now->interface && now->registration == registration)
                on_reply(status, value);
        };
    note_call_sent(sent.value());
}

void DextSession::note_call_sent(uint64_t sequence) {
    if (m_calls_sent.size() < 1024)
        m_calls_sent[sequence] = std::chrono::steady_clock::now();
}

void DextSession::protocol_error(const std::string &what) {
    ++m_protocol_errors;
    log("netdextd: protocol error from netdext-host: %s", what.c_str());
    if (m_protocol_errors > m_options.protocol_error_limit)
        stop_for("too many protocol errors from its host (" + what + ")");
}

void DextSession::stop_for(const std::string &reason) {
    if (finished())
        return;
    log("netdextd: stopping the dext: %s", reason.c_str());
    m_state = State::stopped_for_misbehaviour;
    m_reason = reason;
    set_all_carriers(false);
    stop_movers();
    if (m_host)
        m_host->kill();
    // Replies from a host being killed are not waited for (see handle() for the rest).
    m_pending.clear();
    m_calls_sent.clear();
}

void DextSession::set_carrier(Port &port, bool on) {
    port.carrier = on;
    if (port.interface)
        if (auto r = port.interface->tap().set_carrier(on); !r)
            log("netdextd: setting carrier on %s: %s", port.interface->name().c_str(),
                r.error().describe().c_str());
}

void DextSession::set_all_carriers(bool on) {
    for (auto &[id, port] : m_ports)
        set_carrier(port, on);
}

void DextSession::stop_movers() {
    for (auto &[id, port] : m_ports)
        if (port.interface)
            port.interface->stop();
}

bool DextSession::on_channel_readable() {
    if (!m_channel)
        return false;
    for (int budget = 0; budget < 256; ++budget) {
        if (!m_channel)
            return false; // handling a message ended the session's channel
        auto received = m_channel->receive();
        if (!received) {
            const shm::Error &e = received.error();
            if (e.code() == shm::ErrorCode::WouldBlock)
                return false;
            if (e.code() == shm::ErrorCode::PeerClosed) {
                m_channel.reset(); // the host exits; its pidfd tells us how
                return false;
            }
            protocol_error(e.describe());
            continue;
        }
        handle(received.value());
    }
    return true; // the budget ran out: more may be waiting
}

void DextSession::handle(ipc::ReceivedMessage &message) {
    // A stopped or exited host's last messages: its log lines still tell what happened, but
    // nothing it queued may change the session (a StartResult would make a dext stopped for
    // misbehaviour "running" again: found by dext_session_fuzz).
    if (finished() && message.type() != Log::kType && message.type() != Misuse::kType)
        return;
    // The registry takes its snapshots and notes the family's reports (session_registry.h).
    if (std::string error; m_registry.observe(message, error)) {
        if (!error.empty())
            protocol_error(error);
        return;
    }
    if (message.type() >= AttachDevice::kType && message.type() < AttachDevice::kType + 20) {
        if (!m_options.on_device_message || !m_options.on_device_message(message))
            protocol_error(std::string("unexpected device message ") +
                           std::to_string(message.type()));
        return;
    }
    switch (message.type()) {
    case Hello::kType: {
        auto hello = message.as<Hello>();
        if (!hello || hello.value().protocol_version != kProtocolVersion) {
            stop_for("its host speaks another protocol version");
            return;
        }
        m_hello = true;
        return;
    }
    case StartResult::kType: {
        auto result = message.as<StartResult>();
        if (!result)
            return protocol_error("StartResult");
        m_registry.start_result(result.value().status == 0);
        if (result.value().status == 0) {
            m_state = State::running;
            m_started = true;
            log("netdextd: Start succeeded");
        } else {
            m_start_failed = true;
            m_reason = "Start failed (0x" + [&] {
                char hex[16];
                std::snprintf(hex, sizeof hex, "%08x", unsigned(result.value().status));
                return std::string(hex);
            }() + ")";
            log("netdextd: %s", m_reason.c_str());
        }
        return;
    }
    case CreatePool::kType:
        return create_pool(message);
    case RegisterInterface::kType:
        return register_interface(message);
    case ReleasePool::kType: {
        auto release = message.as<ReleasePool>();
        if (!release)
            return protocol_error("ReleasePool");
        // A registered interface keeps using its pool's memory until it is unregistered.
        auto pool = m_pools.find(release.value().pool_id);
        if (pool != m_pools.end())
            m_pools.erase(pool);
        return;
    }
    case UnregisterInterface::kType: {
        auto unregister = message.as<UnregisterInterface>();
        Port *p = unregister ? port(unregister.value().interface_id) : nullptr;
        if (p == nullptr)
            return protocol_error("UnregisterInterface");
        return drop_interface(*p);
    }
    case LinkStatus::kType: {
        auto status = message.as<LinkStatus>();
        Port *p = status ? port(status.value().interface_id) : nullptr;
        if (p == nullptr)
            return protocol_error("LinkStatus");
        const uint32_t active = 0x3; // kIOUserNetworkLinkStatusActive
        p->link_status = status.value().status;
        p->media = status.value().media;
        set_carrier(*p, (status.value().status & active) == active);
        apply_link_settings(*p);
        return;
    }
    case MediaTypes::kType:
    case LinkQuality::kType:
    case DataBandwidths::kType:
        return; // the registry notes them (session_registry.cpp); nothing to do for the TAP
    case QueueEnable::kType: {
        auto enable = message.as<QueueEnable>();
        Port *p = enable ? port(enable.value().interface_id) : nullptr;
        if (p == nullptr || enable.value().kind > 3 ||
            enable.value().index >= shm::kMaxQueueSets)
            return protocol_error("QueueEnable");
        if (p->interface)
            p->interface->set_queue_enabled(enable.value().kind, enable.value().enabled != 0,
                                            enable.value().index);
        return;
    }
    case Misuse::kType: {
        auto misuse = message.as<Misuse>();
        if (!misuse)
            return protocol_error("Misuse");
        std::string text = printable(bounded(misuse.value().text));
        log("API misuse: %s", text.c_str());
        if (m_misuses.size() < 64)
            m_misuses.push_back(text);
        return;
    }
    case Log::kType: {
        auto line = message.as<Log>();
        if (!line)
            return protocol_error("Log");
        std::string text = printable(bounded(line.value().text));
        driver_line(line.value().level <= 1 ? level_name(line.value().level) : nullptr, text);
        return;
    }
    case DriverCallReply::kType: {
        auto reply = message.as<DriverCallReply>();
        if (!reply || !(message.header().flags & ipc::kMessageFlagReply))
            return protocol_error("DriverCallReply");
        m_calls_sent.erase(message.header().sequence);
        auto pending = m_pending.find(message.header().sequence);
        if (pending == m_pending.end())
            return; // a reply nobody waits for (e.g. a call without a handler)
        ReplyHandler handler = std::move(pending->second);
        m_pending.erase(pending);
        handler(reply.value().status, reply.value().value);
        return;
    }
    default:
        return protocol_error(std::string("unexpected message type ") +
                              std::to_string(message.type()));
    }
}

void DextSession::driver_line(const char *prefix, const std::string &text) {
    if (!m_log_limit.admit())
        return;
    if (uint64_t dropped = m_log_limit.take_unreported())
        log("netdextd: %llu log line(s) of this dext dropped (rate limit)",
            static_cast<unsigned long long>(dropped));
    if (!m_options.dext_logs)
        return;
    if (prefix)
        log("%s: %s", prefix, text.c_str());
    else
        log("%s", text.c_str());
}

void DextSession::on_output_readable() {
    if (!m_host)
        return;
    m_host->drain_output([this](const std::string &line) { driver_line("stderr", line); });
}

void DextSession::create_pool(const ipc::ReceivedMessage &message) {
    auto request = message.as<CreatePool>();
    if (!request)
        return protocol_error("CreatePool");
    const CreatePool &r = request.value();
    PoolCreated reply{};
    auto layout = shm::PoolLayout::compute(r.packet_count, r.buffer_count, r.buffer_size);
    if (!layout || m_pools.size() >= 16) {
        reply.status = int32_t(0xE00002C2); // kIOReturnBadArgument
        log("netdextd: refused pool \"%s\" (%u packets, %u x %u bytes)%s",
            printable(bounded(r.name)).c_str(), r.packet_count, r.buffer_count, r.buffer_size,
            layout ? ": too many pools" : "");
        send(reply, {}, message.header().sequence);
        return;
    }
    auto region = shm::SharedRegion::create("netdext-pool", layout.value().total_size);
    if (!region) {
        reply.status = int32_t(0xE00002BD); // kIOReturnNoMemory
        send(reply, {}, message.header().sequence);
        return;
    }
    uint64_t id = m_next_pool_id++;
    Pool &pool = m_pools[id];
    pool.layout = layout.value();
    pool.region = std::make_shared<shm::SharedRegion>(region.release_value());
    pool.layout.initialize(pool.region->bytes());
    reply.status = 0;
    reply.pool_id = id;
    reply.total_size = pool.layout.total_size;
    reply.packet_count = pool.layout.packet_count;
    reply.buffer_count = pool.layout.buffer_count;
    reply.buffer_size = pool.layout.buffer_size;
    int fd = pool.region->memfd().fd();
    send(reply, std::span<const int>(&fd, 1), message.header().sequence);
}

void DextSession::refuse_interface(const ipc::ReceivedMessage &message, uint32_t interface_id,
                                   int32_t status) {
    InterfaceRegistered reply{};
    reply.status = status;
    reply.unit = -1;
    reply.interface_id = interface_id;
    send(reply, {}, message.header().sequence);
}

void DextSession::register_interface(const ipc::ReceivedMessage &message) {
    auto request = message.as<RegisterInterface>();
    if (!request)
        return protocol_error("RegisterInterface");
    const RegisterInterface &r = request.value();
    constexpr int32_t kBadArgument = int32_t(0xE00002C2);
    Port *p = port(r.interface_id);
    if (p == nullptr) {
        protocol_error("RegisterInterface: interface id " + std::to_string(r.interface_id) +
                       " out of range");
        return refuse_interface(message, r.interface_id, kBadArgument);
    }
    Port &target = *p;
    MacAddress mac;
    std::memcpy(mac.bytes.data(), r.mac, 6);
    std::string owner = m_options.mac_owner ? m_options.mac_owner(mac) : "";
    // macOS keeps an interface's name with its MAC: a driver whose ports register in another
    // order than its predecessor's gets the kept interface with the MAC it registers, whatever
    // its id (the two ids' kept interfaces trade places), unless a port registered now has it.
    if (InterfaceSlot *kept = m_slot->slot_with_mac(mac);
        kept != nullptr && kept != target.slot.get() && !target.interface &&
        std::none_of(m_ports.begin(), m_ports.end(), [kept](const auto &entry) {
            return entry.second.slot.get() == kept && entry.second.interface;
        })) {
        log("netdextd: interface %u takes the kept interface %s (MAC %s)", target.id,
            kept->name().c_str(), mac.to_string().c_str());
        target.slot->swap_interface(*kept);
    }
    // Its other interfaces: those registered now, and those a previous driver of the extension
    // registered, kept in their slots (SessionOptions::mac_owner asks only about other dexts).
    if (std::string name; m_slot->owns_mac(mac, &name, target.slot.get()))
        owner = name + " of this dext";
    // Every field from the host is bounded before use: lanes, pools, queue counts.
    InterfaceConfig config;
    std::string invalid;
    if (r.lane_count < 1 || r.lane_count > kMaxLanes)
        invalid = "lane count " + std::to_string(r.lane_count);
    for (uint32_t lane = 0; invalid.empty() && lane < r.lane_count; ++lane) {
        const InterfaceLane &in = r.lanes[lane];
        auto pool = m_pools.find(in.pool_id);
        if (pool == m_pools.end()) {
            invalid = "an unknown pool";
            break;
        }
        for (uint32_t other = 0; other < lane; ++other)
            if (r.lanes[other].pool_id == in.pool_id)
                invalid = "the same pool twice";
        for (const auto &[id, other] : m_ports)
            if (other.interface && id != target.id)
                for (uint64_t used : other.pool_ids)
                    if (used == in.pool_id)
                        invalid = "a pool of another interface";
        LaneConfig &out = config.lanes.emplace_back();
        out.pool_region = pool->second.region;
        out.pool_layout = pool->second.layout;
        uint32_t sets = 1;
        for (size_t k = 0; k < 4; ++k) {
            out.queue_counts[k] = in.queue_counts[k];
            if (in.queue_counts[k] > shm::kMaxQueueSets)
                invalid = "too many queues";
            sets = std::max(sets, in.queue_counts[k]);
        }
        // Lane 0 has the TX queues, the last lane the RX queues; none elsewhere.
        const bool has_tx = lane == 0, has_rx = lane + 1 == r.lane_count;
        for (size_t k = 0; k < 4; ++k) {
            const bool wanted = k < 2 ? has_tx : has_rx;
            if ((in.queue_counts[k] != 0) != wanted)
                invalid = "queues of a kind missing or on the wrong pool";
        }
        for (size_t i = 0; i < shm::kRingCount; ++i)
            out.capacities[i] = in.capacities[i];
        if (sets <= shm::kMaxQueueSets)
            for (uint32_t set = 1; set < sets; ++set)
                out.more.push_back({in.more[set - 1][0], in.more[set - 1][1],
                                    in.more[set - 1][2], in.more[set - 1][3]});
    }
    if (!invalid.empty()) {
        protocol_error("RegisterInterface: " + invalid);
        return refuse_interface(message, target.id, kBadArgument);
    }
    if (target.interface) {
        log("netdextd: refused a second registration of interface %u", target.id);
        return refuse_interface(message, target.id, int32_t(0xE00002D5)); // kIOReturnBusy
    }
    if (mac.is_multicast() || mac.bytes == std::array<uint8_t, 6>{}) {
        log("netdextd: refused MAC %s (multicast or zero)", mac.to_string().c_str());
        return refuse_interface(message, target.id, kBadArgument);
    }
    if (!owner.empty()) {
        log("netdextd: refused MAC %s: %s already has it", mac.to_string().c_str(),
            owner.c_str());
        return refuse_interface(message, target.id, int32_t(0xE00002C5)); // ExclusiveAccess
    }
    if (auto denial = entitlements::check_register_ethernet(m_entitlements, m_bundle.bundle_id)) {
        log("netdextd: RegisterEthernetInterface refused: %s", denial->message.c_str());
        // kIOReturnNotPermitted, as macOS's family
        return refuse_interface(message, target.id, int32_t(0xE00002E2));
    }
    std::string error;
    bool fresh = true;
    uint32_t queue_sets = config.queue_sets(); // a TAP queue (and mover) each, up to max_movers
    if (m_options.max_movers != 0)
        queue_sets = std::min(queue_sets, m_options.max_movers);
    tap::FrameDevice *tap = target.slot->attach(*m_network, mac, queue_sets, fresh, error);
    if (tap != nullptr && !fresh) {
        // A kept interface deleted while no driver ran it (nobody watched its link then):
        // the TAP is dead, so the driver gets a new one.
        if (auto link = m_network->query_link(tap->ifindex()); !link && link.error().is(ENODEV)) {
            log("netdextd: %s was deleted while no driver ran it; making a new interface",
                target.slot->name().c_str());
            target.slot->release_own();
            tap = target.slot->attach(*m_network, mac, queue_sets, fresh, error);
        } else if (link) {
            config.kept_mtu = link.value().mtu;
        }
    }
    config.capture = target.slot->capture();
    config.hardware_assists = r.hardware_assists;
    config.tso_max_bytes = r.tso_max_bytes;
    auto iface = tap ? NetInterface::create(config, *tap, error)
                     : Result<std::unique_ptr<NetInterface>>(Error::from_errno(ENODEV, "tap"));
    if (!iface) {
        log("netdextd: creating the interface failed: %s", error.c_str());
        if (tap != nullptr && fresh)
            target.slot->release_own(); // a sibling's may be in use
        return refuse_interface(message, target.id, int32_t(0xE00002BE)); // NoResources
    }
    target.interface = iface.release_value();
    target.registration = ++m_registrations;
    target.pool_ids.clear();
    for (uint32_t lane = 0; lane < r.lane_count; ++lane)
        target.pool_ids.push_back(r.lanes[lane].pool_id);
    NetInterface &ni = *target.interface;
    target.replay_mtu = fresh ? 0 : config.kept_mtu;
    set_carrier(target, target.carrier); // a ReportLinkStatus may have come before
    if (!fresh)
        log("netdextd: re-attached to the kept interface %s", ni.name().c_str());
    InterfaceRegistered reply{};
    reply.status = 0;
    reply.unit = ni.unit();
    reply.interface_id = target.id;
    reply.lane_count = uint32_t(ni.lane_count());
    std::snprintf(reply.name, sizeof reply.name, "%s", ni.name().c_str());
    std::vector<int> fds;
    for (size_t lane = 0; lane < ni.lane_count(); ++lane) {
        reply.rings_size[lane] = ni.rings_layout(lane).total_size;
        fds.push_back(ni.rings_region(lane).memfd().fd());
    }
    reply.doorbells = uint32_t(ni.mover_count());
    for (size_t mover = 0; mover < ni.mover_count(); ++mover)
        fds.push_back(ni.daemon_doorbell(mover).fd());
    for (size_t mover = 0; mover < ni.mover_count(); ++mover)
        fds.push_back(ni.host_doorbell(mover).fd());
    send(reply, std::span<const int>(fds), message.header().sequence);
    log("netdextd: interface %s registered, MAC %s%s", ni.name().c_str(), mac.to_string().c_str(),
        ni.lane_count() > 1 || ni.queue_count(0) > 1 || ni.queue_count(2) > 1
            ? (", " + std::to_string(ni.lane_count()) + " pool(s), " +
               std::to_string(ni.queue_count(0)) + " TX / " + std::to_string(ni.queue_count(2)) +
               " RX queue(s), " + std::to_string(ni.mover_count()) + " frame mover(s)")
                  .c_str()
            : "");
    if (ni.tap_offload() != 0 || !ni.offload_note().empty())
        log("netdextd: %s offloads: hardware assists 0x%08x → TUNSETOFFLOAD 0x%x%s%s%s",
            ni.name().c_str(), r.hardware_assists, ni.tap_offload(),
            ni.tso_frame_bytes() != 0
                ? (", TSO frames up to " + std::to_string(ni.tso_frame_bytes()) + " bytes").c_str()
                : "",
            ni.offload_note().empty() ? "" : "; ", ni.offload_note().c_str());
    target.mac = mac;
    target.declared_assists = target.assists = r.hardware_assists;
    {
        auto id = [this] {
            static uint64_t own = uint64_t(1) << 48; // tests without the daemon's registry
            return m_options.allocate_registry_id ? m_options.allocate_registry_id() : own++;
        };
        const uint64_t controller = id();
        m_registry.interface_registered(target.id, r, controller, id());
    }
    int fault_fd = m_fault_fd.get();
    std::string *fault_text = &m_fault_text;
    ni.start(
        [fault_fd, fault_text](const std::string &reason) {
            *fault_text = reason; // read by the main thread after the eventfd wakes it
            uint64_t one = 1;
            (void)!write(fault_fd, &one, sizeof one);
        },
        m_options.drop_limit);
    if (auto watched = m_network->watch_link(ni.ifindex()); !watched)
        log("netdextd: watching %s failed: %s", ni.name().c_str(),
            watched.error().describe().c_str());
    if (m_options.on_interface && target.id == 0)
        m_options.on_interface(ni.name());
    show_driver_to_linux(target);
    const uint32_t id = target.id;
    call(target, Call::GetMaxTransferUnit, 0, [this, id](int32_t status, uint32_t value) {
        Port *p = port(id);
        if (p == nullptr || !p->interface)
            return;
        if (status == 0 && value >= 68) {
            p->max_mtu = value;
            log("netdextd: %s maximum MTU %u", p->interface->name().c_str(), value);
        }
        replay_link_state(*p);
    });
}

// DriverKit gives a new driver a fresh interface; a kept one may already be up, have another
// MTU, be promiscuous or have multicast groups. The driver is told each, as if the stack had
// just done it (in the order the link watcher reports changes).
void DextSession::replay_link_state(Port &port) {
    if (!port.interface || port.replay_mtu == 0)
        return;
    const uint32_t mtu = port.replay_mtu;
    port.replay_mtu = 0;
    const int ifindex = port.interface->ifindex();
    std::optional<netlink::LinkState> state = m_network->link_state(ifindex);
    if (!state)
        return;
    // Offloads the user switched off before stay off: the kernel reports the change, and
    // offloads_changed() tells the driver (SetHardwareAssists) as for an `ethtool -K` now.
    if (const uint32_t off = port.slot->offloads_off() & port.interface->offered_offloads()) {
        log("netdextd: %s keeps %s off", port.interface->name().c_str(),
            netlink::describe_offloads(off).c_str());
        if (auto r = m_network->set_link_offloads(ifindex, off, 0); !r)
            log("netdextd: switching %s off again failed: %s",
                netlink::describe_offloads(off).c_str(), r.error().describe().c_str());
    }
    if (state->admin_up()) {
        log("netdextd: %s is up → SetInterfaceEnable(true)", port.interface->name().c_str());
        call(port, Call::SetInterfaceEnable, 1, [this](int32_t status, uint32_t) {
            if (status != 0)
                log("netdextd: SetInterfaceEnable failed (0x%08x)", unsigned(status));
        });
    }
    if (mtu != port.driver_mtu)
        on_port_link_event(port,
                           netlink::LinkEvent{ifindex, netlink::MtuChanged{port.driver_mtu, mtu}});
    if (state->promiscuous())
        call(port, Call::SetPromiscuousModeEnable, 1);
    if (state->all_multicast())
        call(port, Call::SetAllMulticastModeEnable, 1);
    std::vector<MacAddress> groups = m_network->multicast_addresses(ifindex);
    if (!groups.empty())
        on_port_link_event(port, netlink::LinkEvent{ifindex, netlink::MulticastListChanged{groups}});
}

void DextSession::drop_interface(Port &port) {
    if (!port.interface)
        return;
    log("netdextd: interface %s unregistered", port.interface->name().c_str());
    set_carrier(port, false); // a kept interface has no carrier until a driver reports its link
    forget_interface(port);
    // A driver that gives its interface up while it keeps running gives up the slot too; one that
    // is being stopped (replacement, restart) leaves it for the next.
    if (m_state != State::stopping)
        port.slot->release_own(); // the others' stay with their drivers
}

void DextSession::forget_interface(Port &port) {
    m_network->unwatch_link(port.interface->ifindex());
    m_registry.interface_gone(port.id);
    // netdext-host gives the id to the next driver object that asks (DESIGN.md §6): its
    // interface starts afresh, with nothing of this one's link, media, MTU or assists.
    Port fresh;
    fresh.id = port.id;
    fresh.slot = port.slot;
    port = std::move(fresh); // stops the mover
}

void DextSession::on_fault() {
    uint64_t value = 0;
    (void)!read(m_fault_fd.get(), &value, sizeof value);
    stop_for(m_fault_text.empty() ? std::string("the frame mover reported a fault")
                                  : m_fault_text);
}

void DextSession::on_host_exit() {
    if (!m_host)
        return;
    int status = 0;
    if (!m_host->try_reap(status))
        return;
    on_output_readable(); // what the host wrote last …
    // … and all it sent last (log lines, a StartResult before it died): a dead host sends no
    // more, so this ends, and nothing it said is lost with the channel.
    while (on_channel_readable()) {
    }
    std::string how = describe_wait_status(status);
    // DESIGN §7: the interfaces (and their addresses) survive the host; only the carrier drops.
    set_all_carriers(false);
    stop_movers();
    m_channel.reset();
    m_pending.clear();
    m_registry.fail_pending(); // nobody waits for a snapshot the host can no longer send
    m_calls_sent.clear();
    if (m_state == State::stopped_for_misbehaviour) {
        log("netdextd: netdext-host %s", how.c_str());
        return;
    }
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    m_state = clean ? State::exited : State::crashed;
    m_reason = m_reason.empty() ? "netdext-host " + how : m_reason + "; netdext-host " + how;
    log("netdextd: netdext-host %s%s", how.c_str(),
        m_state == State::crashed ? "; carrier dropped, the interface stays" : "");
}

void DextSession::on_link_event(const netlink::LinkEvent &event) {
    if (finished())
        return;
    if (Port *port = port_of_ifindex(event.ifindex))
        on_port_link_event(*port, event);
}

void DextSession::on_port_link_event(Port &port, const netlink::LinkEvent &event) {
    NetInterface *iface = port.interface.get();
    if (iface == nullptr)
        return;
    std::visit(
        [&](const auto &change) {
            using T = std::decay_t<decltype(change)>;
            if constexpr (std::is_same_v<T, netlink::AdminStateChanged>) {
                log("netdextd: %s %s → SetInterfaceEnable(%s)", iface->name().c_str(),
                    change.up ? "up" : "down", change.up ? "true" : "false");
                call(port, Call::SetInterfaceEnable, change.up ? 1 : 0, [this](int32_t status, uint32_t) {
                    if (status != 0)
                        log("netdextd: SetInterfaceEnable failed (0x%08x)", unsigned(status));
                });
            } else if constexpr (std::is_same_v<T, netlink::MtuChanged>) {
                if (change.new_mtu == port.driver_mtu)
                    return; // our own revert, or no change for the driver
                if (port.max_mtu != 0 && change.new_mtu > port.max_mtu) {
                    log("netdextd: MTU %u refused (the driver's maximum is %u); putting back %u",
                        change.new_mtu, port.max_mtu, port.driver_mtu);
                    revert_mtu(port);
                    return;
                }
                uint32_t mtu = change.new_mtu;
                call(port, Call::SetMTU, mtu, [this, id = port.id, mtu](int32_t status, uint32_t) {
                    Port *p = this->port(id);
                    if (p == nullptr)
                        return;
                    if (status == 0) {
                        p->driver_mtu = mtu;
                        log("netdextd: SetMTU(%u) accepted", mtu);
                    } else {
                        log("netdextd: the driver refused MTU %u (0x%08x); putting back %u", mtu,
                            unsigned(status), p->driver_mtu);
                        revert_mtu(*p);
                    }
                });
            } else if constexpr (std::is_same_v<T, netlink::PromiscuousChanged>) {
                log("netdextd: promiscuous %s", change.enabled ? "on" : "off");
                call(port, Call::SetPromiscuousModeEnable, change.enabled ? 1 : 0);
            } else if constexpr (std::is_same_v<T, netlink::AllMulticastChanged>) {
                log("netdextd: all-multicast %s", change.enabled ? "on" : "off");
                call(port, Call::SetAllMulticastModeEnable, change.enabled ? 1 : 0);
            } else if constexpr (std::is_same_v<T, netlink::MulticastListChanged>) {
                SetMulticastList list{};
                list.interface_id = port.id;
                list.count = uint32_t(std::min<size_t>(change.addresses.size(),
                                                       SetMulticastList::kMaxAddresses));
                for (uint32_t i = 0; i < list.count; ++i)
                    std::memcpy(list.addresses[i], change.addresses[i].bytes.data(), 6);
                log("netdextd: %u multicast address(es)", list.count);
                auto sent = m_channel ? m_channel->send(list) : shm::Result<uint64_t>(uint64_t(0));
                if (m_channel && sent)
                    note_call_sent(sent.value());
            } else if constexpr (std::is_same_v<T, netlink::MacChanged>) {
                if (change.new_mac != port.mac)
                    refuse_mac_change(port, change.new_mac);
            } else if constexpr (std::is_same_v<T, netlink::OffloadsChanged>) {
                offloads_changed(port, change);
            } else if constexpr (std::is_same_v<T, netlink::LinkDeleted>) {
                log("netdextd: %s was deleted; stopping the dext", iface->name().c_str());
                terminate();
                forget_interface(port);
                port.slot->release_own(); // the kernel already removed it
            }
        },
        event.change);
}

void DextSession::revert_mtu(Port &port) {
    if (!port.interface)
        return;
    if (auto r = m_network->set_link_mtu(port.interface->ifindex(), port.driver_mtu); !r)
        log("netdextd: putting back MTU %u failed: %s", port.driver_mtu,
            r.error().describe().c_str());
}

void DextSession::offloads_changed(Port &port, const netlink::OffloadsChanged &change) {
    // `ethtool -K enN tso|tx off|on` within what the TAP offers: the kernel already stopped (or
    // resumed) handing over such frames; the driver is told, as macOS's family tells it of
    // `ifconfig enN -tso`. Our own put-back, and a new TUNSETOFFLOAD, come here too and change
    // nothing for the driver.
    const NetInterface &iface = *port.interface;
    // What the user has off of what the TAP offers, for a driver that re-attaches later.
    port.slot->set_offloads_off(iface.offered_offloads() & ~change.new_offloads);
    const uint32_t wanted = iface.assists_with(port.declared_assists, change.new_offloads);
    if (wanted == port.assists)
        return;
    log("netdextd: %s offloads now %s → SetHardwareAssists(0x%08x)", iface.name().c_str(),
        netlink::describe_offloads(change.new_offloads).c_str(), wanted);
    call(port, Call::SetHardwareAssists, wanted, [this, id = port.id, wanted](int32_t status, uint32_t) {
        Port *p = this->port(id);
        if (p == nullptr || !p->interface)
            return;
        if (status == 0) {
            p->assists = wanted;
            log("netdextd: SetHardwareAssists(0x%08x) accepted", wanted);
            return;
        }
        // Refused: the features go back to what the driver still does.
        const uint32_t keep = p->interface->offloads_with(p->assists);
        log("netdextd: the driver refused hardware assists 0x%08x (0x%08x); putting back %s",
            wanted, unsigned(status), netlink::describe_offloads(keep).c_str());
        if (auto r = m_network->set_link_offloads(p->interface->ifindex(),
                                                  p->interface->offered_offloads(), keep);
            !r)
            log("netdextd: putting back the offloads failed: %s", r.error().describe().c_str());
    });
}

void DextSession::terminate() {
    if (finished())
        return;
    m_state = State::stopping;
    if (m_channel)
        send(Terminate{});
}

} // namespace netdext::daemon
