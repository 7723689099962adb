// What the supervision tests and the crash-loop benchmark look at, from outside netdextd: a ping
// through an interface (ICMP echo on a raw socket in the namespace, as `ping` does: real frames
// through the stack, the TAP, the frame mover and the driver), the carrier as rtnetlink reports
// it, and the daemon's resources (descriptors, memfds, resident memory) as /proc shows them.
// Root only (raw sockets, other processes' /proc entries).
#pragma once

#include "daemon_fixture.h"
#include "support/inet_checksum.h"
#include "netlink/route_socket.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace netdext::testing {

// ICMP echo requests from a namespace's stack; replies matched by identifier and sequence.
class Pinger {
public:
    explicit Pinger(const ScopedNetns &netns) {
        int fd = netns.run(
            [] { return ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP); });
        m_fd = UniqueFd(fd);
        m_identifier = uint16_t(::getpid() ^ 0x5a5a);
    }
    [[nodiscard]] bool is_open() const { return m_fd.is_valid(); }

    // Sends an echo request to `address` every `resend` until a reply comes back or `deadline`
    // passes (a request sent while the link came up may be lost). True when answered.
    bool ping(const std::string &address, std::chrono::milliseconds deadline,
              std::chrono::milliseconds resend = std::chrono::milliseconds(200)) {
        struct sockaddr_in to {};
        to.sin_family = AF_INET;
        if (!m_fd.is_valid() || inet_pton(AF_INET, address.c_str(), &to.sin_addr) != 1)
            return false;
        const auto until = std::chrono::steady_clock::now() + deadline;
        auto next_send = std::chrono::steady_clock::now();
        for (;;) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= until)
                return false;
            if (now >= next_send) {
                send_request(to);
                next_send = now + resend;
            }
            const auto wait = std::min(until, next_send) - now;
            struct pollfd p = {m_fd.get(), POLLIN, 0};
            ::poll(&p, 1, int(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()) + 1);
            if (drain_replies())
                return true;
        }
    }
    [[nodiscard]] uint64_t answered() const { return m_answered; }

private:
    void send_request(const struct sockaddr_in &to) {
        uint8_t message[8 + 32] = {8, 0, 0, 0};
        std::memcpy(message + 4, &m_identifier, 2);
        ++m_sequence;
        std::memcpy(message + 6, &m_sequence, 2);
        for (size_t i = 8; i < sizeof message; ++i)
            message[i] = uint8_t(i);
        const uint16_t sum = inet_checksum(message, sizeof message);
        message[2] = uint8_t(sum >> 8);
        message[3] = uint8_t(sum);
        (void)::sendto(m_fd.get(), message, sizeof message, 0,
                       reinterpret_cast<const struct sockaddr *>(&to), sizeof to);
        m_outstanding.insert(m_sequence);
    }
    // Reads what arrived; true when an echo reply to one of our requests is among it.
    bool drain_replies() {
        bool answered = false;
        uint8_t packet[1500];
        for (;;) {
            ssize_t n = ::recv(m_fd.get(), packet, sizeof packet, 0);
            if (n <= 0)
                return answered;
            const size_t header = size_t(packet[0] & 0x0f) * 4;
            if (size_t(n) < header + 8 || packet[header] != 0 /* echo reply */)
                continue;
            uint16_t identifier, sequence;
            std::memcpy(&identifier, packet + header + 4, 2);
            std::memcpy(&sequence, packet + header + 6, 2);
            if (identifier == m_identifier && m_outstanding.erase(sequence) > 0) {
                ++m_answered;
                m_outstanding.clear(); // earlier requests no longer count
                answered = true;
            }
        }
    }

    UniqueFd m_fd;
    uint16_t m_identifier = 0;
    uint16_t m_sequence = 0;
    std::set<uint16_t> m_outstanding;
    uint64_t m_answered = 0;
};

// A link's carrier inside a namespace, through a RouteSocket made there (RTM_GETLINK).
class CarrierProbe {
public:
    CarrierProbe(const ScopedNetns &netns, int ifindex) : m_ifindex(ifindex) {
        auto route = netns.run([] { return netlink::RouteSocket::create(); });
        if (route)
            m_route.emplace(route.release_value());
    }
    std::optional<bool> carrier() {
        if (!m_route)
            return std::nullopt;
        auto link = m_route->get_link(m_ifindex);
        return link ? link.value().carrier : std::nullopt;
    }

private:
    int m_ifindex;
    std::optional<netlink::RouteSocket> m_route;
};

// A process's open descriptors and resident memory, as /proc shows them.
struct ProcessResources {
    size_t fds = 0;
    size_t memfds = 0;
    std::set<ino_t> memfd_inodes; // which memfds: a relaunched driver gets new ones
    uint64_t rss_kib = 0;

    static ProcessResources of(pid_t pid) {
        ProcessResources r;
        const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
        if (DIR *fds = opendir(dir.c_str())) {
            while (struct dirent *entry = readdir(fds)) {
                if (entry->d_name[0] == '.')
                    continue;
                ++r.fds;
                char target[256] = {};
                const std::string link = dir + "/" + entry->d_name;
                if (readlink(link.c_str(), target, sizeof target - 1) > 0 &&
                    std::strncmp(target, "/memfd:", 7) == 0) {
                    ++r.memfds;
                    struct stat st {};
                    if (stat(link.c_str(), &st) == 0)
                        r.memfd_inodes.insert(st.st_ino);
                }
            }
            closedir(fds);
        }
        std::ifstream status("/proc/" + std::to_string(pid) + "/status");
        for (std::string line; std::getline(status, line);)
            if (line.rfind("VmRSS:", 0) == 0)
                r.rss_kib = std::stoull(line.substr(6));
        return r;
    }
};

// Whether every thread of `pid` is in the stopped state ('T' in /proc/PID/task/TID/stat). A
// SIGSTOP takes effect as each thread next passes through the kernel, not when kill() returns.
inline bool all_threads_stopped(pid_t pid) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR *tasks = opendir(dir.c_str());
    if (tasks == nullptr)
        return false;
    size_t seen = 0, stopped = 0;
    while (struct dirent *entry = readdir(tasks)) {
        if (entry->d_name[0] == '.')
            continue;
        ++seen;
        std::ifstream stat(dir + "/" + entry->d_name + "/stat");
        std::string line;
        std::getline(stat, line);
        const size_t name_end = line.rfind(')'); // the state follows the (command name)
        if (name_end != std::string::npos && name_end + 2 < line.size() &&
            (line[name_end + 2] == 'T' || line[name_end + 2] == 't'))
            ++stopped;
    }
    closedir(tasks);
    return seen > 0 && stopped == seen;
}

// The entries of a cgroup directory that are cgroups themselves (the dexts' cgroups).
inline std::vector<std::string> child_cgroups(const std::string &directory) {
    std::vector<std::string> children;
    if (DIR *dir = opendir(directory.c_str())) {
        while (struct dirent *entry = readdir(dir))
            if (entry->d_type == DT_DIR && entry->d_name[0] != '.')
                children.push_back(entry->d_name);
        closedir(dir);
    }
    return children;
}

// The p-th percentile (0–100, nearest rank) of `values`.
inline double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    size_t rank = size_t(std::ceil(p / 100.0 * double(values.size())));
    return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

} // namespace netdext::testing
