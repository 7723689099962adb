#include <netdext/unique_fd.h>

#include <unistd.h>

namespace netdext {

void UniqueFd::reset(int fd) {
    if (m_fd >= 0)
        ::close(m_fd); // Linux always releases the descriptor, even on EINTR.
    m_fd = fd;
}

} // namespace netdext
