// A sealed memfd: the carrier of every shared region between netdextd and netdext-host.
//
// Ownership: the daemon creates it (create()), keeps one descriptor and passes a duplicate to the
// host with SCM_RIGHTS. The host wraps what it received with adopt(), which refuses anything the
// daemon would not have made: a descriptor that is not a memfd, one that can still shrink or grow,
// one whose seals can still change, or one whose size differs from the size announced for it.
// Why: if a peer could shrink the file, the other side's mapping would SIGBUS on access.
#pragma once

#include <netdext/shm/result.h>
#include <netdext/shm/sys/unique_fd.h>

#include <cstddef>

namespace netdext::shm {

class Memfd {
public:
    // The seals every shared region carries; F_SEAL_WRITE is deliberately absent (both sides
    // write).
    static const int kRequiredSeals; // F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL

    // memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING), ftruncate(size), then seal.
    [[nodiscard]] static Result<Memfd> create(const char *name, size_t size);
    // Receiving side: verifies F_GET_SEALS ⊇ kRequiredSeals and fstat size == expected_size.
    [[nodiscard]] static Result<Memfd> adopt(UniqueFd fd, size_t expected_size);

    [[nodiscard]] int fd() const { return m_fd.get(); }
    [[nodiscard]] size_t size() const { return m_size; }
    // A new descriptor for the same file (F_DUPFD_CLOEXEC), e.g. to hand to the peer.
    [[nodiscard]] Result<UniqueFd> duplicate() const;

private:
    Memfd(UniqueFd fd, size_t size) : m_fd(std::move(fd)), m_size(size) {}

    UniqueFd m_fd;
    size_t m_size = 0;
};

} // namespace netdext::shm
