#include <netdext/shm/shared_region.h>

namespace netdext::shm {

Result<SharedRegion> SharedRegion::create(const char *name, size_t size) {
    auto memfd = SHM_TRY(Memfd::create(name, size));
    auto mapping = SHM_TRY(Mapping::map(memfd.fd(), size));
    return SharedRegion(std::move(memfd), std::move(mapping));
}

Result<SharedRegion> SharedRegion::attach(UniqueFd fd, size_t expected_size) {
    auto memfd = SHM_TRY(Memfd::adopt(std::move(fd), expected_size));
    auto mapping = SHM_TRY(Mapping::map(memfd.fd(), expected_size));
    return SharedRegion(std::move(memfd), std::move(mapping));
}

} // namespace netdext::shm
