// FakeDaemon: netdextd's side of one host, for the host tests (see fake_daemon.h).

#include "fake_daemon.h"

#include <DriverKit/IOReturn.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char **environ;

namespace netdext::host::testing {

using namespace netdext::protocol;
using shm::ErrorCode;
using shm::RingId;
using shm::ipc::kMessageFlagReply;
using shm::ipc::ReceivedMessage;

namespace {

template <size_t N> std::string bounded(const char (&text)[N]) {
    return std::string(text, strnlen(text, N));
}

template <size_t N> void copy_to(char (&out)[N], const std::string &text) {
    size_t n = std::min(text.size(), N - 1);
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
}

} // namespace

HostArgs sample_args(const std::string &boot_args) {
    HostArgs args;
    args.args = {"--bundle", SAMPLE_DEXT_PATH};
    if (!boot_args.empty()) {
        args.args.push_back("--boot-args");
        args.args.push_back(boot_args);
    }
    return args;
}

FakeDaemon::~FakeDaemon() {
    if (m_pid > 0 && !exit_status) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    if (m_pidfd >= 0)
        ::close(m_pidfd);
    // The endpoint points into the regions and doorbells: it goes first.
    m_endpoint.reset();
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitizer_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool sanitizer_build = true;
#else
constexpr bool sanitizer_build = false;
#endif
#else
constexpr bool sanitizer_build = false;
#endif

bool FakeDaemon::spawn(const HostArgs &args, std::string &error) {
    shm::UniqueFd host_end;
    if (args.with_channel) {
        auto pair = shm::ipc::Channel::create_pair(kProtocol);
        if (!pair) {
            error = pair.error().describe();
            return false;
        }
        m_channel.emplace(std::move(pair.value().first));
        // Above 3, so that dup2 onto 3 in the child clears close-on-exec.
        host_end.reset(::fcntl(pair.value().second.fd(), F_DUPFD_CLOEXEC, 10));
    }
    std::vector<std::string> argv_storage = {NETDEXT_HOST_PATH};
    argv_storage.insert(argv_storage.end(), args.args.begin(), args.args.end());
    // The host runs under its seccomp filter, except in sanitizer builds: there LeakSanitizer's
    // exit-time check (which the filter forbids) is worth more, and netdextd's integration tests
    // run the filter in those builds.
    if (sanitizer_build && args.with_channel)
        argv_storage.push_back("--no-seccomp");
    std::vector<char *> argv;
    for (std::string &arg : argv_storage)
        argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (host_end.is_valid())
        posix_spawn_file_actions_adddup2(&actions, host_end.get(), protocol::kHostControlFd);
    else
        posix_spawn_file_actions_addclose(&actions, protocol::kHostControlFd);
    // Standard output and error stay (the host's own messages show in the test log).
    posix_spawn_file_actions_addclosefrom_np(&actions, protocol::kHostControlFd + 1);
    int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        m_pid = -1;
        error = std::string("posix_spawn ") + argv[0] + ": " + std::strerror(rc);
        return false;
    }
    m_pidfd = int(::syscall(SYS_pidfd_open, m_pid, 0));
    if (m_pidfd < 0) {
        error = std::string("pidfd_open: ") + std::strerror(errno);
        return false;
    }
    return true; // host_end closes here: only the child holds the host's end now
}

// ---- the loop ---------------------------------------------------------------------------------

bool FakeDaemon::pump_until(const std::function<bool()> &done, std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        drain_channel();
        service_rings();
        try_reap();
        if (done())
            return true;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return done();
        // Sleep until the host sends, rings the daemon doorbell, or exits.
        bool arm = m_endpoint != nullptr;
        if (arm && !m_endpoint->prepare_to_sleep())
            continue; // work arrived while arming
        pollfd fds[3] = {
            {m_channel && !peer_closed ? m_channel->fd() : -1, POLLIN, 0},
            {arm ? m_daemon_doorbell->fd() : -1, POLLIN, 0},
            {exit_status ? -1 : m_pidfd, POLLIN, 0},
        };
        int n = ::poll(fds, 3, int(left.count()));
        if (arm) {
            m_endpoint->finish_sleep();
            (void)m_daemon_doorbell->drain();
        }
        if (n < 0 && errno != EINTR)
            return done();
    }
}

void FakeDaemon::drain_channel() {
    while (m_channel && !peer_closed) {
        auto received = m_channel->receive();
        if (received) {
            handle(received.value());
            continue;
        }
        if (received.error().code() == ErrorCode::PeerClosed)
            peer_closed = true;
        else if (received.error().code() != ErrorCode::WouldBlock)
            logs.push_back("[harness] receive: " + received.error().describe());
        return;
    }
}

void FakeDaemon::try_reap() {
    if (m_pid <= 0 || exit_status)
        return;
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid)
        exit_status = status;
}

void FakeDaemon::handle(ReceivedMessage &message) {
    switch (message.type()) {
    case Hello::kType:
        hello = message.as<Hello>().release_value();
        return;
    case StartResult::kType:
        start_result = message.as<StartResult>().release_value().status;
        return;
    case CreatePool::kType:
        answer_create_pool(message);
        return;
    case ReleasePool::kType:
        released_pools.push_back(message.as<ReleasePool>().release_value().pool_id);
        return;
    case RegisterInterface::kType:
        answer_register_interface(message);
        return;
    case UnregisterInterface::kType:
        ++unregistrations;
        return;
    case LinkStatus::kType:
        link_statuses.push_back(message.as<LinkStatus>().release_value());
        return;
    case MediaTypes::kType: {
        MediaTypes media = message.as<MediaTypes>().release_value();
        media_types.assign(media.media, media.media + std::min(media.count, MediaTypes::kMaxMedia));
        return;
    }
    case QueueEnable::kType:
        queue_enables.push_back(message.as<QueueEnable>().release_value());
        return;
    case Log::kType:
        logs.push_back(bounded(message.as<Log>().release_value().text));
        return;
    case Misuse::kType:
        misuses.push_back(bounded(message.as<Misuse>().release_value().text));
        return;
    case DriverCallReply::kType:
        replies[message.header().sequence] = message.as<DriverCallReply>().release_value();
        return;
    default:
        if (message.type() >= AttachDevice::kType && message.type() < AttachDevice::kType + 20) {
            device_messages.push_back(std::move(message));
            return;
        }
        logs.push_back("[harness] unexpected message type " + std::to_string(message.type()));
    }
}

void FakeDaemon::answer_create_pool(const ReceivedMessage &message) {
    CreatePool request = message.as<CreatePool>().release_value();
    PoolCreated reply{};
    auto layout =
        shm::PoolLayout::compute(request.packet_count, request.buffer_count, request.buffer_size);
    std::unique_ptr<shm::SharedRegion> region;
    if (refuse_pools_with) {
        reply.status = *refuse_pools_with;
    } else if (!layout) {
        reply.status = kIOReturnBadArgument;
    } else if (auto created =
                   shm::SharedRegion::create("netdext-test-pool", layout.value().total_size);
               !created) {
        reply.status = kIOReturnNoMemory;
    } else {
        region = std::make_unique<shm::SharedRegion>(created.release_value());
        layout.value().initialize(region->bytes()); // the host checks the header on attach
        reply.status = kIOReturnSuccess;
        reply.pool_id = m_next_pool_id++;
        reply.total_size = layout.value().total_size;
        reply.packet_count = request.packet_count;
        reply.buffer_count = request.buffer_count;
        reply.buffer_size = request.buffer_size;
    }
    std::vector<int> fds;
    if (region)
        fds.push_back(region->memfd().fd());
    (void)m_channel->send(reply, fds, kMessageFlagReply, message.header().sequence);
    if (region)
        m_pools[reply.pool_id] = Pool{std::move(region), layout.value()};
}

void FakeDaemon::answer_register_interface(const ReceivedMessage &message) {
    RegisterInterface request = message.as<RegisterInterface>().release_value();
    registration = request;
    InterfaceRegistered reply{};
    reply.status = kIOReturnBadArgument;
    // One interface with one lane (a shared pool, one queue of each kind): what the sample does.
    const protocol::InterfaceLane &lane = request.lanes[0];
    shm::RingCapacities capacities{};
    std::copy(std::begin(lane.capacities), std::end(lane.capacities), capacities.begin());
    auto pool = request.lane_count == 1 ? m_pools.find(lane.pool_id) : m_pools.end();
    auto layout = shm::RingsLayout::compute(capacities);
    auto daemon_doorbell = shm::EventFd::create();
    auto host_doorbell = shm::EventFd::create();
    if (pool != m_pools.end() && layout && daemon_doorbell && host_doorbell && !m_endpoint) {
        auto rings = shm::SharedRegion::create("netdext-test-rings", layout.value().total_size);
        if (rings) {
            m_rings = std::make_unique<shm::SharedRegion>(rings.release_value());
            m_daemon_doorbell = std::make_unique<shm::EventFd>(daemon_doorbell.release_value());
            m_host_doorbell = std::make_unique<shm::EventFd>(host_doorbell.release_value());
            // The host consumes what the daemon produces: ring its doorbell when it asks.
            shm::RingDoorbells bells;
            for (RingId id : shm::kAllRings)
                if (shm::daemon_produces(id))
                    bells.peer[shm::ring_slot(id)] = m_host_doorbell.get();
            auto endpoint =
                shm::DaemonEndpoint::create(pool->second.region->bytes(), pool->second.layout,
                                            m_rings->bytes(), layout.value(), bells);
            if (endpoint) {
                m_endpoint = std::make_unique<shm::DaemonEndpoint>(endpoint.release_value());
                reply.status = kIOReturnSuccess;
                reply.unit = interface_unit;
                reply.rings_size[0] = layout.value().total_size;
                reply.interface_id = request.interface_id;
                reply.lane_count = 1;
                reply.doorbells = 1;
                copy_to(reply.name, interface_name);
            }
        }
    }
    std::vector<int> fds;
    if (reply.status == kIOReturnSuccess)
        fds = {m_rings->memfd().fd(), m_daemon_doorbell->fd(), m_host_doorbell->fd()};
    (void)m_channel->send(reply, fds, kMessageFlagReply, message.header().sequence);
}

// ---- the frame mover --------------------------------------------------------------------------

void FakeDaemon::service_rings() {
    if (!m_endpoint)
        return;
    tx_completed += m_endpoint->reap_tx_completions(UINT32_MAX);
    shm::RxFrame frames[64];
    for (;;) {
        uint32_t n = m_endpoint->poll_rx_completions(frames);
        uint32_t ids[64];
        for (uint32_t i = 0; i < n; ++i) {
            auto bytes = m_endpoint->frame_bytes(frames[i]);
            const auto *data = reinterpret_cast<const uint8_t *>(bytes.data());
            rx_frames.emplace_back(data, data + bytes.size());
            ids[i] = frames[i].packet;
        }
        m_endpoint->release(std::span<const uint32_t>(ids, n));
        if (n < 64)
            break;
    }
    m_endpoint->reap_free_ring(UINT32_MAX);
    if (restock_rx)
        m_endpoint->restock_rx(
            registration ? registration->lanes[0].capacities[shm::ring_slot(RingId::RxSubmission)]
                         : 0);
}

uint32_t FakeDaemon::transmit(const std::vector<std::vector<uint8_t>> &frames) {
    if (!m_endpoint)
        return 0;
    std::vector<uint32_t> ids(frames.size());
    uint32_t n = m_endpoint->take_free(ids);
    std::vector<shm::TxFrame> tx;
    for (uint32_t i = 0; i < n; ++i) {
        auto buffer = m_endpoint->buffer(ids[i]);
        std::memcpy(buffer.data(), frames[i].data(), std::min(buffer.size(), frames[i].size()));
        tx.push_back(shm::TxFrame{ids[i], uint32_t(frames[i].size()), 0, 14});
    }
    uint32_t submitted = m_endpoint->submit_tx(tx);
    if (submitted < n)
        m_endpoint->release(std::span<const uint32_t>(ids.data() + submitted, n - submitted));
    return submitted;
}

uint64_t FakeDaemon::host_doorbell_rings() const {
    return m_endpoint ? m_endpoint->doorbells_rung(RingId::TxSubmission) : 0;
}

const shm::DropCounters *FakeDaemon::drops() const {
    return m_endpoint ? &m_endpoint->drops() : nullptr;
}

// ---- the daemon's requests --------------------------------------------------------------------

uint64_t FakeDaemon::send_call(Call call, uint32_t arg) {
    if (!m_channel)
        return 0;
    auto sent = m_channel->send(DriverCall{uint32_t(call), arg, 0});
    return sent ? sent.value() : 0;
}

std::optional<DriverCallReply> FakeDaemon::call(Call call, uint32_t arg,
                                                std::chrono::milliseconds deadline) {
    uint64_t sequence = send_call(call, arg);
    if (sequence == 0 || !pump_until([&] { return replies.count(sequence) > 0; }, deadline))
        return std::nullopt;
    return replies[sequence];
}

std::optional<DriverCallReply>
FakeDaemon::set_multicast_list(const std::vector<std::array<uint8_t, 6>> &addresses,
                               std::chrono::milliseconds deadline) {
    SetMulticastList list{};
    list.count = uint32_t(addresses.size());
    for (size_t i = 0; i < addresses.size() && i < SetMulticastList::kMaxAddresses; ++i)
        std::memcpy(list.addresses[i], addresses[i].data(), 6);
    auto sent =
        m_channel
            ? m_channel->send(list)
            : shm::Result<uint64_t>(shm::Error::from_code(ErrorCode::PeerClosed, "no channel"));
    if (!sent)
        return std::nullopt;
    uint64_t sequence = sent.value();
    if (!pump_until([&] { return replies.count(sequence) > 0; }, deadline))
        return std::nullopt;
    return replies[sequence];
}

bool FakeDaemon::send_terminate() {
    return send_message(Terminate{});
}

bool FakeDaemon::send_raw(std::span<const std::byte> bytes) {
    return m_channel && !m_channel->send_datagram(bytes).is_error();
}

void FakeDaemon::close_channel() {
    m_channel.reset();
}

std::optional<int> FakeDaemon::wait_exit(std::chrono::milliseconds deadline) {
    pump_until([&] { return exit_status.has_value(); }, deadline);
    return exit_status;
}

bool FakeDaemon::logged(const std::string &text) const {
    for (const std::string &line : logs)
        if (line.find(text) != std::string::npos)
            return true;
    return false;
}

std::string FakeDaemon::log_text() const {
    std::string text;
    for (const std::string &line : logs)
        text += "  " + line + "\n";
    return text;
}

} // namespace netdext::host::testing
