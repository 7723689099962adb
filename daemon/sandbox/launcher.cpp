// Launching netdext-host in its sandbox (see launcher.h).
//
// Everything after clone3() in the child runs in a copy of a multi-threaded daemon whose other
// threads do not exist there: only system calls (raw ones where glibc's wrapper would signal the
// daemon's threads, as setresuid's does), no allocation, no locks, until execve.

#include "launcher.h"

#include "seccomp_policy.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/securebits.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace netdext::sandbox {

namespace {

constexpr int kControlFd = 3;

// "netdext-host sandbox: <step> failed (errno N)" on the output pipe, then exit 121.
[[noreturn]] void fail(int out, const char *step, int error) {
    char digits[16];
    int n = 0;
    unsigned value = unsigned(error);
    do {
        digits[n++] = char('0' + value % 10);
        value /= 10;
    } while (value != 0 && n < 15);
    char text[256];
    size_t length = 0;
    auto append = [&](const char *s, size_t count) {
        for (size_t i = 0; i < count && length < sizeof text; ++i)
            text[length++] = s[i];
    };
    const char *prefix = "netdext-host sandbox: ";
    append(prefix, strlen(prefix));
    append(step, strlen(step));
    append(" failed (errno ", 15);
    while (n > 0)
        append(&digits[--n], 1);
    append(")\n", 2);
    if (out >= 0)
        (void)!write(out, text, length);
    _exit(121);
}

void reset_signals() {
    struct kernel_sigaction {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } action{};
    action.handler = nullptr; // SIG_DFL
    for (int sig = 1; sig <= 64; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, &action, nullptr, sizeof(uint64_t));
    uint64_t empty = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, nullptr, sizeof empty);
}

int set_limit(int resource, uint64_t value) {
    struct rlimit64 {
        uint64_t cur, max;
    } limit{value, value};
    return int(syscall(SYS_prlimit64, 0, resource, &limit, nullptr));
}

[[noreturn]] void child(const LaunchPlan &plan, char *const *argv, char *const *envp,
                        int daemon_pidfd) {
    int out = plan.output_fd >= 0 ? plan.output_fd : STDERR_FILENO;
    reset_signals();
    // Descriptors we keep move above the range they will land in, so no dup2 clobbers another.
    int control = fcntl(plan.control_fd, F_DUPFD_CLOEXEC, 10);
    int output = plan.output_fd >= 0 ? fcntl(plan.output_fd, F_DUPFD_CLOEXEC, 10) : -1;
    if (control < 0 || (plan.output_fd >= 0 && output < 0))
        fail(out, "moving descriptors", errno);
    out = output >= 0 ? output : out;
    if (plan.sandbox) {
        static const char hostname[] = "netdext";
        if (sethostname(hostname, sizeof hostname - 1) != 0)
            fail(out, "sethostname", errno);
        const char *step = nullptr;
        if (int error = plan.view->apply(step); error != 0)
            fail(out, step, error);
    }
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0)
        fail(out, "open /dev/null", errno);
    if (dup2(null_fd, 0) < 0 || dup2(control, kControlFd) < 0 ||
        (output >= 0 && (dup2(output, 1) < 0 || dup2(output, 2) < 0)))
        fail(out, "dup2", errno);
    out = 2;
    setsid();
    if (plan.sandbox) {
        if (set_limit(RLIMIT_NOFILE, plan.limits.open_files) != 0 ||
            set_limit(RLIMIT_NPROC, plan.limits.max_tasks) != 0 || set_limit(RLIMIT_CORE, 0) != 0)
            fail(out, "setrlimit", errno);
        for (int cap = 0; cap <= 63; ++cap)
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
                fail(out, "PR_CAPBSET_DROP", errno);
        if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
                                         SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0) != 0)
            fail(out, "PR_SET_SECUREBITS", errno);
        if (plan.uid != 0) {
            if (syscall(SYS_setgroups, 0, nullptr) != 0)
                fail(out, "setgroups", errno);
            if (syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0)
                fail(out, "setresgid", errno);
            if (syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0)
                fail(out, "setresuid", errno);
        }
        struct __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2]{};
        if (syscall(SYS_capset, &header, data) != 0)
            fail(out, "capset", errno);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            fail(out, "PR_SET_NO_NEW_PRIVS", errno);
    }
    // After the credential change, which clears it; then make sure the daemon did not die before.
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (daemon_pidfd >= 0) {
        struct pollfd pfd{daemon_pidfd, POLLIN, 0};
        if (poll(&pfd, 1, 0) > 0)
            _exit(122);
    }
    if (syscall(SYS_close_range, 3u + 1, ~0u, 0u) != 0)
        for (int fd = kControlFd + 1; fd < 4096; ++fd)
            close(fd);
    syscall(SYS_execve, plan.executable.c_str(), argv, envp);
    fail(out, "execve netdext-host", errno);
}

} // namespace

std::vector<std::string> host_environment() {
    std::vector<std::string> env;
    std::vector<const char *> names = {"NETDEXT_LOG_DEBUG"};
    if (built_with_sanitizer())
        for (const char *name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
            names.push_back(name);
    for (const char *name : names)
        if (const char *value = getenv(name))
            env.push_back(std::string(name) + "=" + value);
    return env;
}

Result<Launched> launch(const LaunchPlan &plan) {
    if (plan.executable.empty() || plan.executable[0] != '/' || plan.control_fd < 0)
        return Error::from_code(ErrorCode::InvalidArgument, "launch plan");
    if (plan.sandbox && plan.view == nullptr)
        return Error::from_code(ErrorCode::InvalidArgument, "a sandbox needs a filesystem view");
    std::vector<char *> argv, envp;
    for (const std::string &arg : plan.argv)
        argv.push_back(const_cast<char *>(arg.c_str()));
    argv.push_back(nullptr);
    for (const std::string &var : plan.env)
        envp.push_back(const_cast<char *>(var.c_str()));
    envp.push_back(nullptr);
    UniqueFd daemon_pidfd(int(syscall(SYS_pidfd_open, getpid(), 0)));

    int pidfd = -1;
    struct clone_args args{};
    args.flags = CLONE_PIDFD;
    if (plan.sandbox)
        args.flags |= CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                      CLONE_NEWCGROUP;
    if (plan.cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = uint64_t(plan.cgroup_fd);
    }
    args.pidfd = uint64_t(uintptr_t(&pidfd));
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && plan.cgroup_fd >= 0 && (errno == EINVAL || errno == EBUSY || errno == EPERM ||
                                           errno == EOPNOTSUPP || errno == EACCES)) {
        // The cgroup refused the process (e.g. a controller's rule): run it without one.
        args.flags &= ~uint64_t(CLONE_INTO_CGROUP);
        args.cgroup = 0;
        pid = syscall(SYS_clone3, &args, sizeof args);
    }
    if (pid < 0)
        return Error::from_errno("clone3 netdext-host");
    if (pid == 0)
        child(plan, argv.data(), envp.data(), daemon_pidfd.get());
    Launched launched;
    launched.pid = pid_t(pid);
    launched.pidfd = UniqueFd(pidfd);
    launched.in_cgroup = (args.flags & CLONE_INTO_CGROUP) != 0;
    return launched;
}

} // namespace netdext::sandbox
