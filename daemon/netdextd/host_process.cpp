// Spawning and watching netdext-host.

#include "host_process.h"

#include <netdext/protocol/host_protocol.h>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

namespace netdext::daemon {

namespace {

int pidfd_open(pid_t pid) { return int(syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int pidfd, int sig) {
    return int(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// Everything after fork() until exec must be async-signal-safe: raw syscalls only.
[[noreturn]] void child(const std::vector<char *> &argv, int control_fd, bool sandbox,
                        uid_t uid, gid_t gid) {
    if (control_fd != netdext::protocol::kHostControlFd) {
        if (dup2(control_fd, netdext::protocol::kHostControlFd) < 0)
            _exit(120);
    } else {
        int flags = fcntl(control_fd, F_GETFD);
        fcntl(control_fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    // Keep 0, 1, 2 (the daemon's standard streams) and 3 (the control socket).
    if (syscall(SYS_close_range, 4u, ~0u, 0u) != 0) {
        for (int fd = 4; fd < 1024; ++fd)
            close(fd);
    }
    setsid();
    if (sandbox) {
        if (unshare(CLONE_NEWNET) != 0 && errno != EPERM)
            _exit(121);
        if (uid != 0 && getuid() == 0) {
            if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
                _exit(122);
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            _exit(123);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL); // after the credential change, which clears it
    execv(argv[0], argv.data());
    _exit(127);
}

} // namespace

Result<HostProcess> HostProcess::spawn(const HostOptions &options, int control_fd) {
    std::vector<std::string> args = {options.host_binary, "--bundle", options.bundle_path};
    if (!options.class_name.empty()) {
        args.push_back("--class");
        args.push_back(options.class_name);
    }
    if (!options.boot_args.empty()) {
        args.push_back("--boot-args");
        args.push_back(options.boot_args);
    }
    std::vector<char *> argv;
    for (std::string &arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);

    uid_t uid = 0;
    gid_t gid = 0;
    if (options.sandbox && getuid() == 0) {
        // The driver needs no privileges: run it as nobody (looked up before fork).
        if (struct passwd *pw = getpwnam("nobody")) {
            uid = pw->pw_uid;
            gid = pw->pw_gid;
        }
    }
    pid_t pid = fork();
    if (pid < 0)
        return Error::from_errno("fork netdext-host");
    if (pid == 0)
        child(argv, control_fd, options.sandbox, uid, gid);
    int pidfd = pidfd_open(pid);
    if (pidfd < 0) {
        Error error = Error::from_errno("pidfd_open");
        ::kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return error;
    }
    return HostProcess(pid, UniqueFd(pidfd));
}

HostProcess::~HostProcess() {
    if (m_pid > 0 && !m_reaped) {
        kill();
        waitpid(m_pid, nullptr, 0);
    }
}

void HostProcess::kill() {
    if (m_pidfd.is_valid() && !m_reaped)
        pidfd_send_signal(m_pidfd.get(), SIGKILL);
}

bool HostProcess::try_reap(int &status) {
    if (m_pid <= 0 || m_reaped)
        return false;
    pid_t got = waitpid(m_pid, &status, WNOHANG);
    if (got == m_pid) {
        m_reaped = true;
        return true;
    }
    if (got < 0 && errno == ECHILD) { // reaped elsewhere (SIGCHLD ignored): status unknown
        m_reaped = true;
        status = 0;
        return true;
    }
    return false;
}

std::string HostProcess::default_host_binary() {
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        std::filesystem::path dir = self.parent_path();
        for (auto candidate : {dir / "netdext-host", dir.parent_path() / "host" / "netdext-host",
                               dir.parent_path().parent_path() / "host" / "netdext-host"}) {
            if (access(candidate.c_str(), X_OK) == 0)
                return candidate.string();
        }
    }
    return "netdext-host";
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status))
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char *name = strsignal(WTERMSIG(status));
        return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               (name ? name : "?") + ")";
    }
    return "status " + std::to_string(status);
}

} // namespace netdext::daemon
