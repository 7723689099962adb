// EthtoolFeatures: the offloads `ethtool -k` shows for a link, as far as a driver's hardware
// assists are concerned, and putting them back (`ethtool -K`'s SIOCETHTOOL requests).
//
// A TAP offers what TUNSETOFFLOAD allowed (the driver's declared assists, net_interface.cpp); the
// user may switch those off and on again with `ethtool -K enN tso off` and the kernel stops (or
// resumes) handing the TAP such frames by itself. netdextd tells the driver (SetHardwareAssists),
// as macOS's family does when `ifconfig enN -tso` runs; a refused change is put back here.
//
// Feature bits have no fixed numbers in the ABI: ETHTOOL_GSTRINGS for ETH_SS_FEATURES names
// them, and the names are looked up on first use (they are the kernel's, the same for every link).
//
// Namespaces: the ioctl socket belongs to the namespace of the thread that calls create().
// Threads: not thread-safe; one caller at a time.
#pragma once

#include "common/result.h"
#include "common/unique_fd.h"

#include <array>
#include <cstdint>
#include <string>

namespace netdext::netlink {

// The offloads of LinkState::offloads (a bit is set when the feature is active).
inline constexpr uint32_t kOffloadTxChecksum = 1u << 0; // tx-checksum-ip-generic (TUN_F_CSUM)
inline constexpr uint32_t kOffloadTso4 = 1u << 1;       // tx-tcp-segmentation (TUN_F_TSO4)
inline constexpr uint32_t kOffloadTso6 = 1u << 2;       // tx-tcp6-segmentation (TUN_F_TSO6)
inline constexpr uint32_t kOffloadAll = kOffloadTxChecksum | kOffloadTso4 | kOffloadTso6;

// "tx-checksum, tso4" (for logs); "none" for 0.
[[nodiscard]] std::string describe_offloads(uint32_t offloads);

class EthtoolFeatures {
public:
    static Result<EthtoolFeatures> create();

    // ETHTOOL_GFEATURES: which of kOffloadAll are active on `ifname`.
    Result<uint32_t> read(const std::string &ifname);
    // ETHTOOL_SFEATURES: requests `offloads` for the bits in `mask` (others untouched). The kernel
    // may refuse or adjust (a TSO without a TX checksum); read() says what came of it.
    Result<void> write(const std::string &ifname, uint32_t mask, uint32_t offloads);

private:
    explicit EthtoolFeatures(UniqueFd socket) : m_socket(std::move(socket)) {}
    Result<void> resolve(const std::string &ifname); // the bit of each name, once
    Result<void> ioctl(const std::string &ifname, void *data, const char *context);

    UniqueFd m_socket;
    uint32_t m_count = 0;        // ETH_SS_FEATURES strings; 0: not resolved yet
    std::array<int, 3> m_bits{}; // per kOffload* bit: its feature index, -1 if the kernel lacks it
};

} // namespace netdext::netlink
