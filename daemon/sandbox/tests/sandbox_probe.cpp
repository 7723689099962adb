// sandbox_probe: started by launcher_test through the sandbox launcher in place of netdext-host;
// prints what it finds about its own confinement, one "key=value" line each, on standard output
// (the output pipe), then, with "fork", leaves a child sleeping behind it.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

extern char **environ;

static std::string status_field(const char *name) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(name, 0) == 0 && line[std::strlen(name)] == ':') {
            size_t start = line.find_first_not_of(" \t", std::strlen(name) + 1);
            return start == std::string::npos ? "" : line.substr(start);
        }
    return "?";
}

int main(int argc, char **argv) {
    std::printf("pid=%d\n", int(getpid()));
    std::printf("uid=%u gid=%u euid=%u groups=%d\n", unsigned(getuid()), unsigned(getgid()),
                unsigned(geteuid()), getgroups(0, nullptr));
    for (const char *field : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
                              "SigBlk", "SigIgn"})
        std::printf("%s=%s\n", field, status_field(field).c_str());
    std::string fds;
    if (DIR *dir = opendir("/proc/self/fd")) {
        int own = dirfd(dir);
        while (dirent *entry = readdir(dir))
            if (entry->d_name[0] != '.' && std::atoi(entry->d_name) != own)
                fds += std::string(fds.empty() ? "" : ",") + entry->d_name;
        closedir(dir);
    }
    std::printf("fds=%s\n", fds.c_str());
    std::string env;
    for (char **e = environ; *e; ++e)
        env += std::string(env.empty() ? "" : ";") + *e;
    std::printf("env=%s\n", env.c_str());
    struct utsname names;
    uname(&names);
    std::printf("hostname=%s\n", names.nodename);
    std::string root;
    if (DIR *dir = opendir("/")) {
        while (dirent *entry = readdir(dir))
            if (entry->d_name[0] != '.')
                root += std::string(root.empty() ? "" : ",") + entry->d_name;
        closedir(dir);
    }
    std::printf("root=%s\n", root.c_str());
    for (const char *path : {"/etc/passwd", "/bin/sh", "/usr/bin", "/home", "/dev/shm",
                             "/proc/sys/kernel/hostname"})
        std::printf("exists %s=%s\n", path, access(path, F_OK) == 0 ? "yes" : "no");
    int tmp = open("/tmp/probe", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    std::printf("tmp_writable=%s\n", tmp >= 0 && write(tmp, "x", 1) == 1 ? "yes" : "no");
    int root_write = open("/probe", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    std::printf("root_writable=%s\n", root_write >= 0 ? "yes" : "no");
    std::printf("self_readable=%s\n", access(argv[0], R_OK) == 0 ? "yes" : "no");
    std::fflush(stdout);
    if (argc > 1 && std::strcmp(argv[1], "fork") == 0) {
        pid_t child = fork();
        if (child == 0) {
            for (;;)
                pause();
        }
        std::printf("forked=%d\n", int(child));
        std::fflush(stdout);
        if (argc > 2 && std::strcmp(argv[2], "wait") == 0)
            for (;;)
                pause();
    }
    return 0;
}
