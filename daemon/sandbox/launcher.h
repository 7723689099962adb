// Starting netdext-host inside its sandbox (docs/sandbox.md). One clone3() makes the child in new
// PID, mount, network, IPC, UTS and cgroup namespaces, straight into the extension's cgroup, and
// hands back a pidfd (no pid-reuse race). Between clone and exec the child, still root:
//
//   resets every signal disposition to the default and empties its signal mask;
//   builds its filesystem view and pivots into it (filesystem_view.h);
//   keeps exactly four descriptors: 0 /dev/null, 1 and 2 its output pipe, 3 the control socket;
//   sets its rlimits (RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_CORE = 0);
//   drops every capability from the bounding set, locks SECBIT_NOROOT, drops supplementary
//   groups and takes the extension's own uid and gid, clears the inheritable set;
//   sets no_new_privs and PR_SET_PDEATHSIG (SIGKILL), and exits if the daemon is already gone;
//   execs netdext-host with a clean environment (host_environment()).
//
// As PID 1 of its namespace, netdext-host takes every process it (or its driver) made with it
// when it exits, and it exits when the daemon does. netdext-host then installs the seccomp filter
// itself before it loads the driver (seccomp_policy.h) and, in the rlimit fallback, its
// RLIMIT_AS (--address-space-limit).
//
// With `sandbox` off only the descriptors, the signals, the environment and PR_SET_PDEATHSIG
// are applied (netdextd --no-sandbox).
//
// Threads: any thread of the daemon; the child runs no code that could take a lock.
#pragma once

#include "filesystem_view.h"
#include "sandbox_settings.h"

#include <netdext/result.h>
#include <netdext/unique_fd.h>

#include <sys/types.h>

#include <string>
#include <vector>

namespace netdext::sandbox {

struct LaunchPlan {
    std::string executable;           // absolute path of netdext-host
    std::vector<std::string> argv;    // argv[0] included
    std::vector<std::string> env;     // "NAME=value"; see host_environment()
    int control_fd = -1;              // becomes fd 3
    int output_fd = -1;               // becomes fds 1 and 2 (-1: the daemon's own)
    bool sandbox = true;
    uid_t uid = 0;                    // with sandbox: the extension's uid (0: unchanged)
    gid_t gid = 0;
    const FilesystemView *view = nullptr; // with sandbox: required
    int cgroup_fd = -1;               // the extension's cgroup (-1: none)
    SandboxLimits limits;             // RLIMIT_NOFILE, RLIMIT_NPROC
};

struct Launched {
    pid_t pid = -1;
    UniqueFd pidfd;
    bool in_cgroup = false;
};

Result<Launched> launch(const LaunchPlan &plan);

// The environment a sandboxed host gets: nothing of the daemon's except NETDEXT_LOG_DEBUG and,
// in sanitizer builds, the sanitizers' own *SAN_OPTIONS.
std::vector<std::string> host_environment();

} // namespace netdext::sandbox
