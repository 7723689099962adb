// The seccomp allow-list of netdext-host (docs/sandbox.md): every system call a sandboxed host may
// make, each with the reason it is needed; anything else kills the whole process
// (SECCOMP_RET_KILL_PROCESS). The list lives in seccomp_policy.cpp, the one reviewed file, and
// tests/seccomp_allowlist.golden pins it: a change to the list must change the golden file too.
//
// netdext-host installs the filter after it has taken the control socket and before it reads the
// bundle or loads the driver's shared object, so a driver's static constructors already run
// confined. Sanitizer builds (ASan/UBSan) add a few calls their runtime makes; they are listed
// separately and installed only when the host itself was built with a sanitizer.
//
// Threads: install_seccomp_filter() applies to every thread of the process (TSYNC); call it
// before starting threads that must not see the old rules anyway.
#pragma once

#include <netdext/result.h>

#include <span>
#include <string>

namespace netdext::sandbox {

enum class SeccompAction : uint8_t {
    allow,
    fail_enosys, // the call fails with ENOSYS (clone3: glibc then falls back to clone)
};

// A rule may narrow a call to some argument values; other values kill the process.
enum class SeccompCondition : uint8_t {
    any,
    clone_thread,      // flags create a thread (CLONE_THREAD|CLONE_VM|CLONE_SIGHAND|CLONE_FILES|
                       // CLONE_FS) and no namespace (CLONE_NEW*): threads, never processes
    own_process,       // the first argument is the host's own pid (tgkill: raise, abort)
    prctl_thread_name, // PR_SET_NAME or PR_GET_NAME
    fcntl_status,      // F_GETFL, F_SETFL or F_GET_SEALS
    prlimit_read_own,  // pid 0 and no new limit: reading its own limits, never changing them
    tty_query,         // ioctl TCGETS only (isatty)
};

struct SeccompRule {
    const char *name; // the syscall's name as libseccomp resolves it
    SeccompAction action;
    SeccompCondition condition;
    const char *reason; // why netdext-host or a driver needs it (measured, docs/sandbox.md)
};

// What every sandboxed host may call.
std::span<const SeccompRule> seccomp_rules();
// What the ASan/UBSan runtime adds (installed only in sanitizer builds).
std::span<const SeccompRule> seccomp_sanitizer_rules();
// True when this binary was built with ASan or UBSan.
bool built_with_sanitizer();

struct SeccompOptions {
    bool sanitizer_rules = built_with_sanitizer();
    // For measuring what a driver needs (netdextd --seccomp-report): a call outside the list
    // fails with ENOSYS and is reported on standard error ("seccomp: denied system call N")
    // instead of killing the process. Never the default: a driver could then probe freely.
    bool report_denied = false;
};

// Loads the filter into the calling process (all threads). Sets no_new_privs.
Result<void> install_seccomp_filter(const SeccompOptions &options = {});

// The list as text, one rule per line — what tests/seccomp_allowlist.golden holds.
std::string describe_seccomp_policy();

} // namespace netdext::sandbox
