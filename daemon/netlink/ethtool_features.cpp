// EthtoolFeatures: SIOCETHTOOL feature requests (see ethtool_features.h).
#include "netlink/ethtool_features.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

namespace netdext::netlink {
namespace {

// The kernel's names (net/ethtool/common.c, netdev_features_strings), in kOffload* bit order.
constexpr const char *kNames[] = {"tx-checksum-ip-generic", "tx-tcp-segmentation",
                                  "tx-tcp6-segmentation"};
constexpr const char *kShortNames[] = {"tx-checksum", "tso4", "tso6"};
// Far more than any kernel has (about 70 today); a bound on what we allocate from its answer.
constexpr uint32_t kMaxFeatures = 4096;

} // namespace

std::string describe_offloads(uint32_t offloads) {
    std::string text;
    for (size_t bit = 0; bit < std::size(kShortNames); ++bit) {
        if ((offloads & (1u << bit)) == 0)
            continue;
        if (!text.empty())
            text += ", ";
        text += kShortNames[bit];
    }
    return text.empty() ? "none" : text;
}

Result<EthtoolFeatures> EthtoolFeatures::create() {
    UniqueFd socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!socket.is_valid())
        return Error::from_errno("socket(AF_INET) for SIOCETHTOOL");
    return EthtoolFeatures(std::move(socket));
}

Result<void> EthtoolFeatures::ioctl(const std::string &ifname, void *data, const char *context) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ)
        return Error::from_errno(EINVAL, context);
    ifreq request{};
    std::memcpy(request.ifr_name, ifname.data(), ifname.size());
    request.ifr_data = static_cast<char *>(data);
    if (::ioctl(m_socket.get(), SIOCETHTOOL, &request) < 0)
        return Error::from_errno(context);
    return {};
}

Result<void> EthtoolFeatures::resolve(const std::string &ifname) {
    if (m_count != 0)
        return {};
    // ETHTOOL_GSSET_INFO: how many feature names there are.
    // (one set asked for: one count follows the header)
    alignas(ethtool_sset_info) uint8_t sset_buffer[sizeof(ethtool_sset_info) + sizeof(uint32_t)]{};
    auto *sset = reinterpret_cast<ethtool_sset_info *>(sset_buffer);
    sset->cmd = ETHTOOL_GSSET_INFO;
    sset->sset_mask = 1ull << ETH_SS_FEATURES;
    NETDEXT_TRY(ioctl(ifname, sset, "ETHTOOL_GSSET_INFO"));
    uint32_t count = 0;
    std::memcpy(&count, sset_buffer + sizeof(ethtool_sset_info), sizeof count);
    if (sset->sset_mask == 0 || count == 0 || count > kMaxFeatures)
        return Error::from_errno(EPROTO, "ETHTOOL_GSSET_INFO(ETH_SS_FEATURES)");
    std::vector<uint8_t> buffer(sizeof(ethtool_gstrings) + size_t(count) * ETH_GSTRING_LEN);
    auto *strings = reinterpret_cast<ethtool_gstrings *>(buffer.data());
    strings->cmd = ETHTOOL_GSTRINGS;
    strings->string_set = ETH_SS_FEATURES;
    strings->len = count;
    NETDEXT_TRY(ioctl(ifname, strings, "ETHTOOL_GSTRINGS(ETH_SS_FEATURES)"));
    if (strings->len != count)
        return Error::from_errno(EPROTO, "ETHTOOL_GSTRINGS(ETH_SS_FEATURES)");
    m_bits.fill(-1);
    for (uint32_t index = 0; index < count; ++index) {
        const char *name =
            reinterpret_cast<const char *>(strings->data) + size_t(index) * ETH_GSTRING_LEN;
        const size_t length = ::strnlen(name, ETH_GSTRING_LEN);
        for (size_t bit = 0; bit < std::size(kNames); ++bit)
            if (std::strlen(kNames[bit]) == length && std::memcmp(name, kNames[bit], length) == 0)
                m_bits[bit] = int(index);
    }
    m_count = count;
    return {};
}

Result<uint32_t> EthtoolFeatures::read(const std::string &ifname) {
    NETDEXT_TRY(resolve(ifname));
    const uint32_t blocks = (m_count + 31) / 32;
    std::vector<uint8_t> buffer(sizeof(ethtool_gfeatures) +
                                blocks * sizeof(ethtool_get_features_block));
    auto *features = reinterpret_cast<ethtool_gfeatures *>(buffer.data());
    features->cmd = ETHTOOL_GFEATURES;
    features->size = blocks;
    NETDEXT_TRY(ioctl(ifname, features, "ETHTOOL_GFEATURES"));
    uint32_t offloads = 0;
    for (size_t bit = 0; bit < m_bits.size(); ++bit) {
        const int index = m_bits[bit];
        if (index >= 0 && (features->features[index / 32].active & (1u << (index % 32))) != 0)
            offloads |= 1u << bit;
    }
    return offloads;
}

Result<void> EthtoolFeatures::write(const std::string &ifname, uint32_t mask, uint32_t offloads) {
    NETDEXT_TRY(resolve(ifname));
    const uint32_t blocks = (m_count + 31) / 32;
    std::vector<uint8_t> buffer(sizeof(ethtool_sfeatures) +
                                blocks * sizeof(ethtool_set_features_block));
    auto *features = reinterpret_cast<ethtool_sfeatures *>(buffer.data());
    features->cmd = ETHTOOL_SFEATURES;
    features->size = blocks;
    for (size_t bit = 0; bit < m_bits.size(); ++bit) {
        const int index = m_bits[bit];
        if ((mask & (1u << bit)) == 0 || index < 0)
            continue;
        ethtool_set_features_block &block = features->features[index / 32];
        block.valid |= 1u << (index % 32);
        if (offloads & (1u << bit))
            block.requested |= 1u << (index % 32);
    }
    // The kernel answers a partly applied request with a positive value (ETHTOOL_F_WISH…), which
    // is not an error here: read() tells what is in force.
    return ioctl(ifname, features, "ETHTOOL_SFEATURES");
}

} // namespace netdext::netlink
