// The Internet checksum (RFC 1071) for tests that check IPv4/ICMP frames: 0 over a header or
// message whose checksum field is correct.
#pragma once

#include <cstddef>
#include <cstdint>

namespace netdext::testing {

inline uint16_t inet_checksum(const uint8_t *data, size_t length) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < length; i += 2)
        sum += uint32_t(data[i]) << 8 | data[i + 1];
    if (length % 2)
        sum += uint32_t(data[length - 1]) << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(~sum);
}

} // namespace netdext::testing
