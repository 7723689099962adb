// One MAP_SHARED mapping of a file descriptor; munmap on destruction. Move-only.
// Whoever holds the Mapping owns the address range; views handed out (spans, endpoints) must not
// outlive it.
#pragma once

#include <netdext/shm/result.h>

#include <cstddef>
#include <span>

namespace netdext::shm {

class Mapping {
public:
    enum class Access { ReadOnly, ReadWrite };

    [[nodiscard]] static Result<Mapping> map(int fd, size_t size,
                                             Access access = Access::ReadWrite);

    Mapping() = default;
    Mapping(Mapping &&other) noexcept;
    Mapping &operator=(Mapping &&other) noexcept;
    Mapping(const Mapping &) = delete;
    Mapping &operator=(const Mapping &) = delete;
    ~Mapping();

    [[nodiscard]] std::byte *data() const { return m_data; }
    [[nodiscard]] size_t size() const { return m_size; }
    [[nodiscard]] std::span<std::byte> bytes() const { return {m_data, m_size}; }

private:
    Mapping(std::byte *data, size_t size) : m_data(data), m_size(size) {}
    void unmap();

    std::byte *m_data = nullptr;
    size_t m_size = 0;
};

} // namespace netdext::shm
