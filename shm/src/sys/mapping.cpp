#include <netdext/shm/sys/mapping.h>

#include <sys/mman.h>

#include <utility>

namespace netdext::shm {

Result<Mapping> Mapping::map(int fd, size_t size, Access access) {
    if (size == 0)
        return Error::from_code(ErrorCode::InvalidArgument, "mapping size");
    int prot = access == Access::ReadWrite ? PROT_READ | PROT_WRITE : PROT_READ;
    void *address = ::mmap(nullptr, size, prot, MAP_SHARED, fd, 0);
    if (address == MAP_FAILED)
        return Error::from_errno("mmap");
    return Mapping(static_cast<std::byte *>(address), size);
}

Mapping::Mapping(Mapping &&other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)), m_size(std::exchange(other.m_size, 0)) {}

Mapping &Mapping::operator=(Mapping &&other) noexcept {
    if (this != &other) {
        unmap();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
    }
    return *this;
}

Mapping::~Mapping() {
    unmap();
}

void Mapping::unmap() {
    if (m_data)
        ::munmap(m_data, m_size);
    m_data = nullptr;
    m_size = 0;
}

} // namespace netdext::shm
