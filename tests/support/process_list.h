// Processes running as a given uid, in any PID namespace (read from the test's /proc): how the
// sandbox tests see that nothing a dext started outlives it.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace netdext::testing {

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
