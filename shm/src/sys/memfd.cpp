#include <netdext/shm/sys/memfd.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace netdext::shm {

const int Memfd::kRequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;

Result<Memfd> Memfd::create(const char *name, size_t size) {
    if (size == 0 || size > static_cast<size_t>(INT64_MAX))
        return Error::from_code(ErrorCode::InvalidArgument, "memfd size");
    UniqueFd fd(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd.is_valid())
        return Error::from_errno("memfd_create");
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
        return Error::from_errno("ftruncate memfd");
    if (::fcntl(fd.get(), F_ADD_SEALS, kRequiredSeals) != 0)
        return Error::from_errno("F_ADD_SEALS");
    return Memfd(std::move(fd), size);
}

Result<Memfd> Memfd::adopt(UniqueFd fd, size_t expected_size) {
    if (!fd.is_valid())
        return Error::from_code(ErrorCode::InvalidArgument, "memfd descriptor");
    // F_GET_SEALS fails with EINVAL on anything that is not a sealable file (pipes, sockets, ...).
    int seals = ::fcntl(fd.get(), F_GET_SEALS);
    if (seals < 0)
        return Error::from_errno("F_GET_SEALS");
    if ((seals & kRequiredSeals) != kRequiredSeals)
        return Error::from_code(ErrorCode::NotSealed, "memfd seals");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return Error::from_errno("fstat memfd");
    if (st.st_size < 0 || static_cast<size_t>(st.st_size) != expected_size)
        return Error::from_code(ErrorCode::WrongSize, "memfd size");
    return Memfd(std::move(fd), expected_size);
}

Result<UniqueFd> Memfd::duplicate() const {
    UniqueFd copy(::fcntl(m_fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy.is_valid())
        return Error::from_errno("F_DUPFD_CLOEXEC");
    return copy;
}

} // namespace netdext::shm
