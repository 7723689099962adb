#include "atomic_file.h"

#include "crash_points.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netdext::extensions {

bool sync_directory(const std::string &directory, std::string &error) {
    int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        error = "fsync " + directory + ": " + std::strerror(errno);
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    return true;
}

bool write_file_atomically(const std::string &directory, const std::string &name,
                           const std::string &contents, std::string &error,
                           const char *crash_point_name) {
    const std::string path = directory + "/" + name;
    const std::string temporary = path + ".tmp";
    // O_NOFOLLOW: never write through a symlink someone planted in the state directory.
    unlink(temporary.c_str());
    int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = "creating " + temporary + ": " + std::strerror(errno);
        return false;
    }
    size_t done = 0;
    while (done < contents.size()) {
        ssize_t n = write(fd, contents.data() + done, contents.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            error = "writing " + temporary + ": " + std::strerror(errno);
            close(fd);
            unlink(temporary.c_str());
            return false;
        }
        done += size_t(n);
    }
    if (fsync(fd) != 0) {
        error = "fsync " + temporary + ": " + std::strerror(errno);
        close(fd);
        unlink(temporary.c_str());
        return false;
    }
    close(fd);
    if (crash_point_name != nullptr)
        crash_point(crash_point_name);
    if (rename(temporary.c_str(), path.c_str()) != 0) {
        error = "renaming " + temporary + ": " + std::strerror(errno);
        unlink(temporary.c_str());
        return false;
    }
    return sync_directory(directory, error);
}

} // namespace netdext::extensions
