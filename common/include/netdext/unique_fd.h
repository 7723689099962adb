// Owns one file descriptor and closes it on destruction. Move-only.
#pragma once

#include <utility>

namespace netdext {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    UniqueFd(UniqueFd &&other) noexcept : m_fd(other.release()) {}
    UniqueFd &operator=(UniqueFd &&other) noexcept {
        if (this != &other)
            reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    ~UniqueFd() { reset(); }

    [[nodiscard]] int get() const { return m_fd; }
    [[nodiscard]] bool is_valid() const { return m_fd >= 0; }
    // Gives up ownership without closing.
    [[nodiscard]] int release() { return std::exchange(m_fd, -1); }
    // Closes the current descriptor (if any) and takes `fd`.
    void reset(int fd = -1);

private:
    int m_fd = -1;
};

} // namespace netdext
