// ScopedNetns: see scoped_netns.h. Creation mirrors iproute2's `ip netns add` (ip/ipnetns.c).
#include "netns/scoped_netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <vector>

extern char **environ;

namespace netdext::testing {
namespace {

constexpr const char *kNetnsDirectory = "/run/netns";

// iproute2: make /run/netns a shared mount point (bind-mounting it on itself first if it is not a
// mount point) so namespace mounts propagate to every mount namespace, as `ip netns add` does.
Result<void> prepare_netns_directory() {
    if (::mkdir(kNetnsDirectory, 0755) < 0 && errno != EEXIST)
        return Error::from_errno("mkdir(/run/netns)");
    for (bool bound = false;; bound = true) {
        if (::mount("", kNetnsDirectory, "none", MS_SHARED | MS_REC, nullptr) == 0)
            return {};
        if (errno != EINVAL || bound)
            return Error::from_errno("mount(/run/netns, MS_SHARED)");
        if (::mount(kNetnsDirectory, kNetnsDirectory, "none", MS_BIND | MS_REC, nullptr) < 0)
            return Error::from_errno("mount(/run/netns, MS_BIND)");
    }
}

void unmount_and_unlink(const std::string &path) {
    (void)::umount2(path.c_str(), MNT_DETACH);
    (void)::unlink(path.c_str());
}

Result<void> bring_loopback_up() {
    UniqueFd control(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!control.is_valid())
        return Error::from_errno("socket(AF_INET)");
    ifreq request{};
    std::strcpy(request.ifr_name, "lo");
    if (::ioctl(control.get(), SIOCGIFFLAGS, &request) < 0)
        return Error::from_errno("SIOCGIFFLAGS(lo)");
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(control.get(), SIOCSIFFLAGS, &request) < 0)
        return Error::from_errno("SIOCSIFFLAGS(lo)");
    return {};
}

// On a fresh thread (unshare changes only the calling thread): a new network namespace, pinned by
// a bind mount of the thread's ns file onto `path`.
Result<void> create_pinned_namespace(const std::string &path) {
    Result<void> outcome;
    std::thread worker([&] {
        outcome = [&]() -> Result<void> {
            if (::unshare(CLONE_NEWNET) < 0)
                return Error::from_errno("unshare(CLONE_NEWNET)");
            if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0)
                return Error::from_errno("mount(ns/net → /run/netns/…)");
            return bring_loopback_up();
        }();
    });
    worker.join();
    return outcome;
}

} // namespace

void ScopedNetns::remove_stale(std::string_view prefix) {
    DIR *directory = ::opendir(kNetnsDirectory);
    if (!directory)
        return;
    std::string lead = std::string(prefix) + "-";
    std::vector<std::string> stale;
    while (dirent *entry = ::readdir(directory)) {
        std::string_view name = entry->d_name;
        if (!name.starts_with(lead))
            continue;
        std::string_view rest = name.substr(lead.size());
        pid_t owner = 0;
        auto [end, status] = std::from_chars(rest.data(), rest.data() + rest.size(), owner);
        if (status != std::errc() || end == rest.data() || *end != '-' || owner <= 0)
            continue;
        if (::kill(owner, 0) < 0 && errno == ESRCH)
            stale.emplace_back(std::string(kNetnsDirectory) + "/" + std::string(name));
    }
    ::closedir(directory);
    for (const auto &path : stale)
        unmount_and_unlink(path);
}

Result<ScopedNetns> ScopedNetns::create(std::string_view prefix) {
    static std::atomic<unsigned> counter{0};
    remove_stale(prefix);
    NETDEXT_TRY(prepare_netns_directory());
    std::string name = std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter.fetch_add(1));
    std::string path = std::string(kNetnsDirectory) + "/" + name;
    {
        UniqueFd placeholder(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
        if (!placeholder.is_valid())
            return Error::from_errno("create /run/netns/<name>");
    }
    auto created = create_pinned_namespace(path);
    if (created.is_error()) {
        unmount_and_unlink(path);
        return created.release_error();
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.is_valid()) {
        auto error = Error::from_errno("open(/run/netns/<name>)");
        unmount_and_unlink(path);
        return error;
    }
    return ScopedNetns(std::move(name), std::move(fd));
}

ScopedNetns::ScopedNetns(ScopedNetns &&other) noexcept
    : m_name(std::exchange(other.m_name, {})), m_fd(std::move(other.m_fd)) {}

ScopedNetns &ScopedNetns::operator=(ScopedNetns &&other) noexcept {
    if (this != &other) {
        remove();
        m_name = std::exchange(other.m_name, {});
        m_fd = std::move(other.m_fd);
    }
    return *this;
}

ScopedNetns::~ScopedNetns() {
    remove();
}

void ScopedNetns::remove() {
    m_fd.reset();
    if (!m_name.empty())
        unmount_and_unlink(path());
    m_name.clear();
}

Result<void> ScopedNetns::enter(int netns_fd) {
    if (::setns(netns_fd, CLONE_NEWNET) < 0)
        return Error::from_errno("setns(CLONE_NEWNET)");
    return {};
}

Result<void> ScopedNetns::enter_this_thread() const {
    return enter(m_fd.get());
}

ScopedNetns::CommandResult ScopedNetns::sh(const std::string &command) const {
    CommandResult result;
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) < 0)
        return result;
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);

    // posix_spawn, not fork: the caller is multi-threaded.
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
    ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::string name = m_name;
    std::string shell_command = command;
    char ip[] = "ip", netns[] = "netns", exec[] = "exec", sh[] = "sh", dash_c[] = "-c";
    char *argv[] = {ip, netns, exec, name.data(), sh, dash_c, shell_command.data(), nullptr};
    pid_t child = -1;
    int spawned = ::posix_spawnp(&child, "ip", &actions, nullptr, argv, environ);
    ::posix_spawn_file_actions_destroy(&actions);
    write_end.reset();
    if (spawned != 0)
        return result;

    char chunk[4096];
    for (;;) {
        ssize_t got = ::read(read_end.get(), chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        result.output.append(chunk, static_cast<size_t>(got));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

} // namespace netdext::testing
