// A sealed memfd together with this process's MAP_SHARED read-write mapping of it.
// Daemon: create() makes the memfd, seals it and maps it; memfd().duplicate() is what goes to the
// host over the control channel. Host: attach() adopts the received descriptor (refusing unsealed
// or wrongly-sized ones, see sys/memfd.h) and maps it. The mapping lives as long as the object.
#pragma once

#include <netdext/shm/sys/mapping.h>
#include <netdext/shm/sys/memfd.h>

namespace netdext::shm {

class SharedRegion {
public:
    [[nodiscard]] static Result<SharedRegion> create(const char *name, size_t size);
    [[nodiscard]] static Result<SharedRegion> attach(UniqueFd fd, size_t expected_size);

    [[nodiscard]] const Memfd &memfd() const { return m_memfd; }
    [[nodiscard]] std::span<std::byte> bytes() const { return m_mapping.bytes(); }

private:
    SharedRegion(Memfd memfd, Mapping mapping)
        : m_memfd(std::move(memfd)), m_mapping(std::move(mapping)) {}

    Memfd m_memfd;
    Mapping m_mapping;
};

} // namespace netdext::shm
