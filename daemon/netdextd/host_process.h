// HostProcess: one netdext-host child — started inside its sandbox with the control socket as its
// fd 3 and its output on a pipe of its own, watched through a pidfd (DESIGN.md §7,
// docs/sandbox.md).
//
// The sandbox (daemon/sandbox/): its own uid and gid leased for the extension, no capabilities
// (bounding set included), no_new_privs, new PID, mount, network, IPC, UTS and cgroup namespaces,
// a read-only filesystem view of only the bundle, netdext-host and their libraries with a private
// /tmp, the extension's own cgroup (killed whole when the host ends) and rlimits, a clean
// environment, default signals, and the seccomp allow-list that netdext-host installs before it
// loads the driver. PR_SET_PDEATHSIG kills it if the daemon dies; as PID 1 of its namespace it
// takes everything it started with it.
//
// Threads: owned and used by the daemon's main thread.
#pragma once

#include "common/result.h"
#include "common/unique_fd.h"

#include <cgroup.h>
#include <driver_output.h>
#include <sandbox_settings.h>
#include <uid_pool.h>

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace netdext::daemon {

struct HostOptions {
    std::string host_binary; // path to netdext-host
    std::string bundle_path;
    std::string bundle_id;
    std::string driver_executable; // the bundle's shared object (its libraries enter the view)
    std::string class_name;  // may be empty: the host uses the first personality
    std::string boot_args;
    sandbox::SandboxSettings sandbox;
    uint64_t registry_id_base = 0; // the host's registry ID block (0: the runtime's default)
    // Simulated devices (docs/devices.md): the driver starts when AttachDevice names its device;
    // or, with describe_device set (and no bundle), the host only describes that device.
    bool wait_for_device = false;
    std::string describe_device;
};

class HostProcess {
public:
    // Spawns the host with `control_fd` as its fd 3 (the caller keeps its own copy open).
    static Result<HostProcess> spawn(const HostOptions &options, int control_fd);

    HostProcess(HostProcess &&other) noexcept;
    HostProcess &operator=(HostProcess &&) = delete;
    ~HostProcess(); // kills and reaps a child still running, then its cgroup

    [[nodiscard]] pid_t pid() const { return m_pid; }
    // Readable (EPOLLIN) once the child has exited.
    [[nodiscard]] int pidfd() const { return m_pidfd.get(); }
    [[nodiscard]] bool running() const { return m_pid > 0 && !m_reaped; }
    // The host's standard output and error (read end; -1 once it reached end of file).
    [[nodiscard]] sandbox::DriverOutput &output() { return *m_output; }
    [[nodiscard]] int output_fd() const { return m_output ? m_output->fd() : -1; }
    // The extension's uid (0 without the sandbox) and cgroup directory ("" without one).
    [[nodiscard]] uid_t uid() const { return m_uid_value; }
    [[nodiscard]] std::string cgroup() const { return m_cgroup ? m_cgroup->directory() : ""; }

    // Sends SIGKILL through the pidfd (no pid-reuse race), and to its whole cgroup.
    void kill();
    // Reaps the child if it has exited; returns true and sets `status` (wait status) then. The
    // cgroup is killed and removed at that point, ending anything the host left behind.
    bool try_reap(int &status);

    // Where netdext-host is: next to this executable, in the build tree's host/, or on PATH.
    static std::string default_host_binary();

private:
    HostProcess() = default;

    pid_t m_pid = -1;
    UniqueFd m_pidfd;
    bool m_reaped = false;
    sandbox::UidLease m_uid; // released when the host is reaped
    uid_t m_uid_value = 0;   // kept for the status after that
    std::unique_ptr<sandbox::Cgroup> m_cgroup;
    std::unique_ptr<sandbox::DriverOutput> m_output;
};

// Describes a wait status: "exited with status 2", "killed by signal 9 (Killed)"; a seccomp kill
// (SIGSYS) says so.
std::string describe_wait_status(int status);

} // namespace netdext::daemon
