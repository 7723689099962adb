// TapUring: batched TAP reads and writes through liburing (see tap_uring.h).
#include "tap/tap_uring.h"

#include <liburing.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace netdext::tap {

struct TapUring::Ring {
    io_uring ring{};
    bool initialised = false;
    ~Ring() {
        if (initialised)
            io_uring_queue_exit(&ring);
    }
};

std::unique_ptr<TapUring> TapUring::create(std::string &why) {
    auto ring = std::make_unique<Ring>();
    // The CQ holds twice the SQ: a batch's completions always fit.
    int r = io_uring_queue_init(kEntries, &ring->ring, IORING_SETUP_SUBMIT_ALL);
    if (r == -EINVAL) // before Linux 5.18: the batch is still submitted whole unless one fails
        r = io_uring_queue_init(kEntries, &ring->ring, 0);
    if (r < 0) {
        why = std::string("io_uring_queue_init: ") + std::strerror(-r);
        return nullptr;
    }
    ring->initialised = true;
    return std::unique_ptr<TapUring>(new TapUring(std::move(ring)));
}

TapUring::TapUring(std::unique_ptr<Ring> ring) : m_ring(std::move(ring)) {}
TapUring::~TapUring() = default;

int TapUring::readv(int fd, std::span<const iovec *const> vectors, std::span<const unsigned> counts,
                    std::span<int> results) {
    return run(false, fd, vectors, counts, results);
}

int TapUring::writev(int fd, std::span<const iovec *const> vectors,
                     std::span<const unsigned> counts, std::span<int> results) {
    return run(true, fd, vectors, counts, results);
}

int TapUring::run(bool write, int fd, std::span<const iovec *const> vectors,
                  std::span<const unsigned> counts, std::span<int> results) {
    io_uring &ring = m_ring->ring;
    const unsigned count = unsigned(vectors.size());
    if (count == 0 || count > kEntries || counts.size() != count || results.size() < count)
        return -EINVAL;
    for (unsigned i = 0; i < count; ++i)
        results[i] = -ECANCELED;
    for (unsigned i = 0; i < count; ++i) {
        io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        if (sqe == nullptr)
            return -EBUSY; // cannot happen (every batch is reaped before the next): drop the ring
        if (write) {
            io_uring_prep_writev(sqe, fd, vectors[i], counts[i], 0);
        } else {
            io_uring_prep_readv(sqe, fd, vectors[i], counts[i], 0);
            sqe->rw_flags = RWF_NOWAIT; // EAGAIN when no frame is pending, never a parked read
        }
        sqe->user_data = i;
    }
    // IORING_SETUP_SUBMIT_ALL: the kernel takes the whole batch even if one entry fails, so no
    // prepared entry (pointing at this call's buffers) can stay behind for a later submission.
    unsigned submitted = 0;
    int status = 0;
    for (;;) {
        int r = io_uring_submit(&ring);
        if (r == -EINTR)
            continue;
        if (r < 0)
            status = r;
        else
            submitted = unsigned(r);
        break;
    }
    if (submitted < count && status == 0)
        status = -EIO; // entries left in the ring: it must not be used again
    // Completions were posted during the submission (the operations ran inline); waiting only
    // peeks at the completion ring.
    for (unsigned seen = 0; seen < submitted;) {
        io_uring_cqe *cqe = nullptr;
        int r = io_uring_wait_cqe(&ring, &cqe);
        if (r == -EINTR)
            continue;
        if (r < 0)
            return r;
        if (cqe->user_data < count)
            results[cqe->user_data] = cqe->res;
        io_uring_cqe_seen(&ring, cqe);
        ++seen;
    }
    return status;
}

} // namespace netdext::tap
