// HostProcess: one netdext-host child — spawned with the control socket as its fd 3, sandboxed,
// watched through a pidfd (DESIGN.md §7).
//
// Sandbox (applied in the child between fork and exec): its own network namespace (a dext never
// needs sockets; the inherited control socket keeps working), PR_SET_NO_NEW_PRIVS, every other
// fd closed, a new session, and — when the daemon runs as root — the credentials of `nobody`, so
// the driver runs with no capabilities. PR_SET_PDEATHSIG kills it if the daemon dies.
// FIXME: seccomp allow-list and resource limits (DESIGN.md §7).
//
// Threads: owned and used by the daemon's main thread.
#pragma once

#include "common/result.h"
#include "common/unique_fd.h"

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace netdext::daemon {

struct HostOptions {
    std::string host_binary; // path to netdext-host
    std::string bundle_path;
    std::string class_name;  // may be empty: the host uses the first personality
    std::string boot_args;
    bool sandbox = true;
};

class HostProcess {
public:
    // Spawns the host with `control_fd` as its fd 3 (the caller keeps its own copy open).
    static Result<HostProcess> spawn(const HostOptions &options, int control_fd);

    HostProcess(HostProcess &&other) noexcept
        : m_pid(std::exchange(other.m_pid, -1)), m_pidfd(std::move(other.m_pidfd)),
          m_reaped(other.m_reaped) {}
    HostProcess &operator=(HostProcess &&) = delete;
    ~HostProcess(); // kills and reaps a child still running

    [[nodiscard]] pid_t pid() const { return m_pid; }
    // Readable (EPOLLIN) once the child has exited.
    [[nodiscard]] int pidfd() const { return m_pidfd.get(); }
    [[nodiscard]] bool running() const { return m_pid > 0 && !m_reaped; }

    // Sends SIGKILL through the pidfd (no pid-reuse race).
    void kill();
    // Reaps the child if it has exited; returns true and sets `status` (wait status) then.
    bool try_reap(int &status);

    // Where netdext-host is: next to this executable, in the build tree's host/, or on PATH.
    static std::string default_host_binary();

private:
    HostProcess(pid_t pid, UniqueFd pidfd) : m_pid(pid), m_pidfd(std::move(pidfd)) {}

    pid_t m_pid = -1;
    UniqueFd m_pidfd;
    bool m_reaped = false;
};

// Describes a wait status: "exited with status 2", "killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

} // namespace netdext::daemon
