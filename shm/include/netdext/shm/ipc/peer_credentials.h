// Who is on the other end of a connected Unix socket (SO_PEERCRED): the credentials the kernel
// recorded when the peer connected (or created the socketpair), not anything the peer claims.
#pragma once

#include <netdext/shm/result.h>

#include <sys/types.h>

namespace netdext::shm::ipc {

struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

[[nodiscard]] Result<PeerCredentials> peer_credentials(int socket_fd);

} // namespace netdext::shm::ipc
