// The seccomp allow-list: pinned by a golden file, and checked in forked children — what it
// allows works (threads, memory, eventfds), what it forbids kills the process.

#include "seccomp_policy.h"

#include <netdext/file_io.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <thread>

namespace {

using namespace netdext::sandbox;

TEST(SeccompPolicy, MatchesTheGoldenFile) {
    std::string golden;
    ASSERT_TRUE(netdext::read_file(SECCOMP_GOLDEN, golden)) << SECCOMP_GOLDEN;
    EXPECT_EQ(describe_seccomp_policy(), golden)
        << "the allow-list changed: review the change, then update " << SECCOMP_GOLDEN
        << " and docs/sandbox.md";
}

TEST(SeccompPolicy, EveryRuleHasAReasonAndResolves) {
    for (auto rules : {seccomp_rules(), seccomp_sanitizer_rules()})
        for (const SeccompRule &rule : rules) {
            EXPECT_GT(std::strlen(rule.reason), 10u) << rule.name;
        }
}

TEST(SeccompPolicy, NoDangerousCallIsAllowed) {
    for (const char *name : {"execve", "execveat", "fork", "vfork", "ptrace", "mount", "umount2",
                             "unshare", "setns", "bpf", "keyctl", "add_key", "perf_event_open",
                             "socket", "socketpair", "connect", "process_vm_readv",
                             "process_vm_writev", "kill", "setuid", "pivot_root", "chroot",
                             "init_module", "userfaultfd", "io_uring_setup", "memfd_secret"})
        for (auto rules : {seccomp_rules(), seccomp_sanitizer_rules()})
            for (const SeccompRule &rule : rules)
                EXPECT_STRNE(rule.name, name);
}

// Runs `body` in a forked child under the filter; returns its wait status.
int run_confined(const std::function<int()> &body) {
    pid_t pid = fork();
    if (pid == 0) {
        if (!install_seccomp_filter())
            _exit(90);
        _exit(body());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

bool killed_by_seccomp(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }

TEST(SeccompFilter, AllowsWhatTheRuntimeNeeds) {
    int status = run_confined([] {
        void *big = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
        if (big == MAP_FAILED)
            return 1;
        std::memset(big, 1, 1 << 20);
        munmap(big, 1 << 20);
        int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        uint64_t one = 1;
        if (fd < 0 || write(fd, &one, sizeof one) != sizeof one)
            return 2;
        close(fd);
        int value = 0;
        std::thread worker([&] { value = 42; }); // clone3 → ENOSYS, then clone (a thread)
        worker.join();
        if (value != 42)
            return 3;
        if (syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS)
            return 4;
        return 0;
    });
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompFilter, KillsOnForbiddenCalls) {
    struct Case {
        const char *name;
        std::function<int()> body;
    };
    const Case cases[] = {
        {"socket", [] { return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 0 : 1; }},
        {"fork", [] { return int(syscall(SYS_fork)) >= 0 ? 0 : 1; }},
        {"clone a process", [] { return int(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)) >= 0; }},
        {"clone a thread in a new namespace",
         [] { return int(syscall(SYS_clone, CLONE_THREAD | CLONE_VM | CLONE_SIGHAND |
                                                CLONE_FILES | CLONE_FS | CLONE_NEWNET,
                                     0, 0, 0, 0)); }},
        {"execve", [] {
             char *argv[] = {const_cast<char *>("/bin/true"), nullptr};
             return execve("/bin/true", argv, nullptr);
         }},
        {"unshare", [] { return unshare(CLONE_NEWUSER); }},
        {"ptrace", [] { return int(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr)); }},
        {"mount", [] { return mount("none", "/tmp", "tmpfs", 0, nullptr); }},
        {"kill another process", [] { return kill(1, 0); }},
        {"tgkill another process", [] { return int(syscall(SYS_tgkill, 1, 1, 0)); }},
        {"prctl other than a thread name", [] { return prctl(PR_SET_DUMPABLE, 0); }},
        {"prlimit64 raising a limit", [] {
             struct rlimit limit{1024, 1024};
             return int(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &limit, nullptr));
         }},
        {"fcntl F_SETOWN", [] { return fcntl(0, F_SETOWN, 1); }},
    };
    for (const Case &c : cases) {
        int status = run_confined(c.body);
        EXPECT_TRUE(killed_by_seccomp(status)) << c.name << ": status " << status;
    }
}

} // namespace
