// A 48-bit IEEE 802 MAC address, the only link-layer address the network family handles
// (DriverKit: IOUserNetworkEthernet deals in ether_addr_t).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace netdext {

struct MacAddress {
    std::array<uint8_t, 6> bytes{};

    auto operator<=>(const MacAddress &) const = default;

    [[nodiscard]] bool is_multicast() const { return (bytes[0] & 0x01) != 0; }

    // "02:00:5e:10:00:01"
    [[nodiscard]] std::string to_string() const {
        char text[18];
        std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1],
                      bytes[2], bytes[3], bytes[4], bytes[5]);
        return text;
    }

    // Accepts "aa:bb:cc:dd:ee:ff" (either case, ':' or '-' separators) and the 12 bare hex digits
    // /proc/net/dev_mcast prints. Anything else is nullopt.
    [[nodiscard]] static std::optional<MacAddress> parse(std::string_view text) {
        auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9')
                return c - '0';
            if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
            if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
            return -1;
        };
        bool separated = text.size() == 17;
        if (!separated && text.size() != 12)
            return std::nullopt;
        MacAddress mac;
        size_t pos = 0;
        for (size_t i = 0; i < 6; ++i) {
            if (separated && i > 0) {
                if (text[pos] != ':' && text[pos] != '-')
                    return std::nullopt;
                ++pos;
            }
            int high = nibble(text[pos]);
            int low = nibble(text[pos + 1]);
            if (high < 0 || low < 0)
                return std::nullopt;
            mac.bytes[i] = static_cast<uint8_t>(high << 4 | low);
            pos += 2;
        }
        return mac;
    }
};

} // namespace netdext
