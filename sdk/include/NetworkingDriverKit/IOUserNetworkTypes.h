/*
 * NetworkingDriverKit/IOUserNetworkTypes.h — scalar types and constants of NetworkingDriverKit.
 * netdext: names and values are Apple's (11.x SDK unless noted); see docs/api-coverage.md for the
 * values marked unverified in Apple's headers.
 */
#ifndef _NETWORKINGDRIVERKIT_IOUSERNETWORKTYPES_H
#define _NETWORKINGDRIVERKIT_IOUSERNETWORKTYPES_H

#include <stdint.h>
#include <DriverKit/IOTypes.h>
#include <DriverKit/IODMACommand.h> /* IODMACommandSpecification, as in Apple's SDK */
#include <net/ethernet.h>

/* netdext's <net/ethernet.h> gives Darwin's ether_addr_t with .octet (see that header). */

struct IOUserNetworkMACAddress {
    uint8_t octet[6];
};

typedef uint32_t IOUserNetworkMediaType;
typedef uint32_t IOUserNetworkLinkStatus;
typedef uint32_t IOUserNetworkLinkQuality;
typedef uint32_t MediaWord;
typedef uint32_t LinkStatus;
typedef uint32_t LinkQuality;
typedef uint32_t IOUserNetworkPacketQueueId;
typedef uint32_t IOUserNetworkServiceClass;
typedef uint32_t IOUserNetworkPacketTxChecksumFlags;
typedef uint32_t IOUserNetworkPacketRxChecksumFlags;
typedef uint32_t IOUserNetworkPacketTSOFlags;
typedef uint32_t IOUserNetworkPacketLROFlags;
typedef uint32_t IONetworkPacketType;
/* NDK 2.x: the pool's packet type. Apple's value is not published; the pool does not look at it
 * (every netdext packet is a network packet). */
enum {
    IONetworkPacketTypeNetwork = 0,
};
struct ifdrv;
typedef struct ifdrv ifdrv_t;

enum {
    kIOUserNetworkLinkStatusInvalid = 0x00000000,
    kIOUserNetworkLinkStatusInactive = 0x00000001,
    kIOUserNetworkLinkStatusActive = 0x00000003,
    kIOUserNetworkLinkStatusWakeSameNet = 0x00000004,
    /* NDK 2.x name; Apple's value is not published. netdext: a bit no other status uses. */
    kIOUserNetworkLinkStatusForceNotify = 0x00000008,
};

enum {
    kIOUserNetworkLinkQualityOff = -2,
    kIOUserNetworkLinkQualityUnknown = -1,
    kIOUserNetworkLinkQualityBad = 10,
    kIOUserNetworkLinkQualityPoor = 50,
    kIOUserNetworkLinkQualityGood = 100,
};

enum {
    kIOUserNetworkMediaOptionFullDuplex = 0x00100000,
    kIOUserNetworkMediaOptionHalfDuplex = 0x00200000,
    kIOUserNetworkMediaOptionFlowControl = 0x00400000,
    kIOUserNetworkMediaOptionEEE = 0x00800000,
    kIOUserNetworkMediaOptionLoopback = 0x08000000,
    /* netdext: one enum with the media types below, so that `type | option` is not a C++20
     * deprecated operation between two enumerations. */
    kIOUserNetworkMediaEthernetMask = 0x00000fff,
    kIOUserNetworkMediaEthernetAuto = 0x20,
    kIOUserNetworkMediaEthernetManual = 0x21,
    kIOUserNetworkMediaEthernetNone = 0x22,
    kIOUserNetworkMediaEthernet10BaseT = 0x23,
    kIOUserNetworkMediaEthernet10Base2 = 0x24,
    kIOUserNetworkMediaEthernet10Base5 = 0x25,
    kIOUserNetworkMediaEthernet100BaseTX = 0x26,
    kIOUserNetworkMediaEthernet100BaseFX = 0x27,
    kIOUserNetworkMediaEthernet100BaseT4 = 0x28,
    kIOUserNetworkMediaEthernet100BaseVG = 0x29,
    kIOUserNetworkMediaEthernet100BaseT2 = 0x2a,
    kIOUserNetworkMediaEthernet1000BaseSX = 0x2b,
    kIOUserNetworkMediaEthernet10BaseSTP = 0x2c,
    kIOUserNetworkMediaEthernet10BaseFL = 0x2d,
    kIOUserNetworkMediaEthernet1000BaseLX = 0x2e,
    kIOUserNetworkMediaEthernet1000BaseCX = 0x2f,
    kIOUserNetworkMediaEthernet1000BaseT = 0x30,
    kIOUserNetworkMediaEthernetHomePNA1 = 0x31,
    kIOUserNetworkMediaEthernet10GBaseSR = 0x32,
    kIOUserNetworkMediaEthernet10GBaseLR = 0x33,
    kIOUserNetworkMediaEthernet10GBaseCX4 = 0x34,
    kIOUserNetworkMediaEthernet10GBaseT = 0x35,
    kIOUserNetworkMediaEthernet2500BaseT = 0x36,
    kIOUserNetworkMediaEthernet5000BaseT = 0x37,
    kIOUserNetworkMediaEthernet1000BaseCX_SGMII = 0x38,
    kIOUserNetworkMediaEthernet1000BaseKX = 0x39,
    kIOUserNetworkMediaEthernet10GBaseKX4 = 0x3a,
    kIOUserNetworkMediaEthernet10GBaseKR = 0x3b,
    kIOUserNetworkMediaEthernet10GBaseCR1 = 0x3c,
    kIOUserNetworkMediaEthernet10GBaseER = 0x3d,
    kIOUserNetworkMediaEthernet20GBaseKR2 = 0x3e,
    kIOUserNetworkMediaEthernet25GBaseCR = 0x3f,
    kIOUserNetworkMediaEthernet25GBaseKR = 0x820,
    kIOUserNetworkMediaEthernet25GBaseSR = 0x821,
    kIOUserNetworkMediaEthernet25GBaseLR = 0x822,
    kIOUserNetworkMediaEthernet40GBaseCR4 = 0x823,
    kIOUserNetworkMediaEthernet40GBaseSR4 = 0x824,
    kIOUserNetworkMediaEthernet40GBaseLR4 = 0x825,
    kIOUserNetworkMediaEthernet40GBaseKR4 = 0x826,
    kIOUserNetworkMediaEthernet50GBaseCR2 = 0x827,
    kIOUserNetworkMediaEthernet50GBaseKR2 = 0x828,
    kIOUserNetworkMediaEthernet50GBaseSR2 = 0x829,
    kIOUserNetworkMediaEthernet50GBaseLR2 = 0x82a,
    kIOUserNetworkMediaEthernet56GBaseR4 = 0x82b,
    kIOUserNetworkMediaEthernet100GBaseCR4 = 0x82c,
    kIOUserNetworkMediaEthernet100GBaseSR4 = 0x82d,
    kIOUserNetworkMediaEthernet100GBaseKR4 = 0x82e,
    kIOUserNetworkMediaEthernet100GBaseLR4 = 0x82f,
};

/* 11.x SDK values (the 10.15 SDK had WOMP = 0x01, SoftwareVlan = 0x02). */
enum {
    kIOUserNetworkFeatureFlagSoftwareVlan = 0x00020000,
    kIOUserNetworkFeatureFlagWOMP = 0x04000000,
    kIOUserNetworkFeatureFlagNicProxy = 0x08000000,
    /* NDK 2.x names; values inferred from xnu IFNET_HW_TIMESTAMP / IFNET_SW_TIMESTAMP. */
    kIOUserNetworkFeatureHWTimeStamp = 0x01000000,
    kIOUserNetworkFeatureSWTimeStamp = 0x02000000,
};

/* Hardware assists (xnu IFNET_* offload bits); rows marked unverified in API.md are inferred. */
enum {
    kIOUserNetworkHWAssistTxChecksumIPHdr = 0x00000001,
    kIOUserNetworkHWAssistTxChecksumTCP = 0x00000002,
    kIOUserNetworkHWAssistTxChecksumUDP = 0x00000004,
    kIOUserNetworkHWAssistSoftwareVlan = 0x00020000,
    kIOUserNetworkHWAssistTSO4 = 0x00200000,
    kIOUserNetworkHWAssistTSO6 = 0x00400000,
    kIOUserNetworkHWAssistHWTimeStamp = 0x01000000,
    kIOUserNetworkHWAssistSWTimeStamp = 0x02000000,
    kIOUserNetworkHWAssistWOMP = 0x04000000,
    kIOUserNetworkHWAssistNicProxy = 0x08000000,
    kIOUserNetworkHWAssistLRO = 0x10000000,
    kIOUserNetworkHWAssistRxChecksum = 0x20000000,
    kIOUserNetworkHWAssistLRONumSeg = 0x40000000,
};

/* Per-packet offload flags (NDK 2.x); values follow xnu skywalk PACKET_CSUM_* / PACKET_TSO_*. */
enum {
    kIOUserNetworkPacketTxCsumPartial = 0x0001,
    kIOUserNetworkPacketTxCsumZeroInvert = 0x0002,
    kIOUserNetworkPacketTxCsumIPHdr = 0x0004,
    kIOUserNetworkPacketTxCsumTCPIPV4 = 0x0008,
    kIOUserNetworkPacketTxCsumUDPIPV4 = 0x0010,
    kIOUserNetworkPacketTxCsumTCPIPV6 = 0x0020,
    kIOUserNetworkPacketTxCsumUDPIPV6 = 0x0040,
};
enum {
    kIOUserNetworkPacketRxCsumIPChecked = 0x0100,
    kIOUserNetworkPacketRxCsumIPValid = 0x0200,
    kIOUserNetworkPacketRxCsumDataValid = 0x0400,
    kIOUserNetworkPacketRxCsumPseudoHdr = 0x0800,
};
enum {
    kIOUserNetworkPacketTSOIPV4 = 0x00100000,
    kIOUserNetworkPacketTSOIPV6 = 0x00200000,
};
enum {
    kIOUserNetworkPacketLROIPV4 = 0x00000001,
    kIOUserNetworkPacketLROIPV6 = 0x00000002,
};
/* Service classes in xnu MBUF_SC_* order. */
enum {
    kIOUserNetworkPacketServiceClassNone = 0,
    kIOUserNetworkPacketServiceClassBKSYS = 1,
    kIOUserNetworkPacketServiceClassBK = 2,
    kIOUserNetworkPacketServiceClassBE = 3,
    kIOUserNetworkPacketServiceClassRD = 4,
    kIOUserNetworkPacketServiceClassOAM = 5,
    kIOUserNetworkPacketServiceClassAV = 6,
    kIOUserNetworkPacketServiceClassRV = 7,
    kIOUserNetworkPacketServiceClassVI = 8,
    kIOUserNetworkPacketServiceClassVO = 9,
    kIOUserNetworkPacketServiceClassCTL = 10,
};

enum {
    kIOUserNetworkNonBlocking = 0,
    kIOUserNetworkBlocking = 1,
};
enum {
    kIOUserNetworkPacketPollerEventPollStart = 0x1,
    kIOUserNetworkPacketPollerEventPollStop = 0x2,
    kIOUserNetworkPacketPollerEventTypeMask = 0xff,
};

#define IFNET_FAMILY_ANY 0
#define IFNET_FAMILY_ETHERNET 6
#define IFNET_SUBFAMILY_ANY 0
#define NIC_PROXY_FLAGS_WOMP (1 << 6)
#define NIC_PROXY_FLAGS_WONLINK (1 << 7)

enum IOUserNetworkPacketBufferPoolFlags : unsigned int {
    PoolFlagSingleMemorySegment = 0x00000002,
    PoolFlagPersistentMemory = 0x00000004,
    PoolFlagMapToDext = 0x10000000,
    PoolFlagMapToDevice = 0x20000000,
    PoolFlagMask = 0x30000006,
    /* NDK 2.x names; values not published by Apple. netdext: bits outside PoolFlagMask. */
    PoolFlagIODirectionIn = 0x00000100,
    PoolFlagIODirectionOut = 0x00000200,
    PoolFlagVirtualDevice = 0x00000400,
};

struct IOUserNetworkPacketBufferPoolOptions {
    uint32_t packetCount;
    uint32_t bufferCount;
    uint32_t bufferSize;
    uint32_t maxBuffersPerPacket;
    uint32_t memorySegmentSize;
    uint32_t poolFlags;
    IODMACommandSpecification dmaSpecification;
    uint32_t _resv[16];
};

struct __attribute__((packed, aligned(8))) IOUserNetworkPacketState {
    uint64_t memoryOffset;
    uint64_t dataDKVA;
    uint64_t dataIOVA;
    uint32_t packetIndex;
    uint32_t dataLength;
    uint16_t dataOffset;
    uint8_t direction;
    uint8_t linkHeaderLength;
    uint8_t __reserved[4];
};

struct __attribute__((packed)) _IOUserNetworkEthernetInterfaceDescriptor {
    ether_addr_t macAddress;
    uint32_t featureFlags;
    uint32_t _reserved;
    uint16_t txPacketHeadroomBytes;
    uint16_t txPacketTailroomBytes;
};

typedef struct __attribute__((packed)) nicproxy_limits_info_s {
    uint8_t ipv4_cnt;
    uint8_t ipv6_cnt;
    uint16_t kaIPv4Count;
    uint16_t kaIPv6Count;
    uint16_t wakeUDPCount;
    uint16_t wakeTCPCount;
    uint16_t rr_cnt;
    uint8_t mDnsMaxDomainLen;
    uint8_t ethCount;
    uint16_t rr_buf_size;
} nicproxy_limits_info_t;

/* NDK 2.x structures (member order as documented). */
struct IOUserNetworkTSOOptions {
    union {
        struct {
            uint32_t tso_mtu4;
            uint32_t tso_mtu6;
        };
        struct {
            uint32_t mss4;
            uint32_t mss6;
        };
    };
    uint8_t rsvd[56];
};
struct IOUserNetworkHardwareCounts {
    uint64_t packets_in, packets_out, bytes_in, bytes_out, multicasts_in, multicasts_out,
        errors_in, errors_out, collisions, dropped, no_protocol;
    uint64_t reserved_in[16], reserved_out[16], reserved_misc[32];
};
struct IOUserNetworkStatistics {
    uint64_t packets_in, packets_out, bytes_in, bytes_out, multicasts_in, multicasts_out,
        errors_in, errors_out, collisions, dropped, no_protocol;
};
struct IOUserNetworkPacketPollerParameters {
    uint64_t pollInterval;
    uint64_t dataRate;
    uint64_t reserved[8];
};
struct IOUserNetworkPacketDescriptor {
    uint32_t fPacketIndex;
    uint32_t fReserved[7];
};

#endif /* _NETWORKINGDRIVERKIT_IOUSERNETWORKTYPES_H */
