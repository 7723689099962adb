// The seccomp allow-list of netdext-host — THE reviewed list (see seccomp_policy.h).
//
// How the list was made: netdext-host ran the sample driver, HostileNic, MisbehavingNic and the
// escape-attempt driver under netdextd, traced (strace -f) from the point where it installs this
// filter, in the GCC and the Clang ASan/UBSan builds; each call below is one it made, or the
// documented fallback of one it made (clock reads leave the vDSO when the clocksource has no vDSO
// support). Nothing here opens a socket, starts a process, changes credentials, namespaces or
// mounts, traces, loads BPF or touches keys: those calls are absent, so they kill the process.
// Adding a call: add it here with its reason, update tests/seccomp_allowlist.golden and
// docs/sandbox.md, and say in the review which driver needs it and why.

#include "seccomp_policy.h"

#include <seccomp.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <ucontext.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>

namespace netdext::sandbox {

namespace {

using A = SeccompAction;
using C = SeccompCondition;

// Sorted by name. The reason says who makes the call.
constexpr SeccompRule kRules[] = {
    {"brk", A::allow, C::any, "malloc grows the main arena"},
    {"clock_gettime", A::allow, C::any,
     "the runtime's TimeSource and timers; the vDSO falls back to the syscall"},
    {"clock_nanosleep", A::allow, C::any,
     "IOSleep/IODelay (iolib.cpp); glibc's nanosleep and std::this_thread::sleep_for"},
    {"clone", A::allow, C::clone_thread,
     "pthread_create: the dispatch queues' and the doorbell's threads (threads only)"},
    {"clone3", A::fail_enosys, C::any,
     "glibc tries clone3 first; its flags are out of the filter's reach, so it fails with "
     "ENOSYS and glibc falls back to clone, whose flags are checked"},
    {"close", A::allow, C::any, "descriptors from the daemon, the loader's files"},
    {"eventfd2", A::allow, C::any, "the host's exit latch (main.cpp)"},
    {"exit", A::allow, C::any, "a thread ends"},
    {"exit_group", A::allow, C::any, "the process ends"},
    {"fcntl", A::allow, C::fcntl_status,
     "the channel's O_NONBLOCK (F_GETFL/F_SETFL), the memfd seal check (F_GET_SEALS)"},
    {"futex", A::allow, C::any, "mutexes, condition variables, the dispatch queues"},
    {"getpid", A::allow, C::any, "the Hello message, raise()"},
    {"getrandom", A::allow, C::any, "malloc's tcache key, arc4random, std::random_device"},
    {"gettid", A::allow, C::any, "raise() and the runtime's thread checks"},
    {"madvise", A::allow, C::any, "glibc returns a finished thread's stack (MADV_DONTNEED)"},
    {"mmap", A::allow, C::any,
     "malloc, thread stacks, the loader mapping the driver, the pools and rings (memfds)"},
    {"mprotect", A::allow, C::any, "the loader (RELRO), thread stack guards"},
    {"mremap", A::allow, C::any, "realloc of large (mmapped) blocks"},
    {"munmap", A::allow, C::any, "free of large blocks, a released pool or ring"},
    {"newfstatat", A::allow, C::any, "the loader; fstat of received memfds; reading the bundle"},
    {"openat", A::allow, C::any,
     "the loader opening the driver and its libraries, reading Info.plist (the view is "
     "read-only but for a private /tmp)"},
    {"openat2", A::allow, C::any,
     "reading the bundle through BundleDir (RESOLVE_BENEATH: nothing outside the bundle)"},
    {"poll", A::allow, C::any, "the control loop and the doorbell thread"},
    {"pread64", A::allow, C::any, "the loader reads ELF headers"},
    {"prctl", A::allow, C::prctl_thread_name, "pthread_setname_np: dispatch queue thread names"},
    {"prlimit64", A::allow, C::prlimit_read_own, "pthread_create reads RLIMIT_STACK"},
    {"read", A::allow, C::any, "files, eventfds"},
    {"recvmsg", A::allow, C::any, "the control socket (messages and their fds)"},
    {"restart_syscall", A::allow, C::any, "the kernel resumes an interrupted sleep"},
    {"rseq", A::allow, C::any, "glibc registers each new thread's restartable sequence"},
    {"rt_sigaction", A::allow, C::any, "SIGPIPE ignored (main.cpp); a driver's handlers"},
    {"rt_sigprocmask", A::allow, C::any, "pthread_create blocks signals around the clone"},
    {"rt_sigreturn", A::allow, C::any, "return from a signal handler"},
    {"sched_yield", A::allow, C::any, "set_log_sink waits for the sinks in use to finish (log.cpp)"},
    {"sendmsg", A::allow, C::any, "the control socket"},
    {"set_robust_list", A::allow, C::any, "glibc, for each new thread"},
    {"tgkill", A::allow, C::own_process, "raise() and abort() signal the host itself"},
    {"write", A::allow, C::any, "eventfd doorbells, standard error (the daemon's log pipe)"},
    {"writev", A::allow, C::any, "stdio and iostreams flush with writev"},
};

// The AddressSanitizer/UBSan runtime's own calls, made only in sanitizer builds.
constexpr SeccompRule kSanitizerRules[] = {
    {"ioctl", A::allow, C::tty_query, "isatty(2): whether a sanitizer report is coloured"},
    {"open", A::allow, C::any, "a sanitizer report looks for the symbolizer (fails: not in view)"},
    {"pipe2", A::allow, C::any,
     "UBSan's vptr check probes whether memory is readable by writing it into a pipe"},
    {"sched_getaffinity", A::allow, C::any,
     "ASan's thread start reads the thread's attributes (pthread_getattr_np)"},
    {"sigaltstack", A::allow, C::any, "ASan runs its SEGV handler on an alternate stack"},
    {"stat", A::allow, C::any, "a sanitizer report looks for the symbolizer (fails: not in view)"},
};

const char *condition_text(C condition) {
    switch (condition) {
    case C::any: return "";
    case C::clone_thread: return " [threads only: CLONE_THREAD|CLONE_VM|CLONE_SIGHAND|CLONE_FILES|CLONE_FS, no CLONE_NEW*]";
    case C::own_process: return " [own pid only]";
    case C::prctl_thread_name: return " [PR_SET_NAME, PR_GET_NAME]";
    case C::fcntl_status: return " [F_GETFL, F_SETFL, F_GET_SEALS]";
    case C::prlimit_read_own: return " [pid 0, no new limit]";
    case C::tty_query: return " [TCGETS]";
    }
    return " [?]";
}

// An argument comparison with every field named (libseccomp's SCMP_A* leave datum_b implicit).
scmp_arg_cmp arg_equals(unsigned arg, scmp_datum_t value) {
    return scmp_arg_cmp{arg, SCMP_CMP_EQ, value, 0};
}
scmp_arg_cmp arg_masked_equals(unsigned arg, scmp_datum_t mask, scmp_datum_t value) {
    return scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, mask, value};
}

// One rule with its argument checks; several seccomp rules for one syscall are ORed.
int add_rule(scmp_filter_ctx ctx, const SeccompRule &rule) {
    int nr = seccomp_syscall_resolve_name(rule.name);
    if (nr == __NR_SCMP_ERROR)
        return -ENOSYS;
    uint32_t action = rule.action == A::allow ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(ENOSYS);
    switch (rule.condition) {
    case C::any:
        return seccomp_rule_add(ctx, action, nr, 0);
    case C::clone_thread: {
        const scmp_datum_t needed =
            CLONE_THREAD | CLONE_VM | CLONE_SIGHAND | CLONE_FILES | CLONE_FS;
        const scmp_datum_t namespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                        CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                        CLONE_NEWNET | 0x80 /* CLONE_NEWTIME */;
        return seccomp_rule_add(ctx, action, nr, 1,
                                arg_masked_equals(0, needed | namespaces, needed));
    }
    case C::own_process:
        return seccomp_rule_add(ctx, action, nr, 1, arg_equals(0, scmp_datum_t(getpid())));
    case C::prctl_thread_name: {
        int rc = seccomp_rule_add(ctx, action, nr, 1, arg_equals(0, PR_SET_NAME));
        return rc != 0 ? rc : seccomp_rule_add(ctx, action, nr, 1, arg_equals(0, PR_GET_NAME));
    }
    case C::fcntl_status:
        for (scmp_datum_t command : {scmp_datum_t(F_GETFL), scmp_datum_t(F_SETFL),
                                     scmp_datum_t(F_GET_SEALS)})
            if (int rc = seccomp_rule_add(ctx, action, nr, 1, arg_equals(1, command)); rc)
                return rc;
        return 0;
    case C::tty_query:
        return seccomp_rule_add(ctx, action, nr, 1, arg_equals(1, TCGETS));
    case C::prlimit_read_own:
        return seccomp_rule_add(ctx, action, nr, 2, arg_equals(0, 0),
                                arg_equals(2, 0));
    }
    return -EINVAL;
}

// SIGSYS from SECCOMP_RET_TRAP (report_denied): say which call, make it return -ENOSYS.
void report_denied_call(int, siginfo_t *info, void *context) {
    char text[64] = "netdext-host: seccomp: denied system call ";
    size_t length = std::strlen(text);
    char digits[12];
    int n = 0;
    unsigned nr = unsigned(info->si_syscall);
    do {
        digits[n++] = char('0' + nr % 10);
        nr /= 10;
    } while (nr != 0 && n < 11);
    while (n > 0)
        text[length++] = digits[--n];
    text[length++] = '\n';
    (void)!write(STDERR_FILENO, text, length);
#if defined(__x86_64__)
    static_cast<ucontext_t *>(context)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
    (void)context;
#endif
}

struct FilterContext {
    explicit FilterContext(uint32_t default_action) : ctx(seccomp_init(default_action)) {}
    scmp_filter_ctx ctx;
    ~FilterContext() { seccomp_release(ctx); }
};

} // namespace

std::span<const SeccompRule> seccomp_rules() { return kRules; }
std::span<const SeccompRule> seccomp_sanitizer_rules() { return kSanitizerRules; }

bool built_with_sanitizer() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

Result<void> install_seccomp_filter(const SeccompOptions &options) {
    FilterContext filter(options.report_denied ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
    if (options.report_denied) {
        struct sigaction action {};
        action.sa_sigaction = report_denied_call;
        action.sa_flags = SA_SIGINFO;
        if (sigaction(SIGSYS, &action, nullptr) != 0)
            return Error::from_errno("sigaction SIGSYS");
    }
    if (filter.ctx == nullptr)
        return Error::from_errno(ENOMEM, "seccomp_init");
    // Other architectures' entry points (i386 int 0x80, x32) kill too; all threads get the filter.
    if (seccomp_attr_set(filter.ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0 ||
        seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
        seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_NNP, 1) != 0)
        return Error::from_errno(EINVAL, "seccomp_attr_set");
    for (const SeccompRule &rule : kRules)
        if (int rc = add_rule(filter.ctx, rule); rc != 0)
            return Error::from_errno(-rc, "seccomp_rule_add");
    if (options.sanitizer_rules)
        for (const SeccompRule &rule : kSanitizerRules)
            if (int rc = add_rule(filter.ctx, rule); rc != 0)
                return Error::from_errno(-rc, "seccomp_rule_add");
    if (int rc = seccomp_load(filter.ctx); rc != 0)
        return Error::from_errno(-rc, "seccomp_load");
    return {};
}

std::string describe_seccomp_policy() {
    std::string text =
        "# netdext-host's seccomp allow-list (daemon/sandbox/seccomp_policy.cpp).\n"
        "# Any other system call, or another architecture's, kills the process.\n";
    auto append = [&text](const SeccompRule &rule) {
        text += rule.action == A::allow ? "allow " : "enosys ";
        text += rule.name;
        text += condition_text(rule.condition);
        text += " -- ";
        text += rule.reason;
        text += '\n';
    };
    for (const SeccompRule &rule : kRules)
        append(rule);
    text += "# Sanitizer builds (ASan/UBSan) only:\n";
    for (const SeccompRule &rule : kSanitizerRules)
        append(rule);
    return text;
}

} // namespace netdext::sandbox
