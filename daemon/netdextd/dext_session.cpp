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
    auto session = attach(options, bundle, kernel_network(watcher, route),
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
    if (m_interface) {
        m_interface->stop();
        m_network->unwatch_link(m_interface->ifindex());
    }
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
}

template <class M>
void DextSession::send(const M &message, std::span<const int> fds, uint64_t reply_to) {
    if (!m_channel)
        return;
    auto sent = m_channel->send(message, fds, reply_to ? ipc::kMessageFlagReply : 0, reply_to);
    if (!sent)
        log("netdextd: sending %s failed: %s", M::kName, sent.error().describe().c_str());
}

void DextSession::call(Call which, uint32_t arg, ReplyHandler on_reply) {
    if (!m_channel || !m_host || !m_host->running())
        return;
    auto sent = m_channel->send(DriverCall{uint32_t(which), arg});
    if (!sent) {
        log("netdextd: sending a driver call failed: %s", sent.error().describe().c_str());
        return;
    }
    if (on_reply)
        m_pending[sent.value()] = std::move(on_reply);
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
    set_carrier(false);
    if (m_interface)
        m_interface->stop();
    if (m_host)
        m_host->kill();
    // Replies from a host being killed are not waited for (see handle() for the rest).
    m_pending.clear();
    m_calls_sent.clear();
}

void DextSession::set_carrier(bool on) {
    m_carrier = on;
    if (m_interface)
        if (auto r = m_interface->tap().set_carrier(on); !r)
            log("netdextd: setting carrier on %s: %s", m_interface->name().c_str(),
                r.error().describe().c_str());
}

void DextSession::on_channel_readable() {
    if (!m_channel)
        return;
    for (int budget = 0; budget < 256; ++budget) {
        auto received = m_channel->receive();
        if (!received) {
            const shm::Error &e = received.error();
            if (e.code() == shm::ErrorCode::WouldBlock)
                return;
            if (e.code() == shm::ErrorCode::PeerClosed) {
                m_channel.reset(); // the host exits; its pidfd tells us how
                return;
            }
            protocol_error(e.describe());
            continue;
        }
        handle(received.value());
    }
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
    case UnregisterInterface::kType:
        return drop_interface();
    case LinkStatus::kType: {
        auto status = message.as<LinkStatus>();
        if (!status)
            return protocol_error("LinkStatus");
        const uint32_t active = 0x3; // kIOUserNetworkLinkStatusActive
        set_carrier((status.value().status & active) == active);
        apply_link_settings();
        return;
    }
    case MediaTypes::kType:
    case LinkQuality::kType:
    case DataBandwidths::kType:
        return; // recorded by the registry in a later version; nothing to do for the TAP
    case QueueEnable::kType: {
        auto enable = message.as<QueueEnable>();
        if (!enable || enable.value().kind > 3)
            return protocol_error("QueueEnable");
        if (m_interface)
            m_interface->set_queue_enabled(enable.value().kind, enable.value().enabled != 0);
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

void DextSession::register_interface(const ipc::ReceivedMessage &message) {
    auto request = message.as<RegisterInterface>();
    if (!request)
        return protocol_error("RegisterInterface");
    const RegisterInterface &r = request.value();
    InterfaceRegistered reply{};
    reply.status = int32_t(0xE00002C2); // kIOReturnBadArgument unless all goes well
    reply.unit = -1;
    auto pool = m_pools.find(r.pool_id);
    MacAddress mac;
    std::memcpy(mac.bytes.data(), r.mac, 6);
    const std::string owner = m_options.mac_owner ? m_options.mac_owner(mac) : "";
    if (m_interface) {
        log("netdextd: refused a second interface (one per dext)");
        reply.status = int32_t(0xE00002D5); // kIOReturnBusy
    } else if (pool == m_pools.end()) {
        protocol_error("RegisterInterface names an unknown pool");
    } else if (mac.is_multicast() || mac.bytes == std::array<uint8_t, 6>{}) {
        log("netdextd: refused MAC %s (multicast or zero)", mac.to_string().c_str());
    } else if (!owner.empty()) {
        log("netdextd: refused MAC %s: %s already has it", mac.to_string().c_str(),
            owner.c_str());
        reply.status = int32_t(0xE00002C5); // kIOReturnExclusiveAccess
    } else if (auto denial = entitlements::check_register_ethernet(m_entitlements,
                                                                   m_bundle.bundle_id)) {
        log("netdextd: RegisterEthernetInterface refused: %s", denial->message.c_str());
        reply.status = int32_t(0xE00002E2); // kIOReturnNotPermitted, as macOS's family
    } else {
        std::string error;
        bool fresh = true;
        tap::FrameDevice *tap = m_slot->attach(*m_network, mac, fresh, error);
        InterfaceConfig config;
        config.pool_region = pool->second.region;
        config.pool_layout = pool->second.layout;
        config.capture = m_slot->capture();
        for (size_t i = 0; i < 6; ++i)
            config.capacities[i] = r.capacities[i];
        if (tap != nullptr && !fresh) {
            if (auto link = m_network->query_link(tap->ifindex()); link)
                config.kept_mtu = link.value().mtu;
        }
        auto iface = tap ? NetInterface::create(config, *tap, error)
                         : Result<std::unique_ptr<NetInterface>>(Error::from_errno(ENODEV, "tap"));
        if (!iface) {
            log("netdextd: creating the interface failed: %s", error.c_str());
            reply.status = int32_t(0xE00002BE); // kIOReturnNoResources
            if (tap != nullptr && fresh)
                m_slot->release();
        } else {
            m_interface = iface.release_value();
            m_replay_mtu = fresh ? 0 : config.kept_mtu;
            set_carrier(m_carrier); // a ReportLinkStatus may have come before the registration
            reply.status = 0;
            reply.unit = m_interface->unit();
            reply.rings_size = m_interface->rings_layout().total_size;
            std::snprintf(reply.name, sizeof reply.name, "%s", m_interface->name().c_str());
            if (!fresh)
                log("netdextd: re-attached to the kept interface %s",
                    m_interface->name().c_str());
        }
    }
    if (reply.status != 0) {
        send(reply, {}, message.header().sequence);
        return;
    }
    int fds[3] = {m_interface->rings_region().memfd().fd(), m_interface->daemon_doorbell().fd(),
                  m_interface->host_doorbell().fd()};
    send(reply, std::span<const int>(fds, 3), message.header().sequence);
    log("netdextd: interface %s registered, MAC %s", m_interface->name().c_str(),
        mac.to_string().c_str());
    m_mac = mac;
    {
        auto id = [this] {
            static uint64_t own = uint64_t(1) << 48; // tests without the daemon's registry
            return m_options.allocate_registry_id ? m_options.allocate_registry_id() : own++;
        };
        const uint64_t controller = id();
        m_registry.interface_registered(r, controller, id());
    }
    int fault_fd = m_fault_fd.get();
    std::string *fault_text = &m_fault_text;
    m_interface->start(
        [fault_fd, fault_text](const std::string &reason) {
            *fault_text = reason; // read by the main thread after the eventfd wakes it
            uint64_t one = 1;
            (void)!write(fault_fd, &one, sizeof one);
        },
        m_options.drop_limit);
    if (auto watched = m_network->watch_link(m_interface->ifindex()); !watched)
        log("netdextd: watching %s failed: %s", m_interface->name().c_str(),
            watched.error().describe().c_str());
    if (m_options.on_interface)
        m_options.on_interface(m_interface->name());
    show_driver_to_linux();
    call(Call::GetMaxTransferUnit, 0, [this](int32_t status, uint32_t value) {
        if (status == 0 && value >= 68) {
            m_max_mtu = value;
            log("netdextd: %s maximum MTU %u", m_interface ? m_interface->name().c_str() : "?",
                value);
        }
        replay_link_state();
    });
}

// DriverKit gives a new driver a fresh interface; a kept one may already be up, have another
// MTU, be promiscuous or have multicast groups. The driver is told each, as if the stack had
// just done it (in the order the link watcher reports changes).
void DextSession::replay_link_state() {
    if (!m_interface || m_replay_mtu == 0)
        return;
    const uint32_t mtu = m_replay_mtu;
    m_replay_mtu = 0;
    std::optional<netlink::LinkState> state = m_network->link_state(m_interface->ifindex());
    if (!state)
        return;
    if (state->admin_up()) {
        log("netdextd: %s is up → SetInterfaceEnable(true)", m_interface->name().c_str());
        call(Call::SetInterfaceEnable, 1, [this](int32_t status, uint32_t) {
            if (status != 0)
                log("netdextd: SetInterfaceEnable failed (0x%08x)", unsigned(status));
        });
    }
    if (mtu != m_driver_mtu)
        on_link_event(netlink::LinkEvent{m_interface->ifindex(), netlink::MtuChanged{m_driver_mtu, mtu}});
    if (state->promiscuous())
        call(Call::SetPromiscuousModeEnable, 1);
    if (state->all_multicast())
        call(Call::SetAllMulticastModeEnable, 1);
    std::vector<MacAddress> groups = m_network->multicast_addresses(m_interface->ifindex());
    if (!groups.empty())
        on_link_event(netlink::LinkEvent{m_interface->ifindex(), netlink::MulticastListChanged{groups}});
}

void DextSession::drop_interface() {
    if (!m_interface)
        return;
    m_network->unwatch_link(m_interface->ifindex());
    log("netdextd: interface %s unregistered", m_interface->name().c_str());
    m_registry.interface_gone();
    set_carrier(false); // a kept interface has no carrier until a driver reports its link
    m_interface.reset(); // stops the mover
    // A driver that gives its interface up while it keeps running gives up the slot too; one that
    // is being stopped (replacement, restart) leaves it for the next.
    if (m_state != State::stopping)
        m_slot->release();
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
    on_channel_readable(); // … and sent last (log lines, a StartResult before it died)
    std::string how = describe_wait_status(status);
    // DESIGN §7: the interface (and its addresses) survive the host; only the carrier drops.
    set_carrier(false);
    if (m_interface)
        m_interface->stop();
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
    if (!m_interface || event.ifindex != m_interface->ifindex() || finished())
        return;
    std::visit(
        [&](const auto &change) {
            using T = std::decay_t<decltype(change)>;
            if constexpr (std::is_same_v<T, netlink::AdminStateChanged>) {
                log("netdextd: %s %s → SetInterfaceEnable(%s)", m_interface->name().c_str(),
                    change.up ? "up" : "down", change.up ? "true" : "false");
                call(Call::SetInterfaceEnable, change.up ? 1 : 0, [this](int32_t status, uint32_t) {
                    if (status != 0)
                        log("netdextd: SetInterfaceEnable failed (0x%08x)", unsigned(status));
                });
            } else if constexpr (std::is_same_v<T, netlink::MtuChanged>) {
                if (change.new_mtu == m_driver_mtu)
                    return; // our own revert, or no change for the driver
                if (m_max_mtu != 0 && change.new_mtu > m_max_mtu) {
                    log("netdextd: MTU %u refused (the driver's maximum is %u); putting back %u",
                        change.new_mtu, m_max_mtu, m_driver_mtu);
                    revert_mtu();
                    return;
                }
                uint32_t mtu = change.new_mtu;
                call(Call::SetMTU, mtu, [this, mtu](int32_t status, uint32_t) {
                    if (status == 0) {
                        m_driver_mtu = mtu;
                        log("netdextd: SetMTU(%u) accepted", mtu);
                    } else {
                        log("netdextd: the driver refused MTU %u (0x%08x); putting back %u", mtu,
                            unsigned(status), m_driver_mtu);
                        revert_mtu();
                    }
                });
            } else if constexpr (std::is_same_v<T, netlink::PromiscuousChanged>) {
                log("netdextd: promiscuous %s", change.enabled ? "on" : "off");
                call(Call::SetPromiscuousModeEnable, change.enabled ? 1 : 0);
            } else if constexpr (std::is_same_v<T, netlink::AllMulticastChanged>) {
                log("netdextd: all-multicast %s", change.enabled ? "on" : "off");
                call(Call::SetAllMulticastModeEnable, change.enabled ? 1 : 0);
            } else if constexpr (std::is_same_v<T, netlink::MulticastListChanged>) {
                SetMulticastList list{};
                list.count = uint32_t(std::min<size_t>(change.addresses.size(),
                                                       SetMulticastList::kMaxAddresses));
                for (uint32_t i = 0; i < list.count; ++i)
                    std::memcpy(list.addresses[i], change.addresses[i].bytes.data(), 6);
                log("netdextd: %u multicast address(es)", list.count);
                auto sent = m_channel ? m_channel->send(list) : shm::Result<uint64_t>(uint64_t(0));
                if (m_channel && sent)
                    note_call_sent(sent.value());
            } else if constexpr (std::is_same_v<T, netlink::MacChanged>) {
                if (change.new_mac != m_mac)
                    refuse_mac_change(change.new_mac);
            } else if constexpr (std::is_same_v<T, netlink::LinkDeleted>) {
                log("netdextd: %s was deleted; stopping the dext", m_interface->name().c_str());
                terminate();
                m_interface->stop();
                m_interface.reset();
                m_slot->release(); // the kernel already removed it
            }
        },
        event.change);
}

void DextSession::revert_mtu() {
    if (!m_interface)
        return;
    if (auto r = m_network->set_link_mtu(m_interface->ifindex(), m_driver_mtu); !r)
        log("netdextd: putting back MTU %u failed: %s", m_driver_mtu, r.error().describe().c_str());
}

void DextSession::terminate() {
    if (finished())
        return;
    m_state = State::stopping;
    if (m_channel)
        send(Terminate{});
}

} // namespace netdext::daemon
