#include <netdext/shm/ipc/peer_credentials.h>

#include <sys/socket.h>

namespace netdext::shm::ipc {

Result<PeerCredentials> peer_credentials(int socket_fd) {
    ucred credentials{};
    socklen_t length = sizeof credentials;
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0)
        return Error::from_errno("SO_PEERCRED");
    if (length != sizeof credentials)
        return Error::from_code(ErrorCode::InvalidArgument, "SO_PEERCRED size");
    return PeerCredentials{credentials.pid, credentials.uid, credentials.gid};
}

} // namespace netdext::shm::ipc
