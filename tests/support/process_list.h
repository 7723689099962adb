// Processes running as a given uid, in any PID namespace (read from the test's /proc): how the
// sandbox tests see that nothing a dext started outlives it.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace netdext::testing {

// A /proc file's contents, "" when it cannot be read. Never throws: a process can exit while it is
// read (read() fails with ESRCH), and std::istreambuf_iterator over an ifstream throws then.
inline std::string read_proc_file(const std::string &path) {
    std::string text;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0)
            break;
        text.append(buffer, size_t(n));
    }
    ::close(fd);
    return text;
}

inline std::vector<pid_t> processes_of_uid(uid_t uid) {
    std::vector<pid_t> pids;
    DIR *proc = opendir("/proc");
    if (proc == nullptr)
        return pids;
    while (dirent *entry = readdir(proc)) {
        pid_t pid = pid_t(std::atoi(entry->d_name));
        struct stat st;
        if (pid > 0 && stat(("/proc/" + std::string(entry->d_name)).c_str(), &st) == 0 &&
            st.st_uid == uid)
            pids.push_back(pid);
    }
    closedir(proc);
    return pids;
}

} // namespace netdext::testing
