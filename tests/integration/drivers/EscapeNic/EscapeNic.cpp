// EscapeNic.cpp — tries one way out of the sandbox per run (see EscapeNic.iig) and says what
// happened. A seccomp kill ends the run before any line: the test reads that from the exit
// status. Lines: "EscapeNic: RESULT <what> blocked: <why>" for each attempt that failed,
// "EscapeNic: ESCAPED <what>: <how>" for one that worked, "EscapeNic: DONE" at the end.
//
//   escape=1 exec /bin/sh            escape=6 write /tmp and /dev/shm (escape-token=NAME)
//   escape=2 fork                    escape=7 connect to a Unix socket (escape-socket=PATH)
//   escape=3 allocate, touch 2 GiB   escape=8 read the daemon's and its own environment
//   escape=4 user namespace + mount  escape=9 forge the daemon's and another dext's log lines
//                                    (escape=8 reads /proc/<escape-pid>/environ too)
//   escape=5 open sockets
//   attack=1 /proc/<victim>/{mem,fd/*,environ,root}   attack=4 process_vm_writev
//   attack=2 kill                                      attack=5 pidfd_open + pidfd_getfd
//   attack=3 ptrace                                    (victim=PID: the other host)
//   ctor-fork=1  fork in a static constructor; the child sleeps forever

#include <DriverKit/IOLib.h>
#include <os/log.h>

#include "EscapeNic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#undef super
#define super IOService

#define LOG(fmt, ...) os_log(OS_LOG_DEFAULT, "EscapeNic: " fmt, ##__VA_ARGS__)

extern char **environ;

static void blocked(const char *what, const char *why) { LOG("RESULT %{public}s blocked: %{public}s", what, why); }
static void escaped(const char *what, const char *how) { LOG("ESCAPED %{public}s: %{public}s", what, how); }
static void outcome(const char *what, bool worked, int error) {
    if (worked)
        escaped(what, "it worked");
    else
        blocked(what, strerror(error));
}

// ctor-fork=1: a process started before Start, before the driver is even created.
static struct ForkInConstructor {
    ForkInConstructor() {
        uint32_t fork_it = 0;
        if (!IOParseBootArgNumber("ctor-fork", &fork_it, sizeof fork_it) || fork_it == 0)
            return;
        pid_t child = fork();
        if (child == 0) {
            for (;;)
                pause();
        }
        LOG("constructor forked: %d", int(child));
    }
} g_fork_in_constructor;

static void try_exec() {
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)"echo 'ESCAPED exec: a shell ran'", nullptr};
    execve("/bin/sh", argv, environ);
    outcome("exec /bin/sh", false, errno);
}

static void try_fork() {
    pid_t child = fork();
    if (child == 0) {
        static const char line[] = "ESCAPED fork: a child process ran\n";
        (void)!write(2, line, sizeof line - 1);
        _exit(0);
    }
    outcome("fork", child >= 0, errno);
}

static void try_memory() {
    const size_t size = size_t(2) << 30;
    void *memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        outcome("mmap 2 GiB", false, errno);
        char *heap = static_cast<char *>(malloc(size));
        if (heap == nullptr)
            return blocked("malloc 2 GiB", "returned NULL");
        memory = heap;
    }
    for (size_t offset = 0; offset < size; offset += 4096)
        static_cast<volatile char *>(memory)[offset] = 1;
    escaped("allocate and touch 2 GiB", "every page touched");
}

static void try_user_namespace() {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0) {
        escaped("create a user namespace", "unshare(CLONE_NEWUSER) worked");
        outcome("mount in the user namespace", mount("none", "/tmp", "tmpfs", 0, nullptr) == 0, errno);
        return;
    }
    outcome("unshare(CLONE_NEWUSER)", false, errno); // EINVAL: the host has threads
    // A multi-threaded process cannot unshare a user namespace, but a child can be born in one.
    long child = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
    if (child == 0) {
        static const char line[] = "ESCAPED user namespace: mounted a tmpfs in it\n";
        if (mount("none", "/tmp", "tmpfs", 0, nullptr) == 0)
            (void)!write(2, line, sizeof line - 1);
        _exit(0);
    }
    outcome("clone(CLONE_NEWUSER)", child > 0, errno);
}

static void try_sockets() {
    const struct { int domain, type; const char *name; } kinds[] = {
        {AF_INET, SOCK_DGRAM, "socket(AF_INET)"},
        {AF_UNIX, SOCK_STREAM, "socket(AF_UNIX)"},
        {AF_NETLINK, SOCK_RAW, "socket(AF_NETLINK)"},
        {AF_PACKET, SOCK_RAW, "socket(AF_PACKET)"},
    };
    for (const auto &kind : kinds) {
        int fd = socket(kind.domain, kind.type, 0);
        outcome(kind.name, fd >= 0, errno);
    }
}

static void try_files() {
    char token[64] = "netdext-escape";
    IOParseBootArgString("escape-token", token, sizeof token);
    for (const char *dir : {"/tmp", "/dev/shm"}) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", dir, token);
        int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        bool wrote = fd >= 0 && write(fd, "escaped\n", 8) == 8;
        int error = errno;
        if (fd >= 0)
            close(fd);
        // Writing its own private /tmp is allowed; the test looks for the file on the host.
        LOG("RESULT write %{public}s: %{public}s", path, wrote ? "written (the test checks where it went)" : strerror(error));
    }
}

static void try_unix_socket() {
    char path[108] = "";
    IOParseBootArgString("escape-socket", path, sizeof path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return outcome("connect to a Unix socket", false, errno);
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    strncpy(address.sun_path, path, sizeof address.sun_path - 1);
    outcome("connect to a Unix socket",
            connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0, errno);
}

static void read_environment(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return LOG("RESULT read %{public}s blocked: %{public}s", path, strerror(errno));
    char text[4096];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    n = n < 0 ? 0 : n;
    for (ssize_t i = 0; i < n; ++i)
        if (text[i] == '\0')
            text[i] = ' ';
    text[n] = '\0';
    LOG("RESULT read %{public}s: [%{public}s]", path, text);
}

static void try_environment() {
    // getppid() is outside the allow-list (and says 0 in a PID namespace): the test names a
    // process outside the sandbox whose environment holds its secret.
    uint64_t outside = 0;
    IOParseBootArgNumber("escape-pid", &outside, sizeof outside);
    char path[64];
    snprintf(path, sizeof path, "/proc/%llu/environ", (unsigned long long)outside);
    read_environment(path);
    read_environment("/proc/self/environ");
    read_environment("/proc/1/environ");
    for (char **variable = environ; *variable != nullptr; ++variable)
        LOG("RESULT environ: [%{public}s]", *variable);
}

static void try_forging() {
    static const char forged[] = "netdextd: FORGED daemon line\n"
                                 "[com.example.netdext.victim] FORGED victim line\n";
    (void)!write(2, forged, sizeof forged - 1);
    (void)!write(1, forged, sizeof forged - 1);
    LOG("RESULT forge\n[com.example.netdext.victim] FORGED through os_log");
}

static void attack_procfs(pid_t victim) {
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/mem", int(victim));
    int fd = open(path, O_RDWR | O_CLOEXEC);
    outcome("open the other host's /proc/PID/mem", fd >= 0, errno);
    snprintf(path, sizeof path, "/proc/%d/environ", int(victim));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    outcome("open the other host's /proc/PID/environ", fd >= 0, errno);
    snprintf(path, sizeof path, "/proc/%d/root/", int(victim));
    DIR *root = opendir(path);
    outcome("list the other host's root", root != nullptr, errno);
    snprintf(path, sizeof path, "/proc/%d/fd", int(victim));
    DIR *fds = opendir(path);
    if (fds == nullptr)
        return outcome("list the other host's fds (its memfds and rings)", false, errno);
    escaped("list the other host's fds (its memfds and rings)", "opendir worked");
    while (struct dirent *entry = readdir(fds)) {
        if (entry->d_name[0] == '.')
            continue;
        char fd_path[160];
        snprintf(fd_path, sizeof fd_path, "%s/%s", path, entry->d_name);
        int ring = open(fd_path, O_RDWR | O_CLOEXEC);
        if (ring >= 0)
            escaped("open another host's fd", fd_path);
    }
}

static void attack(uint32_t which, pid_t victim) {
    switch (which) {
    case 1: return attack_procfs(victim);
    case 2: return outcome("kill the other host", kill(victim, SIGKILL) == 0, errno);
    case 3: return outcome("ptrace the other host", ptrace(PTRACE_ATTACH, victim, nullptr, nullptr) == 0, errno);
    case 4: {
        char byte = 0;
        struct iovec local = {&byte, 1}, remote = {reinterpret_cast<void *>(0x10000), 1};
        return outcome("process_vm_writev into the other host",
                       process_vm_writev(victim, &local, 1, &remote, 1, 0) >= 0, errno);
    }
    case 5: {
        int pidfd = int(syscall(SYS_pidfd_open, victim, 0));
        if (pidfd < 0)
            return outcome("pidfd_open the other host", false, errno);
        escaped("pidfd_open the other host", "it worked");
        for (int fd = 3; fd < 32; ++fd)
            if (syscall(SYS_pidfd_getfd, pidfd, fd, 0) >= 0)
                escaped("pidfd_getfd: took a descriptor of the other host", "it worked");
        return;
    }
    }
}

kern_return_t IMPL(EscapeNic, Start) {
    kern_return_t ret = Start(provider, SUPERDISPATCH);
    if (ret != kIOReturnSuccess)
        return ret;
    uint32_t escape = 0, which_attack = 0;
    uint64_t victim = 0;
    IOParseBootArgNumber("escape", &escape, sizeof escape);
    IOParseBootArgNumber("attack", &which_attack, sizeof which_attack);
    IOParseBootArgNumber("victim", &victim, sizeof victim);
    LOG("escape=%u attack=%u victim=%llu", escape, which_attack, (unsigned long long)victim);
    switch (escape) {
    case 1: try_exec(); break;
    case 2: try_fork(); break;
    case 3: try_memory(); break;
    case 4: try_user_namespace(); break;
    case 5: try_sockets(); break;
    case 6: try_files(); break;
    case 7: try_unix_socket(); break;
    case 8: try_environment(); break;
    case 9: try_forging(); break;
    default: break;
    }
    if (which_attack != 0)
        attack(which_attack, pid_t(victim));
    LOG("DONE");
    return RegisterService();
}
